"""The capture loop shared by every backend: read a frame, then switch the LEDs for the
next one (the switch lands in the gap between exposures; a late one makes a mixed frame,
which the camera backend labels from the switch log)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from detector.hw.camera import Camera, Frame
from detector.hw.lights import Lights, LightSequencer


def capture_frames(camera: Camera, lights: Lights, sequencer: LightSequencer,
                   max_frames: int | None = None) -> Iterator[Frame]:
    lights.set(sequencer.state_for(0))
    count = 0
    while max_frames is None or count < max_frames:
        frame = camera.read()
        if frame is None:
            return
        lights.set(sequencer.state_for(frame.index + 1))
        # Keep the log short: frames already delivered never look back.
        lights.trim_log(frame.t_ns)
        count += 1
        yield frame


def labelled_images(devices: Any, pattern: Sequence[str],
                    max_frames: int | None = None) -> list[tuple[str, np.ndarray]]:
    """Start the camera and capture (light state, image) pairs, mixed frames left out:
    what calibration and the self-test measure."""
    devices.camera.start()
    return [(f.lights, f.image) for f in capture_frames(
        devices.camera, devices.lights, LightSequencer(pattern), max_frames=max_frames)
        if f.lights != "mixed"]
