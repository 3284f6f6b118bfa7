"""The scanner unit each evaluation run uses, calibrated on the simulated bench.

Every run meets its own unit (number seed + 1: no run gets the nominal parts), calibrated
as a technician would calibrate it (`detector calibrate rf`), so the figures hold for a
fleet of calibrated devices rather than for one perfect one.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from detector.config import Config, load_config
from detector.rf.frontend import FrontEnd
from detector.rf.sim.unit import SimUnit


def unit_number(seed: int) -> int:
    return seed + 1


@lru_cache(maxsize=128)
def calibration_of(number: int) -> dict[str, Any]:
    """The `calibration` values `detector calibrate rf --sim` finds for unit `number`."""
    from detector.calibrate import SimBench, step_rf

    config = load_config(None, [])
    report = step_rf(SimBench(config, unit=SimUnit.draw(number)), config)
    return dict(report.values["calibration"])


def calibrated_config(config: Config, seed: int) -> Config:
    """`config` for a run on unit `unit_number(seed)` with that unit's calibration."""
    number = unit_number(seed)
    return config.with_values(sim={"unit": number}, calibration=calibration_of(number))


def frontend_for(seed: int) -> tuple[SimUnit, FrontEnd]:
    """The run's unit and its calibrated front end."""
    number = unit_number(seed)
    return SimUnit.draw(number), FrontEnd.from_config(
        load_config(None, []).with_values(calibration=calibration_of(number)))
