"""`detector log salvage`: what survives a damaged logbook, copied into a new one.

The damaged files are never written to: they are copied aside first, and read from the
copy. Records are gathered two ways and merged: row by row through SQL (skipping the
ranges SQLite cannot read), and page by page from the database file and its write-ahead
log (carve.py), which finds intact leaf pages even when the schema page is lost.
Only records whose hash and signature verify with their device's key are kept (keys come
from the device's key file and from key rows that match their own id), so nothing
salvaged can be forged by the damage. The new logbook keeps the chain's gaps: `detector
log verify` on it names every missing record, and SALVAGE.txt lists what was lost.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from detector.errors import DetectorError
from detector.logbook.carve import carve_rows
from detector.logbook.chain import Record, check_record
from detector.logbook.damage import read_heads
from detector.logbook.evidence import EvidenceStore, sha256_of
from detector.logbook.keys import DeviceKey, key_matches
from detector.logbook.store import DB_NAME, KEY_NAME, Logbook, evidence_of

COLUMNS = "device, seq, kind, body, prev, hash, signature"
REPORT_NAME = "SALVAGE.txt"


@dataclass
class DeviceSalvage:
    device: str
    kept: list[Record] = field(default_factory=list)
    known: int = 0  # the highest sequence number any source says the device reached

    def lost(self) -> list[int]:
        have = {r.seq for r in self.kept}
        return [s for s in range(1, self.known + 1) if s not in have]


@dataclass
class SalvageResult:
    devices: list[DeviceSalvage]
    evidence_kept: int = 0
    evidence_lost: list[str] = field(default_factory=list)  # "sha: why"
    evidence_unnamed: int = 0  # intact files that no surviving record names
    unverifiable: int = 0  # record rows found that did not verify (damaged or keyless)
    methods: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        for d in self.devices:
            lost = d.lost()
            out.append(f"device {d.device}: {len(d.kept)} of {d.known} records salvaged"
                       + (f"; lost: {_ranges(lost)}" if lost else ", none lost"))
        out.append(f"evidence: {self.evidence_kept} files kept"
                   + (f", {len(self.evidence_lost)} lost" if self.evidence_lost else
                      ", none lost")
                   + (f" ({self.evidence_unnamed} of them named by no surviving record)"
                      if self.evidence_unnamed else ""))
        out.extend(f"  lost evidence {entry}" for entry in self.evidence_lost)
        if self.unverifiable:
            out.append(f"{self.unverifiable} record rows found did not verify and were left "
                       f"out")
        out.append("read with: " + ", ".join(self.methods))
        return out


def _ranges(seqs: list[int]) -> str:
    parts: list[str] = []
    start = prev = None
    for s in [*seqs, None]:
        if s is not None and prev is not None and s == prev + 1:
            prev = s
            continue
        if start is not None:
            parts.append(f"record {start}" if start == prev else f"records {start}-{prev}")
        start = prev = s
    return ", ".join(parts)


def _copy_aside(source: Path, scratch: Path) -> Path:
    """The database and its write-ahead log, copied; unreadable stretches become zeros
    (SQLite then treats those pages as damaged)."""
    for name in (DB_NAME, DB_NAME + "-wal"):
        src = source / name
        if not src.exists():
            continue
        with open(scratch / name, "wb") as out:
            try:
                with open(src, "rb") as f:
                    while True:
                        try:
                            block = f.read(1 << 16)
                        except OSError:
                            f.seek(1 << 16, 1)
                            block = b"\0" * (1 << 16)
                        if not block:
                            break
                        out.write(block)
            except OSError as exc:
                raise DetectorError(f"{src}: cannot read it at all ({exc})") from None
    return scratch / DB_NAME


def _rows_by_sql(db: Path, top: int) -> list[tuple]:
    """Record rows through SQL: the whole table if it reads, else position ranges up to
    top, split in halves around what cannot be read (a bounded number of queries: when
    the table's root page is lost, no range reads and .recover has to do it)."""
    try:
        conn = sqlite3.connect(db, isolation_level=None)
    except sqlite3.Error:
        return []
    query = f"SELECT {COLUMNS} FROM records"
    budget = [20_000]
    try:
        try:
            return conn.execute(query).fetchall()
        except sqlite3.DatabaseError:
            pass
        rows: list[tuple] = []

        def scan(lo: int, hi: int) -> None:
            budget[0] -= 1
            if budget[0] < 0:
                return
            try:
                rows.extend(conn.execute(query + " WHERE position BETWEEN ? AND ?",
                                         (lo, hi)).fetchall())
            except sqlite3.DatabaseError:
                if lo < hi:
                    mid = (lo + hi) // 2
                    scan(lo, mid)
                    scan(mid + 1, hi)

        scan(1, top)
        return rows
    finally:
        conn.close()


def _top_position(db: Path, heads: dict[str, tuple[int, str]]) -> int:
    """How far the records' storage places may reach: SQLite's counter where it reads,
    else every device's head added up, with room to spare."""
    try:
        conn = sqlite3.connect(db, isolation_level=None)
        try:
            row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'records'"
                               ).fetchone()
            if row:
                return int(row[0])
        finally:
            conn.close()
    except sqlite3.Error:
        pass
    return 2 * sum(seq for seq, _h in heads.values()) + 1024


def _keys_by_sql(db: Path) -> dict[str, bytes]:
    try:
        conn = sqlite3.connect(db, isolation_level=None)
        try:
            return {str(d): bytes(k) for d, k in conn.execute(
                "SELECT device, public_key FROM devices")}
        finally:
            conn.close()
    except sqlite3.Error:
        return {}


