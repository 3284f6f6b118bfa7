"""Scoring as the scenario format defines it, on hand-made runs."""

import numpy as np
import pytest

from detector.evaluation.report import evaluate
from detector.evaluation.runs import SweepRun
from detector.evaluation.scoring import alerts_at, match_radius, score_run

MS = 1_000_000


def make_run(tracks, cameras=None, width=1280, name="room", track_ids=None):
    frames = {i: i * 17 * MS for i in range(200)}
    truth = {"cameras": cameras if cameras is not None else [
        # in view from frame 10, exposed (in cone, within 3 m) from frame 30
        {"id": "cam1", "band": "none",
         "frames": [[i, 400.0 + i, 300.0, i >= 30] for i in range(10, 120)]},
    ], "distractors": [], "transmitters": []}
    return SweepRun(name=name, seed=1, width=width, truth=truth, frame_t_ns=frames,
                    tracks=tracks, alerts=[],
                    track_ids=track_ids if track_ids is not None
                    else list(range(1, len(tracks) + 1)),  # the tracker counts from 1
                    exposure_distance_m={"cam1": {i: 1.4 for i in range(30, 120)}})


def track(frame, x, y, scores):
    """History of a track hit in consecutive sets from `frame`, with these scores."""
    return [(frame + 3 * k, (frame + 3 * k) * 17 * MS, x + 3 * k, y, s, k + 1)
            for k, s in enumerate(scores)]


def test_match_radius_is_ten_pixels_or_one_percent_of_the_width():
    assert match_radius(640) == 10.0
    assert match_radius(2304) == pytest.approx(23.04)


def test_an_alert_on_the_lens_detects_the_camera_and_times_it_from_first_exposure():
    run = make_run([track(60, 460.0 + 5, 300.0, [0.3, 0.5, 0.7, 0.8])])
    alerts = alerts_at(run, 0.55, 3)
    assert [(a.index, a.score) for a in alerts] == [(66, 0.7)]
    score = score_run(run, alerts)
    cam = score.cameras[0]
    assert cam.exposed and cam.detected and score.false_alerts == []
    assert cam.time_to_alert_s == pytest.approx((66 - 30) * 0.017)
    assert cam.distance_m == 1.4


def test_an_alert_too_far_from_the_lens_is_a_false_alert_and_no_detection():
    run = make_run([track(60, 460.0 + 25, 300.0, [0.9, 0.9, 0.9])])
    score = score_run(run, alerts_at(run, 0.55, 3))
    assert not score.cameras[0].detected
    assert len(score.false_alerts) == 1


def test_false_alerts_count_once_per_track():
    tracks = [track(60, 900.0, 100.0, [0.9] * 10), track(90, 50.0, 600.0, [0.9] * 10)]
    score = score_run(make_run(tracks), alerts_at(make_run(tracks), 0.55, 3))
    assert len(score.false_alerts) == 2


def test_an_alert_before_first_exposure_counts_zero_seconds():
    run = make_run([track(12, 412.0, 300.0, [0.9, 0.9, 0.9])])
    cam = score_run(run, alerts_at(run, 0.55, 3)).cameras[0]
    assert cam.detected and cam.time_to_alert_s == 0.0


def test_a_camera_never_exposed_is_left_out_of_the_recall():
    cams = [{"id": "cam1", "band": "none", "frames": [[i, 400.0, 300.0, False]
                                                     for i in range(200)]}]
    result = evaluate([make_run([], cameras=cams)], 0.55, 3)
    assert result["totals"]["cameras_exposed"] == 0
    assert result["totals"]["not_exposed"] == 1
    assert result["totals"]["recall"] is None


def test_raising_the_threshold_trades_alerts_for_misses():
    tracks = [track(60, 465.0, 300.0, [0.6, 0.7, 0.75, 0.8]),  # the lens
              track(30, 900.0, 100.0, [0.6, 0.65, 0.7, 0.72])]  # a drop
    result = evaluate([make_run(tracks)], 0.55, 3)
    totals = result["totals"]
    assert (totals["detected"], totals["false_alerts"]) == (1, 1)
    curve = {p["threshold"]: p for p in result["curve"]}
    assert curve[0.75]["recall"] == 1.0 and curve[0.75]["false_alerts_per_sweep"] == 0.0
    assert curve[0.85]["recall"] == 0.0
    assert result["targets"]["false_alerts_per_sweep"] is False


