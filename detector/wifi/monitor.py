"""The Wi-Fi monitor of a sweep: a source of heard frames (the live adapter, a capture
file being replayed, or the simulator), the analysis, and what the sweep is told.

A source's `read(now, hold, deliver)` hands over the frames heard up to `now`, stretch
of listening by stretch; it hops channels itself (wifi/hopping.py), staying on while
`hold` says so (asked after each stretch is delivered, so the analysis has seen it).
The monitor keeps no frame past the analysis window except in the session's recording,
when one is made (a header-only pcap).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Protocol

from detector.errors import DetectorError
from detector.fusion import WifiView
from detector.session.inputs import WifiUpdate
from detector.wifi.analysis import Dwell, Suspect, WifiAnalyzer
from detector.wifi.headers import WifiFrame
from detector.wifi.hopping import Hold

TRAIL_SHOWN = 12  # seconds of trail on the screen


Deliver = Callable[[list[WifiFrame], Dwell], None]


class WifiSource(Protocol):
    def read(self, now: int, hold: Hold, deliver: Deliver) -> None: ...

    def cue(self, freq_mhz: int) -> None: ...

    def close(self) -> None: ...


class WifiMonitor:
    """Polls the source, feeds the analysis and says what changed."""

    def __init__(self, source: WifiSource, start_ns: int, vendors=None,
                 on_frames: Callable[[list[WifiFrame]], None] | None = None) -> None:
        self.source = source
        self.analyzer = WifiAnalyzer(start_ns, vendors)
        self.start_ns = start_ns
        self.on_frames = on_frames
        self.error: str | None = None
        self.frames_heard = 0
        self._quiet: WifiUpdate | None = None  # the last update, its news already told

    def add_motion(self, t_ns: int, value: float) -> None:
        self.analyzer.add_motion(t_ns, value)

    def poll(self, now: int) -> WifiUpdate:
        """Called on every turn of the sweep loop: the frames are taken every time, but
        the update is rebuilt only when the analysis ran (every 0.5 s) or the adapter
        failed; in between the last one stands, without its new cameras."""
        a = self.analyzer
        new: list[Suspect] | None = []
        failed = self.error
        if self.error is None:
            try:
                for freq in a.take_cues():  # channels the RF analysis asked about
                    self.source.cue(freq)
                self.source.read(now, a.hold, self._deliver)
            except (OSError, DetectorError) as exc:  # an unplugged adapter: say so, go on
                self.error = str(exc)
            new = a.update(now)
        if self._quiet is not None and (new is None or (failed and new == [])):
            return self._quiet
        update = self._build(new or [], now)
        self._quiet = dataclasses.replace(update, new_cameras=[])
        return update

    def _build(self, new: list[Suspect], now: int) -> WifiUpdate:
        a = self.analyzer
        cameras = [self._view(s) for s in a.suspects.values()]
        nearest = a.nearest()
        walk = a.walk_prompt(now)
        return WifiUpdate(
            new_cameras=[s.to_json(self.start_ns) for s in new], cameras=cameras,
            nearest=self._view(nearest) if nearest is not None else None,
            trend_db=nearest.trend_db() if nearest is not None else 0.0,
            trail=[r for _t, r in list(nearest.trail)[-TRAIL_SHOWN:]] if nearest else [],
            walk_for=walk.name if walk is not None else None, text=self.status_text(nearest))

    def _deliver(self, frames: list[WifiFrame], dwell: Dwell) -> None:
        self.frames_heard += len(frames)
        if frames and self.on_frames is not None:
            self.on_frames(frames)
        self.analyzer.add(frames, [dwell])

    def _view(self, s: Suspect) -> WifiView:
        rssi = s.trail[-1][1] if s.trail else s.features.rssi_dbm
        return WifiView(s.name, str(s.verdict.device_class), s.verdict.score, rssi,
                        s.proximity(), s.to_json(self.start_ns))

    def status_text(self, nearest: Suspect | None) -> str:
        if self.error is not None:
            return "WIFI FAILED"
        if nearest is None:
            return f"WIFI {len(self.analyzer.heard)} ch"
        rssi = nearest.trail[-1][1] if nearest.trail else nearest.features.rssi_dbm
        level = f" {rssi:.0f}dBm" if rssi is not None else ""
        return f"WIFI CAM {nearest.name[-5:]}{level}"

    def close(self) -> None:
        self.source.close()
