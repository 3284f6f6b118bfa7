"""Client for our scanner firmware over any pyserial URL (a USB serial port on the device,
rfsim:// in simulation).

`poll()` never blocks for long and never raises for a port problem: the client goes
offline, tells why in `state` and `last_problem`, and reopens the port every `retry_s`
until it answers again, so the rest of the sweep keeps running. A scanner that goes
silent for `silence_s` is treated as gone. Only an incompatible protocol version stops
it for good (`state == "incompatible"`), since retrying cannot fix that.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import serial

from detector.hw.clock import Clock, SystemClock
from detector.rf.readings import broadband_reading, sweep_reading
from detector.rf.urlhandler import register
from detector.rf.wire import StreamDecoder
from detector_firmware import protocol as P

BAUD = 921600
READ_CHUNK = 65536


@dataclass(frozen=True)
class ScanConfig:
    rx5808: bool = True
    ad8318: bool = True
    cc2500: bool = True
    settle_us: int = 30000
    cc_start_mhz: int = 2400
    cc_step_khz: int = 1000
    cc_count: int = 84
    ad_samples: int = 4
    status_ms: int = 1000

    def payload(self) -> bytes:
        sources = ((P.CAP_RX5808 if self.rx5808 else 0) | (P.CAP_AD8318 if self.ad8318 else 0)
                   | (P.CAP_CC2500 if self.cc2500 else 0))
        return P.pack_configure(sources, self.settle_us, self.cc_start_mhz, self.cc_step_khz,
                                self.cc_count, self.ad_samples, self.status_ms)


class FirmwareClient:
    def __init__(self, url: str, *, clock: Clock | None = None,
                 config: ScanConfig | None = None, hello_timeout_s: float = 2.0,
                 silence_s: float = 3.0, retry_s: float = 1.0,
                 opener: Callable[[str], Any] | None = None) -> None:
        register()
        self.url = url
        self.clock = clock or SystemClock()
        self.config = config or ScanConfig()
        self.hello_timeout_ns = int(hello_timeout_s * 1e9)
        self.silence_ns = int(silence_s * 1e9)
        self.retry_ns = int(retry_s * 1e9)
        self.opener = opener or (lambda u: serial.serial_for_url(u, baudrate=BAUD, timeout=0,
                                                                 write_timeout=1.0))
        self.port: Any = None
        self.decoder = StreamDecoder()
        self.state = "offline"
        self.last_problem = "not connected yet"
        self.hello: dict[str, Any] | None = None
        self.status: dict[str, Any] | None = None
        self.device_errors: list[str] = []
        self.reconnects = 0
        self._seq = 0
        self._next_try = 0
        self._deadline = 0
        self._last_frame = 0

    @property
    def online(self) -> bool:
        return self.state == "online"

    @property
    def stats(self) -> dict[str, Any]:
        return {**self.decoder.stats.as_dict(), "reconnects": self.reconnects,
                "state": self.state}

    def _now(self) -> int:
        return self.clock.monotonic_ns()

    def _send(self, msg_type: int, payload: bytes = b"") -> None:
        self.port.write(P.pack_frame(msg_type, self._seq, payload))
        self._seq = (self._seq + 1) & 0xFFFF

    def _go_offline(self, problem: str) -> None:
        if self.port is not None:
            with contextlib.suppress(Exception):  # the port may already be gone
                self.port.close()
        self.port = None
        if self.state == "online":
            self.reconnects += 1
        self.state = "offline"
        self.last_problem = problem
        self._next_try = self._now() + self.retry_ns

    def _open(self) -> None:
        try:
            self.port = self.opener(self.url)
            self.decoder.reset_sequence()
            self._send(P.HELLO_REQUEST)
        except (serial.SerialException, OSError, ValueError) as exc:
            self._go_offline(f"cannot open {self.url}: {exc}")
            return
        self.state = "connecting"
        self._deadline = self._now() + self.hello_timeout_ns

    def close(self) -> None:
        if self.port is not None and self.state == "online":
            with contextlib.suppress(serial.SerialException, OSError):
                self._send(P.STOP)
        was = self.reconnects
        self._go_offline("closed")
        self.reconnects = was
        self.state = "closed"

    def poll(self) -> list[dict[str, Any]]:
        """Readings that arrived since the last call (rf.jsonl dicts)."""
        if self.state in ("incompatible", "closed"):
            return []
        now = self._now()
        if self.state == "offline":
            if now < self._next_try:
                return []
            self._open()
            if self.port is None:
                return []
        try:
            data = self.port.read(READ_CHUNK)
        except (serial.SerialException, OSError) as exc:
            self._go_offline(f"scanner disconnected: {exc}")
            return []
        readings = []
        now = self._now()
        for msg_type, _seq, payload in self.decoder.feed(data):
            self._last_frame = now
            try:
                reading = self._handle(msg_type, payload, now)
            except (ValueError, KeyError, IndexError, UnicodeError, OSError,
                    serial.SerialException) as exc:
                self.decoder.stats.corrupt += 1
                self.last_problem = f"bad message type {msg_type}: {exc}"
                continue
            if reading is not None:
                readings.append(reading)
            if self.state in ("incompatible", "offline"):
                return readings
        if self.state == "connecting" and now > self._deadline:
            self._go_offline(f"no answer from {self.url} within "
                             f"{self.hello_timeout_ns / 1e9:.1f} s (wrong port or baud rate?)")
        elif self.state == "online" and now - self._last_frame > self.silence_ns:
            self._go_offline(f"scanner silent for {self.silence_ns / 1e9:.1f} s")
        return readings

    def _handle(self, msg_type: int, payload: bytes, now: int) -> dict[str, Any] | None:
        if msg_type == P.HELLO:
            self.hello = P.unpack_hello(payload)
            if self.hello["protocol"] != P.PROTOCOL_VERSION:
                self.state = "incompatible"
                self.last_problem = (
                    f"scanner firmware {'.'.join(map(str, self.hello['firmware']))} speaks "
                    f"protocol {self.hello['protocol']}, this host speaks "
                    f"{P.PROTOCOL_VERSION}: flash the firmware that matches this version")
                self.port.close()
                self.port = None
                return None
            if self.state != "online":
                self._send(P.CONFIGURE, self.config.payload())
                self._send(P.START)
                self.state = "online"
                self.last_problem = ""
                self._last_frame = now
            return None
        if self.state != "online":
            return None  # leftovers of an earlier session before our hello
        if msg_type == P.SWEEP:
            return sweep_reading(P.unpack_sweep(payload), now)
        if msg_type == P.BROADBAND:
            return broadband_reading(P.unpack_broadband(payload), now)
        if msg_type == P.STATUS:
            self.status = P.unpack_status(payload)
        elif msg_type == P.ERROR:
            err = P.unpack_error(payload)
            self.device_errors = (self.device_errors + [err["text"]])[-20:]
        return None