def test_totals_and_scenarios_have_the_documented_keys():
    runs = [make_run([track(60, 465.0, 300.0, [0.9] * 4)]),
            make_run([track(50, 900.0, 90.0, [0.9] * 4)], cameras=[], name="clean-room")]
    result = evaluate(runs, 0.55, 3)
    for key in ("sweeps", "cameras_exposed", "detected", "recall", "false_alerts",
                "false_alerts_per_sweep", "median_time_to_alert_s"):
        assert key in result["totals"]
    assert set(result["scenarios"]) == {"room", "clean-room"}
    assert result["totals"]["sweeps"] == 2
    bands = {tuple(b["band_m"]): b for b in result["distance_bands"]}
    assert bands[(1.0, 2.0)] == {"band_m": [1.0, 2.0], "cameras_exposed": 1, "detected": 1,
                                 "recall": 1.0}
    assert bands[(0.0, 1.0)]["cameras_exposed"] == 0
    assert result["scenarios"]["clean-room"]["false_alerts"] == 1
    assert result["totals"]["false_alerts_per_sweep"] == 0.5


# ---- fused alerts by the tracker's identity -----------------------------------------------
def fused(level, track=None, t_ns=0, rf_band=None):
    evidence = {"lens": {"track": track}} if track is not None else {"rf_band": rf_band}
    return {"level": level, "t_ns": t_ns, "evidence": evidence, "reason": ""}


def test_fused_alerts_are_scored_by_the_trackers_own_track_ids():
    """The tracker's ids need not be list positions: track 16 (the first in the list)
    is on the lens, track 3 is not. Scoring by position would swap them."""
    from detector.evaluation.scoring import score_fused

    run = make_run([track(60, 465.0, 300.0, [0.9] * 4), track(60, 900.0, 100.0, [0.9] * 4)],
                   track_ids=[16, 3])
    lens = score_run(run, alerts_at(run, 0.55, 3))
    assert [a.track for a in lens.matched] == [16] and [a.track for a in lens.false_alerts] == [3]
    run.fused_alerts = [fused("lens-confirmed", 16), fused("lens-confirmed", 3),
                        fused("camera-likely", 3)]
    out = score_fused(run, lens)
    assert (out.alerts, out.false_alerts) == (3, 2)
    assert (out.camera_likely, out.camera_likely_false) == (1, 1)


def test_each_runs_fused_alerts_are_in_the_json_and_add_up_to_the_totals():
    lens_run = make_run([track(60, 465.0, 300.0, [0.9] * 4), track(60, 900.0, 100.0, [0.9] * 4)],
                        track_ids=[16, 3])
    lens_run.fused_alerts = [fused("lens-confirmed", 16), fused("camera-likely", 3),
                             fused("lens-candidate", 3)]  # below lens-confirmed: not counted
    other = make_run([track(60, 465.0, 300.0, [0.9] * 4)], track_ids=[5], name="other")
    other.fused_alerts = [fused("camera-likely", 5)]
    result = evaluate([lens_run, other], 0.55, 3)
    assert result["scenarios"]["room"]["runs"][0]["fused"] == {
        "alerts": 2, "false": 1, "camera_likely": 1}
    assert result["scenarios"]["other"]["runs"][0]["fused"] == {
        "alerts": 1, "false": 0, "camera_likely": 1}
    assert result["totals"]["fused_alerts"] == 3


def test_a_fused_alert_on_a_track_no_lens_alert_knows_is_false():
    from detector.evaluation.scoring import score_fused

    run = make_run([track(60, 465.0, 300.0, [0.9] * 4)], track_ids=[7])
    lens = score_run(run, alerts_at(run, 0.55, 3))
    run.fused_alerts = [fused("lens-confirmed", 99)]  # a track the scoring never matched
    assert score_fused(run, lens).false_alerts == 1


def test_a_run_without_track_ids_cannot_be_scored():
    run = make_run([track(60, 465.0, 300.0, [0.9] * 4)], track_ids=[])
    with pytest.raises(ValueError, match="which track is which"):
        alerts_at(run, 0.55, 3)


# ---- RF by emitter -------------------------------------------------------------------------
def rf_run(cameras, alerts):
    run = make_run([], cameras=cameras)
    run.start_ns, run.end_ns = 0, 10_000 * MS
    run.rf_alerts = alerts
    return run


def rf_alert(band, start_s, emitter, kind):
    return {"band": band, "kind": "Wi-Fi", "start_ns": int(start_s * 1e9), "end_ns": None,
            "freq_hz": 2.437e9, "credit": {"emitter": emitter, "kind": kind, "share_db": 0.0}}


CAM = {"id": "cam1", "band": "wifi-2g4", "frames": []}


