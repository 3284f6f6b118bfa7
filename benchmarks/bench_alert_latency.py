"""Latency from the frame that confirms a lens to the buzzer and the screen, through the
whole sweep runtime in simulation: the frame is taken from the feed, lens detection,
fusion, the buzzer pattern and a redraw of the screen (written to PNG by the emulator)
all happen before the clock stops. Printed next to the 100 ms budget, with one plain
redraw of the live view in the same run as the reference.

    python benchmarks/bench_alert_latency.py [SCENARIO ...]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from detector.config import load_config
from detector.hw.sim.display import CaptureDisplay
from detector.session.status import LiveStatus
from detector.sweep import SweepRequest, run_sweep
from detector.ui.screens import live_view

BUDGET_MS = 100.0
DEFAULT = ("default", "stall-ceiling-vent", "analog-camera-urinal", "changing-room-clock")


def redraw_ms(out: Path, repeats: int = 50) -> float:
    """The reference: draw the live view of a 1280x720 frame and show it on the
    emulator's capture device."""
    display = CaptureDisplay(out, (320, 240))
    frame = np.random.default_rng(0).integers(0, 255, (720, 1280), dtype=np.uint8)
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        display.show(live_view(frame, LiveStatus(elapsed_s=float(i))))
        times.append((time.perf_counter() - start) * 1000)
    display.close()
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenarios", nargs="*", default=list(DEFAULT))
    args = ap.parse_args()
    config = load_config(None, ["sim.display=capture"])
    latencies = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.scenarios:
            outcome = run_sweep(config, SweepRequest(backend={"scenario": name},
                                                     out_dir=Path(tmp) / name,
                                                     checklist_answer=True))
            measured = outcome.figures.alert_latency_ms
            print(f"{name}: {len(measured)} alerts, latency "
                  + ", ".join(f"{ms:.1f}" for ms in measured) + " ms")
            latencies.extend(measured)
        reference = redraw_ms(Path(tmp) / "reference")
    if not latencies:
        raise SystemExit("no alert was raised; nothing to measure")
    median, worst = statistics.median(latencies), max(latencies)
    print(f"alert latency over {len(latencies)} alerts: median {median:.1f} ms, "
          f"worst {worst:.1f} ms; budget {BUDGET_MS:.0f} ms (worst/budget "
          f"{worst / BUDGET_MS:.2f})")
    print(f"reference, one redraw of the live view: {reference:.1f} ms; median latency is "
          f"{median / reference:.1f}x a redraw")


if __name__ == "__main__":
    main()
