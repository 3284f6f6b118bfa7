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


def calibrated_config(config: Config, seed: int) -> Config:
    """`config` for a run on unit `unit_number(seed)` with that unit's calibration."""
    number = unit_number(seed)
    return config.with_values(sim={"unit": number}, calibration=calibration_of(number))


def frontend_for(seed: int) -> FrontEnd:
    """The calibrated front end of the run's unit."""
    return FrontEnd.from_config(calibrated_config(load_config(None, []), seed))
