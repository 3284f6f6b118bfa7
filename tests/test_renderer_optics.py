"""Optics of the simulated camera: each object kind behaves as its physics says."""

import math

import numpy as np
import pytest

from detector.config import load_config
from detector.hw.clock import SimClock
from detector.hw.sim.camera import SimCamera
from detector.hw.sim.lights import SimLights
from detector.settings import CameraSettings
from detector.sim import optics_model as om
from detector.sim.camera_model import CameraModel
from detector.sim.renderer import Renderer
from tests.conftest import SMALL
from tests.conftest import scenario_from as _scenario_from

# Point-source contrast depends on the pixel's angular size, so optics are tested at the
# device's real resolution.
FULL = SMALL.replace("resolution = [320, 180]", "resolution = [1280, 720]")
CENTER = (639.5, 359.5)  # where a point straight ahead of the device projects


def scenario_from(objects_toml="", base=FULL):
    return _scenario_from(objects_toml, base=base)


def render(scenario, state, noise=False, t=0.5, focus_m=om.DEVICE_FOCUS_M):
    renderer = Renderer(scenario, CameraModel.from_scenario(scenario, focus_m=focus_m),
                        noise=noise)
    weights = {state: 1.0}
    grid = {state: np.ones(renderer.gh)}
    return renderer.render(t, lambda row: weights, grid).image.astype(float)


def peak_above_background(image, at=CENTER, radius=4):
    u, v = int(round(at[0])), int(round(at[1]))
    window = image[v - radius:v + radius + 1, u - radius:u + radius + 1]
    ring = image[v - 12:v + 13, u - 12:u + 13]
    return window.max() - np.median(ring)


def glint_over_body(image, at=CENTER, radius=4):
    u, v = int(round(at[0])), int(round(at[1]))
    window = image[v - radius:v + radius + 1, u - radius:u + radius + 1]
    return window.max() - window.min()


def obj(kind, at="[1.0, 3.0, 1.2]", extra=""):
    return f'[[objects]]\nkind = "{kind}"\nat = {at}\n{extra}\n'


LENS_FACING_DEVICE = obj("camera", extra="facing = [0, -1, 0]")


def test_lens_bright_on_axis_dark_off_axis_inside_its_cone():
    sc = scenario_from(LENS_FACING_DEVICE)
    on = peak_above_background(render(sc, "onaxis"))
    off = peak_above_background(render(sc, "offaxis"))
    assert on > 100
    assert off < 0.1 * on


def test_lens_invisible_outside_its_cone():
    # Facing along the wall: the device is ~80 degrees off the camera's axis (FOV 70).
    sc = scenario_from(obj("camera", extra="facing = [1, -0.15, 0]"))
    assert peak_above_background(render(sc, "onaxis")) < 3


def test_lens_invisible_in_dark_frame():
    sc = scenario_from(LENS_FACING_DEVICE)
    assert peak_above_background(render(sc, "dark")) < 2


def test_lens_return_falls_with_distance():
    near = scenario_from(obj("camera", "[1.0, 3.0, 1.2]", "facing = [0, -1, 0]\nlens_mm = 0.3"))
    far_text = LENS_FACING_DEVICE.replace('kind = "camera"', 'kind = "camera"\nlens_mm = 0.3')
    far = scenario_from(far_text, base=_moved_device(0.5))  # 2.5 m from the lens, not 1.5 m
    assert peak_above_background(render(near, "onaxis")) > 2 * peak_above_background(
        render(far, "onaxis"))


def spot_sigma(image, at=CENTER, radius=6):
    """Second-moment sigma (px) of the spot around `at`, above the window's border."""
    u, v = int(round(at[0])), int(round(at[1]))
    window = image[v - radius:v + radius + 1, u - radius:u + radius + 1]
    border = np.concatenate([window[0], window[-1], window[:, 0], window[:, -1]])
    w = np.clip(window - np.median(border), 0, None)
    ys, xs = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    mx, my = (w * xs).sum() / w.sum(), (w * ys).sum() / w.sum()
    var = (w * ((xs - mx) ** 2 + (ys - my) ** 2)).sum() / w.sum() / 2
    return float(np.sqrt(var))


