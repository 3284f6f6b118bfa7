"""Radiotap and 802.11 MAC headers, decoded to what the traffic analysis needs: time,
size on air, signal strength, channel, frame type, direction and addresses, and for
beacons and probe responses the network's name.

Nothing past the MAC header is read, except the information elements of a beacon or
probe response (broadcast in the clear). Payloads are never decoded (docs/wifi.md, the
privacy rule). Only the radiotap fields up to the antenna signal are decoded, with their
alignment; a capture that lacks them gives None.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from detector.errors import DetectorError

# Radiotap fields before the antenna signal: (bit, alignment, size).
_TSFT, _FLAGS, _RATE, _CHANNEL, _FHSS, _ANTSIGNAL = range(6)
_FIELDS = ((_TSFT, 8, 8), (_FLAGS, 1, 1), (_RATE, 1, 1), (_CHANNEL, 2, 4), (_FHSS, 1, 2),
           (_ANTSIGNAL, 1, 1))
_EXT = 1 << 31  # another present word follows
_FLAG_BAD_FCS = 0x40  # the radio says the frame failed its checksum

MGMT, CTRL, DATA = "mgmt", "ctrl", "data"
_TYPES = {0: MGMT, 1: CTRL, 2: DATA}
BEACON, PROBE_RESPONSE = 8, 5  # management subtypes that name a network
# Control frames that carry only a receiver address (CTS, ACK).
_RECEIVER_ONLY = {(1, 12), (1, 13)}
_MGMT_FIXED = 12  # timestamp, beacon interval, capabilities
_TAG_SSID = 0


class CaptureError(DetectorError):
    """A capture that cannot be read: the one line names the file and what is wrong."""


@dataclass(frozen=True, slots=True)
class WifiFrame:
    """One 802.11 frame as heard: headers only.

    t_ns: capture time; length: the frame's bytes as the radio reported them (MAC
    header and body, and the FCS when the radio keeps it); rssi_dbm and
    freq_mhz from radiotap (None when absent); kind mgmt/ctrl/data with its subtype;
    to_ds/from_ds: direction relative to the distribution system; addr1 the receiver,
    addr2 the transmitter (None for CTS and ACK), addr3 the BSSID or final address;
    ssid: a beacon's or probe response's network name."""

    t_ns: int
    length: int
    rssi_dbm: int | None
    freq_mhz: int | None
    kind: str
    subtype: int
    to_ds: bool
    from_ds: bool
    retry: bool
    protected: bool
    addr1: bytes
    addr2: bytes | None
    addr3: bytes | None
    ssid: str | None = None

    @property
    def uplink(self) -> bool:
        """A station sending into the network (to the access point): a camera's stream."""
        return self.kind == DATA and self.to_ds and not self.from_ds


def radiotap(buf: bytes | memoryview, start: int = 0) -> tuple[int, int | None, int | None, int]:
    """(header length, antenna signal dBm, channel MHz, flags) of a radiotap header."""
    if len(buf) - start < 8:
        raise ValueError("radiotap header cut short")
    version, _pad, length, present = struct.unpack_from("<BBHI", buf, start)
    if version != 0 or length < 8 or length > len(buf) - start:
        raise ValueError(f"not a radiotap header (version {version}, length {length})")
    words = [present]
    offset = start + 8
    while words[-1] & _EXT:  # extended bitmaps: the fields start after the last word
        if offset + 4 > start + length:
            raise ValueError("radiotap present words run past the header")
        words.append(struct.unpack_from("<I", buf, offset)[0])
        offset += 4
    rssi = freq = None
    flags = 0
    for bit, align, size in _FIELDS:
        if not present & (1 << bit):
            continue
        rel = offset - start
        offset += (-rel) % align
        if offset + size > start + length:
            raise ValueError("radiotap fields run past the header")
        if bit == _FLAGS:
            flags = buf[offset]
        elif bit == _CHANNEL:
            freq = struct.unpack_from("<H", buf, offset)[0]
        elif bit == _ANTSIGNAL:
            rssi = struct.unpack_from("<b", buf, offset)[0]
        offset += size
    return length, rssi, freq, flags


def dot11(buf: bytes | memoryview, start: int, wire_len: int, t_ns: int,
          rssi: int | None = None, freq: int | None = None) -> WifiFrame:
    """The 802.11 MAC header at `start` (bytes past it are looked at only for a
    beacon's or probe response's SSID). `wire_len` is the frame's length on air."""
    if len(buf) - start < 10:
        raise ValueError("802.11 header cut short")
    fc0, fc1 = buf[start], buf[start + 1]
    ftype, subtype = (fc0 >> 2) & 0x3, fc0 >> 4
    kind = _TYPES.get(ftype)
    if kind is None or fc0 & 0x3:
        raise ValueError(f"not an 802.11 frame (frame control {fc0:#04x})")
    addr1 = bytes(buf[start + 4:start + 10])
    addr2 = addr3 = None
    if (ftype, subtype) not in _RECEIVER_ONLY and len(buf) - start >= 16:
        addr2 = bytes(buf[start + 10:start + 16])
    if kind != CTRL and len(buf) - start >= 22:
        addr3 = bytes(buf[start + 16:start + 22])
    ssid = None
    if kind == MGMT and subtype in (BEACON, PROBE_RESPONSE):
        ssid = _ssid(buf, start + 24 + _MGMT_FIXED)
    return WifiFrame(t_ns, wire_len, rssi, freq, kind, subtype, bool(fc1 & 0x01),
                     bool(fc1 & 0x02), bool(fc1 & 0x08), bool(fc1 & 0x40), addr1, addr2,
                     addr3, ssid)


def _ssid(buf: bytes | memoryview, offset: int) -> str | None:
    """The SSID element (the first tagged parameter of a beacon), if captured."""
    if offset + 2 > len(buf) or buf[offset] != _TAG_SSID:
        return None
    size = buf[offset + 1]
    raw = bytes(buf[offset + 2:offset + 2 + size])
    if len(raw) < size:
        return None
    return raw.decode("utf-8", errors="replace")


def frame_from_radiotap(buf: bytes | memoryview, wire_len: int, t_ns: int) -> WifiFrame | None:
    """A captured radiotap record (as libpcap's DLT 127 writes it) as a WifiFrame; None
    for a frame the radio marked as failing its checksum."""
    length, rssi, freq, flags = radiotap(buf)
    if flags & _FLAG_BAD_FCS:
        return None
    return dot11(buf, length, wire_len - length, t_ns, rssi, freq)


def mac_text(addr: bytes | None) -> str:
    return ":".join(f"{b:02x}" for b in addr) if addr else ""


def locally_administered(addr: bytes) -> bool:
    """Set on randomised (private) addresses, as phones use; vendors' are globally unique."""
    return bool(addr[0] & 0x02)
