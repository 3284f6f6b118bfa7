"""Sweep coverage and pace, from frame-to-frame alignment alone.

The global image shift between frame sets (the lens detector measures it anyway) is
turned into a change of viewing direction: a shift of dx pixels is a turn of
atan(dx / f) about the camera's vertical axis, dy one about its horizontal axis. The
directions are integrated from the start of the sweep (yaw 0, pitch 0 = where the device
pointed when the sweep began; the heading is relative, the device has no compass).

A map of viewing directions (yaw x pitch bins) records where the camera looked slowly
enough for lens confirmation: a lens must stay in view for several frame sets and the
alignment must lock, so a direction swept faster than `max_rate_deg_s`, or while the
alignment failed, does not count. Coverage is the fraction of the map's bins that were
swept. Translation also shifts the image (parallax), which this reads as rotation: the
error against the simulator's true pose is measured in docs/sweep.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from detector.config import Section, default_settings


@dataclass(frozen=True)
class CoverageParams(Section):
    """The [coverage] section. Above max_rate_deg_s a lens crosses the central part of the
    view in less time than confirmation needs (docs/sweep.md): the sweep warns and those
    directions don't count; the warning holds warn_hold_s after the last too-fast
    interval; fov_fraction of a frame's field of view (its centre) counts as seen, since
    lenses near the edge leave the view before they can be confirmed."""

    SECTION: ClassVar[str] = "coverage"
    bin_deg: float
    pitch_min_deg: float
    pitch_max_deg: float
    max_rate_deg_s: float
    warn_hold_s: float
    fov_fraction: float

    @classmethod
    def defaults(cls) -> CoverageParams:
        return default_settings(cls)


class CoverageMap:
    def __init__(self, width: int, height: int, hfov_deg: float,
                 params: CoverageParams | None = None,
                 yaw_range: tuple[float, float] = (-180.0, 180.0),
                 pitch_range: tuple[float, float] | None = None) -> None:
        self.p = params or CoverageParams.defaults()
        self.f_px = (width / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)
        self.hfov = hfov_deg
        self.vfov = math.degrees(2 * math.atan((height / 2.0) / self.f_px))
        self.n_yaw = int(round(360.0 / self.p.bin_deg))
        self.n_pitch = int(round((self.p.pitch_max_deg - self.p.pitch_min_deg) / self.p.bin_deg))
        self.swept = np.zeros((self.n_pitch, self.n_yaw), dtype=bool)
        self.required = self._region(yaw_range, pitch_range or (self.p.pitch_min_deg,
                                                                self.p.pitch_max_deg))
        self.yaw = 0.0  # degrees, counter-clockwise seen from above, relative to the start
        self.pitch = 0.0  # degrees, up positive
        self.rate = 0.0  # degrees per second, the latest interval
        self.too_fast_until: int | None = None
        self.intervals = 0
        self.fast_intervals = 0
        self.lost_intervals = 0
        self.last_t_ns: int | None = None

    # ---- input ----------------------------------------------------------------------
    def update(self, t_ns: int, dx: float, dy: float, reliable: bool) -> None:
        """One frame set: the image shift (pixels) since the previous set."""
        if self.last_t_ns is None:
            self.last_t_ns = t_ns
            self._mark()
            return
        dt = (t_ns - self.last_t_ns) / 1e9
        self.last_t_ns = t_ns
        if dt <= 0:
            return
        self.intervals += 1
        if not reliable:
            # Alignment lost: usually blur from a fast turn. The turn is unknown, so the
            # heading is kept and nothing counts as swept until it locks again.
            self.lost_intervals += 1
            self.too_fast_until = t_ns + int(self.p.warn_hold_s * 1e9)
            self.rate = float("nan")
            return
        # Content moving right (+dx) means the camera turned left (counter-clockwise);
        # content moving down (+dy) means it tilted up.
        d_yaw = math.degrees(math.atan2(dx, self.f_px)) / max(
            math.cos(math.radians(self.pitch)), 0.2)
        d_pitch = math.degrees(math.atan2(dy, self.f_px))
        self.yaw = (self.yaw + d_yaw) % 360.0
        self.pitch = min(max(self.pitch + d_pitch, -89.0), 89.0)
        self.rate = math.hypot(d_yaw * math.cos(math.radians(self.pitch)), d_pitch) / dt
        if self.rate > self.p.max_rate_deg_s:
            self.fast_intervals += 1
            self.too_fast_until = t_ns + int(self.p.warn_hold_s * 1e9)
            return
        self._mark()

    def look(self, yaw: float, pitch: float, counts: bool = True) -> None:
        """Set the viewing direction from another source (a true pose, a gyroscope) and
        mark it swept if `counts`."""
        self.yaw, self.pitch = yaw % 360.0, pitch
        if counts:
            self._mark()

    def _region(self, yaw_range: tuple[float, float],
                pitch_range: tuple[float, float]) -> np.ndarray:
        """Bins whose centre lies in the yaw range (relative to the start, -180..180) and
        the pitch range: the directions the room's procedure asks for."""
        b = self.p.bin_deg
        centres_p = self.p.pitch_min_deg + b * (np.arange(self.n_pitch) + 0.5)
        centres_y = (b * (np.arange(self.n_yaw) + 0.5) + 180.0) % 360.0 - 180.0
        rows = (centres_p >= pitch_range[0]) & (centres_p <= pitch_range[1])
        cols = (centres_y >= yaw_range[0]) & (centres_y <= yaw_range[1])
        region = rows[:, None] & cols[None, :]
        if not region.any():
            raise ValueError(f"coverage region yaw {yaw_range} pitch {pitch_range} is empty")
        return region

    def _mark(self) -> None:
        half_v = self.vfov * self.p.fov_fraction / 2
        half_h = self.hfov * self.p.fov_fraction / 2
        b = self.p.bin_deg
        centres_p = self.p.pitch_min_deg + b * (np.arange(self.n_pitch) + 0.5)
        rows = np.flatnonzero(np.abs(centres_p - self.pitch) <= half_v)
        for row in rows:
            # The horizontal field of view spans more yaw nearer the poles.
            half_yaw = half_h / max(math.cos(math.radians(centres_p[row])), 0.2)
            centres_y = b * (np.arange(self.n_yaw) + 0.5)
            diff = (centres_y - self.yaw + 180.0) % 360.0 - 180.0
            self.swept[row, np.abs(diff) <= half_yaw] = True

    # ---- output ---------------------------------------------------------------------
    @property
    def coverage(self) -> float:
        """Fraction of the required directions swept slowly enough."""
        return float(self.swept[self.required].mean())

    def too_fast(self, now: int) -> bool:
        return self.too_fast_until is not None and now <= self.too_fast_until

    def to_json(self) -> dict[str, Any]:
        return {"coverage": round(self.coverage, 3), "bin_deg": self.p.bin_deg,
                "pitch_range_deg": [self.p.pitch_min_deg, self.p.pitch_max_deg],
                # One string per pitch row, lowest first: '#' swept, '.' required but not swept,
                # ' ' outside the required region.
                "swept": ["".join("#" if v else ("." if r else " ") for v, r in zip(row, req, strict=True))
                          for row, req in zip(self.swept, self.required, strict=True)],
                "intervals": self.intervals, "too_fast_intervals": self.fast_intervals,
                "alignment_lost_intervals": self.lost_intervals}


def true_yaw_pitch(rotation: np.ndarray) -> tuple[float, float]:
    """Yaw (counter-clockwise from room +x) and pitch (up) of a camera rotation's
    forward axis, in degrees: what the simulator's pose says the device pointed at."""
    fwd = np.asarray(rotation)[:, 2]
    yaw = math.degrees(math.atan2(fwd[1], fwd[0])) % 360.0
    pitch = math.degrees(math.asin(max(-1.0, min(1.0, float(fwd[2])))))
    return yaw, pitch
