"""The candidate stage on synthetic frame sets: what lights up under the on-axis ring only
is found, what looks the same under both groups or moved between them is not."""

import math

import numpy as np
import pytest

from detector.optics import FrameError, LensParams, find_candidates
from tests.frames import frame_set, shifted, spot, wall

LENS = (301.3, 187.6)


def near(cands, x, y, radius=2.0):
    return [c for c in cands if math.hypot(c.x - x, c.y - y) <= radius]


def test_lens_under_the_onaxis_ring_is_found_with_subpixel_position():
    on, off = wall(), wall()
    spot(on, *LENS, 120)
    cands = find_candidates(*frame_set(on, off))
    assert len(cands) == 1
    c = cands[0]
    assert abs(c.x - LENS[0]) < 0.4 and abs(c.y - LENS[1]) < 0.4
    assert c.score > 0.8 and c.ratio > 10 and c.area < 10


def test_screw_highlight_under_both_groups_is_not_a_candidate():
    on, off = wall(), wall()
    for image in (on, off):
        spot(image, 410, 90, 150)
    assert find_candidates(*frame_set(on, off)) == []


def test_highlight_moved_two_pixels_between_frames_is_rejected():
    on, off = wall(), wall()
    spot(on, 410, 90, 150)
    spot(off, 412, 90, 150)
    assert near(find_candidates(*frame_set(on, off)), 410, 90, 4) == []


def test_lens_is_found_after_global_motion_and_the_moved_screw_cancels():
    scene_on, scene_off = wall(1), wall(1)
    spot(scene_on, 200, 120, 150)  # screw glint, in both frames
    spot(scene_off, 200, 120, 150)
    spot(scene_on, *LENS, 110)  # lens, on-axis only
    off = shifted(scene_off, 7, -3)  # the device panned between the frames
    cands = find_candidates(*frame_set(scene_on, off))
    assert len(near(cands, *LENS, 1.0)) == 1
    assert near(cands, 200, 120, 6) == []


def test_indicator_led_in_the_dark_frame_is_rejected():
    # A blinking LED: lit in the on-axis and dark frames, off in the off-axis frame.
    on, off, dark = wall(), wall(), wall() * 0.05
    spot(on, 500, 250, 150)
    spot(dark, 500, 250, 150)
    with_dark = find_candidates(*frame_set(on, off, dark))
    without_dark = find_candidates(*frame_set(on, off))
    assert near(with_dark, 500, 250) == []
    assert len(near(without_dark, 500, 250)) == 1  # the dark frame is what rejects it


def test_mirror_image_of_the_leds_pairs_with_the_offaxis_image_and_is_rejected():
    on, off = wall(), wall()
    spot(on, 320, 180, 200, sigma=1.2)  # the ring's image in a mirror
    spot(off, 335, 180, 200, sigma=1.2)  # the off-axis group's image, beside it
    cands = find_candidates(*frame_set(on, off), keep_rejected=True)
    hit = near(cands, 320, 180)
    assert hit and hit[0].pair > 0.5 and hit[0].score == 0.0


def test_weak_offaxis_response_ratio_rejects_a_bead_but_not_a_lens():
    on, off = wall(), wall()
    spot(on, 150, 100, 100)  # glass bead (toy eye): wide return, off-axis sees most
    spot(off, 150, 100, 60)
    spot(on, 450, 250, 100)  # lens: off-axis sees nothing
    cands = find_candidates(*frame_set(on, off))
    assert near(cands, 150, 100) == []
    assert len(near(cands, 450, 250)) == 1


def test_large_retroreflector_is_rejected_by_size():
    on, off = wall(), wall()
    on[100:130, 200:260] += 150  # retro tape: bright under the ring, large
    cands = find_candidates(*frame_set(on, off), keep_rejected=True)
    assert cands and all(c.score == 0.0 for c in cands)
    assert max(c.area for c in cands) > 100


def test_wide_spot_is_less_lens_like_than_a_point():
    on, off = wall(), wall()
    spot(on, 150, 100, 80, sigma=0.8)
    spot(on, 450, 250, 80, sigma=2.0)  # a water drop seen close: a disc, not a point
    cands = find_candidates(*frame_set(on, off), keep_rejected=True)
    point, disc = near(cands, 150, 100)[0], near(cands, 450, 250)[0]
    assert disc.width > point.width + 0.5
    assert point.score > 0.8 and disc.score == 0.0


