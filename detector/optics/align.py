"""Global alignment of two frames of a set, or of consecutive sets.

Between frames 17 ms apart a handheld device pans the image by up to ~15 px and rotates it
about the optical axis by well under 0.1° (under a pixel at the image edge), so a global
translation is all that pays: it is estimated by phase correlation on shrunken frames and
applied as an integer offset (the residual half pixel is absorbed by the max filter of
the candidate stage; sub-pixel warping would cost more than the whole rest of the stage).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

MIN_RESPONSE = 0.02  # below this the correlation peak is noise: assume no motion
CENTRAL_MARGIN = 8  # shrink_central leaves out 1/8 of the frame at each edge


@dataclass(frozen=True)
class Shift:
    """Content of the second frame sits at (x + dx, y + dy) for (x, y) in the first."""

    dx: float
    dy: float
    response: float

    @property
    def reliable(self) -> bool:
        return self.response >= MIN_RESPONSE

    def __add__(self, other: Shift) -> Shift:
        return Shift(self.dx + other.dx, self.dy + other.dy,
                     min(self.response, other.response))

    def scaled(self, factor: float) -> Shift:
        return Shift(self.dx * factor, self.dy * factor, self.response)


NO_SHIFT = Shift(0.0, 0.0, 1.0)


def shrink(image: np.ndarray, factor: int) -> np.ndarray:
    """The image reduced by `factor` (area average), as float32 for correlation."""
    small = image
    # Halving repeatedly is the same box average as one step of `factor` when it is a
    # power of two, and OpenCV's 2x area path is several times faster than the general one.
    while factor > 1 and factor % 2 == 0 and min(small.shape) >= 16:
        small = cv2.resize(small, (small.shape[1] // 2, small.shape[0] // 2),
                           interpolation=cv2.INTER_AREA)
        factor //= 2
    if factor > 1:
        h, w = small.shape
        small = cv2.resize(small, (max(w // factor, 8), max(h // factor, 8)),
                           interpolation=cv2.INTER_AREA)
    return small.astype(np.float32)


def shrink_central(image: np.ndarray, factor: int) -> np.ndarray:
    """The central three quarters of the image in each dimension (56 % of its pixels),
    shrunk by `factor`. The shift between frames is global, so the middle measures it as
    well as the whole frame, for about half the cost. Not less: the correlation's window
    tapers the edges, and with the central half only, a shift at 1280x720 came out a
    whole pixel off in most trials. The cut falls on multiples of `factor`, so each pixel
    averages the same block as in shrink(image, factor)."""
    h, w = image.shape[:2]
    y0 = (h // factor // CENTRAL_MARGIN) * factor
    x0 = (w // factor // CENTRAL_MARGIN) * factor
    return shrink(image[y0:h - y0, x0:w - x0], factor)


def central_half(central: np.ndarray, shape: tuple[int, int], factor: int) -> np.ndarray:
    """The part of shrink_central(image, factor) that shows the central half of the image
    (of `shape`) in each dimension, as it sits in shrink(image, factor). The motion
    between sets is measured there: a heading integrated from it drifts least, because a
    turn moves the edges of a wide view by more pixels per degree than its middle."""
    hs, ws = shape[0] // factor, shape[1] // factor
    y0, x0 = hs // CENTRAL_MARGIN, ws // CENTRAL_MARGIN
    return np.ascontiguousarray(central[hs // 4 - y0:hs - hs // 4 - y0,
                                        ws // 4 - x0:ws - ws // 4 - x0])


@lru_cache(maxsize=8)
def _window(shape: tuple[int, int]) -> np.ndarray:
    return cv2.createHanningWindow((shape[1], shape[0]), cv2.CV_32F)


def estimate_shift(first_small: np.ndarray, second_small: np.ndarray, factor: int) -> Shift:
    """Translation between two shrunken frames, in full-resolution pixels."""
    (dx, dy), response = cv2.phaseCorrelate(first_small, second_small,
                                            _window(first_small.shape))
    if response < MIN_RESPONSE:
        return Shift(0.0, 0.0, float(response))
    return Shift(dx * factor, dy * factor, float(response))


def overlap(shape: tuple[int, int], dx: int, dy: int) -> tuple[tuple[slice, slice],
                                                               tuple[slice, slice]]:
    """Slices (first, second) of two frames of `shape` such that first[s1] and second[s2]
    show the same content when the second is offset by the integer (dx, dy)."""
    h, w = shape
    x0, x1 = max(0, -dx), min(w, w - dx)
    y0, y1 = max(0, -dy), min(h, h - dy)
    if x1 <= x0 or y1 <= y0:
        x0 = x1 = y0 = y1 = 0
    return ((slice(y0, y1), slice(x0, x1)),
            (slice(y0 + dy, y1 + dy), slice(x0 + dx, x1 + dx)))
