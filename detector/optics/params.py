"""Lens-detection parameters: the `[lens]` section of the configuration, as a frozen
dataclass. The bundled defaults.toml is the single source of the default values."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from functools import lru_cache
from typing import Any

REFERENCE_WIDTH = 1280  # pixel sizes in the configuration are for this image width


@dataclass(frozen=True)
class LensParams:
    max_set_span_ms: float
    align_downscale: int
    max_filter_radius: int
    threshold_sigmas: float
    min_contrast_dn: float
    max_candidates: int
    max_area_px: float
    max_point_width_px: float
    max_point_width_saturated_px: float
    ratio_min: float
    ratio_full: float
    dark_fraction_max: float
    pair_radius_px: float
    pair_fraction_max: float
    track_gate_px: float
    track_max_missed: int
    confirm_score: float
    confirm_min_hits: int

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> LensParams:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})

    @classmethod
    def from_config(cls, config: Any) -> LensParams:
        return cls.from_mapping(config.section("lens"))

    @classmethod
    def defaults(cls) -> LensParams:
        return _defaults()

    def with_(self, **changes: Any) -> LensParams:
        return replace(self, **changes)


@lru_cache(maxsize=1)
def _defaults() -> LensParams:
    from detector.config import load_config

    return LensParams.from_config(load_config(use_user_file=False))


def resolve_params(config: Any = None) -> LensParams:
    """Accept None (defaults), a LensParams, a Config, or a mapping of `[lens]` keys that
    override the defaults."""
    if config is None:
        return LensParams.defaults()
    if isinstance(config, LensParams):
        return config
    if isinstance(config, dict):
        return LensParams.defaults().with_(**config)
    return LensParams.from_config(config)
