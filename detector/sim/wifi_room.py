"""The 802.11 traffic a monitor-mode adapter hears during a simulated sweep: every Wi-Fi
emitter of the scenario (cameras on wifi-2g4 or wifi-5g, access points, phones, laptops,
smart speakers) sends its traffic (sim/wifi_traffic.py) on its channel, at the level the
radio field gives at the inspector's position. A camera's bitrate follows what it sees:
the inspector inside its field of view, moving.

The capture holds every channel at once, as an adapter that never had to hop would;
channel hopping is the device's to add.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from detector.rf.sim.field import Emitter, RadioField
from detector.sim import optics_model as om
from detector.sim.motion import Trajectory
from detector.sim.scenario import Scenario, SceneObject
from detector.sim.wifi_traffic import (
    Link,
    beacons,
    camera_stream,
    laptop,
    phone,
    smart_speaker,
)
from detector.wifi.capture import PcapWriter
from detector.wifi.encode import capture_bytes
from detector.wifi.headers import WifiFrame

WIFI_BANDS = ("wifi-2g4", "wifi-5g")
WALKING_M_S = 0.5  # moving at least this fast changes a camera's whole picture
# The venue's access points outside the room, one per channel a station uses (a private
# address; the channel number is its last byte).
VENUE_AP = bytes.fromhex("0a0000000001")
APP_PHONE = bytes.fromhex("0a0000000002")  # the phone an own-AP camera streams to


DOC_PREFIX = bytes.fromhex("00005e0053")  # RFC 7042's unicast addresses for documentation


def address_of(emitter_id: str, kind: str, index: int) -> bytes:
    """A stable address for a simulated emitter. Phones randomise theirs (a locally
    administered address from the id); the others keep a globally administered one, here
    from the range set aside for documentation, so no real maker is named."""
    if kind == "phone":
        return b"\x02" + hashlib.sha256(emitter_id.encode()).digest()[:5]
    return DOC_PREFIX + bytes([index % 256])


def _activity(camera: SceneObject, trajectory: Trajectory):
    """How much of the camera's picture is changing at t: the inspector in its field of
    view and moving (0 to 1)."""
    facing = np.array(camera["facing"], dtype=float)
    lens = np.array(camera.at, dtype=float)

    def activity(t: float) -> float:
        here = trajectory.pose(t).position
        cone, _cos = om.lens_cone_factor(facing, lens, here, camera["fov_deg"])
        if cone <= 0:
            return 0.0
        speed = float(np.linalg.norm(trajectory.pose(t + 0.25).position - here)) / 0.25
        return min(speed / WALKING_M_S, 1.0) * min(cone, 1.0)

    return activity


def emitter_addresses(scenario: Scenario) -> dict[bytes, tuple[str, str]]:
    """Which simulated emitter (id, kind) sends from which address: what evaluation
    credits a Wi-Fi alert with."""
    field = RadioField(scenario)
    out: dict[bytes, tuple[str, str]] = {}
    venues = set()
    for k, e in enumerate(field.emitters):
        if e.band in WIFI_BANDS:
            out[address_of(e.id, e.kind, k)] = (e.id, e.kind)
            venues.add(_venue_ap(field, int(round(e.centre_mhz))))
    for venue in venues:  # the scenario's own access point keeps its own id
        out.setdefault(venue, ("venue-ap", "wifi-ap"))
    return out


def _venue_ap(field: RadioField, freq_mhz: int) -> bytes:
    """The access point a station on freq_mhz uses: the scenario's own when it serves
    that channel (a station and its access point share the channel), else the venue's
    one there."""
    for k, e in enumerate(field.emitters):
        if e.kind == "wifi-ap" and e.band in WIFI_BANDS and int(round(e.centre_mhz)) == freq_mhz:
            return address_of(e.id, e.kind, k)
    return VENUE_AP[:-1] + bytes([channel_number(freq_mhz)])


def channel_number(freq_mhz: int) -> int:
    """The 802.11 channel number at or below a frequency (2.4 and 5 GHz bands): a
    hopper's 2441 MHz centre falls in channel 6's numbering, as a Wi-Fi channel would."""
    return (freq_mhz - 2407) // 5 if freq_mhz < 3000 else (freq_mhz - 5000) // 5


def room_traffic(scenario: Scenario, seconds: float | None = None) -> list[WifiFrame]:
    """Every frame of the sweep (or of its first `seconds`), in time order."""
    field = RadioField(scenario)
    trajectory = Trajectory(scenario)
    seconds = min(seconds or scenario.total_s, scenario.total_s)
    cameras = {c.id: c for c in scenario.cameras}
    traffic = {tx.id: tx for tx in scenario.transmitters}
    streams: list[Iterator[WifiFrame]] = []
    for k, e in enumerate(field.emitters):
        if e.band not in WIFI_BANDS:
            continue
        freq = int(round(e.centre_mhz))
        link = Link(address_of(e.id, e.kind, k), _venue_ap(field, freq), freq)
        seed = scenario.seed * 1000 + k

        def rssi(t: float, e: Emitter = e) -> float:
            return field.received_dbm(e, t)

        if e.kind == "camera":
            cam = cameras[e.id]
            own_ap = cam["wifi_mode"] == "ap"
            if own_ap:  # its own network, streaming to the owner's phone out of the room
                link = Link(APP_PHONE, link.station, freq)
                streams.append(beacons(link.ap, f"CAM-{link.ap[-2:].hex().upper()}",
                                       seconds, rssi, freq, seed=seed))
            streams.append(camera_stream(link, seconds, rssi, _activity(cam, trajectory),
                                         kbps=cam["stream_kbps"], fps=cam["fps"],
                                         gop_s=cam["gop_s"], own_ap=own_ap, seed=seed))
        elif e.kind == "wifi-ap":
            streams.append(beacons(link.station, f"venue-{e.id}", seconds, rssi, freq,
                                   seed=seed))
        elif e.kind == "phone":
            streams.append(phone(link, seconds, rssi, traffic[e.id].traffic, seed=seed,
                                 episodes=field.phone_on_air_s(e.id)))
        elif e.kind == "laptop":
            streams.append(laptop(link, seconds, rssi, seed=seed))
        elif e.kind == "smart-speaker":
            streams.append(smart_speaker(link, seconds, rssi, seed=seed))
    frames = [f for stream in streams for f in stream]
    return sorted(frames, key=lambda f: f.t_ns)


def write_capture(path: Path, frames: list[WifiFrame], start_ns: int = 0) -> None:
    """A header-only pcap of the frames, their times offset by start_ns (the session
    clock's start, so the capture lines up with the recorded frames)."""
    with open(path, "wb") as fh:
        writer = PcapWriter(fh)
        for frame in frames:
            data, wire = capture_bytes(frame)
            writer.write(start_ns + frame.t_ns, data, wire)
