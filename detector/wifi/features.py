"""Per device, what its traffic looks like over a window of frames: how much it sends
and receives and how steadily, how many of its frames are near the MTU, how regular its
bursts are (a video encoder's group of pictures every 1-4 s), which way its traffic goes
(toward the network or out of an access point), how persistent it is, and how loud. The
measures a streaming camera is told apart by (docs/wifi.md); headers only.

A device's traffic is every data frame it transmits (it is the frame's transmitter
address) and every unicast data frame sent to it (the receiver address), so a phone's
downloads count as the phone's, not only as its access point's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from detector.wifi.headers import BEACON, DATA, MGMT, WifiFrame, locally_administered

NEAR_MTU_BYTES = 1200  # a data frame this long carries a full packet of a stream
BIN_S = 0.1  # bins of the byte series for periodicity
GOP_RANGE_S = (1.0, 4.0)  # where a video stream's keyframe period lies
MIN_SECONDS = 2.0  # shorter series say nothing about steadiness or periodicity


@dataclass(frozen=True)
class Series:
    """One direction of a device's data: times (s from the window's start) and bytes."""

    t_s: np.ndarray
    nbytes: np.ndarray

    @classmethod
    def of(cls, frames: list[WifiFrame], start_ns: int) -> Series:
        return cls(np.array([(f.t_ns - start_ns) / 1e9 for f in frames], dtype=float),
                   np.array([f.length for f in frames], dtype=float))


@dataclass(frozen=True)
class TrafficFeatures:
    """One device's traffic over a window."""

    address: bytes
    seconds: float
    frames: int
    data_frames: int  # it sent
    sent_kbps: float
    received_kbps: float
    to_ds_share: float  # of the data it sent, the share toward the network (1: a station)
    relays: bool  # the data it receives is on its way to the network: an access point
    one_peer_share: float  # of the bytes it sent, the share to its main receiver
    steadiness: float  # 1 - coefficient of variation of per-second sent bytes (<=1)
    near_mtu_share: float | None  # of its sent data frames (None: sizes unknown)
    data_fps: float
    fill: float | None  # share of 0.1 s bins with data sent: a picture every 40-100 ms fills them
    burst_period_s: float | None  # the strongest period of its sent bytes in 1-4 s
    burst_strength: float  # autocorrelation at that period (0-1)
    received_period_s: float | None  # the same for what it receives (video segments)
    received_strength: float
    persistence: float  # share of whole seconds in which it sent data
    received_persistence: float
    rssi_dbm: float | None  # median of the frames it sent
    randomised: bool  # a locally administered (private) address
    ssid: str | None  # the network it announces, if it sends beacons
    freq_mhz: int | None  # where it was heard

    @property
    def beacons(self) -> bool:
        return self.ssid is not None

    def to_json(self) -> dict:
        def r(value: float | None, digits: int) -> float | None:
            return round(value, digits) if value is not None else None

        return {"address": self.address.hex(":"), "seconds": round(self.seconds, 2),
                "frames": self.frames, "data_frames": self.data_frames,
                "sent_kbps": round(self.sent_kbps, 1),
                "received_kbps": round(self.received_kbps, 1),
                "to_ds_share": round(self.to_ds_share, 3), "relays": self.relays,
                "one_peer_share": round(self.one_peer_share, 3),
                "steadiness": round(self.steadiness, 3),
                "near_mtu_share": r(self.near_mtu_share, 3),
                "data_fps": round(self.data_fps, 1), "fill": r(self.fill, 3),
                "burst_period_s": r(self.burst_period_s, 2),
                "burst_strength": round(self.burst_strength, 3),
                "received_period_s": r(self.received_period_s, 2),
                "received_strength": round(self.received_strength, 3),
                "persistence": round(self.persistence, 3),
                "received_persistence": round(self.received_persistence, 3),
                "rssi_dbm": r(self.rssi_dbm, 1), "randomised": self.randomised,
                "ssid": self.ssid, "freq_mhz": self.freq_mhz}


def by_device(frames: Iterable[WifiFrame]) -> dict[bytes, list[WifiFrame]]:
    """Frames grouped by device: each frame under its transmitter, and a unicast data
    frame under its receiver too (frames without a transmitter, ACKs and CTS, are left
    out)."""
    groups: dict[bytes, list[WifiFrame]] = defaultdict(list)
    for frame in frames:
        if frame.addr2 is None:
            continue
        groups[frame.addr2].append(frame)
        if frame.kind == DATA and not frame.addr1[0] & 1:  # not broadcast or multicast
            groups[frame.addr1].append(frame)
    return dict(groups)


