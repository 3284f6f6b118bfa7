"""The server's bulk writes and reads: a push's records and what is derived from them go
into PostgreSQL with COPY and set-based UPDATEs, in the push's transaction (the ORM's
per-row statements cost most of an ingest's time); large query results come back as
plain tuples. The only server module that speaks SQL."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import connection, connections
from django.db.models import QuerySet

from detector.logbook.chain import Record as ChainRecord

INSPECTION_COLUMNS = ("id", "device_id", "location_id", "location_id_text", "location_name",
                      "team_id", "district_id", "inspector", "started", "ended", "result", "coverage",
                      "peak_level", "findings", "evidence", "first_seq", "last_seq",
                      "verified")


def _copy(table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    # The raw driver's cursor (Django has no COPY): its errors wrapped as Django's.
    with connection.wrap_database_errors, connection.cursor() as cur, \
            cur.connection.cursor().copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def copy_records(device_id: str, records: list[ChainRecord]) -> None:
    now = datetime.now(UTC)
    _copy("server_record", ("device_id", "seq", "kind", "body", "prev", "hash", "signature",
                            "received"),
          ((device_id, r.seq, r.kind, r.body, r.prev, r.hash, r.signature, now)
           for r in records))


def copy_inspections(rows: list[Any]) -> None:
    """New inspections (derive.InspectionRow)."""
    if rows:
        _copy("server_inspection", INSPECTION_COLUMNS,
              ((i.id, i.device_id, i.location_id, i.location_id_text, i.location_name,
                i.team_id, i.district_id, i.inspector, i.started, i.ended, i.result, i.coverage,
                i.peak_level, i.findings, json.dumps(i.evidence), i.first_seq, i.last_seq,
                i.verified) for i in rows))


def copy_alerts(rows: list[Any]) -> None:
    """New alerts (derive.AlertRow)."""
    if rows:
        _copy("server_alert", ("inspection_id", "seq", "level", "reason", "evidence"),
              ((a.inspection_id, a.seq, a.level, a.reason, json.dumps(a.evidence))
               for a in rows))


def update_inspections(rows: list[Any]) -> None:
    """Inspections already stored that a push changed (derive.InspectionRow): one
    statement for all of them."""
    if not rows:
        return
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE server_inspection AS i SET last_seq = v.last_seq, "
            "evidence = v.evidence::jsonb, findings = v.findings, ended = v.ended, "
            "result = v.result, coverage = v.coverage, peak_level = v.peak_level, "
            "verified = v.verified "
            "FROM unnest(%s::text[], %s::int[], %s::text[], %s::int[], %s::timestamptz[], "
            "%s::text[], %s::float8[], %s::text[], %s::bool[]) "
            "AS v(id, last_seq, evidence, findings, ended, result, coverage, peak_level, "
            "verified) WHERE i.id = v.id",
            [[i.id for i in rows], [i.last_seq for i in rows],
             [json.dumps(i.evidence) for i in rows], [i.findings for i in rows],
             [i.ended for i in rows], [i.result for i in rows], [i.coverage for i in rows],
             [i.peak_level for i in rows], [i.verified for i in rows]])


def raise_last_inspected(latest: dict[str, datetime]) -> None:
    """Move each location's last inspection forward to `latest`, never back."""
    if not latest:
        return
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE server_location AS l SET last_inspected = v.at "
            "FROM unnest(%s::text[], %s::timestamptz[]) AS v(id, at) "
            "WHERE l.id = v.id AND (l.last_inspected IS NULL OR l.last_inspected < v.at)",
            [list(latest), list(latest.values())])


def _add_to_counts(table: str, keys: dict[str, str], counted: tuple[str, str],
                   changes: dict[tuple, int]) -> None:
    """Add each change to the running count in `table`'s row for its key, made if missing.
    keys: the key's columns and SQL types, in the tuples' order; counted: the count's
    column and type."""
    changes = {key: n for key, n in changes.items() if n}
    if not changes:
        return
    names = ", ".join(keys)
    column, column_type = counted
    arrays = ", ".join(f"%s::{t}[]" for t in (*keys.values(), column_type))
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} ({names}, {column}) SELECT * FROM unnest({arrays}) "
            f"ON CONFLICT ({names}) DO UPDATE SET {column} = {table}.{column} + "
            f"EXCLUDED.{column}",
            [*([key[i] for key in changes] for i in range(len(keys))), list(changes.values())])


def add_month_counts(deltas: dict[tuple, int]) -> None:
    """Add to the running counts: {(month's first day, district id, verified, result):
    change}."""
    _add_to_counts("server_monthcount", {"month": "date", "district_id": "bigint",
                                         "verified": "bool", "result": "text"},
                   ("inspections", "int"), deltas)


def add_month_changes(writes: dict[tuple, int]) -> None:
    """Add to the writes per month and district: {(month's first day, district id): n}."""
    _add_to_counts("server_monthchange", {"month": "date", "district_id": "bigint"},
                   ("writes", "bigint"), writes)


def tuples(query: QuerySet) -> list[tuple]:
    """The rows of a values_list query as plain tuples, on the database its router chose,
    without Django's per-row conversion (a city's statistics are 50,000 rows)."""
    sql, params = query.query.sql_with_params()
    with connections[query.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
