# Wire protocol between the scanner and the host (PROTOCOL.md): frames of
# type u8 | seq u16 | payload | crc16, COBS-encoded and ended by a 0x00 byte.
# Runs under MicroPython and CPython; no allocation-heavy idioms on the hot path.

import struct

PROTOCOL_VERSION = 1
MAX_FRAME = 1024  # longest decoded frame (type, seq, payload, crc) either side accepts

# Message types. Device to host:
HELLO = 0x01
SWEEP = 0x10
BROADBAND = 0x11
STATUS = 0x20
ERROR = 0x21
ACK = 0x22
# Host to device:
HELLO_REQUEST = 0x05
CONFIGURE = 0x02
START = 0x03
STOP = 0x04

# Receivers (sources) and bands.
SRC_RX5808 = 1
SRC_AD8318 = 2
SRC_CC2500 = 3
CAP_RX5808 = 1
CAP_AD8318 = 2
CAP_CC2500 = 4
BAND_5G8 = 1
BAND_2G4 = 2
BAND_BROADBAND = 3

# Error codes (ERROR messages).
ERR_BAD_FRAME = 1
ERR_UNKNOWN_TYPE = 2
ERR_BAD_CONFIG = 3
ERR_HARDWARE = 4

_CRC_TABLE = []


def _build_table():
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        _CRC_TABLE.append(crc & 0xFFFF)


_build_table()


