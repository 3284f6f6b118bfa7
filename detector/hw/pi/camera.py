"""picamera2 camera with fixed exposure, gain and frame duration (DESIGN.md section 6).

Frames are labelled afterwards from their metadata and the light-switch log:
libcamera's SensorTimestamp marks the frame start (start of readout of the first row,
on the same monotonic clock as time.monotonic_ns()), so the first row's exposure began
ExposureTime earlier. A frame whose exposure window contains a switch is `mixed`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from detector.errors import DetectorError, require
from detector.hw.camera import Camera, Frame, lens_position
from detector.hw.lights import Lights
from detector.hw.timing import label_frame

AF_MODE_MANUAL = 0  # libcamera's AfModeEnum.Manual
INSTALL_HINT = ("install Raspberry Pi OS's python3-picamera2 (sudo apt install "
                "python3-picamera2) and create the venv with --system-site-packages")


def choose_sensor_mode(modes: list[dict[str, Any]], resolution: tuple[int, int], fps: float,
                       wanted: tuple[int, int] = (0, 0)) -> dict[str, Any]:
    """The requested mode, else the smallest one covering the resolution at the rate."""
    if not modes:
        raise DetectorError("camera reports no sensor modes; is it connected and enabled?")
    if tuple(wanted) != (0, 0):
        for mode in modes:
            if tuple(mode["size"]) == tuple(wanted):
                return mode
        sizes = ", ".join(f"{m['size'][0]}x{m['size'][1]}" for m in modes)
        raise DetectorError(f"camera.sensor_mode {wanted[0]}x{wanted[1]} is not offered; "
                            f"the sensor has {sizes}")
    fitting = [m for m in modes if m["size"][0] >= resolution[0]
               and m["size"][1] >= resolution[1] and m.get("fps", 0) >= fps]
    if not fitting:
        raise DetectorError(f"no sensor mode gives {resolution[0]}x{resolution[1]} at "
                            f"{fps:g} fps")
    return min(fitting, key=lambda m: m["size"][0] * m["size"][1])


class PiCamera(Camera):
    def __init__(self, lights: Lights, *, resolution: tuple[int, int], fps: float,
                 exposure_us: float, analogue_gain: float, readout_ms: float,
                 sensor_mode: tuple[int, int] = (0, 0), focus_m: float = 2.0,
                 lens_offset_dioptres: float = 0.0, picamera2_module: Any = None) -> None:
        self.lights = lights
        self._resolution = (int(resolution[0]), int(resolution[1]))
        self.fps = fps
        self.exposure_us = exposure_us
        self.gain = analogue_gain
        self.readout_ns = int(readout_ms * 1e6)
        self.wanted_mode = tuple(sensor_mode)
        self.focus_m = focus_m
        self.lens_offset = lens_offset_dioptres
        self._module = picamera2_module
        self.picam2: Any = None
        self.mode: dict[str, Any] | None = None
        self.index = 0

    @property
    def resolution(self) -> tuple[int, int]:
        return self._resolution

    @property
    def can_focus(self) -> bool:
        return "LensPosition" in (getattr(self.picam2, "camera_controls", None) or {})

    def sensor_modes(self) -> list[dict[str, Any]]:
        return list(self.picam2.sensor_modes) if self.picam2 is not None else []

    def start(self) -> None:
        module = self._module or require("picamera2", INSTALL_HINT)
        try:
            self.picam2 = module.Picamera2()
        except (RuntimeError, IndexError) as exc:
            raise DetectorError(f"camera not found ({exc}); check the ribbon cable and "
                                f"`rpicam-hello --list-cameras`") from None
        self.mode = choose_sensor_mode(self.sensor_modes(), self._resolution, self.fps,
                                       self.wanted_mode)
        frame_us = int(round(1e6 / self.fps))
        controls: dict[str, Any] = {
            "FrameDurationLimits": (frame_us, frame_us),
            "ExposureTime": int(self.exposure_us),
            "AnalogueGain": float(self.gain),
            "AeEnable": False,
            "AwbEnable": False,
        }
        if self.can_focus:
            # A lens that can focus (Camera Module 3) is held at camera.focus_m: autofocus
            # would refocus mid-sweep and change every spot's blur, which the point-spread
            # test judges. A fixed-focus module keeps the focus it was built with.
            controls["AfMode"] = AF_MODE_MANUAL
            controls["LensPosition"] = lens_position(self.focus_m, self.lens_offset)
        config = self.picam2.create_video_configuration(
            main={"size": self._resolution, "format": "YUV420"},
            sensor={"output_size": tuple(self.mode["size"]),
                    "bit_depth": self.mode.get("bit_depth", 10)},
            controls=controls,
            buffer_count=6,
        )
        self.picam2.configure(config)
        self.picam2.start()

    def stop(self) -> None:
        if self.picam2 is not None:
            self.picam2.stop()
            self.picam2.close()
            self.picam2 = None

    def read(self) -> Frame | None:
        if self.picam2 is None:
            raise DetectorError("camera not started")
        request = self.picam2.capture_request()
        try:
            yuv = request.make_array("main")
            metadata = request.get_metadata()
        finally:
            request.release()
        width, height = self._resolution
        luma = np.ascontiguousarray(yuv[:height, :width])  # the Y plane of YUV420
        exposure_us = float(metadata.get("ExposureTime", self.exposure_us))
        exposure_ns = int(exposure_us * 1000)
        t_ns = int(metadata["SensorTimestamp"]) - exposure_ns
        label = label_frame(self.lights.switch_log, t_ns, exposure_ns, self.readout_ns)
        frame = Frame(index=self.index, t_ns=t_ns, exposure_us=exposure_us, lights=label,
                      image=luma, meta={"gain": metadata.get("AnalogueGain")})
        self.index += 1
        return frame
