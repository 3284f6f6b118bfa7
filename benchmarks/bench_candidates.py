"""Lens-detection speed on one core: frame sets per second of `find_candidates` at 1280x720
and 2304x1296, next to a naive reference in the same run (threshold the on-axis frame and
label its connected components), and the extra cost of tracking and confirmation.

    python benchmarks/bench_candidates.py [SCENARIO] [--sets N] [--repeat R]

Frame sets are rendered by the simulator from the scenario (default: the bundled default
scenario, from the moment the hidden camera comes into view), so the frames hold real
texture, glints and the lens.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from functools import partial

import cv2

from detector.capture import capture_frames
from detector.hw.clock import SimClock
from detector.hw.lights import LightSequencer
from detector.hw.sim.camera import SimCamera
from detector.hw.sim.lights import SimLights
from detector.optics import FrameSetBuilder, LensDetector, LensParams, find_candidates
from detector.optics.candidates import finder_for
from detector.sim.scenario import load_scenario

RESOLUTIONS = ((1280, 720), (2304, 1296))
PATTERN = ("onaxis", "offaxis", "dark")


def render_sets(scenario_name: str, resolution: tuple[int, int], count: int, start_s: float):
    scenario = load_scenario(scenario_name)
    scenario = dataclasses.replace(
        scenario, device=dataclasses.replace(scenario.device, resolution=resolution))
    clock = SimClock()
    lights = SimLights(clock)
    camera = SimCamera(scenario, lights, clock)
    camera.index = int(start_s * camera.model.fps) // 3 * 3
    builder = FrameSetBuilder(PATTERN, LensParams.defaults().max_set_span_ms)
    sets = []
    for frame in capture_frames(camera, lights, LightSequencer(PATTERN)):
        if (fs := builder.add(frame)) is not None:
            sets.append(fs)
        if len(sets) == count:
            break
    return sets


def naive(onaxis, threshold: int = 200) -> int:
    mask = cv2.threshold(onaxis, threshold, 255, cv2.THRESH_BINARY)[1]
    count, _labels, _stats, _centroids = cv2.connectedComponentsWithStats(mask)
    return count - 1


def rate(fn, sets, repeat: int, rounds: int = 3, unpack: bool = False) -> float:
    """Sets per second, the best of `rounds` timings (the least disturbed by other load).
    unpack: call fn(onaxis, offaxis, dark) instead of fn(frame_set)."""
    if unpack:
        call = fn
        fn = lambda fs: call(fs.onaxis, fs.offaxis, fs.dark)  # noqa: E731
    fn(sets[0])  # warm-up (caches, lazy allocations)
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            for fs in sets:
                fn(fs)
        best = max(best, repeat * len(sets) / (time.perf_counter() - start))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default="default")
    ap.add_argument("--sets", type=int, default=20, help="distinct frame sets rendered")
    ap.add_argument("--repeat", type=int, default=10, help="passes over them")
    ap.add_argument("--start", type=float, default=6.0, help="scenario time of the first set")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    print("single thread (cv2.setNumThreads(1)); frame sets per second, higher is better")
    for resolution in RESOLUTIONS:
        sets = render_sets(args.scenario, resolution, args.sets, args.start)
        params = LensParams.defaults()
        finder = finder_for(params, sets[0].onaxis)
        detector = LensDetector(params, PATTERN)
        ref = rate(lambda fs: naive(fs.onaxis), sets, args.repeat)
        ours = rate(lambda fs: find_candidates(fs.onaxis, fs.offaxis, fs.dark), sets,
                    args.repeat)
        bare = rate(partial(finder.analyse, keep_rejected=True), sets, args.repeat, unpack=True)
        full = rate(detector.process, sets, args.repeat)
        found = sum(len(find_candidates(fs.onaxis, fs.offaxis, fs.dark)) for fs in sets)
        w, h = resolution
        print(f"{w}x{h}: find_candidates {ours:7.0f} sets/s   naive reference {ref:7.0f} sets/s"
              f"   ratio {ours / ref:.2f}")
        print(f"{'':>9}  with tracking and confirmation {full:7.0f} sets/s: "
              f"+{(bare / full - 1) * 100:.0f} % time over the candidate stage alone "
              f"({bare:.0f} sets/s); {found} candidates in {len(sets)} sets")


if __name__ == "__main__":
    main()