def test_a_spot_clipped_in_one_pixel_gets_no_saturated_width_allowance():
    # A drop over a bright wall clips in its peak pixel only: its width is its own, and a
    # disc of 1.2 px is no point. A lens bright enough to clip in a flat top keeps the
    # wider limit that flat top calls for.
    on, off = wall(), wall()
    spot(on, 150, 100, 195, sigma=1.2)
    spot(on, 450, 250, 1500, sigma=0.8)
    frames = frame_set(on, off)
    cands = find_candidates(*frames, keep_rejected=True)
    drop, lens = near(cands, 150, 100)[0], near(cands, 450, 250)[0]
    assert drop.saturated and drop.clipped == 1 and drop.width > 1.1
    assert lens.saturated and lens.clipped >= 4 and lens.width > 0.9
    assert drop.score == 0.0 and lens.score > 0.5
    # Every saturated spot given the whole allowance, as before, passes the drop.
    lenient = LensParams.defaults().with_(max_point_width_px=1.4)
    assert near(find_candidates(*frames, params=lenient), 150, 100)[0].score > 0.3


def test_uint16_frames_work_like_uint8():
    on, off = wall(), wall()
    spot(on, *LENS, 120)
    c8 = find_candidates(*frame_set(on, off))
    c16 = find_candidates(*frame_set(on, off, dtype=np.uint16))
    assert len(c16) == len(c8) == 1
    assert abs(c16[0].x - c8[0].x) < 0.2 and c16[0].score > 0.8


def test_flat_frames_give_no_candidates():
    flat = np.full((360, 640), 80, np.uint8)
    assert find_candidates(flat, flat, flat) == []


def test_config_overrides_change_the_threshold():
    on, off = wall(), wall()
    spot(on, *LENS, 50)
    frames = frame_set(on, off)
    assert near(find_candidates(*frames), *LENS)
    assert not near(find_candidates(*frames, params=LensParams.defaults().with_(min_contrast_dn=60.0)), *LENS)


@pytest.mark.parametrize("args, message", [
    ((np.zeros((360, 640, 3), np.uint8), np.zeros((360, 640, 3), np.uint8)), "2-D"),
    ((np.zeros((360, 640), np.float32), np.zeros((360, 640), np.float32)), "uint8 or uint16"),
    ((np.zeros((360, 640), np.uint8), np.zeros((360, 600), np.uint8)), "offaxis frame is 600x360"),
    ((np.zeros((360, 640), np.uint8), np.zeros((360, 640), np.uint16)), "offaxis frame"),
    ((np.zeros((360, 640), np.uint8), np.zeros((360, 640), np.uint8),
      np.zeros((10, 640), np.uint8)), "dark frame"),
    (([[1, 2]], np.zeros((360, 640), np.uint8)), "numpy array"),
    ((np.zeros((8, 8), np.uint8), np.zeros((8, 8), np.uint8)), "too small"),
])
def test_bad_arrays_get_a_clear_error(args, message):
    with pytest.raises(FrameError, match=message) as info:
        find_candidates(*args)
    assert "\n" not in str(info.value)



def test_a_window_around_a_point_far_outside_the_frame_is_empty():
    """The dark frame's search window follows the motion and can leave the frame; its
    slices must then be empty rather than wrap around through negative indices."""
    from detector.optics.spot_shape import window

    frame = np.arange(100).reshape(10, 10)
    assert frame[window(frame.shape, -20, 5, 3)].size == 0
    assert frame[window(frame.shape, 5, 30, 3)].size == 0
    assert frame[window(frame.shape, -2, 5, 3)].shape == (7, 2)
    assert frame[window(frame.shape, 9, 9, 1)].shape == (2, 2)


