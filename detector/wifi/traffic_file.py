"""A traffic file read into per-device features: a capture (pcap or pcapng with
radiotap), or a CSV traffic series with one row per frame or per time bin, so published
measurements can be run through the same classifier.

CSV columns: `t_s` and `bytes` at least; optional `id` (a transmitter's name: rows with
the same id are one transmitter; without the column the file is one transmitter),
`direction` (`up`/`sent` or `down`/`received`; default up) and `rssi_dbm`. Rows whose
bytes exceed an 802.11 frame's maximum are time bins, so frame sizes are unknown and the
near-MTU share is left out.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from detector.wifi.capture import read_frames
from detector.wifi.features import Series, TrafficFeatures, from_series, summarise
from detector.wifi.headers import CaptureError, WifiFrame
from detector.wifi.motion import MotionResponse, binned, motion_response, sent_bitrate

MAX_FRAME_BYTES = 2346  # the largest 802.11 frame: a row above it is a bin of several
UP = {"up", "sent", "uplink", "to-ds", "tx"}
DOWN = {"down", "received", "downlink", "from-ds", "rx"}


@dataclass(frozen=True)
class Traffic:
    """Per device: its features, and its sent bitrate per second from the file's start
    (for the motion test)."""

    name: str  # an address, or the CSV's id
    features: TrafficFeatures
    bitrate: np.ndarray  # bits sent in each second


@dataclass(frozen=True)
class TrafficFile:
    path: Path
    kind: str  # "capture" or "csv"
    devices: list[Traffic]
    frames: int
    notes: list[str]  # what the reader had to skip or could not read
    start_s: float = 0.0  # where the per-second bitrates start, on the motion CSV's clock


def read_traffic(path: Path) -> TrafficFile:
    if path.suffix.lower() == ".csv":
        return _read_csv(path)
    frames, stats = read_frames(path)
    notes = []
    if stats.bad_fcs:
        notes.append(f"{stats.bad_fcs} frames failed their checksum")
    if stats.undecodable:
        notes.append(f"{stats.undecodable} records undecodable")
    if stats.truncated:
        notes.append("the file ends inside a record: every complete frame was read")
    devices = [Traffic(f.address.hex(":"), f, _bitrate(frames, f.address))
               for f in summarise(frames)]
    return TrafficFile(path, "capture", devices, stats.frames, notes)


def _bitrate(frames: list[WifiFrame], address: bytes) -> np.ndarray:
    if not frames:
        return np.zeros(0)
    start = frames[0].t_ns
    return sent_bitrate(frames, address, start, int((frames[-1].t_ns - start) / 1e9) + 1)


def _read_csv(path: Path) -> TrafficFile:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError:
        raise CaptureError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CaptureError(f"{path}: not a readable CSV ({exc})") from None
    if not rows:
        raise CaptureError(f"{path}: no rows (expected columns t_s,bytes)")
    series: dict[str, dict[str, list[tuple[float, float]]]] = defaultdict(
        lambda: {"up": [], "down": []})
    rssi: dict[str, list[float]] = defaultdict(list)
    for line, row in enumerate(rows, start=2):
        try:
            t, nbytes = float(row["t_s"]), float(row["bytes"])
        except KeyError:
            raise CaptureError(f"{path}: expected columns t_s and bytes") from None
        except (TypeError, ValueError):
            raise CaptureError(f"{path}: line {line}: t_s and bytes must be numbers") from None
        direction = (row.get("direction") or "up").strip().lower()
        if direction not in UP | DOWN:
            raise CaptureError(f"{path}: line {line}: direction {direction!r}: expected up "
                               f"or down")
        name = (row.get("id") or "series").strip()
        series[name]["up" if direction in UP else "down"].append((t, nbytes))
        if row.get("rssi_dbm"):
            try:
                rssi[name].append(float(row["rssi_dbm"]))
            except ValueError:
                raise CaptureError(f"{path}: line {line}: rssi_dbm must be a number") from None
    times = [t for s in series.values() for rows_ in s.values() for t, _b in rows_]
    start, end = min(times), max(times)
    step = _bin_step(times)
    devices = []
    for name, s in series.items():
        sizes_known = all(b <= MAX_FRAME_BYTES for rows_ in s.values() for _t, b in rows_)
        up = _series(s["up"], start)
        features = from_series(name.encode(), up, _series(s["down"], start),
                               seconds=end - start + step, rssi=rssi[name],
                               sizes_known=sizes_known)
        bitrate = binned(up.t_s, up.nbytes * 8.0, 0.0, int(end - start + step) + 1)
        devices.append(Traffic(name, _unrandomised(features), bitrate))
    devices.sort(key=lambda d: -d.features.sent_kbps)
    return TrafficFile(path, "csv", devices, len(rows), [], start)


def _bin_step(times: list[float]) -> float:
    """The spacing of a binned series (its last bin lasts that long); 0 for frames."""
    unique = np.unique(np.array(times))
    if len(unique) < 2:
        return 0.0
    gaps = np.diff(unique)
    return float(np.median(gaps)) if np.allclose(gaps, gaps[0], rtol=0.01) else 0.0


def _series(rows: list[tuple[float, float]], start: float) -> Series:
    return Series(np.array([t - start for t, _b in rows], dtype=float),
                  np.array([b for _t, b in rows], dtype=float))


def _unrandomised(f: TrafficFeatures) -> TrafficFeatures:
    """A CSV names no address: nothing can be said of randomisation."""
    return replace(f, randomised=False)


def read_motion(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A CSV of the observer's motion: `t_s,motion` at least (seconds from the capture's
    first frame, or on the traffic CSV's clock; any unit of motion)."""
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


def response_of(traffic: Traffic, motion: tuple[np.ndarray, np.ndarray] | None,
                start_s: float = 0.0) -> MotionResponse | None:
    """The device's sent bitrate against the motion series, per second."""
    if motion is None:
        return None
    bins = len(traffic.bitrate)
    return motion_response(traffic.bitrate,
                           binned(motion[0], motion[1], start_s, bins, mean=True))
