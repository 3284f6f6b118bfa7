"""Per transmitter, what its traffic looks like over a window of frames: how much it
sends toward the network and how steadily, how many of its frames are near the MTU, how
regular its bursts are (a video encoder's group of pictures every 1-4 s), which way its
traffic goes, how persistent it is, and how loud. The measures a streaming camera is
told apart by (docs/wifi.md); headers only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from detector.wifi.headers import DATA, WifiFrame, locally_administered

NEAR_MTU_BYTES = 1200  # a data frame this long carries a full packet of a stream
BIN_S = 0.1  # bins of the byte series for periodicity
GOP_RANGE_S = (1.0, 4.0)  # where a video stream's keyframe period lies
MIN_SECONDS = 2.0  # shorter series say nothing about steadiness or periodicity


@dataclass(frozen=True)
class TrafficFeatures:
    """One transmitter's traffic over a window."""

    address: bytes
    seconds: float
    frames: int
    data_frames: int
    uplink_kbps: float  # to the distribution system (a station sending into the network)
    downlink_kbps: float  # from it
    steadiness: float  # 1 - coefficient of variation of per-second uplink bytes (<=1)
    near_mtu_share: float  # of its data frames
    data_fps: float
    burst_period_s: float | None  # the strongest period in 1-4 s, if there is one
    burst_strength: float  # autocorrelation at that period (0-1)
    persistence: float  # share of whole seconds with uplink traffic
    rssi_dbm: float | None  # median
    randomised: bool  # a locally administered (private) address
    ssid: str | None  # the network it announces, if it sends beacons

    def to_json(self) -> dict:
        return {"address": self.address.hex(":"), "seconds": round(self.seconds, 2),
                "frames": self.frames, "data_frames": self.data_frames,
                "uplink_kbps": round(self.uplink_kbps, 1),
                "downlink_kbps": round(self.downlink_kbps, 1),
                "steadiness": round(self.steadiness, 3),
                "near_mtu_share": round(self.near_mtu_share, 3),
                "data_fps": round(self.data_fps, 1),
                "burst_period_s": (round(self.burst_period_s, 2)
                                   if self.burst_period_s is not None else None),
                "burst_strength": round(self.burst_strength, 3),
                "persistence": round(self.persistence, 3),
                "rssi_dbm": round(self.rssi_dbm, 1) if self.rssi_dbm is not None else None,
                "randomised": self.randomised, "ssid": self.ssid}


def by_transmitter(frames: Iterable[WifiFrame]) -> dict[bytes, list[WifiFrame]]:
    """Frames grouped by their transmitter address (frames without one, ACKs and CTS,
    are left out)."""
    groups: dict[bytes, list[WifiFrame]] = defaultdict(list)
    for frame in frames:
        if frame.addr2 is not None:
            groups[frame.addr2].append(frame)
    return dict(groups)


def features_of(address: bytes, frames: list[WifiFrame], start_ns: int | None = None,
                end_ns: int | None = None) -> TrafficFeatures:
    """The features of one transmitter's frames over [start_ns, end_ns] (default: the
    span of its frames)."""
    t = np.array([f.t_ns for f in frames], dtype=np.int64)
    start = int(t.min()) if start_ns is None else start_ns
    end = int(t.max()) if end_ns is None else end_ns
    seconds = max((end - start) / 1e9, 1e-3)
    data = [f for f in frames if f.kind == DATA]
    up = [f for f in data if f.to_ds and not f.from_ds]
    down = [f for f in data if f.from_ds and not f.to_ds]
    up_t = (np.array([f.t_ns for f in up], dtype=np.int64) - start) / 1e9
    up_bytes = np.array([f.length for f in up], dtype=float)
    per_second = _binned(up_t, up_bytes, 1.0, seconds)
    steadiness = 0.0
    if seconds >= MIN_SECONDS and per_second.mean() > 0:
        steadiness = 1.0 - float(per_second.std() / per_second.mean())
    period, strength = _burst_period(up_t, up_bytes, seconds)
    rssi = [f.rssi_dbm for f in frames if f.rssi_dbm is not None]
    ssid = next((f.ssid for f in frames if f.ssid), None)
    return TrafficFeatures(
        address=address, seconds=seconds, frames=len(frames), data_frames=len(data),
        uplink_kbps=float(up_bytes.sum()) * 8 / 1000 / seconds,
        downlink_kbps=sum(f.length for f in down) * 8 / 1000 / seconds,
        steadiness=steadiness,
        near_mtu_share=(sum(f.length >= NEAR_MTU_BYTES for f in data) / len(data)
                        if data else 0.0),
        data_fps=len(data) / seconds, burst_period_s=period, burst_strength=strength,
        persistence=float((per_second > 0).mean()) if len(per_second) else 0.0,
        rssi_dbm=float(np.median(rssi)) if rssi else None,
        randomised=locally_administered(address), ssid=ssid)


def _binned(t_s: np.ndarray, values: np.ndarray, bin_s: float, seconds: float) -> np.ndarray:
    bins = max(int(seconds / bin_s), 1)
    index = np.minimum((t_s / bin_s).astype(int), bins - 1)
    return np.bincount(index, weights=values, minlength=bins)[:bins]


def _burst_period(t_s: np.ndarray, sizes: np.ndarray,
                  seconds: float) -> tuple[float | None, float]:
    """The lag in GOP_RANGE_S at which the byte series best repeats itself, and the
    normalised autocorrelation there; (None, 0) for a series too short or too flat."""
    if seconds < 2 * GOP_RANGE_S[0] or len(t_s) < 4:
        return None, 0.0
    series = _binned(t_s, sizes, BIN_S, seconds)
    series = series - series.mean()
    power = float(series @ series)
    if power <= 0:
        return None, 0.0
    lo = int(round(GOP_RANGE_S[0] / BIN_S))
    hi = min(int(round(GOP_RANGE_S[1] / BIN_S)), len(series) // 2)
    if hi < lo:
        return None, 0.0
    scores = [float(series[:-lag] @ series[lag:]) / power for lag in range(lo, hi + 1)]
    best = int(np.argmax(scores))
    if scores[best] <= 0:
        return None, 0.0
    return (lo + best) * BIN_S, scores[best]


def summarise(frames: Iterable[WifiFrame]) -> list[TrafficFeatures]:
    """Every transmitter's features over the whole capture, loudest uplink first."""
    frames = list(frames)
    if not frames:
        return []
    start = min(f.t_ns for f in frames)
    end = max(f.t_ns for f in frames)
    groups = by_transmitter(frames)
    out = [features_of(addr, group, start, end) for addr, group in groups.items()]
    return sorted(out, key=lambda f: -f.uplink_kbps)
