"""Simulated LED groups: the switch log (kept by the Lights base class) is the output."""

from __future__ import annotations

from detector.hw.lights import Lights


class SimLights(Lights):
    """Records group states; the simulated camera renders frames from the switch log."""

    def __init__(self, clock) -> None:
        super().__init__(clock)
        self.levels = (False, False)

    def _apply(self, onaxis: bool, offaxis: bool) -> None:
        self.levels = (onaxis, offaxis)
