"""Scoring a detection run against ground truth, as the scenario format defines it:

- a camera is detected when a confirmed lens alert is raised while its lens projects
  within max(10 px, 1 % of the image width) of the alert's position (in the alert's
  frame); time to alert counts from the first frame in which it is exposed (device
  inside its cone within 3 m, lens in view). An alert raised before that frame, while the
  device is at the fading edge of the cone, counts as 0 s;
- every alert that matches no camera is a false alert; each track alerts once, so this
  counts false alerts once per track;
- a camera never exposed is reported as not exposed and left out of the recall.

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

    @property
    def exposed(self) -> int:
        return sum(c.exposed for c in self.cameras)

    @property
    def detected(self) -> int:
        return sum(c.detected for c in self.cameras if c.exposed)


def match_radius(width: int) -> float:
    return max(10.0, 0.01 * width)


def alerts_at(run: SweepRun, threshold: float, min_hits: int) -> list[Alert]:
    """The alerts the tracker would have raised with this confirmation threshold."""
    out = []
    for track_id, history in enumerate(run.tracks):
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
    return result
