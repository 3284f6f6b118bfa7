"""The radio side of a simulated sweep: the simulated scanner on the sweep's clock, our
client talking to it over rfsim://, and RF analysis of what it reports."""

from __future__ import annotations

from typing import Any

from detector.hw.clock import SimClock
from detector.rf.analysis import RfAnalyzer
from detector.rf.client import FirmwareClient
from detector.rf.sim.scanner import SimScanner
from detector.rf.sim.scanner import register as register_scanner
from detector.rf.sim.scanner import unregister as unregister_scanner
from detector.sim.scenario import Scenario


class SimulatedRadio:
    """Poll it once per camera frame: it returns the new readings (for a recording) and
    feeds them to the analyzer."""

    _count = 0

    def __init__(self, scenario: Scenario, clock: SimClock) -> None:
        SimulatedRadio._count += 1
        self.key = f"run{id(self)}-{SimulatedRadio._count}"
        start = clock.start_ns
        scanner = SimScanner(scenario, lambda: (clock.monotonic_ns() - start) / 1000.0)
        self.client = FirmwareClient(register_scanner(self.key, scanner), clock=clock)
        self.analyzer = RfAnalyzer(start, scenario.path.start_at_door_s)
        self.clock = clock
        self.scanner = scanner

    def poll(self) -> list[dict[str, Any]]:
        readings = self.client.poll()
        for reading in readings:
            self.analyzer.add(reading)
        return readings

    def status_text(self) -> str:
        """What the live view's status bar says about RF."""
        if not self.client.online:
            return "RF offline"
        alerts = sorted(self.analyzer.active.values(), key=lambda a: -a.excess_db)
        if alerts:
            return f"RF {alerts[0].band} {self.analyzer.proximity:.0%}"
        return "RF clear" if self.analyzer.frozen else "RF baseline"

    def close(self) -> None:
        self.analyzer.finish()
        self.client.close()
        unregister_scanner(self.key)
