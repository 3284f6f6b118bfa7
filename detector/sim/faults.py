"""Faults injected into a simulated sweep, for tests and for training inspectors on what
the device does when a part fails: `--fault 20:camera-stall:3` stops the camera's frames
for 3 s from second 20, `--fault 30:rf-unplug:5` pulls the scanner's cable for 5 s."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from detector.hw.camera import Frame

FAULT_KINDS = ("camera-stall", "rf-unplug")


@dataclass(frozen=True)
class InjectedFault:
    at_s: float
    kind: str
    duration_s: float

    def active(self, t_s: float) -> bool:
        return self.at_s <= t_s < self.at_s + self.duration_s


def parse_fault(text: str) -> InjectedFault:
    parts = text.split(":")
    try:
        if len(parts) != 3:
            raise ValueError
        at_s, kind, duration_s = float(parts[0]), parts[1], float(parts[2])
    except ValueError:
        raise ValueError(f"--fault {text}: expected SECONDS:KIND:DURATION, "
                         f"e.g. 20:camera-stall:3") from None
    if kind not in FAULT_KINDS:
        raise ValueError(f"--fault {text}: unknown fault {kind!r}; expected one of "
                         f"{', '.join(FAULT_KINDS)}")
    if at_s < 0 or duration_s <= 0:
        raise ValueError(f"--fault {text}: expected a start >= 0 and a positive duration")
    return InjectedFault(at_s, kind, duration_s)


class StalledFrames:
    """Wraps the capture generator: frames exposed during a camera stall are never
    delivered (the simulated clock still moves on), and the loop is told NOTHING instead."""

    def __init__(self, frames: Iterator[Frame], faults: list[InjectedFault], start_ns: int,
                 nothing: object) -> None:
        self.frames = frames
        self.stalls = [f for f in faults if f.kind == "camera-stall"]
        self.start_ns = start_ns
        self.nothing = nothing

    def __iter__(self):
        return self

    def __next__(self):
        frame = next(self.frames)
        t_s = (frame.t_ns - self.start_ns) / 1e9
        if any(f.active(t_s) for f in self.stalls):
            return self.nothing
        return frame

    def close(self) -> None:
        close = getattr(self.frames, "close", None)
        if close is not None:
            close()
