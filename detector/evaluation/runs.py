"""One detection run over a sweep (a simulated scenario or a recorded session), reduced to
what scoring needs: ground truth, frame times, track histories and alerts. Plain data, so
runs can come back from worker processes."""

from __future__ import annotations

import dataclasses
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from detector.config import Config, load_config
from detector.evaluation.attribution import credit_alerts
from detector.evaluation.units import calibrated_config, frontend_for, unit_of
from detector.evaluation.wifi_scoring import credit_wifi
from detector.hw.clock import SimClock
from detector.optics import LensDetector, LensParams
from detector.recording import load_recording
from detector.rf.analysis import RfAnalyzer
from detector.rf.frontend import FrontEnd
from detector.rf.records import RfParams
from detector.rf.sim.radio import SimulatedRadio
from detector.rf.sim.unit import DEFAULT_WORLD, RadioWorld
from detector.settings import LightsSettings, RfSettings
from detector.sim.scenario import Scenario
from detector.sim.truth import TruthCollector


@dataclass
class SweepRun:
    name: str
    seed: int | None
    width: int
    truth: dict[str, Any]
    frame_t_ns: dict[int, int]
    tracks: list[list[tuple[int, int, float, float, float, int]]]
    alerts: list[dict[str, Any]]
    track_ids: list[int] = field(default_factory=list)  # the tracker's id of each track
    # Per camera id: device-to-lens distance (m) in each frame it is exposed (sim only).
    exposure_distance_m: dict[str, dict[int, float]] = field(default_factory=dict)
    rf_alerts: list[dict[str, Any]] = field(default_factory=list)
    rf_stats: dict[str, Any] = field(default_factory=dict)
    start_ns: int = 1_000_000_000
    end_ns: int = 0
    frames: int = 0
    sets: int = 0
    mixed_dropped: int = 0
    mislabelled: int = 0  # frames labelled with one LED state that another lit (in part)
    wall_s: float = 0.0
    peak_rss_mb: float = 0.0
    # Through the sweep runtime (simulated scenarios): fused alerts, result and coverage.
    fused_alerts: list[dict[str, Any]] = field(default_factory=list)
    result: str = ""
    coverage: float | None = None
    # Wi-Fi (simulated rooms with the simulated adapter): alerts credited by emitter, and
    # which cameras the adapter heard (evaluation/wifi_scoring.py). None: not evaluated.
    wifi_truth: dict[str, Any] | None = None
    wifi_alerts: list[dict[str, Any]] = field(default_factory=list)


def _detect(frames, detector: LensDetector, on_frame=None) -> tuple[dict[int, int], float]:
    started = time.perf_counter()
    times = {}
    for frame in frames:
        times[frame.index] = frame.t_ns
        if on_frame is not None:
            on_frame(frame)
        detector.add_frame(frame)
    return times, time.perf_counter() - started


