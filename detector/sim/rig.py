"""Simulated calibration set-ups: the reference target (a camera lens in a matt plate,
calibration/reference-target.md) straight ahead at a given distance, and a diffuse grey
target, rendered through the same camera and light models as every scenario."""

from __future__ import annotations

import numpy as np

from detector.backends import build_devices
from detector.capture import labelled_images
from detector.config import Config
from detector.settings import CameraSettings, LightsSettings
from detector.sim.scenario import Scenario, parse_scenario

REFERENCE_LENS_MM = 1.0  # calibration/reference-target.md


def reference_scenario(distance_m: float, exposure_us: float = 2000.0,
                       resolution: tuple[int, int] = (1280, 720), lens: bool = True,
                       surface: str = "paint", seconds: float = 0.5) -> Scenario:
    """The device on a stand, looking square at a wall `distance_m` away; the reference
    lens (if `lens`) in the middle of it, facing the device."""
    depth = distance_m + 0.3
    data = {
        "format": 1, "name": f"reference-{distance_m:g}m", "seed": 5,
        "room": {"size": [2.0, depth, 2.4], "surface": surface, "ambient": 0.02},
        "device": {"resolution": list(resolution), "exposure_us": exposure_us},
        "path": {"tremor_deg": 0.0, "start_at_door_s": 0.0, "waypoints": [
            {"t": 0.0, "at": [1.0, 0.3, 1.2], "look": [1.0, depth, 1.2]},
            {"t": seconds, "at": [1.0, 0.3, 1.2], "look": [1.0, depth, 1.2]}]},
        "objects": [{"kind": "camera", "id": "reference", "at": [1.0, depth, 1.2],
                     "facing": [0, -1, 0], "disguise": "bare",
                     "lens_mm": REFERENCE_LENS_MM}] if lens else [],
    }
    return parse_scenario(data, f"reference-{distance_m:g}m")


def capture(config: Config, scenario: Scenario, gain: float) -> list[tuple[str, np.ndarray]]:
    """Every frame of the set-up, labelled (mixed frames left out, as the detector does)."""
    devices = build_devices(config.simulated().with_values(camera={"analogue_gain": gain}),
                            scenario=scenario)
    try:
        return labelled_images(devices, LightsSettings.of(config).pattern)
    finally:
        devices.close()


class SimRig:
    """The calibration bench in simulation: capture functions for each step."""

    def __init__(self, config: Config, resolution: tuple[int, int] = (1280, 720)) -> None:
        self.config = config
        self.resolution = resolution

    def reference(self, distance_m: float, exposure_us: float,
                  gain: float) -> list[tuple[str, np.ndarray]]:
        return capture(self.config, reference_scenario(distance_m, exposure_us,
                                                       self.resolution), gain)

    def focus_frames(self, distance_m: float):
        """Frames of the reference target at `distance_m` for each lens offset tried."""
        cam = CameraSettings.of(self.config)
        scenario = reference_scenario(distance_m, cam.exposure_us, self.resolution, seconds=0.2)
        return lambda offset: capture(
            self.config.with_values(calibration={"lens_offset_dioptres": offset}), scenario,
            cam.analogue_gain)

    def grey_target(self) -> list[tuple[str, np.ndarray]]:
        return capture(self.config, reference_scenario(
            0.8, CameraSettings.of(self.config).exposure_us, self.resolution, lens=False),
            CameraSettings.of(self.config).analogue_gain)
