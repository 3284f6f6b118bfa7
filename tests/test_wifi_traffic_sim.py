"""The simulated traffic, read back through the features and the motion test: each kind
of emitter looks as its kind should, and a camera's stream follows what it sees."""

import numpy as np
import pytest

from detector.sim.wifi_traffic import (
    Link,
    beacons,
    camera_stream,
    laptop,
    phone,
    smart_speaker,
)
from detector.wifi.features import features_of
from detector.wifi.motion import binned, motion_response

CAM = bytes.fromhex("a4cf12000001")
PHONE = bytes.fromhex("da0000000002")
AP = bytes.fromhex("001122334455")
SECONDS = 30.0


def flat(level):
    return lambda _t: level


def still(_t):
    return 0.0


def feats(address, frames):
    return features_of(address, list(frames), 0, int(SECONDS * 1e9))


def test_a_camera_streams_steadily_near_the_mtu_with_its_group_of_pictures():
    f = feats(CAM, camera_stream(Link(CAM, AP), SECONDS, flat(-55), still, kbps=800,
                                 gop_s=2.0, seed=1))
    assert f.sent_kbps == pytest.approx(800 * 1.04, rel=0.1)  # video plus headers
    assert f.near_mtu_share > 0.7 and f.steadiness > 0.7 and f.persistence == 1.0
    assert f.burst_period_s == pytest.approx(2.0, abs=0.15) and f.burst_strength > 0.3
    assert f.rssi_dbm == pytest.approx(-55, abs=1.5)


@pytest.mark.parametrize("traffic, check", [
    ("idle", lambda f: f.sent_kbps < 1 and f.persistence < 0.3),
    ("browse", lambda f: f.received_kbps > 5 * f.sent_kbps and f.steadiness < 0.5),
    ("video-down", lambda f: f.received_kbps > 2000 and f.sent_kbps == 0),
    ("video-call", lambda f: 500 < f.sent_kbps < 1500 and f.near_mtu_share < 0.9
     and f.received_kbps > 500),
])
def test_phones_look_like_their_use(traffic, check):
    f = feats(PHONE, phone(Link(PHONE, AP), SECONDS, flat(-60), traffic, seed=2))
    assert check(f), f.to_json()


def test_laptops_speakers_and_access_points():
    lap = feats(PHONE, laptop(Link(PHONE, AP), SECONDS, flat(-65), seed=3))
    assert lap.received_kbps > lap.sent_kbps and lap.steadiness < 0.5
    speaker = feats(PHONE, smart_speaker(Link(PHONE, AP), SECONDS, flat(-65), seed=3))
    assert speaker.sent_kbps < 1 and speaker.received_kbps < 1 and speaker.data_frames >= 4
    ap = feats(AP, beacons(AP, "CAM-7F21", SECONDS, flat(-70)))
    assert ap.ssid == "CAM-7F21" and ap.frames == int(SECONDS / 0.1024)


def test_a_camera_that_sees_the_inspector_follows_the_walk_and_a_call_does_not():
    def walking(t):
        return 1.0 if 8 <= t < 16 or 22 <= t < 27 else 0.0

    motion = np.array([30.0 * walking(t + 0.5) for t in range(int(SECONDS))])
    for source, address, expected in (
            (camera_stream(Link(CAM, AP), SECONDS, flat(-55), walking, seed=4), CAM, True),
            (phone(Link(PHONE, AP), SECONDS, flat(-60), "video-call", seed=4), PHONE, False)):
        up = [f for f in source if f.uplink]
        t = np.array([f.t_ns / 1e9 for f in up])
        rate = binned(t, np.array([f.length * 8.0 for f in up]), 0.0, int(SECONDS))
        assert motion_response(rate, motion).responds is expected, address.hex()


def test_unknown_phone_traffic_is_refused():
    with pytest.raises(ValueError, match="expected idle, browse"):
        list(phone(Link(PHONE, AP), 1.0, flat(-60), "gaming"))
