"""The simulated camera: renders scenario frames with the timing of the real one.

Time is virtual (SimClock). Frame i's first row starts exposing at start + i/fps. The
frame is delivered after its readout and exposure plus a delivery latency; that is when
the clock stands when `read` returns, so a light switch the caller makes next is logged
at a realistic time. Latency is usually short (the switch lands in the gap between
exposures); with probability `switch_late_prob` it runs up to `switch_late_ms` longer
(the program was busy), and the switch may land inside a later frame.

Neither the frame's timestamp nor the switch log is exact, as on the Pi: the frame is
rendered under the LEDs' real switch times (SimLights.actual_log) and at its real
exposure start, but labelled, by the same code as on the Pi, from the switch log and a
timestamp with the sensor's jitter (docs/hardware-timing.md). Near a switch some labels
are therefore `mixed` and a few are wrong.
"""

from __future__ import annotations

import numpy as np

from detector.hw.camera import Camera, Frame
from detector.hw.clock import SimClock
from detector.hw.lights import Lights
from detector.hw.sim.lights import SimLights
from detector.hw.timing import label_frame, row_state_weights
from detector.sim import optics_model as om
from detector.sim.camera_model import CameraModel
from detector.sim.renderer import Renderer
from detector.sim.scenario import Scenario

FIRST_FRAME_NS = 1_000_000
TIMESTAMP_JITTER_US = 30.0  # frame-start interrupt latency, standard deviation
TIMESTAMP_LATE_PROB = 0.005  # an interrupt served late
TIMESTAMP_LATE_US = (100.0, 1000.0)


class SimCamera(Camera):
    def __init__(self, scenario: Scenario, lights: Lights, clock: SimClock, *,
                 gain: float = 4.0, readout_ms: float = 8.0, switch_latency_ms: float = 2.0,
                 switch_late_prob: float = 0.02, switch_late_ms: float = 6.0,
                 noise: bool = True, seconds: float | None = None,
                 focus_m: float = om.DEVICE_FOCUS_M) -> None:
        self.scenario = scenario
        self.lights = lights
        self.clock = clock
        self.model = CameraModel.from_scenario(scenario, gain=gain, readout_ms=readout_ms,
                                               focus_m=focus_m)
        self.renderer = Renderer(scenario, self.model, noise=noise)
        self.latency_ns = switch_latency_ms * 1e6
        self.late_prob = switch_late_prob
        self.late_ns = switch_late_ms * 1e6
        self.rng = np.random.default_rng([scenario.seed, 0xCA3])
        total = scenario.total_s if seconds is None else min(seconds, scenario.total_s)
        self.n_frames = int(np.floor(total * self.model.fps)) + 1
        self.index = 0
        self.exposure_ns = int(round(self.model.exposure_us * 1000))
        self.readout_ns = int(round(self.model.readout_ms * 1e6))

    @property
    def resolution(self) -> tuple[int, int]:
        return self.model.width, self.model.height

    @property
    def can_focus(self) -> bool:
        return True  # the simulated module is a Camera Module 3

    def sensor_modes(self) -> list[dict]:
        return [{"size": (self.model.width, self.model.height), "fps": self.model.fps,
                 "bit_depth": 8}]

    def frame_start_ns(self, index: int) -> int:
        # The first exposure starts a moment after streaming starts (and after the
        # runtime switched the LEDs for it).
        return self.clock.start_ns + FIRST_FRAME_NS + int(round(index * 1e9 / self.model.fps))

    def read(self) -> Frame | None:
        if self.index >= self.n_frames:
            return None
        i = self.index
        t0_ns = self.frame_start_ns(i)
        logged = list(self.lights.switch_log)
        # What the LEDs really did (the log is stamped a little late on the Pi too).
        switches = (list(self.lights.actual_log) if isinstance(self.lights, SimLights)
                    else logged)
        exposure_ns, readout_ns = self.exposure_ns, self.readout_ns

        def weights_at(row_frac: float) -> dict[str, float]:
            w = row_state_weights(switches, t0_ns, exposure_ns, readout_ns,
                                  np.array([row_frac]))
            return {k: float(v[0]) for k, v in w.items()}

        grid = row_state_weights(switches, t0_ns, exposure_ns, readout_ns,
                                 self.renderer.grid_row_frac)
        rendered = self.renderer.render((t0_ns - self.clock.start_ns) / 1e9, weights_at, grid)
        stamp_error_us = self.rng.normal(0.0, TIMESTAMP_JITTER_US)
        if self.rng.random() < TIMESTAMP_LATE_PROB:
            stamp_error_us += self.rng.uniform(*TIMESTAMP_LATE_US)
        stamped_ns = t0_ns + int(stamp_error_us * 1000)
        label = label_frame(logged, stamped_ns, exposure_ns, readout_ns)
        latency = self.latency_ns * (0.5 + self.rng.exponential(0.5))
        if self.rng.random() < self.late_prob:
            latency += self.rng.uniform(0.0, self.late_ns)
        self.clock.advance_to(t0_ns + readout_ns + exposure_ns + int(latency))
        self.index += 1
        true_label = label_frame(switches, t0_ns, exposure_ns, readout_ns, guard_ns=0)
        return Frame(index=i, t_ns=stamped_ns, exposure_us=self.model.exposure_us, lights=label,
                     image=rendered.image,
                     meta={"truth": rendered.truth, "position": rendered.pose.position.tolist(),
                           "rotation": rendered.pose.rotation.tolist(),
                           "true_lights": true_label})
