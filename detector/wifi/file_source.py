"""A capture file as the Wi-Fi monitor's source: `detector replay` and `detector sweep
--replay` hand its frames to the analysis as the session's clock passes them.

A capture does not say which channel the adapter was tuned to when it heard nothing, so
the stretches of listening are read from the frames: the adapter is taken to have
listened on a frame's channel from the previous change of channel to the next.
"""

from __future__ import annotations

from pathlib import Path

from detector.wifi.analysis import Dwell
from detector.wifi.capture import read_frames
from detector.wifi.headers import WifiFrame
from detector.wifi.hopping import Hold
from detector.wifi.monitor import Deliver


class CaptureFileSource:
    def __init__(self, frames: list[WifiFrame], start_ns: int) -> None:
        self.frames = sorted(frames, key=lambda f: f.t_ns)
        self.position = 0
        self.mark_ns = start_ns  # the end of the last stretch handed over
        self.freq: int | None = None

    @classmethod
    def open(cls, path: Path, start_ns: int) -> CaptureFileSource:
        frames, _stats = read_frames(path)
        return cls(frames, start_ns)

    def read(self, now: int, _hold: Hold, deliver: Deliver) -> None:
        group: list[WifiFrame] = []
        frames = self.frames
        while self.position < len(frames) and frames[self.position].t_ns <= now:
            f = frames[self.position]
            if f.freq_mhz is not None and f.freq_mhz != self.freq:
                self._hand_over(group, f.t_ns, deliver)
                group = []
                self.freq = f.freq_mhz
            group.append(f)
            self.position += 1
        self._hand_over(group, now, deliver)

    def _hand_over(self, group: list[WifiFrame], end_ns: int, deliver: Deliver) -> None:
        if self.freq is not None and end_ns > self.mark_ns:
            deliver(group, Dwell(self.freq, self.mark_ns, end_ns))
        self.mark_ns = max(self.mark_ns, end_ns)

    def cue(self, freq_mhz: int) -> None:
        """A capture file's channels are what was recorded: nothing to tune."""

    def close(self) -> None:
        pass
