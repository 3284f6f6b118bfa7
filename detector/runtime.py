"""One sweep session: wires camera, lights, RF, lens detection, coverage, fusion, screen,
buzzer, buttons and the record sink together, from check-in to result.

The loop takes one frame at a time (see feeds.py for how frames arrive), polls the
radio and the buttons, feeds the watchdogs, re-evaluates fusion, drives the buzzer and
redraws the screen: at the display's rate, and at once when the alert level changes.
Every part that fails becomes a fault on the screen and the buzzer; the rest goes on.
"""

from __future__ import annotations

import io
import json
import math
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from detector.capture import capture_frames
from detector.config import Config
from detector.feeds import END, NOTHING, LockstepFeed, ScreenWorker, ThreadedFeed
from detector.fusion import Fusion, FusionParams, LensTrackView, Level, RfView
from detector.hw.camera import Frame
from detector.hw.factory import Devices
from detector.hw.lights import LightSequencer
from detector.inspection import (
    Blob,
    BufferedSink,
    Inspection,
    RecordSink,
    ResultRule,
    decide_result,
    utc_now,
)
from detector.locations import Location, Procedure, QrReader
from detector.optics import LensDetector
from detector.optics.coverage import CoverageMap, CoverageParams
from detector.recording import RecordingWriter
from detector.rf.radio import Radio
from detector.ui.menus import Action, Controller
from detector.ui.screens import LiveStatus, live_view, menu_screen, result_screen
from detector.ui.sounds import AlertSounder
from detector.ui.view import ViewTone, brighten, lens_inset, scene_gain
from detector.watchdog import Watchdog, Watchdogs

QR_SCAN_S = 5.0  # how long check-in looks for a sticker
QR_EVERY = 3  # frames between QR attempts (the detector costs a few ms at 1280x720)
RESULT_SCREENS = 10  # the result screen stays up this many display refreshes
SNAPSHOT_SIZE = (640, 480)  # the annotated view kept as evidence


def _png(image: Image.Image | np.ndarray) -> bytes:
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image if image.dtype == np.uint8
                                else (image >> 8).astype(np.uint8))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@dataclass
class SweepOptions:
    inspector: str = "inspector"
    team: str = ""
    location: Location | None = None  # None: check in on the device
    room_type: str = "stall"  # until a location says otherwise
    title: str = ""
    checklist_answer: bool | None = None  # answer every item (simulation, training)
    threaded: bool = False  # camera in its own thread, dropping frames under load
    draw: bool = True  # False: no screens at all (evaluation)
    display_period_s: float = 0.1  # the screen's refresh interval
    out_dir: Path | None = None  # events.jsonl and finding snapshots
    record: RecordingWriter | None = None
    rf_start_ns: int | None = None
    on_frame: Any = None  # callback(frame) for evaluation (truth collection)
    injected: list[Any] = field(default_factory=list)  # sim faults (sim/faults.py)
    realtime: bool = False  # simulation in a window: hold the simulated clock to the wall's
    progress: Any = None  # callback(seconds since start on the session clock, outcome)


@dataclass
class SweepOutcome:
    inspection: Inspection
    frames: int = 0
    labels: Counter = field(default_factory=Counter)
    screens: int = 0
    dropped: int = 0
    wall_s: float = 0.0
    fused_alerts: list[dict[str, Any]] = field(default_factory=list)
    lens_alerts: list[dict[str, Any]] = field(default_factory=list)
    rf_alerts: list[dict[str, Any]] = field(default_factory=list)
    alert_latency_ms: list[float] = field(default_factory=list)
    buzzer_events: list[tuple[int, float]] = field(default_factory=list)
    peak_level: Level = Level.CLEAR
    frame_t_ns: dict[int, int] = field(default_factory=dict)
    truth: dict[str, Any] | None = None  # simulated sweeps: what was really there
    start_ns: int = 0
    end_ns: int = 0
    track_histories: list[list[tuple]] = field(default_factory=list)  # for evaluation
    track_ids: list[int] = field(default_factory=list)  # the tracker's id of each history
    lens_stats: dict[str, int] = field(default_factory=dict)
    rf_stats: dict[str, Any] = field(default_factory=dict)
    unsaved_records: int = 0  # records the sink still refused at the end (disk full)
    log_error: str | None = None