def crc16(data, crc=0xFFFF):
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor)."""
    table = _CRC_TABLE
    for b in data:
        crc = ((crc << 8) & 0xFFFF) ^ table[((crc >> 8) ^ b) & 0xFF]
    return crc


def cobs_encode(data):
    out = bytearray()
    block = bytearray()
    for b in data:
        if b == 0:
            out.append(len(block) + 1)
            out.extend(block)
            block = bytearray()
        else:
            block.append(b)
            if len(block) == 254:
                out.append(255)
                out.extend(block)
                block = bytearray()
    out.append(len(block) + 1)
    out.extend(block)
    return bytes(out)


def cobs_decode(data):
    """Decode one COBS block (without the 0x00 delimiter). Raises ValueError if malformed."""
    out = bytearray()
    i = 0
    n = len(data)
    while i < n:
        code = data[i]
        if code == 0:
            raise ValueError("zero byte inside a COBS frame")
        end = i + code
        if end > n:
            raise ValueError("COBS block runs past the frame")
        out.extend(data[i + 1:end])
        i = end
        if code != 255 and i < n:
            out.append(0)
    return bytes(out)


def pack_frame(msg_type, seq, payload=b""):
    body = struct.pack("<BH", msg_type, seq & 0xFFFF) + payload
    return cobs_encode(body + struct.pack("<H", crc16(body))) + b"\x00"


def unpack_frame(encoded):
    """(type, seq, payload) of one frame without its delimiter; ValueError if bad."""
    body = cobs_decode(encoded)
    if len(body) < 5:
        raise ValueError("frame too short")
    if len(body) > MAX_FRAME:
        raise ValueError("frame too long")
    (crc,) = struct.unpack("<H", body[-2:])
    if crc16(body[:-2]) != crc:
        raise ValueError("CRC mismatch")
    msg_type, seq = struct.unpack("<BH", body[:3])
    return msg_type, seq, body[3:-2]


class FrameReader:
    """Splits a byte stream into frames. Bad frames are counted, never raised; a frame
    longer than MAX_FRAME is discarded up to the next delimiter (bounded memory)."""

    def __init__(self):
        self.buf = bytearray()
        self.overflow = False
        self.bad = 0

    def feed(self, data):
        frames = []
        start = 0
        while True:
            end = data.find(b"\x00", start)
            if end < 0:
                break
            chunk = data[start:end]
            start = end + 1
            if self.overflow:
                self.overflow = False
                self.buf = bytearray()
                self.bad += 1
                continue
            if self.buf:
                self.buf.extend(chunk)
                chunk = bytes(self.buf)
                self.buf = bytearray()
            if not chunk:
                continue
            try:
                frames.append(unpack_frame(chunk))
            except ValueError:
                self.bad += 1
        rest = data[start:]
        if rest and not self.overflow:
            self.buf.extend(rest)
            if len(self.buf) > 2 * MAX_FRAME:
                self.buf = bytearray()
                self.overflow = True
        return frames


# ---- payloads ---------------------------------------------------------------------------

def pack_hello(fw_version, capabilities, tables):
    """tables: list of (name, [MHz, ...]) channel tables."""
    out = bytearray(struct.pack("<BBBBBB", PROTOCOL_VERSION, fw_version[0], fw_version[1],
                                fw_version[2], capabilities, len(tables)))
    for name, mhz in tables:
        out.extend(struct.pack("<BB", ord(name), len(mhz)))
        for f in mhz:
            out.extend(struct.pack("<H", f))
    return bytes(out)


def unpack_hello(p):
    proto, a, b, c, caps, n = struct.unpack("<BBBBBB", p[:6])
    i = 6
    tables = []
    for _ in range(n):
        name, count = struct.unpack("<BB", p[i:i + 2])
        i += 2
        mhz = list(struct.unpack("<" + "H" * count, p[i:i + 2 * count]))
        i += 2 * count
        tables.append((chr(name), mhz))
    return {"protocol": proto, "firmware": (a, b, c), "capabilities": caps, "tables": tables}


CONFIG_FORMAT = "<BIHHBBH"  # sources, rx5808 settle us, cc2500 start MHz, step kHz, count,
#                              ad8318 samples, status period ms
DWELL_FORMAT = "<H"  # optional, since firmware 1.1.0: cc2500 dwell per channel, us
CC_DWELL_US = 350  # CC2500 RX after calibration, then RSSI valid (~250 us + margin)
CONFIG_KEYS = ("sources", "settle_us", "cc_start_mhz", "cc_step_khz", "cc_count",
               "ad_samples", "status_ms")


def pack_configure(sources, settle_us, cc_start_mhz, cc_step_khz, cc_count, ad_samples,
                   status_ms, cc_dwell_us=CC_DWELL_US):
    """The dwell is sent only when it is not the default, so firmware older than 1.1.0
    still accepts every configuration it can carry out."""
    out = struct.pack(CONFIG_FORMAT, sources, settle_us, cc_start_mhz, cc_step_khz, cc_count,
                      ad_samples, status_ms)
    if cc_dwell_us != CC_DWELL_US:
        out += struct.pack(DWELL_FORMAT, cc_dwell_us)
    return out


def unpack_configure(p):
    size = struct.calcsize(CONFIG_FORMAT)
    config = dict(zip(CONFIG_KEYS, struct.unpack(CONFIG_FORMAT, p[:size])))
    rest = p[size:]
    config["cc_dwell_us"] = struct.unpack(DWELL_FORMAT, rest)[0] if rest else CC_DWELL_US
    return config


def pack_sweep(source, band, t_us, duration_us, freqs_khz, centi_dbm, even):
    """Evenly spaced sweeps send start and step; others every frequency (kHz)."""
    n = len(centi_dbm)
    head = struct.pack("<BBIIHB", source, band, t_us & 0xFFFFFFFF, duration_us, n, 1 if even else 0)
    if even:
        step = freqs_khz[1] - freqs_khz[0] if n > 1 else 0
        freqs = struct.pack("<Ii", freqs_khz[0], step)
    else:
        freqs = struct.pack("<" + "I" * n, *freqs_khz)
    return head + freqs + struct.pack("<" + "h" * n, *centi_dbm)


def unpack_sweep(p):
    source, band, t_us, duration_us, n, even = struct.unpack("<BBIIHB", p[:13])
    i = 13
    if even:
        start, step = struct.unpack("<Ii", p[i:i + 8])
        i += 8
        freqs = [start + k * step for k in range(n)]
    else:
        freqs = list(struct.unpack("<" + "I" * n, p[i:i + 4 * n]))
        i += 4 * n
    values = struct.unpack("<" + "h" * n, p[i:i + 2 * n])
    if i + 2 * n != len(p):
        raise ValueError("sweep payload length")
    return {"source": source, "band": band, "t_us": t_us, "duration_us": duration_us,
            "freqs_khz": freqs, "centi_dbm": list(values), "even": bool(even)}


def pack_broadband(source, t_us, centi_dbm):
    return struct.pack("<BIh", source, t_us & 0xFFFFFFFF, centi_dbm)


def unpack_broadband(p):
    source, t_us, value = struct.unpack("<BIh", p)
    return {"source": source, "t_us": t_us, "centi_dbm": value}


def pack_status(uptime_ms, sweeps, rx_bad, state, reset_cause):
    return struct.pack("<IIHBB", uptime_ms & 0xFFFFFFFF, sweeps, rx_bad & 0xFFFF, state,
                       reset_cause)


def unpack_status(p):
    keys = ("uptime_ms", "sweeps", "rx_bad", "state", "reset_cause")
    return dict(zip(keys, struct.unpack("<IIHBB", p)))


def pack_error(code, text):
    return struct.pack("<B", code) + text.encode()[:200]


def unpack_error(p):
    return {"code": p[0], "text": bytes(p[1:]).decode("utf-8", "replace")}


def pack_ack(msg_type, seq):
    return struct.pack("<BH", msg_type, seq)


def unpack_ack(p):
    t, s = struct.unpack("<BH", p)
    return {"type": t, "seq": s}
