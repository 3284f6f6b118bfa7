"""`detector calibrate` and `detector selftest`: the calibration steps and the morning
self-test, on the device (the technician is prompted to place the reference target) or in
simulation (`--sim`: the simulated bench, sim/rig.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from detector import calibration as C
from detector.backends import build_devices
from detector.capture import capture_frames, labelled_images
from detector.config import Config, log_dir
from detector.errors import DetectorError
from detector.hw.camera import lens_position
from detector.hw.lights import LightSequencer
from detector.rf.frontend import FrontEnd, Response
from detector.rf.readings import frequencies
from detector.settings import CalibrationSettings, CameraSettings, LightsSettings, SimSettings

# Focus first: the camera step measures the reference lens through the focused lens.
STEPS = ("focus", "camera", "lights", "rf")
SELFTEST_DISTANCE_M = 1.0
SELFTEST_S = 1.5  # the reference lens must be confirmed within this long
FLOOR_TOLERANCE_DB = 6.0
# An uncalibrated unit's floors are compared with the conservative defaults, which sit
# 3 dB above the nominal floors, and its parts read up to ~6 dB off: allow for both.
UNCALIBRATED_EXTRA_DB = 6.0
# The simulated device's scanner is unit `sim.unit` (rf/sim/unit.py): its parts deviate
# from their datasheets as real ones do, and calibration must find out by how much.
SIM_SOURCE_DBM = (-50.0, -30.0, -10.0)  # AD8318 source levels (its range: -60 to 0 dBm)
NARROW_SOURCE_DBM = (-80.0, -60.0, -40.0)  # RX5808 and CC2500 source levels
NARROW_SOURCE_MHZ = {"rx5808": 5800, "cc2500": 2440}


# ---- the bench: simulated, or the real device with a technician -----------------------------
class DeviceBench:
    """The real device: asks the technician to set up each target, then captures."""

    def __init__(self, config: Config, ask: Callable[[str], str] = input) -> None:
        self.config = config
        self.ask = ask
        # A missing camera or library fails here, before the technician sets anything up.
        devices = build_devices(config)
        try:
            devices.camera.start()
            self.can_focus = devices.camera.can_focus
        finally:
            devices.close()

    def use(self, config: Config) -> None:
        """Capture with `config` from now on (a later step sees what an earlier one set)."""
        self.config = config

    def _frames(self, config: Config, seconds: float = 0.5) -> list[tuple[str, np.ndarray]]:
        devices = build_devices(config)
        try:
            return labelled_images(devices, LightsSettings.of(config).pattern,
                                   int(seconds * CameraSettings.of(config).fps))
        finally:
            devices.close()

    def reference(self, distance_m: float, exposure_us: float, gain: float):
        self.ask(f"Put the reference target {distance_m:g} m in front of the camera, square "
                 f"to it, and press Enter ")
        return self._frames(self.config.with_values(camera={"exposure_us": exposure_us,
                                                            "analogue_gain": gain}))

    def focus_frames(self, distance_m: float) -> Callable[[float], list]:
        """Frames of the reference target at `distance_m` for each lens offset tried."""
        self.ask(f"Put the reference target {distance_m:g} m in front of the camera, square "
                 f"to it, and press Enter ")
        return lambda offset: self._frames(
            self.config.with_values(calibration={"lens_offset_dioptres": offset}), 0.2)

    def grey_target(self):
        self.ask("Hold the grey card 0.8 m in front of the camera, filling the view, and "
                 "press Enter ")
        return self._frames(self.config)

    def quiet_readings(self, seconds: float = 5.0) -> list[dict[str, Any]]:
        self.ask("Fit the 50 ohm terminations on the scanner's antenna ports and press Enter ")
        return _listen(self.config, seconds)

    def broadband_at(self, level_dbm: float) -> float:
        self.ask(f"Set the signal generator to {level_dbm:g} dBm (at the AD8318 input) and "
                 f"press Enter ")
        readings = [r for r in _listen(self.config, 2.0) if r["source"] == "ad8318"]
        if not readings:
            raise C.CalibrationError("no broadband readings: is the scanner connected?")
        return float(np.median([r["dbm"][0] for r in readings]))

    def narrowband_at(self, source: str, level_dbm: float) -> float:
        mhz = NARROW_SOURCE_MHZ[source]
        self.ask(f"Set the signal generator to {mhz} MHz, {level_dbm:g} dBm at the {source} "
                 f"input, and press Enter ")
        values = []
        for reading in _listen(self.config, 2.0):
            if reading["source"] == source:
                freqs = frequencies(reading)
                nearest = int(np.argmin([abs(f - mhz * 1e6) for f in freqs]))
                values.append(reading["dbm"][nearest])
        if not values:
            raise C.CalibrationError(f"no {source} readings: is the scanner connected?")
        return float(np.median(values))


def _listen(config: Config, seconds: float) -> list[dict[str, Any]]:
    from detector.rf.scanners import open_scanner

    client = open_scanner(config)
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            out.extend(client.poll())
            time.sleep(0.01)
    finally:
        client.close()
    return out


class SimBench:
    """The simulated bench: rendered targets, and the simulated scanner unit (`unit`, by
    default the configuration's sim.unit) on a 50 ohm load or a signal generator, read
    through the firmware's own drivers."""

    def __init__(self, config: Config, resolution: tuple[int, int] = (1280, 720),
                 unit=None) -> None:
        from detector.rf.sim.unit import SimUnit
        from detector.sim.rig import SimRig

        self.config = config
        self.unit = unit if unit is not None else SimUnit.draw(SimSettings.of(config).unit)
        self.rig = SimRig(config, resolution)
        self.reference = self.rig.reference
        self.grey_target = self.rig.grey_target
        self.focus_frames = self.rig.focus_frames
        self.can_focus = True  # the simulated module is a Camera Module 3

    def use(self, config: Config) -> None:
        """Capture with `config` from now on (a later step sees what an earlier one set)."""
        self.config = config
        self.rig.config = config

    def quiet_readings(self, seconds: float = 3.0) -> list[dict[str, Any]]:
        from detector.hw.clock import SimClock
        from detector.rf.sim.radio import SimulatedRadio
        from detector.sim.rig import reference_scenario

        scenario = reference_scenario(1.0, lens=False, seconds=seconds)
        clock = SimClock()
        radio = SimulatedRadio(scenario, clock, unit=self.unit, frontend=FrontEnd())
        readings: list[dict[str, Any]] = []
        try:
            for k in range(int(seconds * 60)):
                clock.advance_to(clock.start_ns + int(k / 60 * 1e9))
                readings.extend(radio.poll())
        finally:
            radio.close()
        return readings

    def broadband_at(self, level_dbm: float) -> float:
        from detector.rf.sim.chips import AD8318Chip
        from detector_firmware.ad8318 import AD8318

        chip = AD8318Chip(lambda *_a: level_dbm, lambda: 0.0, self.unit.ad8318_slope_mv_per_db,
                          self.unit.ad8318_intercept_dbm)
        return AD8318(chip.adc).read_dbm(samples=8)

    def narrowband_at(self, source: str, level_dbm: float) -> float:
        from detector.rf.sim.chips import CC2500Chip, RX5808Chip
        from detector_firmware.cc2500 import CC2500
        from detector_firmware.rx5808 import RX5808

        u = self.unit
        settled = lambda: 1e6  # noqa: E731 - long after tuning: the RSSI has settled
        if source == "rx5808":
            chip = RX5808Chip(lambda *_a: level_dbm, settled, u.rx5808_mv_per_db,
                              u.rx5808_mv_at_ref)
            driver = RX5808(chip.data, chip.le, chip.clk, chip.adc)
            driver.tune(NARROW_SOURCE_MHZ[source])
            return float(driver.read_dbm())
        cc = CC2500Chip(lambda *_a: level_dbm, settled, u.cc2500_rssi_offset_db)
        radio = CC2500(cc.spi, cc.cs)
        radio.setup()
        radio.start_channel(NARROW_SOURCE_MHZ[source] * 1000000)
        return float(radio.read_dbm())


# ---- steps -----------------------------------------------------------------------------------
@dataclass
class StepReport:
    name: str
    lines: list[str]
    values: dict[str, dict[str, Any]]


def step_focus(bench, config: Config) -> StepReport:
    """The lens offset that focuses this unit's lens at camera.focus_m, from the reference
    target at that distance."""
    focus_m = CameraSettings.of(config).focus_m
    if not bench.can_focus:
        return StepReport("focus", ["a fixed-focus camera: its focus is the factory's"], {})
    result = C.calibrate_focus(bench.focus_frames(focus_m), 1.0 / focus_m)
    return StepReport("focus", result.steps + [
        f"lens position {lens_position(focus_m, result.offset_dioptres):.2f} D focuses at "
        f"{focus_m:g} m"], {"calibration": {"lens_offset_dioptres": result.offset_dioptres}})


def step_camera(bench, config: Config) -> StepReport:
    result = C.calibrate_camera(bench.reference, CameraSettings.of(config).exposure_us,
                                CameraSettings.of(config).analogue_gain)
    lines = result.steps + [
        f"exposure {result.exposure_us:.0f} us, gain x{result.analogue_gain:g}; dark level "
        f"{result.dark_level_dn:.1f} DN, noise {result.dark_noise_dn:.2f} DN"]
    return StepReport("camera", lines, {
        "camera": {"exposure_us": round(result.exposure_us, 1),
                   "analogue_gain": round(result.analogue_gain, 3)},
        "calibration": {"dark_level_dn": round(result.dark_level_dn, 2),
                        "dark_noise_dn": round(result.dark_noise_dn, 3)}})


def step_lights(bench, _config: Config) -> StepReport:
    ratio = C.light_balance(bench.grey_target())
    ok = abs(ratio - 1) <= C.BALANCE_TOLERANCE
    report = StepReport("lights", [C.balance_advice(ratio)],
                        {"calibration": {"offaxis_balance": round(ratio, 4)}})
    if not ok:
        raise C.CalibrationError(f"lights: {C.balance_advice(ratio)}; then calibrate again")
    return report


def step_rf(bench, _config: Config) -> StepReport:
    """Each receiver's response from known source levels, then its floor on a load (read
    through that response, as the analysis will read it)."""
    responses = {source: C.response_fit([(level, bench.narrowband_at(source, level))
                                         for level in NARROW_SOURCE_DBM], source)
                 for source in NARROW_SOURCE_MHZ}
    slope, intercept = C.ad8318_fit([(level, bench.broadband_at(level))
                                     for level in SIM_SOURCE_DBM])
    frontend = FrontEnd({**responses, "ad8318": Response.of_ad8318(slope, intercept)})
    floors = C.noise_floors([frontend.correct(r) for r in bench.quiet_readings()])
    lines = [f"{source}: reads {r.scale:.3f} x true {r.offset_db:+.1f} dB"
             for source, r in responses.items()]
    lines.append(f"AD8318: slope {slope:.2f} mV/dB, intercept {intercept:.1f} dBm "
                 f"(nominal {C.NOMINAL_SLOPE_MV_PER_DB} mV/dB, {C.NOMINAL_INTERCEPT_DBM} dBm)")
    lines += [f"noise floor {source}: {floor:.1f} dBm" for source, floor in sorted(
        floors.items())]
    values: dict[str, Any] = {
        "ad8318_slope_mv_per_db": round(slope, 3), "ad8318_intercept_dbm": round(intercept, 2)}
    for source, r in responses.items():
        values[f"{source}_scale"] = round(r.scale, 4)
        values[f"{source}_offset_db"] = round(r.offset_db, 2)
    values.update({f"{source}_floor_dbm": floor for source, floor in floors.items()})
    return StepReport("rf", lines, {"calibration": values})


STEP_FUNCTIONS = {"focus": step_focus, "camera": step_camera, "lights": step_lights, "rf": step_rf}


def profile_dir(config: Config) -> Path:
    return log_dir(config) / "calibration"


def calibrate_command(config: Config, steps: list[str], sim: bool, out: Path | None) -> int:
    from detector.logbook.keys import DeviceKey
    from detector.logbook.store import KEY_NAME
    from detector.progress import Progress

    bench = SimBench(config) if sim else DeviceBench(config)
    values: dict[str, dict[str, Any]] = {}
    chosen = steps or list(STEPS)
    progress = Progress()
    for number, name in enumerate(chosen, 1):
        progress.show(f"calibrate: step {number} of {len(chosen)} ({name}), "
                      f"{progress.elapsed_s:.0f} s elapsed", force=True)
        try:
            report = STEP_FUNCTIONS[name](bench, config)
        finally:
            progress.done()
        for line in report.lines:
            print(f"{name}: {line}")
        for section, entries in report.values.items():
            values.setdefault(section, {}).update(entries)
        config = config.with_values(**report.values)
        bench.use(config)
    directory = out or profile_dir(config)
    key_dir = directory.parent if out is not None else log_dir(config)
    device = DeviceKey.load_or_create(key_dir / KEY_NAME).id
    path = C.write_profile(directory, device, values)
    print(f"profile: {path} (current: {directory / 'current.toml'})")
    return 0


# ---- the morning self-test ---------------------------------------------------------------------
@dataclass
class SelftestResult:
    ok: bool
    lines: list[str]


def selftest(frames: list, config: Config, rf_floors: dict[str, float] | None) -> SelftestResult:
    """The reference target at SELFTEST_DISTANCE_M: the lens must be confirmed within
    SELFTEST_S near the centre of the view, the light groups must still balance, and the
    RF noise floors must be within FLOOR_TOLERANCE_DB of the calibrated ones."""
    from detector.optics import LensDetector, LensParams

    lines, ok = [], True
    detector = LensDetector(LensParams.of(config), pattern=LightsSettings.of(config).pattern)
    first_t = frames[0].t_ns if frames else 0
    found = None
    for frame in frames:
        result = detector.add_frame(frame)
        if result is not None and result.alerts and found is None:
            found = (result.alerts[0], (frame.t_ns - first_t) / 1e9)
    if found is None:
        ok = False
        lines.append(f"reference lens NOT detected within {SELFTEST_S:g} s")
    else:
        alert, t = found
        h, w = frames[0].image.shape[:2]
        off = np.hypot(alert.x - w / 2, alert.y - h / 2)
        centred = off < 0.1 * w
        ok &= centred
        lines.append(f"reference lens detected in {t:.2f} s, score {alert.score:.2f}"
                     + ("" if centred else f", but {off:.0f} px from the centre: is the "
                                           f"target square in front?"))
    ratio = C.light_balance([(f.lights, f.image) for f in frames if f.lights != "mixed"])
    expected = CalibrationSettings.of(config).offaxis_balance
    balanced = abs(ratio / expected - 1) <= C.BALANCE_TOLERANCE
    ok &= balanced
    lines.append(f"light balance {ratio:.3f} ({_reference(config, 'offaxis_balance')} "
                 f"{expected:.3f})"
                 + ("" if balanced else ": an LED group has changed, calibrate the lights"))
    for source, floor in sorted((rf_floors or {}).items()):
        want = CalibrationSettings.of(config).floor_dbm(source)
        calibrated = _reference(config, f"{source}_floor_dbm") == "calibrated"
        near = abs(floor - want) <= FLOOR_TOLERANCE_DB + (0 if calibrated
                                                          else UNCALIBRATED_EXTRA_DB)
        ok &= near
        lines.append(f"{source} floor {floor:.1f} dBm ({_reference(config, f'{source}_floor_dbm')} "
                     f"{want:.1f})"
                     + ("" if near else ": check the antenna and the receiver"))
    return SelftestResult(bool(ok), lines)


def _reference(config: Config, key: str) -> str:
    """'calibrated' when the value comes from a calibration profile, else 'nominal'."""
    source = config.sources.get(f"calibration.{key}", "default")
    return "calibrated" if source.startswith("calibration") else "nominal, not calibrated:"


def selftest_command(config: Config, sim: bool) -> int:
    from detector.backends import build_devices as build
    from detector.ui.screens import result_screen
    from detector.ui.sounds import FAULT, AlertSounder

    if sim:
        from detector.sim.rig import reference_scenario

        scenario = reference_scenario(SELFTEST_DISTANCE_M, CameraSettings.of(config).exposure_us,
                                      seconds=SELFTEST_S)
        config = config.simulated()
        devices = build(config, scenario=scenario)
        bench = SimBench(config)
    else:
        devices = build(config)  # first: a missing part fails before the technician moves
        try:
            devices.camera.start()
        except BaseException:
            devices.close()
            raise
        input(f"Put the reference target {SELFTEST_DISTANCE_M:g} m in front of the camera "
              f"and press Enter ")
        scenario, bench = None, DeviceBench(config, ask=lambda _p: "")
    try:
        if sim:
            devices.camera.start()
        n = int(SELFTEST_S * CameraSettings.of(config).fps)
        frames = list(capture_frames(devices.camera, devices.lights,
                                     LightSequencer(LightsSettings.of(config).pattern), max_frames=n))
        try:
            frontend = FrontEnd.from_config(config)
            floors = C.noise_floors([frontend.correct(r) for r in bench.quiet_readings(2.0)])
        except DetectorError as exc:
            floors = {}
            print(f"selftest: RF skipped ({exc})")
        result = selftest(frames, config, floors)
        title = "selftest ok" if result.ok else "SELFTEST FAILED"
        display = devices.display
        display.show(result_screen("clear" if result.ok else "suspicious", [title,
                                                                            *result.lines],
                                   display.size, display.mode))
        if not result.ok:  # loudly: the fault pattern for a few seconds
            sounder = AlertSounder(devices.buzzer)
            start = time.monotonic_ns()
            while time.monotonic_ns() - start < 2 * FAULT.length_ms * 1e6 and not sim:
                sounder.tick(time.monotonic_ns(), faults=True)
                time.sleep(0.01)
    finally:
        devices.close()
    for line in result.lines:
        print(f"selftest: {line}")
    print("selftest: PASSED" if result.ok else "selftest: FAILED: do not inspect with this "
                                              "device until it passes")
    return 0 if result.ok else 1
