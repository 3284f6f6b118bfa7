"""Synthetic frame sets for lens-detection tests: a smooth textured wall with noise, and
spots placed where each test needs them."""

from __future__ import annotations

import cv2
import numpy as np

W, H = 640, 360


def wall(seed: int = 0, w: int = W, h: int = H) -> np.ndarray:
    """A float wall image (DN) with tile-like texture and a gentle gradient."""
    rng = np.random.default_rng(seed)
    texture = cv2.GaussianBlur(rng.normal(0, 12, (h, w)).astype(np.float32), (0, 0), 3)
    yy, xx = np.mgrid[0:h, 0:w]
    grout = ((xx % 60) < 2) | ((yy % 60) < 2)
    return 70 + texture + 0.02 * xx - 15 * grout


def spot(image: np.ndarray, x: float, y: float, amplitude: float, sigma: float = 0.8) -> None:
    """Add a Gaussian spot (a point source blurred by the optics) in place."""
    h, w = image.shape
    yy, xx = np.mgrid[0:h, 0:w]
    image += amplitude * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma**2))


def shifted(image: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """The scene moved by (dx, dy) pixels (content at x appears at x + dx)."""
    m = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(image, m, (image.shape[1], image.shape[0]),
                          borderMode=cv2.BORDER_REFLECT)


def to_frame(image: np.ndarray, seed: int, noise: float = 2.0,
             dtype: type = np.uint8) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noisy = image + rng.normal(0, noise, image.shape)
    if dtype == np.uint16:
        return np.clip(noisy * 257, 0, 65535).astype(np.uint16)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def frame_set(on: np.ndarray, off: np.ndarray, dark: np.ndarray | None = None,
              seed: int = 0, dtype: type = np.uint8):
    frames = [to_frame(on, seed, dtype=dtype), to_frame(off, seed + 1, dtype=dtype)]
    if dark is not None:
        frames.append(to_frame(dark, seed + 2, dtype=dtype))
    return frames