def test_a_lens_out_of_focus_images_as_a_wider_disc():
    sc = scenario_from(LENS_FACING_DEVICE)  # the lens 1.5 m ahead
    model = CameraModel.from_scenario(sc, focus_m=1.5)
    sharp = spot_sigma(render(sc, "onaxis", focus_m=1.5))
    near_focus = spot_sigma(render(sc, "onaxis", focus_m=0.5))
    assert sharp == pytest.approx(model.point_sigma_px(1.5, 0.0), abs=0.1)
    # Focused at 0.5 m, a point at 1.5 m is a disc fx*A*(2 - 0.67) px across: ~3.4 px.
    assert near_focus > sharp + 0.4
    # Brightness is spread, not lost.
    assert render(sc, "onaxis", focus_m=0.5).sum() == pytest.approx(
        render(sc, "onaxis", focus_m=1.5).sum(), rel=0.01)


def test_simulated_camera_is_focused_where_the_device_holds_its_lens():
    # Code that builds a simulated camera without a configuration (benchmarks, tests)
    # must see the frames the device would.
    assert CameraSettings.of(load_config(None, [])).focus_m == om.DEVICE_FOCUS_M


def _moved_device(y):
    return FULL.replace("at = [1.0, 1.5, 1.2]", f"at = [1.0, {y}, 1.2]")


def test_screw_highlight_appears_under_both_groups():
    sc = scenario_from(obj("screw", extra="size_mm = 8"))
    on_image, off_image = render(sc, "onaxis"), render(sc, "offaxis")
    # The glint over the screw's own dark head, and above the surrounding wall.
    on, off = glint_over_body(on_image), glint_over_body(off_image)
    assert on > 20 and off > 20
    assert peak_above_background(on_image) > 5 and peak_above_background(off_image) > 5
    assert 0.6 < off / on < 1.6
    assert peak_above_background(render(sc, "dark")) < 2


def test_chrome_is_a_brighter_specular_than_a_screw():
    screw = peak_above_background(render(scenario_from(obj("screw")), "offaxis"))
    chrome = peak_above_background(render(scenario_from(obj("chrome")), "offaxis"))
    assert chrome > 2 * screw


def test_toy_eye_is_a_retroreflector_with_a_wider_cone_than_a_lens():
    eye = scenario_from(obj("toy-eye", extra="size_mm = 2"))
    lens = scenario_from(LENS_FACING_DEVICE)
    eye_on, eye_off = (peak_above_background(render(eye, s)) for s in ("onaxis", "offaxis"))
    lens_on, lens_off = (peak_above_background(render(lens, s)) for s in ("onaxis", "offaxis"))
    assert eye_on > 50
    assert eye_off / eye_on > lens_off / lens_on
    assert eye_off > 5


def test_led_glows_in_dark_frames_and_blinks():
    steady = scenario_from(obj("led"))
    assert peak_above_background(render(steady, "dark")) > 50
    blinking = scenario_from(obj("led", extra="blink_hz = 1"))
    lit = peak_above_background(render(blinking, "dark", t=0.25))
    unlit = peak_above_background(render(blinking, "dark", t=0.75))
    assert lit > 50 and unlit < 2


def test_hole_is_dark():
    sc = scenario_from(obj("hole", extra="size_mm = 20"))
    image = render(sc, "onaxis")
    u, v = 640, 360
    assert image[v - 1:v + 2, u - 1:u + 2].mean() < 0.4 * np.median(image[v - 20:v + 21,
                                                                           u - 20:u + 21])


def test_retro_tape_is_a_large_saturated_patch_on_axis_only():
    sc = scenario_from(obj("retro-tape", extra="size_mm = [100, 40]"))
    on = render(sc, "onaxis")
    off = render(sc, "offaxis")
    assert (on >= 254).sum() > 50  # ~20 x 8 px of saturated sheeting
    assert (off >= 254).sum() == 0


def test_glass_highlight_only_near_normal_incidence_and_moves_with_the_light():
    facing_device = scenario_from(obj("glass", extra="facing = [0, -1, 0]"))
    on = render(facing_device, "onaxis")
    off = render(facing_device, "offaxis")
    on_peak = np.unravel_index(np.argmax(on), on.shape)
    off_peak = np.unravel_index(np.argmax(off), off.shape)
    assert on.max() >= 250 and off.max() >= 250
    assert abs(on_peak[1] - CENTER[0]) < 4  # the ring's image sits where we look straight in
    assert abs(off_peak[1] - on_peak[1]) > 5  # the off-axis group's image lies beside it
    # Tilted 40 degrees, the LEDs' mirror images fall outside the pane.
    tilted = scenario_from(obj("glass", extra="facing = [0.84, -1, 0]\nsize_mm = [300, 300]"))
    assert render(tilted, "onaxis").max() < 200


