"""rfxsim:// - a simulated RF Explorer (2.4 GHz model), built from its serial protocol.

    rfxsim://?scenario=NAME&seed=N    the scenario's radio field, on the wall clock
    rfxsim://KEY                      a SimExplorer registered in this process
    ...&points=N&amp_offset=DB        sweep points (10000 and more: `#C2-f:` and `$z`) and
                                      the amplitude offset it reports and applies

Like the unit, it sends nothing until asked: `#<size>C0` gets its model and configuration
and starts the sweeps, `#<size>C2-F:` sets a span (start and end kHz, amplitude top and
bottom) and starts them, `#<size>CH` holds them, and `#<size>r` restarts it: silence for
RESET_S, then the reset line, and again nothing until asked. One sweep every SWEEP_S
seconds, as `$S` (fewer than 256 points) or `$z`.
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
RESET_LINE = b"(C) Ariel Rocholl 2010-2026\r\n"
SWEEP_POINTS = 112
SWEEP_S = 0.1
RESET_S = 1.0  # a restart takes about a second before the unit speaks again
EXPLORER = Receiver("rfexplorer", 0.6, 35.0, -110.0, 1.0)
_REGISTRY: dict[str, SimExplorer] = {}


class SimExplorer:
    def __init__(self, field: RadioField, now_s: Callable[[], float],
                 points: int = SWEEP_POINTS, amp_offset_db: int = 0) -> None:
        self.field = field
        self.now_s = now_s
        self.points = points
        self.amp_offset_db = amp_offset_db
        self.start_khz, self.end_khz = 2400000, 2483500
        self.streaming = False  # until asked
        self.restart_at: float | None = None
        self.next_sweep = 0.0
        self.inbox = bytearray()
        self.pending = bytearray()
        self.lock = threading.Lock()
        self.unplugged = False

    def config_line(self) -> bytes:
        step_hz = (self.end_khz - self.start_khz) * 1000 // (self.points - 1)
        wide = self.points >= 10000
        points = f"{self.points:05d}" if wide else f"{self.points:04d}"
        return (f"#C2-{'f' if wide else 'F'}:{self.start_khz:07d},{step_hz:07d},-010,-120,"
                f"{points},0,000,2350000,2550000,0085000,00110,{self.amp_offset_db:04d},000"
                f"\r\n").encode("ascii")

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
        if self.restart_at is not None:
            return  # restarting: it hears nothing
        if body == b"C0":
            self.pending += MODEL_LINE + self.config_line()
            self._start()
        elif body == b"CH":
            self.streaming = False
        elif body == b"r":
            self.streaming = False
            self.pending.clear()
            self.start_khz, self.end_khz = 2400000, 2483500
            self.restart_at = self.now_s() + RESET_S
        elif body.startswith(b"C2-F:"):
            try:
                start, end = (int(x) for x in body[5:].split(b",")[:2])
            except ValueError:
                return
            if 2350000 <= start < end <= 2550000:
                self.start_khz, self.end_khz = start, end
                self.pending += self.config_line()
                self._start()

    def _start(self) -> None:
        if not self.streaming:
            self.streaming = True
            self.next_sweep = max(self.next_sweep, self.now_s())

    def advance(self) -> None:
        with self.lock:
            now = self.now_s()
            if self.restart_at is not None and now >= self.restart_at:
                self.restart_at = None
                self.pending += RESET_LINE
            while self.streaming and self.next_sweep <= now:
                t_us = self.next_sweep * 1e6
                step = (self.end_khz - self.start_khz) * 1000 / (self.points - 1)
                values = bytearray()
                for k in range(self.points):
                    dbm = self.field.level(EXPLORER, self.start_khz * 1000 + k * step, t_us)
                    # The unit sends the level before its amplitude offset is added.
                    values.append(min(max(int(round(-(dbm - self.amp_offset_db) * 2)), 0), 255))
                head = (b"$S" + bytes([self.points]) if self.points < 256
                        else b"$z" + self.points.to_bytes(2, "big"))
                self.pending += head + bytes(values) + b"\r\n"
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
        query = urllib.parse.parse_qs(parts.query)
        try:
            points = int(query.get("points", [SWEEP_POINTS])[0])
            offset = int(query.get("amp_offset", ["0"])[0])
        except ValueError:
            raise SerialException(f"could not open port {url}: points and amp_offset are "
                                  f"whole numbers") from None
        if not 2 <= points <= 65535:
            raise SerialException(f"could not open port {url}: points from 2 to 65535")
        started = time.monotonic()
        return SimExplorer(RadioField(scenario, seed), lambda: time.monotonic() - started,
                           points=points, amp_offset_db=offset)
