"""rfxsim:// - a simulated RF Explorer (2.4 GHz model), built from its serial protocol.

    rfxsim://?scenario=NAME&seed=N    the scenario's radio field, on the wall clock
    rfxsim://KEY                      a SimExplorer registered in this process

It answers `#<size>C0` with its model and configuration, takes `#<size>C2-F:` spans
(start and end kHz, amplitude top and bottom), stops on `#<size>CH`, and streams one
`$S` sweep of SWEEP_POINTS points every SWEEP_S seconds.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Callable

from serial.serialutil import SerialException

from detector.rf.sim.field import RadioField, Receiver
from detector.rf.urlhandler.simport import SimulatedPort, scenario_from_query

MODEL_LINE = b"#C2-M:004,255,01.35\r\n"  # main board 2.4 GHz model, no expansion board
SWEEP_POINTS = 112
SWEEP_S = 0.1
EXPLORER = Receiver("rfexplorer", 0.6, 35.0, -110.0, 1.0)
_REGISTRY: dict[str, SimExplorer] = {}


class SimExplorer:
    def __init__(self, field: RadioField, now_s: Callable[[], float]) -> None:
        self.field = field
        self.now_s = now_s
        self.start_khz, self.end_khz = 2400000, 2483500
        self.streaming = True
        self.next_sweep = 0.0
        self.inbox = bytearray()
        self.pending = bytearray()
        self.lock = threading.Lock()
        self.unplugged = False

    def config_line(self) -> bytes:
        step_hz = (self.end_khz - self.start_khz) * 1000 // (SWEEP_POINTS - 1)
        return (f"#C2-F:{self.start_khz:07d},{step_hz:07d},-010,-120,{SWEEP_POINTS:04d},0,000,"
                f"2350000,2550000,0085000,00110,0000,000\r\n").encode("ascii")

    def feed(self, data: bytes) -> None:
        with self.lock:
            self.inbox += data
            while len(self.inbox) >= 2 and self.inbox[0] == ord("#"):
                size = self.inbox[1]
                if size < 3 or len(self.inbox) < size:
                    break
                self._command(bytes(self.inbox[2:size]))
                del self.inbox[:size]
            if self.inbox and self.inbox[0] != ord("#"):
                self.inbox.clear()  # not a command: an RF Explorer ignores it

    def _command(self, body: bytes) -> None:
        if body == b"C0":
            self.pending += MODEL_LINE + self.config_line()
        elif body == b"CH":
            self.streaming = False
        elif body.startswith(b"C2-F:"):
            try:
                start, end = (int(x) for x in body[5:].split(b",")[:2])
            except ValueError:
                return
            if 2350000 <= start < end <= 2550000:
                self.start_khz, self.end_khz, self.streaming = start, end, True
                self.pending += self.config_line()

    def advance(self) -> None:
        with self.lock:
            now = self.now_s()
            while self.streaming and self.next_sweep <= now:
                t_us = self.next_sweep * 1e6
                step = (self.end_khz - self.start_khz) * 1000 / (SWEEP_POINTS - 1)
                values = bytearray()
                for k in range(SWEEP_POINTS):
                    dbm = self.field.level(EXPLORER, self.start_khz * 1000 + k * step, t_us)
                    values.append(min(max(int(round(-dbm * 2)), 0), 255))
                self.pending += b"$S" + bytes([SWEEP_POINTS]) + bytes(values) + b"\r\n"
                self.next_sweep += SWEEP_S

    def take(self, size: int) -> bytes:
        with self.lock:
            out = bytes(self.pending[:size])
            del self.pending[:size]
            return out


def register_explorer(key: str, explorer: SimExplorer) -> str:
    _REGISTRY[key] = explorer
    return f"rfxsim://{key}"


def unregister_explorer(key: str) -> None:
    _REGISTRY.pop(key, None)


class Serial(SimulatedPort):
    def _device_for(self, url: str) -> SimExplorer:
        parts = urllib.parse.urlsplit(url)
        if parts.netloc:
            device = _REGISTRY.get(parts.netloc)
            if device is None:
                raise SerialException(f"could not open port {url}: no simulated RF "
                                      "Explorer by that name")
            return device
        scenario, seed = scenario_from_query(url)
        started = time.monotonic()
        return SimExplorer(RadioField(scenario, seed), lambda: time.monotonic() - started)
