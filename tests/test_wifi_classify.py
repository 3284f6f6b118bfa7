"""The classifier on traffic whose answer is known: every simulated kind of device over
several seeds, the rules' edges on hand-made features, and `detector wifi classify` on a
capture and on CSV traffic series (per frame, per time bin, with a motion series)."""

import json

import numpy as np
import pytest

from detector.cli import main
from detector.sim.wifi_traffic import Link, camera_stream, laptop, phone, smart_speaker
from detector.wifi.capture import PcapWriter
from detector.wifi.classify import DeviceClass, classify
from detector.wifi.encode import capture_bytes
from detector.wifi.features import summarise
from detector.wifi.motion import MotionResponse

CAM = bytes.fromhex("00005e005301")
PHONE = bytes.fromhex("da0000000002")
AP = bytes.fromhex("0a0000000001")
SECONDS = 30.0


def flat(level):
    return lambda _t: level


def device(frames, address):
    return next(f for f in summarise(list(frames)) if f.address == address)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("make, address, expected", [
    (lambda s: camera_stream(Link(CAM, AP), SECONDS, flat(-55), lambda t: 0.0, seed=s),
     CAM, DeviceClass.CAMERA),
    (lambda s: camera_stream(Link(PHONE, CAM), SECONDS, flat(-55), lambda t: 0.0,
                             own_ap=True, seed=s), CAM, DeviceClass.CAMERA_AP),
    (lambda s: phone(Link(PHONE, AP), SECONDS, flat(-60), "idle", seed=s), PHONE,
     DeviceClass.PHONE_IDLE),
    (lambda s: phone(Link(PHONE, AP), SECONDS, flat(-60), "browse", seed=s), PHONE,
     DeviceClass.PHONE_BROWSE),
    (lambda s: phone(Link(PHONE, AP), SECONDS, flat(-60), "video-down", seed=s), PHONE,
     DeviceClass.PHONE_VIDEO_DOWN),
    (lambda s: phone(Link(PHONE, AP), SECONDS, flat(-60), "video-call", seed=s), PHONE,
     DeviceClass.PHONE_VIDEO_CALL),
    (lambda s: laptop(Link(PHONE, AP), SECONDS, flat(-60), seed=s), PHONE, DeviceClass.LAPTOP),
    (lambda s: smart_speaker(Link(CAM, AP), SECONDS, flat(-60), seed=s), CAM, DeviceClass.IOT),
])
def test_each_simulated_kind_is_classified_as_itself(seed, make, address, expected):
    verdict = classify(device(make(seed), address))
    assert verdict.device_class == expected, verdict.reasons
    assert verdict.device_class.is_camera == (expected in (DeviceClass.CAMERA,
                                                           DeviceClass.CAMERA_AP))


def test_a_camera_scores_more_with_keyframes_and_with_the_motion_test():
    f = device(camera_stream(Link(CAM, AP), SECONDS, flat(-55), lambda t: 0.0, seed=1), CAM)
    plain = classify(f)
    assert plain.score == pytest.approx(0.8) and any("keyframes" in r for r in plain.reasons)
    follows = classify(f, MotionResponse(True, 1.0, 0.8, 0.5, 30))
    assert follows.score == pytest.approx(1.0) and follows.motion_response is True
    away = classify(f, MotionResponse(False, 0.0, 0.1, 0.5, 30))
    assert away.device_class == DeviceClass.CAMERA and away.score == pytest.approx(0.8)


def test_a_short_window_says_nothing():
    f = device(camera_stream(Link(CAM, AP), 1.5, flat(-55), lambda t: 0.0, seed=1), CAM)
    assert classify(f).device_class == DeviceClass.UNKNOWN


def test_an_access_point_serving_one_download_is_not_a_camera():
    # The access point's traffic to a laptop downloading: one-way, in every second, but in
    # bursts, not a picture every tenth of a second.
    frames = list(laptop(Link(PHONE, AP), SECONDS, flat(-60), seed=5))
    ap = device(frames, AP)
    assert ap.relays and classify(ap).device_class == DeviceClass.ACCESS_POINT


def write_pcap(path, frames):
    with open(path, "wb") as fh:
        writer = PcapWriter(fh)
        for frame in sorted(frames, key=lambda f: f.t_ns):
            writer.write(frame.t_ns, *capture_bytes(frame))


