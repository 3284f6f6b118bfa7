"""The display interface: shows PIL images through a luma device."""

from __future__ import annotations

from abc import ABC, abstractmethod

from PIL import Image


class Display(ABC):
    """A small screen. A backend must override `show(image)` and `size`; it may override
    `close`. Screens are drawn as PIL images of exactly `size` (ui/ draws them), so the
    same drawing code serves the TFT, the OLED, the emulator and the tests."""

    @property
    @abstractmethod
    def size(self) -> tuple[int, int]: ...

    @property
    def mode(self) -> str:
        """PIL mode the device takes: "RGB" for colour TFTs, "1" for the OLED."""
        return "RGB"

    @abstractmethod
    def show(self, image: Image.Image) -> None: ...

    def close(self) -> None:  # noqa: B027 - optional hook
        pass


class LumaDisplay(Display):
    """Any luma.core device (st7789, ili9341, ssd1306, emulator, dummy) as a Display."""

    def __init__(self, device) -> None:
        self.device = device
        self.shown = 0

    @property
    def size(self) -> tuple[int, int]:
        return tuple(self.device.size)  # type: ignore[return-value]

    @property
    def mode(self) -> str:
        return self.device.mode

    def show(self, image: Image.Image) -> None:
        if image.size != self.size:
            raise ValueError(f"screen image is {image.size}, the display is {self.size}")
        if image.mode != self.mode:
            image = image.convert(self.mode)
        self.device.display(image)
        self.shown += 1

    def close(self) -> None:
        self.device.cleanup()
