"""The `replay` backend: a recorded session played through the sweep loop, its frames
with their recorded labels and times, its RF readings in time order, on a clock that
follows the recording. Only the camera (and with it the radio) can be replayed; the
other parts come from their own backends ([backend], usually sim)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from detector.backends import BuildContext, Builder, Devices, Feed, Session
from detector.config import Config
from detector.errors import DetectorError
from detector.feeds import LockstepFeed
from detector.hw.camera import Camera, Frame
from detector.hw.clock import Clock, SimClock
from detector.recording import WIFI_CAPTURE, Recording, load_recording
from detector.rf.analysis import RfAnalyzer, RfParams
from detector.rf.frontend import FrontEnd
from detector.rf.radio import Radio
from detector.settings import RfSettings

DISPLAY_PERIOD_S = 0.1


class ReplayCamera(Camera):
    """Frames of a recording, in order, with their recorded labels and timestamps; with
    a clock, it moves the clock to each frame's time as it is read."""

    def __init__(self, recording: Recording | str, clock: SimClock | None = None) -> None:
        self.recording = recording if isinstance(recording, Recording) else load_recording(
            recording)
        self.clock = clock
        self._position = 0

    @property
    def resolution(self) -> tuple[int, int]:
        return self.recording.resolution

    def read(self) -> Frame | None:
        if self._position >= len(self.recording.rows):
            return None
        row = self.recording.rows[self._position]
        self._position += 1
        if self.clock is not None:
            self.clock.advance_to(row.t_ns)
        return self.recording.load_frame(row)


class RecordedScanner:
    """The recording's RF readings, handed out as the clock passes them (a scanner
    client: poll, online, stats, close)."""

    def __init__(self, readings: list[dict[str, Any]], clock: Clock) -> None:
        self.pending = sorted(readings, key=lambda r: r["t_ns"])
        self.clock = clock
        self.position = 0
        self.online = True
        self.stats: dict[str, Any] = {"readings": 0}

    def poll(self) -> list[dict[str, Any]]:
        now = self.clock.monotonic_ns()
        start = self.position
        while self.position < len(self.pending) and self.pending[self.position]["t_ns"] <= now:
            self.position += 1
        self.stats["readings"] = self.position
        return [dict(r) for r in self.pending[start:self.position]]

    def close(self) -> None:
        pass


class ReplayRadio(Radio):
    """Recorded readings were corrected when they were recorded: they go to the analysis
    as they are."""

    def poll(self) -> list[dict[str, Any]]:
        readings = self.client.poll()
        for reading in readings:
            self.analyzer.add(reading)
        self.readings += len(readings)
        return readings


class ReplayBuilder(Builder):
    name = "replay"

    def _recording(self, ctx: BuildContext) -> Recording:
        recording = ctx.options.get("recording")
        if recording is None:
            raise DetectorError("the replay camera needs a recorded session directory")
        if not isinstance(recording, Recording):
            recording = ctx.options["recording"] = load_recording(recording)
        return recording

    def prepare(self, ctx: BuildContext) -> Config:
        """The camera takes the recorded device's field of view."""
        hfov = self._recording(ctx).session.get("device", {}).get("hfov_deg")
        return ctx.config.with_values(camera={"hfov_deg": hfov}) if hfov else ctx.config

    def clock(self, ctx: BuildContext) -> Clock:
        rows = self._recording(ctx).rows
        return SimClock(rows[0].t_ns if rows else 1_000_000_000)

    def camera(self, ctx: BuildContext) -> Camera:
        clock = ctx.clock if isinstance(ctx.clock, SimClock) else None
        return ReplayCamera(self._recording(ctx), clock)

    def session(self, ctx: BuildContext, devices: Devices, rf: bool) -> Session:
        recording = self._recording(ctx)
        radio = None
        if rf and recording.rf:
            config = ctx.config
            analyzer = RfAnalyzer(devices.clock.monotonic_ns(), RfSettings.of(config).baseline_s,
                                  RfParams.of(config),
                                  floors=FrontEnd.from_config(config).floors)
            radio = ReplayRadio(RecordedScanner(recording.rf, devices.clock), analyzer)
        name = recording.session.get("scenario") or recording.dir.name
        return Session("replay", devices, feed=_lockstep, config=ctx.config,
                       description=dict(recording.session.get("device", {})),
                       display_period_s=DISPLAY_PERIOD_S, simulated=False, title=str(name),
                       radio=radio, wifi=_wifi(recording, devices.clock.monotonic_ns()))


def _wifi(recording: Recording, start_ns: int) -> Any:
    """The recorded Wi-Fi capture, heard again as the clock passes its frames."""
    capture = recording.dir / WIFI_CAPTURE
    if not capture.exists():
        return None
    from detector.wifi.file_source import CaptureFileSource
    from detector.wifi.monitor import WifiMonitor

    return WifiMonitor(CaptureFileSource.open(capture, start_ns), start_ns)


def _lockstep(frames: Iterator[Frame]) -> Feed:
    return LockstepFeed(frames)


BUILDER = ReplayBuilder()
