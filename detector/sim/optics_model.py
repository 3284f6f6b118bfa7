"""Optical models of the handheld's LEDs and of every object kind, with their constants.

Units: irradiance E is relative to the on-axis ring at 1 m on its axis (so E = 1 there,
as the scenario's `ambient` is defined); intensity I (toward the device's camera) is in
E·m², so the irradiance it produces at the camera is I / d². The renderer turns that
into digital numbers (see renderer.py: a point source of intensity I at distance d
collects DN = scale·π·I·fx²/d² over its image, a diffuse surface DN = scale·albedo·E).

Sources for the numbers (facts and figures only):
- Cat's-eye return of a camera lens: the lens focuses the incoming beam on the sensor,
  which scatters it back; the part that re-enters the aperture (about 1/(4N²) of a
  Lambertian scatter for an f/N lens, ~6 % at f/2) times the sensor's reflectance
  (~0.3) leaves η ≈ 0.02 of the light entering the lens, returned in a cone whose width
  is set by the blur spot over the focal length: about a degree (DESIGN.md section 2;
  Sami et al., LAPD, SenSys 2021, measured lens returns within ±1-2° of retro).
- Bright-pupil/dark-pupil: an off-axis source a few degrees from the camera axis sees
  almost no return (Morimoto et al. 2000 use ~2-3° separation for dark pupil).
- Convex mirror (screw head, chrome, drop): a specular sphere of radius r and
  reflectance ρ under irradiance E scatters I = ρ·E·r²/4 equally in all directions (the
  classical result for a specular sphere); the highlight sits where the surface normal
  bisects the directions to the source and to the camera.
- Flat mirror or glass: the camera sees the LED's mirror image at the mirrored distance;
  silvered mirrors reflect ~0.85-0.9 in the NIR, plain glass ~0.04 per surface. Sinks
  have mirrors, so `glass` uses a mirror's 0.85.
- Retroreflective sheeting: microprismatic sheeting returns ~0.25 of the incident
  light within about 1° (coefficients of retroreflection in EN 12899 / ASTM D4956 fall by
  ~10x from 0.2° to 2° observation angle).
- Glass-bead retroreflector (toy eye, bead): high-index beads return ~8 % in a wider
  cone, 2-3°, so the off-axis group still sees part of it up close.
- Water drop: a drop on a wall is a weak ball lens focusing onto the wall behind it: a
  faint, wide retro component besides its Fresnel (2 %) front-surface glint.
- 850 nm LEDs: half-intensity angle of 40° for the groups' combined beam (typical
  IR LEDs are rated ±20° to ±60°), modelled as cos^m.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEG = np.pi / 180.0

# LED beam: cos(theta)^m with half intensity at 40 degrees.
LED_HALF_ANGLE_DEG = 40.0
LED_BEAM_EXPONENT = float(np.log(0.5) / np.log(np.cos(LED_HALF_ANGLE_DEG * DEG)))
RING_LEDS = 8  # the on-axis ring is modelled as 8 LEDs on its circle

# Camera lens (cat's eye).
LENS_EFFICIENCY = 0.02
LENS_RETURN_WIDTH_DEG = 1.0  # 1/e half-width of the return cone
LENS_CONE_EDGE_DEG = 2.0  # the return fades over this band at the edge of the camera's FOV
LENS_BODY_ALBEDO = 0.12  # dark housing around the lens, diameter LENS_BODY_SCALE x lens
LENS_BODY_SCALE = 3.0

# Specular spheres: reflectance.
SCREW_REFLECTANCE = 0.55
CHROME_REFLECTANCE = 0.7
DROP_REFLECTANCE = 0.02
SCREW_BODY_ALBEDO = 0.3
CHROME_BODY_ALBEDO = 0.25

# True retroreflectors: (efficiency, return half-width in degrees).
TAPE_RETRO = (0.25, 0.8)
BEAD_RETRO = (0.08, 2.5)
DROP_RETRO = (0.003, 3.5)

GLASS_REFLECTANCE = 0.85
LED_DIE_MM = 3.0  # apparent size of one of the device's LEDs (seen in a mirror)

# Active LED (indicator): intensity in E·m² toward its axis; ~3000 DN10 total at 1 m.
LED_SOURCE_INTENSITY = 4e-6

HOLE_ALBEDO = 0.08

# Walls: broad specular lobe of brushed steel (fraction, lobe width).
SURFACE_SPECULAR = {"steel": (0.25, 12.0)}

# Camera-side constants (IMX708-class sensor in a 2x2 binned mode).
PSF_SIGMA_PX = 0.7  # the optics' blur of a point in focus
# Depth of field. The Camera Module 3's lens (4.74 mm at f/1.8) has a 2.63 mm aperture. A
# point at distance d seen through a lens focused at distance F images as a blur disc
# fx·A·|1/d - 1/F| pixels across (thin lens, d much longer than the focal length); a
# uniform disc's sigma is a quarter of its diameter. At 1280 wide (fx 985 px) a point
# 0.5 m away with the lens focused at 1 m is a 2.6 px disc.
APERTURE_M = 4.74e-3 / 1.8
DEVICE_FOCUS_M = 2.0  # where the device holds its lens: camera.focus_m's default
ELECTRONS_PER_DN_AT_UNIT_GAIN = 4.4  # ~4500 e- full well over 10 bits
READ_NOISE_E = 1.6
VIGNETTING_POWER = 4  # cos^4 falloff of image irradiance with field angle
# DN10 of a white (albedo 1) diffuse surface at 1 m under the on-axis ring, at
# exposure 2000 us and analogue gain 4. Chosen so tile at 1 m sits near 70/255 in 8 bit
# and a wall at 0.5 m just below saturation.
DN_PER_UNIT_RADIANCE = 450.0
REFERENCE_EXPOSURE_US = 2000.0
REFERENCE_GAIN = 4.0


def led_beam(cos_theta: np.ndarray | float) -> np.ndarray:
    """Relative intensity of an LED group at an angle off the device's axis."""
    c = np.clip(cos_theta, 0.0, 1.0)
    return np.power(c, LED_BEAM_EXPONENT)


