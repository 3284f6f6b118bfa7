"""The `pi` backend: the Raspberry Pi's camera, LED groups, buzzer, display and buttons,
the RF scanner on USB serial, and the camera in its own thread (it must keep switching
the LEDs on time; the loop takes frames from a queue that drops the oldest)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from detector.backends import BuildContext, Builder, Devices, Feed, Session
from detector.feeds import ThreadedFeed
from detector.hw.buttons import Buttons
from detector.hw.buzzer import Buzzer
from detector.hw.camera import Camera, Frame
from detector.hw.clock import Clock, SystemClock
from detector.hw.display import Display
from detector.hw.lights import Lights
from detector.settings import (
    ButtonsSettings,
    BuzzerSettings,
    CalibrationSettings,
    CameraSettings,
    DisplaySettings,
    LightsSettings,
    WifiSettings,
)

DISPLAY_PERIOD_S = 0.1  # the device redraws about ten times a second


class PiBuilder(Builder):
    name = "pi"

    def clock(self, ctx: BuildContext) -> Clock:
        return SystemClock()

    def lights(self, ctx: BuildContext) -> Lights:
        from detector.hw.pi.gpio import GpioLights

        s = LightsSettings.of(ctx.config)
        return GpioLights(s.onaxis_pin, s.offaxis_pin, s.active_high,
                          pin_factory=ctx.pin_factory, clock=ctx.clock)

    def camera(self, ctx: BuildContext) -> Camera:
        from detector.hw.pi.camera import PiCamera

        cam = CameraSettings.of(ctx.config)
        offset = CalibrationSettings.of(ctx.config).lens_offset_dioptres
        return PiCamera(ctx.lights, resolution=cam.resolution, fps=cam.fps,
                        exposure_us=cam.exposure_us, analogue_gain=cam.analogue_gain,
                        readout_ms=cam.readout_ms, sensor_mode=cam.sensor_mode,
                        focus_m=cam.focus_m, lens_offset_dioptres=offset)

    def buzzer(self, ctx: BuildContext) -> Buzzer:
        from detector.hw.pi.gpio import GpioBuzzer

        s = BuzzerSettings.of(ctx.config)
        return GpioBuzzer(s.pin, s.tonal, pin_factory=ctx.pin_factory)

    def display(self, ctx: BuildContext) -> Display:
        from detector.hw.pi.display import pi_display

        return pi_display(dataclasses.asdict(DisplaySettings.of(ctx.config)))

    def buttons(self, ctx: BuildContext) -> Buttons:
        from detector.hw.pi.gpio import GpioButtons

        s = ButtonsSettings.of(ctx.config)
        pins = {"select": s.select_pin, "up": s.up_pin, "down": s.down_pin}
        return GpioButtons(pins, s.hold_s, s.bounce_s, pin_factory=ctx.pin_factory,
                           clock=ctx.clock)

    def session(self, ctx: BuildContext, devices: Devices, rf: bool) -> Session:
        from detector.rf.scanners import open_radio

        return Session("pi", devices, feed=_threaded, config=ctx.config, description=describe(ctx),
                       display_period_s=DISPLAY_PERIOD_S, simulated=False, checks_in=True,
                       radio=open_radio(ctx.config, devices.clock) if rf else None,
                       wifi=_wifi(ctx, devices))


def _wifi(ctx: BuildContext, devices: Devices) -> Any:
    """The monitor-mode adapter, when the configuration names one (docs/wifi.md)."""
    interface = WifiSettings.of(ctx.config).interface
    if not interface:
        return None
    from detector.wifi.live import LiveCapture
    from detector.wifi.monitor import WifiMonitor
    from detector.wifi.vendors import Vendors

    start = devices.clock.monotonic_ns()
    return WifiMonitor(LiveCapture.open(interface, devices.clock), start, Vendors.load())


def _threaded(frames: Iterator[Frame]) -> Feed:
    return ThreadedFeed(frames)


def describe(ctx: BuildContext) -> dict[str, Any]:
    """The device as a recording describes it."""
    cam, lights = CameraSettings.of(ctx.config), LightsSettings.of(ctx.config)
    return {"camera": "picamera2", "resolution": list(cam.resolution),
            "hfov_deg": cam.hfov_deg, "fps": cam.fps, "exposure_us": cam.exposure_us,
            "ring_mm": lights.ring_mm, "offaxis_mm": lights.offaxis_mm,
            "analogue_gain": cam.analogue_gain}


BUILDER = PiBuilder()
