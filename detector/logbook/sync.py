"""Sync over USB serial: the device serves its logbook (`detector sync --serve`, on the
Pi's CDC-ACM gadget /dev/ttyGS0), the office pulls what it lacks (`detector sync --port
/dev/ttyACM0`, any pyserial URL).

The office asks for records after the last one it holds, in batches; fetches each
evidence file it lacks in chunks (resuming a partial file from where it stopped) and
checks its SHA-256; then stores the batch, checking every record's hash, signature and
place in the chain; then acknowledges. The device marks records synced only on that
acknowledgement. An interrupted transfer resumes from the office's last stored record;
a repeated one finds nothing new and changes nothing.
"""

from __future__ import annotations

import contextlib
import hmac
import itertools
import json
import os
import secrets
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from detector.errors import DetectorError
from detector.inspection import utc_now
from detector.logbook import syncproto as S
from detector.logbook.chain import CheckedRecords, Record, check_records
from detector.logbook.incoming import DamagedEvidence, IncomingEvidence
from detector.logbook.store import Logbook, evidence_of

PAIRING_S = 300.0  # a pairing code is valid this long
PAIRING_TRIES = 3
BATCH = 200  # records per GET_RECORDS


# ---- device side ---------------------------------------------------------------------------
def new_pairing_code(book: Logbook, now: float | None = None) -> str:
    """A fresh 6-digit code for the device's screen, valid PAIRING_S seconds and for
    PAIRING_TRIES attempts; the previous one stops working."""
    code = f"{secrets.randbelow(10**6):06d}"
    book.set_pairing_code(code, (now or time.time()) + PAIRING_S)
    return code


def _pairing_ok(book: Logbook, secret: bytes, office: str, nonce: bytes, tag: bytes) -> bool:
    pairing = book.pairing_code()
    if pairing is None:
        return False
    code, expires, tries = pairing
    if time.time() > expires or tries >= PAIRING_TRIES:
        return False
    book.count_pairing_try()
    if not hmac.compare_digest(S.pairing_mac(code, secret, office, nonce), tag):
        return False
    book.pair(office, secret, utc_now())
    return True


