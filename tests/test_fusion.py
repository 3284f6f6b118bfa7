"""Fusion rules and hysteresis: levels rise at once, fall only after fall_hold_s, camera
likely waits for acknowledgement, and every alert carries its evidence."""

from detector.fusion import Fusion, FusionParams, LensTrackView, Level, RfView

S = 1_000_000_000


def lens(track=1, t=0, confirmed=False, score=0.5, hits=3):
    return LensTrackView(track, 100.0, 80.0, score, hits, confirmed, t)


def rf(band="wifi-2g4", kind="wifi", start=0, level=-60.0):
    return RfView(band, kind, level, start, {"channels": [3, 4, 5]})


def test_clear_until_evidence():
    f = Fusion()
    assert f.update(0) == [] and f.level == Level.CLEAR


def test_candidate_needs_hits_and_score():
    f = Fusion(FusionParams.defaults().with_(candidate_score=0.45, candidate_min_hits=2))
    f.add_lens([lens(score=0.3, hits=5), lens(track=2, score=0.9, hits=1)])
    f.update(0)
    assert f.level == Level.CLEAR
    f.add_lens([lens(track=3, score=0.5, hits=2)])
    f.update(0)
    assert f.level == Level.LENS_CANDIDATE


def test_confirmed_lens_raises_one_alert_with_its_evidence():
    f = Fusion()
    alert_json = {"track": 7, "x": 100.0, "y": 80.0, "score": 0.8, "features": {"ratio": 6}}
    f.add_lens([lens(track=7, t=S, confirmed=True)], [alert_json])
    raised = f.update(S)
    assert f.level == Level.LENS_CONFIRMED
    assert [a.level for a in raised] == [Level.LENS_CONFIRMED]
    assert raised[0].evidence["lens"]["features"] == {"ratio": 6}
    f.add_lens([lens(track=7, t=S + S // 20, confirmed=True)])
    assert f.update(S + S // 20) == []  # the same lens does not alert twice


def test_level_falls_only_after_the_hold():
    p = FusionParams.defaults().with_(confirmed_hold_s=1.0, fall_hold_s=2.0)
    f = Fusion(p)
    f.add_lens([lens(track=1, t=0, confirmed=True)])
    f.update(0)
    f.update(int(1.5 * S))  # lens evidence has lapsed: the fall hold starts
    assert f.level == Level.LENS_CONFIRMED
    f.update(int(3.0 * S))
    assert f.level == Level.LENS_CONFIRMED  # 1.5 s below: still held
    f.update(int(3.6 * S))
    assert f.level == Level.CLEAR


def test_flicker_does_not_drop_the_level():
    f = Fusion(FusionParams.defaults().with_(candidate_hold_s=0.2, fall_hold_s=1.0))
    t = 0
    for k in range(1, 21):  # a candidate seen in most sets, missing every third one
        t = k * S // 20
        if k % 3:
            f.add_lens([lens(track=1, t=t)])
        f.update(t)
        assert f.level == Level.LENS_CANDIDATE


def test_rf_activity_alert_per_episode():
    f = Fusion()
    f.set_rf([rf(start=0)], 0.2, 0)
    raised = f.update(0)
    assert f.level == Level.RF_ACTIVITY and raised[0].evidence["rf"]["band"] == "wifi-2g4"
    f.set_rf([rf(start=0)], 0.2, S)
    assert f.update(S) == []
    f.set_rf([rf(start=5 * S)], 0.2, 5 * S)  # a new episode in the same band
    assert len(f.update(5 * S)) == 1


def test_analog_carrier_is_camera_likely_until_acknowledged():
    f = Fusion(FusionParams.defaults().with_(fall_hold_s=1.0))
    f.set_rf([rf("analog-5g8", "analog video", 0, -50.0)], 0.5, 0)
    raised = f.update(0)
    assert f.level == Level.CAMERA_LIKELY and f.awaiting_ack
    likely = [a for a in raised if a.level == Level.CAMERA_LIKELY]
    assert likely[0].evidence["rule"] == "analog video carrier"
    f.set_rf([], 0.0, 10 * S)  # the carrier is gone, long ago
    f.update(10 * S)
    f.update(20 * S)
    assert f.level == Level.CAMERA_LIKELY  # still: nobody acknowledged
    assert f.acknowledge(21 * S) and likely[0].acknowledged_ns == 21 * S
    f.update(21 * S)
    f.update(23 * S)
    assert f.level == Level.CLEAR and not f.acknowledge(24 * S)


def test_lens_with_rf_rising_toward_it_is_camera_likely():
    f = Fusion(FusionParams.defaults().with_(rising_window_s=4.0, rising_proximity=0.15))
    for k, proximity in enumerate((0.1, 0.15, 0.2, 0.3, 0.4)):
        t = k * S // 2
        f.set_rf([rf(start=0)], proximity, t)
        f.add_lens([lens(track=2, t=t, confirmed=True)])
        f.update(t)
    assert f.level == Level.CAMERA_LIKELY
    likely = [a for a in f.alerts if a.level == Level.CAMERA_LIKELY][0]
    assert likely.evidence["proximity_rise"] >= 0.15 and likely.evidence["lens"]["track"] == 2


def test_lens_with_flat_rf_stays_lens_confirmed():
    f = Fusion()
    for k in range(8):
        t = k * S // 2
        f.set_rf([rf(start=0)], 0.3, t)
        f.add_lens([lens(track=2, t=t, confirmed=True)])
        f.update(t)
    assert f.level == Level.LENS_CONFIRMED


def test_params_from_config():
    from detector.config import load_config

    config = load_config(None, ["fusion.fall_hold_s=4.5"])
    assert FusionParams.of(config).fall_hold_s == 4.5


def test_two_rf_alerts_in_one_band_are_two_causes():
    """A phone and a camera both alerting at 2.4 GHz: each RF alert is its own cause and
    its own evidence (neither hides the other because they share a band)."""
    f = Fusion()
    f.set_rf([rf(start=S, level=-70.0), rf(start=2 * S, level=-50.0)], 0.3, 2 * S)
    _level, causes = f.raw_level(2 * S)
    rf_causes = sorted(key for key, _lvl, _ev in causes if key.startswith("rf:"))
    assert rf_causes == [f"rf:wifi-2g4:{S}", f"rf:wifi-2g4:{2 * S}"]
    levels = sorted(ev["rf"]["level_dbm"] for key, _lvl, ev in causes if key.startswith("rf:"))
    assert levels == [-70.0, -50.0]
