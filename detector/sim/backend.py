"""The `sim` backend: every part simulated from a scenario on one simulated clock.

Everything only simulation needs is read here and nowhere else: the scenario (a name,
a file or a Scenario), `seconds` (a shorter run), scripted button `presses` and injected
`faults` (as the command line writes them, or parsed). Faults are wrappers around the
parts built here: a camera stall withholds frames from the loop, an RF unplug pulls the
simulated scanner's cable. Truth collection is offered as an observer for evaluation
and recordings to attach.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import Any

from detector.backends import BuildContext, Builder, Devices, Feed, Session
from detector.config import Config
from detector.errors import DetectorError
from detector.feeds import NOTHING, LockstepFeed
from detector.hw.buttons import Buttons
from detector.hw.buzzer import Buzzer
from detector.hw.camera import Camera, Frame, lens_position
from detector.hw.clock import Clock, SimClock
from detector.hw.display import Display
from detector.hw.lights import Lights
from detector.settings import (
    ButtonsSettings,
    CalibrationSettings,
    CameraSettings,
    DisplaySettings,
    RfSettings,
    SimSettings,
)
from detector.sim.faults import InjectedFault, StalledFrames, parse_fault
from detector.sim.scenario import Scenario, load_scenario

OPTIONS = ("scenario", "seconds", "presses", "faults")


class SimBuilder(Builder):
    name = "sim"

    def prepare(self, ctx: BuildContext) -> Config:
        """Read the simulation options once; the camera takes the scenario's field of
        view."""
        unknown = set(ctx.options) - set(OPTIONS)
        if unknown:
            raise DetectorError(f"the sim backend takes no {', '.join(sorted(unknown))}")
        scenario = ctx.options.get("scenario")
        if isinstance(scenario, str):
            scenario = ctx.options["scenario"] = load_scenario(scenario)
        ctx.options["presses"] = [_press(p) for p in ctx.options.get("presses") or []]
        ctx.options["faults"] = [f if isinstance(f, InjectedFault) else _fault(f)
                                 for f in ctx.options.get("faults") or []]
        seconds = ctx.options.get("seconds")
        if seconds is not None and seconds <= 0:
            raise DetectorError("--seconds: expected a positive number")
        if scenario is None:
            return ctx.config
        return ctx.config.with_values(camera={"hfov_deg": scenario.device.hfov_deg})

    def clock(self, ctx: BuildContext) -> Clock:
        return SimClock()

    def lights(self, ctx: BuildContext) -> Lights:
        from detector.hw.sim.lights import SimLights

        return SimLights(ctx.clock)

    def camera(self, ctx: BuildContext) -> Camera:
        from detector.hw.sim.camera import SimCamera

        scenario = ctx.options.get("scenario")
        if scenario is None:
            raise DetectorError("the sim camera needs a scenario (detector sim SCENARIO)")
        if isinstance(scenario, str):
            scenario = load_scenario(scenario)
        assert isinstance(ctx.clock, SimClock)
        cam, sim = CameraSettings.of(ctx.config), SimSettings.of(ctx.config)
        # The module focuses where its lens is set, off by its own error (sim.focus_error).
        offset = CalibrationSettings.of(ctx.config).lens_offset_dioptres
        dioptres = lens_position(cam.focus_m, offset) + sim.focus_error_dioptres
        return SimCamera(scenario, ctx.lights, ctx.clock, gain=cam.analogue_gain,
                         readout_ms=cam.readout_ms, switch_latency_ms=sim.switch_latency_ms,
                         switch_late_prob=sim.switch_late_prob,
                         switch_late_ms=sim.switch_late_ms, seconds=ctx.options.get("seconds"),
                         focus_m=1.0 / dioptres if dioptres else math.inf)

    def buzzer(self, ctx: BuildContext) -> Buzzer:
        from detector.hw.sim.devices import SimBuzzer

        return SimBuzzer(ctx.clock)

    def display(self, ctx: BuildContext) -> Display:
        from detector.hw.sim import display

        size = DisplaySettings.of(ctx.config).size
        mode = SimSettings.of(ctx.config).display
        if mode == "window":
            return display.window_display(size)
        if mode == "capture" and ctx.out_dir is not None:
            return display.CaptureDisplay(ctx.out_dir, size)
        return display.null_display(size)

    def buttons(self, ctx: BuildContext) -> Buttons:
        from detector.hw.sim.devices import SimButtons

        clock = ctx.clock
        start = clock.start_ns if isinstance(clock, SimClock) else 0
        presses = [_press(p) for p in ctx.options.get("presses") or []]
        if SimSettings.of(ctx.config).display == "window":
            from detector.hw.sim.keyboard import KeyboardButtons

            hold_s = ButtonsSettings.of(ctx.config).hold_s
            return KeyboardButtons(clock, start_ns=start, script=presses, hold_s=hold_s)
        return SimButtons(clock, start_ns=start, script=presses)

    def session(self, ctx: BuildContext, devices: Devices, rf: bool) -> Session:
        scenario: Scenario = ctx.options["scenario"]
        clock = devices.clock
        assert isinstance(clock, SimClock)
        faults: list[InjectedFault] = ctx.options.get("faults") or []
        sim = SimSettings.of(ctx.config)
        realtime = sim.display == "window"

        def feed(frames: Iterator[Frame]) -> Feed:
            inner = LockstepFeed(StalledFrames(frames, faults, clock.start_ns, NOTHING)
                                 if faults else frames)
            return RealtimeFeed(inner, clock) if realtime else inner

        def truth() -> Any:
            from detector.sim.truth import TruthCollector

            return TruthCollector(scenario, clock.start_ns)

        return Session("sim", devices, feed=feed, config=ctx.config,
                       description=describe(scenario, ctx.config),
                       display_period_s=sim.display_every / scenario.device.fps,
                       simulated=True, title=scenario.name,
                       room_hint=f"{scenario.name} {scenario.description}",
                       radio=_radio(ctx.config, scenario, clock, faults) if rf else None,
                       truth=truth, wifi=_wifi(sim, scenario, clock, ctx.options.get("seconds")))


def _wifi(sim: SimSettings, scenario: Scenario, clock: SimClock,
          seconds: float | None) -> Any:
    """The simulated adapter hearing the room's Wi-Fi traffic, hopping as on the device."""
    if not sim.wifi:
        return None
    from detector.sim.wifi_source import SimWifiSource
    from detector.wifi.monitor import WifiMonitor

    return WifiMonitor(SimWifiSource(scenario, clock.start_ns, seconds), clock.start_ns)


