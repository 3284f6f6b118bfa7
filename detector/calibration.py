"""Calibration steps (calibration/README.md has the technician's procedure) and the
calibration profile they produce.

Each step is a computation on what the device measures, handed in as a function, so the
same code runs on the Pi (the technician places the reference target and presses
Enter) and in simulation (sim/rig.py renders the same set-ups):

- focus: the lens position that focuses this unit's lens where the device holds it
  (camera.focus_m): a module's dioptre scale is only approximate;
- camera: exposure and gain that keep the reference lens a point at 0.7 m and above the
  detection threshold at 3 m, and the dark level and noise;
- lights: the off-axis group's brightness against the on-axis ring on a diffuse target
  (they must agree within 5 % for the on/off subtraction to cancel diffuse surfaces);
- rf: the noise floor of each receiver's channels, and the AD8318's slope and intercept
  from two known source levels.

A profile is TOML named by the device id and date; the configuration loads the current
one (calibration.profile, or `<logbook dir>/calibration/current.toml`).
"""

from __future__ import annotations

import datetime as dt
import shutil
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from detector import __version__
from detector.config import toml_value
from detector.errors import DetectorError
from detector.optics.spot_shape import ring_median
from detector.rf.frontend import NOMINAL_AD8318_INTERCEPT, NOMINAL_AD8318_SLOPE, Response

PROFILE_FORMAT = 1
SATURATED_DN = 250.0  # an 8-bit lens peak at or above this has clipped
MIN_SNR = 6.0  # the lens detector's threshold_sigmas: the 3 m lens must clear it
SNR_MARGIN = 1.5  # and by this much, for lenses dimmer than the reference
# A near lens may clip in a point-like core no bigger than this: the lens detector takes a
# saturated spot up to a second-moment radius of 1.4 px (lens.max_point_width_saturated_px)
# as a point, a disc of about pi * (2 * 1.4)^2 = 25 pixels.
MAX_SATURATED_PX = 25
BALANCE_TOLERANCE = 0.05
# The focus search: lens positions this far either side of the nominal one, in steps.
FOCUS_SPAN_DIOPTRES = 1.0
FOCUS_STEP_DIOPTRES = 0.1
FOCUS_MIN_CHANGE = 0.05
EXPOSURE_RANGE_US = (100.0, 5000.0)
GAIN_RANGE = (1.0, 16.0)
# What the firmware assumes (firmware/ad8318.py).
NOMINAL_SLOPE_MV_PER_DB = NOMINAL_AD8318_SLOPE
NOMINAL_INTERCEPT_DBM = NOMINAL_AD8318_INTERCEPT


class CalibrationError(DetectorError):
    """A calibration step could not reach its goal; the message says what to check."""


@dataclass(frozen=True)
class LensMeasure:
    peak_dn: float  # on-axis peak at the lens
    contrast_dn: float  # on-axis minus off-axis at the lens
    noise_dn: float  # standard deviation of the dark frames around it
    saturated_px: int = 0  # pixels at or above SATURATED_DN in the brightest on-axis frame

    @property
    def snr(self) -> float:
        return self.contrast_dn / max(self.noise_dn, 1e-6)


