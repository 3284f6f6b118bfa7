"""Lens candidates in one frame set: spots that light up under the on-axis ring only.

Method (DESIGN.md section 2): align the off-axis frame to the on-axis frame globally,
take the on-axis frame minus a small max filter of the off-axis frame (so a highlight
that moved by a pixel or two cancels), threshold relative to the measured noise, group
the surviving pixels, and describe each group by features the tracker and the score use.

Speed matters (the Pi must keep up with 60 fps on one core): whole-frame work is limited
to a few cheap OpenCV passes; connected components run on a 4x max-pooled mask (labelling
the full frame costs more than everything else together), and features are computed in
small windows around each group.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from functools import lru_cache

import cv2
import numpy as np

from detector.errors import DetectorError
from detector.optics.align import NO_SHIFT, Shift, estimate_shift, overlap, shrink_central
from detector.optics.params import REFERENCE_WIDTH, LensParams, resolve_params
from detector.optics.spot_shape import SPOT_RADIUS, ring_median, spot_spread, spot_width, window

POOL = 4  # max-pooling factor of the mask that is labelled
NOISE_STEP = 12  # subsampling of the difference image for the noise estimate
WIDTH_RAMP_PX = 0.2  # the point-width score falls from 1 to 0 over this much extra width
PAIR_NOISE_SIGMAS = 4.0  # a negative lobe must clear the noise by this much to count
ALIGN_TOLERANCE_PX = 4.0  # measured on/off shift this close to the predicted one is kept
MAX_FRAME_MOTION_PX = 40.0  # a faster pan than ~150 deg/s between two frames is implausible
# Clipping widens a spot by flattening its top, so the wider point limit of a saturated
# spot applies in step with its flat top: none of it at one clipped pixel (the profile,
# and so its width, is as it was), all of it from a 2x2 plateau. A drop that clips in
# one pixel over a bright wall gets no allowance for the width it has of its own.
FLAT_TOP_PX = 4


class FrameError(DetectorError, ValueError):
    """An array handed to lens detection is not a usable frame."""

    exit_code = 2


@dataclass(frozen=True)
class Candidate:
    """A spot brighter under the on-axis ring than under the off-axis group.

    x, y: sub-pixel position in the on-axis frame. score: 0-1, how lens-like the spot is
    in this set alone. contrast: on-axis minus max-filtered off-axis, above the local
    background (DN). ratio: on-axis over off-axis response. dark: dark-frame level as a
    fraction of the contrast (an active source when high). pair: strength of a nearby
    negative lobe as a fraction of the contrast (a moved highlight or a mirror image of
    the LEDs when high).
    """

    x: float
    y: float
    score: float
    contrast: float
    snr: float
    peak: float
    integrated: float
    area: int
    width: float
    compactness: float
    ratio: float
    dark: float
    pair: float
    saturated: bool
    clipped: int = 0  # on-axis pixels at full scale around the spot
    spread: float = 0.0  # Gaussian sigma of the on-axis spot (px); 0 when not measurable

    def features(self) -> dict[str, float | int | bool]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}


@dataclass
class SetAnalysis:
    """What one frame set yielded: candidates plus the by-products the tracker reuses."""

    candidates: list[Candidate]
    offaxis_shift: Shift
    noise: float
    threshold: float
    onaxis_central: np.ndarray  # shrink_central of the on-axis frame


def check_frames(onaxis: object, offaxis: object, dark: object = None) -> None:
    named = [("onaxis", onaxis), ("offaxis", offaxis)] + ([("dark", dark)] if dark is not None
                                                          else [])
    for name, image in named:
        if not isinstance(image, np.ndarray):
            raise FrameError(f"{name} frame: expected a numpy array, got {type(image).__name__}")
        if image.ndim != 2:
            raise FrameError(f"{name} frame: expected a 2-D grayscale array, got shape "
                             f"{image.shape}")
        if image.dtype not in (np.uint8, np.uint16):
            raise FrameError(f"{name} frame: expected uint8 or uint16, got {image.dtype}")
        if min(image.shape) < 32:
            raise FrameError(f"{name} frame: {image.shape[1]}x{image.shape[0]} is too small "
                             "(at least 32x32)")
    for name, image in named[1:]:
        if image.shape != onaxis.shape or image.dtype != onaxis.dtype:  # type: ignore[union-attr]
            raise FrameError(f"{name} frame is {image.shape[1]}x{image.shape[0]} "
                             f"{image.dtype}, the onaxis frame {onaxis.shape[1]}x"  # type: ignore[union-attr]
                             f"{onaxis.shape[0]} {onaxis.dtype}")  # type: ignore[union-attr]


@lru_cache(maxsize=16)
def _square(radius: int) -> np.ndarray:
    return np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)


@lru_cache(maxsize=16)
def _column(radius: int) -> np.ndarray:
    return np.ones((2 * radius + 1, 1), np.uint8)


@lru_cache(maxsize=16)
def _row(radius: int) -> np.ndarray:
    return np.ones((1, 2 * radius + 1), np.uint8)


def _ramp_down(value: float, limit: float) -> float:
    """1 below half the limit, 0 above 1.5 times it, linear between."""
    return float(np.clip(1.5 - value / limit, 0.0, 1.0)) if limit > 0 else 1.0


def _mad(first: np.ndarray, second: np.ndarray) -> float:
    """Median absolute deviation of first - second from its median, as np.median gives
    it (the mean of the middle two of an even count). For 8-bit frames the differences
    are integers in -255..255, so both medians come from their counts."""
    if first.dtype != np.uint8:
        sample = first.astype(np.float32) - second.astype(np.float32)
        return float(np.median(np.abs(sample - np.median(sample))))
    # Both medians from one histogram of d + 255 (511 bins): the deviations' counts
    # are the bins' counts moved to |d - centre|, doubled so that a centre that is a
    # half stays an integer.
    counts = np.bincount((first.astype(np.int16) - second.astype(np.int16) + 255).ravel(),
                         minlength=511)
    twice_centre = int(2 * _counted_median(counts))
    deviations = np.abs(2 * np.arange(counts.size) - twice_centre)
    return _counted_median(np.bincount(deviations, weights=counts)) / 2.0


def _integer_median(values: np.ndarray) -> float:
    """np.median of integers, from their counts when they span a short range (the
    differences of 8-bit frames): a third of the time of numpy's partitions."""
    low, high = int(values.min()), int(values.max())
    if high - low > 4096:
        return float(np.median(values))
    return _counted_median(np.bincount((values - low).ravel())) + low


