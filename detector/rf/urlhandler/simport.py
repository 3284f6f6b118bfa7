"""The serial-port side shared by the simulated scanners (rfsim://, rfxsim://): a pyserial
port over a simulated device that has `pending` output bytes, `advance()` (run up to the
present), `take(n)`, `feed(data)` (bytes from the host) and an `unplugged` switch."""

from __future__ import annotations

import time
import urllib.parse
from typing import Any

from serial.serialutil import PortNotOpenError, SerialBase, SerialException, Timeout


def scenario_from_query(url: str) -> tuple[Any, int | None]:
    """(scenario, seed) from `?scenario=NAME&seed=N` (default scenario: default)."""
    from detector.sim.scenario import load_scenario

    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    try:
        scenario = load_scenario(query.get("scenario", ["default"])[0])
        seed = int(query["seed"][0]) if "seed" in query else None
    except Exception as exc:  # noqa: BLE001 - any bad option is one message
        raise SerialException(f"{url}: {exc}") from None
    return scenario, seed


class SimulatedPort(SerialBase):
    def _device_for(self, url: str) -> Any:
        raise NotImplementedError

    def open(self) -> None:
        if self._port is None:
            raise SerialException("port must be configured before it can be used")
        if self.is_open:
            raise SerialException("port already open")
        self.device = self._device_for(self._port)
        if self.device.unplugged:
            raise SerialException(f"could not open port {self._port}: no such device")
        self.is_open = True

    def close(self) -> None:
        self.is_open = False

    def _reconfigure_port(self) -> None:
        pass

    def _check(self) -> None:
        if not self.is_open:
            raise PortNotOpenError()
        if self.device.unplugged:
            self.is_open = False
            raise SerialException("device reports readiness to read but returned no data "
                                  "(device disconnected?)")

    @property
    def in_waiting(self) -> int:
        self._check()
        self.device.advance()
        return len(self.device.pending)

    def read(self, size: int = 1) -> bytes:
        self._check()
        timeout = Timeout(self._timeout)
        data = bytearray()
        while len(data) < size:
            self.device.advance()
            data.extend(self.device.take(size - len(data)))
            if len(data) >= size or timeout.expired() or self._timeout == 0:
                break
            time.sleep(0.002)
            self._check()
        return bytes(data)

    def write(self, data: bytes) -> int:
        self._check()
        self.device.feed(bytes(data))
        return len(data)

    def reset_input_buffer(self) -> None:
        self._check()
        self.device.take(len(self.device.pending))

    def reset_output_buffer(self) -> None:
        self._check()

    def flush(self) -> None:
        self._check()
