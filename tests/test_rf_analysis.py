"""RF analysis on synthetic sweeps: the door baseline, new and stronger emitters, carriers,
Bluetooth hopping, broadband-only sources, alert episodes and proximity."""

import numpy as np

from detector.rf.analysis import RfAnalyzer, RfParams
from detector_firmware.channels import scan_list

MS = 1_000_000
START = 1_000_000_000
RX_FREQS = [f * 1_000_000 for f in scan_list()]
PER_EMITTER = RfParams.defaults().with_(alert_per_emitter=True)


def cc(t_ms, levels):
    return {"t_ns": START + t_ms * MS, "source": "cc2500", "band": "ism-2g4",
            "start_hz": 2_400_000_000, "step_hz": 1_000_000, "dbm": list(levels)}


def rx(t_ms, levels):
    return {"t_ns": START + t_ms * MS, "source": "rx5808", "band": "analog-5g8",
            "start_hz": RX_FREQS[0], "step_hz": 0, "freqs_hz": RX_FREQS, "dbm": list(levels)}


def bb(t_ms, dbm):
    return {"t_ns": START + t_ms * MS, "source": "ad8318", "band": "broadband", "start_hz": 0,
            "step_hz": 0, "dbm": [dbm]}


class World:
    """Noise floors plus whatever a test switches on, sampled like the real scanner."""

    def __init__(self, seed=0):
        self.rng = np.random.default_rng(seed)
        self.wifi = []  # (centre MHz, on-level dBm, occupancy, from_ms, to_ms)
        self.hopper = None  # (level, occupancy)
        self.carrier_5g8 = None  # (MHz, level)
        self.broadband = (-60.0, 0.0)  # (level when a source is on, occupancy)
        # A slow sweep reads each channel in a packet slot of its own: a Wi-Fi emitter's
        # channels are hit one by one, not all together.
        self.slow = False

    def cc_levels(self, t):
        levels = -104 + self.rng.normal(0, 1, 84)
        for centre, level, occ, t0, t1 in self.wifi:
            band = slice(centre - 2400 - 9, centre - 2400 + 10)
            if t0 <= t < t1 and self.slow:
                on = self.rng.random(19) < occ
                levels[band] = np.where(on, np.maximum(levels[band], level), levels[band])
            elif t0 <= t < t1 and self.rng.random() < occ:
                levels[band] = np.maximum(levels[band], level + self.rng.normal(0, 1, 19))
        if self.hopper and self.rng.random() < self.hopper[1]:
            ch = self.rng.integers(2, 81)
            levels[ch] = max(levels[ch], self.hopper[0])
        return levels

    def rx_levels(self):
        levels = -92 + self.rng.normal(0, 0.7, len(RX_FREQS))
        if self.carrier_5g8:
            mhz, level = self.carrier_5g8
            i = RX_FREQS.index(mhz * 1_000_000)
            levels[i] = level + self.rng.normal(0, 1.5)
        return levels

    def bb_level(self):
        level, occ = self.broadband
        return level if self.rng.random() < occ else -60 + self.rng.normal(0, 0.3)

    def run(self, analyzer, until_ms, from_ms=0):
        started = []
        for t in range(from_ms, until_ms, 33):  # a CC2500 sweep and an AD8318 sample
            started += analyzer.add(cc(t, self.cc_levels(t)))
            started += analyzer.add(bb(t, self.bb_level()))
            if t % 1300 < 33:  # an RX5808 sweep every 1.3 s
                started += analyzer.add(rx(t, self.rx_levels()))
        return started


def test_an_access_point_present_at_the_door_raises_nothing():
    world = World()
    world.wifi.append((2437, -60, 0.3, 0, 20_000))
    analyzer = RfAnalyzer(START, 3.0)
    assert world.run(analyzer, 20_000) == []


def test_a_new_wifi_emitter_is_alerted_after_it_holds():
    world = World(1)
    world.wifi.append((2437, -60, 0.3, 0, 30_000))  # the access point
    world.wifi.append((2462, -45, 0.3, 6_000, 30_000))  # a camera starts streaming
    analyzer = RfAnalyzer(START, 3.0)
    started = world.run(analyzer, 30_000)
    assert [a.band for a in started] == ["wifi-2g4"]
    alert = started[0]
    confirm = RfParams.defaults().wifi_confirm_s
    assert 6.0 + confirm <= (alert.start_ns - START) / 1e9 <= 6.0 + confirm + 2.0
    assert abs(alert.freq_hz - 2462e6) <= 3e6 and alert.kind == "Wi-Fi"


