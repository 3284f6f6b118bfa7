"""Capture files: pcap (microsecond or nanosecond) and pcapng, as libpcap, tcpdump and
Wireshark write them, of 802.11 with radiotap (link type 127) or plain 802.11 (105).

The reader walks the file's records with struct: it keeps each record's
original length (a header-only capture is cut at the snap length, but the frame's size
on air is what the analysis needs). A file cut short mid-record gives every complete
frame and says it was truncated; a file that is no capture is a one-line CaptureError.
The writer writes header-only pcap files (recorded sessions, the simulator).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from detector.wifi.headers import CaptureError, WifiFrame, dot11, frame_from_radiotap

LINK_RADIOTAP = 127
LINK_80211 = 105
_PCAP_MAGIC = {0xA1B2C3D4: 1_000, 0xA1B23C4D: 1}  # -> ns per timestamp unit
_PCAPNG_SHB = 0x0A0D0D0A
_PCAPNG_BYTE_ORDER = 0x1A2B3C4D
_IDB, _SPB, _EPB = 1, 3, 6
_IF_TSRESOL = 9
HEADER_SNAPLEN = 256  # enough for radiotap, the MAC header and a beacon's SSID


@dataclass
class ReadStats:
    """What reading a capture met besides good frames."""

    records: int = 0
    frames: int = 0
    bad_fcs: int = 0  # frames the radio marked as failing their checksum
    undecodable: int = 0  # records too short or not 802.11
    truncated: bool = False  # the file ends inside a record


@dataclass(frozen=True)
class Record:
    t_ns: int
    data: memoryview
    wire_len: int
    linktype: int


class CaptureReader:
    """Iterate over a capture's records (`records()`) or decoded frames (`frames()`)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.stats = ReadStats()
        try:
            # Header-only captures are small (under 100 bytes a frame): read at once.
            self._buf = self.path.read_bytes()
        except FileNotFoundError:
            raise CaptureError(f"{self.path}: file not found") from None
        except OSError as exc:
            raise CaptureError(f"{self.path}: cannot read ({exc.strerror})") from None
        if len(self._buf) < 4:
            raise CaptureError(f"{self.path}: not a pcap or pcapng capture (too short)")

    def close(self) -> None:
        self._buf = b""

    def __enter__(self) -> CaptureReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def records(self) -> Iterator[Record]:
        magic_le = struct.unpack_from("<I", self._buf, 0)[0]
        if magic_le == _PCAPNG_SHB:
            yield from self._pcapng()
            return
        for order in "<>":
            magic = struct.unpack_from(order + "I", self._buf, 0)[0]
            if magic in _PCAP_MAGIC:
                yield from self._pcap(order, _PCAP_MAGIC[magic])
                return
        raise CaptureError(f"{self.path}: not a pcap or pcapng capture "
                           f"(starts with {bytes(self._buf[:4]).hex()})")

    def frames(self) -> Iterator[WifiFrame]:
        """The 802.11 frames, decoded (headers only); bad records are counted, not fatal."""
        stats = self.stats
        for record in self.records():
            try:
                if record.linktype == LINK_RADIOTAP:
                    frame = frame_from_radiotap(record.data, record.wire_len, record.t_ns)
                else:
                    frame = dot11(record.data, 0, record.wire_len, record.t_ns)
            except (ValueError, struct.error):
                stats.undecodable += 1
                continue
            if frame is None:
                stats.bad_fcs += 1
                continue
            stats.frames += 1
            yield frame

    # ---- pcap ------------------------------------------------------------------------------
    def _pcap(self, order: str, ns_per_unit: int) -> Iterator[Record]:
        buf = self._buf
        if len(buf) < 24:
            raise CaptureError(f"{self.path}: pcap header cut short")
        linktype = struct.unpack_from(order + "I", buf, 20)[0] & 0xFFFF
        _check_link(self.path, linktype)
        header = struct.Struct(order + "IIII")
        offset, end = 24, len(buf)
        view = memoryview(buf)
        while offset < end:
            if offset + 16 > end:
                self.stats.truncated = True
                return
            sec, frac, caplen, wire_len = header.unpack_from(buf, offset)
            offset += 16
            if offset + caplen > end:
                self.stats.truncated = True
                return
            self.stats.records += 1
            yield Record(sec * 1_000_000_000 + frac * ns_per_unit,
                         view[offset:offset + caplen], wire_len, linktype)
            offset += caplen

    # ---- pcapng ----------------------------------------------------------------------------
    def _pcapng(self) -> Iterator[Record]:
        buf = self._buf
        view = memoryview(buf)
        end = len(buf)
        offset = 0
        order = "<"
        interfaces: list[tuple[int, int]] = []  # (linktype, ns per unit)
        while offset < end:
            if offset + 12 > end:
                self.stats.truncated = True
                return
            block_type = struct.unpack_from(order + "I", buf, offset)[0]
            if block_type == _PCAPNG_SHB:
                order = _byte_order(buf, offset, self.path)
                interfaces = []  # a new section starts its own interface list
            block_len = struct.unpack_from(order + "I", buf, offset + 4)[0]
            if block_len < 12 or block_len % 4:
                raise CaptureError(f"{self.path}: pcapng block at byte {offset} has a bad "
                                   f"length {block_len}")
            if offset + block_len > end:
                self.stats.truncated = True
                return
            body = offset + 8
            if block_type == _IDB:
                linktype = struct.unpack_from(order + "H", buf, body)[0]
                _check_link(self.path, linktype)
                interfaces.append((linktype, _tsresol(buf, body + 8, offset + block_len - 4,
                                                      order)))
            elif block_type == _EPB:
                iface, high, low, caplen, wire_len = struct.unpack_from(order + "IIIII", buf,
                                                                        body)
                if iface >= len(interfaces):
                    raise CaptureError(f"{self.path}: packet on interface {iface}, which the "
                                       f"file never describes")
                linktype, unit = interfaces[iface]
                self.stats.records += 1
                start = body + 20
                yield Record(((high << 32) | low) * unit, view[start:start + caplen],
                             wire_len, linktype)
            offset += block_len


