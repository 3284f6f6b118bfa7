"""RF findings that the Wi-Fi monitor's classified traffic explains raise no alert: the
RF analysis asks the monitor to look at a new emitter's channel, waits (a bounded time)
while its traffic is being classified, and sets aside what a phone or an access point
accounts for, so that a camera elsewhere in the band raises its own alert."""

from detector.rf.analysis import RfAnalyzer, RfParams
from tests.test_rf_analysis import START, World

CONFIRM_S = RfParams.defaults().wifi_confirm_s
WAIT_S = RfParams.defaults().wifi_wait_s


class Monitor:
    """A stand-in for the Wi-Fi monitor's analysis: which channel (MHz) carries traffic
    classified as what from when (ms), and which channels are still being classified
    until when (ms). Records the looks it is asked for."""

    def __init__(self, classified=None, examining_until=None, cameras=None):
        self.classified = classified or {}  # MHz -> (class, from ms)
        self.examining_until = examining_until or {}  # MHz -> ms
        self.cameras = cameras or {}  # MHz -> from ms: an identified camera heard there
        self.looks = []

    def _on(self, table, lo, hi):
        return [mhz for mhz in table if mhz - 10 < hi and mhz + 10 > lo]

    def explains(self, lo, hi, now):
        ms = (now - START) / 1e6
        for mhz in self._on(self.classified, lo, hi):
            kind, since = self.classified[mhz]
            if ms >= since:
                return f"{kind} on {mhz} MHz"
        return None

    def examining(self, lo, hi, now):
        ms = (now - START) / 1e6
        return any(ms < self.examining_until[mhz]
                   for mhz in self._on(self.examining_until, lo, hi))

    def look(self, lo, hi, now):
        self.looks.append(((lo + hi) / 2, (now - START) / 1e9))

    def camera_heard(self, lo, hi, now):
        ms = (now - START) / 1e6
        return any(ms >= self.cameras[mhz] for mhz in self._on(self.cameras, lo, hi))


def phone_world(seed=11):
    world = World(seed)
    world.wifi.append((2412, -55, 0.4, 4_000, 30_000))  # a neighbour's phone starts syncing
    return world


def started_s(alerts):
    return [round((a.start_ns - START) / 1e9, 1) for a in alerts]


def test_a_phone_the_monitor_classified_raises_no_alert_and_is_counted():
    assert len(phone_world().run(RfAnalyzer(START, 3.0), 30_000)) == 1  # alone: an alert
    monitor = Monitor({2412: ("phone-idle", 5_000)})
    analyzer = RfAnalyzer(START, 3.0, explainer=monitor)
    assert phone_world().run(analyzer, 30_000) == []
    assert analyzer.wifi.counts["phone-idle"] > 0
    # It was asked to look at the phone's channel as soon as the finding appeared.
    centre, asked_s = monitor.looks[0]
    assert abs(centre - 2412) <= 6 and 4.0 <= asked_s <= 5.0


def test_a_camera_elsewhere_in_the_band_raises_its_own_alert_while_a_phone_is_explained():
    def world():
        w = phone_world(12)
        w.wifi.append((2462, -45, 0.3, 10_000, 30_000))  # a camera starts streaming
        return w

    alone = world().run(RfAnalyzer(START, 3.0), 30_000)
    assert [round(a.raised_freq_hz / 1e6) for a in alone][0] in (2411, 2412, 2413)
    explained = world().run(RfAnalyzer(START, 3.0, explainer=Monitor(
        {2412: ("phone-idle", 5_000)})), 30_000)
    assert [abs(a.raised_freq_hz / 1e6 - 2462) <= 3 for a in explained] == [True]
    assert 10.0 + CONFIRM_S <= started_s(explained)[0] <= 10.0 + CONFIRM_S + 1.0


def test_confirmation_waits_for_a_verdict_then_alerts_if_none_explains():
    # The monitor is classifying the channel until 9 s, then says it is a phone.
    monitor = Monitor({2412: ("phone-idle", 9_000)}, {2412: 9_000})
    assert phone_world().run(RfAnalyzer(START, 3.0, explainer=monitor), 30_000) == []
    # A verdict that never comes holds the alert back by at most wifi_wait_s.
    never = Monitor({}, {2412: 60_000})
    late = phone_world().run(RfAnalyzer(START, 3.0, explainer=never), 30_000)
    alone = phone_world().run(RfAnalyzer(START, 3.0), 30_000)
    assert len(late) == 1 and len(alone) == 1
    delay = started_s(late)[0] - started_s(alone)[0]
    assert 0.0 < delay <= WAIT_S + 0.1


