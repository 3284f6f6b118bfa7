"""The shape of one spot, measured in small windows around it: how wide it is on the
difference image (`spot_width`) and as a Gaussian on the on-axis frame (`spot_spread`).
A lens is a point at the device's resolution (the optics' blur); a water drop or a bead
close up is a disc. The window helpers are shared with the candidate stage."""

from __future__ import annotations

import math

import numpy as np

SPOT_RADIUS = 4  # window half-size for the spot's second-moment width


def window(shape: tuple[int, int], x: int, y: int, radius: int) -> tuple[slice, slice]:
    """The square of `radius` around (x, y), clipped to the frame: empty when the point
    lies further outside than the radius (never a negative index, which would wrap)."""
    h, w = shape
    y0, x0 = min(max(0, y - radius), h), min(max(0, x - radius), w)
    return (slice(y0, max(min(h, y + radius + 1), y0)),
            slice(x0, max(min(w, x + radius + 1), x0)))


def ring_median(pixels: np.ndarray) -> float:
    """Median of the border of a window's pixels (np.median's value, without its
    overhead: this runs several times per candidate)."""
    border = np.concatenate([pixels[0], pixels[-1], pixels[1:-1, 0], pixels[1:-1, -1]])
    n = border.size
    k = n // 2
    if n % 2:
        return float(np.partition(border, k)[k])
    part = np.partition(border, (k - 1, k))
    return float((part[k - 1] + part[k]) / 2.0)


def spot_width(diff: np.ndarray, cx: float, cy: float, background: float,
               contrast: float) -> float:
    """Second-moment radius of the spot at (cx, cy): a lens is a point (the optics'
    blur), a water drop or a bead is a disc several pixels wide at close range."""
    sw = window(diff.shape, int(round(cx)), int(round(cy)), SPOT_RADIUS)
    spot = np.clip(diff[sw].astype(np.float32) - background, 0, None)
    spot[spot < 0.2 * contrast] = 0.0
    dx2 = (np.arange(sw[1].start, sw[1].stop) - cx) ** 2
    dy2 = (np.arange(sw[0].start, sw[0].stop) - cy) ** 2
    mass = float(spot.sum())
    return (float(np.sqrt((spot.sum(axis=0) @ dx2 + spot.sum(axis=1) @ dy2) / mass))
            if mass > 0 else 0.0)


# The 3x3 neighbourhood's offsets, and the design of the log-Gaussian fit through it:
# log I = a + b*x + c*y + d*(x^2 + y^2), so sigma^2 = -1 / (2d).
_NEIGHBOURS = np.array([(dx, dy) for dy in (-1, 0, 1) for dx in (-1, 0, 1)], dtype=np.float64)
_SPREAD_DESIGN = np.column_stack([np.ones(9), _NEIGHBOURS[:, 0], _NEIGHBOURS[:, 1],
                                  (_NEIGHBOURS ** 2).sum(axis=1)])
SPREAD_FLOOR = 0.2  # pixels below this fraction of the peak carry no shape, only noise
SPREAD_WIDE = 3.0  # the most a spread reads: a spot with no peak inside its 3x3 is a disc
SPREAD_RING = 3  # the spread's background: the median of the ring this far out


def spot_spread(on: np.ndarray, px: int, py: int, clip: float) -> float:
    """Gaussian sigma (px) of the on-axis spot at (px, py), fitted in the log domain
    through its 3x3 neighbourhood (each pixel weighted by its level, so the faint corners
    count little), with a free centre, above the median of the ring 3 px out (further
    out, tile and grout make the level; nearer, a drop's own disc).

    The second-moment width of the difference image is biased toward a point for faint
    spots: the off-axis copy of a drop, spread by the max filter, flattens its tails. The
    fit on the on-axis frame keeps a 2-3 px disc apart from the optics' blur. At most
    SPREAD_WIDE. 0: not measurable (within 3 px of the frame's edge, a pixel of the 3x3
    at `clip` or above, or fewer than five pixels above SPREAD_FLOOR of the peak)."""
    h, w = on.shape
    if not (SPREAD_RING <= px < w - SPREAD_RING and SPREAD_RING <= py < h - SPREAD_RING):
        return 0.0
    background = ring_median(on[window(on.shape, px, py, SPREAD_RING)].astype(np.float32))
    core = on[py - 1:py + 2, px - 1:px + 2]
    if core.max() >= clip:
        return 0.0  # a clipped top says nothing of the shape
    levels = core.astype(np.float64).ravel() - background
    peak = levels.max()
    used = levels > SPREAD_FLOOR * peak
    if peak <= 0 or int(used.sum()) < 5:
        return 0.0
    weights = levels[used]
    design = _SPREAD_DESIGN[used] * weights[:, None]
    # The normal equations of the weighted least squares (4x4): several times cheaper
    # than lstsq's SVD for so small a system.
    try:
        solution = np.linalg.solve(design.T @ design, design.T @ (np.log(weights) * weights))
    except np.linalg.LinAlgError:  # the used pixels do not pin the fit down
        return 0.0
    curvature = solution[3]
    return min(math.sqrt(-0.5 / curvature), SPREAD_WIDE) if curvature < 0 else SPREAD_WIDE
