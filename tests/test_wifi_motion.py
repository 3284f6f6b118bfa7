"""The motion test on series whose answer is known: a bitrate that follows the
observer's motion a second later, one that ignores it, and an observer who never
changed pace. And how often it calls unrelated series related (at most about 1 %)."""

import numpy as np
import pytest

from detector.wifi.motion import binned, motion_response


def walk(seconds=40, seed=2):
    """Motion in degrees per second: standing, walking across, standing, turning."""
    rng = np.random.default_rng(seed)
    pattern = np.concatenate([np.zeros(8), np.full(10, 30.0), np.zeros(8), np.full(8, 45.0),
                              np.zeros(seconds - 34)])
    return pattern + rng.normal(0, 2.0, seconds).clip(0)


def test_a_camera_that_sees_the_inspector_follows_the_motion_a_second_later():
    rng = np.random.default_rng(4)
    motion = walk()
    kbps = 400 + 25 * np.roll(motion, 1) + rng.normal(0, 40, len(motion))
    result = motion_response(kbps, motion)
    assert result.responds is True and result.lag_s == 1.0
    assert result.correlation > result.bound


def test_a_stream_that_ignores_the_inspector_does_not_respond():
    rng = np.random.default_rng(5)
    motion = walk()
    call = 900 + rng.normal(0, 80, len(motion))  # a video call in a pocket
    assert motion_response(call, motion).responds is False


def test_an_observer_who_never_moved_tests_nothing():
    result = motion_response(np.arange(30.0), np.zeros(30))
    assert result.responds is None and result.lag_s is None
    assert motion_response(np.arange(5.0), np.arange(5.0)).responds is None  # too short


def test_unrelated_series_are_called_related_rarely():
    rng = np.random.default_rng(11)
    calls = sum(bool(motion_response(rng.normal(500, 50, 40), rng.gamma(2, 10, 40)).responds)
                for _ in range(400))
    assert calls <= 12  # 1 % expected; 12 of 400 is well above what chance gives


def test_binning_frames_into_seconds():
    t = np.array([0.1, 0.5, 1.2, 3.9, 7.0])
    assert binned(t, np.array([1, 2, 3, 4, 5]), 0.0, 4).tolist() == [3, 3, 0, 4]
    means = binned(t, np.array([1, 2, 3, 4, 5]), 0.0, 4, mean=True)
    assert means[0] == pytest.approx(1.5) and np.isnan(means[2])


def test_the_summary_tells_which_transmitter_follows_the_motion(tmp_path, capsys):
    """A capture with a camera whose bitrate follows the observer and a phone on a
    steady call; the motion CSV as `detector wifi summary --motion` reads it."""
    import json

    from detector.cli import main
    from detector.wifi.capture import PcapWriter
    from detector.wifi.encode import capture_bytes
    from tests.test_wifi_features import CAM, PHONE, S, data

    rng = np.random.default_rng(8)
    motion = walk()
    frames = []
    for second in range(len(motion)):
        cam_frames = int(30 + 2.0 * (motion[second - 1] if second else 0))
        frames += [data(second * S + k * (S // 200), CAM, 1500) for k in range(cam_frames)]
        frames += [data(second * S + k * (S // 50) + 7, PHONE, 1000)
                   for k in range(int(rng.integers(38, 42)))]
    frames.sort(key=lambda f: f.t_ns)
    capture = tmp_path / "room.pcap"
    with open(capture, "wb") as fh:
        writer = PcapWriter(fh)
        for frame in frames:
            writer.write(frame.t_ns, *capture_bytes(frame))
    csv = tmp_path / "motion.csv"
    csv.write_text("t_s,motion\n" + "".join(f"{t + 0.5},{m}\n" for t, m in enumerate(motion)))
    assert main(["wifi", "summary", str(capture), "--motion", str(csv),
                 "--json", str(tmp_path / "s.json")]) == 0
    found = {t["address"]: t["motion_response"]
             for t in json.loads((tmp_path / "s.json").read_text())["transmitters"]}
    assert found[CAM.hex(":")]["responds"] is True
    assert found[PHONE.hex(":")]["responds"] is False
    capsys.readouterr()
    (tmp_path / "bad.csv").write_text("time,speed\n1,2\n")
    assert main(["wifi", "summary", str(capture), "--motion", str(tmp_path / "bad.csv")]) != 0
    assert "expected a CSV with columns t_s and motion" in capsys.readouterr().err