class SweepSession:
    def __init__(self, config: Config, devices: Devices, radio: Radio | None,
                 sink: RecordSink, locations: list[Location],
                 procedures: dict[str, Procedure], options: SweepOptions) -> None:
        self.config = config
        self.devices = devices
        self.clock = devices.clock
        self.radio = radio
        self.sink = BufferedSink(sink)
        self.options = options
        self.procedures = procedures
        pattern = config.get("lights.pattern")
        self.pattern = pattern
        self.lens = LensDetector(config, pattern=pattern)
        self.fusion = Fusion(FusionParams.from_config(config))
        self.coverage_params = CoverageParams.from_config(config)
        self.coverage: CoverageMap | None = None
        self.sounder = AlertSounder(devices.buzzer)
        ins = config.section("inspection")
        self.rule = ResultRule(min_coverage=ins["min_coverage"],
                               max_camera_down=ins["max_camera_down"],
                               require_checklist=ins["require_checklist"])
        w = config.section("watchdog")
        self.watchdogs = Watchdogs(
            Watchdog("camera", "CAMERA STALLED", w["camera_s"]),
            *([Watchdog("rf", "RF OFFLINE", w["rf_s"])] if radio is not None else []))
        self.controller = Controller(locations, {})
        self.inspection: Inspection | None = None
        self.step = 0
        self.qr_until: int | None = None
        self.qr = QrReader()
        self.display_failed: str | None = None
        self.events = None
        self.outcome: SweepOutcome | None = None
        self._next_draw_ns: int | None = None
        self._last_frame: Frame | None = None
        self._open_faults: dict[str, int] = {}
        self._finished = False
        self.recent_frames: deque[Frame] = deque(maxlen=6)
        self.recent_rf: dict[str, deque[dict[str, Any]]] = {}
        self.screen_worker: ScreenWorker | None = None
        self._too_fast = False
        self._next_flush_ns = 0
        self.view_tone = ViewTone()

    # ---- set-up -----------------------------------------------------------------------
    def _log(self, event: str, **data: Any) -> None:
        if self.events is not None:
            t_s = (self.clock.monotonic_ns() - self.start_ns) / 1e9
            self.events.write(json.dumps({"t_s": round(t_s, 4), "event": event, **data},
                                         default=str) + "\n")

    def _check_in(self, location: Location | None) -> None:
        opts = self.options
        room = location.room_type if location else opts.room_type
        self.inspection = Inspection(
            location_id=location.id if location else "",
            location_name=location.name if location else (opts.title or "no location"),
            room_type=room, inspector=opts.inspector, team=opts.team)
        if opts.checklist_answer is not None:
            self.inspection.checklist = {k: opts.checklist_answer
                                         for k in self.inspection.checklist}
        self.controller.checklist = self.inspection.checklist
        procedure = self.procedures[room]
        width, height = self.devices.camera.resolution
        hfov = self.config.get("camera.hfov_deg")
        self.coverage = CoverageMap(width, height, hfov, self.coverage_params,
                                    procedure.yaw_deg, procedure.pitch_deg)
        self.controller.checked_in()
        self._store("inspection-start", {"inspection": self.inspection.id,
                                         "location": self.inspection.location_id,
                                         "location_name": self.inspection.location_name,
                                         "room_type": room, "inspector": opts.inspector,
                                         "team": opts.team, "started": self.inspection.started})
        self._log("checkin", location=self.inspection.location_id, room_type=room)

    def _store(self, kind: str, record: dict[str, Any], blobs: list[Blob] = ()) -> None:
        if not self.sink.append(kind, record, blobs):
            self._log("log_error", error=self.sink.error)

    # ---- the loop -----------------------------------------------------------------------
    def run(self) -> SweepOutcome:
        opts = self.options
        self.start_ns = self.clock.monotonic_ns()
        outcome = self.outcome = SweepOutcome(inspection=None)  # type: ignore[arg-type]
        if opts.out_dir is not None:
            opts.out_dir.mkdir(parents=True, exist_ok=True)
            self.events = open(opts.out_dir / "events.jsonl", "w", encoding="utf-8")
        self._log("start", title=opts.title)
        if opts.location is not None or not self.controller.locations:
            self._check_in(opts.location)
        frames = capture_frames(self.devices.camera, self.devices.lights,
                                LightSequencer(self.pattern))
        if opts.injected:
            from detector.sim.faults import StalledFrames

            frames = StalledFrames(frames, opts.injected, self.start_ns, NOTHING)
        feed = ThreadedFeed(frames) if opts.threaded else LockstepFeed(frames)
        if opts.threaded and opts.draw:
            self.screen_worker = ScreenWorker(self.devices.display.show)
        started = time.perf_counter()
        try:
            self.devices.camera.start()
            feed.start()
            while not self._finished:
                item = feed.get(0.05)
                if item is END:
                    break
                arrived = time.perf_counter()
                if opts.realtime:  # a person is watching: no faster than real time
                    ahead = (self.clock.monotonic_ns() - self.start_ns) / 1e9 - (
                        arrived - started)
                    if ahead > 0:
                        time.sleep(ahead)
                if item is not NOTHING:
                    self._on_frame(item, outcome)
                self._tick(arrived if item is not NOTHING else None, outcome,
                           getattr(feed, "dropped", 0))
                if opts.progress is not None:
                    opts.progress((self.clock.monotonic_ns() - self.start_ns) / 1e9, outcome)
            if isinstance(feed, ThreadedFeed) and feed.error is not None:
                self._log("camera_error", error=str(feed.error))
        finally:
            feed.stop()
            if self.screen_worker is not None:
                self.screen_worker.close()
            outcome.dropped = feed.dropped
            outcome.wall_s = time.perf_counter() - started
            self._finish(outcome)
        return outcome

    def _on_frame(self, frame: Frame, outcome: SweepOutcome) -> None:
        self.watchdogs.feed("camera", self.clock.monotonic_ns())
        outcome.frames += 1
        outcome.labels[frame.lights] += 1
        outcome.frame_t_ns[frame.index] = frame.t_ns
        self._last_frame = frame
        self.recent_frames.append(frame)
        if self.options.on_frame is not None:
            self.options.on_frame(frame)
        if self.options.record is not None:
            self.options.record.add_frame(frame)
        self._inject(frame)
        if self.qr_until is not None:
            self._scan_qr(frame)
        result = self.lens.add_frame(frame)
        if result is None:
            return
        if self.coverage is not None:
            m = result.motion
            self.coverage.update(result.frame_set.t_ns, m.dx, m.dy, m.reliable)
        tracker = self.lens.tracker
        views = [LensTrackView(t.id, t.x, t.y, t.score, len(t.hits), t.confirmed,
                               t.hits[-1].t_ns)
                 for t in (tracker.tracks if tracker is not None else [])
                 if t.hits and t.hits[-1].index == result.frame_set.index]
        new = [a.to_json() for a in result.alerts]
        outcome.lens_alerts.extend(new)
        for alert in new:
            self._log("lens_alert", **alert)
            self.sounder.lens_confirmed()
        self.fusion.add_lens(views, new)

    def _inject(self, frame: Frame) -> None:
        """Simulated faults that act on other parts than the camera (rf-unplug)."""
        scanner = getattr(self.radio, "scanner", None)
        if not self.options.injected or scanner is None:
            return
        t_s = (frame.t_ns - self.start_ns) / 1e9
        scanner.unplugged = any(f.kind == "rf-unplug" and f.active(t_s)
                                for f in self.options.injected)

    def _scan_qr(self, frame: Frame) -> None:
        if frame.index % QR_EVERY:
            return
        found = self.qr.read(frame.image)
        location = next((loc for loc in self.controller.locations if loc.id == found), None)
        if location is not None:
            self.qr_until = None
            self._log("qr", location=location.id)
            self._check_in(location)
        elif self.clock.monotonic_ns() > (self.qr_until or 0):
            self.qr_until = None
            self._log("qr", location=None)

    def _tick(self, arrived: float | None, outcome: SweepOutcome, dropped: int) -> None:
        now = self.clock.monotonic_ns()
        if self.radio is not None:
            readings = self.radio.poll()
            if readings:
                self.watchdogs.feed("rf", now)
                for reading in readings:
                    self.recent_rf.setdefault(reading["source"], deque(maxlen=5)).append(
                        reading)
                if self.options.record is not None:
                    for reading in readings:
                        self.options.record.add_rf(reading)
            a = self.radio.analyzer
            for alert in a.alerts[len(outcome.rf_alerts):]:
                outcome.rf_alerts.append(alert.to_json())
                self._log("rf_alert", **alert.to_json())
            self.fusion.set_rf([RfView(x.band, x.kind, x.level_dbm, x.start_ns, x.evidence)
                                for x in a.active.values()], a.proximity, now)
        for event in self.devices.buttons.poll():
            self._log("button", button=event.button, long=event.long)
            for action in self.controller.press(event):
                self._act(action, now)
        if self._finished:
            return
        faults = self._faults(now)
        too_fast = self.coverage is not None and self.coverage.too_fast(now)
        if too_fast != self._too_fast:
            self._too_fast = too_fast
            rate = self.coverage.rate if self.coverage is not None else math.nan
            self._log("pace_warning" if too_fast else "pace_ok",
                      rate_deg_s=round(rate, 1) if math.isfinite(rate) else None)
        before = self.fusion.level
        raised = self.fusion.update(now) if self.inspection is not None else []
        for alert in raised:
            outcome.fused_alerts.append(alert.to_json())
            self._log("alert", **alert.to_json())
            blobs = (self._evidence(now, frames=False) if alert.level >= Level.LENS_CONFIRMED
                     and self.options.draw else [])
            self._store("alert", {"inspection": self.inspection.id, **alert.to_json()}, blobs)
        outcome.peak_level = max(outcome.peak_level, self.fusion.level)
        self.controller.awaiting_ack = self.fusion.awaiting_ack
        rf_active = self.radio is not None and bool(self.radio.analyzer.active)
        self.sounder.tick(now, camera_likely=self.fusion.awaiting_ack, faults=bool(faults),
                          rf_active=rf_active,
                          proximity=self.radio.analyzer.proximity if rf_active else 0.0)
        changed = self.fusion.level != before or any(
            a.level >= Level.LENS_CONFIRMED for a in raised)
        self._maybe_draw(now, faults, dropped, force=changed, fresh=arrived is not None)
        if changed and arrived is not None and raised:
            outcome.alert_latency_ms.append((time.perf_counter() - arrived) * 1000.0)

    def _faults(self, now: int) -> list[str]:
        if self.sink.pending and now >= self._next_flush_ns:  # retry held records, 1/s
            self._next_flush_ns = now + 1_000_000_000
            self.sink.flush()
        faults = self.watchdogs.faults(now)
        if self.sink.error:
            faults.append("LOG WRITE FAILED")
        if self.display_failed:
            faults.append("DISPLAY FAILED")
        if self.sounder.failed:
            faults.append("BUZZER FAILED")
        for name in set(self._open_faults) - set(faults):
            self._log("fault_end", fault=name)
            if self.inspection is not None:
                self.inspection.faults.append({"fault": name, "from_ns": self._open_faults[name],
                                               "to_ns": now})
            del self._open_faults[name]
        for name in faults:
            if name not in self._open_faults:
                self._open_faults[name] = now
                self._log("fault", fault=name)
        return faults

    # ---- actions ------------------------------------------------------------------------
    def _act(self, action: Action, now: int) -> None:
        self._log("action", action=action.name, value=getattr(action.value, "id", action.value))
        if action.name == "checkin":
            self._check_in(action.value)
        elif action.name == "scan-qr":
            self.qr_until = now + int(QR_SCAN_S * 1e9)
        elif action.name == "mute":
            self.sounder.set_muted(bool(action.value))
        elif action.name == "ack":
            self.fusion.acknowledge(now)
        elif action.name == "next-step":
            self.step += 1
        elif action.name == "checklist" and self.inspection is not None:
            self._store("checklist", {"inspection": self.inspection.id,
                                      "item": action.value[0], "answer": action.value[1]})
        elif action.name == "mark":
            self._mark(action.value, now)
        elif action.name in ("end", "done"):
            self._finished = True

    def _mark(self, verdict: str, now: int) -> None:
        if self.inspection is None:
            return
        frame = self._last_frame
        # What is marked now, else the lenses confirmed in the last second.
        markers = self.lens.markers() or [
            (t.x, t.y, "confirmed") for t in self.lens.tracks()
            if t.confirmed and t.hits and now - t.hits[-1].t_ns < 1_000_000_000]
        target = None
        if markers and frame is not None:  # the marker nearest the centre of the view
            h, w = frame.image.shape[:2]
            target = min(markers, key=lambda m: (m[0] - w / 2) ** 2 + (m[1] - h / 2) ** 2)
        lens = next((a for a in reversed(self.outcome.lens_alerts) if target is not None
                     and abs(a["x"] - target[0]) + abs(a["y"] - target[1]) < 30), None)
        finding: dict[str, Any] = {
            "inspection": self.inspection.id, "t_ns": now, "verdict": verdict,
            "marker": list(target) if target else None, "lens_alert": lens,
            "level": self.fusion.level.label,
            "rf": ([a.to_json() for a in self.radio.analyzer.active.values()]
                   if self.radio is not None else []),
            "rf_proximity": round(self.radio.analyzer.proximity, 3) if self.radio else None,
        }
        blobs = self._evidence(now, frames=True, focus=target[:2] if target else None)
        self.inspection.findings.append(finding)
        self._store("finding", finding, blobs)
        self._log("finding", verdict=verdict, marker=finding["marker"],
                  evidence=[role for role, _t, _d in blobs])

    def _evidence(self, now: int, frames: bool,
                  focus: tuple[float, float] | None = None) -> list[Blob]:
        """Evidence files for an alert or a finding: the annotated view with the lens
        enlarged (on-axis next to off-axis), the frames around it (the last two frame
        sets) and the latest RF spectrum of each receiver."""
        blobs: list[Blob] = []
        view = self._view_frame()
        if view is not None:
            status = self._status(now, [], 0)
            blobs.append(("snapshot", "image/png",
                          _png(self._snapshot(view[0], status, focus))))
        if frames:
            for f in self.recent_frames:
                blobs.append((f"frame {f.index} {f.lights}", "image/png", _png(f.image)))
        if self.recent_rf:
            spectrum = {source: list(readings) for source, readings in self.recent_rf.items()}
            blobs.append(("rf spectrum", "application/json",
                          json.dumps(spectrum, sort_keys=True).encode()))
        return blobs

    def _snapshot(self, frame: np.ndarray, status: LiveStatus,
                  focus: tuple[float, float] | None) -> Image.Image:
        """The live view at evidence size and, below it when a lens is marked, the inset
        of the lens from the set's on-axis and off-axis frames."""
        view = live_view(brighten(frame, scene_gain(frame)), status, SNAPSHOT_SIZE)
        if focus is None:
            confirmed = [(x, y) for x, y, kind in status.markers if kind == "confirmed"]
            focus = confirmed[0] if confirmed else None
        last = self.lens.last
        if focus is None or last is None:
            return view
        inset = lens_inset(last.frame_set.onaxis, last.frame_set.offaxis, *focus)
        out = Image.new("RGB", (view.width, view.height + inset.height + 8), (0, 0, 0))
        out.paste(view, (0, 0))
        out.paste(inset, ((view.width - inset.width) // 2, view.height + 4))
        return out

    def _view_frame(self) -> tuple[np.ndarray, int] | None:
        """The camera picture of the live view and its frame index: the on-axis frame of
        the latest complete set (the markers are in its pixels); before the first set,
        the latest on-axis frame; never a dark, off-axis or mixed one (None until an
        on-axis frame has come)."""
        if self.lens.last is not None:
            fs = self.lens.last.frame_set
            return fs.onaxis, fs.index
        frame = next((f for f in reversed(self.recent_frames) if f.lights == "onaxis"), None)
        return (frame.image, frame.index) if frame is not None else None

    # ---- screen -------------------------------------------------------------------------
    def _status(self, now: int, faults: list[str], dropped: int) -> LiveStatus:
        frame = self._last_frame
        view = self._view_frame()
        lens_count = len(self.outcome.lens_alerts) if self.outcome else 0
        procedure = self.procedures[self.inspection.room_type if self.inspection
                                    else self.options.room_type]
        guide = ""
        if self.inspection is not None:
            guide = (f"{self.step % len(procedure.steps) + 1}/{len(procedure.steps)} "
                     f"{procedure.steps[self.step % len(procedure.steps)]}")
        cov = self.coverage
        return LiveStatus(
            elapsed_s=(now - self.start_ns) / 1e9, lights=frame.lights if frame else "",
            title=self.options.title, frame_index=view[1] if view is not None else 0,
            markers=self.lens.markers(), faults=faults,
            rf_text=self.radio.status_text() if self.radio is not None else "RF none",
            lens_text=f"LENS {lens_count}" if lens_count else "", level=self.fusion.level,
            muted=self.sounder.muted, awaiting_ack=self.fusion.awaiting_ack,
            rf_bars=self.radio.bars() if self.radio is not None else {},
            coverage=cov.coverage if cov else None,
            coverage_map=(cov.swept, cov.required) if cov else None,
            too_fast=cov.too_fast(now) if cov else False, guide=guide, dropped=dropped)

    def _screen(self, now: int, faults: list[str], dropped: int) -> Image.Image:
        display = self.devices.display
        size, mode = display.size, display.mode
        c = self.controller
        if c.screen == "live" or (c.screen == "checkin" and self.qr_until is not None):
            view = self._view_frame()
            image = (self.view_tone.apply(view[0]) if view is not None
                     else np.zeros((9, 16), np.uint8))
            status = self._status(now, faults, dropped)
            if c.screen == "checkin":
                status.guide = "Hold the QR sticker in view"
            return live_view(image, status, size, mode)
        if c.screen == "result":
            return result_screen(*self._result_lines(), size=size, mode=mode)
        return menu_screen(c.title(), c.items(), c.selected, size, mode)

    def _maybe_draw(self, now: int, faults: list[str], dropped: int, force: bool,
                    fresh: bool) -> None:
        """Redraw at the display's rate (on frame times when frames come, so simulated
        runs draw the same frames every time; on the clock while none come), and at once
        when the alert level changes."""
        if not self.options.draw or self.display_failed:
            return
        at = self._last_frame.t_ns if fresh and self._last_frame is not None else now
        if not force and self._next_draw_ns is not None and at < self._next_draw_ns:
            return
        if fresh and self.controller.screen == "live" and self._view_frame() is None:
            return  # frames are coming but none shows the room yet (the first are mixed)
        # A little slack, so frame-time jitter never skips a refresh.
        self._next_draw_ns = at + int(self.options.display_period_s * 1e9) - 2_000_000
        try:
            image = self._screen(now, faults, dropped)
            if self.screen_worker is not None:
                self.screen_worker.submit(image)
            else:
                self.devices.display.show(image)
            self.outcome.screens += 1
        except Exception as exc:  # noqa: BLE001 - a dead display must not stop the sweep
            self.display_failed = str(exc)
            self._log("display_error", error=str(exc))

    # ---- the end --------------------------------------------------------------------------
    def _result_lines(self) -> tuple[str, list[str]]:
        ins = self.inspection
        if ins is None or ins.result is None:
            return "incomplete", ["not checked in"]
        rf = len(self.outcome.rf_alerts)
        lines = [ins.location_name, *ins.reasons,
                 f"coverage {ins.coverage:.0%}, alerts {len(ins.alerts)}, RF {rf}",
                 f"findings {len(ins.findings)}"]
        return ins.result, lines

    def _finish(self, outcome: SweepOutcome) -> None:
        now = self.clock.monotonic_ns()
        if self.inspection is None:
            self._check_in(None)
        ins = self.inspection
        assert ins is not None
        self._faults(now + 1)  # close open fault episodes
        for name, since in self._open_faults.items():
            ins.faults.append({"fault": name, "from_ns": since, "to_ns": now})
        ins.ended = utc_now()
        cov = self.coverage
        ins.coverage = cov.coverage if cov else 0.0
        ins.coverage_map = cov.to_json() if cov else {}
        ins.alerts = list(outcome.fused_alerts)
        span = max(now - self.start_ns, 1)
        down = self.watchdogs["camera"].stalled_ns(now) / span
        ins.result, ins.reasons = decide_result(ins, outcome.peak_level, down, self.rule)
        ins.stats = {"frames": outcome.frames, "screens": outcome.screens,
                     "camera_down_fraction": round(down, 3),
                     "lens": vars(self.lens.stats()), "peak_level": outcome.peak_level.label,
                     "rf_alerts": len(outcome.rf_alerts)}
        self._store("inspection", ins.to_json())
        self._log("end", result=ins.result, reasons=ins.reasons,
                  coverage=round(ins.coverage, 3), frames=outcome.frames)
        outcome.inspection = ins
        outcome.start_ns, outcome.end_ns = self.start_ns, now
        tracks = self.lens.tracks()
        outcome.track_histories = [t.history for t in tracks]
        outcome.track_ids = [t.id for t in tracks]
        outcome.lens_stats = dict(vars(self.lens.stats()))
        if self.radio is not None:
            outcome.rf_stats = dict(getattr(self.radio.client, "stats", {}))
        buzzer_events = getattr(self.devices.buzzer, "events", None)
        if buzzer_events is not None:
            outcome.buzzer_events = list(buzzer_events)
        if self.options.draw and not self.display_failed:
            self.controller.show_result()
            for _ in range(RESULT_SCREENS):
                try:
                    self.devices.display.show(self._screen(now, [], 0))
                    outcome.screens += 1
                except Exception:  # noqa: BLE001 - nothing left to tell it to
                    break
        self.sounder.tick(now)
        self.sink.close()
        outcome.unsaved_records = len(self.sink.pending)
        outcome.log_error = self.sink.error
        if self.events is not None:
            self.events.close()
