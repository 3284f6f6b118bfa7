"""The handheld's screen through luma: ST7789 or ILI9341 colour TFT (320x240) on SPI, or
an SSD1306 128x64 OLED as a text-only fallback."""

from __future__ import annotations

from typing import Any

from detector.errors import require
from detector.hw.display import LumaDisplay

LUMA_HINT = "pip install 'restroom-camera-detector[pi]' (luma.lcd and luma.oled)"


def make_luma_device(settings: dict[str, Any], serial_interface: Any = None,
                     gpio: Any = None) -> Any:
    """Build the luma device named by the [display] settings. `serial_interface` and
    `gpio` (an RPi.GPIO-compatible module, for the backlight) are injected in tests; on
    the Pi they are luma.core's SPI (TFT) or I2C (OLED) interface and RPi.GPIO."""
    driver = settings["driver"]
    rotate = settings.get("rotate", 0)
    if driver == "ssd1306":
        oled = require("luma.oled.device", LUMA_HINT)
        if serial_interface is None:
            from luma.core.interface.serial import i2c

            serial_interface = i2c(port=1, address=0x3C)
        return oled.ssd1306(serial_interface, width=128, height=64, rotate=rotate)
    lcd = require("luma.lcd.device", LUMA_HINT)
    if serial_interface is None:
        from luma.core.interface.serial import spi

        serial_interface = spi(port=settings["spi_port"], device=settings["spi_device"],
                               gpio_DC=settings["dc_pin"], gpio_RST=settings["reset_pin"],
                               bus_speed_hz=32_000_000)
    cls = lcd.st7789 if driver == "st7789" else lcd.ili9341
    return cls(serial_interface, width=settings["width"], height=settings["height"],
               rotate=rotate, gpio_LIGHT=settings["backlight_pin"], gpio=gpio)


def pi_display(settings: dict[str, Any]) -> LumaDisplay:
    return LumaDisplay(make_luma_device(settings))