def _finish(name: str, seed: int | None, width: int, truth: dict, times: dict[int, int],
            detector: LensDetector, wall_s: float) -> SweepRun:
    stats = detector.stats()
    tracks = detector.tracks()
    return SweepRun(name=name, seed=seed, width=width, truth=truth, frame_t_ns=times,
                    tracks=[t.history for t in tracks], track_ids=[t.id for t in tracks],
                    alerts=[a.to_json() for a in detector.alerts], frames=stats.frames,
                    sets=stats.sets, mixed_dropped=stats.mixed_dropped, wall_s=wall_s,
                    peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def run_scenario(scenario: Scenario, config: Config, seed: int | None = None,
                 seconds: float | None = None, rf: bool = True) -> SweepRun:
    """Run the whole sweep runtime on the scenario through the sim backends, headless
    (no screens), so evaluation scores what the device would do: lens detection, RF
    analysis and fusion on one clock. Frames are not kept, so memory stays flat."""
    from detector.backends import open_session
    from detector.inspection import MemorySink
    from detector.sweep import SweepRequest, sweep_on

    if seed is not None:
        scenario = dataclasses.replace(scenario, seed=seed)
    positions: dict[int, list[float]] = {}
    config = calibrated_config(config, scenario.seed, camera=True).with_values(
        sim={"display": "none"})
    unit = unit_of(scenario.seed)
    mislabelled = 0

    def observe(frame) -> None:
        nonlocal mislabelled
        positions[frame.index] = frame.meta["position"]
        if frame.lights != "mixed" and frame.lights != frame.meta.get("true_lights",
                                                                      frame.lights):
            mislabelled += 1

    session = open_session(config, rf=rf, scenario=scenario, seconds=seconds)
    try:
        collector = session.truth()
        request = SweepRequest(draw=False, rf=rf, sink=MemorySink(), checklist_answer=True,
                               observers=[collector.add, observe])
        outcome = sweep_on(session, request)
    finally:
        session.close()
    truth = collector.to_json()
    fig = outcome.figures
    stats = fig.lens_stats
    run = SweepRun(name=scenario.name, seed=scenario.seed, width=scenario.device.resolution[0],
                   truth=truth, frame_t_ns=fig.frame_t_ns,
                   tracks=fig.track_histories, alerts=outcome.lens_alerts,
                   track_ids=fig.track_ids,
                   frames=stats.get("frames", 0), sets=stats.get("sets", 0),
                   mixed_dropped=stats.get("mixed_dropped", 0), mislabelled=mislabelled,
                   wall_s=fig.wall_s,
                   peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    run.start_ns, run.end_ns = outcome.start_ns, outcome.end_ns
    run.rf_alerts = credit_alerts(outcome.rf_alerts, scenario, outcome.start_ns, unit)
    run.rf_stats = fig.rf_stats
    run.fused_alerts = outcome.fused_alerts
    if session.wifi is not None:
        run.wifi_truth = session.wifi.source.truth()
        run.wifi_alerts = credit_wifi(outcome.wifi_alerts, _addresses(run.wifi_truth))
    run.result = outcome.inspection.result or ""
    run.coverage = outcome.inspection.coverage
    lenses = {cam.id: np.array(cam.at, dtype=float) for cam in scenario.cameras}
    run.exposure_distance_m = {
        c["id"]: {i: float(np.linalg.norm(np.array(positions[i]) - lenses[c["id"]]))
                  for i, _x, _y, in_cone in c["frames"] if in_cone and i in positions}
        for c in run.truth.get("cameras", [])}
    return run


def run_rf_only(scenario: Scenario, seed: int | None = None, step_s: float = 1 / 60,
                world: RadioWorld = DEFAULT_WORLD, offset_db: float = 0.0,
                calibrated: bool = True, config: Config | None = None,
                wifi: bool = True) -> SweepRun:
    """The radio side of a sweep alone: the run's calibrated scanner unit, client and
    analysis on a clock stepped like the camera's, without rendering a frame (RF
    evaluation in seconds instead of minutes). `world`, `offset_db` (a unit reading that
    much high, uncorrected by its calibration) and `calibrated` (False: the
    configuration's defaults) vary the conditions for robustness checks. `config` gives
    the analysis its rules (`[rf_rules]`) and baseline; None for the defaults. With
    `wifi` the device's Wi-Fi monitor hears the room too, as in a sweep, and the RF
    analysis asks it what its traffic explains (`rf_rules.wifi_explains`)."""
    if seed is not None:
        scenario = dataclasses.replace(scenario, seed=seed)
    unit = unit_of(scenario.seed).shifted(offset_db)
    frontend = frontend_for(scenario.seed) if calibrated else FrontEnd.from_config(
        load_config(None, []))
    clock = SimClock()
    config = config or load_config(None, [])
    radio = SimulatedRadio(scenario, clock, unit=unit, frontend=frontend, world=world,
                           baseline_s=RfSettings.of(config).baseline_s,
                           params=RfParams.of(config))
    monitor = _sim_monitor(scenario, clock) if wifi else None
    if monitor is not None:
        radio.analyzer.use_explainer(monitor.monitor.analyzer)
    started = time.perf_counter()
    steps = int(scenario.total_s / step_s)
    try:
        for k in range(steps + 1):
            clock.advance_to(clock.start_ns + int(k * step_s * 1e9))
            if monitor is not None:
                monitor.poll(k * step_s)
            radio.poll()
    finally:
        radio.close()
    truth = TruthCollector(scenario, clock.start_ns).to_json()
    run = SweepRun(name=scenario.name, seed=scenario.seed, width=scenario.device.resolution[0],
                   truth=truth, frame_t_ns={}, tracks=[], alerts=[],
                   wall_s=time.perf_counter() - started)
    run.end_ns = clock.monotonic_ns()
    run.rf_alerts = credit_alerts([a.to_json() for a in radio.analyzer.alerts], scenario,
                                  clock.start_ns, unit, world)
    run.rf_stats = radio.stats
    return run


@dataclass
class _SimMonitor:
    """The simulated Wi-Fi adapter and its analysis on a clock, fed the device's motion
    along the scripted path (what frame alignment measures on the device)."""

    monitor: Any
    trajectory: Any
    clock: SimClock
    motion_every_s: float = 1 / 30  # a frame set's interval
    _motions: int = 0

    def poll(self, t: float) -> list[dict[str, Any]]:
        now = self.clock.monotonic_ns()
        if t >= self._motions * self.motion_every_s - 1e-9:
            self.monitor.add_motion(now, _turn_rate(self.trajectory, t, self.motion_every_s))
            self._motions += 1
        return self.monitor.poll(now).new_cameras


def _sim_monitor(scenario: Scenario, clock: SimClock) -> _SimMonitor:
    from detector.sim.motion import Trajectory
    from detector.sim.wifi_source import SimWifiSource
    from detector.wifi.monitor import WifiMonitor

    source = SimWifiSource(scenario, clock.start_ns)
    return _SimMonitor(WifiMonitor(source, clock.start_ns), Trajectory(scenario), clock)


def run_wifi_only(scenario: Scenario, seed: int | None = None,
                  step_s: float = 1 / 30) -> SweepRun:
    """The Wi-Fi side of a sweep alone: the simulated adapter hopping channels, the
    analysis and the motion test on a clock stepped like the camera's, without rendering
    a frame. The device's motion is the camera's turn rate along the scripted path (what
    frame alignment measures on the device)."""
    if seed is not None:
        scenario = dataclasses.replace(scenario, seed=seed)
    clock = SimClock()
    start = clock.start_ns
    sim = _sim_monitor(scenario, clock)
    sim.motion_every_s = 2 * step_s  # a frame set every other frame
    started = time.perf_counter()
    alerts: list[dict[str, Any]] = []
    for k in range(int(scenario.total_s / step_s) + 1):
        t = k * step_s
        clock.advance_to(start + int(t * 1e9))
        alerts += sim.poll(t)
    run = SweepRun(name=scenario.name, seed=scenario.seed, width=scenario.device.resolution[0],
                   truth={"cameras": [], "distractors": [], "transmitters": []},
                   frame_t_ns={}, tracks=[], alerts=[], wall_s=time.perf_counter() - started)
    run.start_ns, run.end_ns = start, clock.monotonic_ns()
    run.wifi_truth = sim.monitor.source.truth()
    run.wifi_alerts = credit_wifi(alerts, _addresses(run.wifi_truth))
    return run


def _turn_rate(trajectory: Any, t: float, dt: float) -> float:
    """Degrees the camera's view turns per second at t."""
    a, b = trajectory.pose(t).forward, trajectory.pose(t + dt).forward
    return float(np.degrees(np.arccos(np.clip(np.dot(a, b), -1.0, 1.0)))) / dt


def _addresses(truth: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {a: (v[0], v[1]) for a, v in truth["addresses"].items()}


def run_recording(directory: str | Path, config: Config) -> SweepRun:
    recording = load_recording(directory)
    detector = LensDetector(LensParams.of(config), pattern=LightsSettings.of(config).pattern)
    start_ns = recording.rows[0].t_ns if recording.rows else 0
    analyzer = RfAnalyzer(start_ns, RfSettings.of(config).baseline_s, RfParams.of(config),
                          floors=FrontEnd.from_config(config).floors)
    pending = sorted(recording.rf, key=lambda r: r["t_ns"])
    position = 0

    def feed_rf(frame) -> None:
        nonlocal position
        while position < len(pending) and pending[position]["t_ns"] <= frame.t_ns:
            analyzer.add(pending[position])
            position += 1

    times, wall = _detect(recording.frames(), detector, feed_rf)
    for reading in pending[position:]:
        analyzer.add(reading)
    analyzer.finish()
    name = recording.session.get("scenario") or Path(directory).name
    truth = recording.truth or {"cameras": [], "distractors": [], "transmitters": []}
    run = _finish(str(name), None, recording.resolution[0], truth, times, detector, wall)
    run.start_ns = start_ns
    run.end_ns = max([max(times.values(), default=start_ns)]
                     + [r["t_ns"] for r in recording.rf])
    run.rf_alerts = [a.to_json() for a in analyzer.alerts]
    return run
