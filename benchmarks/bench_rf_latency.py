"""Latency from a sweep frame's last byte to its RF analysis result: the host decodes the
frame, turns it into a reading and runs the analysis, for CC2500 and RX5808 sweeps from
the simulated scanner, after the door baseline. Printed next to the 20 ms budget.

    python benchmarks/bench_rf_latency.py [SCENARIO]
"""

from __future__ import annotations

import argparse
import statistics
import time

from detector.hw.clock import SimClock
from detector.rf.analysis import RfAnalyzer
from detector.rf.readings import broadband_reading, sweep_reading
from detector.rf.sim.scanner import SimScanner
from detector.rf.wire import StreamDecoder
from detector.sim.scenario import load_scenario
from detector_firmware import protocol as P

BUDGET_MS = 20.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default="wifi-camera-stall")
    args = ap.parse_args()
    scenario = load_scenario(args.scenario)
    clock = SimClock()
    scanner = SimScanner(scenario, lambda: (clock.monotonic_ns() - clock.start_ns) / 1000.0)
    scanner.feed(P.pack_frame(P.START, 0))
    frames = bytearray()
    t = clock.start_ns
    while t < clock.start_ns + int(scenario.total_s * 1e9):
        t += 20_000_000
        clock.advance_to(t)
        scanner.advance()
        frames += scanner.take(1 << 20)
    # Replay the captured stream frame by frame; the clock is what the analysis sees.
    analyzer = RfAnalyzer(clock.start_ns, scenario.path.start_at_door_s)
    decoder = StreamDecoder()
    latencies: dict[str, list[float]] = {"cc2500": [], "rx5808": [], "ad8318": []}
    data = bytes(frames)
    start = 0
    fake_t = clock.start_ns
    while True:
        end = data.find(0, start)
        if end < 0:
            break
        chunk = data[start:end + 1]
        start = end + 1
        began = time.perf_counter()
        for msg_type, _seq, payload in decoder.feed(chunk):
            if msg_type == P.SWEEP:
                reading = sweep_reading(P.unpack_sweep(payload), fake_t)
            elif msg_type == P.BROADBAND:
                reading = broadband_reading(P.unpack_broadband(payload), fake_t)
            else:
                continue
            fake_t += 10_000_000
            analyzer.add(reading)
            if analyzer.frozen:
                latencies[reading["source"]].append((time.perf_counter() - began) * 1000)
    for source, values in latencies.items():
        if values:
            values.sort()
            print(f"{source}: {len(values)} sweeps, last byte to analysis result median "
                  f"{statistics.median(values):.2f} ms, 99th percentile "
                  f"{values[int(len(values) * 0.99)]:.2f} ms, worst {values[-1]:.2f} ms "
                  f"(budget {BUDGET_MS:.0f} ms)")


if __name__ == "__main__":
    main()
