"""`detector wifi summary FILE` (every device of a capture or traffic series with its
traffic features) and `detector wifi classify FILE` (each one's class, score and the
evidence behind it); docs/wifi.md."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from detector.wifi.classify import Verdict, classify
from detector.wifi.motion import MotionResponse
from detector.wifi.traffic_file import TrafficFile, read_motion, read_traffic, response_of
from detector.wifi.vendors import OUI_CSV, Vendors


def _load(path: Path, motion_path: Path | None
          ) -> tuple[TrafficFile, dict[str, MotionResponse | None]]:
    traffic = read_traffic(path)
    motion = read_motion(motion_path) if motion_path is not None else None
    responses = {d.name: response_of(d, motion, traffic.start_s) for d in traffic.devices}
    print(f"{path}: {traffic.frames} {'frames' if traffic.kind == 'capture' else 'rows'} "
          f"from {len(traffic.devices)} devices")
    for note in traffic.notes:
        print(f"detector: {path}: {note}", file=sys.stderr)
    return traffic, responses


def summary_command(path: Path, json_path: Path | None, oui: Path = OUI_CSV,
                    motion_path: Path | None = None) -> int:
    traffic, responses = _load(path, motion_path)
    vendors = Vendors.load(oui)
    print(f"{'device':<18} {'out kb/s':>8} {'in kb/s':>8} {'steady':>6} {'MTU':>5} "
          f"{'period':>6} {'persist':>7} {'dBm':>5} {'motion':>6}  note")
    rows = []
    for d in traffic.devices:
        f = d.features
        period = f"{f.burst_period_s:.1f}s" if f.burst_period_s is not None else "-"
        rssi = f"{f.rssi_dbm:.0f}" if f.rssi_dbm is not None else "-"
        mtu = f"{f.near_mtu_share:.2f}" if f.near_mtu_share is not None else "-"
        vendor = vendors.of(f.address) if traffic.kind == "capture" else None
        note = ", ".join(n for n in (vendor or "", f"SSID {f.ssid}" if f.ssid else "") if n)
        print(f"{d.name:<18} {f.sent_kbps:8.1f} {f.received_kbps:8.1f} {f.steadiness:6.2f} "
              f"{mtu:>5} {period:>6} {f.persistence:7.2f} {rssi:>5} "
              f"{_yes_no(responses[d.name]):>6}  {note}")
        rows.append({**f.to_json(), "id": d.name, "vendor": vendor,
                     "motion_response": _json(responses[d.name])})
    return _write(json_path, {"file": str(path), "frames": traffic.frames,
                              "transmitters": rows})


def classify_command(path: Path, json_path: Path | None, oui: Path = OUI_CSV,
                     motion_path: Path | None = None) -> int:
    traffic, responses = _load(path, motion_path)
    vendors = Vendors.load(oui)
    print(f"{'device':<18} {'class':<17} {'score':>5} {'motion':>6}  evidence")
    rows = []
    for d in traffic.devices:
        verdict: Verdict = classify(d.features, responses[d.name])
        vendor = vendors.of(d.features.address) if traffic.kind == "capture" else None
        evidence = "; ".join(verdict.reasons + ((f"maker {vendor}",) if vendor else ()))
        print(f"{d.name:<18} {verdict.device_class:<17} {verdict.score:5.2f} "
              f"{_yes_no(responses[d.name]):>6}  {evidence}")
        rows.append({"id": d.name, "class": str(verdict.device_class),
                     "score": round(verdict.score, 2),
                     "motion_response": verdict.motion_response,
                     "reasons": list(verdict.reasons), "vendor": vendor,
                     "features": d.features.to_json(),
                     "motion": _json(responses[d.name])})
    return _write(json_path, {"file": str(path), "kind": traffic.kind, "transmitters": rows})


def _write(json_path: Path | None, body: dict[str, Any]) -> int:
    if json_path is None:
        return 0
    try:
        json_path.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        print(f"detector: {json_path}: cannot write ({exc.strerror})", file=sys.stderr)
        return 1
    return 0


def _yes_no(response: MotionResponse | None) -> str:
    if response is None or response.responds is None:
        return "-"
    return "yes" if response.responds else "no"


def _json(response: MotionResponse | None) -> dict | None:
    return response.to_json() if response is not None else None
