"""The sweep's Wi-Fi analysis on frames heard through a hopping adapter: a camera is
identified a few seconds after its channel is first visited, the hopper stays on a
channel while a stream there is unclassified (and no longer), devices not suspected are
forgotten with their window, the trail follows the camera's signal, and capture files
and a live socket feed the same analysis."""

import socket

import pytest

from detector.sim.wifi_traffic import Link, camera_stream, phone
from detector.wifi.analysis import HOLD_MAX_S, MIN_RUN_S, WINDOW_S, Dwell, WifiAnalyzer
from detector.wifi.encode import capture_bytes
from detector.wifi.file_source import CaptureFileSource
from detector.wifi.hopping import Hopper, HopSchedule
from detector.wifi.monitor import WifiMonitor

CAM = bytes.fromhex("00005e005301")
PHONE = bytes.fromhex("da0000000002")
AP = bytes.fromhex("0a0000000001")
S = 1_000_000_000


class FramesOnChannels:
    """A source of pre-made frames heard through a hopper (what the simulator does)."""

    def __init__(self, frames, schedule=None):
        self.frames = sorted(frames, key=lambda f: f.t_ns)
        self.hopper = Hopper(schedule or HopSchedule(channels=(1, 6, 11)), lambda c: True, 0)
        self.dwells = []

    def read(self, now, hold, deliver):
        def listen(d):
            heard = [f for f in self.frames
                     if f.freq_mhz == d.freq_mhz and d.start_ns <= f.t_ns < d.end_ns]
            self.dwells.append(d)
            deliver(heard, d)
            return sum(f.kind == "data" for f in heard)

        self.hopper.advance(now, hold, listen)

    def close(self):
        pass


def run(monitor, seconds, step_s=0.05, motion=None):
    updates = []
    for k in range(int(seconds / step_s) + 1):
        now = int(k * step_s * S)
        if motion is not None:
            monitor.add_motion(now, motion(now / S))
        updates.append((now, monitor.poll(now)))
    return updates


def camera_on(freq, seconds=30.0, level=-50.0, walking=lambda t: 0.0):
    return list(camera_stream(Link(CAM, AP, freq), seconds, lambda t: level, walking, seed=3))


def test_a_camera_is_identified_soon_after_its_channel_is_first_visited():
    source = FramesOnChannels(camera_on(2437) + list(
        phone(Link(PHONE, AP, 2462), 30.0, lambda t: -60.0, "video-call", seed=3)))
    monitor = WifiMonitor(source, 0)
    updates = run(monitor, 20.0)
    found = [(now, c) for now, u in updates for c in u.new_cameras]
    assert [c["address"] for _now, c in found] == ["00:00:5e:00:53:01"]
    first_visit = min(d.start_ns for d in source.dwells if d.freq_mhz == 2437)
    delay_s = (found[0][0] - first_visit) / S
    assert MIN_RUN_S <= delay_s <= MIN_RUN_S + 1.0
    assert found[0][1]["class"] == "camera" and found[0][1]["rssi_trail"]
    # The call next to it is classified, and never raises an alert.
    verdicts = {a: v.device_class for a, (_run, v) in monitor.analyzer.verdicts.items()}
    assert verdicts[PHONE] == "phone-video-call"


def test_the_hopper_stays_while_a_stream_is_unclassified_and_no_longer():
    analyzer = WifiAnalyzer(0)
    stream = camera_on(2412, seconds=10.0)
    heard = [f for f in stream if f.t_ns < 0.5 * S]
    analyzer.add(heard, [Dwell(2412, 0, int(0.5 * S))])
    assert analyzer.hold(2412, 0, int(0.5 * S))  # a stream, not classified yet
    assert not analyzer.hold(2437, 0, int(0.5 * S))  # nothing there
    assert not analyzer.hold(2412, 0, int((HOLD_MAX_S + 0.1) * S))  # not for ever


def test_devices_not_suspected_are_forgotten_with_their_window():
    analyzer = WifiAnalyzer(0)
    call = list(phone(Link(PHONE, AP, 2412), 10.0, lambda t: -60.0, "video-call", seed=1))
    analyzer.add(call, [Dwell(2412, 0, 10 * S)])
    analyzer.update(10 * S)
    assert PHONE in analyzer.frames and PHONE not in analyzer.suspects
    analyzer.update(int((10 + WINDOW_S + 1) * S))  # nothing heard since
    assert PHONE not in analyzer.frames and PHONE not in analyzer.verdicts
    assert analyzer.suspects == {}


def test_the_trail_follows_the_camera_hotter_and_colder():
    # The inspector walks toward the camera for 10 s (signal -80 to -40 dBm), then away.
    def level(t):
        return -80.0 + 4.0 * t if t < 10 else -40.0 - 4.0 * (t - 10)

    frames = list(camera_stream(Link(CAM, AP, 2412), 20.0, level, lambda t: 0.0, seed=2))
    monitor = WifiMonitor(FramesOnChannels(frames, HopSchedule(channels=(1,))), 0)
    updates = dict(run(monitor, 20.0))
    at_9, at_19 = updates[9 * S], updates[19 * S]
    assert at_9.nearest is not None and at_9.trend_db > 2.0
    assert at_19.trend_db < -2.0
    assert at_9.nearest.proximity > at_19.nearest.proximity
    assert "WIFI CAM" in at_9.text