class DeviceServer:
    """Answers one office session after another on a port; never raises on bad input."""

    def __init__(self, book: Logbook, port: Any, timeout_s: float = 10.0,
                 retry_s: float = 1.0) -> None:
        self.book = book
        self.port = port
        self.timeout_s = timeout_s
        self.retry_s = retry_s
        self.sessions = 0
        self.refused: list[str] = []

    def serve(self, sessions: int | None = None, idle_s: float | None = None) -> None:
        """Serve until `sessions` sessions ended (None: forever) or nothing came for
        idle_s seconds."""
        seq = 0
        while sessions is None or self.sessions < sessions:
            channel = S.Channel(self.port, self.timeout_s)
            channel.seq = seq  # numbering goes on across sessions: no frame looks repeated
            try:
                self._session(channel, idle_s)
                channel.flush()
            except S.Refused as exc:
                self.refused.append(str(exc))
                self._error(channel, str(exc))
            except S.Silent as exc:
                if idle_s is not None:
                    return
                self.refused.append(str(exc))
            except S.LinkLost as exc:
                self.refused.append(str(exc))
                time.sleep(self.retry_s)  # cable out: wait for it, do not spin
            except S.SyncError as exc:
                self.refused.append(str(exc))
            seq = channel.seq
            self.sessions += 1

    def _error(self, channel: S.Channel, message: str) -> None:
        with contextlib.suppress(S.SyncError):
            channel.send_json(S.ERROR, {"message": message})

    def _session(self, channel: S.Channel, idle_s: float | None) -> None:
        msg_type, payload = channel.receive(idle_s if idle_s is not None else 1e9)
        if msg_type != S.HELLO:
            raise S.Refused("expected hello")
        hello = S.unpack_json(payload)
        if hello.get("protocol") != S.PROTOCOL:
            raise S.Refused(f"sync protocol {hello.get('protocol')} is not this device's "
                            f"{S.PROTOCOL}; update the office program")
        nonce = secrets.token_bytes(16)
        channel.send_json(S.WELCOME, {"protocol": S.PROTOCOL, "nonce": nonce.hex()})
        msg_type, payload = channel.receive()
        request = S.unpack_json(payload)
        office = str(request.get("office", ""))
        if msg_type == S.PAIR:
            secret = _hex(request, "secret")
            if not _pairing_ok(self.book, secret, office, nonce, _hex(request, "mac")):
                raise S.Refused("wrong or expired pairing code")
            channel.send_json(S.PAIRED, {})
            msg_type, payload = channel.receive()
            request = S.unpack_json(payload)
        if msg_type != S.AUTH:
            raise S.Refused("expected authentication")
        shared = self.book.office_secret(office)
        office_nonce = _hex(request, "nonce")
        if shared is None or not hmac.compare_digest(
                S.auth_mac(shared, nonce, office_nonce), _hex(request, "mac")):
            raise S.Refused("this office is not paired with the device")
        channel.key = S.session_key(shared, nonce, office_nonce)
        seq, digest = self.book.head()
        channel.send_json(S.AUTH_OK, {"device": self.book.key.id,
                                      "public_key": self.book.key.public.hex(),
                                      "head": seq, "hash": digest})
        self._requests(channel, office)

    def _requests(self, channel: S.Channel, office: str) -> None:
        while True:
            msg_type, payload = channel.receive()
            if msg_type == S.BYE:
                return
            if msg_type == S.GET_EVIDENCE:
                self._send_evidence(channel, S.unpack_json(payload))
                continue
            request = S.unpack_json(payload)
            if msg_type == S.GET_RECORDS:
                after, limit = _int(request, "after"), min(_int(request, "limit"), 5000)
                self._send_records(channel, self.book.records(after=after, limit=limit))
            elif msg_type == S.ACK:
                upto = min(_int(request, "upto"), self.book.head()[0])
                self.book.mark_synced(office, upto, utc_now())
                channel.send_json(S.ACKED, {"upto": upto})
            else:
                raise S.Refused(f"unknown request {msg_type:#x}")

    def _send_records(self, channel: S.Channel, records: list[Record]) -> None:
        # Each record is encoded once; frames are filled up to the payload limit.
        batch: list[bytes] = []
        size = 0
        for record in records:
            item = S.pack_json(record.to_json())
            if batch and size + len(item) + 1 > S.MAX_PAYLOAD - 64:
                channel.send(S.RECORDS, b'{"records":[' + b",".join(batch) + b"]}",
                             more=True)
                batch, size = [], 0
            batch.append(item)
            size += len(item) + 1
        if batch:
            channel.send(S.RECORDS, b'{"records":[' + b",".join(batch) + b"]}", more=True)
        channel.send_json(S.END, {"count": len(records)})

    def _send_evidence(self, channel: S.Channel, request: dict[str, Any]) -> None:
        sha, offset = str(request.get("sha256", "")), _int(request, "offset")
        try:
            data = self.book.evidence.read_raw(sha)
        except DetectorError as exc:
            channel.send_json(S.ERROR, {"message": str(exc)})
            return
        view = memoryview(data)
        # Gathered into large writes; the channel writes them out before it waits for
        # the next request.
        for start in range(offset, len(data), S.MAX_PAYLOAD):
            channel.send(S.CHUNK, S.pack_chunk(start, view[start:start + S.MAX_PAYLOAD]
                                               .tobytes()), more=True)
        channel.send_json(S.END, {"size": len(data)}, more=True)


def _hex(request: dict[str, Any], key: str) -> bytes:
    try:
        return bytes.fromhex(str(request[key]))
    except (KeyError, ValueError):
        raise S.Refused(f"malformed message: {key}") from None


def _int(request: dict[str, Any], key: str) -> int:
    value = request.get(key)
    if not isinstance(value, int) or value < 0:
        raise S.Refused(f"malformed message: {key}")
    return value


# ---- office side ---------------------------------------------------------------------------
@dataclass
class OfficeIdentity:
    id: str
    secret: bytes

    @classmethod
    def load_or_create(cls, directory: Path) -> OfficeIdentity:
        path = directory / "office.json"
        if path.exists():
            data = json.loads(path.read_text())
            return cls(data["id"], bytes.fromhex(data["secret"]))
        directory.mkdir(parents=True, exist_ok=True)
        identity = cls(secrets.token_hex(8), secrets.token_bytes(32))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"id": identity.id, "secret": identity.secret.hex()}, f)
        return identity


@dataclass
class SyncResult:
    device: str
    records: int  # new records stored
    evidence: int  # evidence files fetched
    bytes: int  # bytes received over the link
    head: int  # the device's last record