def centre_crops(frames: Sequence[tuple[str, np.ndarray]], box: int,
                 odd: bool = False) -> dict[str, list[np.ndarray]]:
    """Each light state's frames, cropped to the square of half-size `box` around the
    image centre (with `odd`, one pixel more, so the centre pixel is the middle one)."""
    by: dict[str, list[np.ndarray]] = {}
    end = box + 1 if odd else box
    for label, image in frames:
        h, w = image.shape[:2]
        by.setdefault(label, []).append(
            image[h // 2 - box:h // 2 + end, w // 2 - box:w // 2 + end].astype(float))
    return by


def measure_lens(frames: Sequence[tuple[str, np.ndarray]], box: int = 24) -> LensMeasure:
    """The reference lens straight ahead (image centre): its on-axis peak, on/off contrast
    and the dark frames' noise, from labelled frames."""
    by = centre_crops(frames, box)
    if not all(k in by for k in ("onaxis", "offaxis", "dark")):
        raise CalibrationError(f"frames of every light state are needed, got {sorted(by)}")
    on, off = np.mean(by["onaxis"], axis=0), np.mean(by["offaxis"], axis=0)
    peak_at = np.unravel_index(np.argmax(on - off), on.shape)
    peak = float(np.max([f[peak_at] for f in by["onaxis"]]))
    noise = float(np.std(np.array(by["dark"]) - np.mean(by["dark"], axis=0)))
    saturated = max(int((f >= SATURATED_DN).sum()) for f in by["onaxis"])
    return LensMeasure(peak, float(on[peak_at] - off[peak_at]), noise, saturated)


@dataclass
class CameraResult:
    exposure_us: float
    analogue_gain: float
    near: LensMeasure
    far: LensMeasure
    dark_level_dn: float
    dark_noise_dn: float
    steps: list[str] = field(default_factory=list)


def calibrate_camera(capture: Callable[[float, float, float], list[tuple[str, np.ndarray]]],
                     exposure_us: float, gain: float, near_m: float = 0.7,
                     far_m: float = 3.0) -> CameraResult:
    """`capture(distance_m, exposure_us, gain)` returns labelled frames of the reference
    target at that distance.

    A lens returns the LEDs' light as 1/d^4: from 0.7 m to 3 m its peak falls by 337,
    more than 8 bits hold. So the exposure is set for the far lens (SNR_MARGIN times the
    detection threshold, no more: every extra microsecond blows the near one up further),
    and the near lens must then be unsaturated or saturated only in a point-like core of
    at most MAX_SATURATED_PX pixels, which the lens detector's saturated-spot rule reads
    as a lens. The near distance is 0.7 m, not closer: with the lens held at 2 m
    (camera.focus_m), a lens at 0.5 m is a 3.9 px defocus disc whatever the exposure.
    Gain is raised only when the exposure reaches its limit."""
    steps = []
    far = measure_lens(capture(far_m, exposure_us, gain))
    for _ in range(4):
        steps.append(f"{far_m} m at {exposure_us:.0f} us x{gain:g}: SNR {far.snr:.1f}")
        want = MIN_SNR * SNR_MARGIN / max(far.snr, 1e-3)
        if abs(want - 1) < 0.1:
            break
        new_exposure = float(np.clip(exposure_us * want, *EXPOSURE_RANGE_US))
        if new_exposure == exposure_us and want > 1 and gain * 1.5 <= GAIN_RANGE[1]:
            gain *= 1.5
        exposure_us = new_exposure
        far = measure_lens(capture(far_m, exposure_us, gain))
    if far.snr < MIN_SNR:
        raise CalibrationError(f"the reference lens at {far_m} m stays below the detection "
                               f"threshold (SNR {far.snr:.1f} < {MIN_SNR:g}) at "
                               f"{exposure_us:.0f} us x{gain:g}: check the band-pass filter, "
                               f"the focus and the LED ring")
    near = measure_lens(capture(near_m, exposure_us, gain))
    steps.append(f"{near_m} m: peak {near.peak_dn:.0f} DN, {near.saturated_px} px saturated")
    if near.saturated_px > MAX_SATURATED_PX:
        raise CalibrationError(f"the reference lens at {near_m} m saturates over "
                               f"{near.saturated_px} pixels (at most {MAX_SATURATED_PX}): check "
                               f"the focus and for stray light around the lens")
    dark = [image for label, image in capture(near_m, exposure_us, gain) if label == "dark"]
    stack = np.array(dark, dtype=float)
    return CameraResult(exposure_us, gain, near, far, float(stack.mean()),
                        float((stack - stack.mean(axis=0)).std()), steps)


def spot_concentration(frames: Sequence[tuple[str, np.ndarray]], box: int = 8) -> float:
    """The reference lens's peak (on-axis minus off-axis, above the box's border) over its
    summed return in the box around the image centre: about 1/(2*pi*(sigma^2 + 1/12)) for
    a spot of blur sigma, so its inverse is quadratic in the lens's focus error."""
    by = centre_crops(frames, box, odd=True)
    if "onaxis" not in by or "offaxis" not in by:
        raise CalibrationError("frames of both LED groups are needed to measure the focus")
    diff = np.mean(by["onaxis"], axis=0) - np.mean(by["offaxis"], axis=0)
    spot = np.clip(diff - ring_median(diff), 0.0, None)
    total = float(spot.sum())
    if total <= 0:
        raise CalibrationError("no reference lens in the middle of the view: check that the "
                               "target faces the camera and the ring lights")
    return float(spot.max()) / total


@dataclass
class FocusResult:
    offset_dioptres: float  # what the lens position adds to 1/focus_m
    steps: list[str] = field(default_factory=list)


def calibrate_focus(capture: Callable[[float], Sequence[tuple[str, np.ndarray]]],
                    nominal_dioptres: float, span_dioptres: float = FOCUS_SPAN_DIOPTRES,
                    step_dioptres: float = FOCUS_STEP_DIOPTRES) -> FocusResult:
    """`capture(offset)` returns labelled frames of the reference lens at the focus
    distance, the lens set `offset` dioptres from `nominal_dioptres`, where it nominally
    focuses there. Offsets that would set the lens past its infinity stop (a position
    below 0) are not tried: the lens would not move, and the curve would flatten.

    A defocus of d dioptres adds a blur disc proportional to d, in quadrature with the
    optics' blur, so the inverse of the spot's concentration is a parabola in the offset
    with its minimum where the lens is in focus: fitted over every offset tried, that
    minimum is finer than the steps and not thrown by one noisy capture."""
    lowest = max(-span_dioptres, -nominal_dioptres)
    offsets = np.arange(lowest, span_dioptres + step_dioptres / 2, step_dioptres)
    spread = np.array([1.0 / spot_concentration(capture(float(o))) for o in offsets])
    curvature, slope, _ = np.polyfit(offsets, spread, 2)
    # A lens that focuses spreads its spot by half or more over the search; a fixed one
    # (or a target out of place) changes by noise alone.
    if curvature * (offsets[-1] - offsets[0]) ** 2 < FOCUS_MIN_CHANGE * float(np.mean(spread)):
        raise CalibrationError("the reference lens is as sharp at every lens position: check "
                               "that the camera's lens can focus and the target is in place")
    best = float(np.clip(-slope / (2 * curvature), lowest, span_dioptres))
    steps = [f"lens offsets {offsets[0]:+.1f} to {offsets[-1]:+.1f} D: sharpest at "
             f"{best:+.2f} D"]
    at_low_end = best <= lowest + step_dioptres
    if at_low_end and lowest <= -nominal_dioptres:
        raise CalibrationError("the lens is sharpest at its infinity stop and cannot focus "
                               "as far as the target: check the target's distance, else the "
                               "camera module is faulty")
    if at_low_end or best >= span_dioptres - step_dioptres:
        raise CalibrationError(f"the sharpest lens position is at the end of the search "
                               f"({best:+.2f} D): check the target's distance")
    return FocusResult(round(best, 3), steps)


def light_balance(frames: Sequence[tuple[str, np.ndarray]]) -> float:
    """Off-axis over on-axis brightness of a diffuse target, each minus the dark level."""
    means: dict[str, list[float]] = {}
    for label, image in frames:
        means.setdefault(label, []).append(float(np.mean(image)))
    try:
        dark = np.mean(means["dark"])
        on, off = np.mean(means["onaxis"]) - dark, np.mean(means["offaxis"]) - dark
    except KeyError:
        raise CalibrationError("frames of every light state are needed") from None
    if on <= 1.0:
        raise CalibrationError("the on-axis ring does not light the target: check the LEDs")
    return float(off / on)


def balance_advice(ratio: float, resistor_ohm: float = 20.0, drop_v: float = 1.96) -> str:
    """What to change when the groups differ by more than the tolerance (hardware/leds.md):
    the off-axis string resistor that scales its current by 1/ratio."""
    if abs(ratio - 1.0) <= BALANCE_TOLERANCE:
        return f"balanced within {BALANCE_TOLERANCE:.0%} ({ratio:.3f})"
    current = drop_v / resistor_ohm
    new_r = drop_v / (current / ratio)
    return (f"off-axis group at {ratio:.3f} of the ring: fit {new_r:.1f} ohm (nearest E24 "
            f"value) instead of {resistor_ohm:g} ohm in each off-axis string")


def response_fit(known: Sequence[tuple[float, float]], part: str = "the receiver") -> Response:
    """(true dBm, reported dBm) pairs from a known source -> the receiver's response,
    reported = scale * true + offset."""
    if len(known) < 2:
        raise CalibrationError("two or more source levels are needed")
    true, reported = np.array(known, dtype=float).T
    scale, offset = np.polyfit(true, reported, 1)
    if not 0.5 < scale < 2.0:
        raise CalibrationError(f"{part}'s response is off by a factor {scale:.2f}: check the "
                               f"cable and the source level")
    return Response(float(scale), float(offset))


def ad8318_fit(known: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """(true dBm, reported dBm) pairs from a known source -> the detector's real slope
    (mV/dB) and intercept (dBm), given the nominal ones the firmware assumed."""
    r = response_fit(known, "the AD8318")
    slope = r.scale * NOMINAL_SLOPE_MV_PER_DB
    intercept = (NOMINAL_INTERCEPT_DBM - r.offset_db) / r.scale
    return float(slope), float(intercept)


def corrected_broadband(reported_dbm: float, slope: float, intercept: float) -> float:
    """A broadband reading the firmware computed with the nominal slope and intercept,
    corrected with the calibrated ones."""
    return Response.of_ad8318(slope, intercept).true_dbm(reported_dbm)


def noise_floors(readings: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Median level of each receiver over quiet readings (antenna on a 50 ohm load)."""
    by: dict[str, list[float]] = {}
    for reading in readings:
        by.setdefault(reading["source"], []).extend(reading["dbm"])
    return {source: round(float(np.median(values)), 1) for source, values in by.items()}


# ---- profiles -------------------------------------------------------------------------------
def write_profile(directory: Path, device: str, values: dict[str, dict[str, Any]],
                  today: dt.date | None = None) -> Path:
    """Write `<device>-<date>.toml` and make it current.toml; returns the dated path."""
    day = (today or dt.date.today()).isoformat()
    lines = [f"# Calibration profile of device {device}, {day}.", f"format = {PROFILE_FORMAT}",
             "", "[profile]", f'device = "{device}"', f'date = "{day}"',
             f'software = "{__version__}"']
    for section, entries in values.items():
        lines += ["", f"[{section}]"]
        for key, value in entries.items():
            lines.append(f"{key} = {toml_value(value)}")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{device}-{day}.toml"
    path.write_text("\n".join(lines) + "\n")
    shutil.copyfile(path, directory / "current.toml")
    return path


def read_profile(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CalibrationError(f"{path}: not a readable calibration profile: {exc}") from None
    if data.get("format") != PROFILE_FORMAT:
        raise CalibrationError(f"{path}: profile format {data.get('format')}, this program "
                               f"reads {PROFILE_FORMAT}: calibrate again")
    return data
