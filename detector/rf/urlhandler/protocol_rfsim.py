"""rfsim:// - the simulated scanner as a serial port.

    rfsim://KEY                      a scanner registered in this process (sim/scanner.py)
    rfsim://?scenario=NAME&seed=N    a scanner in that scenario's field, on the wall clock
                                     (default scenario: default)
"""

from __future__ import annotations

import time
import urllib.parse

from serial.serialutil import SerialException

from detector.rf.urlhandler.simport import SimulatedPort, scenario_from_query


class Serial(SimulatedPort):
    def _device_for(self, url: str):
        from detector.rf.sim.scanner import SimScanner, lookup

        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "rfsim":
            raise SerialException(f"expected a rfsim:// URL, got {url!r}")
        if parts.netloc:
            scanner = lookup(parts.netloc)
            if scanner is None:
                raise SerialException(f"could not open port {url}: no simulated scanner "
                                      f"{parts.netloc!r} in this process")
            return scanner
        scenario, seed = scenario_from_query(url)
        started = time.monotonic()
        return SimScanner(scenario, lambda: (time.monotonic() - started) * 1e6, seed)
