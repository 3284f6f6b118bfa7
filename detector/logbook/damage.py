"""Damage to a logbook's files, named before anything is read from them.

An SD card that fails, or a power cut at the wrong moment, can leave a page of
logbook.sqlite overwritten, the file cut short, or its write-ahead log (logbook.sqlite-wal)
torn or gone. SQLite's own integrity check finds damaged pages and cut files. A lost or
torn write-ahead log leaves a database that is consistent but older than what was
committed, which no check inside the file can see: so after every commit the logbook
also writes each device's head (last sequence number and hash) to logbook.head beside
it, and a database whose heads are behind that file has lost its last records.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

HEAD_NAME = "logbook.head"
MAX_MESSAGES = 20  # SQLite's integrity check stops after this many problems


def write_heads(directory: Path, heads: dict[str, tuple[int, str]]) -> None:
    """Each device's head, after a commit. Not flushed to disk: after a crash it may be
    behind the database (harmless), never ahead, because the commit was flushed first."""
    path = directory / HEAD_NAME
    tmp = path.with_suffix(".head.tmp")
    tmp.write_text(json.dumps({d: [s, h] for d, (s, h) in sorted(heads.items())}) + "\n")
    os.replace(tmp, path)


def read_heads(directory: Path) -> dict[str, tuple[int, str]] | None:
    """The heads written after the last commit; None where there is no readable file
    (a logbook older than this check, or the file itself lost)."""
    try:
        data = json.loads((directory / HEAD_NAME).read_text())
        return {str(d): (int(v[0]), str(v[1])) for d, v in data.items()}
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None


def damage(db_path: Path, quick: bool = False) -> str | None:
    """One line naming the damage of a logbook database, or None if SQLite finds none
    and no committed record is missing. quick: SQLite's quick_check (every page read,
    indexes not compared with their tables), for commands that only read."""
    wal = db_path.with_name(db_path.name + "-wal")
    cut = _cut_short(db_path)
    if cut is not None:
        return cut
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=rw", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        return f"SQLite cannot open it ({_one_line(exc)})"
    try:
        try:
            check = "quick_check" if quick else "integrity_check"
            found = [r[0] for r in conn.execute(f"PRAGMA {check}({MAX_MESSAGES})")]
        except sqlite3.DatabaseError as exc:
            return f"SQLite cannot read it ({_one_line(exc)})"
        if found != ["ok"]:
            # One line: SQLite's messages may span lines and start with a database name.
            lines = [" ".join(m.replace("*** in database main ***", "").split()) for m in found]
            lines = [m for m in lines if m]
            more = f" and {len(lines) - 1} more" if len(lines) > 1 else ""
            return f"damaged pages (SQLite integrity check: {lines[0]}{more})"
        try:  # the records themselves, not the head table (a cache of them)
            stored = {d: s for d, s in conn.execute(
                "SELECT device, MAX(seq) FROM records GROUP BY device")}
        except sqlite3.DatabaseError as exc:
            return f"SQLite cannot read its records ({_one_line(exc)})"
    finally:
        conn.close()
    committed = read_heads(db_path.parent)
    for device, (seq, _hash) in sorted((committed or {}).items()):
        have = stored.get(device) or 0
        if have < seq:
            log_state = "torn" if wal.exists() else "missing"
            return (f"records {have + 1} to {seq} of device {device} were committed but are "
                    f"not in the database: its write-ahead log ({wal.name}) is {log_state}, "
                    f"or they were removed")
    return None


def _cut_short(db_path: Path) -> str | None:
    """A file shorter than its header says, or not a whole number of pages."""
    try:
        size = db_path.stat().st_size
        with open(db_path, "rb") as f:
            header = f.read(100)
    except OSError as exc:
        return f"cannot read it ({_one_line(exc)})"
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        return None  # SQLite's own check names a lost header
    page = int.from_bytes(header[16:18], "big")
    page = 65536 if page == 1 else page
    pages = int.from_bytes(header[28:32], "big")
    counted = header[24:28] == header[92:96]  # the page count is valid (file format)
    if page and size % page:
        return f"the file is cut short ({size} bytes, not a whole number of {page}-byte pages)"
    if counted and pages and size < pages * page:
        return f"the file is cut short ({size} of {pages * page} bytes)"
    return None


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
