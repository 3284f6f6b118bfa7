"""Which channel the monitor-mode adapter listens on, and for how long.

One adapter hears one channel at a time. The schedule visits every channel in turn, so
a camera on any of them is heard within one cycle, and stays longer where data frames
were heard: a stream is measured faster there, while a quiet channel costs only the
base dwell. A channel's weight decays when it goes quiet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CHANNELS_2G = tuple(range(1, 14))
BASE_DWELL_S = 0.15  # long enough to hear a beacon (every 102.4 ms)
MAX_DWELL_S = 1.0
FRAMES_FOR_MAX = 50  # data frames a second (a stream of a few hundred kb/s) earn the longest dwell
DECAY = 0.5  # a channel's activity halves on every visit without data frames


@dataclass
class HopSchedule:
    """Call `next()` for the channel to tune to and how long to stay; then `heard()` with
    the data frames heard there."""

    channels: tuple[int, ...] = CHANNELS_2G
    base_dwell_s: float = BASE_DWELL_S
    max_dwell_s: float = MAX_DWELL_S
    activity: dict[int, float] = field(default_factory=dict)  # data frames/s, smoothed
    position: int = 0

    def __post_init__(self) -> None:
        if not self.channels:
            raise ValueError("a hop schedule needs at least one channel")
        if not 0 < self.base_dwell_s <= self.max_dwell_s:
            raise ValueError("expected 0 < base dwell <= longest dwell")

    def dwell_s(self, channel: int) -> float:
        share = min(self.activity.get(channel, 0.0) / FRAMES_FOR_MAX, 1.0)
        return self.base_dwell_s + share * (self.max_dwell_s - self.base_dwell_s)

    def next(self) -> tuple[int, float]:
        channel = self.channels[self.position % len(self.channels)]
        self.position += 1
        return channel, self.dwell_s(channel)

    def heard(self, channel: int, data_frames: int, dwell_s: float) -> None:
        rate = data_frames / dwell_s if dwell_s > 0 else 0.0
        before = self.activity.get(channel, 0.0)
        self.activity[channel] = max(rate, before * DECAY)

    def cycle_s(self) -> float:
        """How long one visit of every channel takes now: the longest a camera on any
        channel waits to be heard."""
        return sum(self.dwell_s(c) for c in self.channels)
