"""`detector rf`: listen to the scanner on the bench: what it is, what it reads, what the
analysis makes of it, and the link's health."""

from __future__ import annotations

import time

from detector.config import Config
from detector.errors import DetectorError
from detector.hw.clock import SystemClock
from detector.rf.analysis import RfAnalyzer
from detector.rf.frontend import FrontEnd
from detector.rf.scanners import open_scanner
from detector.settings import RfSettings


def listen(config: Config, port: str | None, seconds: float, baseline_s: float | None) -> int:
    if seconds <= 0:
        raise DetectorError("--seconds: expected a positive number")
    clock = SystemClock()
    client = open_scanner(config, clock, port)
    start = clock.monotonic_ns()
    frontend = FrontEnd.from_config(config)
    analyzer = RfAnalyzer(start, RfSettings.of(config).baseline_s if baseline_s is None else baseline_s,
                          floors=frontend.floors)
    counts: dict[str, int] = {}
    peaks: dict[str, float] = {}
    shown_state = ""
    problem = ""
    try:
        while clock.monotonic_ns() - start < seconds * 1e9:
            for reading in client.poll():
                frontend.correct(reading)
                source = reading["source"]
                counts[source] = counts.get(source, 0) + 1
                peaks[source] = max(peaks.get(source, -200.0), max(reading["dbm"]))
                for alert in analyzer.add(reading):
                    print(f"{(alert.start_ns - start) / 1e9:6.1f} s  RF alert: {alert.band} "
                          f"({alert.kind}), {alert.level_dbm:.0f} dBm")
            if client.state != shown_state:
                shown_state = client.state
                extra = f": {client.last_problem}" if client.last_problem else ""
                print(f"{(clock.monotonic_ns() - start) / 1e9:6.1f} s  scanner {shown_state}{extra}")
            problem = client.last_problem or problem
            if client.state == "incompatible":
                raise DetectorError(client.last_problem)
            time.sleep(0.01)
    finally:
        client.close()
    for source, n in sorted(counts.items()):
        print(f"{source}: {n} readings, strongest {peaks[source]:.1f} dBm")
    stats = client.stats
    print("link: " + ", ".join(f"{k} {v}" for k, v in stats.items() if k != "state"))
    if not counts:
        raise DetectorError(f"no readings from the scanner: {problem or 'nothing received'}")
    return 0
