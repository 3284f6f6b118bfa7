"""Capture files of 802.11 with radiotap: pcap in both byte orders and resolutions,
pcapng, header-only records, truncated and foreign files, and the radiotap details
(alignment, extended bitmaps, bad checksums). The files are written here, byte by byte
or with our own writer."""

import io
import struct

import pytest

from detector.wifi.capture import CaptureReader, PcapWriter, read_frames
from detector.wifi.encode import capture_bytes, mac_header, radiotap_bytes
from detector.wifi.headers import (
    BEACON,
    CTRL,
    DATA,
    MGMT,
    CaptureError,
    WifiFrame,
    locally_administered,
    mac_text,
)

CAM = bytes.fromhex("a4cf12a1b2c3")
AP = bytes.fromhex("001122334455")
PHONE = bytes.fromhex("da0102030405")  # locally administered: a randomised address
T0 = 1_764_000_000_123_456_789


def uplink(t_ns, length=1500, rssi=-48):
    return WifiFrame(t_ns, length, rssi, 2437, DATA, 8, True, False, False, True, AP, CAM, AP)


FRAMES = [
    uplink(T0),
    WifiFrame(T0 + 1_000, 14, -60, 2437, CTRL, 13, False, False, False, False, CAM, None, None),
    WifiFrame(T0 + 2_000, 180, -71, 2437, MGMT, BEACON, False, False, False, False,
              b"\xff" * 6, AP, AP, "Cafe guest"),
    WifiFrame(T0 + 3_000, 400, -55, 5180, DATA, 8, False, True, True, True, PHONE, AP, AP),
]


def write(path, frames, snaplen=256):
    with open(path, "wb") as fh:
        writer = PcapWriter(fh, snaplen=snaplen)
        for frame in frames:
            data, wire = capture_bytes(frame)
            writer.write(frame.t_ns, data, wire)


def test_frames_survive_a_header_only_pcap(tmp_path):
    path = tmp_path / "a.pcap"
    write(path, FRAMES)
    frames, stats = read_frames(path)
    assert frames == FRAMES
    assert stats.frames == 4 and not stats.truncated
    assert frames[0].uplink and not frames[3].uplink
    # Header-only: a 1500-byte frame keeps its length but not its body.
    assert path.stat().st_size < 24 + 4 * (16 + 80)


def test_a_beacon_cut_by_the_snap_length_has_no_ssid_but_still_counts(tmp_path):
    path = tmp_path / "short.pcap"
    write(path, FRAMES[2:3], snaplen=40)
    (frame,), _stats = read_frames(path)
    assert frame.kind == MGMT and frame.addr2 == AP and frame.ssid is None
    assert frame.length == 180


