"""Simulated displays through luma.emulator: PNG capture plus an animated GIF headless,
or a pygame window where there is a screen. The same luma device interface as on the
Pi, so the screens drawn in ui/ go through identical code."""

from __future__ import annotations

import atexit
import os
import sys
from pathlib import Path

from PIL import Image

from detector.errors import DetectorError, MissingLibraryError
from detector.hw.display import Display, LumaDisplay


def _emulator():
    # luma.emulator imports pygame; without a screen it must not try to open one.
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    try:
        from luma.emulator import device
    except ImportError:
        raise MissingLibraryError(
            "luma.emulator is not installed: pip install 'restroom-camera-detector[sim]'"
        ) from None
    return device


class CaptureDisplay(Display):
    """Writes every shown screen to out_dir/display/NNNNNN.png and, on close, all of them
    to out_dir/display.gif (luma.emulator's capture and gifanim devices)."""

    def __init__(self, out_dir: str | Path, size: tuple[int, int] = (320, 240),
                 frame_ms: int = 100) -> None:
        device = _emulator()
        self.out_dir = Path(out_dir)
        (self.out_dir / "display").mkdir(parents=True, exist_ok=True)
        # A run into the same --out replaces the screens of the one before (only the
        # numbered screens this display writes; anything else there is left alone).
        for old in (self.out_dir / "display").glob("[0-9][0-9][0-9][0-9][0-9][0-9].png"):
            old.unlink()
        width, height = size
        template = str(self.out_dir / "display" / "{0:06d}.png")
        self.capture = device.capture(width=width, height=height, mode="RGB",
                                      transform="none", file_template=template)
        self.gif = device.gifanim(width=width, height=height, mode="RGB", transform="none",
                                  filename=str(self.out_dir / "display.gif"),
                                  duration=frame_ms / 1000.0)
        # We write the GIF on close; luma would write it again at interpreter exit.
        atexit.unregister(self.gif.write_animation)
        self._size = size
        self._closed = False

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    def show(self, image: Image.Image) -> None:
        if image.size != self._size:
            raise ValueError(f"screen image is {image.size}, the display is {self._size}")
        image = image.convert("RGB")
        self.capture.display(image)
        self.gif.display(image)

    def close(self) -> None:
        if not self._closed:
            self.gif.write_animation()
            self._closed = True


def window_display(size: tuple[int, int] = (320, 240)) -> LumaDisplay:
    """A pygame window showing the handheld's screen at twice its size. Where there is no
    screen to open it on, a one-line error instead of a window nobody sees (SDL's dummy
    driver, set on purpose, is allowed: tests and headless runs)."""
    if sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
            or os.environ.get("SDL_VIDEODRIVER") == "dummy"):
        raise DetectorError("--display window: there is no screen here (DISPLAY is not "
                            "set); use --display capture to get the screens as PNG files")
    device = _emulator()
    return LumaDisplay(device.pygame(width=size[0], height=size[1], mode="RGB",
                                     transform="scale2x", scale=2))


def null_display(size: tuple[int, int] = (320, 240)) -> LumaDisplay:
    """luma.core's dummy device: keeps the last image, shows nothing (tests, --no-display)."""
    from luma.core.device import dummy

    return LumaDisplay(dummy(width=size[0], height=size[1], mode="RGB"))
