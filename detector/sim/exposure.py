"""When a hidden camera is exposed to the device: the scenario format's definition, shared
by the renderer's ground truth and by geometric checks of the scenario library.

Exposed: the device is inside the camera's field-of-view cone, within 3 m, and the lens
projects into the device's image from in front of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detector.sim.motion import Pose, Trajectory
from detector.sim.scenario import Scenario, SceneObject

EXPOSURE_RANGE_M = 3.0


@dataclass(frozen=True)
class LensView:
    u: float
    v: float
    in_view: bool
    in_cone: bool


def lens_view(camera: SceneObject, pose: Pose, fx: float, size: tuple[int, int]) -> LensView:
    lens = np.array(camera.at, dtype=float)
    width, height = size
    u, v, z = pose.project(lens, fx, (width - 1) / 2.0, (height - 1) / 2.0)
    if z <= 1e-6:
        return LensView(float("nan"), float("nan"), False, False)
    facing = np.array(camera["facing"], dtype=float)
    to_device = pose.position - lens
    distance = float(np.linalg.norm(to_device))
    cos_angle = facing @ to_device / (np.linalg.norm(facing) * distance)
    in_view = bool(0 <= u < width and 0 <= v < height and cos_angle > 0)
    angle = float(np.degrees(np.arccos(np.clip(cos_angle, -1.0, 1.0))))
    in_cone = in_view and angle <= camera["fov_deg"] / 2.0 and distance <= EXPOSURE_RANGE_M
    return LensView(float(u), float(v), in_view, bool(in_cone))


def exposed_seconds(scenario: Scenario, camera: SceneObject, step_s: float = 0.05) -> float:
    """Seconds of the run during which `camera` is exposed (sampled every step_s)."""
    trajectory = Trajectory(scenario)
    d = scenario.device
    fx = (d.resolution[0] / 2.0) / np.tan(np.radians(d.hfov_deg) / 2.0)
    times = np.arange(0.0, scenario.total_s, step_s)
    hits = sum(lens_view(camera, trajectory.pose(t), fx, d.resolution).in_cone for t in times)
    return hits * step_s