def test_a_phone_and_a_camera_on_neighbouring_channels_are_not_found_between_them():
    """Their skirts join channels 1 and 6 into one run: the finding is at an emitter's
    channel, not at the run's middle (2424 MHz, where neither transmits)."""
    for seed in range(3):
        world = World(20 + seed)
        world.wifi.append((2412, -45, 0.5, 3_000, 30_000))  # a phone
        world.wifi.append((2437, -55, 0.5, 3_000, 30_000))  # a camera
        world.wifi.append((2424, -75, 0.5, 3_000, 30_000))  # their skirts between
        analyzer = RfAnalyzer(START, 2.0)
        started = world.run(analyzer, 12_000)
        assert [a.band for a in started] == ["wifi-2g4"]
        assert min(abs(started[0].raised_freq_hz - f) for f in (2412e6, 2437e6)) <= 4e6


def test_a_camera_streaming_already_at_the_door_counts_once_it_is_stronger():
    world = World(2)
    world.wifi.append((2412, -62, 0.3, 0, 3_000))  # heard through the door
    world.wifi.append((2412, -50, 0.3, 3_000, 20_000))  # the inspector opened it
    analyzer = RfAnalyzer(START, 3.0)
    assert [a.band for a in world.run(analyzer, 20_000)] == ["wifi-2g4"]


def test_a_camera_on_another_channel_than_an_alerting_phone_gets_its_own_alert():
    """With `alert_per_emitter`: a neighbour's phone on channel 1 has alerted; a camera
    on channel 11 starts streaming while the phone's alert lasts. Each emitter is its own
    alert, raised at its own channel (by default the camera joins the band's one
    alert, which the phone raised)."""
    def phone_then_camera():
        world = World(7)
        world.wifi.append((2412, -55, 0.4, 3_000, 30_000))  # the phone, on all through
        world.wifi.append((2462, -45, 0.3, 10_000, 30_000))  # the camera starts later
        return world

    band = phone_then_camera().run(RfAnalyzer(START, 3.0), 30_000)
    assert [round(a.raised_freq_hz / 1e6) for a in band] in ([2411], [2412], [2413])
    analyzer = RfAnalyzer(START, 3.0, PER_EMITTER)
    started = phone_then_camera().run(analyzer, 30_000)
    assert [round(a.raised_freq_hz / 1e6) for a in started] in ([2412, 2462], [2411, 2462],
                                                                 [2412, 2461], [2413, 2462])
    phone, camera = started
    assert (phone.start_ns - START) / 1e9 < 10.0 <= (camera.start_ns - START) / 1e9
    assert phone.end_ns is None and len(analyzer.active) == 2


def test_one_emitter_stays_one_alert_while_its_run_wanders_and_splits():
    """Packets hit parts of a 20 MHz run: its centre wanders and now and then a sweep
    window holds it as two runs. That is still one emitter: one alert."""
    for seed in range(4):
        world = World(30 + seed)
        world.wifi.append((2437, -50, 0.15, 4_000, 30_000))  # sparse: a run that breaks up
        started = world.run(RfAnalyzer(START, 3.0, PER_EMITTER), 30_000)
        assert len(started) == 1
        assert abs(started[0].raised_freq_hz - 2437e6) <= 6e6


def test_a_short_burst_is_not_an_alert():
    world = World(3)
    world.wifi.append((2437, -45, 0.4, 6_000, 7_000))  # a phone syncing for a second
    analyzer = RfAnalyzer(START, 3.0)
    assert world.run(analyzer, 20_000) == []


def test_bluetooth_hopping_raises_nothing():
    world = World(4)
    world.hopper = (-40.0, 0.5)
    analyzer = RfAnalyzer(START, 3.0)
    world.run(analyzer, 3_000)
    assert world.run(analyzer, 20_000, 3_000) == []


def test_continuous_5g8_carrier_is_an_analog_camera_even_if_on_at_the_door():
    world = World(5)
    world.carrier_5g8 = (5880, -55.0)
    analyzer = RfAnalyzer(START, 3.0)
    started = world.run(analyzer, 20_000)
    assert [(a.band, a.kind) for a in started] == [("analog-5g8", "analog video carrier")]
    assert started[0].evidence["channel_mhz"] == 5880


