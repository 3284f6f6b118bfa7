"""The sweep loop: owns the devices, feeds the inspection machine and carries out what
it asks. The same on the Pi, in simulation and on a recording; what differs (how frames
arrive, the radio, the clock) comes with the backend's Session (backends.py).

Each turn takes one frame (or none, when none came in time): lens detection on it, then
the radio, the buttons and a tick of the machine, whose outputs become event-log lines,
logbook records with evidence, sounds and screens. The screen is redrawn at the
display's rate and at once when the alert level changes. A part that fails becomes a
fault on the screen and the buzzer; the rest goes on.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from detector.backends import FrameObserver, Session
from detector.capture import capture_frames
from detector.evidence import EvidenceKeeper
from detector.feeds import END, NOTHING, ScreenWorker
from detector.fusion import LensTrackView, Level, RfView
from detector.hw.camera import Frame
from detector.hw.lights import LightSequencer
from detector.inspection import BufferedSink, Inspection, RecordSink
from detector.locations import QrReader
from detector.optics import LensDetector, SetResult
from detector.recording import RecordingWriter
from detector.session.inputs import (
    CameraGeometry,
    Event,
    LensUpdate,
    Record,
    RfUpdate,
    Sound,
    Tick,
)
from detector.session.machine import InspectionMachine
from detector.session.status import LiveStatus
from detector.ui.screens import live_view, menu_screen, result_screen
from detector.ui.sounds import AlertSounder
from detector.ui.view import ViewTone

QR_EVERY = 3  # frames between QR attempts (the detector costs a few ms at 1280x720)
RESULT_SCREENS = 10  # the result screen stays up this many display refreshes
FLUSH_RETRY_NS = 1_000_000_000  # records the disk refused are retried once a second
DRAW_SLACK_NS = 2_000_000  # so frame-time jitter never skips a refresh


@dataclass
class RunFigures:
    """What the loop counted, for the command line, benchmarks and evaluation."""

    frames: int = 0
    labels: Counter = field(default_factory=Counter)
    screens: int = 0
    dropped: int = 0
    wall_s: float = 0.0
    alert_latency_ms: list[float] = field(default_factory=list)
    buzzer_events: list[tuple[int, float]] = field(default_factory=list)
    frame_t_ns: dict[int, int] = field(default_factory=dict)
    track_histories: list[list[tuple]] = field(default_factory=list)
    track_ids: list[int] = field(default_factory=list)  # the tracker's id of each history
    lens_stats: dict[str, int] = field(default_factory=dict)
    rf_stats: dict[str, Any] = field(default_factory=dict)
    wifi_stats: dict[str, Any] = field(default_factory=dict)


@dataclass
class SweepOutcome:
    """The inspection and its alerts, the loop's counts, and what could not be stored."""

    inspection: Inspection
    fused_alerts: list[dict[str, Any]]
    lens_alerts: list[dict[str, Any]]
    rf_alerts: list[dict[str, Any]]
    wifi_alerts: list[dict[str, Any]]
    peak_level: Level
    start_ns: int
    end_ns: int
    figures: RunFigures
    camera: CameraGeometry
    simulated: bool = False
    unsaved_records: int = 0  # records the sink still refused at the end (disk full)
    log_error: str | None = None


@dataclass
class LoopOptions:
    draw: bool = True  # False: no screens at all (evaluation)
    out_dir: Path | None = None  # events.jsonl
    record: RecordingWriter | None = None
    observers: list[FrameObserver] = field(default_factory=list)  # every frame, first
    progress: Any = None  # callback(seconds since start on the session clock, figures)


