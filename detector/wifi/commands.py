"""`detector wifi summary FILE`: every transmitter of a capture with its traffic
features, heaviest uplink first (docs/wifi.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from detector.wifi.capture import read_frames
from detector.wifi.features import summarise
from detector.wifi.headers import mac_text
from detector.wifi.vendors import OUI_CSV, Vendors


def summary_command(path: Path, json_path: Path | None, oui: Path = OUI_CSV) -> int:
    frames, stats = read_frames(path)
    vendors = Vendors.load(oui)
    found = summarise(frames)
    print(f"{path}: {stats.frames} frames from {len(found)} transmitters"
          + (f"; {stats.bad_fcs} failed their checksum" if stats.bad_fcs else "")
          + (f"; {stats.undecodable} undecodable" if stats.undecodable else ""))
    if stats.truncated:
        print(f"detector: {path} ends inside a record: every complete frame was read",
              file=sys.stderr)
    print(f"{'transmitter':<18} {'up kb/s':>8} {'down kb/s':>9} {'steady':>6} {'MTU':>5} "
          f"{'period':>6} {'persist':>7} {'dBm':>5}  note")
    for f in found:
        period = f"{f.burst_period_s:.1f}s" if f.burst_period_s is not None else "-"
        rssi = f"{f.rssi_dbm:.0f}" if f.rssi_dbm is not None else "-"
        vendor = vendors.of(f.address)
        note = ", ".join(n for n in (vendor or "", f"SSID {f.ssid}" if f.ssid else "") if n)
        print(f"{mac_text(f.address):<18} {f.uplink_kbps:8.1f} {f.downlink_kbps:9.1f} "
              f"{f.steadiness:6.2f} {f.near_mtu_share:5.2f} {period:>6} "
              f"{f.persistence:7.2f} {rssi:>5}  {note}")
    if json_path is not None:
        body = {"file": str(path), "frames": stats.frames, "truncated": stats.truncated,
                "transmitters": [{**f.to_json(), "vendor": vendors.of(f.address)}
                                 for f in found]}
        try:
            json_path.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
        except OSError as exc:
            print(f"detector: {json_path}: cannot write ({exc.strerror})", file=sys.stderr)
            return 1
    return 0