def features_of(address: bytes, frames: list[WifiFrame], start_ns: int | None = None,
                end_ns: int | None = None) -> TrafficFeatures:
    """The features of one device's frames over [start_ns, end_ns] (default: the span of
    its frames)."""
    t = np.array([f.t_ns for f in frames], dtype=np.int64)
    start = int(t.min()) if start_ns is None else start_ns
    end = int(t.max()) if end_ns is None else end_ns
    sent_data = [f for f in frames if f.kind == DATA and f.addr2 == address]
    received = [f for f in frames if f.kind == DATA and f.addr1 == address]
    mine = [f for f in frames if f.addr2 == address]
    beacon = next((f for f in mine if f.kind == MGMT and f.subtype == BEACON and f.ssid),
                  None)
    return from_series(
        address, Series.of(sent_data, start), Series.of(received, start),
        seconds=(end - start) / 1e9, frames=len(frames),
        to_ds_share=(sum(f.to_ds for f in sent_data) / len(sent_data) if sent_data else 0.0),
        relays=bool(received) and sum(f.to_ds for f in received) > len(received) / 2,
        one_peer_share=_one_peer_share(sent_data),
        rssi=[f.rssi_dbm for f in mine if f.rssi_dbm is not None],
        ssid=beacon.ssid if beacon else None,
        freq_mhz=next((f.freq_mhz for f in mine if f.freq_mhz), None))


def from_series(address: bytes, sent: Series, received: Series, *, seconds: float,
                frames: int | None = None, to_ds_share: float = 1.0, relays: bool = False,
                one_peer_share: float = 1.0,
                rssi: list[int] | list[float] = (), ssid: str | None = None,  # type: ignore[assignment]
                freq_mhz: int | None = None, sizes_known: bool = True) -> TrafficFeatures:
    """The features from the two byte series (what a CSV of a traffic series gives:
    `sizes_known` False when its rows are time bins rather than frames)."""
    seconds = max(seconds, 1e-3)
    per_second = _binned(sent.t_s, sent.nbytes, 1.0, seconds)
    received_per_second = _binned(received.t_s, received.nbytes, 1.0, seconds)
    steadiness = 0.0
    if seconds >= MIN_SECONDS and per_second.mean() > 0:
        steadiness = 1.0 - float(per_second.std() / per_second.mean())
    period, strength = _burst_period(sent.t_s, sent.nbytes, seconds)
    r_period, r_strength = _burst_period(received.t_s, received.nbytes, seconds)
    near_mtu = fill = None
    if sizes_known:
        fill = float((_binned(sent.t_s, np.ones(len(sent.t_s)), BIN_S, seconds) > 0).mean())
        near_mtu = (float((sent.nbytes >= NEAR_MTU_BYTES).mean()) if len(sent.nbytes)
                    else 0.0)
    return TrafficFeatures(
        address=address, seconds=seconds,
        frames=frames if frames is not None else len(sent.t_s) + len(received.t_s),
        data_frames=len(sent.t_s),
        sent_kbps=float(sent.nbytes.sum()) * 8 / 1000 / seconds,
        received_kbps=float(received.nbytes.sum()) * 8 / 1000 / seconds,
        to_ds_share=to_ds_share, relays=relays, one_peer_share=one_peer_share,
        steadiness=steadiness, near_mtu_share=near_mtu,
        data_fps=len(sent.t_s) / seconds, fill=fill, burst_period_s=period, burst_strength=strength,
        received_period_s=r_period, received_strength=r_strength,
        persistence=_persistence(per_second, seconds),
        received_persistence=_persistence(received_per_second, seconds),
        rssi_dbm=float(np.median(rssi)) if len(rssi) else None,
        randomised=locally_administered(address), ssid=ssid, freq_mhz=freq_mhz)


def _one_peer_share(sent: list[WifiFrame]) -> float:
    """A camera streams to one peer (its access point, or its app's phone); an access
    point sends to all its stations."""
    if not sent:
        return 0.0
    by_peer: dict[bytes, int] = defaultdict(int)
    for f in sent:
        by_peer[f.addr1] += f.length
    return max(by_peer.values()) / sum(by_peer.values())


def _persistence(per_second: np.ndarray, seconds: float) -> float:
    """Share of the whole seconds with traffic (a last part-second is left out)."""
    whole = max(int(seconds), 1)
    return float((per_second[:whole] > 0).mean()) if len(per_second) else 0.0


def _binned(t_s: np.ndarray, values: np.ndarray, bin_s: float, seconds: float) -> np.ndarray:
    bins = max(int(np.ceil(seconds / bin_s - 1e-9)), 1)
    index = np.clip((t_s / bin_s).astype(int), 0, bins - 1)
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
    """Every device's features over the whole capture, most data sent first."""
    frames = list(frames)
    if not frames:
        return []
    start = min(f.t_ns for f in frames)
    end = max(f.t_ns for f in frames)
    groups = by_device(frames)
    out = [features_of(addr, group, start, end) for addr, group in groups.items()]
    return sorted(out, key=lambda f: -f.sent_kbps)