def test_an_rf_alert_raised_by_a_phone_next_to_a_camera_is_false_and_finds_nothing():
    from detector.evaluation.scoring import score_rf

    score = score_rf(rf_run([CAM], [rf_alert("wifi-2g4", 4.0, "phone1", "phone")]), 0)
    assert (score.cameras, score.detected, score.false_alerts) == (1, 0, 1)
    assert score.missed == ["cam1"] and score.false[0]["credit"]["kind"] == "phone"


def test_an_rf_alert_its_camera_raised_detects_it():
    from detector.evaluation.scoring import score_rf

    score = score_rf(rf_run([CAM], [rf_alert("wifi-2g4", 4.0, "cam1", "camera")]), 0)
    assert (score.cameras, score.detected, score.false_alerts) == (1, 1, 0)


def test_two_cameras_in_one_band_are_each_found_only_by_their_own_alerts():
    from detector.evaluation.scoring import score_rf

    cam2 = {"id": "cam2", "band": "wifi-2g4", "frames": []}
    score = score_rf(rf_run([CAM, cam2], [rf_alert("wifi-2g4", 4.0, "cam2", "camera"),
                                          rf_alert("wifi-2g4", 6.0, None, "noise")]), 0)
    assert (score.cameras, score.detected, score.missed) == (2, 1, ["cam1"])
    assert score.false_alerts == 1  # the alert credited to nothing


def test_a_silent_camera_is_not_counted_and_alerts_in_its_band_are_false():
    from detector.evaluation.scoring import score_rf

    silent = {"id": "cam1", "band": "none", "frames": []}
    score = score_rf(rf_run([silent], [rf_alert("wifi-2g4", 4.0, "ap1", "wifi-ap")]), 0)
    assert (score.cameras, score.detected, score.false_alerts) == (0, 0, 1)


def test_runs_whose_alerts_carry_no_credit_are_counted_apart():
    from detector.evaluation.report import rf_totals
    from detector.evaluation.scoring import score_rf

    bare = rf_alert("wifi-2g4", 4.0, "cam1", "camera")
    del bare["credit"]
    uncredited = score_rf(rf_run([CAM], [bare]), 0)
    credited = score_rf(rf_run([CAM], [rf_alert("wifi-2g4", 4.0, "cam1", "camera")]), 0)
    totals = rf_totals([uncredited, credited], [True, True])
    assert totals["rf_sweeps_uncredited"] == 1 and totals["rf_cameras_transmitting"] == 1
    assert totals["rf_recall"] == 1.0 and totals["rf_recall_ci95"][0] < 0.3


# ---- intervals ------------------------------------------------------------------------------
def test_intervals_are_wilson_for_recall_and_exact_poisson_for_false_alerts():
    from detector.evaluation.intervals import poisson_rate, wilson

    low, high = wilson(51, 51)
    assert low == pytest.approx(0.930, abs=0.001) and high == pytest.approx(1.0)
    low, high = wilson(387, 400)
    assert low == pytest.approx(0.945, abs=0.002) and high == pytest.approx(0.981, abs=0.002)
    assert poisson_rate(0, 54) == (0.0, pytest.approx(3.689 / 54, abs=1e-3))
    low, high = poisson_rate(2, 12)
    assert low == pytest.approx(0.2422 / 12, abs=1e-3) and high == pytest.approx(7.2247 / 12,
                                                                                 abs=1e-3)
    assert wilson(0, 0) is None and poisson_rate(3, 0) is None


# ---- the whole chain: a silent camera in the simulated radio field ------------------------
SILENT_CAMERA_ROOM = """
format = 1
name = "silent-camera"
seed = 5

[room]
size = [1.0, 1.6, 2.4]

[[objects]]
kind = "camera"
id = "cam-silent"
at = [1.0, 0.9, 0.7]
facing = [-1, -0.2, 0.4]
transmits = "wifi-2g4"
tx_dbm = -60

[[transmitters]]
kind = "phone"
at = [0.9, 0.9, 0.8]
band = "wifi-2g4"
duty = 1.0

[path]
start_at_door_s = 3
waypoints = [
  { t = 0,  at = [0.5, 0.15, 1.5], look = [0.5, 1.6, 1.3] },
  { t = 6,  at = [0.4, 0.6, 1.2],  look = [1.0, 0.9, 0.8] },
  { t = 10, at = [0.3, 0.8, 1.1],  look = [1.0, 0.9, 0.7] },
]
"""