def _press(press: Any) -> tuple[float, str, bool]:
    from detector.hw.sim.devices import parse_press

    if not isinstance(press, str):
        return press
    try:
        return parse_press(press)
    except ValueError as exc:
        raise DetectorError(str(exc)) from None


def _fault(text: str) -> InjectedFault:
    try:
        return parse_fault(text)
    except ValueError as exc:
        raise DetectorError(str(exc)) from None


def _radio(config: Config, scenario: Scenario, clock: SimClock,
           faults: list[InjectedFault]) -> Any:
    """The simulated scanner unit (sim.unit) behind our client, when the configuration
    points at rfsim:// with our firmware; else the configured scanner (rfxsim://, or a
    real one on a serial port)."""
    from detector.rf.analysis import RfParams
    from detector.rf.frontend import FrontEnd

    if RfSettings.of(config).port.startswith("rfsim://") and RfSettings.of(config).scanner == "firmware":
        from detector.rf.sim.radio import SimulatedRadio
        from detector.rf.sim.unit import SimUnit

        unplugs = [f for f in faults if f.kind == "rf-unplug"]
        unplugged: Callable[[float], bool] | None = (
            (lambda t_s: any(f.active(t_s) for f in unplugs)) if unplugs else None)
        return SimulatedRadio(scenario, clock, unit=SimUnit.draw(SimSettings.of(config).unit),
                              frontend=FrontEnd.from_config(config),
                              baseline_s=RfSettings.of(config).baseline_s,
                              params=RfParams.of(config), unplugged=unplugged)
    from detector.rf.scanners import open_radio

    return open_radio(config, clock)


def describe(scenario: Scenario, config: Config) -> dict[str, Any]:
    """The simulated device as a recording describes it."""
    d = scenario.device
    return {"camera": "imx708_noir (simulated)", "resolution": list(d.resolution),
            "hfov_deg": d.hfov_deg, "fps": d.fps, "exposure_us": d.exposure_us,
            "ring_mm": d.ring_mm, "offaxis_mm": d.offaxis_mm,
            "analogue_gain": CameraSettings.of(config).analogue_gain}


class RealtimeFeed:
    """A person is watching (sim.display = window): frames come no faster than real
    time, holding the simulated clock to the wall's."""

    def __init__(self, inner: LockstepFeed, clock: SimClock) -> None:
        self.inner = inner
        self.clock = clock
        self.threaded = inner.threaded
        self.error: BaseException | None = None
        self._started: float | None = None

    @property
    def dropped(self) -> int:
        return self.inner.dropped

    def start(self) -> None:
        self._started = time.perf_counter()
        self.inner.start()

    def get(self, timeout_s: float = 0.0) -> Any:
        item = self.inner.get(timeout_s)
        started = self._started if self._started is not None else time.perf_counter()
        ahead = self.clock.seconds() - (time.perf_counter() - started)
        if ahead > 0:
            time.sleep(ahead)
        return item

    def stop(self) -> None:
        self.inner.stop()


BUILDER = SimBuilder()
