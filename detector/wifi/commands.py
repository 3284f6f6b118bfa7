"""`detector wifi summary FILE`: every transmitter of a capture with its traffic
features, heaviest uplink first (docs/wifi.md)."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np

from detector.wifi.capture import read_frames
from detector.wifi.features import summarise
from detector.wifi.headers import CaptureError, WifiFrame, mac_text
from detector.wifi.motion import MotionResponse, binned, motion_response
from detector.wifi.vendors import OUI_CSV, Vendors


def summary_command(path: Path, json_path: Path | None, oui: Path = OUI_CSV,
                    motion_path: Path | None = None) -> int:
    frames, stats = read_frames(path)
    vendors = Vendors.load(oui)
    motion = read_motion(motion_path) if motion_path is not None else None
    found = summarise(frames)
    print(f"{path}: {stats.frames} frames from {len(found)} transmitters"
          + (f"; {stats.bad_fcs} failed their checksum" if stats.bad_fcs else "")
          + (f"; {stats.undecodable} undecodable" if stats.undecodable else ""))
    if stats.truncated:
        print(f"detector: {path} ends inside a record: every complete frame was read",
              file=sys.stderr)
    print(f"{'transmitter':<18} {'up kb/s':>8} {'down kb/s':>9} {'steady':>6} {'MTU':>5} "
          f"{'period':>6} {'persist':>7} {'dBm':>5} {'motion':>6}  note")
    responses = {f.address: _response(frames, f.address, motion) for f in found}
    for f in found:
        period = f"{f.burst_period_s:.1f}s" if f.burst_period_s is not None else "-"
        rssi = f"{f.rssi_dbm:.0f}" if f.rssi_dbm is not None else "-"
        vendor = vendors.of(f.address)
        note = ", ".join(n for n in (vendor or "", f"SSID {f.ssid}" if f.ssid else "") if n)
        print(f"{mac_text(f.address):<18} {f.uplink_kbps:8.1f} {f.downlink_kbps:9.1f} "
              f"{f.steadiness:6.2f} {f.near_mtu_share:5.2f} {period:>6} "
              f"{f.persistence:7.2f} {rssi:>5} {_yes_no(responses[f.address]):>6}  {note}")
    if json_path is not None:
        body = {"file": str(path), "frames": stats.frames, "truncated": stats.truncated,
                "transmitters": [{**f.to_json(), "vendor": vendors.of(f.address),
                                  "motion_response": _json(responses[f.address])}
                                 for f in found]}
        try:
            json_path.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
        except OSError as exc:
            print(f"detector: {json_path}: cannot write ({exc.strerror})", file=sys.stderr)
            return 1
    return 0


def read_motion(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A CSV of the observer's motion: `t_s,motion` at least (seconds from the capture's
    first frame, any unit of motion)."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        t = np.array([float(r["t_s"]) for r in rows])
        m = np.array([float(r["motion"]) for r in rows])
    except FileNotFoundError:
        raise CaptureError(f"{path}: file not found") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise CaptureError(f"{path}: expected a CSV with columns t_s and motion ({exc})") \
            from None
    return t, m


def _response(frames: list[WifiFrame], address: bytes,
              motion: tuple[np.ndarray, np.ndarray] | None) -> MotionResponse | None:
    """The transmitter's uplink bitrate against the motion, per second from the
    capture's first frame."""
    if motion is None or not frames:
        return None
    start = frames[0].t_ns
    seconds = int((frames[-1].t_ns - start) / 1e9) + 1
    up = [f for f in frames if f.addr2 == address and f.uplink]
    t = np.array([(f.t_ns - start) / 1e9 for f in up])
    bits = np.array([f.length * 8.0 for f in up])
    rate = binned(t, bits, 0.0, seconds) if len(up) else np.zeros(seconds)
    return motion_response(rate, binned(motion[0], motion[1], 0.0, seconds, mean=True))


def _yes_no(response: MotionResponse | None) -> str:
    if response is None or response.responds is None:
        return "-"
    return "yes" if response.responds else "no"


def _json(response: MotionResponse | None) -> dict | None:
    return response.to_json() if response is not None else None