def test_a_carrier_heard_from_the_door_alerts_once_its_window_was_read_inside_the_room():
    """At the door a louder phone outside can share a carrier's channel: the alert waits
    until every sweep the rule reads was taken carrier_inside_s after ready."""
    window_s = RfParams.defaults().window_s
    for inside_s in (0.0, 1.5, 3.0):
        world = World(8)
        world.wifi = [(2440, -50.0, 1.0, 0, 60_000)]  # on in every sweep: a carrier
        analyzer = RfAnalyzer(START, 2.0, RfParams.defaults().with_(carrier_inside_s=inside_s))
        started = world.run(analyzer, 10_000)
        assert [a.band for a in started] == ["analog-2g4"]
        after_ready_s = (started[0].start_ns - analyzer.ready_ns) / 1e9
        # (the window reaches back window_s from its newest sweep, one 33 ms step short)
        assert inside_s + window_s - 0.05 <= after_ready_s < inside_s + window_s + 0.1


def test_continuous_broadband_source_outside_the_scanned_bands():
    world = World(6)
    world.broadband = (-40.0, 1.0)
    analyzer = RfAnalyzer(START, 3.0)
    assert [a.band for a in world.run(analyzer, 20_000)] == ["analog-1g2"]


def test_alert_episode_ends_after_the_hold_and_a_return_is_a_new_episode():
    world = World(7)
    world.wifi.append((2462, -45, 0.3, 4_000, 12_000))
    world.wifi.append((2462, -45, 0.3, 20_000, 28_000))
    analyzer = RfAnalyzer(START, 3.0)
    started = world.run(analyzer, 32_000)
    assert [a.band for a in started] == ["wifi-2g4", "wifi-2g4"]
    first = analyzer.alerts[0]
    assert first.end_ns is not None and 11.5 <= (first.end_ns - START) / 1e9 <= 13.0


def test_proximity_rises_as_the_emitter_gets_stronger():
    world = World(8)
    analyzer = RfAnalyzer(START, 3.0)
    world.run(analyzer, 3_000)
    seen = []
    for step, level in enumerate((-70, -60, -50, -40, -30)):
        world.wifi = [(2437, level, 0.4, 0, 10**9)]
        world.run(analyzer, 3_000 + (step + 1) * 3_000, 3_000 + step * 3_000)
        seen.append(analyzer.proximity)
    assert all(b >= a for a, b in zip(seen[1:], seen[2:], strict=False))
    assert seen[-1] > seen[1] + 0.2


def test_a_strong_uplink_nobody_else_hears_is_cellular_and_a_short_burst_is_not():
    world = World(9)
    analyzer = RfAnalyzer(START, 3.0)
    world.run(analyzer, 5_000)
    world.broadband = (-25.0, 0.4)  # a phone syncs for 2 s
    assert world.run(analyzer, 7_000, 5_000) == []
    world.broadband = (-60.0, 0.0)
    assert world.run(analyzer, 12_000, 7_000) == []
    world.broadband = (-25.0, 0.4)  # a 4G camera uploads
    started = world.run(analyzer, 24_000, 12_000)
    assert [a.band for a in started] == ["cellular"]
    assert 12 + RfParams.defaults().cellular_confirm_s <= (started[0].start_ns - START) / 1e9 <= 20


def test_broadband_power_that_the_2g4_receiver_hears_is_not_cellular():
    world = World(10)
    analyzer = RfAnalyzer(START, 3.0)
    world.wifi.append((2437, -30, 1.0, 0, 30_000))  # a strong steady 2.4 GHz source
    world.broadband = (-33.0, 1.0)  # ... whose power the AD8318 also sees
    bands = {a.band for a in world.run(analyzer, 30_000)}
    assert "cellular" not in bands and "analog-1g2" not in bands


def test_an_access_points_bursts_the_broadband_detector_catches_at_its_own_instants_are_not_cellular():
    """The broadband detector and the 2.4 GHz sweep sample at their own instants: most of
    the bursts the AD8318 catches were missed by the latest sweep, but not by the
    window's (World draws each receiver's packets independently)."""
    world = World(3)
    world.wifi.append((2437, -52, 0.4, 0, 30_000))  # about -39 dBm over its 20 MHz
    world.broadband = (-39.0, 0.4)
    assert world.run(RfAnalyzer(START, 3.0), 30_000) == []


