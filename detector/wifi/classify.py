"""Which kind of device a transmitter is, from its traffic features (and, when there was
one, the motion test): the rules, in the order they are tried, are in docs/wifi.md.

A streaming camera sends a steady one-way stream: at least STREAM_KBPS in nearly every
second, a picture every 40-100 ms (so nearly every tenth of a second has frames; a
download comes in bursts), mostly in near-MTU frames, all to one receiver (an access
point sends to all its stations), and receives little back. That alone makes it a
camera candidate; keyframe bursts every 1-4 s and an uplink that follows the
inspector's motion each add to its score. A phone on a video call streams too, but both
ways; a phone watching video receives segments; a laptop's and a browsing phone's
traffic comes in bursts; an IoT device sends a little now and then; an access point
sends beacons (a camera with its own access point sends beacons and the stream).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from detector.wifi.features import TrafficFeatures
from detector.wifi.motion import MotionResponse

STREAM_KBPS = 100.0  # the least a camera streams, even of a still picture at low quality
STREAM_PERSISTENCE = 0.8  # share of seconds with data sent
STREAM_NEAR_MTU = 0.3  # share of frames near the MTU (a stream fills its frames)
STREAM_ONE_PEER = 0.9  # share of the bytes sent to one receiver: a stream has one
STREAM_FILL = 0.6  # share of 0.1 s bins with frames: an encoder sends 10-25 pictures a second
ONE_WAY = 0.25  # at most this much received for each bit sent
KEYFRAME_STRENGTH = 0.3  # autocorrelation at the group-of-pictures period
CAMERA_SCORE = 0.6  # a stream alone; keyframes and the motion test add the rest
KEYFRAME_SCORE = 0.2
MOTION_SCORE = 0.2
CALL_KBPS = 50.0  # each way, in most seconds
VIDEO_DOWN_KBPS = 300.0
SEGMENT_STRENGTH = 0.42  # browsing bursts repeat by chance up to about 0.4 over 30 s
LAPTOP_SENT_SHARE = 0.1  # a laptop uploads a tenth of what it downloads or more
QUIET_KBPS = 20.0  # a device that sends and receives less than this is idle or IoT
MIN_WINDOW_S = 2.0  # a shorter window is not classified


class DeviceClass(StrEnum):
    CAMERA = "camera"  # streaming camera, client mode
    CAMERA_AP = "camera-ap"  # streaming camera running its own access point
    PHONE_IDLE = "phone-idle"
    PHONE_BROWSE = "phone-browse"
    PHONE_VIDEO_DOWN = "phone-video-down"
    PHONE_VIDEO_CALL = "phone-video-call"
    LAPTOP = "laptop"
    IOT = "iot"  # smart speaker or another small device
    ACCESS_POINT = "access-point"
    UNKNOWN = "unknown"  # too little heard to say

    @property
    def is_camera(self) -> bool:
        return self in (DeviceClass.CAMERA, DeviceClass.CAMERA_AP)


@dataclass(frozen=True)
class Verdict:
    """A device's class, how sure (for cameras: 0.6 for the stream, up to 1.0 with
    keyframes and the motion test), and the reasons in words."""

    device_class: DeviceClass
    score: float
    reasons: tuple[str, ...]
    motion: MotionResponse | None = None

    @property
    def motion_response(self) -> bool | None:
        return self.motion.responds if self.motion is not None else None

    def to_json(self) -> dict:
        return {"class": str(self.device_class), "score": round(self.score, 2),
                "reasons": list(self.reasons), "motion_response": self.motion_response,
                "motion": self.motion.to_json() if self.motion is not None else None}


def streams(f: TrafficFeatures) -> bool:
    """A steady stream out of the device: what every camera sends."""
    return (f.sent_kbps >= STREAM_KBPS and f.persistence >= STREAM_PERSISTENCE
            and (f.near_mtu_share is None or f.near_mtu_share >= STREAM_NEAR_MTU)
            and (f.fill is None or f.fill >= STREAM_FILL)
            and f.one_peer_share >= STREAM_ONE_PEER)


def classify(f: TrafficFeatures, motion: MotionResponse | None = None) -> Verdict:
    if f.seconds < MIN_WINDOW_S:
        return Verdict(DeviceClass.UNKNOWN, 0.0, (f"only {f.seconds:.1f} s heard",), motion)
    if streams(f) and f.received_kbps <= ONE_WAY * f.sent_kbps:
        return _camera(f, motion)
    if f.beacons or f.relays:
        why = f"beacons for {f.ssid!r}" if f.beacons else "relays its stations' traffic"
        return Verdict(DeviceClass.ACCESS_POINT, 0.0, (why,), motion)
    if (min(f.sent_kbps, f.received_kbps) >= CALL_KBPS
            and min(f.persistence, f.received_persistence) >= STREAM_PERSISTENCE):
        return Verdict(DeviceClass.PHONE_VIDEO_CALL, 0.0, (
            f"steady both ways ({f.sent_kbps:.0f} kb/s out, {f.received_kbps:.0f} in)",), motion)
    if f.received_kbps >= VIDEO_DOWN_KBPS and f.received_strength >= SEGMENT_STRENGTH \
            and f.sent_kbps < LAPTOP_SENT_SHARE * f.received_kbps:
        return Verdict(DeviceClass.PHONE_VIDEO_DOWN, 0.0, (
            f"receives {f.received_kbps:.0f} kb/s in segments every "
            f"{f.received_period_s:.1f} s",), motion)
    if max(f.sent_kbps, f.received_kbps) < QUIET_KBPS:
        if f.randomised:
            return Verdict(DeviceClass.PHONE_IDLE, 0.0, ("little traffic, private address",),
                           motion)
        return Verdict(DeviceClass.IOT, 0.0, ("little traffic, maker's address",), motion)
    if f.sent_kbps >= LAPTOP_SENT_SHARE * f.received_kbps:
        return Verdict(DeviceClass.LAPTOP, 0.0, (
            f"bursts both ways ({f.sent_kbps:.0f} kb/s out, {f.received_kbps:.0f} in)",), motion)
    return Verdict(DeviceClass.PHONE_BROWSE, 0.0, (
        f"bursts down ({f.received_kbps:.0f} kb/s), little up",), motion)


def _camera(f: TrafficFeatures, motion: MotionResponse | None) -> Verdict:
    mtu = f", {f.near_mtu_share:.0%} near-MTU" if f.near_mtu_share is not None else ""
    reasons = [f"one-way stream {f.sent_kbps:.0f} kb/s in {f.persistence:.0%} of seconds{mtu}"
               + (f", {f.fill:.0%} of tenths" if f.fill is not None else "")]
    score = CAMERA_SCORE
    if f.burst_period_s is not None and f.burst_strength >= KEYFRAME_STRENGTH:
        score += KEYFRAME_SCORE
        reasons.append(f"keyframes every {f.burst_period_s:.1f} s")
    if motion is not None and motion.responds:
        score += MOTION_SCORE
        reasons.append(f"follows the inspector's motion ({motion.lag_s:.0f} s later)")
    elif motion is not None and motion.responds is False:
        reasons.append("does not follow the inspector's motion")
    own_ap = f.beacons or f.relays or f.to_ds_share < 0.5
    if own_ap:
        reasons.append(f"its own access point{f' {f.ssid!r}' if f.ssid else ''}")
    return Verdict(DeviceClass.CAMERA_AP if own_ap else DeviceClass.CAMERA, score,
                   tuple(reasons), motion)