class SweepLoop:
    """Owns the session's devices, the lens detector, the record sink, the screen and the
    buzzer for one sweep, and runs the machine until the inspection ends or the frames
    do."""

    def __init__(self, session: Session, machine: InspectionMachine, lens: LensDetector,
                 sink: RecordSink, options: LoopOptions) -> None:
        self.session = session
        self.devices = session.devices
        self.clock = session.devices.clock
        self.radio = session.radio
        self.wifi = session.wifi
        if self.wifi is not None and options.record is not None:
            self.wifi.on_frames = options.record.add_wifi
        self.machine = machine
        self.lens = lens
        self.sink = BufferedSink(sink)
        self.options = options
        self.sounder = AlertSounder(self.devices.buzzer)
        self.evidence = EvidenceKeeper(lens)
        self.view_tone = ViewTone()
        self.qr = QrReader()
        self.figures = RunFigures()
        self.start_ns = machine.start_ns
        self.events = None
        self.display_failed: str | None = None
        self.screen_worker: ScreenWorker | None = None
        self.last_frame: Frame | None = None
        self.dropped = 0
        self._next_draw_ns: int | None = None
        self._next_flush_ns = 0
        self._rf_alerts_seen = 0

    # ---- the loop -----------------------------------------------------------------------
    def run(self, check_in: Any = None) -> SweepOutcome:
        opts = self.options
        if opts.out_dir is not None:
            opts.out_dir.mkdir(parents=True, exist_ok=True)
            self.events = open(opts.out_dir / "events.jsonl", "w", encoding="utf-8")
        self.machine.start(self.start_ns, check_in)
        self._carry_out()
        frames = capture_frames(self.devices.camera, self.devices.lights,
                                LightSequencer(self.lens.pattern))
        feed = self.session.feed(frames)
        if feed.threaded and opts.draw:
            self.screen_worker = ScreenWorker(self.devices.display.show)
        started = time.perf_counter()
        try:
            self.devices.camera.start()
            feed.start()
            while not self.machine.finished:
                item = feed.get(0.05)
                if item is END:
                    break
                arrived = time.perf_counter()
                self.dropped = feed.dropped
                if item is not NOTHING:
                    self._on_frame(item)
                self._turn(arrived if item is not NOTHING else None)
                if opts.progress is not None:
                    opts.progress((self.clock.monotonic_ns() - self.start_ns) / 1e9, self)
            if feed.error is not None:
                self._log(self.clock.monotonic_ns(), "camera_error", error=str(feed.error))
        finally:
            feed.stop()
            if self.screen_worker is not None:
                self.screen_worker.close()
            self.figures.dropped = feed.dropped
            self.figures.wall_s = time.perf_counter() - started
            outcome = self._finish()
        return outcome

    def _on_frame(self, frame: Frame) -> None:
        now = self.clock.monotonic_ns()
        self.machine.on_frame(now)
        fig = self.figures
        fig.frames += 1
        fig.labels[frame.lights] += 1
        fig.frame_t_ns[frame.index] = frame.t_ns
        self.last_frame = frame
        self.evidence.add_frame(frame)
        for observe in self.options.observers:
            observe(frame)
        if self.options.record is not None:
            self.options.record.add_frame(frame)
        if self.machine.scanning_qr and frame.index % QR_EVERY == 0:
            self.machine.on_qr(self.qr.read(frame.image), now)
        result = self.lens.add_frame(frame)
        if result is not None:
            self.machine.on_lens(self._lens_update(result), now)
        self._carry_out()

    def _lens_update(self, result: SetResult) -> LensUpdate:
        tracker = self.lens.tracker
        index = result.frame_set.index
        views = [LensTrackView(t.id, t.x, t.y, t.score, len(t.hits), t.confirmed,
                               t.hits[-1].t_ns)
                 for t in (tracker.tracks if tracker is not None else [])
                 if t.hits and t.hits[-1].index == index]
        m = result.motion
        if self.wifi is not None and m.reliable:  # the motion test's series
            self.wifi.add_motion(result.frame_set.t_ns, math.hypot(m.dx, m.dy))
        return LensUpdate(result.frame_set.t_ns, (m.dx, m.dy, m.reliable), views,
                          [a.to_json() for a in result.alerts], self.lens.markers())

    def _turn(self, arrived: float | None) -> None:
        now = self.clock.monotonic_ns()
        if self.radio is not None:
            self._poll_radio(now)
        if self.wifi is not None:
            self.machine.on_wifi(self.wifi.poll(now), now)
        for press in self.devices.buttons.poll():
            self.machine.on_press(press, now)
        self._carry_out()
        if self.machine.finished:
            return
        tick = self.machine.tick(now, self._device_faults(now))
        # The inspector first: buzzer and screen, then the records and their evidence
        # files (PNG snapshots take longer than a redraw).
        b = tick.buzzer
        self.sounder.tick(now, camera_likely=b.camera_likely, faults=b.faults,
                          rf_active=b.rf_active, proximity=b.proximity)
        self._maybe_draw(now, tick, fresh=arrived is not None)
        if tick.redraw_now and arrived is not None and tick.raised:
            self.figures.alert_latency_ms.append((time.perf_counter() - arrived) * 1000.0)
        self._carry_out()

    def _poll_radio(self, now: int) -> None:
        radio = self.radio
        readings = radio.poll()
        self.evidence.add_rf(readings)
        if self.options.record is not None:
            for reading in readings:
                self.options.record.add_rf(reading)
        a = radio.analyzer
        new = [alert.to_json() for alert in a.alerts[self._rf_alerts_seen:]]
        self._rf_alerts_seen = len(a.alerts)
        active = list(a.active.values())
        self.machine.on_rf(RfUpdate(
            readings=len(readings), new_alerts=new,
            active=[RfView(x.band, x.kind, x.level_dbm, x.start_ns, x.evidence) for x in active],
            active_json=[x.to_json() for x in active], proximity=a.proximity), now)

    def _device_faults(self, now: int) -> list[str]:
        """The loop's own faults: records the disk refused (retried once a second), a dead
        display or buzzer."""
        if self.sink.pending and now >= self._next_flush_ns:
            self._next_flush_ns = now + FLUSH_RETRY_NS
            self.sink.flush()
        faults = []
        if self.sink.error:
            faults.append("LOG WRITE FAILED")
        if self.display_failed:
            faults.append("DISPLAY FAILED")
        if self.sounder.failed:
            faults.append("BUZZER FAILED")
        if self.wifi is not None and self.wifi.error:
            faults.append("WIFI FAILED")
        return faults

    # ---- carrying out the machine's outputs -------------------------------------------------
    def _carry_out(self) -> None:
        for output in self.machine.take_outputs():
            if isinstance(output, Event):
                self._write_event(output)
            elif isinstance(output, Record):
                self._store(output)
            elif isinstance(output, Sound):
                if output.name == "lens-confirmed":
                    self.sounder.lens_confirmed()
                elif output.name == "mute":
                    self.sounder.set_muted(output.on)

    def _log(self, at_ns: int, event: str, **data: Any) -> None:
        self._write_event(Event(at_ns, event, data))

    def _write_event(self, event: Event) -> None:
        if self.events is not None:
            t_s = (event.t_ns - self.start_ns) / 1e9
            self.events.write(json.dumps({"t_s": round(t_s, 4), "event": event.name,
                                          **event.data}, default=str) + "\n")

    def _store(self, record: Record) -> None:
        blobs = []
        wanted = record.evidence
        if wanted is not None and (self.options.draw or wanted.frames):
            now = self.clock.monotonic_ns()
            blobs = self.evidence.blobs(self._status(now, [], self.evidence.view(), 0), wanted)
            if record.kind == "finding":
                self._log(now, "evidence", files=[role for role, _t, _d in blobs])
        if not self.sink.append(record.kind, record.data, blobs):
            self._log(self.clock.monotonic_ns(), "log_error", error=self.sink.error)

    # ---- the screen ----------------------------------------------------------------------------
    def _maybe_draw(self, now: int, tick: Tick, fresh: bool) -> None:
        """Redraw at the display's rate (on frame times when frames come, so simulated
        runs draw the same frames every time; on the clock while none come), and at once
        when the alert level changes."""
        if not self.options.draw or self.display_failed:
            return
        at = self.last_frame.t_ns if fresh and self.last_frame is not None else now
        if not tick.redraw_now and self._next_draw_ns is not None and at < self._next_draw_ns:
            return
        if fresh and self.machine.controller.screen == "live" and self.evidence.view() is None:
            return  # frames are coming but none shows the room yet (the first are mixed)
        self._next_draw_ns = at + int(self.session.display_period_s * 1e9) - DRAW_SLACK_NS
        try:
            image = self._screen(now, tick.faults)
            if self.screen_worker is not None:
                self.screen_worker.submit(image)
            else:
                self.devices.display.show(image)
            self.figures.screens += 1
        except Exception as exc:  # noqa: BLE001 - a dead display must not stop the sweep
            self.display_failed = str(exc)
            self._log(now, "display_error", error=str(exc))

    def _screen(self, now: int, faults: list[str]) -> Image.Image:
        display = self.devices.display
        size, mode = display.size, display.mode
        status = None
        view = None
        if self.machine.shows_camera:
            view = self.evidence.view()
            status = self._status(now, faults, view, self.dropped)
        content = self.machine.screen(status)
        if content.kind == "live":
            assert content.status is not None
            image = (self.view_tone.apply(view[0]) if view is not None
                     else np.zeros((9, 16), np.uint8))
            return live_view(image, content.status, size, mode)
        if content.kind == "result":
            return result_screen(content.result, list(content.lines), size=size, mode=mode)
        return menu_screen(content.title, list(content.items), content.selected, size, mode)

    def _status(self, now: int, faults: list[str], view: tuple[Any, int] | None,
                dropped: int) -> LiveStatus:
        """The machine's status with what only the devices know."""
        radio = self.radio
        return self.machine.status(
            now, lights=self.last_frame.lights if self.last_frame else "",
            frame_index=view[1] if view is not None else 0, dropped=dropped, faults=faults,
            rf_text=radio.status_text() if radio is not None else "RF none",
            rf_bars=radio.bars() if radio is not None else {})

    # ---- the end --------------------------------------------------------------------------------
    def _finish(self) -> SweepOutcome:
        now = self.clock.monotonic_ns()
        fig = self.figures
        fig.lens_stats = dict(vars(self.lens.stats()))
        inspection = self.machine.finish(now, {"frames": fig.frames, "screens": fig.screens,
                                               "lens": dict(fig.lens_stats)})
        self._carry_out()
        tracks = self.lens.tracks()
        fig.track_histories = [t.history for t in tracks]
        fig.track_ids = [t.id for t in tracks]
        if self.radio is not None:
            fig.rf_stats = self.radio.stats
        if self.wifi is not None:
            fig.wifi_stats = {"frames": self.wifi.frames_heard, "error": self.wifi.error,
                              "channels_heard": len(self.wifi.analyzer.heard)}
        if self.options.draw and not self.display_failed:
            for _ in range(RESULT_SCREENS):
                try:
                    self.devices.display.show(self._screen(now, []))
                    fig.screens += 1
                except Exception:  # noqa: BLE001 - nothing left to tell it to
                    break
        self.sounder.tick(now)
        fig.buzzer_events = list(self.sounder.history)
        self.sink.close()
        if self.events is not None:
            self.events.close()
        m = self.machine
        return SweepOutcome(inspection=inspection, fused_alerts=m.fused_alerts,
                            lens_alerts=m.lens_alerts, rf_alerts=m.rf_alerts,
                            wifi_alerts=m.wifi_alerts,
                            peak_level=m.peak_level, start_ns=self.start_ns, end_ns=now,
                            figures=fig, camera=m.camera, simulated=self.session.simulated,
                            unsaved_records=len(self.sink.pending), log_error=self.sink.error)
