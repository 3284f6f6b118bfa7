"""Simulated 802.11 traffic of the emitters in a room, as a monitor-mode adapter would
hear it (headers only): a camera's video encoder, phones (idle, browsing, video down,
video call), laptops, smart speakers and access points' beacons.

Each source is a generator of WifiFrames over [0, seconds); the frames' signal comes
from a callable rssi(t) (the radio field's path loss and fading, from the caller) and a
camera's bitrate from activity(t), 0 to 1: how much of its picture is changing (the
inspector walking through its view), which the simulator knows. The figures are typical
of the devices, not measured on any one of them: a camera's encoder streams 10-25
pictures a second with a keyframe every 1-4 s, split into frames of at most 1500 bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from detector.wifi.headers import BEACON, DATA, MGMT, WifiFrame

MTU_FRAME = 1500  # bytes of an 802.11 data frame carrying a full IP packet
HEADER_BYTES = 60  # MAC, QoS, CCMP, LLC and IP/UDP headers around a payload
BEACON_INTERVAL_NS = 102_400_000  # 100 TU
QOS_DATA = 8
S = 1_000_000_000

Rssi = Callable[[float], float]
Activity = Callable[[float], float]


@dataclass(frozen=True)
class Link:
    """Who talks to whom on which channel: the station, its access point, the channel."""

    station: bytes
    ap: bytes
    freq_mhz: int = 2437


def _data(t_ns: int, link: Link, length: int, up: bool, rssi: float) -> WifiFrame:
    if up:
        return WifiFrame(t_ns, length, int(round(rssi)), link.freq_mhz, DATA, QOS_DATA, True,
                         False, False, True, link.ap, link.station, link.ap)
    return WifiFrame(t_ns, length, int(round(rssi)), link.freq_mhz, DATA, QOS_DATA, False,
                     True, False, True, link.station, link.ap, link.ap)


def _packetise(t_ns: int, link: Link, size: float, up: bool, rssi: float,
               spacing_ns: int = 250_000) -> list[WifiFrame]:
    """A burst of `size` payload bytes as MTU frames and a shorter last one."""
    frames = []
    while size >= 1:
        payload = min(MTU_FRAME - HEADER_BYTES, int(size))
        frames.append(_data(t_ns, link, payload + HEADER_BYTES, up, rssi))
        t_ns += spacing_ns
        size -= payload
    return frames


def camera_stream(link: Link, seconds: float, rssi: Rssi, activity: Activity, *,
                  kbps: float = 800.0, fps: float = 15.0, gop_s: float = 2.0,
                  key_factor: float = 5.0, motion_gain: float = 1.5, own_ap: bool = False,
                  seed: int = 0) -> Iterator[WifiFrame]:
    """A camera streaming to its app: through an access point (client mode: the link's
    station is the camera), or, with `own_ap`, out of its own access point to the app's
    phone (the link's ap is the camera). The encoder spends `kbps` on a still picture
    and up to (1 + motion_gain) times that while the picture changes; each group of
    pictures starts with a keyframe `key_factor` times larger than the others."""
    rng = np.random.default_rng([seed, 0xCA])
    per_gop = max(int(round(fps * gop_s)), 1)
    share = per_gop / (per_gop - 1 + key_factor)  # a P-frame's size in mean frames
    for k in range(int(seconds * fps)):
        t = k / fps
        mean_bytes = kbps * (1 + motion_gain * activity(t)) * 1000 / 8 / fps
        size = mean_bytes * share * (key_factor if k % per_gop == 0 else 1.0)
        size *= rng.uniform(0.85, 1.15)
        start = int(t * S) + int(rng.integers(0, 3_000_000))
        yield from _packetise(start, link, size, not own_ap, rssi(t) + rng.normal(0, 2))


def phone(link: Link, seconds: float, rssi: Rssi, traffic: str = "idle", *,
          seed: int = 0, episodes: list[tuple[float, float]] | None = None
          ) -> Iterator[WifiFrame]:
    """A phone: idle (a keep-alive now and then), browse (page loads: bursts down),
    video-down (a video player fetching 2-4 s segments), video-call (about 1 Mb/s each
    way in smaller packets, 30 a second).

    `episodes` (seconds) are when the radio field has an idle or browsing phone on the
    air (rf/sim/field.py): an idle phone syncs then, exchanging bursts both ways, and a
    browsing one loads its pages then; None leaves browsing unbounded."""
    rng = np.random.default_rng([seed, 0x50])
    frames: list[WifiFrame] = []
    if traffic == "idle":
        t = float(rng.uniform(0, 5))
        while t < seconds:
            frames.append(_data(int(t * S), link, 120, True, rssi(t)))
            frames.append(_data(int(t * S) + 400_000, link, 200, False, rssi(t)))
            t += float(rng.uniform(3, 15))
        for a, b in episodes or []:
            frames += _sync(link, a, min(b, seconds), rssi, rng)
    elif traffic == "browse":
        t = float(rng.uniform(0, 3))
        while t < seconds:
            if episodes is not None:
                t = _within(t, episodes)
                if t >= seconds:
                    break
            frames += _packetise(int(t * S), link, float(rng.uniform(0.2e6, 2e6)), False,
                                 rssi(t), 120_000)
            frames += [_data(int(t * S) + i * 3_000_000, link, 90, True, rssi(t))
                       for i in range(10)]
            t += float(rng.exponential(6.0 if episodes is None else 1.0)) + 1.0
    elif traffic == "video-down":  # a player's segments are all of one length
        segment_s = float(rng.uniform(2, 4))
        t = float(rng.uniform(0, segment_s))
        while t < seconds:
            frames += _packetise(int(t * S), link, 3e6 / 8 * segment_s, False, rssi(t), 80_000)
            t += segment_s + float(rng.normal(0, 0.05))
    elif traffic == "video-call":
        for k in range(int(seconds * 30)):
            t = k / 30
            for up in (True, False):
                size = float(rng.uniform(2500, 5500))
                frames += _packetise(int(t * S) + (0 if up else 7_000_000), link, size, up,
                                     rssi(t), 200_000)
    else:
        raise ValueError(f"phone traffic {traffic!r}: expected idle, browse, video-down or "
                         f"video-call")
    yield from sorted(frames, key=lambda f: f.t_ns)


def _within(t: float, episodes: list[tuple[float, float]]) -> float:
    """t, or the start of the next episode when t falls outside them (inf: none left)."""
    for a, b in episodes:
        if t < b:
            return max(t, a)
    return float("inf")


def _sync(link: Link, start: float, end: float, rssi: Rssi,
          rng: np.random.Generator) -> list[WifiFrame]:
    """A phone syncing: apps fetch and send in bursts both ways, a few a second (messages,
    mail, thumbnails up and down), about 1 Mb/s down and 0.7 Mb/s up while it lasts."""
    frames: list[WifiFrame] = []
    t = start + float(rng.uniform(0, 0.1))
    while t < end:
        frames += _packetise(int(t * S), link, float(rng.uniform(2e3, 60e3)), False, rssi(t))
        frames += _packetise(int(t * S) + 2_000_000, link, float(rng.uniform(1e3, 40e3)), True,
                             rssi(t))
        t += float(rng.uniform(0.05, 0.4))
    return frames


def laptop(link: Link, seconds: float, rssi: Rssi, *, seed: int = 0) -> Iterator[WifiFrame]:
    """Sync and browsing: irregular bursts both ways, mostly down."""
    rng = np.random.default_rng([seed, 0x1A])
    frames: list[WifiFrame] = []
    t = float(rng.uniform(0, 2))
    while t < seconds:
        frames += _packetise(int(t * S), link, float(rng.uniform(0.05e6, 1.5e6)),
                             bool(rng.random() < 0.3), rssi(t), 100_000)
        t += float(rng.exponential(2.5)) + 0.2
    yield from sorted(frames, key=lambda f: f.t_ns)


def smart_speaker(link: Link, seconds: float, rssi: Rssi, *,
                  seed: int = 0) -> Iterator[WifiFrame]:
    """Heartbeats to its cloud every few seconds, small, both ways."""
    rng = np.random.default_rng([seed, 0x5B])
    t = float(rng.uniform(0, 4))
    while t < seconds:
        yield _data(int(t * S), link, 180, True, rssi(t))
        yield _data(int(t * S) + 30_000_000, link, 150, False, rssi(t))
        t += float(rng.uniform(4, 8))


def beacons(bssid: bytes, ssid: str, seconds: float, rssi: Rssi,
            freq_mhz: int = 2437, *, seed: int = 0) -> Iterator[WifiFrame]:
    """An access point's beacons, every 100 TU (a camera running its own access point
    sends them too)."""
    rng = np.random.default_rng([seed, 0xBE])
    offset = int(rng.integers(0, BEACON_INTERVAL_NS))
    for k in range(int(seconds * S / BEACON_INTERVAL_NS)):
        t_ns = offset + k * BEACON_INTERVAL_NS
        yield WifiFrame(t_ns, 200 + len(ssid), int(round(rssi(t_ns / S))), freq_mhz, MGMT,
                        BEACON, False, False, False, False, b"\xff" * 6, bssid, bssid, ssid)