def test_a_camera_that_is_not_on_the_air_scores_rf_recall_zero(tmp_path):
    """Its band is noisy with a phone right beside it, so RF alerts are raised in that
    band (by a device without a Wi-Fi monitor, which would explain the phone); none is
    the camera's doing, so none finds it."""
    from detector.evaluation.runs import run_rf_only
    from detector.evaluation.scoring import score_rf
    from detector.sim.scenario import load_scenario

    path = tmp_path / "silent.toml"
    path.write_text(SILENT_CAMERA_ROOM)
    scenario = load_scenario(path)
    scenario.cameras[0].params["tx_dbm"] = -200.0  # below what the format allows: silent
    run = run_rf_only(scenario, wifi=False)
    assert run.rf_alerts, "the phone should raise an alert for this test to mean anything"
    assert all(a["credit"]["emitter"] != "cam-silent" for a in run.rf_alerts)
    score = score_rf(run, run.start_ns)
    assert (score.cameras, score.detected) == (1, 0)
    assert score.false_alerts == len(run.rf_alerts)


def test_an_rf_alert_is_credited_at_the_frequency_it_was_raised_at(tmp_path):
    """An episode's frequency follows its finding to the end; the readings that raised
    it were at the first one. Credited at a frequency where nothing transmits (here
    one the phone cannot reach at all), the phone's alert would be "noise"; at its
    raising frequency it is the phone's."""
    from detector.evaluation.attribution import credit
    from detector.rf.sim.field import RadioField
    from detector.sim.scenario import load_scenario

    path = tmp_path / "silent.toml"
    path.write_text(SILENT_CAMERA_ROOM)
    field = RadioField(load_scenario(path))
    phone = next(e for e in field.emitters if e.kind == "phone")
    on_s, off_s = phone.intervals[0]
    raised = {"band": "wifi-2g4", "start_ns": int(min(on_s + 1.5, off_s) * 1e9),
              "raised_freq_hz": phone.centre_mhz * 1e6,
              "freq_hz": 5.8e9}
    assert credit(field, raised, 0)["emitter"] == phone.id
    moved_only = {k: v for k, v in raised.items() if k != "raised_freq_hz"}
    assert credit(field, moved_only, 0)["kind"] == "noise"


HOPPER_BESIDE_CARRIER_ROOM = """
format = 1
name = "speaker-beside-carrier"
seed = 4

[room]
size = [2.0, 2.0, 2.4]

[[objects]]
kind = "camera"
id = "cam-carrier"
at = [1.9, 1.9, 2.0]
facing = [-1, -1, -0.5]
transmits = "analog-2g4"
tx_dbm = -10

[[transmitters]]
kind = "bluetooth"
id = "speaker"
at = [0.5, 0.4, 1.2]
tx_dbm = 10
duty = 0.9

[path]
start_at_door_s = 2
waypoints = [
  { t = 0, at = [0.5, 0.2, 1.3], look = [0.5, 1.9, 1.3] },
  { t = 8, at = [0.5, 0.3, 1.3], look = [1.9, 1.9, 2.0] },
]
"""


def test_a_hopper_is_credited_by_the_channel_it_is_on_not_its_average(tmp_path):
    """A Bluetooth speaker beside the inspector, far louder than a distant analog
    carrier: averaged over its 79 hops it outweighs the carrier at the carrier's own
    frequency, but a reading finds it there in one slot of 79 or so. What kept that
    frequency loud in reading after reading is the carrier, and the credit says so."""
    from detector.evaluation.attribution import credit
    from detector.rf.sim.field import CC2500, HOP_CHANNELS, RadioField
    from detector.sim.scenario import load_scenario

    path = tmp_path / "hopper.toml"
    path.write_text(HOPPER_BESIDE_CARRIER_ROOM)
    field = RadioField(load_scenario(path))
    camera = next(e for e in field.emitters if e.kind == "camera")
    speaker = next(e for e in field.emitters if e.hopping)
    freq = camera.centre_mhz * 1e6
    instants = np.arange(2000) * 997.0 + 4e6  # 2 s after the door, slot after slot
    hops = [field.centre_mhz(speaker, t) for t in instants]
    assert set(hops) <= {2402.0 + k for k in range(HOP_CHANNELS)}
    assert len(set(hops)) > HOP_CHANNELS * 0.9  # it does hop over the whole band
    assert field.centre_mhz(speaker, 5e6) == field.centre_mhz(speaker, 5e6 + 100)  # one slot

    def mw(e):
        return np.array([field.contribution_mw(e, field.gain(e, CC2500, freq, t), t)
                         for t in instants])

    speaker_mw, camera_mw = mw(speaker), mw(camera)
    # On average over its hops the speaker is the louder one at the carrier's frequency...
    assert speaker_mw.mean() > 2 * camera_mw.mean()
    # ...but it is there in few slots, and the carrier in every one.
    assert np.mean(speaker_mw > camera_mw) < 0.1
    alert = {"band": "analog-2g4", "start_ns": int(6e9), "raised_freq_hz": freq}
    assert credit(field, alert, 0)["emitter"] == "cam-carrier"
