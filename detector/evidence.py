"""Evidence files for alerts and findings, and the picture the live view shows.

The keeper remembers the last few frames and RF readings. For an alert it gives the
annotated view (the lens enlarged below it, on-axis next to off-axis); for a finding also
the frames around it (the last two frame sets) and the latest RF spectrum of each
receiver.
"""

from __future__ import annotations

import io
import json
from collections import deque
from typing import Any

import numpy as np
from PIL import Image

from detector.hw.camera import Frame
from detector.inspection import Blob
from detector.optics import LensDetector
from detector.session.inputs import Evidence
from detector.session.status import LiveStatus
from detector.ui.screens import live_view
from detector.ui.view import brighten, lens_inset, scene_gain

SNAPSHOT_SIZE = (640, 480)  # the annotated view kept as evidence
RECENT_FRAMES = 6  # two frame sets
RECENT_READINGS = 5  # per receiver


def png(image: Image.Image | np.ndarray) -> bytes:
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image if image.dtype == np.uint8
                                else (image >> 8).astype(np.uint8))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


class EvidenceKeeper:
    """Keeps what evidence is made of and makes the evidence files."""

    def __init__(self, lens: LensDetector) -> None:
        self.lens = lens
        self.frames: deque[Frame] = deque(maxlen=RECENT_FRAMES)
        self.rf: dict[str, deque[dict[str, Any]]] = {}

    def add_frame(self, frame: Frame) -> None:
        self.frames.append(frame)

    def add_rf(self, readings: list[dict[str, Any]]) -> None:
        for reading in readings:
            self.rf.setdefault(reading["source"], deque(maxlen=RECENT_READINGS)).append(reading)

    def view(self) -> tuple[np.ndarray, int] | None:
        """The camera picture of the live view and its frame index: the on-axis frame of
        the latest complete set (the markers are in its pixels); before the first set,
        the latest on-axis frame; never a dark, off-axis or mixed one (None until an
        on-axis frame has come)."""
        if self.lens.last is not None:
            fs = self.lens.last.frame_set
            return fs.onaxis, fs.index
        frame = next((f for f in reversed(self.frames) if f.lights == "onaxis"), None)
        return (frame.image, frame.index) if frame is not None else None

    def blobs(self, status: LiveStatus, wanted: Evidence) -> list[Blob]:
        blobs: list[Blob] = []
        view = self.view()
        if view is not None:
            blobs.append(("snapshot", "image/png",
                          png(self.snapshot(view[0], status, wanted.focus))))
        if wanted.frames:
            for f in self.frames:
                blobs.append((f"frame {f.index} {f.lights}", "image/png", png(f.image)))
        if self.rf:
            spectrum = {source: list(readings) for source, readings in self.rf.items()}
            blobs.append(("rf spectrum", "application/json",
                          json.dumps(spectrum, sort_keys=True).encode()))
        return blobs

    def snapshot(self, frame: np.ndarray, status: LiveStatus,
                 focus: tuple[float, float] | None) -> Image.Image:
        """The live view at evidence size and, below it when a lens is marked, the inset
        of the lens from the set's on-axis and off-axis frames."""
        view = live_view(brighten(frame, scene_gain(frame)), status, SNAPSHOT_SIZE)
        if focus is None:
            confirmed = [(x, y) for x, y, kind in status.markers if kind == "confirmed"]
            focus = confirmed[0] if confirmed else None
        last = self.lens.last
        if focus is None or last is None:
            return view
        inset = lens_inset(last.frame_set.onaxis, last.frame_set.offaxis, *focus)
        out = Image.new("RGB", (view.width, view.height + inset.height + 8), (0, 0, 0))
        out.paste(view, (0, 0))
        out.paste(inset, ((view.width - inset.width) // 2, view.height + 4))
        return out
