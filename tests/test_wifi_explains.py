"""What the Wi-Fi monitor tells the RF analysis: traffic it has classified as no camera
explains RF power on its channel, a camera or a stream still being classified never
does, and a channel the RF analysis asks about is listened to next."""

from detector.rf.explain import WifiQuestions
from detector.rf.records import Finding
from detector.sim.wifi_traffic import Link, beacons, camera_stream, phone
from detector.wifi.analysis import LOOK_AGAIN_S, MIN_RUN_S, Dwell, WifiAnalyzer, channel_for
from detector.wifi.hopping import Hopper, HopSchedule

CAM = bytes.fromhex("00005e005301")
PHONE = bytes.fromhex("da0000000002")
AP = bytes.fromhex("0a0000000001")
S = 1_000_000_000
CH6 = (2427.0, 2447.0)  # an RF run over channel 6
CH11 = (2452.0, 2472.0)


def syncing_phone(freq=2437, seconds=10.0, level=-45.0):
    """An idle phone that syncs all through (its radio-field episode covers the sweep)."""
    return list(phone(Link(PHONE, AP, freq), seconds, lambda t: level, "idle", seed=5,
                      episodes=[(0.0, seconds)]))


def camera(freq=2437, seconds=10.0, level=-50.0):
    return list(camera_stream(Link(CAM, AP, freq), seconds, lambda t: level, lambda t: 0.0,
                              seed=3))


def heard(frames, freq, seconds):
    """An analyzer that listened on one channel from 0 for `seconds`, classifying as the
    sweep does (every half second)."""
    analyzer = WifiAnalyzer(0)
    step = S // 2
    for k in range(int(seconds * 2)):
        start, end = k * step, (k + 1) * step
        analyzer.add([f for f in frames if f.freq_mhz == freq and start <= f.t_ns < end],
                      [Dwell(freq, start, end)])
        analyzer.update(end)
    return analyzer


def test_a_syncing_phone_classified_as_no_camera_explains_rf_power_on_its_channel():
    analyzer = heard(syncing_phone(), 2437, 5.0)
    now = 5 * S
    why = analyzer.explains(*CH6, now)
    assert why is not None and why.endswith("on 2437 MHz")
    assert not why.startswith("camera") and not analyzer.examining(*CH6, now)
    # Nothing was heard on channel 11: nothing there is explained.
    assert analyzer.explains(*CH11, now) is None


def test_a_camera_on_the_same_channel_as_a_phone_is_never_explained_away():
    analyzer = heard(syncing_phone() + camera(), 2437, 5.0)
    now = 5 * S
    assert CAM in analyzer.suspects
    assert analyzer.explains(*CH6, now) is None
    # Nothing to wait for either, even when the RF analysis has just asked to look.
    analyzer.look(*CH6, now)
    assert not analyzer.examining(*CH6, now)


def test_a_5ghz_finding_on_an_rx5808_channel_beside_a_cameras_channel_hears_the_camera():
    """The RX5808's 18 MHz channel at 5732 MHz reads a camera streaming on channel 149
    (5745 MHz): the RF analysis's question about that channel finds the camera and
    waits for nothing (it waited for a look at 5730 MHz, where the monitor never goes)."""
    analyzer = heard(camera(freq=5745), 5745, 5.0)
    now = 5 * S
    assert CAM in analyzer.suspects
    questions = WifiQuestions(explainer=analyzer)
    finding = Finding("Wi-Fi", 5732e6, -50.0, 40.0, {"channels": 3})
    assert questions.camera_heard(finding, now)
    assert not questions.examining(finding, now)
    assert analyzer.take_cues() == [5745]


def test_a_stream_not_yet_classified_explains_nothing_and_is_being_examined():
    analyzer = heard(camera(), 2437, 1.0)  # one second: too short to classify
    now = 1 * S
    assert not analyzer.suspects and analyzer.explains(*CH6, now) is None
    assert analyzer.examining(*CH6, now)


def test_beacons_alone_name_an_access_point():
    frames = list(beacons(AP, "venue", 2.0, lambda t: -40.0, 2437, seed=1))
    analyzer = heard(frames, 2437, 1.0)
    assert analyzer.explains(*CH6, 1 * S) == "access-point on 2437 MHz"


