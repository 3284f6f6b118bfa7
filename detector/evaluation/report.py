"""Aggregating scored sweeps: the totals, per-scenario entries, the threshold curve and
recall by distance band that `detector eval` prints, writes as JSON and plots."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

import numpy as np

from detector.evaluation.runs import SweepRun
from detector.evaluation.scoring import SweepScore, alerts_at, score_run

DISTANCE_BANDS_M = ((0.0, 1.0), (1.0, 2.0), (2.0, 3.0))
CURVE_THRESHOLDS = tuple(round(float(t), 3) for t in np.linspace(0.05, 0.95, 19))

# The lens-detection targets (README "Evaluating detection").
TARGET_RECALL = 0.97
TARGET_FALSE_ALERTS_PER_SWEEP = 0.1
TARGET_MEDIAN_TTA_S = 1.0


@dataclass
class Totals:
    sweeps: int
    cameras_exposed: int
    detected: int
    false_alerts: int
    times: list[float]

    @property
    def recall(self) -> float | None:
        return self.detected / self.cameras_exposed if self.cameras_exposed else None

    @property
    def false_alerts_per_sweep(self) -> float:
        return self.false_alerts / self.sweeps if self.sweeps else 0.0

    @property
    def median_tta(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    def to_json(self) -> dict[str, Any]:
        return {"sweeps": self.sweeps, "cameras_exposed": self.cameras_exposed,
                "detected": self.detected, "recall": _round(self.recall),
                "false_alerts": self.false_alerts,
                "false_alerts_per_sweep": round(self.false_alerts_per_sweep, 4),
                "median_time_to_alert_s": _round(self.median_tta)}


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def totals_of(scores: list[SweepScore]) -> Totals:
    return Totals(sweeps=len(scores), cameras_exposed=sum(s.exposed for s in scores),
                  detected=sum(s.detected for s in scores),
                  false_alerts=sum(len(s.false_alerts) for s in scores),
                  times=[c.time_to_alert_s for s in scores for c in s.cameras
                         if c.detected and c.time_to_alert_s is not None])


def evaluate(runs: list[SweepRun], threshold: float, min_hits: int) -> dict[str, Any]:
    scores = [score_run(run, alerts_at(run, threshold, min_hits)) for run in runs]
    totals = totals_of(scores)
    by_name: dict[str, list[tuple[SweepRun, SweepScore]]] = {}
    for run, score in zip(runs, scores, strict=True):
        by_name.setdefault(run.name, []).append((run, score))
    scenarios = {}
    for name, pairs in by_name.items():
        entry = totals_of([s for _r, s in pairs]).to_json()
        entry["not_exposed"] = sum(not c.exposed for _r, s in pairs for c in s.cameras)
        entry["runs"] = [_run_json(r, s) for r, s in pairs]
        scenarios[name] = entry
    out = {"threshold": threshold, "min_hits": min_hits, "totals": totals.to_json(),
           "targets": _targets(totals), "scenarios": scenarios,
           "curve": [_curve_point(runs, t, min_hits) for t in CURVE_THRESHOLDS],
           "distance_bands": _bands(scores)}
    out["totals"]["not_exposed"] = sum(e["not_exposed"] for e in scenarios.values())
    out["performance"] = {"frames": sum(r.frames for r in runs),
                          "sets": sum(r.sets for r in runs),
                          "mixed_frames_dropped": sum(r.mixed_dropped for r in runs),
                          "wall_s": round(sum(r.wall_s for r in runs), 1),
                          "peak_rss_mb": round(max((r.peak_rss_mb for r in runs), default=0), 1)}
    return out


def _run_json(run: SweepRun, score: SweepScore) -> dict[str, Any]:
    return {"seed": run.seed, "frames": run.frames, "sets": run.sets,
            "cameras": [{"id": c.id, "exposed": c.exposed, "detected": c.detected,
                         "time_to_alert_s": _round(c.time_to_alert_s, 3),
                         "distance_m": _round(c.distance_m, 2)} for c in score.cameras],
            "false_alerts": [{"frame": a.index, "x": round(a.x, 1), "y": round(a.y, 1),
                              "score": round(a.score, 3)} for a in score.false_alerts]}


def _curve_point(runs: list[SweepRun], threshold: float, min_hits: int) -> dict[str, Any]:
    totals = totals_of([score_run(r, alerts_at(r, threshold, min_hits)) for r in runs])
    return {"threshold": threshold, "recall": _round(totals.recall),
            "false_alerts_per_sweep": round(totals.false_alerts_per_sweep, 4)}


def _bands(scores: list[SweepScore]) -> list[dict[str, Any]]:
    out = []
    for lo, hi in DISTANCE_BANDS_M:
        cams = [c for s in scores for c in s.cameras
                if c.exposed and c.distance_m is not None and lo <= c.distance_m < hi + 1e-9]
        detected = sum(c.detected for c in cams)
        out.append({"band_m": [lo, hi], "cameras_exposed": len(cams), "detected": detected,
                    "recall": _round(detected / len(cams)) if cams else None})
    return out


def _targets(totals: Totals) -> dict[str, bool | None]:
    recall, tta = totals.recall, totals.median_tta
    return {"recall": None if recall is None else recall >= TARGET_RECALL,
            "false_alerts_per_sweep":
                totals.false_alerts_per_sweep <= TARGET_FALSE_ALERTS_PER_SWEEP,
            "median_time_to_alert_s": None if tta is None else tta <= TARGET_MEDIAN_TTA_S}


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_table(result: dict[str, Any]) -> str:
    head = (f"{'scenario':<30} {'sweeps':>6} {'exposed':>7} {'detected':>8} {'recall':>6} "
            f"{'false':>5} {'FA/sweep':>8} {'median TTA s':>12}")
    lines = [head, "-" * len(head)]
    rows = list(result["scenarios"].items()) + [("TOTAL", result["totals"])]
    for name, e in rows:
        if name == "TOTAL":
            lines.append("-" * len(head))
        lines.append(f"{name[:30]:<30} {e['sweeps']:>6} {e['cameras_exposed']:>7} "
                     f"{e['detected']:>8} {_fmt(e['recall'], '.3f'):>6} {e['false_alerts']:>5} "
                     f"{e['false_alerts_per_sweep']:>8.3f} "
                     f"{_fmt(e['median_time_to_alert_s'], '.2f'):>12}")
    bands = ", ".join(f"{b['band_m'][0]:g}-{b['band_m'][1]:g} m: "
                      f"{b['detected']}/{b['cameras_exposed']}" for b in result["distance_bands"])
    lines.append(f"recall by distance band: {bands}")
    t = result["targets"]
    marks = ", ".join(f"{k} {'met' if v else ('-' if v is None else 'MISSED')}"
                      for k, v in t.items())
    lines.append(f"targets (recall >= {TARGET_RECALL}, FA/sweep <= "
                 f"{TARGET_FALSE_ALERTS_PER_SWEEP}, median TTA <= {TARGET_MEDIAN_TTA_S} s): "
                 f"{marks}")
    return "\n".join(lines)
