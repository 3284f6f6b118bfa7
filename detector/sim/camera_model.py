"""The simulated camera's geometry and timing (CameraModel), the poses across one
frame's exposure (FramePoses), and what a rendered frame carries (its truth)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from detector.sim import optics_model as om
from detector.sim.motion import Pose, Trajectory
from detector.sim.scenario import Scenario

# How far a simulated module focuses from where its lens is set (dioptres, either way).
# No datasheet gives it: the picamera2 maintainers call the Camera Module 3's dioptre
# values best effort, its modules differ, and users report modules that need positions
# 2 D apart to focus at the same macro distance. At the device's 0.5 D a spread of 0.3 D
# moves the focus between 1.25 m and 5 m, beyond the 0.17 D the detector tolerates
# (docs/lens-detection.md, depth of field), so each unit must be focused on the bench.
FOCUS_ERROR_SPREAD_D = 0.3


def focus_error_of(unit: int) -> float:
    """The focus error of simulated unit `unit` (0: the nominal module, none)."""
    if unit == 0:
        return 0.0
    rng = np.random.default_rng([unit, 0xF0C5])
    return float(rng.uniform(-FOCUS_ERROR_SPREAD_D, FOCUS_ERROR_SPREAD_D))


@dataclass(frozen=True)
class CameraModel:
    width: int
    height: int
    hfov_deg: float
    fps: float
    exposure_us: float
    gain: float
    readout_ms: float
    ring_mm: float
    offaxis_mm: float
    # Where the lens is focused: 1/focus_m in dioptres (inf at infinity; negative, past it).
    focus_m: float = om.DEVICE_FOCUS_M

    @property
    def fx(self) -> float:
        return (self.width / 2.0) / np.tan(np.radians(self.hfov_deg) / 2.0)

    @property
    def cx(self) -> float:
        return (self.width - 1) / 2.0

    @property
    def cy(self) -> float:
        return (self.height - 1) / 2.0

    def point_sigma_px(self, distance_m: float, size_px: float) -> float:
        """Sigma of a point source's image: the optics' blur, the source's own size (a
        disc of `size_px`) and the defocus at its distance, added in quadrature."""
        defocus = om.defocus_sigma_px(self.fx, distance_m, self.focus_m)
        return float(np.sqrt(om.PSF_SIGMA_PX**2 + (size_px / 4.0)**2 + defocus**2))

    @property
    def dn_scale(self) -> float:
        """DN10 per unit (albedo × irradiance) for this exposure and gain."""
        return (om.DN_PER_UNIT_RADIANCE * (self.exposure_us / om.REFERENCE_EXPOSURE_US)
                * (self.gain / om.REFERENCE_GAIN))

    @classmethod
    def from_scenario(cls, scenario: Scenario, gain: float = 4.0,
                      readout_ms: float = 8.0,
                      focus_m: float = om.DEVICE_FOCUS_M) -> CameraModel:
        d = scenario.device
        frame_ms = 1000.0 / d.fps
        # The readout cannot outlast the frame minus the exposure.
        readout = min(readout_ms, max(frame_ms - d.exposure_us / 1000.0 - 0.5, 0.0))
        return cls(width=d.resolution[0], height=d.resolution[1], hfov_deg=d.hfov_deg,
                   fps=d.fps, exposure_us=d.exposure_us, gain=gain, readout_ms=readout,
                   ring_mm=d.ring_mm, offaxis_mm=d.offaxis_mm, focus_m=focus_m)


@dataclass
class FrameTruth:
    """Where each object projects in one frame (for truth.json)."""

    cameras: list[tuple[str, float, float, bool]] = field(default_factory=list)
    distractors: list[tuple[str, str, float, float]] = field(default_factory=list)


@dataclass
class RenderedFrame:
    image: np.ndarray
    truth: FrameTruth
    pose: Pose


class FramePoses:
    """Poses across one frame's exposure window, linearly interpolated (the window lasts
    ~10 ms, over which the rotation is tiny)."""

    def __init__(self, trajectory: Trajectory, t0: float, readout_s: float, exposure_s: float):
        self.t0, self.readout, self.exposure = t0, readout_s, exposure_s
        self.span = readout_s + exposure_s
        a = trajectory.pose(t0)
        b = trajectory.pose(t0 + self.span)
        self.p0, self.p1 = a.position, b.position
        self.r0, self.r1 = a.rotation, b.rotation

    def at(self, row_frac: float, phase: float) -> Pose:
        """Pose at the given row (0..1) and point of its exposure (0 start, 1 end)."""
        t = row_frac * self.readout + phase * self.exposure
        s = t / self.span if self.span > 0 else 0.0
        return Pose(position=(1 - s) * self.p0 + s * self.p1,
                    rotation=(1 - s) * self.r0 + s * self.r1)
