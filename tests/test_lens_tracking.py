"""Frame sets, tracking and confirmation over a stream of synthetic labelled frames."""

import math
from dataclasses import replace

import numpy as np
import pytest

from detector.hw.camera import Frame
from detector.optics import FrameSetBuilder, LensDetector, LensParams
from detector.optics.align import Shift
from detector.optics.candidates import Candidate, CandidateFinder
from detector.optics.tracking import (
    FLAT_TOP_RATIO_RAMP,
    SPREAD_RAMP_PX,
    Tracker,
    flat_top_ratio_term,
    point_spread_term,
)
from tests.frames import shifted, spot, to_frame, wall

PERIOD_NS = 16_666_667
PATTERN = ("onaxis", "offaxis", "dark")


def frame(i, lights, image=None, t_ns=None):
    image = np.zeros((40, 40), np.uint8) if image is None else image
    return Frame(index=i, t_ns=i * PERIOD_NS if t_ns is None else t_ns, exposure_us=2000,
                 lights=lights, image=image)


def test_sets_group_onaxis_offaxis_and_dark():
    b = FrameSetBuilder(PATTERN, 60.0)
    out = [b.add(frame(i, PATTERN[i % 3])) for i in range(9)]
    sets = [s for s in out if s is not None]
    assert [(s.index, s.offaxis_index, s.dark_index) for s in sets] == [(0, 1, 2), (3, 4, 5),
                                                                         (6, 7, 8)]


def test_mixed_frames_are_never_used():
    b = FrameSetBuilder(PATTERN, 60.0)
    labels = ["onaxis", "mixed", "dark", "onaxis", "offaxis", "dark"]
    sets = [s for i, lab in enumerate(labels) if (s := b.add(frame(i, lab))) is not None]
    assert [(s.index, s.offaxis_index) for s in sets] == [(3, 4)]
    assert b.mixed_dropped == 1


def test_sets_spread_too_far_in_time_are_dropped():
    b = FrameSetBuilder(PATTERN, 40.0)
    times = [0, 17, 80, 97, 114, 131]  # a stall between the off-axis and the dark frame
    sets = [s for i, t in enumerate(times)
            if (s := b.add(frame(i, PATTERN[i % 3], t_ns=t * 1_000_000))) is not None]
    assert [s.index for s in sets] == [3]
    assert b.spread_dropped >= 1


def sweep(n_sets, lens_sets, *, glint=False, lens=(300.0, 180.0), pan=(-2.5, 1.0),
          mixed_spot_at=None):
    """Labelled frames of a panning sweep over a wall: the lens (on-axis only) is present in
    the sets listed in lens_sets; a screw glint (both groups) when glint is set. Returns
    the frames and the lens position in each set's on-axis frame."""
    base = wall(4)
    frames, where = [], {}
    for i in range(n_sets * 3):
        label = PATTERN[i % 3]
        dx, dy = pan[0] * i, pan[1] * i
        scene = shifted(base, dx, dy)
        if glint:
            spot(scene, 420 + dx, 120 + dy, 150)
        if label == "onaxis" and i // 3 in lens_sets:
            spot(scene, lens[0] + dx, lens[1] + dy, 120)
            where[i] = (lens[0] + dx, lens[1] + dy)
        if label == "dark":
            scene = scene * 0.05
        if mixed_spot_at is not None and i == mixed_spot_at:
            label = "mixed"
            spot(scene, 500, 300, 200)
        frames.append(frame(i, label, to_frame(scene, seed=i)))
    return frames, where


def run(frames, **overrides):
    det = LensDetector(LensParams.defaults().with_(**overrides))
    results = [r for f in frames if (r := det.add_frame(f)) is not None]
    return det, results


def test_a_lens_held_over_several_sets_is_confirmed_at_its_position():
    frames, where = sweep(10, range(10))
    det, _ = run(frames)
    assert len(det.alerts) == 1
    alert = det.alerts[0]
    p = LensParams.defaults()
    assert p.confirm_min_hits <= alert.hits <= 6
    assert alert.score >= p.confirm_score
    x, y = where[alert.index]
    assert math.hypot(alert.x - x, alert.y - y) < 1.0
    assert alert.features["ratio"] > 10
    assert alert.features["clipped"] == 0  # a faint lens on a wall: nothing at full scale


def test_a_single_flash_is_not_confirmed():
    frames, _ = sweep(10, {4})
    det, results = run(frames)
    assert any(r.candidates for r in results)  # it was a candidate ...
    assert det.alerts == []  # ... but one set is not enough


