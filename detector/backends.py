"""Backends by name: `pi` (the device's hardware), `sim` (the simulator) and `replay` (a
recorded session). Each is a builder in its own package, found through BUILDERS and
imported only when named, so nothing here (or in the loop) imports the simulator.

The [backend] section names a backend for each part; the camera's backend also supplies
the clock, the radio and how frames reach the loop (a thread on the Pi, lockstep in
simulation). What only one backend needs (a scenario, scripted presses, injected faults,
a recording) is passed as `options` and read by that backend's builder alone. An
unknown backend name is an error, never a silent fallback.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from detector.config import Config
from detector.errors import DetectorError
from detector.hw.buttons import Buttons
from detector.hw.buzzer import Buzzer
from detector.hw.camera import Camera, Frame
from detector.hw.clock import Clock
from detector.hw.display import Display
from detector.hw.lights import Lights
from detector.settings import BackendSettings

# name -> module holding BUILDER (a Builder)
BUILDERS = {
    "pi": "detector.hw.pi.backend",
    "sim": "detector.sim.backend",
    "replay": "detector.hw.replay",
}
PARTS = ("camera", "lights", "buzzer", "display", "buttons")

FrameObserver = Callable[[Frame], None]


@dataclass
class BuildContext:
    """What builders are given: the configuration, where captured screens go, the
    backend-specific options, and a gpiozero pin factory (tests: MockFactory)."""

    config: Config
    out_dir: Path | None = None
    options: dict[str, Any] = field(default_factory=dict)
    pin_factory: Any = None
    # Filled in as parts are built (the camera needs the lights and the clock).
    clock: Clock | None = None
    lights: Lights | None = None


class Feed(Protocol):
    """How frames reach the loop (detector/feeds.py)."""

    threaded: bool
    dropped: int
    error: BaseException | None

    def start(self) -> None: ...

    def get(self, timeout_s: float = 0.0) -> Any: ...

    def stop(self) -> None: ...


class Builder:
    """One backend. A part it cannot provide stays None; the others are methods taking
    the BuildContext."""

    name = ""
    camera: Callable[[BuildContext], Camera] | None = None
    lights: Callable[[BuildContext], Lights] | None = None
    buzzer: Callable[[BuildContext], Buzzer] | None = None
    display: Callable[[BuildContext], Display] | None = None
    buttons: Callable[[BuildContext], Buttons] | None = None

    def prepare(self, ctx: BuildContext) -> Config:
        """The configuration the session runs with (sim: the scenario's field of view)."""
        return ctx.config

    def clock(self, ctx: BuildContext) -> Clock:
        raise DetectorError(f"the {self.name} backend has no camera to run a sweep on")

    def session(self, ctx: BuildContext, devices: Devices, rf: bool) -> Session:
        raise DetectorError(f"the {self.name} backend cannot run a sweep")


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


@dataclass
class Session:
    """Everything a sweep runs on, from the camera's backend: the devices, the
    configuration as the backend prepared it, the radio and the Wi-Fi monitor (None
    without), how frames
    arrive, what the recording says of the device, the display's
    refresh interval, observers of every frame, and whether the room is simulated."""

    name: str
    devices: Devices
    feed: Callable[[Iterator[Frame]], Feed]
    config: Config  # the configuration the session runs with (sim: the scenario's view)
    description: dict[str, Any]
    display_period_s: float
    simulated: bool
    title: str = ""
    checks_in: bool = False  # the inspector checks in on the device (else at once)
    room_hint: str = ""  # text to guess the room type from (a scenario's description)
    radio: Any = None
    observers: list[FrameObserver] = field(default_factory=list)
    truth: Callable[[], Any] | None = None  # simulation: a truth collector to attach
    wifi: Any = None  # a WifiMonitor (wifi/monitor.py), None without an adapter
    closers: list[Callable[[], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # With both, the RF analysis asks the Wi-Fi monitor what its traffic explains.
        if self.radio is not None and self.wifi is not None:
            self.radio.analyzer.use_explainer(self.wifi.analyzer)

    def close(self) -> None:
        first: Exception | None = None
        radio = [self.radio.close] if self.radio is not None else []
        wifi = [self.wifi.close] if self.wifi is not None else []
        for close in [*self.closers, *radio, *wifi, self.devices.close]:
            try:
                close()
            except Exception as exc:  # noqa: BLE001 - close the rest, then report
                first = first or exc
        if first is not None:
            raise first


def builder(name: str) -> Any:
    """The builder registered under `name`."""
    if name not in BUILDERS:
        raise DetectorError(f"there is no {name!r} backend (there are {', '.join(BUILDERS)})")
    return importlib.import_module(BUILDERS[name]).BUILDER


def _part(ctx: BuildContext, part: str, kind: str) -> Any:
    make = getattr(builder(kind), part, None) if kind in BUILDERS else None
    if make is None:
        raise DetectorError(f"backend.{part}: there is no {kind!r} backend for the {part} "
                            f"(detector config show --ranges lists them)")
    try:
        return make(ctx)
    except DetectorError:
        raise
    except Exception as exc:  # noqa: BLE001 - a part that cannot start: one line, not a trace
        raise DetectorError(f"backend.{part} = {kind}: the {part} did not start "
                            f"({type(exc).__name__}: {exc})") from exc


def build_devices(config: Config, *, out_dir: str | Path | None = None,
                  pin_factory: Any = None, **options: Any) -> Devices:
    """Every part from its configured backend; `options` go to the backends (sim:
    scenario, seconds, presses; replay: recording)."""
    return _build(BuildContext(config, Path(out_dir) if out_dir else None, options,
                               pin_factory))


def _build(ctx: BuildContext) -> Devices:
    kinds = BackendSettings.of(ctx.config)
    camera_builder = builder(kinds.camera)
    ctx.clock = camera_builder.clock(ctx)
    ctx.lights = _part(ctx, "lights", kinds.lights)
    camera = _part(ctx, "camera", kinds.camera)
    return Devices(clock=ctx.clock, camera=camera, lights=ctx.lights,
                   buzzer=_part(ctx, "buzzer", kinds.buzzer),
                   display=_part(ctx, "display", kinds.display),
                   buttons=_part(ctx, "buttons", kinds.buttons))


def build_display(config: Config, out_dir: Path | None = None) -> Display:
    """The display alone, from its configured backend (pairing codes, messages)."""
    return _part(BuildContext(config, out_dir), "display",
                 BackendSettings.of(config).display)


def open_session(config: Config, *, rf: bool = True, out_dir: Path | None = None,
                 pin_factory: Any = None, **options: Any) -> Session:
    """Build a sweep's session on the camera's backend."""
    ctx = BuildContext(config, out_dir, options, pin_factory)
    make = builder(BackendSettings.of(config).camera)
    ctx.config = make.prepare(ctx)
    devices = _build(ctx)
    try:
        return make.session(ctx, devices, rf)
    except BaseException:
        devices.close()
        raise
