"""The index tables beside the chain (inspections, alerts, findings, notes, evidence,
locations, teams, inspectors, and each device's head) are caches of the signed record
bodies: every row is derived from records by `index_record`, and nothing else writes
them. `check_index` rebuilds them from the records in a scratch database and names each
stored row that disagrees, with the record it should have come from, so that a cache
changed behind the program's back is found by `detector log verify`.

Tables that hold the device's own state rather than anything a record says (pairing
secrets, which records each office acknowledged) are listed in LOCAL_STATE; they are never
shown as part of an inspection.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from detector.inspection import EVIDENCE_FILES
from detector.logbook import schema

# Tables (or table.column) that record no signed value: the sync's own bookkeeping.
LOCAL_STATE = {
    "paired": "the secret shared with each paired office (authenticates the sync)",
    "pairing": "the pairing code while it is on the screen",
    "synced": "which records each office acknowledged (evidence retention)",
    "devices.last_sync": "when the office last synced the device",
    "lost": "records a salvage found lost to damage (verify names each one)",
}
# The chain itself and the device keys are checked by the chain's own verification.
CHAIN_TABLES = ("records", "devices")
# Rows of these tables come from the inspection-start record that names their key.
NAMED_BY = {"locations": "location", "teams": "team", "inspectors": "inspector"}


def evidence_entries(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The well-formed entries of a record's evidence file list."""
    return [e for e in body.get(EVIDENCE_FILES, []) if isinstance(e, dict)
            and isinstance(e.get("sha256"), str)]


def index_record(conn: sqlite3.Connection, device: str, seq: int, kind: str, record_hash: str,
                 body: dict[str, Any]) -> None:
    """The head and the index rows of one record (the only writer of those tables)."""
    conn.execute("INSERT INTO head (device, seq, hash) VALUES (?, ?, ?) "
                 "ON CONFLICT (device) DO UPDATE SET seq = excluded.seq, "
                 "hash = excluded.hash", (device, seq, record_hash))
    ins = body.get("inspection")
    if kind == "inspection-start":
        conn.execute("INSERT OR IGNORE INTO inspections (id, device, start_seq, location_id, "
                     "location_name, room_type, inspector, team, started) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (ins, device, seq, body.get("location"), body.get("location_name"),
                      body.get("room_type"), body.get("inspector"), body.get("team"),
                      body.get("started")))
        if body.get("location"):
            conn.execute("INSERT OR REPLACE INTO locations (id, name, room_type) "
                         "VALUES (?, ?, ?)", (body["location"], body.get("location_name"),
                                              body.get("room_type")))
        if body.get("team"):
            conn.execute("INSERT OR IGNORE INTO teams (name) VALUES (?)", (body["team"],))
        if body.get("inspector"):
            conn.execute("INSERT OR REPLACE INTO inspectors (name, team) VALUES (?, ?)",
                         (body["inspector"], body.get("team")))
    elif kind == "inspection":
        conn.execute("UPDATE inspections SET end_seq = ?, ended = ?, checklist = ?, "
                     "coverage = ?, result = ? WHERE id = ?",
                     (seq, body.get("ended"), json.dumps(body.get("checklist", {})),
                      body.get("coverage"), body.get("result"), body.get("id")))
    elif kind == "alert":
        conn.execute("INSERT OR IGNORE INTO alerts (device, seq, inspection_id, level, reason, "
                     "t_ns) VALUES (?, ?, ?, ?, ?, ?)",
                     (device, seq, ins, body.get("level"), body.get("reason"),
                      body.get("t_ns")))
    elif kind == "finding":
        conn.execute("INSERT OR IGNORE INTO findings (device, seq, inspection_id, verdict, "
                     "t_ns) VALUES (?, ?, ?, ?, ?)",
                     (device, seq, ins, body.get("verdict"), body.get("t_ns")))
    elif kind == "note":
        conn.execute("INSERT OR IGNORE INTO notes (device, seq, inspection_id, text) "
                     "VALUES (?, ?, ?, ?)", (device, seq, ins, body.get("text")))
    for e in evidence_entries(body):
        conn.execute("INSERT OR IGNORE INTO evidence (sha256, size, media_type, device, seq) "
                     "VALUES (?, ?, ?, ?, ?)",
                     (e["sha256"], int(e.get("size", 0)), e.get("type"), device, seq))