def test_an_analog_carrier_is_never_explained_by_wifi_traffic():
    world = World(13)
    world.carrier_5g8 = (5880, -55.0)
    monitor = Monitor({5880: ("access-point", 0)})  # whatever it says of the channel
    alerts = world.run(RfAnalyzer(START, 3.0, explainer=monitor), 12_000)
    assert [a.band for a in alerts] == ["analog-5g8"]


def test_wifi_explains_off_ignores_the_monitor():
    params = RfParams.defaults().with_(wifi_explains=False)
    monitor = Monitor({2412: ("phone-idle", 0)})
    analyzer = RfAnalyzer(START, 3.0, params, explainer=monitor)
    assert len(phone_world().run(analyzer, 30_000)) == 1
    assert monitor.looks == [] and analyzer.wifi.counts == {}


NEIGHBOUR = """
[[transmitters]]
kind = "phone"
id = "neighbour"
at = [-0.6, 1.2, 1.0]
band = "wifi-2g4"
duty = 0.5
"""


def test_a_neighbours_syncing_phone_is_explained_by_the_simulated_monitor():
    """The whole chain in simulation: the phone behind the partition syncs, the RF
    scanner hears it, the RF analysis asks the monitor, the hopper listens there, the
    traffic is classified, and the alert that a power-only device raises is not
    raised."""
    import dataclasses

    from detector.evaluation.runs import run_rf_only
    from tests.conftest import SMALL, scenario_from

    base = SMALL.replace("start_at_door_s = 0", "start_at_door_s = 3").replace(
        "{ t = 1, at = [1.0, 1.5, 1.2]", "{ t = 16, at = [1.0, 1.0, 1.2]")
    room = dataclasses.replace(scenario_from(NEIGHBOUR, base=base), seed=1)
    power_only = run_rf_only(room, wifi=False)
    assert [a["band"] for a in power_only.rf_alerts] == ["wifi-2g4"]
    with_monitor = run_rf_only(room)
    assert with_monitor.rf_alerts == [] and sum(with_monitor.rf_stats["explained"].values()) > 0


def test_the_band_alerts_at_a_run_the_monitor_has_settled_before_one_it_is_classifying():
    """A loud phone whose traffic is still being classified and a quieter camera start
    together: the band's one alert goes to the run the monitor is not waiting on."""
    def world():
        w = World(14)
        w.wifi.append((2412, -45, 0.4, 4_000, 30_000))  # the phone
        w.wifi.append((2462, -55, 0.3, 4_000, 30_000))  # the camera
        return w

    alone = world().run(RfAnalyzer(START, 3.0), 30_000)
    assert abs(raised_mhz(alone)[0] - 2412) <= 3
    classifying = Monitor({}, {2412: 60_000})
    settled = world().run(RfAnalyzer(START, 3.0, explainer=classifying), 30_000)
    assert abs(raised_mhz(settled)[0] - 2462) <= 3


def raised_mhz(alerts):
    return [round(a.raised_freq_hz / 1e6) for a in alerts]


def test_the_band_alerts_at_an_identified_cameras_run_before_a_louder_one():
    """A louder emitter that nothing on Wi-Fi explains (a phone the monitor heard only
    keep-alives of, say) and a quieter camera the monitor has identified start together:
    the band's one alert goes to the camera's run."""
    def world():
        w = World(15)
        w.wifi.append((2412, -45, 0.4, 4_000, 30_000))  # the louder emitter
        w.wifi.append((2462, -55, 0.5, 4_000, 30_000))  # the camera
        return w

    alone = world().run(RfAnalyzer(START, 3.0), 30_000)
    assert abs(raised_mhz(alone)[0] - 2412) <= 3
    identified = Monitor(cameras={2462: 5_000})
    alerts = world().run(RfAnalyzer(START, 3.0, explainer=identified), 30_000)
    assert abs(raised_mhz(alerts)[0] - 2462) <= 3


def test_a_hold_one_emitter_began_does_not_confirm_another():
    """The band's one finding moves from an emitter that came and went to a louder one
    that starts later: the later one holds for the whole confirmation time of its own."""
    world = World(16)
    world.wifi.append((2412, -55, 0.4, 4_000, 6_500))  # briefly, from 4 s
    world.wifi.append((2462, -45, 0.4, 6_000, 30_000))  # from 6 s, louder
    alerts = world.run(RfAnalyzer(START, 3.0), 30_000)
    assert abs(raised_mhz(alerts)[0] - 2462) <= 3
    assert started_s(alerts)[0] >= 6.0 + CONFIRM_S
