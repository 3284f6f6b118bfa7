"""The radio side of a simulated sweep: a simulated scanner unit on the sweep's clock, our
client talking to it over rfsim://, and RF analysis of what it reports, corrected with
the unit's calibration (or the configuration's defaults without one)."""

from __future__ import annotations

from collections.abc import Callable

from detector.hw.clock import SimClock
from detector.rf.analysis import RfAnalyzer, RfParams
from detector.rf.client import FirmwareClient, ScanConfig
from detector.rf.frontend import FrontEnd
from detector.rf.radio import Radio
from detector.rf.sim.scanner import SimScanner
from detector.rf.sim.scanner import register as register_scanner
from detector.rf.sim.scanner import unregister as unregister_scanner
from detector.rf.sim.unit import DEFAULT_WORLD, NOMINAL_UNIT, RadioWorld, SimUnit
from detector.settings import RfSettings
from detector.sim.scenario import Scenario


class SimulatedRadio(Radio):
    """A Radio whose scanner is simulated from the scenario (`unplugged(t_s)` says when
    an injected fault pulls its cable). `unit` is the scanner as built, `frontend` what its calibration says
    about it, `world` the sweep cadence and packet timing."""

    _count = 0

    def __init__(self, scenario: Scenario, clock: SimClock, *,
                 unit: SimUnit = NOMINAL_UNIT, frontend: FrontEnd | None = None,
                 world: RadioWorld = DEFAULT_WORLD,
                 baseline_s: float | None = None, params: RfParams | None = None,
                 unplugged: Callable[[float], bool] | None = None) -> None:
        SimulatedRadio._count += 1
        self.key = f"run{id(self)}-{SimulatedRadio._count}"
        start = clock.start_ns
        self.scanner = SimScanner(scenario, lambda: (clock.monotonic_ns() - start) / 1000.0,
                                  unit=unit, world=world)
        client = FirmwareClient(register_scanner(self.key, self.scanner), clock=clock,
                                config=ScanConfig(cc_dwell_us=world.cc_dwell_us))
        frontend = frontend or FrontEnd()
        if baseline_s is None:  # the configuration's default (defaults.toml)
            baseline_s = RfSettings.defaults().baseline_s
        super().__init__(client, RfAnalyzer(start, baseline_s, params, floors=frontend.floors),
                         frontend)
        self.clock = clock
        # Injected faults (sim/faults.py): whether the cable is out at t seconds.
        self.unplugged = unplugged

    def poll(self) -> list:
        if self.unplugged is not None:
            self.scanner.unplugged = self.unplugged(self.clock.seconds())
        return super().poll()

    def close(self) -> None:
        try:
            super().close()
        finally:
            unregister_scanner(self.key)
