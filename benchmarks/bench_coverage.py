"""The coverage estimate against the simulator's true pose, over the scenario library.

For each scenario the sweep runs through lens detection (which measures the image shift
between frame sets) and the coverage map; the same map is also filled from the true
viewing direction. Printed per scenario: the heading error (yaw, pitch; median and worst
over the sweep) and the coverage percentage estimated vs true.

    python benchmarks/bench_coverage.py [SCENARIO ...] [--jobs N]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics

import numpy as np


def measure(name: str) -> dict:
    from detector.evaluation.heading import check_heading
    from detector.locations import guess_room_type, load_procedures
    from detector.sim.scenario import load_scenario

    scenario = load_scenario(name)
    procedure = load_procedures()[guess_room_type(f"{scenario.name} {scenario.description}")]
    check = check_heading(scenario, yaw_range=procedure.yaw_deg,
                          pitch_range=procedure.pitch_deg)
    e, est = check.errors, check.estimated
    return {"name": name, "yaw_median": float(np.median(e[:, 0])),
            "yaw_max": float(e[:, 0].max()), "pitch_median": float(np.median(e[:, 1])),
            "pitch_max": float(e[:, 1].max()), "coverage": est.coverage,
            "true_coverage": check.true.coverage,
            "too_fast": est.fast_intervals + est.lost_intervals, "intervals": est.intervals}


def main() -> None:
    from detector.sim.scenario import bundled_scenarios

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenarios", nargs="*")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    names = args.scenarios or [p.stem for p in bundled_scenarios()]
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        rows = pool.map(measure, names)
    print(f"{'scenario':<30} {'yaw err med/max':>16} {'pitch err med/max':>18} "
          f"{'coverage est/true':>18} {'too fast':>9}")
    for r in rows:
        print(f"{r['name']:<30} {r['yaw_median']:7.1f} /{r['yaw_max']:5.1f}   "
              f"{r['pitch_median']:8.1f} /{r['pitch_max']:5.1f}   "
              f"{r['coverage']:8.0%} /{r['true_coverage']:5.0%}   "
              f"{r['too_fast']:4d}/{r['intervals']}")
    diffs = [abs(r["coverage"] - r["true_coverage"]) for r in rows]
    print(f"heading error, median over scenarios: yaw "
          f"{statistics.median(r['yaw_median'] for r in rows):.1f} deg, pitch "
          f"{statistics.median(r['pitch_median'] for r in rows):.1f} deg; worst yaw "
          f"{max(r['yaw_max'] for r in rows):.1f}, pitch {max(r['pitch_max'] for r in rows):.1f}")
    print(f"coverage error: median {statistics.median(diffs):.1%} points, "
          f"worst {max(diffs):.1%} points")


if __name__ == "__main__":
    main()