def test_5ghz_wifi_is_bursty_and_an_analog_carrier_with_its_leakage_is_not_wifi():
    rng = np.random.default_rng(11)
    wifi_channels = [i for i, f in enumerate(RX_FREQS) if 5755e6 <= f <= 5775e6]
    carrier = RX_FREQS.index(5880 * 1_000_000)

    def sweep(t, wifi, analog):
        levels = -92 + rng.normal(0, 0.7, len(RX_FREQS))
        if wifi and t >= 4000 and rng.random() < 0.3:  # new after the door; packets: on
            # in some sweeps, off in others
            levels[wifi_channels] = -50 + rng.normal(0, 1, len(wifi_channels))
        if analog:
            levels[carrier] = -45.0 + rng.normal(0, 0.5)
            for k in (carrier - 1, carrier + 1):  # steady leakage next door
                levels[k] = -70.0 + rng.normal(0, 0.5)
        return rx(t, levels)

    for wifi, analog, expected in ((True, False, {"wifi-5g"}), (False, True, {"analog-5g8"})):
        analyzer = RfAnalyzer(START, 3.0)
        bands = set()
        for k in range(20):
            bands |= {a.band for a in analyzer.add(sweep(k * 1300, wifi, analog))}
        assert bands == expected, (wifi, analog, bands)


def test_inside_the_wifi_band_a_lone_steady_channel_is_not_a_video_carrier():
    """A busy 5 GHz access point can read loud on one RX5808 channel for several sweeps
    in a row; an FM video carrier also keeps a neighbouring channel loud."""
    rng = np.random.default_rng(4)
    centre = RX_FREQS.index(5806 * 1_000_000)  # inside 5725-5850 MHz
    neighbours = [i for i, f in enumerate(RX_FREQS)
                  if 0 < abs(f - RX_FREQS[centre]) <= 12e6]
    assert neighbours

    def sweep(t, with_neighbour):
        levels = -92 + rng.normal(0, 0.7, len(RX_FREQS))
        levels[centre] = -55.0 + rng.normal(0, 0.5)
        if with_neighbour:
            levels[neighbours] = -62.0 + rng.normal(0, 0.5, len(neighbours))
        return rx(t, levels)

    for with_neighbour, expected in ((False, set()), (True, {"analog-5g8"})):
        analyzer = RfAnalyzer(START, 3.0)
        bands = set()
        for k in range(20):
            bands |= {a.band for a in analyzer.add(sweep(k * 1300, with_neighbour))}
        assert bands == expected, with_neighbour


def wifi5_sweeps(seed, centre_mhz, door_dbm, inside_dbm, occupancy, door_ms=2000):
    """RX5808 sweeps every 1.3 s with a 20 MHz Wi-Fi emitter, which its 18 MHz filter
    hears on every channel within 20 MHz: each channel is read at its own instant, so
    it catches a packet (occupancy) independently."""
    rng = np.random.default_rng(seed)
    covered = [i for i, f in enumerate(RX_FREQS) if abs(f / 1e6 - centre_mhz) <= 20]
    for k in range(16):
        t = k * 1300
        levels = -92 + rng.normal(0, 0.7, len(RX_FREQS))
        on = rng.random(len(covered)) < occupancy
        level = door_dbm if t < door_ms else inside_dbm
        levels[covered] = np.where(on, level + rng.normal(0, 1, len(covered)),
                                   levels[covered])
        yield rx(t, levels)


def wifi5_bands(sweeps, params=None):
    analyzer = RfAnalyzer(START, 2.0, params)  # two door sweeps
    return {a.band for sweep in sweeps for a in analyzer.add(sweep)}


def test_a_5ghz_access_point_heard_at_the_door_stays_learned(monkeypatch):
    """An access point in the corridor, on the air a third of the time: loud at the open
    door, 14 dB weaker behind its wall inside. In two door sweeps each of its channels
    misses it about half the time, and unpooled such channels read hot all through the
    room; pooled with the channels within 10 MHz they have heard it."""
    def alerted():
        return sum(bool(wifi5_bands(wifi5_sweeps(s, 5785, -55, -69, 0.3)))
                   for s in range(10))

    assert alerted() == 0
    monkeypatch.setattr("detector.rf.baseline.WIFI5_POOL_HZ", 0.0)
    assert alerted() >= 3


