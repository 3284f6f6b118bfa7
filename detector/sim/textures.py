"""Procedural infrared albedo textures for walls, floor and ceiling, one per `surface`.

Textures are periodic (built by FFT filtering of seeded white noise, so they tile
without seams under cv2.BORDER_WRAP) and sampled at TEXTURE_PPM pixels per metre.
Albedos are near-infrared (850 nm) diffuse reflectances: glazed tile and white paint
reflect 0.6-0.8 in the NIR, wood-look laminate 0.4-0.6, brushed stainless 0.3-0.4
diffuse plus a specular lobe (see optics.SURFACE_SPECULAR).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

TEXTURE_SIZE = 1024
TEXTURE_PPM = 256.0  # texture pixels per metre: 4 m before the pattern repeats


def _filtered_noise(rng: np.random.Generator, sigma_x: float, sigma_y: float) -> np.ndarray:
    """Periodic Gaussian-filtered white noise with unit standard deviation."""
    n = TEXTURE_SIZE
    noise = rng.standard_normal((n, n))
    fy = np.fft.fftfreq(n)[:, None]
    fx = np.fft.fftfreq(n)[None, :]
    kernel = np.exp(-2 * (np.pi**2) * ((fx * sigma_x) ** 2 + (fy * sigma_y) ** 2))
    out = np.real(np.fft.ifft2(np.fft.fft2(noise) * kernel))
    return out / (out.std() + 1e-12)


def _tile(rng: np.random.Generator) -> np.ndarray:
    n = TEXTURE_SIZE
    cell = int(round(0.20 * TEXTURE_PPM))  # 20 cm tiles
    cells = n // cell
    per_tile = rng.normal(0.0, 0.025, (cells + 1, cells + 1))
    idx = np.minimum(np.arange(n) // cell, cells - 1)
    albedo = 0.62 + per_tile[idx[:, None], idx[None, :]]
    albedo += 0.008 * _filtered_noise(rng, 2, 2)
    # Grout lines 2 texels (8 mm) wide; the few texels left over at the wrap join as grout.
    grout = (np.arange(n) % cell < 2) | (np.arange(n) >= cell * cells)
    grout_mask = grout[:, None] | grout[None, :]
    albedo[grout_mask] = 0.38
    return albedo


def _paint(rng: np.random.Generator) -> np.ndarray:
    return 0.72 + 0.025 * _filtered_noise(rng, 40, 40) + 0.006 * _filtered_noise(rng, 1.5, 1.5)


def _laminate(rng: np.random.Generator) -> np.ndarray:
    n = TEXTURE_SIZE
    grain = 0.05 * _filtered_noise(rng, 120, 1.5)
    plank = int(round(0.15 * TEXTURE_PPM))
    rows = np.arange(n)
    per_plank = rng.normal(0.0, 0.04, n // plank + 2)[rows // plank]
    albedo = 0.5 + grain + per_plank[:, None]
    albedo[(rows % plank) < 1, :] = 0.32
    return albedo


def _steel(rng: np.random.Generator) -> np.ndarray:
    return 0.34 + 0.03 * _filtered_noise(rng, 0.8, 60) + 0.01 * _filtered_noise(rng, 30, 30)


_MAKERS = {"tile": _tile, "paint": _paint, "laminate": _laminate, "steel": _steel}


@lru_cache(maxsize=8)
def surface_texture(surface: str) -> np.ndarray:
    """Albedo texture (float32, TEXTURE_SIZE square) for a surface kind; cached, read-only."""
    rng = np.random.default_rng(_SEEDS[surface])
    texture = np.clip(_MAKERS[surface](rng), 0.05, 0.95).astype(np.float32)
    texture.setflags(write=False)
    return texture


# Fixed seeds: a surface looks the same in every run (hash() is salted per process).
_SEEDS = {"tile": 11, "paint": 12, "laminate": 13, "steel": 14}
