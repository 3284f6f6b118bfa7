"""Client for an off-the-shelf RF Explorer spectrum analyser, through its published serial
protocol (the RF Explorer UART API): 500000 baud; the host asks for the configuration
with `#<size>C0` and sets the span with `#<size>C2-F:<start kHz>,<end kHz>,<top>,<bottom>`;
the unit answers `#C2-M:` (model, firmware) and `#C2-F:` (start kHz, step Hz, top, bottom,
sweep points, expansion module, mode, min and max kHz, max span, RBW kHz, amplitude offset
dB, calculator) lines - `#C2-f:` where the sweep has 10000 points or more, the count then
5 digits wide - and streams sweeps as `$S<n><n bytes>`, `$s<n/16><bytes>` or
`$z<n, 2 bytes big-endian><bytes>`, each ended by CR LF, one byte per point with
dBm = -byte / 2 + amplitude offset. After a reset (`#<size>r`, or power) it announces
itself with a line starting `(C) Ariel Rocholl `, and sends sweeps only once asked.

The parser works on lengths, never on searching for CR LF inside binary sweeps; anything
it cannot parse is skipped to the next `$` or `#` and counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import serial

from detector.hw.clock import Clock
from detector.rf.link import PortClient

BAUD = 500000
MAX_LINE = 200
MAX_POINTS = 65535


def size_prefixed(body: bytes) -> bytes:
    """`#`, one byte with the whole command's length, then the body."""
    return b"#" + bytes([len(body) + 2]) + body


def span_command(start_khz: int, end_khz: int, top_dbm: int = -10, bottom_dbm: int = -120) -> bytes:
    return size_prefixed(f"C2-F:{start_khz:07d},{end_khz:07d},{top_dbm:04d},{bottom_dbm:04d}"
                         .encode("ascii"))


REQUEST_CONFIG = size_prefixed(b"C0")
HOLD = size_prefixed(b"CH")
RESET = size_prefixed(b"r")
CONFIG_PREFIXES = ("#C2-F:", "#C2-f:")  # fewer than 10000 sweep points; 10000 or more
RESET_LINE = "(C) Ariel Rocholl "  # what the unit says when it has restarted
AMP_OFFSET_FIELD = 11


@dataclass
class ExplorerConfig:
    start_hz: float
    step_hz: float
    points: int
    amp_offset_db: float = 0.0  # added to every reading (older firmware does not send it)

    @classmethod
    def parse(cls, line: str) -> ExplorerConfig:
        fields = [f.strip() for f in line[len("#C2-F:"):].split(",")]
        offset = (float(int(fields[AMP_OFFSET_FIELD])) if len(fields) > AMP_OFFSET_FIELD
                  else 0.0)
        return cls(start_hz=int(fields[0]) * 1000.0, step_hz=float(int(fields[1])),
                   points=int(fields[4]), amp_offset_db=offset)


@dataclass
class ExplorerStats:
    sweeps: int = 0
    corrupt: int = 0
    lines: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"sweeps": self.sweeps, "corrupt": self.corrupt, "lines": self.lines}