def test_water_drop_glints_under_both_groups():
    sc = scenario_from(obj("water-drop", extra="size_mm = 4"))
    assert peak_above_background(render(sc, "onaxis")) > 3
    assert peak_above_background(render(sc, "offaxis")) > 1


def test_noise_grows_with_signal_and_seed_fixes_it():
    sc = scenario_from()
    a = render(sc, "onaxis", noise=True)
    b = render(sc, "onaxis", noise=True)
    clean = render(sc, "onaxis", noise=False)
    assert np.array_equal(a, b)  # same seed, same frame
    residual = a - clean
    assert 0.3 < residual.std() < 5
    other = scenario_from(base=_moved_device(1.5).replace("seed = 3", "seed = 4"))
    assert not np.array_equal(render(other, "onaxis", noise=True), a)
    dark_residual = render(sc, "dark", noise=True) - render(sc, "dark")
    assert dark_residual.std() < residual.std()


def test_mixed_frame_is_lit_by_rows():
    sc = scenario_from()
    renderer = Renderer(sc, CameraModel.from_scenario(sc), noise=False)
    frac = renderer.grid_row_frac
    grid = {"onaxis": (frac < 0.5).astype(float), "dark": (frac >= 0.5).astype(float)}
    image = renderer.render(0.5, lambda row: {"onaxis": float(row < 0.5)}, grid).image
    assert image[:200].mean() > 3 * image[-200:].mean() + 1


def test_sim_camera_labels_late_switches_as_mixed():
    sc = scenario_from()
    clock = SimClock()
    lights = SimLights(clock)
    camera = SimCamera(sc, lights, clock, switch_late_prob=1.0, switch_late_ms=30.0,
                       noise=False)
    labels, truth = [], []
    lights.set("onaxis")
    while (frame := camera.read()) is not None:
        labels.append(frame.lights)
        truth.append(frame.meta["true_lights"])
        lights.set("offaxis" if frame.index % 2 == 0 else "onaxis")
    pairs = list(zip(labels, truth, strict=True))
    straddled = sum(t == "mixed" for t in truth)
    assert straddled > 0.1 * len(pairs)  # late switches do land inside frames
    # Those are labelled mixed and dropped; a pure frame is never given the other state.
    assert not [p for p in pairs if p[0] != "mixed" and p[1] != "mixed" and p[0] != p[1]]
    # Only a switch within the timing error of an edge can slip past the labelling.
    slipped = [p for p in pairs if p[0] != "mixed" and p[1] == "mixed"]
    assert len(slipped) <= 0.02 * len(pairs)
    assert labels.count("mixed") >= straddled - len(slipped)


@pytest.mark.parametrize("res", [(320, 180), (640, 360)])
def test_frame_shape_and_type(res):
    sc = _scenario_from(base=SMALL.replace("resolution = [320, 180]", f"resolution = {list(res)}"))
    image = Renderer(sc).render(0.2, lambda r: {"onaxis": 1.0},
                                {"onaxis": np.ones(Renderer(sc).gh)}).image
    assert image.shape == (res[1], res[0]) and image.dtype == np.uint8


def test_sensor_noise_is_independent_between_frames():
    # Two frames of the same still scene differ only by noise. Noise that was a shifted
    # copy of one pattern made phase correlation lock onto the pattern's offset instead of
    # the scene (which has not moved).
    import cv2

    sc = _scenario_from("")  # 320x180, painted wall, no tremor
    renderer = Renderer(sc, CameraModel.from_scenario(sc), noise=True)
    weights, grid = {"onaxis": 1.0}, {"onaxis": np.ones(renderer.gh)}
    a, b = (renderer.render(0.5, lambda row: weights, grid).image.astype(np.float32)
            for _ in range(2))
    noise_a, noise_b = a - cv2.GaussianBlur(a, (0, 0), 2), b - cv2.GaussianBlur(b, (0, 0), 2)
    (dx, dy), response = cv2.phaseCorrelate(noise_a, noise_b)
    assert response < 0.05 or math.hypot(dx, dy) < 1.0
    assert abs(float(np.corrcoef(noise_a.ravel(), noise_b.ravel())[0, 1])) < 0.05
