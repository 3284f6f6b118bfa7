"""Replay backend: plays a recorded session directory as a camera."""

from __future__ import annotations

from detector.hw.camera import Camera, Frame
from detector.recording import Recording, load_recording


class ReplayCamera(Camera):
    """Frames of a recording, in order, with their recorded labels and timestamps."""

    def __init__(self, recording: Recording | str) -> None:
        self.recording = recording if isinstance(recording, Recording) else load_recording(
            recording)
        self._position = 0

    @property
    def resolution(self) -> tuple[int, int]:
        return self.recording.resolution

    def read(self) -> Frame | None:
        if self._position >= len(self.recording.rows):
            return None
        row = self.recording.rows[self._position]
        self._position += 1
        return self.recording.load_frame(row)