def _rows_by_carving(scratch: Path) -> tuple[list[tuple], dict[str, bytes]]:
    """Record rows and keys read from the pages themselves (carve.py), matched by shape:
    a record row is (position, device, seq, kind, body, prev, hash, signature), a key row
    (device, public key, ...) whose id is its key's."""
    db = (scratch / DB_NAME).read_bytes()
    wal_path = scratch / (DB_NAME + "-wal")
    wal = wal_path.read_bytes() if wal_path.exists() else b""
    rows: list[tuple] = []
    keys: dict[str, bytes] = {}
    for f in carve_rows(db, wal):
        if len(f) == 8 and isinstance(f[2], int) and isinstance(f[7], bytes) \
                and all(isinstance(f[i], str) for i in (1, 3, 4, 5, 6)):
            rows.append(tuple(f[1:8]))
        elif len(f) >= 2 and isinstance(f[0], str) and isinstance(f[1], bytes) \
                and len(f[1]) == 32 and key_matches(f[0], f[1]):
            keys[f[0]] = f[1]
    return rows, keys


def _verified(rows: list[tuple], keys: dict[str, bytes]) -> tuple[dict[str, list[Record]], int]:
    """Each device's records that verify with its key, one per sequence number, and how
    many rows did not verify."""
    out: dict[str, dict[int, Record]] = {}
    bad = 0
    for device, seq, kind, body, prev, digest, signature in rows:
        try:
            record = Record(int(seq), str(kind), str(body), str(prev), str(digest),
                            bytes(signature))
        except (TypeError, ValueError):
            bad += 1
            continue
        public = keys.get(str(device))
        if public is None or check_record(record, public) is not None:
            bad += 1
            continue
        out.setdefault(str(device), {}).setdefault(record.seq, record)
    return {d: [m[s] for s in sorted(m)] for d, m in out.items()}, bad


def salvage(source: Path, out: Path) -> SalvageResult:
    if not (source / DB_NAME).exists() and not (source / "evidence").is_dir():
        raise DetectorError(f"{source}: no logbook here ({DB_NAME} is missing)")
    if out.exists() and any(out.iterdir()):
        raise DetectorError(f"{out}: not empty; salvage writes a new logbook into an empty "
                            f"or new directory")
    with tempfile.TemporaryDirectory(prefix="salvage-") as tmp:
        scratch = Path(tmp)
        rows: list[tuple] = []
        keys: dict[str, bytes] = {}
        methods = []
        heads = read_heads(source) or {}
        if (source / DB_NAME).exists():
            db = _copy_aside(source, scratch)
            rows.extend(_rows_by_sql(db, _top_position(db, heads)))
            keys.update(_keys_by_sql(db))
            methods.append("SQL")
            carved_rows, carved_keys = _rows_by_carving(scratch)
            rows.extend(carved_rows)
            keys.update(carved_keys)
            methods.append("page by page")
        own: DeviceKey | None = None
        if (source / KEY_NAME).exists():
            own = DeviceKey.load_or_create(source / KEY_NAME)
            keys[own.id] = own.public
        keys = {d: k for d, k in keys.items() if key_matches(d, k)}
        kept, bad = _verified(rows, keys)
    devices = []
    for device in sorted(set(kept) | set(heads) | ({own.id} if own else set())):
        records = kept.get(device, [])
        known = max([heads.get(device, (0, ""))[0], *(r.seq for r in records)], default=0)
        devices.append(DeviceSalvage(device, records, known))
    result = SalvageResult(devices, unverifiable=bad, methods=methods)
    _write(out, source, own is not None, keys, devices, result)
    return result


def _write(out: Path, source: Path, device_side: bool, keys: dict[str, bytes],
           devices: list[DeviceSalvage], result: SalvageResult) -> None:
    out.mkdir(parents=True, exist_ok=True)
    if device_side:  # the device goes on signing with its own key
        shutil.copy2(source / KEY_NAME, out / KEY_NAME)
    book = Logbook.on_device(out) if device_side else Logbook(out)
    try:
        for d in devices:
            if d.device in keys:
                book.add_device(d.device, keys[d.device])
            if d.kept or d.known:
                book.restore(d.device, d.kept, d.known)
        named = {sha for d in devices for r in d.kept for sha in evidence_of(r.body_dict())}
        _copy_evidence(EvidenceStore(source / "evidence"), book.evidence, named, result)
    finally:
        book.close()
    (out / REPORT_NAME).write_text(f"Salvaged from {source}\n" + "\n".join(result.lines())
                                   + "\n", encoding="utf-8")


def _copy_evidence(source: EvidenceStore, target: EvidenceStore, named: set[str],
                   result: SalvageResult) -> None:
    """Every intact evidence file: those the surviving records name, and any other one
    whose content still matches its name (it may belong to a lost record)."""
    present = {p.name for p in source.root.glob("*/*") if p.is_file()
               and len(p.name) == 64 and not p.name.startswith(".")} \
        if source.root.is_dir() else set()
    for sha in sorted(named | present):
        why = None
        try:
            data = source.read_raw(sha)
            if sha256_of(data) != sha:
                why = "damaged (its content no longer matches its hash)"
        except (DetectorError, OSError):
            why = "missing"
        if why is None:
            target.put(data, expected=sha)
            result.evidence_kept += 1
            result.evidence_unnamed += sha not in named
        elif sha in named:
            result.evidence_lost.append(f"{sha[:16]}: {why}")


def salvage_command(source: Path, out: Path) -> int:
    result = salvage(source, out)
    for line in result.lines():
        print(line)
    print(f"new logbook: {out} (`detector log verify --dir {out}` names the gaps; "
          f"{REPORT_NAME} there lists what was lost)")
    return 0
