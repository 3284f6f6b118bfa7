"""Coverage and pace from frame-to-frame alignment: integration of image shifts into
viewing directions, the too-fast rule, the required region, and the estimate against
the simulator's true pose."""

import math
from dataclasses import replace

import pytest

from detector.config import load_config
from detector.evaluation.heading import check_heading
from detector.optics.coverage import CoverageMap, CoverageParams
from detector.sweep import SweepRequest, run_sweep
from tests.conftest import SMALL, scenario_from

S = 1_000_000_000
W, H, HFOV = 640, 360, 66.0


def px_for(deg: float) -> float:
    f = (W / 2) / math.tan(math.radians(HFOV) / 2)
    return f * math.tan(math.radians(deg))


def pan(cov: CoverageMap, deg_per_set: float, sets: int, reliable: bool = True,
        interval_ns: int = S // 20, t0: int = 0) -> int:
    t = t0
    for _ in range(sets):
        t += interval_ns
        cov.update(t, px_for(deg_per_set), 0.0, reliable)
    return t


def test_image_shift_integrates_to_yaw_and_pitch():
    cov = CoverageMap(W, H, HFOV)
    cov.update(0, 0, 0, True)
    t = pan(cov, 1.0, 30)  # content moving right: the device turned left
    assert cov.yaw == pytest.approx(30.0, abs=0.01)
    cov.update(t + S // 20, 0.0, px_for(2.0), True)  # content moving down: tilted up
    assert cov.pitch == pytest.approx(2.0, abs=0.01)
    assert cov.rate == pytest.approx(40.0, rel=0.01)  # 2 degrees in 50 ms


def test_turning_too_fast_warns_and_counts_nothing():
    p = replace(CoverageParams.defaults(), max_rate_deg_s=40.0, warn_hold_s=1.0)
    cov = CoverageMap(W, H, HFOV, p)
    cov.update(0, 0, 0, True)
    before = cov.swept.copy()
    t = pan(cov, 3.0, 20)  # 60 degrees per second
    assert cov.too_fast(t) and cov.fast_intervals == 20
    assert (cov.swept == before).all()
    assert cov.too_fast(t + S // 2) and not cov.too_fast(t + 2 * S)  # the warning holds 1 s
    t = pan(cov, 1.0, 10, t0=t)  # 20 degrees per second: fine again
    assert cov.swept.sum() > before.sum()


def test_lost_alignment_counts_nothing_and_warns():
    cov = CoverageMap(W, H, HFOV)
    cov.update(0, 0, 0, True)
    before = cov.swept.copy()
    t = pan(cov, 1.0, 5, reliable=False)
    assert cov.lost_intervals == 5 and cov.too_fast(t) and (cov.swept == before).all()
    assert cov.yaw == 0.0


def test_coverage_is_the_swept_share_of_the_required_region():
    cov = CoverageMap(W, H, HFOV, CoverageParams.defaults(), yaw_range=(-90, 90), pitch_range=(-10, 10))
    cov.update(0, 0, 0, True)
    start = cov.coverage
    t = pan(cov, 1.0, 90)  # slowly 90 degrees to the left
    pan(cov, -1.0, 180, t0=t)  # and 180 to the right
    assert 0 < start < 0.35
    assert cov.coverage == pytest.approx(1.0)  # the view's central 70 % spans +-21 degrees
    whole = cov.to_json()
    assert whole["coverage"] == 1.0 and len(whole["swept"]) == cov.n_pitch
    with pytest.raises(ValueError, match="empty"):
        CoverageMap(W, H, HFOV, yaw_range=(5, 6), pitch_range=(0, 1))


PANNING = SMALL.replace('resolution = [320, 180]', 'resolution = [640, 360]').replace(
    'surface = "paint"', 'surface = "tile"').replace("ambient = 0.02", "ambient = 0.3").replace(
    """waypoints = [
  { t = 0, at = [1.0, 1.5, 1.2], look = [1.0, 3.0, 1.2] },
  { t = 1, at = [1.0, 1.5, 1.2], look = [1.0, 3.0, 1.2] },
]""", """waypoints = [
  { t = 0, at = [1.0, 1.0, 1.2], look = [0.2, 3.0, 1.2] },
  { t = 3, at = [1.0, 1.0, 1.2], look = [1.8, 3.0, 1.4] },
]""")


def test_estimate_follows_the_simulators_true_pose():
    """A 3 s turn of about 42 degrees in a tiled room, standing still: the integrated
    heading stays within 2 degrees of the truth (translation-free; parallax is what
    makes the error grow in the library's sweeps, see docs/sweep.md)."""
    check = check_heading(scenario_from(base=PANNING))
    assert check.total_turn_deg > 35
    assert check.errors[:, 0].max() < 2.0 and check.errors[:, 1].max() < 2.0
    assert check.estimated.lost_intervals == 0
    assert abs(check.estimated.coverage - check.true.coverage) < 0.03


def test_too_fast_sweep_warns_through_the_runtime(tmp_path):
    fast = PANNING.replace("{ t = 3, at", "{ t = 0.6, at")  # ~70 degrees per second
    scenario = scenario_from(base=fast)
    outcome = run_sweep(load_config(None, ["sim.display=none"]),
                        SweepRequest(backend={"scenario": scenario}, out_dir=tmp_path,
                                     draw=False))
    events = (tmp_path / "events.jsonl").read_text()
    assert '"pace_warning"' in events
    assert outcome.inspection.coverage_map["too_fast_intervals"] > 3