def test_traffic_heard_long_ago_explains_nothing_now():
    analyzer = heard(syncing_phone(seconds=5.0), 2437, 5.0)
    assert analyzer.explains(*CH6, 5 * S) is not None
    assert analyzer.explains(*CH6, 12 * S) is None  # six seconds since the last frame


def test_the_rf_analysis_asks_once_and_waits_until_the_channel_was_listened_to():
    analyzer = WifiAnalyzer(0)
    analyzer.look(*CH11, 1 * S)
    analyzer.look(*CH11, 2 * S)  # asked again soon: one cue
    assert analyzer.take_cues() == [2462] and analyzer.take_cues() == []
    assert analyzer.examining(*CH11, 2 * S)
    assert not analyzer.examining(*CH6, 2 * S)
    # The adapter listened there MIN_RUN_S after the question: the look is answered.
    analyzer.add([], [Dwell(2462, 3 * S, 3 * S + int(MIN_RUN_S * S))])
    assert not analyzer.examining(*CH11, 3 * S + int(MIN_RUN_S * S))
    # Much later the same question is asked again.
    analyzer.look(*CH11, int((2 + LOOK_AGAIN_S + 1) * S))
    assert analyzer.take_cues() == [2462]


def test_a_cued_channel_is_visited_next_and_the_cycle_goes_on():
    schedule = HopSchedule(channels=(1, 6, 11))
    hopper = Hopper(schedule, lambda c: True, 0)  # tuned to channel 1
    hopper.cue(2462)
    hopper.cue(2412)  # already there: nothing to do
    assert schedule.cued == [11]
    visited = []
    hopper.advance(2 * S, lambda *_: False,
                   lambda d: visited.append(d.freq_mhz) or 0)
    assert visited[:4] == [2412, 2462, 2437, 2462]


def test_a_look_holds_the_adapter_long_enough_to_classify_what_is_there():
    analyzer = WifiAnalyzer(0)
    analyzer.look(*CH11, 1 * S)
    arrived = 2 * S  # the hopper tuned to channel 11 a second after the question
    assert analyzer.hold(2462, arrived, arrived + S)  # quiet, but asked about: stay
    assert not analyzer.hold(2462, arrived, arrived + int((MIN_RUN_S + 1) * S))
    assert not analyzer.hold(2437, arrived, arrived + S)  # nobody asked about this one


def test_an_rf_run_is_looked_for_on_the_channel_its_emitter_most_likely_uses():
    assert channel_for(2411.5, 2422.5) == 2412  # a piece of channel 1's run
    assert channel_for(2467.0, 2487.0) == 2462  # a run at the band's top edge: channel 11
    assert channel_for(2427.0, 2447.0) == 2437
    assert channel_for(5795.0, 5815.0) == 5805  # 5 GHz: the nearest channel
    # an RX5808 channel at 5732 MHz reads a camera on 5745 MHz (channel 149): look there,
    # not at 5730 MHz, which the monitor never hops
    assert channel_for(5713.0, 5751.0) == 5745
    assert channel_for(5590.0, 5610.0) == 5600  # no hopped channel near: the nearest
    assert channel_for(5900.0, 5920.0) is None  # beyond the Wi-Fi channels


def test_a_run_that_only_grazes_a_cameras_channel_is_still_the_phones():
    """A camera identified on channel 6 and a phone syncing on channel 11: a run over
    channel 11 that reaches a MHz into channel 6's edge is the phone's; one that covers
    both channels is not explained."""
    frames = camera(2437, seconds=12.0) + syncing_phone(2462, seconds=12.0)
    analyzer = WifiAnalyzer(0)
    step = S // 2
    for k in range(20):  # five seconds on each channel, then five more on channel 6
        freq = 2437 if k < 10 else 2462
        start, end = k * step, (k + 1) * step
        analyzer.add([f for f in frames if f.freq_mhz == freq and start <= f.t_ns < end],
                     [Dwell(freq, start, end)])
        analyzer.update(end)
    now = 10 * S
    assert CAM in analyzer.suspects
    assert analyzer.explains(2446.0, 2472.0, now) is not None
    assert analyzer.explains(2427.0, 2472.0, now) is None
