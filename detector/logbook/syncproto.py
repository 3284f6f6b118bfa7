"""The sync protocol's messages and their authentication (docs/logbook.md).

Framing is the RF scanner's: type u8 | seq u16 | payload | CRC-16, COBS-encoded and
ended by 0x00, with longer frames. Payloads are JSON, except evidence chunks (an 8-byte
offset and the bytes). After the handshake every payload ends with a 16-byte tag,
HMAC-SHA256 under the session key of the type, the sequence number and the payload, so a
host that has not paired can neither read records nor change anything. Evidence chunks
are the exception: their bytes are checked against the SHA-256 that a tagged, signed
record names, which a tag would only repeat at the cost of a second pass over them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
from typing import Any

from detector.errors import DetectorError
from detector.logbook.links import write_all
from detector.rf.wire import StreamDecoder, encode_frame

PROTOCOL = 2  # 2: evidence chunks carry no tag
# Evidence chunk size; record batches stay below it. Large frames keep the per-frame cost
# (two MACs, a CRC, a write) small next to the bytes moved.
MAX_PAYLOAD = 65536
MAX_FRAME = MAX_PAYLOAD + 64
TAG = 16
# Frames sent with more=True are gathered up to this size and written at once: a tty
# moves a few large writes much faster than many frame-sized ones (docs/logbook.md).
SEND_BUFFER = 256 * 1024

# Office -> device
HELLO = 0x40
PAIR = 0x42
AUTH = 0x44
GET_RECORDS = 0x48
GET_EVIDENCE = 0x4B
ACK = 0x4D
BYE = 0x50
# Device -> office
WELCOME = 0x41
PAIRED = 0x43
AUTH_OK = 0x45
RECORDS = 0x49
END = 0x4A
CHUNK = 0x4C
ACKED = 0x4E
ERROR = 0x4F

UNTAGGED = frozenset({CHUNK})  # checked by their SHA-256 instead (see above)

NAMES = {v: k for k, v in dict(globals()).items() if isinstance(v, int) and k.isupper()
         and 0x40 <= v <= 0x50}


class SyncError(DetectorError):
    """The sync link or the peer failed; a retry resumes where it stopped."""


class Refused(SyncError):
    """The peer refused: not paired, wrong code, bad tag, malformed message."""


class Silent(SyncError):
    """Nothing came from the other side in time."""


class LinkLost(SyncError):
    """The port failed: the cable is out, or the other side closed it."""


def mac(key: bytes, *parts: bytes) -> bytes:
    h = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        h.update(len(part).to_bytes(4, "little"))
        h.update(part)
    return h.digest()


def session_key(secret: bytes, device_nonce: bytes, office_nonce: bytes) -> bytes:
    return mac(secret, b"session", device_nonce, office_nonce)


def pairing_mac(code: str, secret: bytes, office: str, device_nonce: bytes) -> bytes:
    # The code is short: it only has to survive the few tries the device allows.
    return mac(code.encode(), b"pair", secret, office.encode(), device_nonce)


def auth_mac(secret: bytes, device_nonce: bytes, office_nonce: bytes) -> bytes:
    return mac(secret, b"auth", device_nonce, office_nonce)


def pack_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":"), sort_keys=True).encode()


def unpack_json(payload: bytes) -> dict[str, Any]:
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Refused("malformed message: not JSON") from None
    if not isinstance(data, dict):
        raise Refused("malformed message: not a JSON object")
    return data


def pack_chunk(offset: int, data: bytes) -> bytes:
    return struct.pack("<Q", offset) + data


def unpack_chunk(payload: bytes) -> tuple[int, bytes]:
    if len(payload) < 8:
        raise Refused("malformed evidence chunk")
    return struct.unpack_from("<Q", payload)[0], payload[8:]


class Channel:
    """Frames over a pyserial-like port (read(n), write(b), timeout), with the sequence
    numbers and, once a session key is set, the tags.

    A frame sent with more=True may wait in the send buffer until a frame is sent
    without it, the buffer is full, or the channel is about to wait for input: nothing
    the peer must answer is ever left behind."""

    def __init__(self, port: Any, timeout_s: float = 5.0) -> None:
        self.port = port
        self.timeout_s = timeout_s
        self.decoder = StreamDecoder(max_frame=MAX_FRAME)
        self.pending: list[tuple[int, int, bytes]] = []
        self.seq = 0
        self.key: bytes | None = None
        self.sent = self.received = 0
        self._out = bytearray()  # frames sent with more=True, not yet written

    def send(self, msg_type: int, payload: bytes = b"", more: bool = False) -> None:
        self.seq = (self.seq + 1) & 0xFFFF
        if self.key is not None and msg_type not in UNTAGGED:
            payload += mac(self.key, bytes((msg_type,)), self.seq.to_bytes(2, "little"),
                           payload)[:TAG]
        self._out += encode_frame(msg_type, self.seq, payload)
        if not more or len(self._out) >= SEND_BUFFER:
            self.flush()

    def flush(self) -> None:
        """Write out every buffered frame."""
        if not self._out:
            return
        data, self._out = self._out, bytearray()
        try:
            write_all(self.port, data, self.timeout_s)
        except (OSError, ValueError) as exc:
            raise LinkLost(f"link lost while sending: {exc}") from None
        self.sent += len(data)

    def send_json(self, msg_type: int, data: dict[str, Any], more: bool = False) -> None:
        self.send(msg_type, pack_json(data), more)

    def receive(self, timeout_s: float | None = None) -> tuple[int, bytes]:
        """The next frame (type, payload without its tag), checked; SyncError on silence."""
        import time

        deadline = time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)
        if not self.pending:
            self.flush()
        while not self.pending:
            if time.monotonic() > deadline:
                raise Silent("the other side stopped answering")
            # pyserial's read(n) waits for all n bytes (or its timeout): ask for what is
            # there, or one byte. Other links return what arrived.
            waiting = getattr(self.port, "in_waiting", None)
            try:
                data = self.port.read(65536 if waiting is None else max(waiting, 1))
            except (OSError, ValueError) as exc:
                raise LinkLost(f"link lost: {exc}") from None
            if data:
                self.received += len(data)
                self.pending.extend(self.decoder.feed(data))
        msg_type, seq, payload = self.pending.pop(0)
        if self.key is not None and msg_type not in UNTAGGED:
            body, tag = payload[:-TAG], payload[-TAG:]
            want = mac(self.key, bytes((msg_type,)), seq.to_bytes(2, "little"), body)[:TAG]
            if len(payload) >= TAG and hmac.compare_digest(tag, want):
                payload = body
            elif msg_type != ERROR:
                # An error may come untagged: the peer refused before it had the key. It
                # can only end the session, never change anything.
                raise Refused("a frame's authentication tag does not verify")
        return msg_type, payload

    def expect(self, *types: int, timeout_s: float | None = None) -> tuple[int, bytes]:
        msg_type, payload = self.receive(timeout_s)
        if msg_type == ERROR:
            try:
                message = unpack_json(payload).get("message", "error")
            except Refused:
                message = "error"
            raise Refused(f"the device refused: {message}")
        if msg_type not in types:
            raise Refused(f"unexpected {NAMES.get(msg_type, hex(msg_type))} message")
        return msg_type, payload
