"""The camera interface and the frame it delivers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np

LIGHT_LABELS = ("onaxis", "offaxis", "dark", "mixed")


@dataclass
class Frame:
    """One camera frame.

    t_ns: start of the exposure of the first row (monotonic clock, ns).
    lights: LED state that lit the whole exposure, or `mixed`.
    image: 2-D grayscale, uint8 or uint16.
    """

    index: int
    t_ns: int
    exposure_us: float
    lights: str
    image: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)


class Camera(ABC):
    """A source of labelled grayscale frames.

    A backend must override `read`. It may override `start` and `stop` (acquire and
    release the device; the defaults do nothing), `resolution` and `sensor_modes`.
    Exposure, gain and frame duration are fixed when the camera starts and never change
    per frame (libcamera applies per-frame changes several frames late).
    """

    def start(self) -> None:  # noqa: B027 - optional hook
        """Acquire the device and begin streaming."""

    def stop(self) -> None:  # noqa: B027 - optional hook
        """Stop streaming and release the device."""

    @abstractmethod
    def read(self) -> Frame | None:
        """The next frame, or None when the stream has ended (replay, simulation)."""

    @property
    def resolution(self) -> tuple[int, int]:
        raise NotImplementedError

    @property
    def can_focus(self) -> bool:
        """Whether the lens position can be set (after start())."""
        return False

    def sensor_modes(self) -> list[dict[str, Any]]:
        """The sensor's modes as reported at run time (empty if unknown)."""
        return []

    def __enter__(self) -> Camera:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __iter__(self):
        while (frame := self.read()) is not None:
            yield frame


def lens_position(focus_m: float, offset_dioptres: float) -> float:
    """The lens position (dioptres, libcamera's LensPosition; 0 is infinity) that focuses
    a module whose calibrated offset is `offset_dioptres` at `focus_m`."""
    return max(0.0, 1.0 / focus_m + offset_dioptres)