def _byte_order(buf, offset: int, path: Path) -> str:
    for order in "<>":
        if struct.unpack_from(order + "I", buf, offset + 8)[0] == _PCAPNG_BYTE_ORDER:
            return order
    raise CaptureError(f"{path}: pcapng section header with an unknown byte order")


def _tsresol(buf, start: int, stop: int, order: str) -> int:
    """Nanoseconds per timestamp unit from an interface's if_tsresol option (default µs)."""
    offset = start
    while offset + 4 <= stop:
        code, size = struct.unpack_from(order + "HH", buf, offset)
        if code == 0:
            break
        if code == _IF_TSRESOL and size >= 1:
            value = buf[offset + 4]
            seconds = 2.0 ** -(value & 0x7F) if value & 0x80 else 10.0 ** -value
            return max(int(round(seconds * 1e9)), 1)
        offset += 4 + size + (-size) % 4
    return 1_000


def _check_link(path: Path, linktype: int) -> None:
    if linktype not in (LINK_RADIOTAP, LINK_80211):
        raise CaptureError(f"{path}: link type {linktype} is not 802.11 (a monitor-mode "
                           f"capture with radiotap is link type {LINK_RADIOTAP})")


def read_frames(path: str | Path) -> tuple[list[WifiFrame], ReadStats]:
    """Every decodable frame of a capture file, and what else was met."""
    with CaptureReader(path) as reader:
        frames = list(reader.frames())
        return frames, reader.stats


class PcapWriter:
    """Writes a header-only pcap with nanosecond timestamps: each record keeps at most
    `snaplen` bytes and the frame's full length on air, as tcpdump -s does."""

    def __init__(self, fh: BinaryIO, linktype: int = LINK_RADIOTAP,
                 snaplen: int = HEADER_SNAPLEN) -> None:
        self.fh = fh
        self.snaplen = snaplen
        fh.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, snaplen, linktype))

    def write(self, t_ns: int, data: bytes, wire_len: int | None = None) -> None:
        kept = data[:self.snaplen]
        sec, ns = divmod(t_ns, 1_000_000_000)
        self.fh.write(struct.pack("<IIII", sec, ns, len(kept),
                                  wire_len if wire_len is not None else len(data)))
        self.fh.write(kept)
