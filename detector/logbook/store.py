"""The logbook: an append-only chain of signed records in SQLite, plus the index tables
and the evidence folder. The device appends and signs its own records; the office adds
the records it receives from devices, checked against each device's public key.

Layout of a logbook directory: `logbook.sqlite` (WAL), `evidence/`, and on the device
`device_key.pem` (owner-only).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from detector.errors import DetectorError, LogbookError
from detector.logbook import schema
from detector.logbook.chain import (
    GENESIS,
    CheckedRecords,
    Problem,
    Record,
    canonical,
    check_record,
    check_records,
    record_hash,
    verify_chain,
)
from detector.logbook.damage import write_heads
from detector.logbook.evidence import EvidenceStore
from detector.logbook.index import IndexProblem, check_index, evidence_entries, index_record
from detector.logbook.keys import DeviceKey, device_id, key_matches

DB_NAME = "logbook.sqlite"
KEY_NAME = "device_key.pem"


def _db_error(path: Path, exc: Exception) -> LogbookError:
    return LogbookError(f"{path}: {exc}")


class Logbook:
    """A logbook directory. `key` is the device's own key (device side); None for the
    office, which only receives records."""

    def __init__(self, directory: str | Path, key: DeviceKey | None = None,
                 migrations: list[str] | None = None) -> None:
        self.dir = Path(directory)
        self.path = self.dir / DB_NAME
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            self.conn = schema.connect(str(self.path), migrations)
        except (OSError, sqlite3.Error) as exc:
            raise _db_error(self.path, exc) from None
        self.migrations = schema.MIGRATIONS if migrations is None else migrations
        self.evidence = EvidenceStore(self.dir / "evidence")
        self.key = key
        if key is not None:
            self.add_device(key.id, key.public)

    @classmethod
    def on_device(cls, directory: str | Path) -> Logbook:
        return cls(directory, DeviceKey.load_or_create(Path(directory) / KEY_NAME))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Logbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- devices --------------------------------------------------------------------------
    def add_device(self, device: str, public: bytes) -> None:
        if device_id(public) != device:
            raise LogbookError(f"device {device}: its id does not match its key")
        self.conn.execute("INSERT OR IGNORE INTO devices (device, public_key) VALUES (?, ?)",
                          (device, public))

    def public_key(self, device: str) -> bytes:
        row = self.conn.execute("SELECT public_key FROM devices WHERE device = ?",
                                (device,)).fetchone()
        if row is None:
            raise LogbookError(f"device {device}: unknown")
        return bytes(row[0])

    def devices(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT device FROM devices ORDER BY device")]

    # ---- writing -------------------------------------------------------------------------
    def append(self, kind: str, body: dict[str, Any]) -> Record:
        """Sign and store one record (device side), with its index rows, in one
        synchronous transaction."""
        return self.append_many([(kind, body)])[0]

    def append_many(self, items: list[tuple[str, dict[str, Any]]]) -> list[Record]:
        """Several records in one transaction (imports, benchmarks): all or none."""
        if self.key is None:
            raise LogbookError("only the device appends records; the office receives them")
        device = self.key.id
        out = []
        with self._transaction():
            seq, prev = self.head(device)
            for kind, body in items:
                seq += 1
                text = canonical(body)
                digest = record_hash(seq, kind, text, prev)
                record = Record(seq, kind, text, prev, digest, self.key.sign(digest.encode()))
                self._insert(device, record)
                out.append(record)
                prev = digest
        return out

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction (all or nothing); database errors as one-line errors.
        After the commit, the heads go to logbook.head (damage.py: a lost write-ahead log
        shows as a database behind them)."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            heads = {d: (s, h) for d, s, h in self.conn.execute(
                "SELECT device, seq, hash FROM head")}
        except sqlite3.Error as exc:
            raise _db_error(self.path, exc) from None
        with contextlib.suppress(OSError):  # only a check; the records are committed
            write_heads(self.dir, heads)

    def receive(self, device: str, records: list[Record]) -> int:
        """Add a device's records (office side) after checking each one's hash, signature
        and place in the chain; all or nothing. Records already held are skipped, so a
        repeated transfer changes nothing. Returns how many were new."""
        return self.store_checked(check_records(device, self.public_key(device), records))

    def store_checked(self, batch: CheckedRecords) -> int:
        """`receive` for records already checked on their own (chain.check_records):
        refuses the batch if any failed or if it was checked with another key than the
        device's, then checks each one's place in the chain; all or nothing."""
        device = batch.device
        if batch.public != self.public_key(device):
            raise LogbookError(f"device {device}: records checked with another key; "
                               f"nothing stored")
        if batch.problem is not None:
            raise LogbookError(f"device {device}: {batch.problem}; nothing stored")
        added = 0
        with self._transaction():
            seq, prev = self.head(device)
            for record in batch.records:
                if record.seq <= seq:
                    continue
                if record.seq != seq + 1 or record.prev != prev:
                    problem = Problem(record.seq, "out of place",
                                      f"expected record {seq + 1} following {prev[:12]}")
                    raise LogbookError(f"device {device}: {problem}; nothing stored")
                self._insert(device, record)
                seq, prev = record.seq, record.hash
                added += 1
        return added

    def restore(self, device: str, records: list[Record], known: int = 0) -> int:
        """Records salvaged from a damaged logbook, each checked on its own with the
        device's key, stored in order with the chain's gaps left as they are; every
        sequence number up to `known` that is not among them is kept as lost, so that
        verify names each one, at the end of the chain too. All or nothing."""
        public = self.public_key(device)
        for record in records:
            problem = check_record(record, public)
            if problem is not None:
                raise LogbookError(f"device {device}: {problem}; nothing restored")
        have = {r.seq for r in records}
        with self._transaction():
            seq = self.head(device)[0]
            for record in sorted(records, key=lambda r: r.seq):
                if record.seq > seq:
                    self._insert(device, record)
                    seq = record.seq
            self.conn.executemany("INSERT OR IGNORE INTO lost (device, seq) VALUES (?, ?)",
                                  [(device, s) for s in range(1, known + 1) if s not in have])
        return len(records)

    def _insert(self, device: str, record: Record) -> None:
        self.conn.execute(
            "INSERT INTO records (device, seq, kind, body, prev, hash, signature) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (device, record.seq, record.kind, record.body, record.prev, record.hash,
             record.signature))
        index_record(self.conn, device, record.seq, record.kind, record.hash,
                     json.loads(record.body))

    # ---- reading ---------------------------------------------------------------------------
    def head(self, device: str | None = None) -> tuple[int, str]:
        device = device or self._own()
        row = self.conn.execute("SELECT seq, hash FROM head WHERE device = ?",
                                (device,)).fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    def _own(self) -> str:
        if self.key is None:
            raise LogbookError("which device? the office holds several")
        return self.key.id

    def records(self, device: str | None = None, after: int = 0,
                limit: int | None = None) -> list[Record]:
        device = device or self._own()
        rows = self.conn.execute(
            "SELECT seq, kind, body, prev, hash, signature FROM records WHERE device = ? "
            "AND seq > ? ORDER BY position LIMIT ?", (device, after, limit or -1))
        return [Record.from_row(r) for r in rows]

    def record_count(self) -> int:
        """How many records the logbook holds, of every device."""
        return int(self.conn.execute("SELECT COUNT(*) FROM records").fetchone()[0])

    def verify(self, device: str | None = None,
               rehash_evidence: bool = False) -> list[Problem]:
        """Every problem with a device's chain and with the evidence its records name:
        missing files, and with rehash_evidence, files whose content no longer matches
        their hash (each file read once, however many records name it)."""
        device = device or self._own()
        try:
            public = self.public_key(device)
        except LogbookError:
            return [Problem(0, "key missing", f"the logbook holds no key of device {device}")]
        records = self.records(device)
        lost = {s for s, in self.conn.execute("SELECT seq FROM lost WHERE device = ?",
                                               (device,))}
        head_seq = max([self.head(device)[0], *lost])
        problems = [Problem(p.seq, "lost", "lost to damage; the salvage could not read it")
                    if p.what == "removed" and p.seq in lost else p
                    for p in verify_chain(records, public, head_seq=head_seq)]
        # Evidence of records the office holds may have been pruned by retention.
        synced = {r[0] for r in self.conn.execute(
            "SELECT DISTINCT seq FROM synced WHERE device = ?", (device,))}
        rehashed: set[str] = set()
        for record in records:
            for sha in evidence_of(record.body_dict()):
                if not self.evidence.has(sha):
                    if record.seq not in synced:
                        problems.append(Problem(record.seq, "evidence missing", sha))
                elif rehash_evidence and sha not in rehashed:
                    rehashed.add(sha)
                    try:
                        self.evidence.read(sha)
                    except DetectorError as exc:
                        problems.append(Problem(record.seq, "evidence damaged", str(exc)))
        return problems

    def check_tables(self) -> list[IndexProblem]:
        """Everything beside the chains that a record or a key says: each device's id
        against its key, the records' storage places against the counter SQLite keeps,
        and every index row against the record it comes from (index.check_index)."""
        problems: list[IndexProblem] = []
        for device, public in self.conn.execute("SELECT device, public_key FROM devices"):
            if not key_matches(device, public):
                problems.append(IndexProblem(device, None, "devices",
                                             f"devices: {device} does not match its key"))
        known = {d for d, in self.conn.execute("SELECT device FROM devices")}
        for device, count in self.conn.execute(
                "SELECT device, COUNT(*) FROM records GROUP BY device"):
            if device not in known:
                problems.append(IndexProblem(device, None, "records",
                                             f"records: {count} records of {device}, a device "
                                             f"with no key in the logbook"))
        # AUTOINCREMENT keeps the highest place it ever gave out; a place above it was
        # written by hand.
        top = self.conn.execute("SELECT MAX(position) FROM records").fetchone()[0]
        given = self.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'records'"
                                  ).fetchone()
        if top is not None and (given is None or top > given[0]):
            device, seq = self.conn.execute("SELECT device, seq FROM records WHERE "
                                            "position = ?", (top,)).fetchone()
            problems.append(IndexProblem(device, seq, "records",
                                         f"records: stored at place {top}, which the "
                                         f"logbook never gave out"))
        return problems + check_index(self.conn, self.migrations)

    def check_evidence_content(self, device: str | None = None) -> list[Problem]:
        """Only the evidence files whose content no longer matches their hash."""
        return [p for p in self.verify(device, rehash_evidence=True)
                if p.what == "evidence damaged"]

    # ---- sync bookkeeping (device side) --------------------------------------------------------
    def mark_synced(self, office: str, upto: int, at: str) -> None:
        device = self._own()
        with self._transaction():
            self.conn.execute("INSERT OR IGNORE INTO synced (device, seq, office, at) "
                              "SELECT device, seq, ?, ? FROM records WHERE device = ? AND "
                              "seq <= ?", (office, at, device, upto))

    def synced_upto(self, office: str) -> int:
        row = self.conn.execute("SELECT MAX(seq) FROM synced WHERE office = ? AND device = ?",
                                (office, self._own())).fetchone()
        return row[0] or 0

    def unsynced(self) -> int:
        row = self.conn.execute(
            "SELECT COUNT(*) FROM records r WHERE device = ? AND NOT EXISTS "
            "(SELECT 1 FROM synced s WHERE s.device = r.device AND s.seq = r.seq)",
            (self._own(),)).fetchone()
        return row[0]

    def prune_evidence(self, keep_days: float, now: float) -> int:
        """Retention: delete evidence files of records the office acknowledged more than
        keep_days ago, unless a record not yet that old still names the same file (the
        store keeps identical content once). Records are never deleted: they are small
        and prove what was done."""
        import datetime as dt

        cutoff = dt.datetime.fromtimestamp(now - keep_days * 86400, dt.UTC).isoformat()
        device = self._own()
        old: set[str] = set()
        keep: set[str] = set()
        rows = self.conn.execute(
            "SELECT r.body, (SELECT MIN(s.at) FROM synced s WHERE s.device = r.device AND "
            "s.seq = r.seq) FROM records r WHERE r.device = ?", (device,))
        for body, synced_at in rows:
            shas = evidence_of(json.loads(body))
            (old if synced_at is not None and synced_at < cutoff else keep).update(shas)
        deleted = 0
        for sha in old - keep:
            if self.evidence.has(sha):
                self.evidence.delete(sha)
                deleted += 1
        return deleted

    # ---- pairing with offices (the device's side) ------------------------------------------
    def set_pairing_code(self, code: str, expires: float) -> None:
        """The one pairing code in force (the previous one stops working)."""
        self.conn.execute("INSERT OR REPLACE INTO pairing (id, code, expires, tries) "
                          "VALUES (1, ?, ?, 0)", (code, expires))

    def pairing_code(self) -> tuple[str, float, int] | None:
        """The code in force, when it expires, and how often it was tried."""
        row = self.conn.execute("SELECT code, expires, tries FROM pairing WHERE id = 1"
                                ).fetchone()
        return (str(row[0]), float(row[1]), int(row[2])) if row is not None else None

    def count_pairing_try(self) -> None:
        self.conn.execute("UPDATE pairing SET tries = tries + 1 WHERE id = 1")

    def pair(self, office: str, secret: bytes, at: str) -> None:
        """Keep the office's shared secret; the pairing code is used up."""
        self.conn.execute("DELETE FROM pairing WHERE id = 1")
        self.conn.execute("INSERT OR REPLACE INTO paired (office, secret, at) VALUES (?, ?, ?)",
                          (office, secret, at))

    def office_secret(self, office: str) -> bytes | None:
        row = self.conn.execute("SELECT secret FROM paired WHERE office = ?",
                                (office,)).fetchone()
        return bytes(row[0]) if row is not None else None

    def note_sync(self, device: str, at: str) -> None:
        """The office's side: when the device last synced."""
        self.conn.execute("UPDATE devices SET last_sync = ? WHERE device = ?", (at, device))


def evidence_of(body: dict[str, Any]) -> list[str]:
    return [e["sha256"] for e in evidence_entries(body)]