def test_a_loud_5ghz_emitter_the_door_heard_is_still_found():
    """A camera above the door: loud at the door already, and only a little louder
    inside, so hot against the door only where the door's two sweeps missed it; loud
    enough to be within a metre or two, so found in every seed."""
    def found(params=None):
        return sum(wifi5_bands(wifi5_sweeps(s, 5805, -50, -46, 0.3), params) == {"wifi-5g"}
                   for s in range(10))

    assert found() == 10
    assert found(RfParams.defaults().with_(near_wifi5_dbm=99.0)) <= 6


def test_an_emitter_heard_at_the_door_that_grows_as_one_approaches_confirms_sooner():
    """The approach gradient: a camera already transmitting at the door, whose burst
    after entering is short but much stronger, is confirmed after approach_confirm_s. A
    new emitter with the same short burst (a neighbour's phone) still needs the full
    Wi-Fi hold."""
    def run(at_door):
        world = World(8)
        if at_door:
            world.wifi.append((2437, -72, 0.3, 0, 3000))
        world.wifi.append((2437, -55, 0.3, 6000, 7800))  # 1.8 s, shorter than the hold
        return [a.band for a in world.run(RfAnalyzer(START, 3.0), 12_000)]

    assert run(at_door=True) == ["wifi-2g4"]
    assert run(at_door=False) == []


def test_a_loud_emitter_that_was_already_loud_at_the_door_is_still_found():
    """A camera on the channel of an access point that was as loud at the door: neither
    hot nor grown against the door's levels, but too loud to be anywhere but near."""
    def run(params):
        world = World(12)
        world.wifi.append((2412, -41, 0.3, 0, 20_000))
        return [a.band for a in world.run(RfAnalyzer(START, 3.0, params), 20_000)]

    assert run(RfParams.defaults()) == ["wifi-2g4"]
    assert run(RfParams.defaults().with_(near_wifi_dbm=99.0)) == []  # the door rules alone miss it


def test_a_strong_uplink_heard_at_the_door_that_grows_confirms_sooner():
    """The approach rule for broadband: a 4G camera heard through the door whose burst
    after entering is short but 17 dB stronger is confirmed; the same short burst with
    nothing at the door (a phone syncing) is not."""
    def run(at_door):
        world = World(13)
        analyzer = RfAnalyzer(START, 3.0)
        world.broadband = (-35.0, 0.5) if at_door else (-60.0, 0.0)
        world.run(analyzer, 3_000)
        world.broadband = (-60.0, 0.0)
        world.run(analyzer, 6_000, 3_000)
        world.broadband = (-18.0, 0.5)  # 2.5 s, shorter than the cellular hold
        started = world.run(analyzer, 8_500, 6_000)
        world.broadband = (-60.0, 0.0)
        return [a.band for a in started + world.run(analyzer, 14_000, 8_500)]

    assert run(at_door=True) == ["cellular"]
    assert run(at_door=False) == []


def test_the_baseline_ends_when_every_receiver_has_delivered_twice():
    """The device decides when it is ready: rf.baseline_s, and two readings from every
    receiver heard so far (a whole RX5808 sweep is slow)."""
    analyzer = RfAnalyzer(START, 1.0)
    world = World(3)
    for t in range(0, 1000, 33):
        analyzer.add(cc(t, world.cc_levels(t)))
    analyzer.add(rx(900, world.rx_levels()))
    analyzer.add(cc(1100, world.cc_levels(1100)))
    assert analyzer.ready_s is None  # 1 s passed, but one RX5808 sweep only
    analyzer.add(rx(2200, world.rx_levels()))
    assert analyzer.ready_s is None  # that reading still belonged to the baseline
    analyzer.add(cc(2230, world.cc_levels(2230)))
    assert analyzer.ready_s == 2.23 and analyzer.frozen
    assert len(analyzer.baseline.samples["rx5808"]) == 2


def test_a_receiver_that_never_delivers_does_not_hold_the_baseline_forever():
    analyzer = RfAnalyzer(START, 2.0)
    world = World(4)
    analyzer.add(rx(100, world.rx_levels()))  # one RX5808 sweep, then it falls silent
    for t in range(0, 20_000, 33):
        analyzer.add(cc(t, world.cc_levels(t)))
    assert analyzer.ready_s is not None and 14.9 <= analyzer.ready_s <= 15.1


