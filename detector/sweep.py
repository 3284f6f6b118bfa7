"""`detector sweep` and `detector record`: open the session on the configured backend
(backends.py), set up the inspection machine, the record sink and the location list,
and run the sweep loop.

Backend-specific options (sim: the scenario, seconds, scripted presses, faults; replay:
the recording) pass through untouched to the backend's builder. A recorded session can
be written alongside (`detector record`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from detector.backends import FrameObserver, Session, open_session
from detector.config import Config, log_dir
from detector.errors import DetectorError
from detector.hw.camera import Camera
from detector.inspection import RecordSink
from detector.locations import guess_room_type, load_locations, load_procedures
from detector.loop import LoopOptions, SweepLoop, SweepOutcome
from detector.optics import LensDetector, LensParams
from detector.recording import RecordingWriter
from detector.session.inputs import CameraGeometry
from detector.session.machine import InspectionMachine, MachineSettings, SessionInfo
from detector.settings import CameraSettings, InspectionSettings, LightsSettings


@dataclass
class SweepRequest:
    backend: dict[str, Any] = dataclasses.field(default_factory=dict)  # the builder's options
    out_dir: Path | None = None
    record_dir: Path | None = None
    location_id: str | None = None
    checkin: bool = False  # simulation, replay: check in on the device, not automatically
    checklist_answer: bool | None = None
    draw: bool = True
    rf: bool = True
    log_dir: Path | None = None  # the logbook; default: out_dir/logbook or inspection.log_dir
    sink: RecordSink | None = None  # instead of the logbook (evaluation, tests)
    observers: list[FrameObserver] = dataclasses.field(default_factory=list)
    progress: Any = None  # callback(session seconds, loop) after every frame


def run_sweep(config: Config, request: SweepRequest) -> SweepOutcome:
    """Open the session on the configured backend and sweep it."""
    session = open_session(config, rf=request.rf, out_dir=request.out_dir, **request.backend)
    try:
        return sweep_on(session, request)
    finally:
        session.close()


def sweep_on(session: Session, request: SweepRequest) -> SweepOutcome:
    """Sweep an open session (the caller closes it)."""
    config = session.config
    ins = InspectionSettings.of(config)
    locations = load_locations(ins.locations or None)
    location = None
    if request.location_id is not None:
        location = next((loc for loc in locations if loc.id == request.location_id), None)
        if location is None:
            raise DetectorError(f"--location {request.location_id}: not in the location list "
                                f"({', '.join(loc.id for loc in locations)})")
    writer = truth = None
    observers = list(request.observers)
    if request.record_dir is not None:
        writer = RecordingWriter(request.record_dir, session.description,
                                 source="sim" if session.simulated else "device",
                                 scenario=session.title if session.simulated else None)
        if session.truth is not None:
            truth = session.truth()
            observers.insert(0, truth.add)
    sink = request.sink or _logbook_sink(logbook_dir(config, request))
    info = SessionInfo(inspector=ins.inspector, team=ins.team, title=session.title,
                       room_type=guess_room_type(session.room_hint) if session.room_hint
                       else "stall", checklist_answer=request.checklist_answer)
    clock = session.devices.clock
    machine = InspectionMachine(
        MachineSettings.from_config(config), _geometry(session.devices.camera, config),
        locations if (session.checks_in or request.checkin) else [], load_procedures(),
        info, clock.monotonic_ns(), rf=session.radio is not None)
    lens = LensDetector(LensParams.of(config), pattern=LightsSettings.of(config).pattern)
    loop = SweepLoop(session, machine, lens, sink,
                     LoopOptions(draw=request.draw, out_dir=request.out_dir, record=writer,
                                 observers=observers, progress=request.progress))
    try:
        return loop.run(check_in=location)
    finally:
        if writer is not None:
            if truth is not None:
                writer.set_truth(truth.to_json())
            writer.close()


def _geometry(camera: Camera, config: Config) -> CameraGeometry:
    width, height = camera.resolution
    return CameraGeometry(width, height, CameraSettings.of(config).hfov_deg)


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