def pcapng(records, tsresol=9, order="<"):
    """An SHB, one radiotap interface with if_tsresol, and one EPB per record."""
    def block(kind, body):
        body += b"\0" * ((-len(body)) % 4)
        n = 12 + len(body)
        return struct.pack(order + "II", kind, n) + body + struct.pack(order + "I", n)

    out = block(0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    option = struct.pack(order + "HH", 9, 1) + bytes([tsresol]) + b"\0" * 3
    out += block(1, struct.pack(order + "HHI", 127, 0, 256) + option
                 + struct.pack(order + "HH", 0, 0))
    for t_units, data, wire in records:
        out += block(6, struct.pack(order + "IIIII", 0, t_units >> 32, t_units & 0xFFFFFFFF,
                                    len(data), wire) + data)
    return out


@pytest.mark.parametrize("order", ["<", ">"])
def test_pcapng_with_nanosecond_resolution_in_either_byte_order(tmp_path, order):
    records = [(f.t_ns, *capture_bytes(f)) for f in FRAMES]
    path = tmp_path / "a.pcapng"
    path.write_bytes(pcapng(records, order=order))
    frames, _stats = read_frames(path)
    assert frames == FRAMES


def test_pcapng_in_microseconds_by_default_units(tmp_path):
    data, wire = capture_bytes(FRAMES[0])
    path = tmp_path / "us.pcapng"
    path.write_bytes(pcapng([(1_000_000, data, wire)], tsresol=6))
    (frame,), _ = read_frames(path)
    assert frame.t_ns == 1_000_000_000


def test_big_endian_microsecond_pcap(tmp_path):
    data, wire = capture_bytes(FRAMES[0])
    raw = struct.pack(">IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 127)
    raw += struct.pack(">IIII", 12, 345678, len(data), wire) + data
    path = tmp_path / "be.pcap"
    path.write_bytes(raw)
    (frame,), _ = read_frames(path)
    assert frame.t_ns == 12_345_678_000 and frame.addr2 == CAM and frame.length == 1500


def test_a_capture_cut_mid_record_keeps_every_complete_frame(tmp_path):
    path = tmp_path / "cut.pcap"
    write(path, FRAMES)
    raw = path.read_bytes()
    path.write_bytes(raw[:-7])
    frames, stats = read_frames(path)
    assert frames == FRAMES[:3] and stats.truncated


@pytest.mark.parametrize("content, fragment", [
    (b"hello, this is not a capture", "not a pcap or pcapng capture"),
    (b"\xd4\xc3\xb2\xa1", "pcap header cut short"),
    (struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1), "link type 1 is not 802.11"),
    (b"", "too short"),
])
def test_foreign_files_are_one_line_errors_naming_the_file(tmp_path, content, fragment):
    path = tmp_path / "x.pcap"
    path.write_bytes(content)
    with pytest.raises(CaptureError, match=fragment) as info:
        read_frames(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(CaptureError, match="file not found"):
        read_frames(tmp_path / "none.pcap")


def radiotap_with_tsft_and_extension(rssi, bad_fcs=False):
    """TSFT (8-byte aligned, after two present words), flags, channel, signal."""
    present0 = (1 << 0) | (1 << 1) | (1 << 3) | (1 << 5) | (1 << 31)
    present1 = 0
    fields = struct.pack("<Q", 123) + bytes([0x40 if bad_fcs else 0x10, 0])
    fields += struct.pack("<HHb", 2462, 0x00A0, rssi)
    # 12 bytes of header and present words, then 4 bytes of padding: TSFT is 8-aligned.
    header = struct.pack("<BBHII", 0, 0, 16 + len(fields), present0, present1) + bytes(4)
    return header + fields


def test_radiotap_alignment_extended_bitmaps_and_bad_checksums(tmp_path):
    frame = uplink(T0, rssi=-33)
    good = radiotap_with_tsft_and_extension(-33) + mac_header(frame)
    bad = radiotap_with_tsft_and_extension(-33, bad_fcs=True) + mac_header(frame)
    junk = radiotap_bytes(-40, 2437) + b"\x01\x02"  # cut inside the MAC header
    path = tmp_path / "rt.pcap"
    with open(path, "wb") as fh:
        writer = PcapWriter(fh)
        writer.write(T0, good, len(good) + 1400)
        writer.write(T0 + 1, bad, len(bad))
        writer.write(T0 + 2, junk, len(junk))
    frames, stats = read_frames(path)
    assert len(frames) == 1
    assert frames[0].rssi_dbm == -33 and frames[0].freq_mhz == 2462
    assert frames[0].addr2 == CAM and frames[0].length == len(mac_header(frame)) + 1400
    assert (stats.records, stats.bad_fcs, stats.undecodable) == (3, 1, 1)


def test_records_iterate_without_decoding(tmp_path):
    path = tmp_path / "a.pcap"
    write(path, FRAMES)
    with CaptureReader(path) as reader:
        records = list(reader.records())
    assert [r.wire_len for r in records][0] == 15 + 1500
    assert all(r.linktype == 127 for r in records)


def test_addresses():
    assert mac_text(CAM) == "a4:cf:12:a1:b2:c3"
    assert locally_administered(PHONE) and not locally_administered(CAM)
    assert PcapWriter(io.BytesIO()).snaplen == 256


def test_recorded_addresses_are_pseudonyms_that_keep_the_maker_and_the_private_flag():
    from detector.wifi.pseudonyms import Pseudonyms

    camera, phone, broadcast = (bytes.fromhex("a4cf12a1b2c3"), bytes.fromhex("da0102030405"),
                                b"\xff" * 6)
    one, other = Pseudonyms(), Pseudonyms()
    assert one.of(camera) == one.of(camera) != camera  # stable within a recording
    assert one.of(camera)[:3] == camera[:3]  # the maker's prefix stays
    assert one.of(camera) != other.of(camera)  # not linkable across recordings
    assert one.of(phone)[0] & 0x02 and one.of(phone)[1:] != phone[1:]
    assert one.of(broadcast) == broadcast
