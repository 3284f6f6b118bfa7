"""RF detection under varied radio conditions: scanner cadence (4 to 30 sweeps a second),
packet timing, units whose levels sit +-10 dB from nominal, uncalibrated units, and a
device without a Wi-Fi monitor to explain phones' traffic.
Each condition runs the same rooms and seeds as `detector eval --rf-only --radio ...`
and is scored by emitter; the table prints counts and 95 % intervals beside each rate.

    python benchmarks/rf_conditions.py [--seeds N] [--seed-offset K] [--jobs N] [--json F]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from detector.config import load_config
from detector.evaluation.jobs import default_workers, expand, run_jobs
from detector.evaluation.report import evaluate, format_interval

CONDITIONS = [
    ("as built, calibrated (the default)", ""),
    ("16 sweeps/s", "scans=16"),
    ("8 sweeps/s", "scans=8"),
    ("4 sweeps/s", "scans=4"),
    ("packets 0.3 ms", "packet_us=300"),
    ("packets 3 ms", "packet_us=3000"),
    ("half the airtime", "occupancy=0.5"),
    ("twice the airtime", "occupancy=2"),
    ("unit reads 10 dB high, uncorrected", "offset_db=10"),
    ("unit reads 10 dB low, uncorrected", "offset_db=-10"),
    ("uncalibrated unit", "uncalibrated"),
    ("no Wi-Fi monitor", "no_wifi"),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--seed-offset", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=default_workers())
    ap.add_argument("--json", type=Path)
    ap.add_argument("--only", help="run only conditions whose text contains this")
    args = ap.parse_args()
    config = load_config(None, [])
    rows = []
    print(f"{'condition':<38} {'RF recall':>24} {'FA/sweep, rooms with radios':>34}")
    for title, text in CONDITIONS:
        if args.only and args.only not in text:
            continue
        jobs = expand([], args.seeds, rf_only=True, seed_offset=args.seed_offset, radio=text)
        t = evaluate(run_jobs(jobs, config, args.jobs), config.get("lens.confirm_score"),
                     config.get("lens.confirm_min_hits"), lens=False)["totals"]
        rows.append({"condition": title, "radio": text, **{k: v for k, v in t.items()
                                                           if k.startswith("rf_")}})
        recall = (f"{t['rf_recall']:.3f} ({t['rf_detected']}/{t['rf_cameras_transmitting']}; "
                  f"{format_interval(t['rf_recall_ci95'])})")
        busy = t["rf_sweeps_with_other_radios"]
        busy_rate = t["rf_false_alerts_per_sweep_with_other_radios"]
        fa = (f"{busy_rate:.3f} ({t['rf_false_alerts_with_other_radios']}/{busy}; "
              f"{format_interval(t['rf_false_alerts_per_sweep_with_other_radios_ci95'])})")
        print(f"{title:<38} {recall:>24} {fa:>34}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
