"""The inspector's motion: the handheld's pose over time, from the scenario's path.

Timeline: for `start_at_door_s` seconds the device rests at the first waypoint (the RF
baseline is learned there); then waypoint times count from the end of that wait.
Position is linear between waypoints; the aim turns by the shortest rotation (slerp of
the viewing direction), with the image kept upright (camera x axis horizontal).

Hand tremor: the angular shake of a handheld camera is mostly slow drift (0.5-3 Hz)
with a small physiological component at 8-12 Hz (Elble & Koller, "Tremor", 1990;
image-stabilisation studies put handshake at 0.1-0.3 degrees). We sum a few sinusoids
per axis with seeded random frequencies and phases in those bands, 90 % of the variance
in the drift, scaled so each axis has the scenario's RMS.
The signal is smooth, so motion blur and rolling shutter see a continuous pose.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detector.sim.scenario import Scenario

WORLD_UP = np.array([0.0, 0.0, 1.0])


@dataclass(frozen=True)
class Pose:
    """Camera pose: position (m) and rotation whose columns are the camera axes
    (x right, y down, z forward) in room coordinates."""

    position: np.ndarray
    rotation: np.ndarray

    @property
    def forward(self) -> np.ndarray:
        return self.rotation[:, 2]

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """Room points (..., 3) -> camera coordinates (..., 3)."""
        return (np.asarray(points) - self.position) @ self.rotation

    def to_room(self, offsets: np.ndarray) -> np.ndarray:
        """Camera-frame offsets (..., 3) -> room points."""
        return self.position + np.asarray(offsets) @ self.rotation.T

    def project(self, point: np.ndarray, fx: float, cx: float,
                cy: float) -> tuple[float, float, float]:
        """Pinhole projection of a room point: pixel (u, v) and depth; nan behind the camera."""
        pc = self.to_camera(point)
        z = float(pc[2])
        if z <= 1e-6:
            return float("nan"), float("nan"), z
        return fx * pc[0] / z + cx, fx * pc[1] / z + cy, z


def look_rotation(forward: np.ndarray) -> np.ndarray:
    """Rotation with z along `forward`, x horizontal to the right, y pointing down."""
    f = forward / np.linalg.norm(forward)
    right = np.cross(f, WORLD_UP)
    if np.linalg.norm(right) < 1e-6:  # looking straight up or down: pick room +x as right
        right = np.array([1.0, 0.0, 0.0]) - f * f[0]
    right /= np.linalg.norm(right)
    down = np.cross(f, right)
    return np.column_stack([right, down, f])


def _axis_angle(axis: np.ndarray, angle: float) -> np.ndarray:
    axis = axis / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)


def small_rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Rotation in the camera frame by small angles (radians) about y, x and z."""
    ry = _axis_angle(np.array([0.0, 1.0, 0.0]), yaw)
    rx = _axis_angle(np.array([1.0, 0.0, 0.0]), pitch)
    rz = _axis_angle(np.array([0.0, 0.0, 1.0]), roll)
    return ry @ rx @ rz


def slerp(a: np.ndarray, b: np.ndarray, s: float) -> np.ndarray:
    a = a / np.linalg.norm(a)
    b = b / np.linalg.norm(b)
    dot = float(np.clip(a @ b, -1.0, 1.0))
    angle = np.arccos(dot)
    if angle < 1e-9:
        return a
    if np.pi - angle < 1e-6:  # opposite: turn about the world vertical (or x) axis
        axis = np.cross(a, WORLD_UP)
        if np.linalg.norm(axis) < 1e-6:
            axis = np.array([1.0, 0.0, 0.0])
        return _axis_angle(axis, angle * s) @ a
    return (np.sin((1 - s) * angle) * a + np.sin(s * angle) * b) / np.sin(angle)


class Tremor:
    """Smooth seeded angular jitter (radians) for yaw, pitch and roll."""

    N_FAST, N_SLOW = 3, 2

    def __init__(self, rms_deg: float, seed: int) -> None:
        rng = np.random.default_rng([seed, 0x7E30])
        n = self.N_FAST + self.N_SLOW
        self.freqs = np.concatenate([rng.uniform(8.0, 12.0, (3, self.N_FAST)),
                                     rng.uniform(0.5, 3.0, (3, self.N_SLOW))], axis=1)
        self.phases = rng.uniform(0, 2 * np.pi, (3, n))
        # A sinusoid of amplitude a has variance a²/2: split the variance 10 % / 90 %.
        rms = np.deg2rad(rms_deg)
        fast = rms * np.sqrt(0.1 * 2.0 / self.N_FAST)
        slow = rms * np.sqrt(0.9 * 2.0 / self.N_SLOW)
        self.amplitude = np.array([fast] * self.N_FAST + [slow] * self.N_SLOW)
        self.roll_scale = 0.5  # wrist roll is smaller than yaw and pitch

    def angles(self, t: float) -> tuple[float, float, float]:
        values = (self.amplitude * np.sin(2 * np.pi * self.freqs * t + self.phases)).sum(axis=1)
        return float(values[0]), float(values[1]), float(values[2] * self.roll_scale)


class Trajectory:
    """Pose of the handheld at any simulated time (seconds from the start of the run)."""

    def __init__(self, scenario: Scenario) -> None:
        path = scenario.path
        self.door_s = path.start_at_door_s
        self.times = np.array([w.t for w in path.waypoints])
        self.positions = np.array([w.at for w in path.waypoints], dtype=float)
        looks = np.array([w.look for w in path.waypoints], dtype=float)
        self.directions = looks - self.positions
        self.directions /= np.linalg.norm(self.directions, axis=1, keepdims=True)
        self.tremor = Tremor(path.tremor_deg, scenario.seed)

    def nominal(self, t: float) -> Pose:
        """Pose without tremor."""
        tp = t - self.door_s
        if tp <= self.times[0]:
            i, s = 0, 0.0
        elif tp >= self.times[-1]:
            i, s = len(self.times) - 2, 1.0
        else:
            i = int(np.searchsorted(self.times, tp, side="right")) - 1
            s = (tp - self.times[i]) / (self.times[i + 1] - self.times[i])
        position = (1 - s) * self.positions[i] + s * self.positions[i + 1]
        direction = slerp(self.directions[i], self.directions[i + 1], s)
        return Pose(position=position, rotation=look_rotation(direction))

    def pose(self, t: float) -> Pose:
        base = self.nominal(t)
        yaw, pitch, roll = self.tremor.angles(t)
        return Pose(position=base.position, rotation=base.rotation @ small_rotation(yaw, pitch, roll))
