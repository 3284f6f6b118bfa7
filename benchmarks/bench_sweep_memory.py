"""Peak resident memory of a 60 s simulated sweep at 1280x720 with lens detection running
on every frame set (the whole `detector eval` path for one sweep), next to the memory
of the interpreter with the package and OpenCV loaded, measured in the same run.

    python benchmarks/bench_sweep_memory.py [SCENARIO] [--seconds 60]

The scenario's path is stretched in time to last the requested number of seconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import time

import cv2

from detector.config import load_config
from detector.evaluation.runs import run_scenario
from detector.sim.scenario import load_scenario


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def stretched(name: str, seconds: float):
    scenario = load_scenario(name)
    k = seconds / scenario.total_s
    path = scenario.path
    waypoints = tuple(dataclasses.replace(w, t=w.t * k) for w in path.waypoints)
    path = dataclasses.replace(path, waypoints=waypoints, start_at_door_s=path.start_at_door_s * k)
    return dataclasses.replace(scenario, path=path, duration_s=scenario.duration_s * k)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default="default")
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args()
    cv2.setNumThreads(1)
    config = load_config(use_user_file=False)
    scenario = stretched(args.scenario, args.seconds)
    baseline = rss_mb()
    started = time.perf_counter()
    run = run_scenario(scenario, config)
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    w, h = scenario.device.resolution
    print(f"{scenario.name}: {scenario.total_s:.0f} s sweep at {w}x{h}, {run.frames} frames, "
          f"{run.sets} frame sets, {len(run.alerts)} alerts, {wall:.0f} s wall")
    print(f"resident memory: {baseline:.0f} MB before the sweep, peak {peak:.0f} MB "
          f"(target: under 300 MB); the sweep added {peak - baseline:.0f} MB")


if __name__ == "__main__":
    main()
