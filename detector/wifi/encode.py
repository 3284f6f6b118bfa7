"""WifiFrame back to the bytes a monitor-mode capture holds: a radiotap header (flags,
channel, antenna signal) and the 802.11 MAC header, and for beacons the SSID element.
Used to write header-only pcap files (recorded sessions, the simulator, tests); no
payload is ever written."""

from __future__ import annotations

import struct

from detector.wifi.headers import BEACON, CTRL, DATA, MGMT, PROBE_RESPONSE, WifiFrame

_TYPE_CODE = {MGMT: 0, CTRL: 1, DATA: 2}
_PRESENT = (1 << 1) | (1 << 3) | (1 << 5)  # flags, channel, antenna signal
_CHANNEL_2G = 0x00A0  # 2 GHz spectrum, OFDM
_CHANNEL_5G = 0x0140  # 5 GHz spectrum, OFDM
_QOS = 0x8  # data subtypes with this bit carry a QoS control field


def radiotap_bytes(rssi_dbm: int | None, freq_mhz: int | None) -> bytes:
    flags = 0x00
    freq = freq_mhz or 0
    chan_flags = _CHANNEL_5G if freq >= 4900 else _CHANNEL_2G
    body = struct.pack("<BxHHb", flags, freq, chan_flags,
                       rssi_dbm if rssi_dbm is not None else -128)
    return struct.pack("<BBHI", 0, 0, 8 + len(body), _PRESENT) + body


def mac_header(frame: WifiFrame) -> bytes:
    ftype = _TYPE_CODE[frame.kind]
    fc0 = (frame.subtype << 4) | (ftype << 2)
    fc1 = (frame.to_ds * 0x01) | (frame.from_ds * 0x02) | (frame.retry * 0x08) | (
        frame.protected * 0x40)
    out = struct.pack("<BBH", fc0, fc1, 0) + frame.addr1
    if frame.addr2 is not None:
        out += frame.addr2
    if frame.kind != CTRL:
        out += (frame.addr3 or b"\0" * 6) + struct.pack("<H", 0)
    if frame.kind == DATA and frame.subtype & _QOS:
        out += struct.pack("<H", 0)
    if frame.kind == MGMT and frame.subtype in (BEACON, PROBE_RESPONSE):
        ssid = (frame.ssid or "").encode()
        out += bytes(12) + bytes([0, len(ssid)]) + ssid
    return out


def capture_bytes(frame: WifiFrame) -> tuple[bytes, int]:
    """(captured bytes, length on the wire including radiotap) of one frame."""
    rt = radiotap_bytes(frame.rssi_dbm, frame.freq_mhz)
    header = mac_header(frame)
    return rt + header, len(rt) + max(frame.length, len(header))