def led_falloff(offsets: np.ndarray, forward: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For vectors from an LED to points: (beam(angle off the device axis) / d², 1 / d)."""
    dist2 = np.einsum("...i,...i->...", offsets, offsets)
    inv = 1.0 / np.sqrt(dist2)
    return led_beam(np.einsum("...i,i->...", offsets, forward) * inv) / dist2, inv


@dataclass(frozen=True)
class LedGroup:
    """LED positions in the camera frame (metres) and each LED's share of the group."""

    name: str
    offsets: np.ndarray  # (n, 3)
    share: float


def device_led_groups(ring_mm: float, offaxis_mm: float) -> dict[str, LedGroup]:
    """The on-axis ring around the lens and the off-axis group beside it (camera frame:
    x right, y down, z forward)."""
    angles = np.arange(RING_LEDS) * 2 * np.pi / RING_LEDS
    ring = np.stack([np.cos(angles), np.sin(angles), np.zeros_like(angles)], axis=1)
    ring *= ring_mm / 1000.0
    off = np.array([[offaxis_mm / 1000.0, 0.0, 0.0]])
    return {
        "onaxis": LedGroup("onaxis", ring, 1.0 / RING_LEDS),
        "offaxis": LedGroup("offaxis", off, 1.0),
    }


def retro_gain(efficiency: float, width_deg: float) -> float:
    """Peak intensity per unit irradiance and unit area of a retroreflector whose
    return cone has 1/e half-width `width_deg`: efficiency / (π θ0²)."""
    theta = width_deg * DEG
    return efficiency / (np.pi * theta * theta)


def observation_angle(point: np.ndarray, led: np.ndarray, camera: np.ndarray) -> np.ndarray:
    """Angle at `point` between the directions to the LED(s) and to the device camera."""
    a = led - point
    b = camera - point
    cos = (a @ b) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b) + 1e-15)
    return np.arccos(np.clip(cos, -1.0, 1.0))


def retro_intensity(point: np.ndarray, camera: np.ndarray, leds: np.ndarray,
                    irradiance: np.ndarray, area_m2: float, efficiency: float,
                    width_deg: float) -> float:
    """Intensity returned toward the camera by a retroreflector lit by several LEDs."""
    alpha = observation_angle(point, leds, camera)
    falloff = np.exp(-((alpha / (width_deg * DEG)) ** 2))
    return float(np.sum(irradiance * falloff) * area_m2 * retro_gain(efficiency, width_deg))


def sphere_glint(center: np.ndarray, radius_m: float, reflectance: float, camera: np.ndarray,
                 led: np.ndarray, irradiance: float,
                 mount_normal: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Highlight point and intensity of a convex specular dome for one LED, or None
    when the reflecting normal would point into the mounting surface."""
    to_led = led - center
    to_cam = camera - center
    half = to_led / np.linalg.norm(to_led) + to_cam / np.linalg.norm(to_cam)
    normal = half / (np.linalg.norm(half) + 1e-15)
    if normal @ mount_normal <= 0.05:
        return None
    return center + radius_m * normal, reflectance * irradiance * radius_m**2 / 4.0


def mirror_image(led: np.ndarray, plane_point: np.ndarray, plane_normal: np.ndarray) -> np.ndarray:
    n = plane_normal / np.linalg.norm(plane_normal)
    return led - 2.0 * ((led - plane_point) @ n) * n


def lens_cone_factor(facing: np.ndarray, lens: np.ndarray, camera: np.ndarray,
                     fov_deg: float) -> tuple[float, float]:
    """(cone factor, cos of viewing angle) of a hidden camera seen from the device.

    The return only exists while the device is inside the hidden camera's field of
    view; it fades over LENS_CONE_EDGE_DEG at the cone's edge, and the lens's apparent
    area shrinks with the cosine of the viewing angle.
    """
    f = facing / np.linalg.norm(facing)
    to_cam = camera - lens
    cos_view = float(f @ to_cam / (np.linalg.norm(to_cam) + 1e-15))
    if cos_view <= 0:
        return 0.0, cos_view
    angle = np.degrees(np.arccos(min(cos_view, 1.0)))
    half = fov_deg / 2.0
    factor = float(np.clip((half + LENS_CONE_EDGE_DEG / 2 - angle) / LENS_CONE_EDGE_DEG, 0, 1))
    return factor, cos_view


def defocus_sigma_px(fx: float, distance_m: float, focus_m: float) -> float:
    """Sigma (pixels) of the blur disc of a point at `distance_m` through the lens focused
    at `focus_m`, for a camera whose focal length is `fx` pixels."""
    diameter = fx * APERTURE_M * abs(1.0 / max(distance_m, 1e-3) - 1.0 / focus_m)
    return diameter / 4.0
