"""Client for our scanner firmware over any pyserial URL (a USB serial port on the device,
rfsim:// in simulation). Port handling and reconnection are PortClient's (link.py); only
an incompatible protocol version stops it for good (`state == "incompatible"`), since
retrying cannot fix that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import serial

from detector.hw.clock import Clock
from detector.rf.link import PortClient
from detector.rf.readings import broadband_reading, sweep_reading
from detector.rf.wire import StreamDecoder
from detector_firmware import protocol as P

BAUD = 921600


@dataclass(frozen=True)
class ScanConfig:
    rx5808: bool = True
    ad8318: bool = True
    cc2500: bool = True
    settle_us: int = 30000
    cc_start_mhz: int = 2400
    cc_step_khz: int = 1000
    cc_count: int = 84
    cc_dwell_us: int = P.CC_DWELL_US
    ad_samples: int = 4
    status_ms: int = 1000

    def payload(self) -> bytes:
        sources = ((P.CAP_RX5808 if self.rx5808 else 0) | (P.CAP_AD8318 if self.ad8318 else 0)
                   | (P.CAP_CC2500 if self.cc2500 else 0))
        return P.pack_configure(sources, self.settle_us, self.cc_start_mhz, self.cc_step_khz,
                                self.cc_count, self.ad_samples, self.status_ms,
                                self.cc_dwell_us)


class FirmwareClient(PortClient):
    def __init__(self, url: str, *, clock: Clock | None = None,
                 config: ScanConfig | None = None, hello_timeout_s: float = 2.0,
                 silence_s: float = 3.0, retry_s: float = 1.0,
                 opener: Callable[[str], Any] | None = None) -> None:
        super().__init__(url, opener or (lambda u: serial.serial_for_url(
            u, baudrate=BAUD, timeout=0, write_timeout=1.0)), clock=clock,
            hello_timeout_s=hello_timeout_s, silence_s=silence_s, retry_s=retry_s)
        self.config = config or ScanConfig()
        self.decoder = StreamDecoder()
        self.hello: dict[str, Any] | None = None
        self.status: dict[str, Any] | None = None
        self.device_errors: list[str] = []
        self._seq = 0

    @property
    def stats(self) -> dict[str, Any]:
        return {**self.decoder.stats.as_dict(), "reconnects": self.reconnects,
                "state": self.state}

    def _send(self, msg_type: int, payload: bytes = b"") -> None:
        self.port.write(P.pack_frame(msg_type, self._seq, payload))
        self._seq = (self._seq + 1) & 0xFFFF

    def _start_session(self) -> None:
        self.decoder.reset_sequence()
        self._send(P.HELLO_REQUEST)

    def _goodbye(self) -> None:
        if self.state == "online":
            self._send(P.STOP)

    def _consume(self, data: bytes, now: int) -> list[dict[str, Any]]:
        readings = []
        for msg_type, _seq, payload in self.decoder.feed(data):
            self._heard(now)
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
                break
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
                self._heard(now)
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
