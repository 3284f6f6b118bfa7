"""The radio side of a simulated sweep: the simulated scanner on the sweep's clock, our
client talking to it over rfsim://, and RF analysis of what it reports."""

from __future__ import annotations

from detector.hw.clock import SimClock
from detector.rf.analysis import RfAnalyzer
from detector.rf.client import FirmwareClient
from detector.rf.radio import Radio
from detector.rf.sim.scanner import SimScanner
from detector.rf.sim.scanner import register as register_scanner
from detector.rf.sim.scanner import unregister as unregister_scanner
from detector.sim.scenario import Scenario


class SimulatedRadio(Radio):
    """A Radio whose scanner is simulated from the scenario (`scanner.unplugged` pulls
    its cable)."""

    _count = 0

    def __init__(self, scenario: Scenario, clock: SimClock) -> None:
        SimulatedRadio._count += 1
        self.key = f"run{id(self)}-{SimulatedRadio._count}"
        start = clock.start_ns
        self.scanner = SimScanner(scenario, lambda: (clock.monotonic_ns() - start) / 1000.0)
        client = FirmwareClient(register_scanner(self.key, self.scanner), clock=clock)
        super().__init__(client, RfAnalyzer(start, scenario.path.start_at_door_s))
        self.clock = clock

    def close(self) -> None:
        try:
            super().close()
        finally:
            unregister_scanner(self.key)