def test_a_screw_glint_under_both_groups_raises_no_alert():
    frames, _ = sweep(10, set(), glint=True)
    det, _ = run(frames)
    assert det.alerts == []


def test_tracks_follow_the_pan():
    frames, _ = sweep(8, range(8), pan=(-6.0, 2.0))
    det, results = run(frames)
    assert len(det.alerts) == 1
    motions = [r.motion for r in results[1:]]  # 3 frames of (-6, 2) px between sets
    assert all(abs(m.dx + 18.0) < 3.0 and abs(m.dy - 6.0) < 3.0 for m in motions)
    lens_tracks = [t for t in det.tracks() if t.confirmed]
    assert len(lens_tracks) == 1 and len(lens_tracks[0].hits) == 8


def test_a_bright_spot_in_a_mixed_frame_is_never_seen():
    frames, _ = sweep(6, set(), mixed_spot_at=7)
    det, results = run(frames)
    assert det.builder.mixed_dropped == 1
    assert all(math.hypot(c.x - 500, c.y - 300) > 10 for r in results for c in r.candidates)
    assert len(results) == 5


def test_offaxis_shift_far_from_the_motion_falls_back_to_the_prediction():
    finder = CandidateFinder(LensParams.defaults(), 1280, np.dtype(np.uint8))
    predicted = Shift(-3.0, 1.0, 0.6)
    tile_away = Shift(85.0, -70.0, 0.3)  # correlation locked onto the tile grid
    assert finder._offaxis_shift(tile_away, predicted) == predicted
    close = Shift(-3.4, 0.8, 0.4)
    assert finder._offaxis_shift(close, predicted) == close
    assert finder._offaxis_shift(tile_away, None).dx == 0.0  # no motion known: implausible


SET_NS = 50_000_000


def lens_at(x, y):
    return Candidate(x=x, y=y, score=1.0, contrast=120.0, snr=30.0, peak=120.0,
                     integrated=500.0, area=4, width=0.8, compactness=1.0, ratio=25.0,
                     dark=0.0, pair=0.0, saturated=False)


def fast_pan(motions, step=(-38.0, -12.0), start=(1100.0, 200.0), second=None):
    """A tracker fed one lens moving `step` px per set, with the global motion of each set
    as given (None: the true step); `second`: (set, x, y) of another lens seen once."""
    tracker = Tracker(LensParams.defaults(), 1280)
    alerts = []
    for k, motion in enumerate(motions):
        x, y = start[0] + step[0] * k, start[1] + step[1] * k
        cands = [lens_at(x, y)]
        if second is not None and second[0] == k:
            cands.append(lens_at(second[1], second[2]))
        shift = Shift(*(step if motion is None else motion), 0.4)
        alerts += tracker.update(cands, shift, 3 * k, k * SET_NS)
    return tracker, alerts


def test_a_wrong_global_shift_in_a_fast_pan_does_not_split_the_lens():
    # The set-4 shift is 35 px off, outside the gate: the track's own step still finds it.
    tracker, alerts = fast_pan([None, None, None, None, (-5.0, 2.0), None, None, None])
    assert len(alerts) == 1
    assert [len(t.hits) for t in tracker.all_tracks()] == [8]


def test_a_lens_followed_only_by_its_own_steps_is_one_track():
    # After two sets the global shift says "still" (as when it is unreliable in a blur).
    tracker, alerts = fast_pan([None, None] + [(0.0, 0.0)] * 6)
    assert len(alerts) == 1 and len(tracker.all_tracks()) == 1


def test_the_second_look_takes_only_what_is_near_the_tracks_own_step():
    # The set-4 shift is wrong, and a second lens sits 60 px from where the first one's
    # step leads: the first is still followed and the second starts its own track.
    tracker, _ = fast_pan([None, None, None, None, (-5.0, 2.0), None],
                          second=(4, 1100.0 - 38 * 4 + 60, 200.0 - 12 * 4))
    hits = sorted(len(t.hits) for t in tracker.all_tracks())
    assert hits == [1, 6]


def test_without_a_recent_step_a_missed_shift_starts_a_new_track():
    # A track seen once has no step of its own: after a wrong shift it is lost, as before.
    tracker, _ = fast_pan([None, (-5.0, 2.0), None, None])
    assert sorted(len(t.hits) for t in tracker.all_tracks()) == [1, 3]