def test_classify_a_capture(tmp_path, capsys):
    frames = (list(camera_stream(Link(CAM, AP), 20, flat(-50), lambda t: 0.0, seed=2))
              + list(phone(Link(PHONE, AP), 20, flat(-60), "video-call", seed=2)))
    write_pcap(tmp_path / "room.pcap", frames)
    out_json = tmp_path / "v.json"
    assert main(["wifi", "classify", str(tmp_path / "room.pcap"), "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    assert "00:00:5e:00:53:01  camera" in out and "phone-video-call" in out
    body = json.loads(out_json.read_text())
    by_id = {t["id"]: t for t in body["transmitters"]}
    assert by_id["00:00:5e:00:53:01"]["class"] == "camera"
    assert by_id["00:00:5e:00:53:01"]["motion_response"] is None  # no motion series
    assert by_id["da:00:00:00:00:02"]["class"] == "phone-video-call"
    assert set(by_id["da:00:00:00:00:02"]) >= {"id", "class", "score", "motion_response"}


def camera_rows(seconds, walking, seed=0):
    """A camera's frames as CSV rows (t_s,bytes), its bitrate following `walking`."""
    frames = camera_stream(Link(CAM, AP), seconds, flat(-50), walking, seed=seed)
    return [(f.t_ns / 1e9, f.length) for f in frames]


def walking(t):
    return 1.0 if 8 <= t < 16 or 22 <= t < 27 else 0.0


def test_classify_a_csv_series_per_frame_with_the_motion_test(tmp_path, capsys):
    series = tmp_path / "series.csv"
    series.write_text("t_s,bytes\n" + "".join(f"{t + 100:.6f},{b}\n"
                                              for t, b in camera_rows(30, walking)))
    motion = tmp_path / "motion.csv"
    motion.write_text("t_s,motion\n" + "".join(f"{t + 100 + 0.5},{30 * walking(t + 0.5)}\n"
                                               for t in range(30)))
    out_json = tmp_path / "v.json"
    assert main(["wifi", "classify", str(series), "--motion", str(motion),
                 "--json", str(out_json)]) == 0
    (only,) = json.loads(out_json.read_text())["transmitters"]
    assert only["id"] == "series" and only["class"] == "camera"
    assert only["motion_response"] is True and only["score"] == pytest.approx(1.0)
    # A steady call does not follow the same walk.
    call = [(f.t_ns / 1e9 + 100, f.length, "up" if f.to_ds else "down")
            for f in phone(Link(PHONE, AP), 30, flat(-60), "video-call", seed=1)]
    series.write_text("t_s,bytes,direction\n" + "".join(f"{t:.6f},{b},{d}\n"
                                                        for t, b, d in call))
    assert main(["wifi", "classify", str(series), "--motion", str(motion),
                 "--json", str(out_json)]) == 0
    (only,) = json.loads(out_json.read_text())["transmitters"]
    assert only["class"] == "phone-video-call" and only["motion_response"] is False


def test_classify_a_binned_csv_with_several_transmitters(tmp_path):
    rows = camera_rows(30, lambda t: 0.0)
    per_second = np.bincount(np.array([int(t) for t, _b in rows]),
                             weights=np.array([b for _t, b in rows]), minlength=30)
    lines = ["t_s,bytes,id,direction"]
    lines += [f"{k},{int(v)},cam,up" for k, v in enumerate(per_second)]
    lines += [f"{k},{12000 if k % 7 == 0 else 0},speaker,up" for k in range(30)]
    series = tmp_path / "bins.csv"
    series.write_text("\n".join(lines) + "\n")
    out_json = tmp_path / "v.json"
    assert main(["wifi", "classify", str(series), "--json", str(out_json)]) == 0
    by_id = {t["id"]: t for t in json.loads(out_json.read_text())["transmitters"]}
    assert by_id["cam"]["class"] == "camera"
    assert by_id["cam"]["features"]["near_mtu_share"] is None  # sizes unknown in bins
    assert by_id["speaker"]["class"] != "camera"


@pytest.mark.parametrize("text, message", [
    ("time,size\n1,2\n", "expected columns t_s and bytes"),
    ("t_s,bytes\n1,lots\n", "line 2: t_s and bytes must be numbers"),
    ("t_s,bytes,direction\n1,100,sideways\n", "direction 'sideways'"),
    ("t_s,bytes\n", "no rows"),
])
def test_a_malformed_series_is_one_line(tmp_path, capsys, text, message):
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    assert main(["wifi", "classify", str(bad)]) != 0
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err
