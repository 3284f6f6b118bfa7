"""The logbook's SQLite schema, versioned with migrations (PRAGMA user_version), shared by
the device and the office: the chain of records is the source of truth, and the tables
beside it (locations, inspectors, teams, inspections, alerts, findings, evidence, notes)
index the records for listing and reports. A migration never rewrites a record."""

from __future__ import annotations

import sqlite3

MIGRATIONS: list[str] = [
    # 1: the chain, its head, and the index tables.
    """
    CREATE TABLE records (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        device TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,
        body TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL, signature BLOB NOT NULL);
    CREATE INDEX records_device_seq ON records (device, seq);
    CREATE TABLE head (device TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL);
    CREATE TABLE devices (device TEXT PRIMARY KEY, public_key BLOB NOT NULL, name TEXT,
                          last_sync TEXT);
    CREATE TABLE locations (id TEXT PRIMARY KEY, name TEXT, room_type TEXT);
    CREATE TABLE teams (name TEXT PRIMARY KEY);
    CREATE TABLE inspectors (name TEXT PRIMARY KEY, team TEXT);
    CREATE TABLE inspections (
        id TEXT PRIMARY KEY, device TEXT NOT NULL, start_seq INTEGER, end_seq INTEGER,
        location_id TEXT, location_name TEXT, room_type TEXT, inspector TEXT, team TEXT,
        started TEXT, ended TEXT, checklist TEXT, coverage REAL, result TEXT);
    CREATE INDEX inspections_started ON inspections (started);
    CREATE TABLE alerts (
        device TEXT NOT NULL, seq INTEGER NOT NULL, inspection_id TEXT, level TEXT,
        reason TEXT, t_ns INTEGER, PRIMARY KEY (device, seq));
    CREATE TABLE findings (
        device TEXT NOT NULL, seq INTEGER NOT NULL, inspection_id TEXT, verdict TEXT,
        t_ns INTEGER, PRIMARY KEY (device, seq));
    CREATE TABLE evidence (
        sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, media_type TEXT,
        device TEXT, seq INTEGER);
    CREATE TABLE synced (device TEXT NOT NULL, seq INTEGER NOT NULL, office TEXT NOT NULL,
                         at TEXT NOT NULL, PRIMARY KEY (device, seq, office));
    CREATE TABLE paired (office TEXT PRIMARY KEY, secret BLOB NOT NULL, at TEXT NOT NULL);
    CREATE TABLE pairing (id INTEGER PRIMARY KEY CHECK (id = 1), code TEXT NOT NULL,
                          expires REAL NOT NULL, tries INTEGER NOT NULL);
    """,
    # 2: inspectors' notes on an inspection.
    """
    CREATE TABLE notes (
        device TEXT NOT NULL, seq INTEGER NOT NULL, inspection_id TEXT, text TEXT,
        PRIMARY KEY (device, seq));
    CREATE INDEX alerts_inspection ON alerts (inspection_id);
    CREATE INDEX findings_inspection ON findings (inspection_id);
    """,
    # 3: a device's name said nothing that a record or its key says, and was never shown.
    """
    ALTER TABLE devices DROP COLUMN name;
    """,
    # 4: records a salvage found lost to damage (`detector log salvage`).
    """
    CREATE TABLE lost (device TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (device, seq));
    """,
]
VERSION = len(MIGRATIONS)


def connect(path: str, migrations: list[str] | None = None) -> sqlite3.Connection:
    """Open (or create) a logbook database: WAL, synchronous writes, migrated to the
    current schema. `migrations` is for tests of older schemas."""
    # One connection per Logbook; a sync server may use it from its own thread.
    conn = sqlite3.connect(path, isolation_level=None, timeout=10.0, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    migrate(conn, MIGRATIONS if migrations is None else migrations)
    return conn


def migrate(conn: sqlite3.Connection, migrations: list[str]) -> int:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(migrations):
        raise sqlite3.DatabaseError(f"the database has schema version {version}, newer than "
                                    f"this program's {len(migrations)}: update the program")
    for number in range(version + 1, len(migrations) + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in migrations[number - 1].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return len(migrations)