def steady_spot(spread, motion=(0.5, -0.3), sets=12):
    """A tracker fed one otherwise perfect lens-like spot with this on-axis spread, the
    image moving `motion` px per set; its alerts, its best score and its last."""
    tracker = Tracker(LensParams.defaults(), 1280)
    alerts, x, y = [], 600.0, 300.0
    for k in range(sets):
        x, y = x + motion[0], y + motion[1]
        cand = replace(lens_at(x, y), spread=spread)
        alerts += tracker.update([cand], Shift(*motion, 0.4), 3 * k, k * SET_NS)
    (track,) = tracker.all_tracks()
    return alerts, max(h[4] for h in track.history), track.score


def test_a_spot_as_wide_as_a_drop_is_never_confirmed():
    (point,), (compact,) = steady_spot(0.72)[0], steady_spot(0.0)[0]
    assert point.features["spread"] == 0.72  # what the term judged, for the logbook
    assert compact.features["spread"] == 0.0  # too compact to fit: nothing measured
    alerts, best, last = steady_spot(1.0)  # beyond max_point_spread_px + SPREAD_RAMP_PX
    assert alerts == [] and best < 0.6 and last == 0.0
    alerts, best, last = steady_spot(0.92)  # on the ramp: held back, not zeroed
    assert alerts == [] and 0.0 < last <= best < 0.6


def test_spreads_taken_while_the_image_moves_fast_are_not_counted():
    # A pan smears a point as wide as a drop: those spreads say nothing of the spot.
    alerts, best, _ = steady_spot(1.0, motion=(-30.0, 4.0))
    assert alerts and best > 0.9
    # A slow pan (12 px a set, ~14 deg/s) smears a point by half a pixel at most: its
    # spreads still count, and a drop seen that way is still held back.
    assert steady_spot(1.0, motion=(12.0, 3.0))[0] == []


def test_the_point_spread_term_needs_three_spreads_and_uses_their_median():
    assert point_spread_term([1.2, 1.2], 0.85) == 1.0
    assert point_spread_term([0.7, 1.2, 0.75], 0.85) == 1.0
    assert point_spread_term([1.0, 0.7, 1.0, 1.0], 0.85) == 0.0
    assert point_spread_term([0.9, 0.9, 0.9], 0.85) == pytest.approx(1 - 0.05 / SPREAD_RAMP_PX)


def bright_spot(ratios, clipped=10, params=None):
    """A tracker fed one still spot, clipped in `clipped` pixels, with these on/off ratios
    set after set; its alerts and its last score."""
    tracker = Tracker(params or LensParams.defaults(), 1280)
    alerts = []
    for k, ratio in enumerate(ratios):
        cand = replace(lens_at(600.0, 300.0), saturated=True, clipped=clipped, ratio=ratio,
                       width=1.2)
        alerts += tracker.update([cand], Shift(0.0, 0.0, 0.4), 3 * k, k * SET_NS)
    (track,) = tracker.all_tracks()
    return alerts, track.score


def test_a_flat_top_with_an_off_axis_copy_is_never_confirmed():
    # A drop over a bright wall clips while its wide cone still lights the off-axis
    # group (ratio 5-6), then reads like a lens as the device draws back.
    alerts, last = bright_spot([5.0, 5.5, 6.0] + [15.0] * 12)
    assert alerts == [] and last == 0.0
    # A lens clipped as hard keeps its off-axis copy in the noise.
    (alert,), _ = bright_spot([15.0] * 15)
    assert alert.features["flat_top_ratio"] == 15.0  # what the term judged
    # One low hit alone (the off-axis frame caught something beside the spot) is not enough.
    assert bright_spot([5.0] + [15.0] * 14)[0]


def test_a_low_ratio_counts_only_on_a_flat_top_and_the_limit_can_be_turned_off():
    # Three clipped pixels are no flat top: the on-axis level may be the spot's own.
    assert bright_spot([5.0, 5.5, 6.0] + [15.0] * 12, clipped=3)[0]
    off = replace(LensParams.defaults(), min_flat_top_ratio=0.0)
    assert bright_spot([5.0, 5.5, 6.0] + [15.0] * 12, params=off)[0]


def test_the_flat_top_term_judges_the_second_lowest_ratio():
    assert flat_top_ratio_term([3.0], 8.0) == 1.0
    assert flat_top_ratio_term([3.0, 9.0], 8.0) == 1.0
    assert flat_top_ratio_term([3.0, 6.0], 8.0) == 0.0
    assert flat_top_ratio_term([7.0, 7.25], 8.0) == pytest.approx(1 - 0.75 / FLAT_TOP_RATIO_RAMP)
