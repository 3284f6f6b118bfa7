"""`detector sweep` and `detector record`: build the devices, the radio, the record sink
and the location list from the configuration, and run one SweepSession.

With a scenario (`--sim`) every part is simulated on the scenario's clock, in lockstep;
without, the configured backends are used (the Pi) and the camera runs in its own
thread. A recorded session can be written alongside (`detector record`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from detector.config import Config, log_dir
from detector.errors import DetectorError
from detector.hw.clock import SimClock
from detector.hw.factory import build_devices
from detector.inspection import RecordSink
from detector.locations import guess_room_type, load_locations, load_procedures
from detector.recording import RecordingWriter
from detector.rf.analysis import RfAnalyzer
from detector.rf.frontend import FrontEnd
from detector.rf.radio import Radio
from detector.runtime import SweepOptions, SweepOutcome, SweepSession
from detector.sim.scenario import Scenario
from detector.sim.truth import TruthCollector


@dataclass
class SweepRequest:
    scenario: Scenario | None = None
    out_dir: Path | None = None
    record_dir: Path | None = None
    seconds: float | None = None
    presses: list[tuple[float, str, bool]] = dataclasses.field(default_factory=list)
    location_id: str | None = None
    checkin: bool = False  # simulation: check in on the device instead of automatically
    checklist_answer: bool | None = None
    faults: list[Any] = dataclasses.field(default_factory=list)
    draw: bool = True
    rf: bool = True
    log_dir: Path | None = None  # the logbook; default: out_dir/logbook or inspection.log_dir
    sink: RecordSink | None = None  # instead of the logbook (evaluation, tests)
    on_frame: Any = None  # callback(frame), after truth collection
    progress: Any = None  # callback(session seconds, outcome) after every frame


def device_description(scenario: Scenario, config: Config) -> dict:
    d = scenario.device
    return {"camera": "imx708_noir (simulated)", "resolution": list(d.resolution),
            "hfov_deg": d.hfov_deg, "fps": d.fps, "exposure_us": d.exposure_us,
            "ring_mm": d.ring_mm, "offaxis_mm": d.offaxis_mm,
            "analogue_gain": config.get("camera.analogue_gain")}


def _camera_description(config: Config) -> dict:
    cam = config.section("camera")
    lights = config.section("lights")
    return {"camera": "picamera2", "resolution": list(cam["resolution"]),
            "hfov_deg": cam["hfov_deg"], "fps": cam["fps"], "exposure_us": cam["exposure_us"],
            "ring_mm": lights["ring_mm"], "offaxis_mm": lights["offaxis_mm"],
            "analogue_gain": cam["analogue_gain"]}


def run_sweep(config: Config, request: SweepRequest) -> SweepOutcome:
    scenario = request.scenario
    sim = scenario is not None
    if sim:
        config = config.with_values(camera={"hfov_deg": scenario.device.hfov_deg})
    locations = load_locations(config.get("inspection.locations") or None)
    location = None
    if request.location_id is not None:
        location = next((loc for loc in locations if loc.id == request.location_id), None)
        if location is None:
            raise DetectorError(f"--location {request.location_id}: not in the location list "
                                f"({', '.join(loc.id for loc in locations)})")
    devices = build_devices(config, scenario=scenario, out_dir=request.out_dir,
                            seconds=request.seconds, presses=request.presses)
    clock = devices.clock
    radio = None
    writer = None
    truth = None
    try:
        if request.rf:
            radio = _radio(config, scenario, clock)
        if request.record_dir is not None:
            desc = device_description(scenario, config) if sim else _camera_description(config)
            writer = RecordingWriter(request.record_dir, desc, source="sim" if sim else "device",
                                     scenario=scenario.name if sim else None)
        if sim:
            truth = TruthCollector(scenario, clock.start_ns)
        sink = request.sink or _logbook_sink(logbook_dir(config, request))
        options = SweepOptions(
            inspector=config.get("inspection.inspector"), team=config.get("inspection.team"),
            location=location,
            room_type=guess_room_type(f"{scenario.name} {scenario.description}") if sim
            else "stall",
            title=scenario.name if sim else "", checklist_answer=request.checklist_answer,
            threaded=not sim, draw=request.draw,
            display_period_s=_display_period(config, scenario),
            out_dir=request.out_dir, record=writer,
            on_frame=_chain(truth.add if truth is not None else None, request.on_frame),
            injected=request.faults,
            realtime=sim and config.get("sim.display") == "window",
            progress=request.progress)
        session_locations = locations if (not sim or request.checkin) else []
        session = SweepSession(config, devices, radio, sink, session_locations,
                               load_procedures(), options)
        outcome = session.run()
        outcome.truth = truth.to_json() if truth is not None else None
        return outcome
    finally:
        first_error: Exception | None = None
        for close in ((radio.close if radio is not None else None),
                      (lambda: _close_writer(writer, truth)) if writer is not None else None,
                      devices.close):
            try:
                if close is not None:
                    close()
            except Exception as exc:  # noqa: BLE001 - close the rest, then report
                first_error = first_error or exc
        if first_error is not None:
            raise first_error


def logbook_dir(config: Config, request: SweepRequest) -> Path:
    """Where a sweep's records go: --out's logbook/ in simulation (a simulated device
    with its own key), else the device's logbook."""
    if request.log_dir is not None:
        return request.log_dir
    if request.out_dir is not None:
        return request.out_dir / "logbook"
    return log_dir(config)


def _logbook_sink(directory: Path) -> RecordSink:
    from detector.logbook.sink import LogbookSink
    from detector.logbook.store import Logbook

    return LogbookSink(Logbook.on_device(directory))


def _display_period(config: Config, scenario: Scenario | None) -> float:
    """Simulation shows every sim.display_every-th camera frame; the device ~10 fps."""
    if scenario is not None:
        return config.get("sim.display_every") / scenario.device.fps
    return 0.1


def _chain(*callbacks):
    active = [c for c in callbacks if c is not None]
    if not active:
        return None

    def call(frame) -> None:
        for callback in active:
            callback(frame)

    return call


def _close_writer(writer: RecordingWriter, truth: TruthCollector | None) -> None:
    if truth is not None:
        writer.set_truth(truth.to_json())
    writer.close()


def _radio(config: Config, scenario: Scenario | None, clock) -> Radio:
    frontend = FrontEnd.from_config(config)
    baseline_s = config.get("rf.baseline_s")
    if scenario is not None and config.get("rf.port").startswith("rfsim://") \
            and config.get("rf.scanner") == "firmware":
        from detector.rf.sim.unit import SimUnit
        from detector.rf.simulated import SimulatedRadio

        assert isinstance(clock, SimClock)
        return SimulatedRadio(scenario, clock, unit=SimUnit.draw(config.get("sim.unit")),
                              frontend=frontend, baseline_s=baseline_s)
    from detector.rf.scanners import open_scanner

    client = open_scanner(config, clock)
    start = clock.monotonic_ns()
    return Radio(client, RfAnalyzer(start, baseline_s, floors=frontend.floors), frontend)