def test_a_camera_without_a_motion_answer_prompts_one_walk():
    monitor = WifiMonitor(FramesOnChannels(camera_on(2412), HopSchedule(channels=(1,))), 0)
    updates = run(monitor, 30.0)
    prompted = [now for now, u in updates if u.walk_for is not None]
    assert prompted and (prompted[-1] - prompted[0]) / S <= 10.0  # asked once, 10 s


def test_the_motion_test_runs_on_what_the_device_measured():
    def walking(t):
        return 1.0 if 5 <= t < 9 or 14 <= t < 18 else 0.0

    frames = camera_on(2412, walking=walking)
    monitor = WifiMonitor(FramesOnChannels(frames, HopSchedule(channels=(1,))), 0)
    run(monitor, 25.0, motion=lambda t: 20.0 * walking(t - 0.3))
    (suspect,) = monitor.analyzer.suspects.values()
    assert suspect.verdict.motion_response is True
    assert any("follows the inspector" in r for r in suspect.verdict.reasons)


def test_a_capture_file_is_heard_stretch_by_stretch():
    frames = camera_on(2412, seconds=8.0) + list(
        phone(Link(PHONE, AP, 2437), 8.0, lambda t: -60.0, "idle", seed=1))
    source = CaptureFileSource(frames, 0)
    got = []
    source.read(8 * S, lambda *a: False, lambda f, d: got.append((len(f), d)))
    dwells = [d for _n, d in got]
    assert sum(n for n, _d in got) == len(frames)
    assert all(a.end_ns == b.start_ns for a, b in zip(dwells, dwells[1:], strict=False))
    assert {d.freq_mhz for d in dwells} == {2412, 2437}


class FakeIw:
    def __init__(self):
        self.tuned = []

    def __call__(self, args):
        if args[2:4] == ["set", "channel"]:
            self.tuned.append(int(args[4]))
            return 0, ""
        channel = self.tuned[-1] if self.tuned else 1
        return 0, f"Interface wlanmon\n\ttype monitor\n\twiphy 0\n\tchannel {channel} " \
                  f"({2407 + 5 * channel} MHz), width: 20 MHz\n"


def test_a_live_socket_feeds_the_same_analysis():
    from detector.hw.clock import SimClock
    from detector.wifi.adapter import MonitorAdapter
    from detector.wifi.live import LiveCapture

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    clock = SimClock(0)
    iw = FakeIw()
    capture = LiveCapture(ours, clock, MonitorAdapter("wlanmon", run=iw),
                          HopSchedule(channels=(1,)))
    monitor = WifiMonitor(capture, 0)
    try:
        stream = camera_on(2412, seconds=6.0)
        for k, frame in enumerate(stream):
            clock.advance_to(frame.t_ns)  # the reader stamps each frame as it arrives
            head, length = capture_bytes(frame)
            theirs.send(head + bytes(length - len(head)))  # a body the reader never copies
            assert wait_until(lambda k=k: len(capture.queue) == k + 1)
        assert all(len(head) <= 256 for _t, head, _n in capture.queue)  # headers only
        clock.advance_to(6 * S)
        update = monitor.poll(6 * S)
        assert monitor.frames_heard == len(stream)
        assert [c["address"] for c in update.new_cameras] == ["00:00:5e:00:53:01"]
        assert iw.tuned and set(iw.tuned) == {1}
    finally:
        monitor.close()
        theirs.close()


def wait_until(condition, limit_s=10.0):
    """Wait for the reader thread (a bound, not a timing check)."""
    import threading

    done = threading.Event()
    for _ in range(int(limit_s / 0.001)):
        if condition():
            return True
        done.wait(0.001)
    return condition()


class PulledOut:
    def settimeout(self, _s):
        pass

    def recv_into(self, _buf, _nbytes=0, _flags=0):
        raise OSError(19, "No such device")

    def close(self):
        pass


def test_an_adapter_pulled_out_is_a_fault_not_a_crash():
    from detector.hw.clock import SimClock
    from detector.wifi.adapter import MonitorAdapter
    from detector.wifi.live import LiveCapture

    capture = LiveCapture(PulledOut(), SimClock(0), MonitorAdapter("wlanmon", run=FakeIw()))
    capture._thread.join(timeout=5)
    monitor = WifiMonitor(capture, 0)
    update = monitor.poll(S)
    assert monitor.error == "Wi-Fi adapter wlanmon: No such device"
    assert update.text == "WIFI FAILED" and update.new_cameras == []
    monitor.close()


@pytest.mark.parametrize("tune_ok", [True, False])
def test_the_hopper_counts_channels_that_would_not_tune(tune_ok):
    hopper = Hopper(HopSchedule(channels=(1, 6)), lambda c: tune_ok, 0)
    hopper.advance(2 * S, lambda *a: False, lambda d: 0)
    assert (hopper.failed_tunes == 0) == tune_ok
