"""The coverage estimate against the simulator's true pose: one simulated sweep through
lens detection (which measures the image shift between frame sets) and the coverage
map, next to a second map filled from the true viewing direction under the same pace
rule. Used by tests/test_coverage.py and benchmarks/bench_coverage.py."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detector.backends import build_devices
from detector.capture import capture_frames
from detector.config import Config, load_config
from detector.hw.lights import LightSequencer
from detector.optics import LensDetector, LensParams
from detector.optics.coverage import CoverageMap, true_yaw_pitch
from detector.settings import LightsSettings
from detector.sim.scenario import Scenario


@dataclass
class HeadingCheck:
    errors: np.ndarray  # per frame set: |yaw error|, |pitch error| in degrees
    estimated: CoverageMap
    true: CoverageMap
    total_turn_deg: float  # true yaw from the start to the end of the sweep


def _angle(deg: float) -> float:
    return (deg + 180.0) % 360.0 - 180.0


def check_heading(scenario: Scenario, config: Config | None = None,
                  yaw_range: tuple[float, float] = (-180.0, 180.0),
                  pitch_range: tuple[float, float] | None = None) -> HeadingCheck:
    config = config or load_config(None, ["sim.display=none"])
    width, height = scenario.device.resolution
    hfov = scenario.device.hfov_deg
    estimated = CoverageMap(width, height, hfov, None, yaw_range, pitch_range)
    true = CoverageMap(width, height, hfov, None, yaw_range, pitch_range)
    devices = build_devices(config, scenario=scenario)
    detector = LensDetector(LensParams.of(config))
    rotations: dict[int, np.ndarray] = {}
    errors = []
    start: tuple[float, float] | None = None
    previous: tuple[int, float, float] | None = None
    rel_yaw = 0.0
    try:
        for frame in capture_frames(devices.camera, devices.lights,
                                    LightSequencer(LightsSettings.of(config).pattern)):
            rotations[frame.index] = np.array(frame.meta["rotation"])
            result = detector.add_frame(frame)
            if result is None:
                continue
            t, m = result.frame_set.t_ns, result.motion
            estimated.update(t, m.dx, m.dy, m.reliable)
            yaw, pitch = true_yaw_pitch(rotations[result.frame_set.index])
            start = start or (yaw, pitch)
            rel_yaw = _angle(yaw - start[0])
            if previous is not None:
                dt = (t - previous[0]) / 1e9
                rate = np.hypot(_angle(rel_yaw - previous[1]) * np.cos(np.radians(pitch)),
                                pitch - previous[2]) / dt
                true.look(rel_yaw, pitch, counts=rate <= true.p.max_rate_deg_s)
            previous = (t, rel_yaw, pitch)
            errors.append((abs(_angle(estimated.yaw - rel_yaw)), abs(estimated.pitch - pitch
                                                                       + start[1])))
    finally:
        devices.close()
    return HeadingCheck(np.array(errors), estimated, true, abs(rel_yaw))
