"""Simulated LED groups. The switch log (kept by the Lights base class) is what the
labelling code reads, as on the Pi; `actual_log` is when the LEDs really changed, which
is what the simulated camera renders.

On the Pi the log is stamped after the GPIO call returns: the LEDs changed a little
earlier (the call's own latency, ~20 us with lgpio), and now and then much earlier (the
process was preempted between the write and the clock read; on a loaded non-real-time
kernel that is a fraction of a millisecond to a couple of milliseconds). The figures
below model that; docs/hardware-timing.md says where they come from.
"""

from __future__ import annotations

import numpy as np

from detector.hw.lights import Lights

STAMP_DELAY_US = 20.0  # the usual delay from the LEDs changing to the log's stamp
STAMP_DELAY_SPREAD_US = 30.0  # exponential spread on top of it
PREEMPT_PROB = 0.005  # a switch stamped after a preemption
PREEMPT_US = (200.0, 2000.0)


class SimLights(Lights):
    """Records group states and when they really changed."""

    def __init__(self, clock, seed: int = 0) -> None:
        super().__init__(clock)
        self.levels = (False, False)
        self.actual_log: list[tuple[int, str]] = []
        self.rng = np.random.default_rng([seed, 0x1ED])

    def _apply(self, onaxis: bool, offaxis: bool) -> None:
        self.levels = (onaxis, offaxis)
        state = "onaxis" if onaxis else ("offaxis" if offaxis else "dark")
        delay_us = STAMP_DELAY_US + self.rng.exponential(STAMP_DELAY_SPREAD_US)
        if self.rng.random() < PREEMPT_PROB:
            delay_us += self.rng.uniform(*PREEMPT_US)
        self.actual_log.append((self.clock.monotonic_ns() - int(delay_us * 1000), state))

    def trim_log(self, before_ns: int) -> None:
        super().trim_log(before_ns)
        keep = [i for i, (t, _) in enumerate(self.actual_log) if t >= before_ns]
        first = max((keep[0] - 1) if keep else len(self.actual_log) - 1, 0)
        del self.actual_log[:first]
