"""Aggregating scored sweeps: the totals, per-scenario entries, the threshold curve and
recall by distance band that `detector eval` prints, writes as JSON and plots."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

import numpy as np

from detector.evaluation.attribution import raised_at
from detector.evaluation.intervals import poisson_rate, rounded, wilson
from detector.evaluation.runs import SweepRun
from detector.evaluation.scoring import (
    FusedScore,
    RfScore,
    SweepScore,
    alerts_at,
    score_fused,
    score_rf,
    score_run,
)
from detector.evaluation.wifi_scoring import format_wifi, score_wifi, wifi_targets, wifi_totals

DISTANCE_BANDS_M = ((0.0, 1.0), (1.0, 2.0), (2.0, 3.0))
CURVE_THRESHOLDS = tuple(round(float(t), 3) for t in np.linspace(0.05, 0.95, 19))

# The lens-detection targets (README "Evaluating detection").
TARGET_RECALL = 0.97
TARGET_FALSE_ALERTS_PER_SWEEP = 0.1
TARGET_MEDIAN_TTA_S = 1.0
TARGET_RF_RECALL = 0.95
TARGET_RF_FALSE_ALERTS_PER_SWEEP = 0.2


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
                "recall_ci95": rounded(wilson(self.detected, self.cameras_exposed)),
                "false_alerts": self.false_alerts,
                "false_alerts_per_sweep": round(self.false_alerts_per_sweep, 4),
                "false_alerts_per_sweep_ci95": rounded(poisson_rate(self.false_alerts,
                                                                    self.sweeps)),
                "median_time_to_alert_s": _round(self.median_tta)}


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def totals_of(scores: list[SweepScore]) -> Totals:
    return Totals(sweeps=len(scores), cameras_exposed=sum(s.exposed for s in scores),
                  detected=sum(s.detected for s in scores),
                  false_alerts=sum(len(s.false_alerts) for s in scores),
                  times=[c.time_to_alert_s for s in scores for c in s.cameras
                         if c.detected and c.time_to_alert_s is not None])


def rf_totals(scores: list[RfScore], busy: list[bool] | None = None) -> dict[str, Any]:
    """busy: per sweep, whether its room has radios other than cameras (phones, access
    points, Bluetooth): the false-alert rate that the target is about. Sweeps whose
    alerts could not be credited to an emitter (recordings) are counted apart."""
    busy = busy if busy is not None else [True] * len(scores)
    pairs = [(s, b) for s, b in zip(scores, busy, strict=True) if s.credited]
    scored = [s for s, _b in pairs]
    cams = sum(s.cameras for s in scored)
    detected = sum(s.detected for s in scored)
    false = sum(s.false_alerts for s in scored)
    busy_sweeps = sum(b for _s, b in pairs)
    busy_false = sum(s.false_alerts for s, b in pairs if b)
    raised_by: dict[str, int] = {}
    for s in scored:
        for alert in s.false:
            kind = alert["credit"]["kind"]
            raised_by[kind] = raised_by.get(kind, 0) + 1
    return {"rf_cameras_transmitting": cams, "rf_detected": detected,
            "rf_recall": _round(detected / cams) if cams else None,
            "rf_recall_ci95": rounded(wilson(detected, cams)), "rf_false_alerts": false,
            "rf_false_alerts_per_sweep": round(false / len(scored), 4) if scored else 0.0,
            "rf_false_alerts_per_sweep_ci95": rounded(poisson_rate(false, len(scored))),
            "rf_false_alerts_raised_by": dict(sorted(raised_by.items())),
            "rf_sweeps_with_other_radios": busy_sweeps,
            "rf_false_alerts_with_other_radios": busy_false,
            "rf_false_alerts_per_sweep_with_other_radios":
                round(busy_false / busy_sweeps, 4) if busy_sweeps else 0.0,
            "rf_false_alerts_per_sweep_with_other_radios_ci95":
                rounded(poisson_rate(busy_false, busy_sweeps)),
            "rf_sweeps_uncredited": len(scores) - len(scored)}


def fused_totals(scores: list[FusedScore]) -> dict[str, Any]:
    n = len(scores)
    results: dict[str, int] = {}
    for s in scores:
        if s.result:
            results[s.result] = results.get(s.result, 0) + 1
    empty = [s for s in scores if not s.has_camera]
    return {"fused_alerts": sum(s.alerts for s in scores),
            "fused_false_alerts": sum(s.false_alerts for s in scores),
            "fused_false_alerts_per_sweep":
                round(sum(s.false_alerts for s in scores) / n, 4) if n else 0.0,
            "fused_false_alerts_per_sweep_ci95":
                rounded(poisson_rate(sum(s.false_alerts for s in scores), n)),
            "camera_likely": sum(s.camera_likely for s in scores),
            "camera_likely_false": sum(s.camera_likely_false for s in scores),
            "results": results,
            "suspicious_without_camera": sum(s.result in ("suspicious", "device-found")
                                             for s in empty),
            "sweeps_without_camera": len(empty)}


def _busy(run: SweepRun) -> bool:
    return bool(run.truth.get("transmitters"))


def evaluate(runs: list[SweepRun], threshold: float, min_hits: int,
             lens: bool = True, rf: bool = True) -> dict[str, Any]:
    """Lens, RF, fused and Wi-Fi figures over the runs (`lens` and `rf` False for the
    radio-only and Wi-Fi-only runs that do not make them)."""
    scores = [score_run(run, alerts_at(run, threshold, min_hits)) for run in runs]
    wifi_runs = [r for r in runs if r.wifi_truth is not None]
    wifi_scores = {id(r): score_wifi(r.wifi_truth, r.wifi_alerts) for r in wifi_runs}
    rf_scores = [score_rf(run, run.start_ns) for run in runs]
    # Fused alerts come from the runtime, which confirms at the configured threshold:
    # the one `threshold` is (the curve replays others for lens alerts only).
    fused_scores = ([score_fused(run, s) for run, s in zip(runs, scores, strict=True)]
                    if lens else [])
    totals = totals_of(scores)
    by_name: dict[str, list[int]] = {}
    for i, run in enumerate(runs):
        by_name.setdefault(run.name, []).append(i)
    scenarios = {}
    for name, indices in by_name.items():
        entry = totals_of([scores[i] for i in indices]).to_json()
        entry.update(rf_totals([rf_scores[i] for i in indices],
                               [_busy(runs[i]) for i in indices]))
        entry["not_exposed"] = sum(not c.exposed for i in indices for c in scores[i].cameras)
        wifi_here = [wifi_scores[id(runs[i])] for i in indices if id(runs[i]) in wifi_scores]
        if wifi_here:
            entry.update(wifi_totals(wifi_here))
        entry["runs"] = [_run_json(runs[i], scores[i], rf_scores[i]) for i in indices]
        for i, run_entry in zip(indices, entry["runs"], strict=True):
            if fused_scores:  # the sweep's fused alerts at lens-confirmed or above
                f = fused_scores[i]
                run_entry["fused"] = {"alerts": f.alerts, "false": f.false_alerts,
                                      "camera_likely": f.camera_likely}
        scenarios[name] = entry
    rf_all = rf_totals(rf_scores, [_busy(r) for r in runs])
    fused = fused_totals(fused_scores) if lens else {}
    wifi = wifi_totals(list(wifi_scores.values())) if wifi_scores else {}
    targets = _targets(totals, rf_all, lens, rf)
    if wifi:
        targets.update(wifi_targets(wifi))
    out = {"threshold": threshold, "min_hits": min_hits, "lens": lens, "rf": rf,
           "totals": {**totals.to_json(), **(rf_all if rf else {}), **fused, **wifi},
           "targets": targets, "scenarios": scenarios,
           "curve": [_curve_point(runs, t, min_hits) for t in CURVE_THRESHOLDS] if lens else [],
           "distance_bands": _bands(scores)}
    out["totals"]["not_exposed"] = sum(e["not_exposed"] for e in scenarios.values())
    out["performance"] = {"frames": sum(r.frames for r in runs),
                          "sets": sum(r.sets for r in runs),
                          "mixed_frames_dropped": sum(r.mixed_dropped for r in runs),
                          "frames_mislabelled": sum(r.mislabelled for r in runs),
                          "wall_s": round(sum(r.wall_s for r in runs), 1),
                          "peak_rss_mb": round(max((r.peak_rss_mb for r in runs), default=0), 1)}
    return out


def _run_json(run: SweepRun, score: SweepScore, rf: RfScore) -> dict[str, Any]:
    return {"seed": run.seed, "frames": run.frames, "sets": run.sets,
            "rf_alerts": [{"band": a["band"], "kind": a["kind"],
                           "raised_at_mhz": round(raised_at(a) / 1e6, 1),
                           "start_s": round((a["start_ns"] - run.start_ns) / 1e9, 2),
                           "end_s": None if a["end_ns"] is None
                           else round((a["end_ns"] - run.start_ns) / 1e9, 2),
                           # what raised it: the emitter's id and kind, and its share
                           **({"raised_by": a["credit"]} if "credit" in a else {})}
                          for a in run.rf_alerts],
            "rf_missed": rf.missed, "rf_false_alerts": len(rf.false),
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


def _targets(totals: Totals, rf: dict[str, Any], lens: bool,
             with_rf: bool = True) -> dict[str, bool | None]:
    recall, tta = totals.recall, totals.median_tta
    out: dict[str, bool | None] = {}
    if lens:
        out["recall"] = None if recall is None else recall >= TARGET_RECALL
        out["false_alerts_per_sweep"] = (totals.false_alerts_per_sweep
                                         <= TARGET_FALSE_ALERTS_PER_SWEEP)
        out["median_time_to_alert_s"] = None if tta is None else tta <= TARGET_MEDIAN_TTA_S
    if not with_rf:
        return out
    out["rf_recall"] = None if rf["rf_recall"] is None else rf["rf_recall"] >= TARGET_RF_RECALL
    out["rf_false_alerts_per_sweep"] = (rf["rf_false_alerts_per_sweep_with_other_radios"]
                                        <= TARGET_RF_FALSE_ALERTS_PER_SWEEP)
    return out


def format_interval(interval: list[float] | None) -> str:
    return "-" if interval is None else f"{interval[0]:.3f}-{interval[1]:.3f}"


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_table(result: dict[str, Any]) -> str:
    with_rf = result.get("rf", True)
    with_wifi = "wifi_recall" in result["totals"]
    head = (f"{'scenario':<30} {'sweeps':>6} {'exposed':>7} {'detected':>8} {'recall':>6} "
            f"{'false':>5} {'FA/sweep':>8} {'med TTA s':>9}"
            + (f"  {'RF tx':>5} {'RF det':>6} {'RF FA':>5}" if with_rf else "")
            + (f"  {'WiFi cam':>8} {'ident':>5} {'WiFi FA':>7}" if with_wifi else ""))
    lines = [head, "-" * len(head)]
    rows = list(result["scenarios"].items()) + [("TOTAL", result["totals"])]
    for name, e in rows:
        if name == "TOTAL":
            lines.append("-" * len(head))
        line = (f"{name[:30]:<30} {e['sweeps']:>6} {e['cameras_exposed']:>7} "
                f"{e['detected']:>8} {_fmt(e['recall'], '.3f'):>6} {e['false_alerts']:>5} "
                f"{e['false_alerts_per_sweep']:>8.3f} "
                f"{_fmt(e['median_time_to_alert_s'], '.2f'):>9}")
        if with_rf:
            line += (f"  {e['rf_cameras_transmitting']:>5} {e['rf_detected']:>6} "
                     f"{e['rf_false_alerts']:>5}")
        if with_wifi:
            line += (f"  {e.get('wifi_cameras_heard', 0):>8} {e.get('wifi_detected', 0):>5} "
                     f"{e.get('wifi_false_alerts', 0):>7}")
        lines.append(line)
    t = result["totals"]
    if result.get("lens", True):
        lines.append(f"lens: recall {_fmt(t['recall'], '.3f')} ({t['detected']} of "
                     f"{t['cameras_exposed']}, 95 % {format_interval(t['recall_ci95'])}); "
                     f"{t['false_alerts_per_sweep']:.3f} false alerts per sweep "
                     f"({t['false_alerts']} in {t['sweeps']}, 95 % "
                     f"{format_interval(t['false_alerts_per_sweep_ci95'])})")
        bands = ", ".join(f"{b['band_m'][0]:g}-{b['band_m'][1]:g} m: "
                          f"{b['detected']}/{b['cameras_exposed']}"
                          for b in result["distance_bands"])
        lines.append(f"lens recall by distance band: {bands}")
    if with_wifi:
        lines.append(format_wifi(t))
    if not with_rf:
        return _closing(result, lines)
    raised = ", ".join(f"{k} {v}" for k, v in t["rf_false_alerts_raised_by"].items())
    lines.append(f"RF (credited by emitter): {t['rf_detected']}/{t['rf_cameras_transmitting']} "
                 f"transmitting cameras detected (recall {_fmt(t['rf_recall'], '.3f')}, 95 % "
                 f"{format_interval(t['rf_recall_ci95'])}), {t['rf_false_alerts']} RF false alerts, "
                 f"{t['rf_false_alerts_per_sweep']:.3f} per sweep (95 % "
                 f"{format_interval(t['rf_false_alerts_per_sweep_ci95'])}); "
                 f"{t['rf_false_alerts_per_sweep_with_other_radios']:.3f} in the "
                 f"{t['rf_sweeps_with_other_radios']} sweeps of rooms with other radios (95 % "
                 f"{format_interval(t['rf_false_alerts_per_sweep_with_other_radios_ci95'])})"
                 + (f"; raised by: {raised}" if raised else "")
                 + (f"; {t['rf_sweeps_uncredited']} sweeps uncredited (no radio field)"
                    if t["rf_sweeps_uncredited"] else ""))
    if "fused_alerts" in t:
        results = ", ".join(f"{k} {v}" for k, v in sorted(t["results"].items()))
        lines.append(f"fused: {t['fused_alerts']} alerts at lens-confirmed or above, "
                     f"{t['fused_false_alerts']} false ({t['fused_false_alerts_per_sweep']:.3f}"
                     f" per sweep); camera likely {t['camera_likely']} "
                     f"({t['camera_likely_false']} false); results: {results}; "
                     f"suspicious in {t['suspicious_without_camera']} of "
                     f"{t['sweeps_without_camera']} sweeps without a camera")
    return _closing(result, lines)


def _closing(result: dict[str, Any], lines: list[str]) -> str:
    marks = ", ".join(f"{k} {'met' if v else ('-' if v is None else 'MISSED')}"
                      for k, v in result["targets"].items())
    perf = result.get("performance", {})
    if result.get("lens") and perf.get("frames"):
        lines.append(f"frames: {perf['frames']}, {perf['mixed_frames_dropped']} labelled mixed "
                     f"and dropped, {perf.get('frames_mislabelled', 0)} labelled with an LED "
                     f"state that did not light all of them (timing jitter)")
    lines.append(f"targets: {marks}")
    return "\n".join(lines)