@dataclass(frozen=True)
class IndexProblem:
    """A stored index row that is not what the records say."""

    device: str | None  # the record's device, when one record is to blame
    seq: int | None  # that record, or None for a row that no record explains
    table: str
    detail: str

    def __str__(self) -> str:
        where = f"record {self.seq}: " if self.seq is not None else ""
        return f"{where}index altered: {self.detail}"


def cache_tables(conn: sqlite3.Connection) -> list[str]:
    """Every table of the schema that caches record bodies: all but the chain, the keys
    and the local state (so a table added later is checked without more code)."""
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    return [n for n in names if n not in CHAIN_TABLES and n not in LOCAL_STATE]


def _rows(conn: sqlite3.Connection, table: str) -> tuple[list[str], dict[tuple, tuple]]:
    """Columns and rows of a table, keyed by its primary key."""
    info = conn.execute(f"PRAGMA table_info({table})").fetchall()
    columns = [c[1] for c in info]
    key_cols = [c[1] for c in sorted(info, key=lambda c: c[5]) if c[5] > 0] or columns
    key_at = [columns.index(c) for c in key_cols]
    rows = {}
    for row in conn.execute(f"SELECT * FROM {table}"):
        rows[tuple(row[i] for i in key_at)] = tuple(row)
    return columns, rows


def _blame(table: str, columns: list[str], row: tuple,
           named: dict[tuple[str, Any], tuple[str, int]]) -> tuple[str | None, int | None]:
    """The record a row comes from: its own (device, seq), an inspection's last record,
    or the last inspection-start record naming its key."""
    values = dict(zip(columns, row, strict=True))
    if "seq" in values and "device" in values:
        return values["device"], values["seq"]
    if table == "inspections":
        return values.get("device"), values.get("end_seq") or values.get("start_seq")
    if table in NAMED_BY:
        return named.get((NAMED_BY[table], row[0]), (None, None))
    return None, None


def rebuild(records: Iterable[tuple[str, int, str, str, str]],
            migrations: list[str]) -> tuple[sqlite3.Connection, dict]:
    """A scratch database with the index built from records (device, seq, kind, hash,
    body) in storage order; also which record last named each location, team, inspector."""
    scratch = schema.connect(":memory:", migrations)
    named: dict[tuple[str, Any], tuple[str, int]] = {}
    scratch.execute("BEGIN")
    for device, seq, kind, digest, text in records:
        try:
            body = json.loads(text)
        except ValueError:
            continue  # an unreadable body: the chain check names that record
        if not isinstance(body, dict):
            continue
        index_record(scratch, device, seq, kind, digest, body)
        if kind == "inspection-start":
            for field in NAMED_BY.values():
                if body.get(field):
                    named[(field, body[field])] = (device, seq)
    scratch.execute("COMMIT")
    return scratch, named


def check_index(conn: sqlite3.Connection, migrations: list[str]) -> list[IndexProblem]:
    """Every stored index row that differs from the one its record would make, every row
    that no record makes, and every row a record makes that is missing."""
    records = conn.execute("SELECT device, seq, kind, hash, body FROM records "
                           "ORDER BY position")
    scratch, named = rebuild(records, migrations)
    problems: list[IndexProblem] = []
    try:
        for table in cache_tables(conn):
            columns, stored = _rows(conn, table)
            _cols, expected = _rows(scratch, table)
            for key in sorted(set(stored) | set(expected), key=repr):
                have, want = stored.get(key), expected.get(key)
                if have == want:
                    continue
                row = want if want is not None else have
                device, seq = _blame(table, columns, row, named)
                problems.append(IndexProblem(device, seq, table,
                                             _difference(table, columns, have, want)))
    finally:
        scratch.close()
    return problems


def _difference(table: str, columns: list[str], have: tuple | None,
                want: tuple | None) -> str:
    if have is None:
        return f"{table}: a row the records make is missing ({_show(columns, want)})"
    if want is None:
        return f"{table}: a row that no record makes ({_show(columns, have)})"
    changed = [f"{c} is {h!r}, the record says {w!r}"
               for c, h, w in zip(columns, have, want, strict=True) if h != w]
    return f"{table}: " + "; ".join(changed)


def _show(columns: list[str], row: tuple | None) -> str:
    text = ", ".join(f"{c}={v!r}" for c, v in zip(columns, row or (), strict=False))
    return text if len(text) < 160 else text[:157] + "..."
