"""Clocks: the device uses time.monotonic_ns(); the simulator a clock it advances itself."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def monotonic_ns(self) -> int: ...


class SystemClock:
    """The real monotonic clock (the one libcamera's SensorTimestamp also uses)."""

    def monotonic_ns(self) -> int:
        return time.monotonic_ns()


class SimClock:
    """A clock that only moves when the simulator advances it; never goes backwards."""

    def __init__(self, start_ns: int = 1_000_000_000) -> None:
        self.start_ns = start_ns
        self._now = start_ns

    def monotonic_ns(self) -> int:
        return self._now

    def advance_to(self, t_ns: int) -> None:
        self._now = max(self._now, int(t_ns))

    def seconds(self, t_ns: int | None = None) -> float:
        """Simulated seconds since the start of the run."""
        return ((self._now if t_ns is None else t_ns) - self.start_ns) / 1e9