def test_a_slow_scanner_still_finds_a_new_wifi_emitter():
    """Four 2.4 GHz sweeps a second leave two in the half-second window; the analysis
    keeps the last ten however long they took, and an access point's packets hitting
    every one of a few sweeps do not make it a continuous carrier."""
    world = World(5)
    world.wifi.append((2437, -60, 0.3, 0, 40_000))
    world.wifi.append((2462, -45, 0.3, 8_000, 40_000))
    analyzer = RfAnalyzer(START, 3.0)
    started = []
    for t in range(0, 40_000, 250):
        started += analyzer.add(cc(t, world.cc_levels(t)))
        started += analyzer.add(bb(t, world.bb_level()))
    assert [a.band for a in started] == ["wifi-2g4"]
    assert abs(started[0].freq_hz - 2462e6) <= 3e6
    # with an alert per emitter, the new emitter is an alert of its own at its channel
    per_emitter = RfAnalyzer(START, 3.0, PER_EMITTER)
    world = World(5)
    world.wifi.append((2437, -60, 0.3, 0, 40_000))
    world.wifi.append((2462, -45, 0.3, 8_000, 40_000))
    started = []
    for t in range(0, 40_000, 250):
        started += per_emitter.add(cc(t, world.cc_levels(t)))
        started += per_emitter.add(bb(t, world.bb_level()))
    assert any(abs(a.raised_freq_hz - 2462e6) <= 3e6 for a in started)


def slow_sweeps(world, analyzer, until_ms, from_ms=0):
    """Four 2.4 GHz sweeps a second (each channel in a packet slot of its own) and a
    broadband reading every 33 ms, as the scanner delivers them at `scans=4`."""
    world.slow = True
    started = []
    for t in range(from_ms, until_ms, 33):
        if t % 250 < 33:
            started += analyzer.add(cc(t, world.cc_levels(t)))
        started += analyzer.add(bb(t, world.bb_level()))
    return started


def test_a_slow_sweep_finds_a_wifi_emitter_whose_channels_it_hits_one_by_one():
    """In the ten sweeps a slow sweep keeps, some channels of a camera on the air a
    third of the time are hit once or never; its run of channels must hold together,
    and the alert must name its channel. With an alert per emitter, a run that breaks
    into two for a while is still one emitter, not a second alert."""
    confirm = RfParams.defaults().wifi_confirm_s
    for seed in range(6):
        world = World(20 + seed)
        world.wifi.append((2462, -50, 0.3, 8_000, 20_000))
        started = slow_sweeps(world, RfAnalyzer(START, 3.0), 20_000)
        assert [a.band for a in started] == ["wifi-2g4"]
        assert abs(started[0].freq_hz - 2462e6) <= 3e6
        # ten sweeps fill the window in 2.5 s; then the Wi-Fi hold
        assert (started[0].start_ns - START) / 1e9 <= 8.0 + 2.5 + confirm + 1.0


def test_at_a_slow_sweep_a_phone_syncing_for_two_and_a_half_seconds_is_not_an_alert():
    """Ten sweeps at four a second reach back 2.5 s instead of 0.5 s, so a phone's
    syncing stays in the window longer than at the default pace, long enough to hold
    for the Wi-Fi rule's 3 s. The hold grows with the window: a burst that stays quiet
    at the default pace stays quiet here (without that, 2 of these 10 alerted)."""
    for seed in range(10):
        world = World(40 + seed)
        world.wifi.append((2437, -45, 0.4, 6_000, 8_500))
        assert slow_sweeps(world, RfAnalyzer(START, 3.0), 20_000) == []


def test_a_slow_sweep_learns_an_access_point_at_the_door_and_still_hears_a_4g_camera():
    """About twelve sweeps at the door hit each channel of an access point once or
    twice: a channel's own 95th percentile then sits below the access point's packets,
    which read "hot" and strong all through the room and would keep the broadband rules
    shut (their power explained by a 2.4 GHz emitter). Pooled with its neighbours, the
    door learns the access point, and the camera's uplink is found."""
    for seed in range(4):
        world = World(30 + seed)
        # the venue's access point, beyond the near-emitter level (`near_wifi_dbm`)
        world.wifi.append((2412, -55, 0.3, 0, 24_000))
        analyzer = RfAnalyzer(START, 3.0)
        started = slow_sweeps(world, analyzer, 6_000)
        world.broadband = (-25.0, 0.4)  # the camera uploads from 6 s on
        started += slow_sweeps(world, analyzer, 24_000, 6_000)
        assert [a.band for a in started] == ["cellular"]


