"""Scoring a detection run against ground truth, as the scenario format defines it:

- a camera is detected when a confirmed lens alert is raised while its lens projects
  within max(10 px, 1 % of the image width) of the alert's position (in the alert's
  frame); time to alert counts from the first frame in which it is exposed (device
  inside its cone within 3 m, lens in view). An alert raised before that frame, while the
  device is at the fading edge of the cone, counts as 0 s;
- every alert that matches no camera is a false alert; each track alerts once, so this
  counts false alerts once per track;
- a camera never exposed is reported as not exposed and left out of the recall.

RF alerts are credited by emitter (evaluation/attribution.py): a transmitting camera is
RF-detected only by an alert its own power raised; every other RF alert is false, and
says what raised it. Fused alerts are scored by the tracker's own track ids: a
lens-confirmed or camera-likely alert through a lens is true only when that track's alert
matched a camera.

The confirmation rule can be replayed at any threshold from the tracks' histories, which
is how the recall against false-alert curve is drawn without re-running detection.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from detector.evaluation.runs import SweepRun


@dataclass(frozen=True)
class Alert:
    track: int
    index: int
    t_ns: int
    x: float
    y: float
    score: float


@dataclass
class CameraResult:
    id: str
    exposed: bool
    detected: bool = False
    time_to_alert_s: float | None = None
    distance_m: float | None = None  # median device-to-lens distance while exposed


@dataclass
class SweepScore:
    name: str
    seed: int | None
    cameras: list[CameraResult] = field(default_factory=list)
    false_alerts: list[Alert] = field(default_factory=list)
    matched: list[Alert] = field(default_factory=list)  # alerts that matched a camera

    @property
    def exposed(self) -> int:
        return sum(c.exposed for c in self.cameras)

    @property
    def detected(self) -> int:
        return sum(c.detected for c in self.cameras if c.exposed)


def match_radius(width: int) -> float:
    return max(10.0, 0.01 * width)


def alerts_at(run: SweepRun, threshold: float, min_hits: int) -> list[Alert]:
    """The alerts the tracker would have raised with this confirmation threshold, each
    with the tracker's own id of its track."""
    if len(run.track_ids) != len(run.tracks):
        raise ValueError(f"{run.name}: the run does not say which track is which")
    out = []
    for track_id, history in zip(run.track_ids, run.tracks, strict=True):
        for index, t_ns, x, y, score, hits in history:
            if score >= threshold and hits >= min_hits:
                out.append(Alert(track_id, index, t_ns, x, y, score))
                break
    return out


def score_run(run: SweepRun, alerts: list[Alert]) -> SweepScore:
    radius = match_radius(run.width)
    result = SweepScore(run.name, run.seed)
    matched: set[int] = set()
    for cam in run.truth.get("cameras", []):
        where = {int(f[0]): (float(f[1]), float(f[2])) for f in cam["frames"]}
        exposed_frames = sorted(int(f[0]) for f in cam["frames"] if f[3])
        res = CameraResult(cam["id"], exposed=bool(exposed_frames))
        distances = sorted(run.exposure_distance_m.get(cam["id"], {}).values())
        if distances:
            res.distance_m = distances[len(distances) // 2]
        hits = [a for a in alerts if a.index in where
                and math.dist((a.x, a.y), where[a.index]) <= radius]
        matched.update(id(a) for a in hits)
        if hits and res.exposed:
            first = min(hits, key=lambda a: a.t_ns)
            res.detected = True
            exposed_t = run.frame_t_ns[exposed_frames[0]]
            res.time_to_alert_s = max(0.0, (first.t_ns - exposed_t) / 1e9)
        result.cameras.append(res)
    result.false_alerts = [a for a in alerts if id(a) not in matched]
    result.matched = [a for a in alerts if id(a) in matched]
    return result


@dataclass
class RfScore:
    cameras: int = 0  # cameras that transmitted during the run
    detected: int = 0
    false_alerts: int = 0
    missed: list[str] = field(default_factory=list)
    false: list[dict] = field(default_factory=list)  # each with what raised it ("credit")
    credited: bool = True  # False: the run's alerts carry no credit (a recording)


def _on_air(cam: dict, start_ns: int, end_ns: int) -> list[tuple[int, int]]:
    if cam.get("band", "none") == "none":
        return []
    if "tx" in cam:
        return [(int(a), int(b)) for a, b in cam["tx"]]
    return [(start_ns, end_ns)]


def score_rf(run: SweepRun, start_ns: int) -> RfScore:
    """RF scoring by emitter: a camera that transmitted during the run is RF-detected when
    an RF alert is credited to it (its own power raised the alert); an RF alert credited
    to anything else, or to nothing, is false. Runs whose alerts carry no credit (no
    radio field to ask, as in a recording) are marked uncredited and not scored."""
    end_ns = run.end_ns or max(run.frame_t_ns.values(), default=start_ns)
    score = RfScore()
    if any("credit" not in a for a in run.rf_alerts):
        score.credited = False
        return score
    credited = {a["credit"]["emitter"] for a in run.rf_alerts}
    cameras = {c["id"] for c in run.truth.get("cameras", [])}
    for cam in run.truth.get("cameras", []):
        intervals = [(a, b) for a, b in _on_air(cam, start_ns, end_ns)
                     if b > start_ns and a < end_ns]
        if not intervals:
            continue
        score.cameras += 1
        if cam["id"] in credited:
            score.detected += 1
        else:
            score.missed.append(cam["id"])
    for alert in run.rf_alerts:
        if alert["credit"]["emitter"] not in cameras:
            score.false_alerts += 1
            score.false.append(alert)
    return score


@dataclass
class FusedScore:
    """The sweep runtime's output: fused alerts at lens-confirmed or above, the ones that
    point at no camera, camera-likely right and wrong, and the inspection's result."""

    alerts: int = 0
    false_alerts: int = 0
    camera_likely: int = 0
    camera_likely_false: int = 0
    result: str = ""
    has_camera: bool = False


def score_fused(run: SweepRun, lens_score: SweepScore) -> FusedScore:
    """A lens-confirmed or camera-likely alert through a lens is true only when its track
    (the tracker's id) alerted on a camera, as lens scoring decides; a camera-likely alert
    from an analog carrier is true only when an RF alert in that band, open at the time,
    is credited to a camera; one from a Wi-Fi identification only when its address is a
    camera's."""
    true_tracks = {a.track for a in lens_score.matched}
    cameras = {c["id"] for c in run.truth.get("cameras", [])}
    out = FusedScore(result=run.result, has_camera=bool(cameras))
    for alert in run.fused_alerts:
        if alert["level"] not in ("lens-confirmed", "camera-likely"):
            continue
        out.alerts += 1
        evidence = alert["evidence"]
        lens = evidence.get("lens")
        if lens is not None:
            wrong = lens["track"] not in true_tracks
        elif "wifi" in evidence:  # credited by the emitter that sends from its address
            wrong = not any(a["address"] == evidence["wifi"]["address"]
                            and a["credit"]["emitter"] in cameras for a in run.wifi_alerts)
        else:
            wrong = not any(
                rf.get("credit", {}).get("emitter") in cameras
                and rf["band"] == evidence.get("rf_band")
                and rf["start_ns"] <= alert["t_ns"] <= (rf["end_ns"] or alert["t_ns"])
                for rf in run.rf_alerts)
        out.false_alerts += wrong
        if alert["level"] == "camera-likely":
            out.camera_likely += 1
            out.camera_likely_false += wrong
    return out