class OfficeClient:
    def __init__(self, book: Logbook, identity: OfficeIdentity, port: Any,
                 timeout_s: float = 10.0) -> None:
        self.book = book
        self.identity = identity
        self.channel = S.Channel(port, timeout_s)

    def sync(self, pairing_code: str | None = None) -> SyncResult:
        ch = self.channel
        ch.send_json(S.HELLO, {"protocol": S.PROTOCOL})
        _t, payload = ch.expect(S.WELCOME)
        welcome = S.unpack_json(payload)
        if welcome.get("protocol") != S.PROTOCOL:
            raise S.Refused(f"the device speaks sync protocol {welcome.get('protocol')}, "
                            f"this program {S.PROTOCOL}")
        device_nonce = _hex(welcome, "nonce")
        if pairing_code is not None:
            ch.send_json(S.PAIR, {"office": self.identity.id,
                                  "secret": self.identity.secret.hex(),
                                  "mac": S.pairing_mac(pairing_code, self.identity.secret,
                                                       self.identity.id, device_nonce).hex()})
            ch.expect(S.PAIRED)
        office_nonce = secrets.token_bytes(16)
        ch.send_json(S.AUTH, {"office": self.identity.id, "nonce": office_nonce.hex(),
                              "mac": S.auth_mac(self.identity.secret, device_nonce,
                                                office_nonce).hex()})
        ch.key = S.session_key(self.identity.secret, device_nonce, office_nonce)
        _t, payload = ch.expect(S.AUTH_OK)
        hello = S.unpack_json(payload)
        device, public = str(hello.get("device")), _hex(hello, "public_key")
        self.book.add_device(device, public)
        head = _int(hello, "head")
        try:
            with IncomingEvidence(self.book.evidence) as incoming:
                added, fetched = self._pull(device, head, incoming)
        except DamagedEvidence as exc:
            raise S.Refused(str(exc)) from None
        ch.send_json(S.ACK, {"upto": self.book.head(device)[0]})
        ch.expect(S.ACKED)
        ch.send(S.BYE)
        self.book.note_sync(device, utc_now())
        return SyncResult(device, added, fetched, ch.received, head)

    def _pull(self, device: str, head: int, incoming: IncomingEvidence) -> tuple[int, int]:
        """Fetch batches of records, and the evidence they name, up to the device's head;
        returns (records stored, evidence files fetched).

        Pipelined, so that the link rarely waits for the office's own work: a batch's
        signatures are checked on a thread while its files stream in, and the next batch
        is asked for behind those files, so that the device goes on sending while this
        one is stored."""
        have = self.book.head(device)[0]
        if have >= head:
            return 0, 0
        public = self.book.public_key(device)
        requested: set[str] = set()  # asked for in this sync (not yet in the store)
        added = fetched = 0
        self._ask_records(have)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="check-records") as pool:
            unstored: Future[CheckedRecords] | None = None  # the batch before this one
            after = have
            while True:
                records = self._read_records(after, head)
                checked = pool.submit(check_records, device, public, records)
                missing = [sha for sha in dict.fromkeys(
                    sha for record in records for sha in evidence_of(record.body_dict()))
                    if sha not in requested and not self.book.evidence.has(sha)]
                requested.update(missing)
                # All requests first, then the files as they stream in: no round trip per
                # file. The writer's thread stores them meanwhile.
                offsets = [self._request_evidence(incoming, sha) for sha in missing]
                after = records[-1].seq
                if after < head:
                    self._ask_records(after)
                if unstored is not None:
                    added += self._store(unstored, incoming)
                for sha, offset in zip(missing, offsets, strict=True):
                    self._receive_evidence(incoming, sha, offset)
                fetched += len(missing)
                unstored = checked
                if after >= head:
                    break
            added += self._store(unstored, incoming)
        return added, fetched

    def _store(self, checked: Future[CheckedRecords], incoming: IncomingEvidence) -> int:
        """Store a checked batch once every file handed to the writer so far is on disk:
        that is this batch's files, as the next batch's are not handed over yet."""
        incoming.wait()
        return self.book.store_checked(checked.result())

    def _ask_records(self, after: int) -> None:
        self.channel.send_json(S.GET_RECORDS, {"after": after, "limit": BATCH})

    def _read_records(self, after: int, head: int) -> list[Record]:
        """The answer to _ask_records(after): records in order, each after `after`."""
        records: list[Record] = []
        while True:
            msg_type, payload = self.channel.expect(S.RECORDS, S.END)
            if msg_type == S.END:
                break
            try:
                records.extend(Record.from_json(item)
                               for item in S.unpack_json(payload)["records"])
            except (KeyError, TypeError, ValueError):
                raise S.Refused("malformed records message") from None
        if not records:
            raise S.SyncError(f"the device sent no records after {after} of {head}")
        seqs = [record.seq for record in records]
        if seqs[0] <= after or any(b <= a for a, b in itertools.pairwise(seqs)):
            raise S.Refused(f"the device sent records out of order after record {after}")
        return records

    def _request_evidence(self, incoming: IncomingEvidence, sha: str) -> int:
        """Ask for one evidence file from where a partial copy of it stops."""
        offset = incoming.offset(sha)
        self.channel.send_json(S.GET_EVIDENCE, {"sha256": sha, "offset": offset}, more=True)
        return offset

    def _receive_evidence(self, incoming: IncomingEvidence, sha: str, have: int) -> None:
        incoming.begin(sha)
        while True:
            msg_type, payload = self.channel.expect(S.CHUNK, S.END)
            if msg_type == S.END:
                break
            offset, data = S.unpack_chunk(payload)
            if offset != have:
                raise S.Refused("evidence chunk out of order")
            incoming.write(data)
            have += len(data)
        incoming.end(sha)
