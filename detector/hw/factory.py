"""Builds the devices a session uses from the configuration; nothing is global.

Each device's backend is named in [backend]; the caller passes what a backend needs
(a scenario for sim, a recording for replay, an output directory for captured screens).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from detector.config import Config
from detector.errors import DetectorError
from detector.hw.buttons import Buttons
from detector.hw.buzzer import Buzzer
from detector.hw.camera import Camera
from detector.hw.clock import Clock, SimClock, SystemClock
from detector.hw.display import Display
from detector.hw.lights import Lights
from detector.sim.scenario import Scenario


@dataclass
class Devices:
    clock: Clock
    camera: Camera
    lights: Lights
    buzzer: Buzzer
    display: Display
    buttons: Buttons

    def close(self) -> None:
        """Release everything, even if one part fails to close."""
        errors = []
        for part in (self.camera.stop, self.lights.close, self.buzzer.close,
                     self.display.close, self.buttons.close):
            try:
                part()
            except Exception as exc:  # noqa: BLE001 - report after closing the rest
                errors.append(exc)
        if errors:
            raise DetectorError(f"while closing devices: {errors[0]}")


def build_devices(config: Config, *, scenario: Scenario | None = None,
                  recording: str | Path | None = None, out_dir: str | Path | None = None,
                  seconds: float | None = None,
                  presses: list[tuple[float, str, bool]] | None = None,
                  pin_factory: Any = None) -> Devices:
    backend = config.section("backend")
    if backend["camera"] == "sim" and scenario is None:
        raise DetectorError("the sim camera needs a scenario (detector sim SCENARIO)")
    clock: Clock = SimClock() if backend["camera"] in ("sim", "replay") else SystemClock()
    lights = _lights(config, backend["lights"], clock, pin_factory)
    camera = _camera(config, backend["camera"], scenario, recording, lights, clock, seconds)
    buzzer = _buzzer(config, backend["buzzer"], clock, pin_factory)
    display = _display(config, backend["display"], out_dir)
    buttons = _buttons(config, backend["buttons"], clock, presses or [], pin_factory)
    return Devices(clock=clock, camera=camera, lights=lights, buzzer=buzzer, display=display,
                   buttons=buttons)


def _no_backend(part: str, kind: str) -> DetectorError:
    return DetectorError(f"backend.{part}: there is no {kind!r} backend for the {part} "
                         f"(detector config show --ranges lists them)")


def _lights(config: Config, kind: str, clock: Clock, pin_factory: Any) -> Lights:
    if kind not in ("pi", "sim"):
        raise _no_backend("lights", kind)
    if kind == "pi":
        from detector.hw.pi.gpio import GpioLights

        s = config.section("lights")
        return GpioLights(s["onaxis_pin"], s["offaxis_pin"], s["active_high"],
                          pin_factory=pin_factory, clock=clock)
    from detector.hw.sim.lights import SimLights

    return SimLights(clock)


def _camera(config: Config, kind: str, scenario: Scenario | None, recording, lights: Lights,
            clock: Clock, seconds: float | None) -> Camera:
    cam = config.section("camera")
    if kind == "pi":
        from detector.hw.pi.camera import PiCamera

        return PiCamera(lights, resolution=tuple(cam["resolution"]), fps=cam["fps"],
                        exposure_us=cam["exposure_us"], analogue_gain=cam["analogue_gain"],
                        readout_ms=cam["readout_ms"], sensor_mode=tuple(cam["sensor_mode"]))
    if kind not in ("pi", "sim", "replay"):
        raise _no_backend("camera", kind)
    if kind == "replay":
        if recording is None:
            raise DetectorError("the replay camera needs a recorded session directory")
        from detector.hw.replay import ReplayCamera

        return ReplayCamera(str(recording))
    from detector.hw.sim.camera import SimCamera

    assert scenario is not None and isinstance(clock, SimClock)
    sim = config.section("sim")
    return SimCamera(scenario, lights, clock, gain=cam["analogue_gain"],
                     readout_ms=cam["readout_ms"], switch_latency_ms=sim["switch_latency_ms"],
                     switch_late_prob=sim["switch_late_prob"],
                     switch_late_ms=sim["switch_late_ms"], seconds=seconds)


def _buzzer(config: Config, kind: str, clock: Clock, pin_factory: Any) -> Buzzer:
    if kind not in ("pi", "sim"):
        raise _no_backend("buzzer", kind)
    if kind == "pi":
        from detector.hw.pi.gpio import GpioBuzzer

        s = config.section("buzzer")
        return GpioBuzzer(s["pin"], s["tonal"], pin_factory=pin_factory)
    from detector.hw.sim.devices import SimBuzzer

    return SimBuzzer(clock)


def _display(config: Config, kind: str, out_dir) -> Display:
    s = config.section("display")
    size = (s["width"], s["height"]) if s["driver"] != "ssd1306" else (128, 64)
    if kind not in ("pi", "sim"):
        raise _no_backend("display", kind)
    if kind == "pi":
        from detector.hw.pi.display import pi_display

        return pi_display(s)
    from detector.hw.sim import display

    mode = config.get("sim.display")
    if mode == "window":
        return display.window_display(size)
    if mode == "capture" and out_dir is not None:
        return display.CaptureDisplay(out_dir, size)
    return display.null_display(size)


def _buttons(config: Config, kind: str, clock: Clock, presses, pin_factory: Any) -> Buttons:
    s = config.section("buttons")
    if kind not in ("pi", "sim"):
        raise _no_backend("buttons", kind)
    if kind == "pi":
        from detector.hw.pi.gpio import GpioButtons

        pins = {"select": s["select_pin"], "up": s["up_pin"], "down": s["down_pin"]}
        return GpioButtons(pins, s["hold_s"], s["bounce_s"], pin_factory=pin_factory,
                           clock=clock)
    from detector.hw.sim.devices import SimButtons

    start = clock.start_ns if isinstance(clock, SimClock) else 0
    if config.get("sim.display") == "window":
        from detector.hw.sim.keyboard import KeyboardButtons

        return KeyboardButtons(clock, start_ns=start, script=presses, hold_s=s["hold_s"])
    return SimButtons(clock, start_ns=start, script=presses)
