"""Optical and RF evidence -> one alert level, with hysteresis, and the alerts it raises.

Levels, lowest first (docs/sweep.md gives the reasons):
- clear: nothing;
- rf-activity: an RF alert is active (a transmitter the door baseline did not have);
- lens-candidate: a lens-like track seen in at least `candidate_min_hits` frame sets with
  evidence of at least `candidate_score`, within the last `candidate_hold_s`;
- lens-confirmed: a lens alert (the tracker's confirmation rule) seen within the last
  `confirmed_hold_s`;
- camera-likely: an analog video carrier (a continuous carrier on a video channel is a
  camera by itself); a Wi-Fi camera identified by its traffic (wifi/classify.py); a
  confirmed lens while RF proximity rose by `rising_proximity` within `rising_window_s`
  (the inspector walked toward it and the radio got louder), or while an identified
  Wi-Fi camera is heard louder than `wifi_near_dbm` (it is close, as the lens is).

A higher level is taken at once. A lower one only after the evidence has stayed below
the current level for `fall_hold_s`, so a lens that flickers out of view for a set does
not make the screen and buzzer flap. Camera-likely stays until the inspector
acknowledges it. Each rise to rf-activity, lens-confirmed or camera-likely for a new
cause raises a FusedAlert that carries the evidence.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, ClassVar

from detector.config import Section

ANALOG_VIDEO_BANDS = ("analog-5g8", "analog-2g4", "analog-1g2")


class Level(IntEnum):
    CLEAR = 0
    RF_ACTIVITY = 1
    LENS_CANDIDATE = 2
    LENS_CONFIRMED = 3
    CAMERA_LIKELY = 4

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")


@dataclass(frozen=True)
class FusionParams(Section):
    """The [fusion] section: when lens and RF evidence raise and lower each alert level
    (defaults.toml explains every key)."""

    SECTION: ClassVar[str] = "fusion"
    candidate_score: float
    candidate_min_hits: int
    candidate_hold_s: float
    confirmed_hold_s: float
    rising_window_s: float
    rising_proximity: float
    fall_hold_s: float
    wifi_near_dbm: float


@dataclass(frozen=True)
class LensTrackView:
    """What fusion needs of one lens track after a frame set."""

    track_id: int
    x: float
    y: float
    score: float
    hits: int
    confirmed: bool
    last_t_ns: int


@dataclass(frozen=True)
class RfView:
    """What fusion needs of one active RF alert."""

    band: str
    kind: str
    level_dbm: float
    start_ns: int
    evidence: dict[str, Any]


@dataclass(frozen=True)
class WifiView:
    """What fusion needs of one Wi-Fi device identified as a camera."""

    address: str
    device_class: str
    score: float
    rssi_dbm: float | None
    proximity: float  # 0-1 from its RSSI trail
    evidence: dict[str, Any]


@dataclass
class FusedAlert:
    id: int
    level: Level
    t_ns: int
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)
    acknowledged_ns: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "level": self.level.label, "t_ns": self.t_ns,
                "reason": self.reason, "evidence": self.evidence,
                "acknowledged_ns": self.acknowledged_ns}


class Fusion:
    """Owns the alert level of a sweep: the lens tracks seen (candidates and confirmed),
    the active RF alerts and the recent proximity trace, the alerts raised (one per
    cause), and the camera-likely alarm awaiting acknowledgement."""

    def __init__(self, params: FusionParams | None = None) -> None:
        self.p = params or FusionParams.defaults()
        self.level = Level.CLEAR
        self.alerts: list[FusedAlert] = []
        self.lens_seen: dict[int, LensTrackView] = {}  # confirmed tracks, latest view
        self.lens_alert_json: dict[int, dict[str, Any]] = {}
        self.candidates: dict[int, LensTrackView] = {}
        self.rf: list[RfView] = []  # the active RF alerts (a band can hold several)
        self.proximity: deque[tuple[int, float]] = deque()
        self.wifi: dict[str, WifiView] = {}
        self._below_since: int | None = None
        self._raised: set[str] = set()  # causes that already raised an alert
        self._likely_open: FusedAlert | None = None  # camera-likely awaiting acknowledgement

    # ---- inputs ------------------------------------------------------------------------
    def add_lens(self, tracks: list[LensTrackView],
                 new_alerts: list[dict[str, Any]] = ()) -> None:  # type: ignore[assignment]
        for alert in new_alerts:
            self.lens_alert_json[alert["track"]] = alert
        for track in tracks:
            if track.confirmed:
                self.lens_seen[track.track_id] = track
                self.candidates.pop(track.track_id, None)
            elif track.hits >= self.p.candidate_min_hits and track.score >= self.p.candidate_score:
                self.candidates[track.track_id] = track

    def set_rf(self, active: list[RfView], proximity: float, t_ns: int) -> None:
        self.rf = list(active)
        self.proximity.append((t_ns, proximity))
        while self.proximity and t_ns - self.proximity[0][0] > self.p.rising_window_s * 1e9:
            self.proximity.popleft()

    def set_wifi(self, cameras: list[WifiView]) -> None:
        self.wifi = {c.address: c for c in cameras}

    # ---- evaluation --------------------------------------------------------------------
    def _recent(self, views: dict[int, LensTrackView], hold_s: float,
                now: int) -> list[LensTrackView]:
        return [v for v in views.values() if now - v.last_t_ns <= hold_s * 1e9]

    def _rise(self) -> float:
        if not self.proximity:
            return 0.0
        now_value = self.proximity[-1][1]
        return now_value - min(p for _t, p in self.proximity)

    def raw_level(self, now: int) -> tuple[Level, list[tuple[str, Level, dict[str, Any]]]]:
        """The level the evidence alone supports now, and the causes behind it:
        (cause key, level, evidence) for each thing that would raise an alert."""
        causes: list[tuple[str, Level, dict[str, Any]]] = []
        for rf in self.rf:
            band = rf.band
            causes.append((f"rf:{band}:{rf.start_ns}", Level.RF_ACTIVITY, {"rf": rf.evidence | {
                "band": band, "kind": rf.kind, "level_dbm": round(rf.level_dbm, 1)}}))
            if band in ANALOG_VIDEO_BANDS:
                causes.append((f"likely:{band}", Level.CAMERA_LIKELY,
                               {"rule": "analog video carrier", "rf_band": band,
                                "rf_kind": rf.kind, "level_dbm": round(rf.level_dbm, 1)}))
        for address, wifi in self.wifi.items():
            causes.append((f"likely:wifi:{address}", Level.CAMERA_LIKELY,
                           {"rule": "Wi-Fi camera by its traffic", "wifi": wifi.evidence}))
        near_wifi = [w for w in self.wifi.values()
                     if w.rssi_dbm is not None and w.rssi_dbm >= self.p.wifi_near_dbm]
        level = Level.RF_ACTIVITY if self.rf else Level.CLEAR
        if self._recent(self.candidates, self.p.candidate_hold_s, now):
            level = max(level, Level.LENS_CANDIDATE)
        rise = self._rise()
        for lens in self._recent(self.lens_seen, self.p.confirmed_hold_s, now):
            lens_evidence = {"lens": self.lens_alert_json.get(lens.track_id, {
                "track": lens.track_id, "x": round(lens.x, 1), "y": round(lens.y, 1),
                "score": round(lens.score, 3), "hits": lens.hits})}
            causes.append((f"lens:{lens.track_id}", Level.LENS_CONFIRMED, lens_evidence))
            if self.rf and rise >= self.p.rising_proximity:
                trace = [round(p, 3) for _t, p in self.proximity][-20:]
                causes.append((f"likely:lens{lens.track_id}", Level.CAMERA_LIKELY, {
                    "rule": "confirmed lens with RF rising toward it", **lens_evidence,
                    "rf_bands": sorted({rf.band for rf in self.rf}), "proximity_rise": round(rise, 3),
                    "proximity_trace": trace}))
            elif near_wifi:
                nearest = max(near_wifi, key=lambda w: w.rssi_dbm or -200.0)
                causes.append((f"likely:lens{lens.track_id}", Level.CAMERA_LIKELY, {
                    "rule": "confirmed lens with a Wi-Fi camera close by", **lens_evidence,
                    "wifi_address": nearest.address, "wifi_rssi_dbm": nearest.rssi_dbm}))
        for _key, cause_level, _evidence in causes:
            level = max(level, cause_level)
        return level, causes

    def update(self, now: int) -> list[FusedAlert]:
        """Re-evaluate at time `now`; returns the alerts raised."""
        raw, causes = self.raw_level(now)
        raised = []
        for key, cause_level, evidence in causes:
            if key in self._raised:
                continue
            self._raised.add(key)
            alert = FusedAlert(len(self.alerts) + 1, cause_level, now, _reason(key), evidence)
            self.alerts.append(alert)
            raised.append(alert)
            if cause_level == Level.CAMERA_LIKELY and self._likely_open is None:
                self._likely_open = alert
        floor = Level.CAMERA_LIKELY if self._likely_open is not None else Level.CLEAR
        target = max(raw, floor)
        if target >= self.level:
            self.level, self._below_since = target, None
        elif self._below_since is None:
            self._below_since = now
        elif now - self._below_since >= self.p.fall_hold_s * 1e9:
            self.level, self._below_since = target, None
        return raised

    def acknowledge(self, now: int) -> bool:
        """The inspector acknowledged camera-likely: the insistent alarm may stop. Returns
        whether there was anything to acknowledge."""
        if self._likely_open is None:
            return False
        self._likely_open.acknowledged_ns = now
        self._likely_open = None
        return True

    @property
    def awaiting_ack(self) -> bool:
        return self._likely_open is not None


def _reason(key: str) -> str:
    kind, _, what = key.partition(":")
    if kind == "rf":
        return f"RF transmitter ({what.split(':')[0]})"
    if kind == "lens":
        return f"lens confirmed (track {what})"
    if what.startswith("lens"):
        return f"camera likely: lens {what[4:]} with a transmitter close"
    if what.startswith("wifi:"):
        return f"camera likely (Wi-Fi): {what[5:]}"
    return f"camera likely: analog video carrier ({what})"
