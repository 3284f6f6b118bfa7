"""The simulated scanner: our firmware's own App and Scanner code, running against chip
models (sim/chips.py) in the radio field of a scenario, on virtual microseconds.

The firmware's time is a cursor that runs ahead in the waits the scan asks for. The
serial port (urlhandler/protocol_rfsim.py) advances it to the host clock whenever the
host reads, so sweeps arrive when the real parts would deliver them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from detector.rf.sim import chips
from detector.rf.sim.field import RadioField
from detector.rf.sim.unit import DEFAULT_WORLD, NOMINAL_UNIT, RadioWorld, SimUnit
from detector.sim.scenario import Scenario
from detector_firmware.ad8318 import AD8318 as AD8318Driver
from detector_firmware.app import App
from detector_firmware.cc2500 import CC2500 as CC2500Driver
from detector_firmware.rx5808 import RX5808 as RX5808Driver

STEP_COST_US = 40  # MCU time per scan step (SPI transfers, ADC reads, packing)


class SimScanner:
    def __init__(self, scenario: Scenario, now_us: Callable[[], float], seed: int | None = None,
                 cc2500: bool = True, unit: SimUnit = NOMINAL_UNIT,
                 world: RadioWorld = DEFAULT_WORLD) -> None:
        self.field = RadioField(scenario, seed, packet_us=world.packet_us,
                                occupancy_scale=world.occupancy_scale)
        self.unit = unit
        self.world = world
        self.now_us = now_us
        self.cursor = 0
        self.lock = threading.Lock()
        clock = self._ticks
        rx = unit.receivers()
        self.rx_chip = chips.RX5808Chip(lambda f, t: self.field.level(rx["rx5808"], f, t), clock,
                                        unit.rx5808_mv_per_db, unit.rx5808_mv_at_ref)
        self.ad_chip = chips.AD8318Chip(lambda f, t: self.field.level(rx["ad8318"], f, t), clock,
                                        unit.ad8318_slope_mv_per_db, unit.ad8318_intercept_dbm)
        parts = {
            "rx5808": RX5808Driver(self.rx_chip.data, self.rx_chip.le, self.rx_chip.clk,
                                   self.rx_chip.adc),
            "ad8318": AD8318Driver(self.ad_chip.adc),
        }
        if cc2500:
            self.cc_chip = chips.CC2500Chip(lambda f, t: self.field.level(rx["cc2500"], f, t),
                                            clock, unit.cc2500_rssi_offset_db)
            parts["cc2500"] = CC2500Driver(self.cc_chip.spi, self.cc_chip.cs)
        self.app = App(parts, self._ticks, lambda a, b: a - b)
        self.pending = bytearray()
        # Faults the tests and the training mode can inject.
        self.unplugged = False
        self.silent = False

    def _ticks(self) -> int:
        return int(self.cursor)

    def advance(self) -> None:
        """Run the firmware up to the host's present."""
        with self.lock:
            target = self.now_us()
            while self.cursor < target:
                delay = self.app.step()
                self.cursor += max(int(delay), 1) + STEP_COST_US
                out = self.app.take_output()
                if out and not self.silent:
                    self.pending.extend(out)

    def take(self, size: int) -> bytes:
        with self.lock:
            out = bytes(self.pending[:size])
            del self.pending[:size]
            return out

    def feed(self, data: bytes) -> None:
        with self.lock:
            self.app.feed(data)
            out = self.app.take_output()
            if out and not self.silent:
                self.pending.extend(out)


_WORLDS: dict[str, SimScanner] = {}


def register(key: str, scanner: SimScanner) -> str:
    """Make `scanner` reachable as rfsim://KEY (in this process)."""
    _WORLDS[key] = scanner
    return f"rfsim://{key}"


def unregister(key: str) -> None:
    _WORLDS.pop(key, None)


def lookup(key: str) -> SimScanner | None:
    return _WORLDS.get(key)
