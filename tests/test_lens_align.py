"""Global alignment from the middle of shrunken frames: the same pixels as the middle
of the whole shrunken frame, and the same shift as the whole frame gives."""

import numpy as np
import pytest

from detector.optics.align import (
    CENTRAL_MARGIN,
    central_half,
    estimate_shift,
    shrink,
    shrink_central,
)
from tests.frames import shifted, to_frame, wall


@pytest.mark.parametrize(("w", "h"), [(1280, 720), (2304, 1296), (640, 360)])
@pytest.mark.parametrize("factor", [2, 4, 8])
def test_the_central_shrink_is_the_middle_of_the_whole_shrink(w, h, factor):
    image = to_frame(wall(1, w, h), seed=1)
    whole = shrink(image, factor)
    central = shrink_central(image, factor)
    y0 = h // factor // CENTRAL_MARGIN
    x0 = w // factor // CENTRAL_MARGIN
    assert central.shape == (whole.shape[0] - 2 * y0, whole.shape[1] - 2 * x0)
    np.testing.assert_array_equal(central, whole[y0:y0 + central.shape[0],
                                                 x0:x0 + central.shape[1]])


def test_the_middle_measures_the_shift_to_a_fraction_of_a_pixel():
    """The candidate stage applies the shift rounded to whole pixels, and its max filter
    absorbs the rest: from the middle of the frame the error must stay near half a pixel,
    as from the whole frame (the central half alone erred by up to 1.1 pixels)."""
    rng = np.random.default_rng(5)
    errors = []
    for seed in range(12):
        dx, dy = rng.uniform(-15, 15, 2)
        scene = wall(seed, 1280, 720)
        first = to_frame(scene, seed=seed)
        second = to_frame(shifted(scene, dx, dy), seed=seed + 100)
        central = estimate_shift(shrink_central(first, 4), shrink_central(second, 4), 4)
        assert central.reliable
        errors.append(max(abs(central.dx - dx), abs(central.dy - dy)))
    assert max(errors) < 0.6 and float(np.median(errors)) < 0.35, errors


@pytest.mark.parametrize(("w", "h"), [(1280, 720), (640, 360), (2304, 1296)])
def test_the_motion_is_measured_on_the_central_half_of_the_whole_shrink(w, h):
    """The motion between sets keeps its window (the central half), cut from the
    central shrink so the frame is shrunk once."""
    image = to_frame(wall(4, w, h), seed=4)
    whole = shrink(image, 4)
    hs, ws = whole.shape
    expected = whole[hs // 4:hs - hs // 4, ws // 4:ws - ws // 4]
    half = central_half(shrink_central(image, 4), image.shape, 4)
    assert half.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(half, expected)
