"""The live view shows the room on every screen (never a dark or off-axis frame), with the
confirmed lens marked where it is, over whole simulated sweeps; and the evidence
snapshot carries the enlarged on-axis / off-axis inset of the lens."""

import io

import numpy as np
import pytest
from PIL import Image

import detector.loop as runtime
from detector.backends import open_session
from detector.config import load_config
from detector.logbook.store import Logbook
from detector.sim.scenario import load_scenario
from detector.sweep import SweepRequest, sweep_on
from detector.ui.screens import BANNER_H, BAR_H
from detector.ui.view import INSET_HALF_PX, ViewTone, lens_inset

RED = (255, 40, 40)


def sweep_screens(monkeypatch, tmp_path, name):
    """Run a whole bundled scenario; every live-view screen with what it was drawn from."""
    shown = []
    real = runtime.live_view

    def spy(frame, status, size=(320, 240), mode="RGB"):
        image = real(frame, status, size, mode)
        if size == (320, 240) and mode == "RGB":
            shown.append((status, np.asarray(image)))
        return image

    monkeypatch.setattr(runtime, "live_view", spy)
    labels = {}
    config = load_config(None, ["sim.display=none"])
    session = open_session(config, rf=False, out_dir=tmp_path, scenario=load_scenario(name))
    truth = session.truth()
    try:
        outcome = sweep_on(session, SweepRequest(
            out_dir=tmp_path, rf=False, observers=[
                truth.add, lambda frame: labels.__setitem__(frame.index, frame.lights)]))
    finally:
        session.close()
    return shown, outcome, truth.to_json(), labels


def camera_area(screen):
    return screen[BANNER_H:240 - BAR_H].astype(float)


def red_near(screen, x, y, radius=12):
    """Whether the screen has marker-red pixels within radius of (x, y)."""
    h, w = screen.shape[:2]
    y0, y1 = max(int(y) - radius, 0), min(int(y) + radius + 1, h)
    x0, x1 = max(int(x) - radius, 0), min(int(x) + radius + 1, w)
    patch = screen[y0:y1, x0:x1].astype(int)
    return bool((np.abs(patch - RED).sum(axis=2) < 60).any())


@pytest.mark.parametrize("name", ["default", "dark-stall-tissue-box"])
def test_every_screen_shows_the_room_and_the_confirmed_lens(monkeypatch, tmp_path, name):
    shown, outcome, true, labels = sweep_screens(monkeypatch, tmp_path, name)
    assert len(shown) > 50
    brightness = [camera_area(screen).mean() for _status, screen in shown]
    first = brightness[0]
    assert first > 40, f"the first screen is dark ({first:.1f})"
    assert all(0.5 * first <= b <= 2.0 * first for b in brightness), (
        f"camera area mean brightness left the band around {first:.1f}: "
        f"{min(brightness):.1f}..{max(brightness):.1f}")
    # Each screen shows an on-axis frame (the one the markers belong to).
    assert all(labels[status.frame_index] == "onaxis" for status, _s in shown)
    # While a confirmed lens is in view (the truth says the camera is in the frame
    # it shows, and the tracker saw the lens there), its red circle is on the screen,
    # at the camera's place in the picture.
    truth = {entry[0]: (entry[1], entry[2]) for cam in true["cameras"]
             for entry in cam["frames"]}
    first_alert_ns = min((a["t_ns"] for a in outcome.lens_alerts), default=None)
    assert first_alert_ns is not None, "the sweep confirmed no lens"
    width, height = load_scenario(name).device.resolution
    scale = min(320 / width, (240 - BANNER_H - BAR_H) / height)
    ox = (320 - width * scale) / 2
    oy = BANNER_H + ((240 - BANNER_H - BAR_H) - height * scale) / 2
    checked = 0
    for status, screen in shown:
        confirmed = [(x, y) for x, y, kind in status.markers if kind == "confirmed"]
        for x, y in confirmed:  # every confirmed marker is drawn where the status says
            assert red_near(screen, ox + x * scale, oy + y * scale)
        where = truth.get(status.frame_index)
        if where is None or outcome.figures.frame_t_ns[status.frame_index] < first_alert_ns:
            continue
        lens_seen = any(abs(x - where[0]) + abs(y - where[1]) < 15 for x, y in confirmed)
        if lens_seen:
            checked += 1
            assert red_near(screen, ox + where[0] * scale, oy + where[1] * scale)
    assert checked >= 3, f"only {checked} screens showed the confirmed lens"


def test_the_view_tone_follows_the_scene_without_jumping():
    tone = ViewTone()
    dim = np.full((72, 128), 20, np.uint8)
    bright = np.full((72, 128), 180, np.uint8)
    first = tone.apply(dim).mean()
    assert 150 <= first <= 210  # brightened to the target at once
    assert 170 <= tone.apply(bright).mean() <= 210  # a brighter scene is never washed out
    darker = [tone.apply(dim).mean() for _ in range(12)]
    assert darker[0] < 100  # back to the dim room: the gain rises over a few screens
    assert all(b >= a for a, b in zip(darker, darker[1:], strict=False))
    assert 150 <= darker[-1] <= 210


def test_the_inset_shows_the_lens_on_axis_and_gone_off_axis():
    onaxis = np.full((100, 160), 60, np.uint8)
    offaxis = onaxis.copy()
    onaxis[50, 80] = 250  # the glint is there on-axis only
    inset = np.asarray(lens_inset(onaxis, offaxis, 80, 50).convert("L")).astype(int)
    side = inset.shape[1] // 2
    left, right = inset[20:, :side - 3], inset[20:, side + 3:]
    assert left.max() == 255 and right.max() < 255
    # The crop near the edge is padded, not wrapped or cut.
    edge = lens_inset(onaxis, offaxis, 2, 2)
    assert edge.width == inset.shape[1] and edge.height == inset.shape[0]
    assert side >= 2 * INSET_HALF_PX * 4


def test_the_alert_snapshot_has_the_inset(monkeypatch, tmp_path):
    from tests.test_sweep_runtime import CAMERA, sweep

    outcome = sweep(tmp_path, objects=CAMERA)
    assert outcome.lens_alerts
    with Logbook.on_device(tmp_path / "logbook") as book:
        alerts = [r.body_dict() for r in book.records() if r.kind == "alert"]
        snaps = [e for a in alerts for e in a.get("evidence_files", [])
                 if e["role"] == "snapshot"]
        assert snaps
        image = Image.open(io.BytesIO(book.evidence.read(snaps[0]["sha256"])))
    assert image.height > 480  # the live view (480 high) and the inset below it