def test_levels_are_measured_from_the_units_floors():
    """A steady channel already there at the door is a carrier only when it stands
    `carrier_abs_db` (20 dB) above the receiver's floor: 22 dB above the nominal floor,
    but 15 dB above this unit's own (which is 7 dB higher), is this unit's noise."""
    quiet = -85.0

    def run(floors):
        analyzer = RfAnalyzer(START, 1.0, floors=floors)
        rng = np.random.default_rng(6)
        found = []
        for k in range(12):
            levels = quiet + rng.normal(0, 0.7, len(RX_FREQS))
            levels[5] = -70.0 + rng.normal(0, 0.5)
            found += analyzer.add(rx(k * 1300, levels))
        return [a.band for a in found]

    assert run({"rx5808": quiet}) == []
    assert run(None) == ["analog-5g8"]  # the nominal floor, -92 dBm


class CountingAnalyzer(RfAnalyzer):
    """Counts how often each sweep rule is worked out."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.runs = {"2g4": 0, "5g8": 0}

    def _find_2g4(self, found):
        self.runs["2g4"] += 1
        super()._find_2g4(found)

    def _find_5g8(self, found):
        self.runs["5g8"] += 1
        super()._find_5g8(found)


class UncachedAnalyzer(RfAnalyzer):
    """Works every sweep rule out again on every reading."""

    def _window_rule(self, name, window, rule):
        found = {}
        rule(found)
        return found


def test_sweep_rules_run_once_per_new_sweep_and_alert_as_if_run_on_every_reading():
    def world():
        w = World(21)
        w.wifi = [(2437, -60.0, 0.5, 5_000, 14_000)]
        w.carrier_5g8 = (5880, -55.0)
        w.broadband = (-40.0, 0.3)
        return w

    cached, uncached = CountingAnalyzer(START, 3.0), UncachedAnalyzer(START, 3.0)
    started = world().run(cached, 20_000)
    assert [(a.band, a.start_ns) for a in started] == \
        [(a.band, a.start_ns) for a in world().run(uncached, 20_000)]
    assert {a.band for a in started} >= {"wifi-2g4", "analog-5g8"}
    after_door = [t for t in range(0, 20_000, 33) if START + t * MS >= cached.ready_ns]
    # One 2.4 GHz sweep and one broadband reading every 33 ms, an RX5808 sweep every 1.3 s:
    # the 2.4 GHz rules run once per 2.4 GHz sweep; the 5.8 GHz ones once on the sweeps
    # the door left, then once per RX5808 sweep (not on the 25 readings in between).
    assert cached.runs["2g4"] == len(after_door)
    assert cached.runs["5g8"] == 1 + sum(1 for t in after_door if t % 1300 < 33)


def test_the_live_views_band_bar_lights_while_an_alert_is_active_there():
    """The 2.4 GHz bar shows an alert whichever key the analysis files it under (an
    emitter's episode, "wifi-2g4@1", with an alert per emitter): the bar follows the
    alert's band."""
    from detector.rf.radio import Radio

    class Client:
        online = True

        def __init__(self):
            self.queue = []

        def poll(self):
            out, self.queue = self.queue, []
            return out

    world = World(1)
    world.wifi.append((2462, -45, 0.3, 6_000, 30_000))
    client = Client()
    radio = Radio(client, RfAnalyzer(START, 3.0, PER_EMITTER))
    lit = []
    for t in range(0, 14_000, 33):
        client.queue = [cc(t, world.cc_levels(t)), bb(t, world.bb_level())]
        radio.poll()
        lit.append(radio.bars()["2.4"][1])
    assert not any(lit[:150])  # before the camera's Wi-Fi hold is over
    assert lit[-1] and radio.status_text().startswith("RF wifi-2g4")


def test_the_narrowband_power_is_worked_out_again_when_a_sweep_joins_the_window():
    from collections import deque

    from detector.rf.narrowband_power import NarrowbandPower, narrowband_dbm
    from detector.rf.records import Sweep

    def sweep(t, level):
        return Sweep(t, np.zeros(84, bool), np.full(84, level, dtype=float))

    cc, rx, power = deque([sweep(0, -100.0)]), deque(), NarrowbandPower()
    quiet = power.dbm(cc, rx)
    assert quiet == narrowband_dbm(cc, rx)
    cc.append(sweep(1, -60.0))
    assert power.dbm(cc, rx) == narrowband_dbm(cc, rx) > quiet + 30
