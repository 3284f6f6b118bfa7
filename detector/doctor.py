"""`detector doctor`: checks a device, one line per check, pass or fail with the fix.

Each check takes the configuration and the devices (built by the factory, so the same
checks run against the Pi's parts and, in tests, against simulated ones with faults
injected) and returns a Check. A check never raises: whatever goes wrong is its result.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from detector.backends import Devices
from detector.capture import capture_frames
from detector.config import Config
from detector.config import log_dir as config_log_dir
from detector.hw.lights import LightSequencer
from detector.settings import LightsSettings, RfSettings, WifiSettings

MIN_FREE_MB = 1024
LIGHT_FRAMES = 12
MIN_LIFT_DN = 2.0  # a lit frame must be this much brighter than a dark one, on average
EARLIEST = time.mktime((2025, 1, 1, 0, 0, 0, 0, 0, -1))


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    applies: bool = True  # False: says what is missing where it is not needed (simulation)

    def line(self) -> str:
        if not self.applies:
            return f"N/A   {self.name:<10} {self.detail}"
        mark = "PASS" if self.ok else "FAIL"
        return f"{mark}  {self.name:<10} {self.detail}" + ("" if self.ok else f"  -> {self.fix}")


@dataclass
class Context:
    config: Config
    devices: Devices | None
    devices_error: str | None
    log_dir: Path
    scanner: Callable[[], Any]  # makes the scanner client
    wall_clock: Callable[[], float] = time.time
    disk_usage: Callable[[str], Any] = shutil.disk_usage
    simulated: bool = False  # doctor --sim: a laptop, which has no device key or profile
    iw: Callable[[Sequence[str]], tuple[int, str]] | None = None  # None: the real `iw`


def _guard(name: str, fix: str, fn: Callable[[], Check]) -> Check:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - a check reports, it never crashes doctor
        return Check(name, False, f"{type(exc).__name__}: {exc}", fix)


def _device_check(name: str, fix: str):
    """A check of one of the devices: fails with the build error if they could not be
    built, and turns anything the check raises into its result."""

    def wrap(body: Callable[[Context, Devices], Check]) -> Callable[[Context], Check]:
        def check(ctx: Context) -> Check:
            if ctx.devices is None:
                return Check(name, False, f"cannot start the devices: {ctx.devices_error}",
                             fix)
            return _guard(name, fix, lambda: body(ctx, ctx.devices))

        check.__name__ = body.__name__
        check.__doc__ = body.__doc__
        return check

    return wrap


CAMERA_FIX = ("check the ribbon cable and camera.* settings; rpicam-hello --list-cameras "
              "must list the camera")
LIGHTS_FIX = ("check the MOSFETs, the LED strings and lights.onaxis_pin/offaxis_pin in "
              "hardware/pins.toml")


@_device_check("camera", CAMERA_FIX)
def check_camera(ctx: Context, devices: Devices) -> Check:
    camera = devices.camera
    camera.start()
    modes = camera.sensor_modes()  # read at run time, once the camera is open
    frame = camera.read()
    if frame is None:
        return Check("camera", False, "no frame arrived", CAMERA_FIX)
    h, w = frame.image.shape[:2]
    sizes = ", ".join(f"{m['size'][0]}x{m['size'][1]}" for m in modes
                      if "size" in m) or "not reported"
    return Check("camera", True, f"{w}x{h} frames; sensor modes {sizes}")


@_device_check("lights", LIGHTS_FIX)
def check_lights(ctx: Context, devices: Devices) -> Check:
    """Both LED groups must switch on their frames: measured as the mean brightness of
    the frames labelled on-axis and off-axis against the dark ones."""
    means: dict[str, list[float]] = {}
    pattern = LightsSettings.of(ctx.config).pattern
    frames = capture_frames(devices.camera, devices.lights, LightSequencer(pattern),
                            max_frames=LIGHT_FRAMES)
    for frame in frames:
        means.setdefault(frame.lights, []).append(float(np.mean(frame.image)))
    devices.lights.off()
    counts = ", ".join(f"{k} {len(v)}" for k, v in sorted(means.items()))
    missing = [g for g in ("onaxis", "offaxis", "dark") if g not in means]
    if missing:
        return Check("lights", False, f"no {', '.join(missing)} frames in {LIGHT_FRAMES} "
                                      f"({counts})", LIGHTS_FIX)
    dark = np.mean(means["dark"])
    lifts = {g: float(np.mean(means[g]) - dark) for g in ("onaxis", "offaxis")}
    weak = [g for g, lift in lifts.items() if not lift >= MIN_LIFT_DN]
    detail = (f"on-axis +{lifts['onaxis']:.1f} DN, off-axis +{lifts['offaxis']:.1f} DN "
              f"over dark ({counts})")
    if weak:
        return Check("lights", False, f"{' and '.join(weak)} do not light the scene: "
                                      f"{detail}", LIGHTS_FIX)
    return Check("lights", True, detail)


@_device_check("display", "check the SPI wiring, display.driver and the display pins in "
                          "hardware/pins.toml")
def check_display(ctx: Context, devices: Devices) -> Check:
    from detector.ui.screens import result_screen

    display = devices.display
    display.show(result_screen("doctor", ["display test"], display.size, display.mode))
    return Check("display", True, f"{display.size[0]}x{display.size[1]} "
                                  f"{'colour' if display.mode == 'RGB' else 'mono'}")


@_device_check("buzzer", "check the buzzer transistor and buzzer.pin in hardware/pins.toml")
def check_buzzer(ctx: Context, devices: Devices) -> Check:
    devices.buzzer.tone(2000.0)
    time.sleep(0.05)
    devices.buzzer.silence()
    return Check("buzzer", True, "played 2 kHz for 50 ms")


BUTTONS_FIX = "a button reads as held: check for a short to ground or a stuck switch"


@_device_check("buttons", BUTTONS_FIX)
def check_buttons(ctx: Context, devices: Devices) -> Check:
    held = [name for name, pressed in devices.buttons.held().items() if pressed]
    devices.buttons.poll()
    if held:
        return Check("buttons", False, f"{', '.join(held)} held down at start", BUTTONS_FIX)
    return Check("buttons", True, "select, up, down released")


def check_scanner(ctx: Context, wait_s: float = 3.0) -> Check:
    fix = ("plug in the RF scanner (it appears as /dev/rfscanner) and check rf.port and "
           "rf.scanner; flash firmware/ if it never answers")

    def run() -> Check:
        client = ctx.scanner()
        try:
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline:
                readings = client.poll()
                if client.online and readings:
                    hello = getattr(client, "hello", None) or {}
                    version = ".".join(map(str, hello.get("firmware", ()))) or "-"
                    return Check("scanner", True, f"{client.url}: handshake done, readings "
                                                  f"arriving, firmware {version}")
                if client.state == "incompatible":
                    break
                time.sleep(0.02)
            return Check("scanner", False, f"{client.url}: "
                                           f"{client.last_problem or 'no readings'}", fix)
        finally:
            client.close()

    return _guard("scanner", fix, run)


def check_clock(ctx: Context) -> Check:
    fix = "set the time (connect to a network once, or: sudo date -s '2026-11-25 09:00')"
    now = ctx.wall_clock()
    if now < EARLIEST:
        return Check("clock", False, f"reads {time.strftime('%Y-%m-%d', time.gmtime(now))}: "
                                     f"inspection records would carry a wrong date", fix)
    return Check("clock", True, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(now)))


def check_disk(ctx: Context) -> Check:
    fix = ("sync with the office and run detector log prune, or free space on the "
           "SD card")
    path = ctx.log_dir if ctx.log_dir.exists() else Path(ctx.log_dir.anchor or "/")
    usage = ctx.disk_usage(str(path))
    free_mb = usage.free / 1e6
    ok = free_mb >= MIN_FREE_MB
    return Check("disk", ok, f"{free_mb:,.0f} MB free for the logbook "
                             f"(at least {MIN_FREE_MB} MB needed)", fix)


def check_keys(ctx: Context) -> Check:
    from detector.logbook.store import DB_NAME, KEY_NAME

    fix = f"chmod 600 {ctx.log_dir / KEY_NAME}; if it is missing, run one sweep to create it"
    key = ctx.log_dir / KEY_NAME
    if not key.exists() and ctx.simulated:
        return Check("keys", True, f"no device key at {key} yet: the first sweep on a device "
                                   f"makes one (a simulated sweep signs with a key of its "
                                   f"own in --out)", applies=False)
    if not key.exists():
        return Check("keys", False, f"no device key at {key}", fix)
    mode = key.stat().st_mode & 0o777
    if mode & 0o077:
        return Check("keys", False, f"{key} is readable by others (mode {mode:o})", fix)

    def run() -> Check:
        from detector.logbook.store import Logbook

        if not (ctx.log_dir / DB_NAME).exists():
            return Check("keys", True, f"device key {key.name} (no records yet)")
        with Logbook.on_device(ctx.log_dir) as book:
            problems = book.verify()
            if problems:
                return Check("keys", False, f"logbook: {problems[0]}",
                             "run detector log verify and report the record it names")
            return Check("keys", True, f"device {book.key.id}, {book.head()[0]} records "
                                       f"verified")

    return _guard("keys", fix, run)


def check_calibration(ctx: Context) -> Check:
    from detector.config import profile_path

    fix = "calibrate the device: detector calibrate (calibration/README.md)"
    path = profile_path(ctx.config)
    if (path is None or not path.is_file()) and ctx.simulated:
        return Check("calibration", True, "no calibration profile: the simulated parts use "
                                          "the nominal values (a device must be calibrated: "
                                          "detector calibrate)", applies=False)
    if path is None or not path.is_file():
        return Check("calibration", False, "no calibration profile: nominal values in use",
                     fix)
    return Check("calibration", True, f"{path} in use")


WIFI_CHANNELS = (1, 6, 36, 149)  # tuned and read back in turn: both bands the hopper uses


def check_wifi(ctx: Context) -> Check:
    """The monitor-mode adapter, when the device has one: the interface is there, in
    monitor mode, on a radio that supports it, and it tunes to the channels asked."""
    from detector.wifi.adapter import MonitorAdapter, run_iw

    interface = WifiSettings.of(ctx.config).interface
    if not interface:
        return Check("wifi", True, "no Wi-Fi adapter configured (wifi.interface)",
                     applies=False)
    fix = (f"plug in the adapter (hardware/bom.csv), then: sudo systemctl start "
           f"detector-wifimon; iw dev {interface} info must say type monitor")

    def run() -> Check:
        adapter = MonitorAdapter(interface, ctx.iw or run_iw)
        info = adapter.info()
        if info is None:
            return Check("wifi", False, f"no interface {interface}", fix)
        if info.phy is None or not adapter.supports_monitor(info.phy):
            return Check("wifi", False, f"{interface}: its radio does not support monitor "
                                        f"mode", "use an adapter from hardware/bom.csv")
        if info.kind != "monitor":
            return Check("wifi", False, f"{interface} is in {info.kind or 'an unknown'} "
                                        f"mode, not monitor", fix)
        for channel in WIFI_CHANNELS:
            if not adapter.tune(channel):
                return Check("wifi", False, f"{interface} did not tune to channel {channel}",
                             f"check the regulatory domain (iw reg get) and {fix}")
        return Check("wifi", True, f"{interface} in monitor mode on phy{info.phy}, tunes to "
                                   f"channels {', '.join(map(str, WIFI_CHANNELS))}")

    return _guard("wifi", fix, run)


CHECKS = (check_camera, check_lights, check_display, check_buzzer, check_buttons,
          check_scanner, check_wifi, check_clock, check_disk, check_keys, check_calibration)


def run_checks(ctx: Context) -> list[Check]:
    return [check(ctx) for check in CHECKS]


def doctor_command(config: Config, scenario_name: str | None, log_dir: Path | None) -> int:
    """Build the configured devices (or simulated ones with --sim) and run every check."""
    from detector.backends import build_devices
    from detector.errors import DetectorError
    from detector.rf.scanners import open_scanner

    scenario = None
    if scenario_name:
        from detector.sim.scenario import load_scenario

        scenario = load_scenario(scenario_name)
        config = config.simulated()
    devices, error = None, None
    try:
        devices = build_devices(config, scenario=scenario, seconds=1.0)
    except DetectorError as exc:
        error = str(exc)

    def scanner():
        if scenario is not None and RfSettings.of(config).port.startswith("rf"):
            from detector.hw.clock import SystemClock

            return open_scanner(config, SystemClock(),
                                port=f"{RfSettings.of(config).port}?scenario={scenario_name}")
        return open_scanner(config)

    ctx = Context(config, devices, error, log_dir or config_log_dir(config), scanner,
                  simulated=scenario is not None)
    try:
        checks = run_checks(ctx)
    finally:
        if devices is not None:
            with contextlib.suppress(DetectorError):
                devices.close()
    for check in checks:
        print(check.line())
    applying = [c for c in checks if c.applies]
    failed = sum(not c.ok for c in applying)
    skipped = len(checks) - len(applying)
    print(f"{len(applying) - failed} of {len(applying)} checks passed"
          + (f"; {skipped} do not apply here" if skipped else ""))
    return 1 if failed else 0

