"""The scanner unit each evaluation run uses, calibrated on the simulated bench.

Every run meets its own unit (number seed + 1: no run gets the nominal parts), calibrated
as a technician would calibrate it (`detector calibrate rf`, and for runs that render
frames `detector calibrate focus`: the unit's camera module focuses off by its own error),
so the figures hold for a fleet of calibrated devices rather than for one perfect one.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from detector.config import Config, load_config
from detector.rf.frontend import FrontEnd
from detector.rf.sim.unit import SimUnit


def unit_number(seed: int) -> int:
    return seed + 1


def unit_of(seed: int) -> SimUnit:
    """The scanner unit a run with this seed meets."""
    return SimUnit.draw(unit_number(seed))


@lru_cache(maxsize=128)
def calibration_of(number: int) -> dict[str, Any]:
    """The `calibration` values `detector calibrate rf --sim` finds for unit `number`."""
    from detector.calibrate import SimBench, step_rf

    config = load_config(None, [])
    report = step_rf(SimBench(config, unit=SimUnit.draw(number)), config)
    return dict(report.values["calibration"])


@lru_cache(maxsize=128)
def focus_calibration_of(number: int) -> tuple[float, float]:
    """(the focus error of unit `number`'s camera module, the lens offset that
    `detector calibrate focus --sim` finds for it)."""
    from detector.calibrate import SimBench, step_focus
    from detector.sim.camera_model import focus_error_of

    error = focus_error_of(number)
    config = load_config(None, []).with_values(sim={"focus_error_dioptres": error})
    report = step_focus(SimBench(config), config)
    return error, float(report.values["calibration"]["lens_offset_dioptres"])


def calibrated_config(config: Config, seed: int, camera: bool = False) -> Config:
    """`config` for a run on unit `unit_number(seed)` with that unit's calibration; with
    `camera`, also its camera module's focus error and focus calibration."""
    number = unit_number(seed)
    config = config.with_values(sim={"unit": number}, calibration=calibration_of(number))
    if not camera:
        return config
    error, offset = focus_calibration_of(number)
    return config.with_values(sim={"focus_error_dioptres": error},
                              calibration={"lens_offset_dioptres": offset})


def frontend_for(seed: int) -> FrontEnd:
    """The calibrated front end of the run's unit."""
    return FrontEnd.from_config(calibrated_config(load_config(None, []), seed))
