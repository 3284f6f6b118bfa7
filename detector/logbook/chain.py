"""Records and their chain: each record's hash covers its own sequence number, its kind,
its body (canonical JSON) and the previous record's hash; the device signs the hash.

Verification names exactly what is wrong: a record whose content no longer matches its
hash or signature (altered), a sequence number missing from the chain (removed), or a
record that sits at another place than the one it was signed at (reordered).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from detector.logbook.keys import signature_ok

GENESIS = "0" * 64


def canonical(body: dict[str, Any]) -> str:
    """The one JSON text of a body that is hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def record_hash(seq: int, kind: str, body_json: str, prev: str) -> str:
    h = hashlib.sha256()
    h.update(f"{seq}\n{kind}\n{prev}\n".encode())
    h.update(body_json.encode())
    return h.hexdigest()


@dataclass(frozen=True)
class Record:
    seq: int  # the sequence number it was signed with
    kind: str
    body: str  # canonical JSON
    prev: str
    hash: str
    signature: bytes
    position: int | None = None  # where it sits in the store (rowid), when read back

    def body_dict(self) -> dict[str, Any]:
        return json.loads(self.body)

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind, "body": self.body, "prev": self.prev,
                "hash": self.hash, "signature": self.signature.hex()}

    @classmethod
    def from_row(cls, row: tuple) -> Record:
        """From a database row (seq, kind, body, prev, hash, signature)."""
        return cls(row[0], row[1], row[2], row[3], row[4], bytes(row[5]))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        return cls(int(data["seq"]), str(data["kind"]), str(data["body"]), str(data["prev"]),
                   str(data["hash"]), bytes.fromhex(data["signature"]))


@dataclass(frozen=True)
class Problem:
    seq: int
    what: str  # altered, forged, removed, reordered
    detail: str

    def __str__(self) -> str:
        return f"record {self.seq}: {self.what}: {self.detail}"


def check_record(record: Record, public: bytes) -> Problem | None:
    """A record on its own: content against hash, hash against signature."""
    if record_hash(record.seq, record.kind, record.body, record.prev) != record.hash:
        return Problem(record.seq, "altered", "its content does not match its hash")
    if not signature_ok(public, record.signature, record.hash.encode()):
        return Problem(record.seq, "forged", "the signature does not verify with the "
                                             "device key")
    return None


PARALLEL_FROM = 500  # records (50 ms of checks): below this, threads cost more than they save


def check_each(records: list[Record], public: bytes) -> list[Problem | None]:
    """check_record for every record, in order, spread over the cores for long lists
    (Ed25519 verification releases the GIL; it is most of the time of `log verify`)."""
    workers = min(os.cpu_count() or 1, 8)
    if len(records) < PARALLEL_FROM or workers < 2:
        return [check_record(r, public) for r in records]
    size = -(-len(records) // workers)
    chunks = [records[i:i + size] for i in range(0, len(records), size)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = pool.map(lambda chunk: [check_record(r, public) for r in chunk], chunks)
        return [problem for part in parts for problem in part]


@dataclass(frozen=True)
class CheckedRecords:
    """Records received from a device, each checked on its own (content against hash,
    hash against signature) with the device key `public`: the costly part of storing
    them, kept apart so that it can run on another thread while the sync goes on.
    `problem` is the first record that failed, or None."""

    device: str
    public: bytes
    records: tuple[Record, ...]
    problem: Problem | None


def check_records(device: str, public: bytes, records: list[Record]) -> CheckedRecords:
    """Pure computation (no database): safe on any thread."""
    problem = next((p for p in (check_record(r, public) for r in records) if p is not None),
                   None)
    return CheckedRecords(device, public, tuple(records), problem)


def verify_chain(records: list[Record], public: bytes, first_seq: int = 1,
                 head_seq: int | None = None) -> list[Problem]:
    """Problems in records read in storage order; empty when all is well.

    `first_seq` is where the chain starts (1 on the device). `head_seq`, the last
    sequence number the store says it holds, catches records removed from the end."""
    problems: list[Problem] = []
    good: dict[int, Record] = {}
    for record, own in zip(records, check_each(records, public), strict=True):
        if own is not None:
            problems.append(own)
        else:
            good[record.seq] = record
    # Removed: sequence numbers missing between the first and the last (or the head).
    present = {r.seq for r in records}
    last = max([*present, head_seq or 0], default=first_seq - 1)
    problems.extend(Problem(s, "removed", "missing from the chain")
                    for s in range(first_seq, last + 1) if s not in present)
    # Chain links between records that are intact on their own.
    for seq, record in good.items():
        before = good.get(seq - 1)
        if before is not None and record.prev != before.hash:
            problems.append(Problem(seq, "altered", f"does not follow record {seq - 1}"))
    # Reordered: stored after a record signed later, or before one signed earlier.
    seqs = [r.seq for r in records]
    # The lowest sequence number stored after each place (none after the last).
    later_low = [*list(accumulate(reversed(seqs), min))[::-1][1:], math.inf]
    highest = -1
    for i, seq in enumerate(seqs):
        if seq < highest or later_low[i] < seq:
            problems.append(Problem(seq, "reordered", f"stored at place {i + first_seq}, "
                                                      f"signed as record {seq}"))
        highest = max(highest, seq)
    return sorted(problems, key=lambda p: (p.seq, p.what))
