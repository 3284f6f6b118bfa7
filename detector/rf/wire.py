"""Host-side decoding of the scanner protocol (firmware/PROTOCOL.md).

The firmware's own reader (firmware/protocol.py) is written for MicroPython; this one is
the host's fast path: CRCs by fastcrc and COBS by corncobs (both Rust, 20 to 100 times
faster than the pure-Python code, which stays as the fallback where their wheels do not
exist, e.g. on the Pi's aarch64), and sequence bookkeeping. Both follow the same format,
and the tests check that they agree. Nothing in here raises on bad input: every bad
frame is counted and skipped.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass, field

from detector_firmware import protocol as P

try:
    from fastcrc.crc16 import ibm_3740 as crc16  # CRC-16/CCITT-FALSE (IBM-3740)
except ImportError:  # pragma: no cover - the same CRC, about 2 ms per MB slower

    def crc16(data: bytes) -> int:
        return binascii.crc_hqx(data, 0xFFFF)

MAX_FRAME = P.MAX_FRAME
MAX_ENCODED = MAX_FRAME + MAX_FRAME // 254 + 2


def py_cobs_decode(data: bytes) -> bytes | None:
    """One COBS block without its delimiter; None if malformed."""
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        code = data[i]
        end = i + code
        if code == 0 or end > n:
            return None
        out += data[i + 1:end]
        i = end
        if code != 255 and i < n:
            out.append(0)
    return bytes(out)


def py_cobs_encode(data: bytes) -> bytes:
    """COBS, block by block (the firmware's encoder, at C speed on long zero-free runs):
    the same bytes as detector_firmware.protocol.cobs_encode."""
    out = bytearray()
    for part in data.split(b"\x00"):
        start, n = 0, len(part)
        while n - start >= 254:
            out.append(255)
            out += part[start:start + 254]
            start += 254
        out.append(n - start + 1)
        out += part[start:]
    return bytes(out)


try:
    import corncobs
except ImportError:  # pragma: no cover - exercised where corncobs has no wheel
    corncobs = None

if corncobs is not None:
    # corncobs leaves out the final 0x01 after a full 254-byte run at the end, as COBS
    # allows; every decoder here (and the firmware's) reads both forms.
    cobs_encode = corncobs.encode

    def cobs_decode(data: bytes) -> bytes | None:
        """One COBS block without its delimiter; None if malformed. Blocks are cut at
        the delimiters, so they hold no zero byte: the non-strict decoder suffices."""
        try:
            return corncobs.decode(data, strict=False)
        except corncobs.DecodeError:
            return None
else:  # pragma: no cover
    cobs_encode, cobs_decode = py_cobs_encode, py_cobs_decode


def encode_frame(msg_type: int, seq: int, payload: bytes = b"") -> bytes:
    """type u8 | seq u16 | payload | CRC-16 (CCITT-FALSE), COBS-encoded, 0x00-ended."""
    body = bytes((msg_type, seq & 0xFF, (seq >> 8) & 0xFF)) + payload
    crc = crc16(body)
    return cobs_encode(body + bytes((crc & 0xFF, crc >> 8))) + b"\x00"


@dataclass
class DecodeStats:
    frames: int = 0
    corrupt: int = 0  # bad COBS, bad CRC, too short or too long
    lost: int = 0  # frames missing according to the sequence numbers
    duplicates: int = 0  # repeated or out-of-order sequence numbers (dropped)
    bytes: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"frames": self.frames, "corrupt": self.corrupt, "lost": self.lost,
                "duplicates": self.duplicates, "bytes": self.bytes}


@dataclass
class StreamDecoder:
    """Bytes in, (type, seq, payload) frames out, in order, each sequence number once."""

    stats: DecodeStats = field(default_factory=DecodeStats)
    buf: bytearray = field(default_factory=bytearray)
    discarding: bool = False
    last_seq: int | None = None
    max_frame: int = MAX_FRAME  # the longest decoded frame accepted (bounded memory)

    @property
    def max_encoded(self) -> int:
        return self.max_frame + self.max_frame // 254 + 2

    def reset_sequence(self) -> None:
        """After a reconnect the device may have restarted its numbering."""
        self.last_seq = None
        self.buf.clear()
        self.discarding = False

    def feed(self, data: bytes) -> list[tuple[int, int, bytes]]:
        self.stats.bytes += len(data)
        frames = []
        start = 0
        while True:
            end = data.find(0, start)
            if end < 0:
                break
            chunk = data[start:end]
            start = end + 1
            if self.discarding:  # the tail of an over-long frame
                self.discarding = False
                self.buf.clear()
                continue
            if self.buf:
                self.buf += chunk
                chunk = bytes(self.buf)
                self.buf.clear()
            if chunk:
                frame = self._frame(chunk)
                if frame is not None:
                    frames.append(frame)
        rest = data[start:]
        if rest and not self.discarding:
            self.buf += rest
            if len(self.buf) > self.max_encoded:
                self.buf.clear()
                self.discarding = True
                self.stats.corrupt += 1
        return frames

    def _frame(self, chunk: bytes) -> tuple[int, int, bytes] | None:
        body = cobs_decode(chunk) if len(chunk) <= self.max_encoded else None
        if body is None or not 5 <= len(body) <= self.max_frame:
            self.stats.corrupt += 1
            return None
        crc = body[-2] | (body[-1] << 8)
        if crc16(body[:-2]) != crc:
            self.stats.corrupt += 1
            return None
        msg_type, seq = body[0], body[1] | (body[2] << 8)
        if self.last_seq is not None:
            gap = (seq - self.last_seq) & 0xFFFF
            if gap == 0 or gap >= 0x8000:
                self.stats.duplicates += 1
                return None
            self.stats.lost += gap - 1
        self.last_seq = seq
        self.stats.frames += 1
        return msg_type, seq, body[3:-2]
