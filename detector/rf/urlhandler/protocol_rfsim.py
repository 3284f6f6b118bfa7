"""rfsim:// - the simulated scanner as a serial port.

    rfsim://KEY                      a scanner registered in this process (sim/scanner.py)
    rfsim://?scenario=NAME&seed=N    a scanner in that scenario's field, on the wall clock
                                     (default scenario: default)
"""

from __future__ import annotations

import time
import urllib.parse

from serial.serialutil import PortNotOpenError, SerialBase, SerialException, Timeout


class Serial(SerialBase):
    def open(self) -> None:
        if self._port is None:
            raise SerialException("port must be configured before it can be used")
        if self.is_open:
            raise SerialException("port already open")
        self.scanner = self._scanner_for(self._port)
        if self.scanner.unplugged:
            raise SerialException(f"could not open port {self._port}: no such device")
        self.is_open = True

    @staticmethod
    def _scanner_for(url: str):
        from detector.rf.sim.scanner import SimScanner, lookup
        from detector.sim.scenario import load_scenario

        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "rfsim":
            raise SerialException(f"expected a rfsim:// URL, got {url!r}")
        if parts.netloc:
            scanner = lookup(parts.netloc)
            if scanner is None:
                raise SerialException(f"could not open port {url}: no simulated scanner "
                                      f"{parts.netloc!r} in this process")
            return scanner
        query = urllib.parse.parse_qs(parts.query)
        try:
            scenario = load_scenario(query.get("scenario", ["default"])[0])
            seed = int(query["seed"][0]) if "seed" in query else None
        except Exception as exc:  # noqa: BLE001 - any bad option is one message
            raise SerialException(f"{url}: {exc}") from None
        started = time.monotonic()
        return SimScanner(scenario, lambda: (time.monotonic() - started) * 1e6, seed)

    def close(self) -> None:
        self.is_open = False

    def _reconfigure_port(self) -> None:
        pass

    def _check(self) -> None:
        if not self.is_open:
            raise PortNotOpenError()
        if self.scanner.unplugged:
            self.is_open = False
            raise SerialException("device reports readiness to read but returned no data "
                                  "(device disconnected?)")

    @property
    def in_waiting(self) -> int:
        self._check()
        self.scanner.advance()
        return len(self.scanner.pending)

    def read(self, size: int = 1) -> bytes:
        self._check()
        timeout = Timeout(self._timeout)
        data = bytearray()
        while len(data) < size:
            self.scanner.advance()
            data.extend(self.scanner.take(size - len(data)))
            if len(data) >= size or timeout.expired() or self._timeout == 0:
                break
            time.sleep(0.002)
            self._check()
        return bytes(data)

    def write(self, data: bytes) -> int:
        self._check()
        self.scanner.feed(bytes(data))
        return len(data)

    def reset_input_buffer(self) -> None:
        self._check()
        self.scanner.take(len(self.scanner.pending))

    def reset_output_buffer(self) -> None:
        self._check()

    def flush(self) -> None:
        self._check()
