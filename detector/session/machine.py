"""The inspection as a state machine: check-in, the sweep, alerts, findings, faults and
the result, driven by plain inputs and answering with plain outputs (session/inputs.py).

It knows no device, no image and no simulator. The loop (detector/loop.py) feeds it lens
results, the radio's state, button presses and the time, and carries out what it asks:
events to log, records to store (with the evidence the loop attaches), sounds, the
buzzer's state and the screen's content. Every rule of what the device does when a lens
is confirmed, a part fails or a button is pressed lives here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from detector.config import Config
from detector.fusion import Fusion, FusionParams, Level
from detector.inspection import Inspection, ResultRule, decide_result, utc_now
from detector.locations import Location, Procedure
from detector.optics.coverage import CoverageMap, CoverageParams
from detector.session.inputs import (
    BuzzerState,
    CameraGeometry,
    Event,
    Evidence,
    LensUpdate,
    Output,
    Record,
    RfUpdate,
    Sound,
    Tick,
    WifiUpdate,
)
from detector.session.menus import Action, Controller, Press
from detector.session.status import LiveStatus, ScreenContent
from detector.watchdog import Watchdog, Watchdogs

QR_SCAN_S = 5.0  # how long check-in looks for a sticker
MARK_RECENT_NS = 1_000_000_000  # a finding marks a lens confirmed this recently
SECOND_NS = 1_000_000_000
TREND_DB = 2.0  # a trail this much louder (quieter) than 3 s before is hotter (colder)


@dataclass(frozen=True)
class MachineSettings:
    """The configuration sections the machine follows."""

    fusion: FusionParams
    coverage: CoverageParams
    rule: ResultRule
    camera_watchdog_s: float
    rf_watchdog_s: float

    @classmethod
    def from_config(cls, config: Config) -> MachineSettings:
        from detector.settings import InspectionSettings, WatchdogSettings

        ins, dogs = InspectionSettings.of(config), WatchdogSettings.of(config)
        return cls(FusionParams.of(config), CoverageParams.of(config),
                   ResultRule(ins.min_coverage, ins.max_camera_down, ins.require_checklist),
                   dogs.camera_s, dogs.rf_s)


@dataclass(frozen=True)
class SessionInfo:
    """Who sweeps what: the inspector and team, the title shown on screen, the room type
    until a location says otherwise, and (simulation, training) an answer given to every
    checklist item."""

    inspector: str = "inspector"
    team: str = ""
    title: str = ""
    room_type: str = "stall"
    checklist_answer: bool | None = None


class InspectionMachine:
    """Owns one inspection from check-in to result: the inspection record, fusion of lens
    and RF evidence into alert levels, the coverage map and pace warning, the menus, the
    watchdogs and fault episodes, findings, and the result rule. Call its `on_*` methods
    with inputs and `tick` once per loop turn; `take_outputs` hands over what to do."""

    def __init__(self, settings: MachineSettings, camera: CameraGeometry,
                 locations: list[Location], procedures: dict[str, Procedure],
                 info: SessionInfo, start_ns: int, rf: bool) -> None:
        self.settings = settings
        self.camera = camera
        self.info = info
        self.procedures = procedures
        self.start_ns = start_ns
        self.rf = rf
        self.fusion = Fusion(settings.fusion)
        self.watchdogs = Watchdogs(
            Watchdog("camera", "CAMERA STALLED", settings.camera_watchdog_s),
            *([Watchdog("rf", "RF OFFLINE", settings.rf_watchdog_s)] if rf else []))
        self.controller = Controller(locations, {})
        self.inspection: Inspection | None = None
        self.coverage: CoverageMap | None = None
        self.step = 0
        self.qr_until: int | None = None
        self.muted = False
        self.finished = False
        self.peak_level = Level.CLEAR
        self.lens_alerts: list[dict[str, Any]] = []
        self.rf_alerts: list[dict[str, Any]] = []
        self.fused_alerts: list[dict[str, Any]] = []
        self.markers: list[tuple[float, float, str]] = []
        self.recent_confirmed: dict[int, tuple[float, float, int]] = {}  # id -> x, y, t
        self.rf_state: RfUpdate | None = None
        self.wifi_state: WifiUpdate | None = None
        self.wifi_alerts: list[dict[str, Any]] = []  # cameras identified by their traffic
        self.faults: list[str] = []
        self._open_faults: dict[str, int] = {}
        self._too_fast = False
        self._outputs: list[Output] = []

    # ---- outputs ----------------------------------------------------------------------
    def take_outputs(self) -> list[Output]:
        """What the loop must do now, in order; each output is handed over once."""
        out, self._outputs = self._outputs, []
        return out

    def _event(self, now: int, name: str, **data: Any) -> None:
        self._outputs.append(Event(now, name, data))

    def _record(self, kind: str, data: dict[str, Any], evidence: Evidence | None = None) -> None:
        self._outputs.append(Record(kind, data, evidence))

    # ---- check-in -----------------------------------------------------------------------
    def start(self, now: int, check_in: Location | None = None) -> None:
        """The sweep begins: check in at once when a location is given or there is no
        list to choose from (else the check-in screen waits for the inspector)."""
        self._event(now, "start", title=self.info.title)
        if check_in is not None or not self.controller.locations:
            self.check_in(check_in, now)

    def check_in(self, location: Location | None, now: int) -> None:
        info = self.info
        room = location.room_type if location else info.room_type
        self.inspection = Inspection(
            location_id=location.id if location else "",
            location_name=location.name if location else (info.title or "no location"),
            room_type=room, inspector=info.inspector, team=info.team)
        if info.checklist_answer is not None:
            self.inspection.checklist = {k: info.checklist_answer
                                         for k in self.inspection.checklist}
        self.controller.checklist = self.inspection.checklist
        procedure = self.procedures[room]
        cam = self.camera
        self.coverage = CoverageMap(cam.width, cam.height, cam.hfov_deg, self.settings.coverage,
                                    procedure.yaw_deg, procedure.pitch_deg)
        self.controller.checked_in()
        ins = self.inspection
        self._record("inspection-start", {
            "inspection": ins.id, "location": ins.location_id,
            "location_name": ins.location_name, "room_type": room,
            "inspector": info.inspector, "team": info.team, "started": ins.started})
        self._event(now, "checkin", location=ins.location_id, room_type=room)

    @property
    def scanning_qr(self) -> bool:
        """Whether the loop should look for a QR sticker in the frames."""
        return self.qr_until is not None

    def on_qr(self, found: str | None, now: int) -> None:
        """A QR attempt: the location id it read, or None."""
        location = next((loc for loc in self.controller.locations if loc.id == found), None)
        if location is not None:
            self.qr_until = None
            self._event(now, "qr", location=location.id)
            self.check_in(location, now)
        elif now > (self.qr_until or 0):
            self.qr_until = None
            self._event(now, "qr", location=None)

    # ---- inputs ---------------------------------------------------------------------------
    def on_frame(self, now: int) -> None:
        """A camera frame arrived (the camera is alive)."""
        self.watchdogs.feed("camera", now)

    def on_lens(self, update: LensUpdate, now: int) -> None:
        if self.coverage is not None:
            dx, dy, reliable = update.motion
            self.coverage.update(update.t_ns, dx, dy, reliable)
        self.markers = update.markers
        for view in update.tracks:
            if view.confirmed:
                self.recent_confirmed[view.track_id] = (view.x, view.y, view.last_t_ns)
        self.lens_alerts.extend(update.new_alerts)
        for alert in update.new_alerts:
            self._event(now, "lens_alert", **alert)
            self._outputs.append(Sound("lens-confirmed"))
        self.fusion.add_lens(update.tracks, update.new_alerts)

    def on_rf(self, update: RfUpdate, now: int) -> None:
        self.rf_state = update
        if update.readings:
            self.watchdogs.feed("rf", now)
        for alert in update.new_alerts:
            self.rf_alerts.append(alert)
            self._event(now, "rf_alert", **alert)
        self.fusion.set_rf(update.active, update.proximity, now)

    def on_wifi(self, update: WifiUpdate, now: int) -> None:
        self.wifi_state = update
        for camera in update.new_cameras:
            self.wifi_alerts.append(camera)
            self._event(now, "wifi_camera", **camera)
        self.fusion.set_wifi(update.cameras)

    def on_press(self, press: Press, now: int) -> None:
        self._event(now, "button", button=press.button, long=press.long)
        for action in self.controller.press(press):
            self._act(action, now)

    # ---- the tick -------------------------------------------------------------------------
    def tick(self, now: int, device_faults: list[str]) -> Tick:
        """Advance to `now`. `device_faults` are the loop's own (log write, display,
        buzzer): they join the watchdogs' on the screen and in the record."""
        faults = self._update_faults(now, device_faults)
        self._update_pace(now)
        before = self.fusion.level
        raised = self.fusion.update(now) if self.inspection is not None else []
        for alert in raised:
            self.fused_alerts.append(alert.to_json())
            self._event(now, "alert", **alert.to_json())
            assert self.inspection is not None
            evidence = Evidence() if alert.level >= Level.LENS_CONFIRMED else None
            self._record("alert", {"inspection": self.inspection.id, **alert.to_json()},
                         evidence)
        self.peak_level = max(self.peak_level, self.fusion.level)
        self.controller.awaiting_ack = self.fusion.awaiting_ack
        rf = self.rf_state
        rf_active = rf is not None and bool(rf.active)
        proximity = rf.proximity if rf is not None and rf_active else 0.0
        wifi = self.wifi_state
        if wifi is not None and wifi.nearest is not None:  # the buzzer follows its trail
            rf_active, proximity = True, max(proximity, wifi.nearest.proximity)
        buzzer = BuzzerState(camera_likely=self.fusion.awaiting_ack, faults=bool(faults),
                             rf_active=rf_active, proximity=proximity)
        changed = self.fusion.level != before or any(
            a.level >= Level.LENS_CONFIRMED for a in raised)
        return Tick(faults, changed, bool(raised), buzzer)

    def _update_faults(self, now: int, device_faults: list[str]) -> list[str]:
        faults = self.watchdogs.faults(now) + list(device_faults)
        for name in set(self._open_faults) - set(faults):
            self._event(now, "fault_end", fault=name)
            if self.inspection is not None:
                self.inspection.faults.append({"fault": name, "from_ns": self._open_faults[name],
                                               "to_ns": now})
            del self._open_faults[name]
        for name in faults:
            if name not in self._open_faults:
                self._open_faults[name] = now
                self._event(now, "fault", fault=name)
        self.faults = faults
        return faults

    def _update_pace(self, now: int) -> None:
        too_fast = self.coverage is not None and self.coverage.too_fast(now)
        if too_fast != self._too_fast:
            self._too_fast = too_fast
            rate = self.coverage.rate if self.coverage is not None else math.nan
            self._event(now, "pace_warning" if too_fast else "pace_ok",
                        rate_deg_s=round(rate, 1) if math.isfinite(rate) else None)

    # ---- actions --------------------------------------------------------------------------
    def _act(self, action: Action, now: int) -> None:
        self._event(now, "action", action=action.name,
                    value=getattr(action.value, "id", action.value))
        if action.name == "checkin":
            self.check_in(action.value, now)
        elif action.name == "scan-qr":
            self.qr_until = now + int(QR_SCAN_S * SECOND_NS)
        elif action.name == "mute":
            self.muted = bool(action.value)
            self._outputs.append(Sound("mute", self.muted))
        elif action.name == "ack":
            self.fusion.acknowledge(now)
        elif action.name == "next-step":
            self.step += 1
        elif action.name == "checklist" and self.inspection is not None:
            self._record("checklist", {"inspection": self.inspection.id,
                                       "item": action.value[0], "answer": action.value[1]})
        elif action.name == "mark":
            self._mark(action.value, now)
        elif action.name in ("end", "done"):
            self.finished = True

    def _mark(self, verdict: str, now: int) -> None:
        if self.inspection is None:
            return
        # What is marked now, else the lenses confirmed in the last second.
        markers = self.markers or [
            (x, y, "confirmed") for x, y, t in self.recent_confirmed.values()
            if now - t < MARK_RECENT_NS]
        target = None
        if markers:  # the marker nearest the centre of the view
            w, h = self.camera.width, self.camera.height
            target = min(markers, key=lambda m: (m[0] - w / 2) ** 2 + (m[1] - h / 2) ** 2)
        lens = next((a for a in reversed(self.lens_alerts) if target is not None
                     and abs(a["x"] - target[0]) + abs(a["y"] - target[1]) < 30), None)
        rf = self.rf_state
        finding: dict[str, Any] = {
            "inspection": self.inspection.id, "t_ns": now, "verdict": verdict,
            "marker": list(target) if target else None, "lens_alert": lens,
            "level": self.fusion.level.label,
            "rf": list(rf.active_json) if rf is not None else [],
            "rf_proximity": (None if not self.rf
                             else round(rf.proximity, 3) if rf is not None else 0.0),
            "wifi": [c.evidence for c in self.wifi_state.cameras] if self.wifi_state else [],
        }
        self.inspection.findings.append(finding)
        self._record("finding", finding,
                     Evidence(frames=True, focus=(target[0], target[1]) if target else None))
        self._event(now, "finding", verdict=verdict, marker=finding["marker"])

    # ---- the screen -----------------------------------------------------------------------
    def status(self, now: int, lights: str = "", frame_index: int = 0,
               dropped: int = 0, faults: list[str] | None = None, rf_text: str = "RF none",
               rf_bars: dict[str, tuple[float, bool]] | None = None) -> LiveStatus:
        """The live view's status: everything it shows besides the camera image. The
        caller adds what only the devices know: the frame's lights and index, dropped
        frames, and the radio's status text and bars."""
        procedure = self.procedures[self.inspection.room_type if self.inspection
                                    else self.info.room_type]
        guide = ""
        if self.inspection is not None:
            steps = procedure.steps
            guide = f"{self.step % len(steps) + 1}/{len(steps)} {steps[self.step % len(steps)]}"
        cov = self.coverage
        lens_count = len(self.lens_alerts)
        wifi = self.wifi_state
        return LiveStatus(
            elapsed_s=(now - self.start_ns) / 1e9, lights=lights, title=self.info.title,
            frame_index=frame_index, markers=list(self.markers),
            faults=list(self.faults if faults is None else faults),
            rf_text=rf_text,
            lens_text=f"LENS {lens_count}" if lens_count else "", level=self.fusion.level,
            muted=self.muted, awaiting_ack=self.fusion.awaiting_ack,
            rf_bars=dict(rf_bars or {}),
            coverage=cov.coverage if cov else None,
            coverage_map=(cov.swept, cov.required) if cov else None,
            too_fast=cov.too_fast(now) if cov else False, guide=guide, dropped=dropped,
            **_wifi_status(wifi))

    @property
    def shows_camera(self) -> bool:
        """Whether the screen now is the live view (or check-in looking for a sticker)."""
        c = self.controller
        return c.screen == "live" or (c.screen == "checkin" and self.qr_until is not None)

    def screen(self, status: LiveStatus | None = None) -> ScreenContent:
        """The screen to draw now; `status` is the live view's, when it shows."""
        c = self.controller
        if self.shows_camera:
            assert status is not None
            if c.screen == "checkin":
                status.guide = "Hold the QR sticker in view"
            return ScreenContent("live", status=status)
        if c.screen == "result":
            result, lines = self._result_lines()
            return ScreenContent("result", result=result, lines=tuple(lines))
        return ScreenContent("menu", title=c.title(), items=tuple(c.items()),
                             selected=c.selected)

    def _result_lines(self) -> tuple[str, list[str]]:
        ins = self.inspection
        if ins is None or ins.result is None:
            return "incomplete", ["not checked in"]
        lines = [ins.location_name, *ins.reasons,
                 f"coverage {ins.coverage:.0%}, alerts {len(ins.alerts)}, RF {len(self.rf_alerts)}"
                 + (f", Wi-Fi cameras {len(self.wifi_alerts)}" if self.wifi_alerts else ""),
                 f"findings {len(ins.findings)}"]
        return ins.result, lines

    # ---- the end ----------------------------------------------------------------------------
    def finish(self, now: int, stats: dict[str, Any]) -> Inspection:
        """Close the inspection: fault episodes, coverage, the result and its reasons; the
        inspection record goes out with `stats` (the loop's counts) in it."""
        if self.inspection is None:
            self.check_in(None, now)
        ins = self.inspection
        assert ins is not None
        # The loop's own faults end with the sweep; a part still silent stays a fault
        # until the end (its episode closes at `now`).
        self._update_faults(now, [])
        for name, since in self._open_faults.items():
            ins.faults.append({"fault": name, "from_ns": since, "to_ns": now})
        ins.ended = utc_now()
        cov = self.coverage
        ins.coverage = cov.coverage if cov else 0.0
        ins.coverage_map = cov.to_json() if cov else {}
        ins.alerts = list(self.fused_alerts)
        span = max(now - self.start_ns, 1)
        down = self.watchdogs["camera"].stalled_ns(now) / span
        ins.result, ins.reasons = decide_result(ins, self.peak_level, down, self.settings.rule)
        ins.stats = {**stats, "camera_down_fraction": round(down, 3),
                     "peak_level": self.peak_level.label, "rf_alerts": len(self.rf_alerts),
                     "wifi_cameras": [c["address"] for c in self.wifi_alerts]}
        self._record("inspection", ins.to_json())
        self._event(now, "end", result=ins.result, reasons=ins.reasons,
                    coverage=round(ins.coverage, 3), frames=stats.get("frames", 0))
        self.controller.show_result()
        self.finished = True
        return ins


def _wifi_status(wifi: WifiUpdate | None) -> dict[str, Any]:
    """The live view's Wi-Fi line: the camera the trail follows, hotter or colder, and
    the walk prompt."""
    if wifi is None:
        return {}
    out: dict[str, Any] = {"wifi_text": wifi.text, "walk_prompt": wifi.walk_for is not None}
    if wifi.nearest is not None:
        out["wifi_trail"] = list(wifi.trail)
        out["wifi_trend"] = ("HOTTER" if wifi.trend_db >= TREND_DB
                             else "COLDER" if wifi.trend_db <= -TREND_DB else "")
    return out
