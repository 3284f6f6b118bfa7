"""Lens-detection speed on one core: frame sets per second of `find_candidates` at 1280x720
and 2304x1296, next to a naive reference in the same run (threshold the on-axis frame and
label its connected components), and the extra cost of tracking and confirmation.

    python benchmarks/bench_candidates.py [SCENARIO] [--sets N] [--repeat R] [--rounds K]

Frame sets are rendered by the simulator from the scenario (default: the bundled default
scenario, from the moment the hidden camera comes into view), so the frames hold real
texture, glints and the lens.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
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


def _call(fn, unpack: bool):
    return (lambda fs: fn(fs.onaxis, fs.offaxis, fs.dark)) if unpack else fn


def alternated_rates(fns: dict, sets, repeat: int, rounds: int = 7,
                     unpack: frozenset = frozenset()) -> dict[str, float]:
    """Sets per second of each function, the median over `rounds` rounds in which the
    functions take turns (so a burst of other load hits them all alike). `unpack`
    names the functions called as fn(onaxis, offaxis, dark) instead of fn(frame_set)."""
    calls = {name: _call(fn, name in unpack) for name, fn in fns.items()}
    for call in calls.values():
        call(sets[0])  # warm-up (caches, lazy allocations)
    timings: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.perf_counter()
            for _ in range(repeat):
                for fs in sets:
                    call(fs)
            timings[name].append(repeat * len(sets) / (time.perf_counter() - start))
    return {name: statistics.median(values) for name, values in timings.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default="default")
    ap.add_argument("--sets", type=int, default=20, help="distinct frame sets rendered")
    ap.add_argument("--repeat", type=int, default=3, help="passes over them per round")
    ap.add_argument("--rounds", type=int, default=7, help="alternated rounds (the median)")
    ap.add_argument("--start", type=float, default=6.0, help="scenario time of the first set")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    print("single thread (cv2.setNumThreads(1)); frame sets per second, the median of "
          f"{args.rounds} alternated rounds; higher is better")
    for resolution in RESOLUTIONS:
        sets = render_sets(args.scenario, resolution, args.sets, args.start)
        params = LensParams.defaults()
        finder = finder_for(params, sets[0].onaxis)
        detector = LensDetector(params, PATTERN)
        rates = alternated_rates({
            "naive": lambda fs: naive(fs.onaxis),
            "ours": lambda fs: find_candidates(fs.onaxis, fs.offaxis, fs.dark),
            "bare": partial(finder.analyse, keep_rejected=True),
            "full": detector.process}, sets, args.repeat, args.rounds, frozenset({"bare"}))
        ref, ours, bare, full = (rates[k] for k in ("naive", "ours", "bare", "full"))
        found = sum(len(find_candidates(fs.onaxis, fs.offaxis, fs.dark)) for fs in sets)
        w, h = resolution
        print(f"{w}x{h}: find_candidates {ours:7.0f} sets/s   naive reference {ref:7.0f} sets/s"
              f"   ratio {ours / ref:.2f}")
        print(f"{'':>9}  with tracking and confirmation {full:7.0f} sets/s: "
              f"+{(bare / full - 1) * 100:.0f} % time over the candidate stage alone "
              f"({bare:.0f} sets/s); {found} candidates in {len(sets)} sets")


if __name__ == "__main__":
    main()
