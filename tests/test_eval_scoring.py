"""Scoring as the scenario format defines it, on hand-made runs."""

import pytest

from detector.evaluation.report import evaluate
from detector.evaluation.runs import SweepRun
from detector.evaluation.scoring import alerts_at, match_radius, score_run

MS = 1_000_000


def make_run(tracks, cameras=None, width=1280, name="room"):
    frames = {i: i * 17 * MS for i in range(200)}
    truth = {"cameras": cameras if cameras is not None else [
        # in view from frame 10, exposed (in cone, within 3 m) from frame 30
        {"id": "cam1", "band": "none",
         "frames": [[i, 400.0 + i, 300.0, i >= 30] for i in range(10, 120)]},
    ], "distractors": [], "transmitters": []}
    return SweepRun(name=name, seed=1, width=width, truth=truth, frame_t_ns=frames,
                    tracks=tracks, alerts=[],
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
