"""Lens-detection parameters: the `[lens]` section of the configuration, as a frozen
dataclass. The bundled defaults.toml is the single source of the default values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from detector.config import Section

REFERENCE_WIDTH = 1280  # pixel sizes in the configuration are for this image width


@dataclass(frozen=True)
class LensParams(Section):
    SECTION: ClassVar[str] = "lens"

    max_set_span_ms: float
    align_downscale: int
    max_filter_radius: int
    threshold_sigmas: float
    min_contrast_dn: float
    max_candidates: int
    max_area_px: float
    max_point_width_px: float
    max_point_width_saturated_px: float
    max_point_spread_px: float
    ratio_min: float
    ratio_full: float
    min_flat_top_ratio: float
    dark_fraction_max: float
    pair_radius_px: float
    pair_fraction_max: float
    track_gate_px: float
    track_max_missed: int
    confirm_score: float
    confirm_min_hits: int


def resolve_params(params: LensParams | None) -> LensParams:
    """The parameters given, or the bundled defaults."""
    return params if params is not None else LensParams.defaults()