def _counted_median(counts: np.ndarray) -> float:
    """The median of the values 0, 1, ... occurring counts[v] times each (np.median's:
    the mean of the middle two of an even count)."""
    cumulative = np.cumsum(counts)
    n = int(cumulative[-1])
    low = int(np.searchsorted(cumulative, (n - 1) // 2 + 1))  # order statistic (n-1)//2
    high = int(np.searchsorted(cumulative, n // 2 + 1))  # order statistic n//2
    return (low + high) / 2.0


class CandidateFinder:
    """find_candidates with its per-size constants prepared once."""

    def __init__(self, params: LensParams, width: int, dtype: np.dtype) -> None:
        self.p = params
        self.px = width / REFERENCE_WIDTH  # pixel sizes scale with the width
        self.full = 255.0 if dtype == np.uint8 else 65535.0
        self.dn = self.full / 255.0  # DN levels are 8-bit in the configuration
        self.clip = self.full * 0.98  # a pixel this bright has clipped
        self.radius = max(1, int(round(params.max_filter_radius * max(self.px, 0.5))))
        self.max_area = params.max_area_px * self.px * self.px
        self.pair_radius = max(4, int(round(params.pair_radius_px * self.px)))

    def analyse(self, onaxis: np.ndarray, offaxis: np.ndarray, dark: np.ndarray | None = None,
                *, onaxis_central: np.ndarray | None = None,
                predicted: Shift | None = None, dark_shift_factor: float = 2.0,
                keep_rejected: bool = False) -> SetAnalysis:
        """Candidates of one set. `predicted`: the on- to off-axis shift expected from the
        device's motion between sets, when known (see _offaxis_shift)."""
        p = self.p
        factor = p.align_downscale
        on_central = (shrink_central(onaxis, factor) if onaxis_central is None
                      else onaxis_central)
        shift = self._offaxis_shift(
            estimate_shift(on_central, shrink_central(offaxis, factor), factor), predicted)
        sx, sy = int(round(shift.dx)), int(round(shift.dy))
        s_on, s_off = overlap(onaxis.shape, sx, sy)
        on = onaxis[s_on]
        off = offaxis[s_off]
        if on.size == 0:
            return SetAnalysis([], shift, 0.0, 0.0, on_central)
        off_max = cv2.dilate(offaxis, _square(self.radius))[s_off]
        diff = cv2.subtract(on, off_max)

        noise = max(1.4826 * _mad(on[::NOISE_STEP, ::NOISE_STEP],
                                  off[::NOISE_STEP, ::NOISE_STEP]), 0.5 * self.dn)
        threshold = max(p.threshold_sigmas * noise, p.min_contrast_dn * self.dn)
        # The mask of pixels above the threshold, max-pooled: each pooled pixel is the
        # (2*POOL-1)-square around every POOL-th pixel (radius POOL-1 reaches the sample
        # at or below every pixel, the last rows included). Thresholding commutes with
        # the max, so the frame is pooled first and only the small result thresholded;
        # and the square is applied as a column pass on the frame, then a row pass on
        # every POOL-th row (one full-frame pass instead of three).
        rows = cv2.dilate(diff, _column(POOL - 1))[::POOL]
        pooled_diff = cv2.dilate(rows, _row(POOL - 1))[:, ::POOL]
        # diff > threshold for integer pixels, as an integer threshold.
        pooled = cv2.threshold(np.ascontiguousarray(pooled_diff), math.floor(threshold), 255,
                               cv2.THRESH_BINARY)[1]
        if pooled.dtype != np.uint8:
            pooled = (pooled > 0).astype(np.uint8)
        if cv2.countNonZero(pooled) == 0:
            return SetAnalysis([], shift, noise, threshold, on_central)
        # Each group's bounding box, in label order (label 0 is the background). Grana's
        # block-based labelling computes the boxes in a third of the default's time here;
        # it runs on the mask's bounding box only (the same groups in the same order: most
        # sets have a few groups in one part of the frame).
        bx, by, bw, bh = cv2.boundingRect(pooled)
        stats = cv2.connectedComponentsWithStatsWithAlgorithm(
            pooled[by:by + bh, bx:bx + bw], 8, cv2.CV_32S, cv2.CCL_GRANA)[2][1:]
        left, top = stats[:, cv2.CC_STAT_LEFT] + bx, stats[:, cv2.CC_STAT_TOP] + by
        boxes = zip(left, left + stats[:, cv2.CC_STAT_WIDTH] - 1,
                    top, top + stats[:, cv2.CC_STAT_HEIGHT] - 1, strict=True)

        dark_view = None
        if dark is not None:
            # View pixel (x, y) is on-axis pixel (x + ox, y + oy); the dark frame, taken
            # one more frame later, has moved on by about the same shift again.
            dark_view = (dark, shift.dx * dark_shift_factor + s_on[1].start,
                         shift.dy * dark_shift_factor + s_on[0].start,
                         abs(shift.dx) + abs(shift.dy))
        found = []
        h, w = diff.shape
        for x0, x1, y0, y1 in boxes:
            roi = (slice(max(0, y0 * POOL - 2), min(h, (y1 + 1) * POOL + 2)),
                   slice(max(0, x0 * POOL - 2), min(w, (x1 + 1) * POOL + 2)))
            cand = self._describe(diff, on, off, roi, noise, threshold, dark_view,
                                  drop_rejected=not keep_rejected)
            if cand is not None:
                found.append(cand)
        ox, oy = s_on[1].start, s_on[0].start
        found = [c if (ox, oy) == (0, 0) else _moved(c, ox, oy) for c in found]
        if not keep_rejected:
            found = [c for c in found if c.score > 0]
        found.sort(key=lambda c: (c.score, c.contrast), reverse=True)
        return SetAnalysis(found[:p.max_candidates], shift, noise, threshold, on_central)

    def _offaxis_shift(self, measured: Shift, predicted: Shift | None) -> Shift:
        """Trust the correlation between the on- and off-axis frames only near where the
        motion says the off-axis frame must be. The two frames are lit differently, and on
        dim or periodic surfaces (tile grout) their correlation can peak a whole tile
        away; consecutive on-axis frames, lit alike, give the motion far more reliably."""
        limit = ALIGN_TOLERANCE_PX * self.px
        if predicted is None:
            far = math.hypot(measured.dx, measured.dy) > MAX_FRAME_MOTION_PX * self.px
            return NO_SHIFT if far or not measured.reliable else measured
        if not measured.reliable or math.hypot(measured.dx - predicted.dx,
                                               measured.dy - predicted.dy) > limit:
            return predicted
        return measured

    def _describe(self, diff: np.ndarray, on: np.ndarray, off: np.ndarray,
                  roi: tuple[slice, slice], noise: float, threshold: float,
                  dark_view: tuple | None, drop_rejected: bool) -> Candidate | None:
        """The group's candidate; None when it is no spot above the threshold, or, with
        drop_rejected, as soon as its score is known to be zero."""
        p = self.p
        sub = diff[roi].astype(np.float32)
        flat = int(np.argmax(sub))
        py, px = divmod(flat, sub.shape[1])
        py += roi[0].start
        px += roi[1].start
        peak = float(diff[py, px])
        reach = max(sub.shape) // 2 + 4
        bg_win = window(diff.shape, px, py, reach)
        background = ring_median(diff[bg_win].astype(np.float32))
        contrast = peak - background
        if contrast <= threshold:
            return None
        # On/off-axis response, each above its own local background.
        win = window(on.shape, px, py, reach)
        on_c = float(on[py, px]) - ring_median(on[win].astype(np.float32))
        # Twice the max-filter radius: a misaligned off-axis spot must still be found.
        near = window(off.shape, px, py, 2 * self.radius)
        off_c = float(off[near].max()) - ring_median(off[win].astype(np.float32))
        ratio = max(on_c, 0.0) / max(off_c, noise)
        if drop_rejected and ratio <= p.ratio_min:
            return None  # its score is zero: most rejected spots end here, cheaply
        half = background + contrast / 2.0
        above = sub > half
        area = int(np.count_nonzero(above))
        rows = np.flatnonzero(above.any(axis=1))
        cols = np.flatnonzero(above.any(axis=0))
        bh, bw = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
        compactness = area / float(bh * bw) * min(bh, bw) / max(bh, bw)
        weights = np.where(above, sub - half, 0.0)
        total = float(weights.sum())
        # Weighted centroid from the row and column sums (no coordinate grids).
        xs = np.arange(roi[1].start, roi[1].start + sub.shape[1], dtype=np.float64)
        ys = np.arange(roi[0].start, roi[0].start + sub.shape[0], dtype=np.float64)
        cx = float(weights.sum(axis=0) @ xs / total) if total > 0 else float(px)
        cy = float(weights.sum(axis=1) @ ys / total) if total > 0 else float(py)
        integrated = float(np.clip(sub - background, 0, None)[sub > threshold].sum())
        width = spot_width(diff, cx, cy, background, contrast)
        saturated = float(on[py, px]) >= self.clip
        clipped = (int(np.count_nonzero(on[window(on.shape, px, py, SPOT_RADIUS)]
                                        >= self.clip)) if saturated else 0)
        point = self._point_width(clipped)
        if drop_rejected and width >= point + WIDTH_RAMP_PX:
            return None  # too wide to be a lens: its score is zero

        dark_frac = 0.0
        if dark_view is not None:
            dark, ddx, ddy, slack = dark_view
            dxp, dyp = int(round(px + ddx)), int(round(py + ddy))
            search = window(dark.shape, dxp, dyp, self.radius + 1 + int(slack * 0.25))
            big = window(dark.shape, dxp, dyp, reach + int(slack * 0.25))
            if dark[search].size and dark[big].shape[0] > 2 and dark[big].shape[1] > 2:
                level = float(dark[search].max()) - ring_median(dark[big].astype(np.float32))
                dark_frac = max(level, 0.0) / contrast

        pw = window(on.shape, px, py, self.pair_radius)
        on_pw = cv2.dilate(on[pw], _square(self.radius)).astype(np.int32)
        neg = off[pw].astype(np.int32) - on_pw
        lobe = float(neg.max()) - _integer_median(neg) - PAIR_NOISE_SIGMAS * noise
        pair = max(lobe, 0.0) / contrast

        snr = contrast / noise
        s_snr = float(np.clip((snr - p.threshold_sigmas) / p.threshold_sigmas + 0.5, 0, 1))
        s_ratio = float(np.clip(np.log(max(ratio, 1e-6) / p.ratio_min)
                                / np.log(p.ratio_full / p.ratio_min), 0, 1))
        s_size = 1.0 if area <= self.max_area else 0.0
        s_shape = float(np.clip(compactness / 0.35, 0, 1))
        s_point = float(np.clip((point + WIDTH_RAMP_PX - width) / WIDTH_RAMP_PX, 0, 1))
        score = (s_snr * s_ratio * s_size * s_shape * s_point * _ramp_down(pair, p.pair_fraction_max)
                 * _ramp_down(dark_frac, p.dark_fraction_max))
        spread = spot_spread(on, px, py, self.clip)  # 0 on a clipped top
        return Candidate(x=cx, y=cy, score=round(score, 4), contrast=contrast, snr=snr,
                         peak=peak, integrated=integrated, area=area, width=width,
                         compactness=compactness, ratio=ratio, dark=dark_frac, pair=pair,
                         saturated=saturated, clipped=clipped, spread=spread)

    def _point_width(self, clipped: int) -> float:
        """The widest second-moment radius a point source can show with `clipped` pixels
        at full scale (see FLAT_TOP_PX)."""
        p = self.p
        flat = min(max(clipped - 1, 0) / (FLAT_TOP_PX - 1), 1.0)
        return p.max_point_width_px + flat * (p.max_point_width_saturated_px
                                              - p.max_point_width_px)


def _moved(c: Candidate, ox: int, oy: int) -> Candidate:
    return replace(c, x=c.x + ox, y=c.y + oy)


@lru_cache(maxsize=8)
def _finder(params: LensParams, width: int, dtype_name: str) -> CandidateFinder:
    return CandidateFinder(params, width, np.dtype(dtype_name))


def finder_for(params: LensParams, image: np.ndarray) -> CandidateFinder:
    return _finder(params, image.shape[1], image.dtype.name)


def find_candidates(onaxis: np.ndarray, offaxis: np.ndarray, dark: np.ndarray | None = None,
                    params: LensParams | None = None, *,
                    keep_rejected: bool = False) -> list[Candidate]:
    """Lens candidates in one frame set, best first.

    onaxis, offaxis, dark: 2-D uint8 or uint16 frames of the same size, taken in that
    order at equal intervals (the dark frame's search window assumes so). params: None
    for the bundled defaults. Only
    candidates with a score above zero are returned unless keep_rejected is set.
    """
    check_frames(onaxis, offaxis, dark)
    return finder_for(resolve_params(params), onaxis).analyse(onaxis, offaxis, dark,
                                              keep_rejected=keep_rejected).candidates
