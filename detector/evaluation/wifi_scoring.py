"""Scoring Wi-Fi camera identification by emitter (evaluation only).

A Wi-Fi alert names a device address; the simulator knows which emitter sends from
which address. An alert is true when its address is a camera's; every other Wi-Fi
alert is false and says what raised it (a phone, a laptop, an access point...).

Recall counts only the cameras the device could hear: Wi-Fi cameras at least one of
whose frames the adapter heard during the sweep (a camera on a channel never visited
while it sent, or too weak to decode, is left out and reported as not heard). Time to
alert counts from the first visit of the camera's channel.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from detector.evaluation.intervals import poisson_rate, rounded, wilson

TARGET_WIFI_RECALL = 0.97
TARGET_WIFI_MEDIAN_TTA_S = 5.0
TARGET_WIFI_FALSE_ALERTS_PER_SWEEP = 0.05


@dataclass
class WifiScore:
    cameras: int = 0  # Wi-Fi cameras heard
    not_heard: list[str] = field(default_factory=list)
    detected: int = 0
    missed: list[str] = field(default_factory=list)
    times_to_alert_s: list[float] = field(default_factory=list)
    false: list[dict[str, Any]] = field(default_factory=list)  # each with what raised it
    busy: bool = False  # phones, laptops or speakers on Wi-Fi in the room


def credit_wifi(alerts: list[dict[str, Any]],
                addresses: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """Each alert with its `credit`: the emitter sending from its address."""
    out = []
    for alert in alerts:
        emitter, kind = addresses.get(alert["address"], (None, "unknown"))
        out.append({**alert, "credit": {"emitter": emitter, "kind": kind}})
    return out


def score_wifi(truth: dict[str, Any], alerts: list[dict[str, Any]]) -> WifiScore:
    """`truth`: {"cameras": [{"id", "heard", "first_visit_ns"}], "busy"} from the run;
    `alerts`: credited Wi-Fi alerts with `identified_ns`."""
    score = WifiScore(busy=bool(truth.get("busy")))
    cameras = {c["id"]: c for c in truth.get("cameras", [])}
    first_alert: dict[str, int] = {}
    for alert in alerts:
        emitter = alert["credit"]["emitter"]
        if emitter in cameras:
            first_alert.setdefault(emitter, alert["identified_ns"])
        else:
            score.false.append(alert)
    for cam_id, cam in cameras.items():
        if not cam["heard"]:
            score.not_heard.append(cam_id)
            continue
        score.cameras += 1
        if cam_id in first_alert:
            score.detected += 1
            score.times_to_alert_s.append(
                max(0.0, (first_alert[cam_id] - cam["first_visit_ns"]) / 1e9))
        else:
            score.missed.append(cam_id)
    return score


def wifi_totals(scores: list[WifiScore]) -> dict[str, Any]:
    cams = sum(s.cameras for s in scores)
    detected = sum(s.detected for s in scores)
    false = sum(len(s.false) for s in scores)
    busy = [s for s in scores if s.busy]
    busy_false = sum(len(s.false) for s in busy)
    times = [t for s in scores for t in s.times_to_alert_s]
    raised_by: dict[str, int] = {}
    for s in scores:
        for alert in s.false:
            kind = alert["credit"]["kind"]
            raised_by[kind] = raised_by.get(kind, 0) + 1
    n = len(scores)
    return {
        "wifi_cameras_heard": cams, "wifi_detected": detected,
        "wifi_cameras_not_heard": sum(len(s.not_heard) for s in scores),
        "wifi_recall": round(detected / cams, 4) if cams else None,
        "wifi_recall_ci95": rounded(wilson(detected, cams)),
        "wifi_median_time_to_alert_s": round(statistics.median(times), 3) if times else None,
        "wifi_worst_time_to_alert_s": round(max(times), 3) if times else None,
        "wifi_false_alerts": false,
        "wifi_false_alerts_per_sweep": round(false / n, 4) if n else 0.0,
        "wifi_false_alerts_per_sweep_ci95": rounded(poisson_rate(false, n)),
        "wifi_false_alerts_raised_by": dict(sorted(raised_by.items())),
        "wifi_sweeps_with_other_devices": len(busy),
        "wifi_false_alerts_per_sweep_with_other_devices":
            round(busy_false / len(busy), 4) if busy else 0.0,
        "wifi_false_alerts_per_sweep_with_other_devices_ci95":
            rounded(poisson_rate(busy_false, len(busy))),
    }


def wifi_targets(totals: dict[str, Any]) -> dict[str, bool | None]:
    recall, tta = totals["wifi_recall"], totals["wifi_median_time_to_alert_s"]
    return {
        "wifi_recall": None if recall is None else recall >= TARGET_WIFI_RECALL,
        "wifi_median_time_to_alert_s": None if tta is None else tta <= TARGET_WIFI_MEDIAN_TTA_S,
        "wifi_false_alerts_per_sweep": (
            totals["wifi_false_alerts_per_sweep_with_other_devices"]
            <= TARGET_WIFI_FALSE_ALERTS_PER_SWEEP),
    }


def format_wifi(t: dict[str, Any]) -> str:
    def interval(i: list[float] | None) -> str:
        return "-" if i is None else f"{i[0]:.3f}-{i[1]:.3f}"

    recall = "-" if t["wifi_recall"] is None else f"{t['wifi_recall']:.3f}"
    tta = t["wifi_median_time_to_alert_s"]
    raised = ", ".join(f"{k} {v}" for k, v in t["wifi_false_alerts_raised_by"].items())
    return (f"Wi-Fi (credited by emitter): {t['wifi_detected']}/{t['wifi_cameras_heard']} "
            f"cameras heard identified (recall {recall}, 95 % {interval(t['wifi_recall_ci95'])}; "
            f"{t['wifi_cameras_not_heard']} not heard), median time to alert "
            f"{'-' if tta is None else f'{tta:.2f}'} s after the channel's first visit; "
            f"{t['wifi_false_alerts']} Wi-Fi false alerts, "
            f"{t['wifi_false_alerts_per_sweep']:.3f} per sweep (95 % "
            f"{interval(t['wifi_false_alerts_per_sweep_ci95'])}); "
            f"{t['wifi_false_alerts_per_sweep_with_other_devices']:.3f} in the "
            f"{t['wifi_sweeps_with_other_devices']} sweeps with other Wi-Fi devices"
            + (f"; raised by: {raised}" if raised else ""))
