"""Renderer speed: frames per second at 1280x720 on one core, next to a reference in the
same run (one cv2.warpPerspective of a textured plane at that size).

    python benchmarks/bench_renderer.py [SCENARIO] [--frames N]
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np

from detector.capture import capture_frames
from detector.hw.clock import SimClock
from detector.hw.lights import LightSequencer
from detector.hw.sim.camera import SimCamera
from detector.hw.sim.lights import SimLights
from detector.sim.scenario import load_scenario
from detector.sim.textures import surface_texture


def reference_fps(frames: int, size=(1280, 720)) -> float:
    texture = (surface_texture("tile") * 255).astype(np.uint8)
    start = time.perf_counter()
    for i in range(frames):
        h = np.array([[0.3, 0.02 * np.sin(i), 100], [0.01, 0.3, 20], [0, 1e-4, 1]])
        cv2.warpPerspective(texture, h, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                            borderMode=cv2.BORDER_WRAP)
    return frames / (time.perf_counter() - start)


def renderer_fps(scenario_name: str, frames: int) -> float:
    scenario = load_scenario(scenario_name)
    clock = SimClock()
    lights = SimLights(clock)
    camera = SimCamera(scenario, lights, clock)
    sequencer = LightSequencer(["onaxis", "offaxis", "dark"])
    next(capture_frames(camera, lights, sequencer, max_frames=1))  # warm-up
    start = time.perf_counter()
    count = sum(1 for _ in capture_frames(camera, lights, sequencer, max_frames=frames))
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", nargs="?", default="default")
    parser.add_argument("--frames", type=int, default=600)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    ref = reference_fps(args.frames)
    fps = renderer_fps(args.scenario, args.frames)
    print(f"reference (one warpPerspective 1280x720): {ref:8.1f} frames/s")
    print(f"renderer  ({args.scenario}, 1280x720):      {fps:8.1f} frames/s")
    print(f"ratio renderer/reference: {fps / ref:.3f}")
    print(f"a 60 s sweep at 60 fps renders in {3600 / fps:.1f} s")


if __name__ == "__main__":
    main()