class ExplorerParser:
    """Bytes in; ('line', str) and ('sweep', [byte values]) events out."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.stats = ExplorerStats()

    def feed(self, data: bytes) -> list[tuple[str, Any]]:
        self.buf += data
        events: list[tuple[str, Any]] = []
        while self.buf:
            head = self.buf[0]
            if head in (ord("#"), ord("(")):  # a configuration line, or the reset line
                end = self.buf.find(b"\r\n")
                if end < 0:
                    if len(self.buf) > MAX_LINE:
                        self._skip()
                        continue
                    break
                line = bytes(self.buf[:end])
                del self.buf[:end + 2]
                try:
                    events.append(("line", line.decode("ascii")))
                    self.stats.lines += 1
                except UnicodeDecodeError:
                    self.stats.corrupt += 1
            elif head == ord("$"):
                if len(self.buf) < 2:
                    break
                kind = self.buf[1]
                if kind == ord("S"):
                    header, count = 3, self.buf[2] if len(self.buf) > 2 else None
                elif kind == ord("s"):
                    header = 3
                    count = ((self.buf[2] or 256) * 16) if len(self.buf) > 2 else None
                elif kind == ord("z"):
                    header = 4
                    count = int.from_bytes(self.buf[2:4], "big") if len(self.buf) > 3 else None
                else:
                    self._skip()
                    continue
                if count is None:
                    break
                total = header + count + 2
                if len(self.buf) < total:
                    break
                if self.buf[total - 2:total] != b"\r\n" or count == 0:
                    self._skip()
                    continue
                events.append(("sweep", list(self.buf[header:header + count])))
                self.stats.sweeps += 1
                del self.buf[:total]
            else:
                self._skip()
        return events

    def _skip(self) -> None:
        """Drop the current byte and everything up to the next message start."""
        self.stats.corrupt += 1
        positions = [p for p in (self.buf.find(b"$", 1), self.buf.find(b"#", 1),
                                 self.buf.find(b"(C) ", 1)) if p > 0]
        del self.buf[:min(positions) if positions else len(self.buf)]


class ExplorerClient(PortClient):
    """Same contract as FirmwareClient (PortClient): poll() returns rf.jsonl readings,
    never raises for a port problem, and reconnects."""

    NAME = "RF Explorer"
    NO_ANSWER = "no RF Explorer answer on {url} within {s:.1f} s (is it at 500000 baud?)"

    def __init__(self, url: str, span_hz: tuple[float, float] = (2.4e9, 2.4835e9), *,
                 clock: Clock | None = None, hello_timeout_s: float = 2.0,
                 silence_s: float = 3.0, retry_s: float = 1.0,
                 opener: Callable[[str], Any] | None = None) -> None:
        super().__init__(url, opener or (lambda u: serial.serial_for_url(
            u, baudrate=BAUD, timeout=0)), clock=clock, hello_timeout_s=hello_timeout_s,
            silence_s=silence_s, retry_s=retry_s)
        self.span_khz = (int(span_hz[0] // 1000), int(span_hz[1] // 1000))
        self.parser = ExplorerParser()
        self.model = ""
        self.config: ExplorerConfig | None = None

    @property
    def stats(self) -> dict[str, Any]:
        return {**self.parser.stats.as_dict(), "reconnects": self.reconnects, "state": self.state}

    def _start_session(self) -> None:
        self.parser = ExplorerParser()
        self.config = None
        self.port.write(REQUEST_CONFIG)
        self.port.write(span_command(*self.span_khz))

    def _goodbye(self) -> None:
        self.port.write(HOLD)

    def _consume(self, data: bytes, now: int) -> list[dict[str, Any]]:
        readings = []
        for kind, value in self.parser.feed(data):
            self._heard(now)
            if kind == "line":
                self._line(value)
            elif self.config is not None and len(value) == self.config.points:
                offset = self.config.amp_offset_db
                readings.append({"t_ns": now, "source": "rfexplorer", "band": "span",
                                 "start_hz": int(self.config.start_hz),
                                 "step_hz": int(self.config.step_hz),
                                 "dbm": [-b / 2.0 + offset for b in value]})
            else:
                self.parser.stats.corrupt += 1  # a sweep before, or unlike, the config
        return readings

    def _line(self, line: str) -> None:
        if line.startswith(RESET_LINE):
            # The unit restarted (power, or a reset): it forgot the span and sends
            # nothing until asked again.
            self.config = None
            self.port.write(REQUEST_CONFIG)
            self.port.write(span_command(*self.span_khz))
        elif line.startswith("#C2-M:"):
            self.model = line[len("#C2-M:"):]
        elif line.startswith(CONFIG_PREFIXES):
            try:
                config = ExplorerConfig.parse(line)
            except (ValueError, IndexError):
                self.parser.stats.corrupt += 1
                return
            if 0 < config.points <= MAX_POINTS:
                self.config = config
                self.state = "online"
                self.last_problem = ""