def test_dropping_rejected_spots_early_leaves_the_same_candidates():
    """Spots whose score is known to be zero early (too weak an off-axis ratio, too
    wide) are dropped before the rest is measured; what remains must be exactly what
    scoring every spot and keeping the non-zero ones gives, right at both limits."""
    p = LensParams.defaults()
    on, off, dark = wall(3), wall(3), wall(3) * 0.05
    for i in range(9):  # beads whose off-axis return crosses the ratio limit
        spot(on, 40 + 64 * i, 60, 110)
        spot(off, 40 + 64 * i, 60, 110 / (p.ratio_min * (0.7 + 0.15 * i)))
    for i in range(9):  # spots whose width crosses the point limit
        spot(on, 40 + 64 * i, 160, 90, sigma=0.7 + 0.08 * i)
    spot(on, 120, 280, 200, sigma=1.2)  # a mirror image of the ring, beside the group's
    spot(off, 135, 280, 200, sigma=1.2)
    spot(on, 400, 280, 150)  # an indicator LED, lit in the dark frame too
    spot(dark, 400, 280, 150)
    frames = frame_set(on, off, dark)
    every = find_candidates(*frames, keep_rejected=True)
    kept = [c for c in every if c.score > 0]
    assert find_candidates(*frames) == kept
    # Both limits are crossed: spots just inside them kept, and just outside dropped.
    ratios = sorted(c.ratio for c in every if c.y < 100)
    assert any(r <= p.ratio_min for r in ratios) and any(
        p.ratio_min < c.ratio < 1.5 * p.ratio_min for c in kept)
    widths = [c.width for c in every if 120 < c.y < 200]
    assert any(w >= p.max_point_width_px + 0.2 for w in widths) and any(
        p.max_point_width_px < c.width < p.max_point_width_px + 0.2 for c in kept)


@pytest.mark.parametrize("size", [1, 2, 7, 8, 255, 1000])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_the_noise_estimate_is_numpys_median_absolute_deviation(size, dtype):
    from detector.optics.candidates import _mad

    rng = np.random.default_rng(size)
    top = 256 if dtype == np.uint8 else 4096
    for _ in range(20):
        first = rng.integers(0, top, size, dtype=dtype)
        second = rng.integers(0, top, size, dtype=dtype)
        d = first.astype(np.float32) - second.astype(np.float32)
        assert _mad(first, second) == float(np.median(np.abs(d - np.median(d))))


@pytest.mark.parametrize("size", [1, 2, 9, 10, 161 * 161])
@pytest.mark.parametrize("spread", [255, 70000])  # counted, and too wide to count
def test_the_pair_lobes_median_is_numpys(size, spread):
    from detector.optics.candidates import _integer_median

    rng = np.random.default_rng(size)
    for _ in range(10):
        values = rng.integers(-spread, spread + 1, size).astype(np.int32)
        assert _integer_median(values) == float(np.median(values))


def test_spread_tells_a_faint_disc_from_a_point_where_the_width_does_not():
    # A drop at arm's length: a disc (sigma 1.0 px) with a weak off-axis copy (its wide
    # return cone), which the max filter spreads and the difference image's width then
    # reads as nearly a point. The on-axis fit sees the disc; the lens stays a point.
    for seed in range(4):
        on, off = wall(seed), wall(seed)
        spot(on, 150.3, 100.6, 60, sigma=0.7)
        spot(on, 400.7, 200.2, 60, sigma=1.0)
        spot(off, 400.7, 200.2, 15, sigma=1.0)
        cands = find_candidates(*frame_set(on, off, seed=seed), keep_rejected=True)
        (drop,), (lens,) = near(cands, 400.7, 200.2), near(cands, 150.3, 100.6)
        assert drop.width < 0.95 and drop.spread >= 0.95
        assert lens.spread == 0.0 or lens.spread <= 0.8  # 0: too compact to fit at all


def test_spread_is_not_measured_on_a_clipped_spot_or_at_the_edge():
    on, off = wall(), wall()
    spot(on, 300.0, 150.0, 400, sigma=0.7)
    spot(on, 1.0, 200.0, 60, sigma=1.0)
    cands = find_candidates(*frame_set(on, off), keep_rejected=True)
    (clipped,), (edge,) = near(cands, 300.0, 150.0), near(cands, 1.0, 200.0, 3.0)
    assert clipped.saturated and clipped.spread == 0.0
    assert edge.spread == 0.0
