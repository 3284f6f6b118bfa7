"""A watchdog per part of the sweep: each part feeds its own; one that goes quiet for
longer than its timeout becomes a fault on the screen and the buzzer, and the rest of
the sweep keeps working."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Watchdog:
    name: str
    message: str  # what the screen says while it is stalled, e.g. "CAMERA STALLED"
    timeout_s: float
    last_ns: int | None = None
    stalled: bool = False
    episodes: list[tuple[int, int | None]] = field(default_factory=list)  # (from, to)

    def feed(self, now: int) -> None:
        self.last_ns = now
        if self.stalled:
            self.stalled = False
            start, _ = self.episodes[-1]
            self.episodes[-1] = (start, now)

    def check(self, now: int) -> bool:
        """True while stalled. A part never fed counts from the first check."""
        if self.last_ns is None:
            self.last_ns = now
        if not self.stalled and now - self.last_ns > self.timeout_s * 1e9:
            self.stalled = True
            self.episodes.append((self.last_ns, None))
        return self.stalled

    def stalled_ns(self, until: int) -> int:
        return sum((end if end is not None else until) - start for start, end in self.episodes)


class Watchdogs:
    def __init__(self, *dogs: Watchdog) -> None:
        self.dogs = {d.name: d for d in dogs}

    def __getitem__(self, name: str) -> Watchdog:
        return self.dogs[name]

    def feed(self, name: str, now: int) -> None:
        self.dogs[name].feed(now)

    def faults(self, now: int) -> list[str]:
        """Messages of the stalled parts, in a fixed order."""
        return [d.message for d in self.dogs.values() if d.check(now)]
