"""Every screen against a reference image (tests/reference/*.png, made by this code and
checked by eye; tests/reference/CHECKED.txt lists the SHA-256 of each checked image, so
an image replaced without a look fails).

After an intended change of a screen: UPDATE_REFERENCE_IMAGES=1 pytest tests/test_screens.py
writes the new screens to tests/reference/proposed/ (the tests still fail). Look at each
one; if it is right, move it into tests/reference/ and put its SHA-256 into CHECKED.txt
(`sha256sum *.png > CHECKED.txt` there)."""

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
from luma.core.device import dummy
from PIL import Image

from detector.fusion import Level
from detector.hw.display import LumaDisplay
from detector.session.menus import Controller
from detector.session.status import LiveStatus
from detector.ui.screens import live_view, menu_screen, result_screen

REFERENCE = Path(__file__).parent / "reference"
PROPOSED = REFERENCE / "proposed"
UPDATE = os.environ.get("UPDATE_REFERENCE_IMAGES") == "1"


def checked_hashes() -> dict[str, str]:
    """Image name -> the SHA-256 it had when a person checked it."""
    lines = (REFERENCE / "CHECKED.txt").read_text().splitlines()
    return {name: digest for digest, name in (line.split() for line in lines if line.strip())}


def camera_frame() -> np.ndarray:
    """A fixed synthetic camera image: a tiled wall with a bright point (the lens)."""
    y, x = np.mgrid[0:360, 0:640]
    image = 60 + 25 * (((x // 40) + (y // 40)) % 2)
    image[(x % 40 < 2) | (y % 40 < 2)] = 30
    image[178:183, 418:423] = 250
    return image.astype(np.uint8)


def coverage_map():
    swept = np.zeros((13, 36), bool)
    required = np.zeros((13, 36), bool)
    required[1:11, 0:9] = required[1:11, 27:36] = True
    swept[5:8, 0:4] = swept[5:8, 33:36] = True
    return swept, required


def status(**changes) -> LiveStatus:
    base = dict(elapsed_s=75.0, lights="onaxis", title="default",
                markers=[(420.0, 180.0, "confirmed"), (200.0, 100.0, "candidate")],
                rf_text="RF wifi-2g4 40%", lens_text="LENS 1", level=Level.LENS_CONFIRMED,
                rf_bars={"2.4": (0.55, True), "5.8": (0.1, False), "BB": (0.3, False)},
                coverage=0.42, coverage_map=coverage_map(),
                guide="2/4 Beside the seat: sweep the side walls and the partition tops")
    base.update(changes)
    return LiveStatus(**base)


SCREENS = {
    "live-confirmed": lambda size, mode: live_view(camera_frame(), status(), size, mode),
    "live-camera-likely-faults": lambda size, mode: live_view(
        camera_frame(), status(level=Level.CAMERA_LIKELY, awaiting_ack=True, muted=True,
                               too_fast=True, faults=["CAMERA STALLED", "RF OFFLINE"],
                               dropped=12), size, mode),
    "live-clear": lambda size, mode: live_view(
        camera_frame(), status(level=Level.CLEAR, markers=[], lens_text="", rf_bars={},
                               rf_text="RF baseline", coverage=0.0), size, mode),
    "live-wifi-camera": lambda size, mode: live_view(
        camera_frame(), status(level=Level.CAMERA_LIKELY, awaiting_ack=True, markers=[],
                               lens_text="", wifi_text="WIFI CAM 53:01 -48dBm",
                               wifi_trail=[-75.0, -72.0, -70.0, -66.0, -61.0, -57.0, -52.0,
                                           -48.0],
                               wifi_trend="HOTTER", walk_prompt=True), size, mode),
    "checkin": lambda size, mode: _menu("checkin", 2, size, mode),
    "checklist": lambda size, mode: _menu("checklist", 1, size, mode),
    "finding": lambda size, mode: _menu("finding", 0, size, mode),
    "result": lambda size, mode: result_screen(
        "incomplete", ["North Pool, showers", "coverage 41% is below 60%",
                       "coverage 41%, alerts 0, RF 1", "findings 0"], size, mode),
}


def _menu(screen: str, selected: int, size, mode):
    from detector.locations import load_locations

    c = Controller(load_locations(), {"Door and lock inspected": True,
                                      "Ceiling vents and lights checked": None})
    c.screen, c.selected = screen, selected
    return menu_screen(c.title(), c.items(), c.selected, size, mode)


DISPLAYS = {"tft": ((320, 240), "RGB"), "oled": ((128, 64), "1")}


def compare(image: Image.Image, name: str, update: bool = UPDATE) -> None:
    path = REFERENCE / f"{name}.png"
    if update:
        PROPOSED.mkdir(exist_ok=True)
        image.save(PROPOSED / path.name)
        pytest.fail(f"proposed {PROPOSED.name}/{path.name}: look at it, then move it into "
                    f"tests/reference/ and record its hash in CHECKED.txt")
    if not path.exists():
        pytest.fail(f"no reference image {path.name}; propose one with "
                    f"UPDATE_REFERENCE_IMAGES=1")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert checked_hashes().get(path.name) == digest, (
        f"{path.name} is not the image that was checked by eye (CHECKED.txt)")
    want = np.asarray(Image.open(path).convert("RGB"), dtype=np.int16)
    got = np.asarray(image.convert("RGB"), dtype=np.int16)
    assert got.shape == want.shape
    diff = np.abs(got - want).max(axis=2)
    # Font rasterisation may differ by a grey level here and there; nothing more.
    assert diff.mean() < 1.0 and (diff > 64).mean() < 0.002, f"{name} differs from reference"


def test_every_reference_image_was_checked_and_every_checked_one_exists():
    names = {p.name for p in REFERENCE.glob("*.png")}
    assert names == set(checked_hashes())


@pytest.mark.parametrize("display", DISPLAYS)
@pytest.mark.parametrize("screen", SCREENS)
def test_screen_matches_reference(screen, display):
    size, mode = DISPLAYS[display]
    image = SCREENS[screen](size, mode)
    assert image.size == size and image.mode == mode
    compare(image, f"{display}-{screen}")


def test_screens_go_through_a_luma_device():
    for (size, mode) in DISPLAYS.values():
        device = LumaDisplay(dummy(width=size[0], height=size[1], mode=mode))
        device.show(SCREENS["live-confirmed"](size, mode))
        assert device.device.image.size == size


def test_reference_check_notices_a_change():
    size, mode = DISPLAYS["tft"]
    changed = live_view(camera_frame(), status(level=Level.CLEAR), size, mode)
    with pytest.raises(AssertionError, match="differs"):
        compare(changed, "tft-live-confirmed", update=False)


def test_live_view_marks_lenses_where_they_are():
    size, mode = DISPLAYS["tft"]
    image = np.asarray(SCREENS["live-confirmed"](size, mode))
    # 640x360 into 320x180 below an 18-pixel banner: the lens at (420, 180) -> (210, 108).
    ring = image[108 - 9:108 + 10, 210 - 9:210 + 10]
    red = (ring[..., 0] > 200) & (ring[..., 1] < 80)
    assert red.sum() > 20
    assert not ((image[40:60, 20:60, 0] > 200) & (image[40:60, 20:60, 1] < 80)).any()


def test_a_reference_image_replaced_without_a_look_fails(tmp_path, monkeypatch):
    import shutil
    import sys

    shutil.copytree(REFERENCE, tmp_path / "reference")
    module = sys.modules[__name__]
    monkeypatch.setattr(module, "REFERENCE", tmp_path / "reference")
    size, mode = DISPLAYS["tft"]
    image = SCREENS["live-clear"](size, mode)
    compare(image, "tft-live-clear", update=False)  # as checked: passes
    image.save(tmp_path / "reference" / "tft-live-clear.png", optimize=True)  # regenerated
    with pytest.raises(AssertionError, match="checked by eye"):
        compare(image, "tft-live-clear", update=False)
