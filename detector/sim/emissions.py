"""What each kind of scene object sends toward the camera under the device's LEDs: point
emissions (a retroreflecting lens, glints on a screw head, an LED) and albedo discs (a
lens body, a hole). One function per object kind, in EMITTERS, keyed by the kinds the
scenario format defines (scenario.OBJECT_KEYS); the physics is in optics_model.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from detector.sim import optics_model as om
from detector.sim.motion import Pose
from detector.sim.scenario import SceneObject

Point = tuple[np.ndarray, float, float]  # (point, intensity, diameter_m)
Disc = tuple[np.ndarray, float, float]  # (point, radius_m, albedo)
Lit = list[tuple[np.ndarray, np.ndarray]]  # per lit LED group: LED positions, irradiance


@dataclass(frozen=True)
class Lighting:
    """The lighting of one row of one frame, as the renderer knows it."""

    pose: Pose
    weights: dict[str, float]  # LED state -> share of the row's exposure
    t: float  # seconds, mid-exposure
    lit_at: Callable[[np.ndarray], Lit]  # irradiance at a point from each lit group
    led_points: Callable[[str], np.ndarray]  # the LED positions of a group
    shares: dict[str, float]  # each group's share of the LED power


def emissions_of(obj: SceneObject, at: np.ndarray, normal: np.ndarray,
                 light: Lighting) -> tuple[list[Point], list[Disc]]:
    """Point emissions and albedo discs of one object under the current lighting."""
    points: list[Point] = []
    discs: list[Disc] = []
    EMITTERS[obj.kind](obj, at, normal, light, points, discs)
    return points, discs


def _camera(obj, at, normal, light, points, discs) -> None:
    cam = light.pose.position
    lit = light.lit_at(at)
    lens_r = obj["lens_mm"] / 2000.0
    discs.append((at, lens_r * om.LENS_BODY_SCALE, om.LENS_BODY_ALBEDO))
    cone, cos_view = om.lens_cone_factor(np.array(obj["facing"]), at, cam, obj["fov_deg"])
    if cone > 0:
        area = np.pi * lens_r**2 * cos_view * cone
        intensity = sum(om.retro_intensity(at, cam, leds, irr, area, om.LENS_EFFICIENCY,
                                           om.LENS_RETURN_WIDTH_DEG) for leds, irr in lit)
        points.append((at, intensity, 2 * lens_r))


SPHERE_REFLECTANCE = {"screw": om.SCREW_REFLECTANCE, "chrome": om.CHROME_REFLECTANCE,
                      "water-drop": om.DROP_REFLECTANCE}
SPHERE_BODY_ALBEDO = {"screw": om.SCREW_BODY_ALBEDO, "chrome": om.CHROME_BODY_ALBEDO}


def _sphere(obj, at, normal, light, points, discs) -> None:
    """Screw heads, chrome fittings and water drops: glints off a curved surface (a drop
    also retroreflects a little, and has no body of its own)."""
    cam = light.pose.position
    lit = light.lit_at(at)
    radius = obj["size_mm"] / 2000.0
    if obj.kind in SPHERE_BODY_ALBEDO:
        discs.append((at, radius, SPHERE_BODY_ALBEDO[obj.kind]))
    for leds, irr in lit:
        for led, e in zip(leds, irr, strict=True):
            glint = om.sphere_glint(at, radius, SPHERE_REFLECTANCE[obj.kind], cam, led, e,
                                    normal)
            if glint is not None:
                points.append((glint[0], glint[1], 0.0))
    if obj.kind == "water-drop":
        eff, width = om.DROP_RETRO
        area = np.pi * radius**2
        intensity = sum(om.retro_intensity(at, cam, leds, irr, area, eff, width)
                        for leds, irr in lit)
        points.append((at, intensity, 2 * radius))


def _toy_eye(obj, at, normal, light, points, discs) -> None:
    cam = light.pose.position
    lit = light.lit_at(at)
    radius = obj["size_mm"] / 2000.0
    eff, width = om.BEAD_RETRO
    intensity = sum(om.retro_intensity(at, cam, leds, irr, np.pi * radius**2, eff, width)
                    for leds, irr in lit)
    points.append((at, intensity, 2 * radius))


def _led(obj, at, normal, light, points, discs) -> None:
    """An active LED (a charger's power light): bright in every frame while on."""
    on = obj["blink_hz"] <= 0 or (light.t * obj["blink_hz"]) % 1.0 < 0.5
    to_cam = light.pose.position - at
    cos_view = float(normal @ to_cam / np.linalg.norm(to_cam))
    if on and cos_view > 0:
        points.append((at, om.LED_SOURCE_INTENSITY * cos_view, obj["size_mm"] / 1000.0))


def _hole(obj, at, normal, light, points, discs) -> None:
    discs.append((at, obj["size_mm"] / 2000.0, om.HOLE_ALBEDO))


def _glass(obj, at, normal, light, points, discs) -> None:
    """A mirror or glass pane: the camera sees each LED at its mirror image."""
    normal = np.array(obj["facing"], dtype=float)
    normal /= np.linalg.norm(normal)
    pose = light.pose
    cam = pose.position
    if (cam - at) @ normal <= 0:
        return
    u_axis, v_axis = plane_axes(normal)
    half_w, half_h = obj["size_mm"][0] / 2000.0, obj["size_mm"][1] / 2000.0
    for state, weight in light.weights.items():
        if state == "dark" or weight <= 0:
            continue
        share = light.shares[state]
        for led in light.led_points(state):
            image = om.mirror_image(led, at, normal)
            ray = image - cam
            denom = ray @ normal
            if abs(denom) < 1e-12:
                continue
            s = ((at - cam) @ normal) / denom
            hit = cam + s * ray
            rel = hit - at
            if abs(rel @ u_axis) > half_w or abs(rel @ v_axis) > half_h:
                continue
            cos_beam = ((hit - led) @ pose.forward) / np.linalg.norm(hit - led)
            # Placing the emission at the mirror image makes the renderer's 1/d² use the
            # mirrored distance.
            intensity = weight * share * om.GLASS_REFLECTANCE * float(om.led_beam(cos_beam))
            points.append((image, intensity, om.LED_DIE_MM / 1000.0))


def _drawn_elsewhere(obj, at, normal, light, points, discs) -> None:
    """Retro-tape is a polygon: the renderer draws it (Renderer._draw_tape)."""


EMITTERS: dict[str, Callable[..., None]] = {
    "camera": _camera, "screw": _sphere, "chrome": _sphere, "water-drop": _sphere,
    "toy-eye": _toy_eye, "led": _led, "hole": _hole, "glass": _glass,
    "retro-tape": _drawn_elsewhere,
}


def plane_axes(normal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical unit axes in a plane (for floor/ceiling: x and y)."""
    n = normal / np.linalg.norm(normal)
    horizontal = np.cross(np.array([0.0, 0.0, 1.0]), n)
    if np.linalg.norm(horizontal) < 1e-6:
        return np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    horizontal /= np.linalg.norm(horizontal)
    vertical = np.cross(n, horizontal)
    return horizontal, vertical / np.linalg.norm(vertical)
