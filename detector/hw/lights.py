"""The two LED groups (on-axis ring, off-axis group) and their switching schedule."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from detector.hw.clock import Clock, SystemClock

LIGHT_STATES = ("onaxis", "offaxis", "dark")


class Lights(ABC):
    """Switches the LED groups and logs every switch with the monotonic clock.

    A backend must override `_apply(onaxis, offaxis)`, which drives the hardware. It may
    override `close`. The log is what camera backends label frames from.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self.state = "dark"
        self.switch_log: list[tuple[int, str]] = []

    @abstractmethod
    def _apply(self, onaxis: bool, offaxis: bool) -> None:
        """Drive the hardware: True turns a group on."""

    def set(self, state: str) -> None:
        if state not in LIGHT_STATES:
            raise ValueError(f"unknown light state {state!r}; expected one of {LIGHT_STATES}")
        if state == self.state and self.switch_log:
            return
        self._apply(state == "onaxis", state == "offaxis")
        # Log after the hardware call returns: that is when the LEDs actually changed.
        self.switch_log.append((self.clock.monotonic_ns(), state))
        self.state = state

    def off(self) -> None:
        self.set("dark")

    def trim_log(self, before_ns: int) -> None:
        """Forget switches no frame can need any more (keeps the last one before)."""
        keep = [i for i, (t, _) in enumerate(self.switch_log) if t >= before_ns]
        first = max((keep[0] - 1) if keep else len(self.switch_log) - 1, 0)
        del self.switch_log[:first]

    def close(self) -> None:
        self.off()


class LightSequencer:
    """Which LED state each frame should see, from a repeating pattern.

    After frame i is delivered the runtime switches to the state of frame i + 1; the
    switch lands in the gap between exposures unless it is late, which makes a mixed frame.
    """

    def __init__(self, pattern: Sequence[str]) -> None:
        bad = [p for p in pattern if p not in LIGHT_STATES]
        if not pattern or bad:
            raise ValueError(f"light pattern must be a non-empty list of {LIGHT_STATES}")
        self.pattern = tuple(pattern)

    def state_for(self, frame_index: int) -> str:
        return self.pattern[frame_index % len(self.pattern)]
