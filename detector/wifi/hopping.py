"""Which channel the monitor-mode adapter listens on, and for how long.

One adapter hears one channel at a time. The schedule visits every channel in turn, so
a camera on any of them is heard within one cycle, and stays longer where data frames
were heard: a stream is measured faster there, while a quiet channel costs only the
base dwell. A channel's weight decays when it goes quiet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from detector.wifi.adapter import CHANNEL_MHZ, CHANNEL_OF_MHZ, CHANNELS_5G
from detector.wifi.analysis import Dwell

CHANNELS_2G = tuple(range(1, 14))
CHANNELS = CHANNELS_2G + CHANNELS_5G
BASE_DWELL_S = 0.15  # long enough to hear a beacon (every 102.4 ms)
MAX_DWELL_S = 1.0
FRAMES_FOR_MAX = 50  # data frames a second (a stream of a few hundred kb/s) earn the longest dwell
DECAY = 0.5  # a channel's activity halves on every visit without data frames


@dataclass
class HopSchedule:
    """Call `next()` for the channel to tune to and how long to stay; then `heard()` with
    the data frames heard there."""

    channels: tuple[int, ...] = CHANNELS
    base_dwell_s: float = BASE_DWELL_S
    max_dwell_s: float = MAX_DWELL_S
    activity: dict[int, float] = field(default_factory=dict)  # data frames/s, smoothed
    position: int = 0
    cued: list[int] = field(default_factory=list)  # visited next, before the cycle goes on

    def __post_init__(self) -> None:
        if not self.channels:
            raise ValueError("a hop schedule needs at least one channel")
        if not 0 < self.base_dwell_s <= self.max_dwell_s:
            raise ValueError("expected 0 < base dwell <= longest dwell")

    def dwell_s(self, channel: int) -> float:
        share = min(self.activity.get(channel, 0.0) / FRAMES_FOR_MAX, 1.0)
        return self.base_dwell_s + share * (self.max_dwell_s - self.base_dwell_s)

    def next(self) -> tuple[int, float]:
        if self.cued:
            channel = self.cued.pop(0)
            return channel, self.dwell_s(channel)
        channel = self.channels[self.position % len(self.channels)]
        self.position += 1
        return channel, self.dwell_s(channel)

    def cue(self, channel: int) -> None:
        """Visit this channel next (the RF analysis heard something there to explain)."""
        if channel in self.channels and channel not in self.cued:
            self.cued.append(channel)

    def heard(self, channel: int, data_frames: int, dwell_s: float) -> None:
        rate = data_frames / dwell_s if dwell_s > 0 else 0.0
        before = self.activity.get(channel, 0.0)
        self.activity[channel] = max(rate, before * DECAY)

    def cycle_s(self) -> float:
        """How long one visit of every channel takes now: the longest a camera on any
        channel waits to be heard."""
        return sum(self.dwell_s(c) for c in self.channels)


Hold = Callable[[int, int, int], bool]  # (freq MHz, listening since, now) -> stay?
Listen = Callable[[Dwell], int]  # take what was heard in a stretch; its data frames


class Hopper:
    """Drives a schedule on a clock. `advance(now, hold, listen)` walks the listening up
    to `now`: each stretch goes to `listen` (which takes the frames heard in it and says
    how many were data frames) before the hopper decides whether to stay (while `hold`
    says so) or tune the next channel with `tune`. The same hopper serves the live
    adapter (tune runs `iw`) and the simulator (tune does nothing)."""

    def __init__(self, schedule: HopSchedule, tune: Callable[[int], bool], start_ns: int,
                 hold_step_s: float = 0.25) -> None:
        self.schedule = schedule
        self.tune = tune
        self.step_ns = int(hold_step_s * 1e9)
        self.failed_tunes = 0
        self.channel, dwell = schedule.next()
        self._tune(self.channel)
        self.since_ns = start_ns  # listening here since (across holds)
        self.visit_ns = start_ns  # this visit's start (for the schedule)
        self.until_ns = start_ns + int(dwell * 1e9)
        self.reported_ns = start_ns
        self.data_frames = 0

    @property
    def freq_mhz(self) -> int:
        return CHANNEL_MHZ[self.channel]

    def cue(self, freq_mhz: int) -> None:
        """Tune to this channel at the next hop, unless already there."""
        channel = CHANNEL_OF_MHZ.get(freq_mhz)
        if channel is not None and channel != self.channel:
            self.schedule.cue(channel)

    def advance(self, now: int, hold: Hold, listen: Listen) -> None:
        while True:
            end = min(now, self.until_ns)
            if end > self.reported_ns:
                self.data_frames += listen(Dwell(self.freq_mhz, self.reported_ns, end))
                self.reported_ns = end
            if now < self.until_ns:
                return
            if hold(self.freq_mhz, self.since_ns, self.until_ns):
                self.until_ns += self.step_ns
                continue
            end = self.until_ns
            self.schedule.heard(self.channel, self.data_frames, (end - self.visit_ns) / 1e9)
            self.channel, dwell = self.schedule.next()
            self._tune(self.channel)
            self.data_frames = 0
            self.since_ns = self.visit_ns = self.reported_ns = end
            self.until_ns = end + int(dwell * 1e9)

    def _tune(self, channel: int) -> None:
        if not self.tune(channel):
            self.failed_tunes += 1
