"""The server's bulk writes and reads: a push's records and what is derived from them go
into PostgreSQL with COPY and set-based UPDATEs, in the push's transaction (the ORM's
per-row statements cost most of an ingest's time); large query results come back as
plain tuples. The only server module that speaks SQL."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import msgspec
from django.db import connection, connections, transaction
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


def check_references_now() -> None:
    """Check the foreign keys of the rest of the transaction's writes as each statement
    ends, not all at its commit (Django makes them deferred): the same checks, made
    while the signatures are still being checked beside them, not after (a sixth of a
    push's time here)."""
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")


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


def _json(value: Any) -> str:
    """A statement's many values as one JSON parameter: msgspec writes it in C, where
    the driver would quote each element of an array in Python (several ms a push)."""
    return msgspec.json.encode(value).decode()


def location_districts(ids: Iterable[str]) -> dict[str, int]:
    """{location id: its district's id} of those of `ids` that are registered."""
    with connection.cursor() as cur:
        cur.execute("SELECT id, district_id FROM server_location "
                    "WHERE id IN (SELECT json_array_elements_text(%s::json))",
                    [_json(sorted(ids))])
        return dict(cur.fetchall())


def raise_last_inspected(latest: dict[str, datetime]) -> None:
    """Move each location's last inspection forward to `latest`, never back."""
    if not latest:
        return
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE server_location AS l SET last_inspected = v.at "
            "FROM json_to_recordset(%s::json) AS v(id text, at timestamptz) "
            "WHERE l.id = v.id AND (l.last_inspected IS NULL OR l.last_inspected < v.at)",
            [_json([{"id": place, "at": at} for place, at in latest.items()])])


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


# One recount at a time: two would write the same sums.
_RECOUNT_LOCK = 0x5354_4154  # "STAT"

_SUMS_COLUMNS = ("name", "first_started", "first_id", "inspections", "unverified", "clear",
                 "incomplete", "suspicious", "device_found", "open", "coverage_milli",
                 "findings")


def recount_period_sums(period: str, start: date | None, end: date | None,
                        districts: Iterable[int | None], no_location: str,
                        results: Sequence[str]) -> int:
    """Count again, from the inspections started from `start` to `end` (months' first
    days; None: all time), the PeriodSums of `period` for each of `districts` whose writes
    (MonthChange, summed over those months) have moved since they were counted, and
    record the writes read before the count: a push landing meanwhile leaves newer sums
    under older writes, counted again next time, never the reverse. `results`: the
    results counted by name; any other is "open". How many districts it counted."""
    asked = set(districts)
    if not asked:
        return 0
    in_months = "TRUE" if start is None else "month >= %s AND month < %s"
    bounds = [] if start is None else [start, end]
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [_RECOUNT_LOCK])
        cur.execute(
            "SELECT w.district_id, w.writes FROM (SELECT district_id, sum(writes) AS writes "
            f"FROM server_monthchange WHERE {in_months} GROUP BY district_id) w "
            "LEFT JOIN server_periodsumscounted c ON c.period = %s "
            "AND c.district_id IS NOT DISTINCT FROM w.district_id "
            "WHERE c.writes IS DISTINCT FROM w.writes", [*bounds, period])
        stale = [(d, w) for d, w in cur.fetchall() if d in asked]
        named = [d for d, _ in stale if d is not None]
        # "= ANY" and "IS NULL" apart: each can use an index; IS NOT DISTINCT FROM cannot
        if named:
            _count_period_sums(cur, period, start, end, "district_id = ANY(%s::bigint[])",
                               [named], no_location, results)
        if any(d is None for d, _ in stale):
            _count_period_sums(cur, period, start, end, "district_id IS NULL", [],
                               no_location, results)
        if stale:
            cur.execute(
                "INSERT INTO server_periodsumscounted (period, district_id, writes) "
                "SELECT %s, * FROM unnest(%s::bigint[], %s::bigint[]) "
                "ON CONFLICT (period, district_id) DO UPDATE SET writes = EXCLUDED.writes",
                [period, [d for d, _ in stale], [w for _, w in stale]])
    return len(stale)


_LOCATION = "COALESCE(NULLIF(i.location_id_text, ''), %s)"  # as the statistics key it


def _in_period(start: date | None, end: date | None) -> tuple[str, list]:
    """The condition on an inspection `i` started in the period, and its parameters."""
    if start is None:
        return "TRUE", []
    return ("i.started >= %s::date::timestamp AT TIME ZONE 'UTC' "
            "AND i.started < %s::date::timestamp AT TIME ZONE 'UTC'", [start, end])


def period_sums_select(period: str, start: date | None, end: date | None,
                       districts_sql: str, districts: list, no_location: str,
                       results: Sequence[str]) -> tuple[str, list]:
    """The query that adds up the inspections of the period, for the districts that
    `districts_sql` selects, into PeriodSums rows (and its parameters): a row per
    district and location. A location's name and first start are its first
    inspection's (by start, then id)."""
    in_period, bounds = _in_period(start, end)
    known = ", ".join(f"'{r}'" for r in results)  # our own constants, not input
    by_result = ", ".join(f"count(*) FILTER (WHERE i.verified AND i.result = '{r}')"
                          for r in results)
    return (
        f"SELECT %s::text AS period, i.district_id, {_LOCATION} AS location, "
        "(array_agg(i.location_name ORDER BY i.started, i.id))[1], min(i.started), "
        "(array_agg(i.id ORDER BY i.started, i.id))[1], count(*), "
        f"count(*) FILTER (WHERE NOT i.verified), {by_result}, "
        "count(*) FILTER (WHERE i.verified AND (i.result IS NULL "
        f"OR i.result NOT IN ({known}))), "
        "COALESCE(sum(round((i.coverage * 1000)::numeric)::int) FILTER (WHERE i.verified), 0), "
        "COALESCE(sum(i.findings) FILTER (WHERE i.verified), 0) "
        f"FROM server_inspection i WHERE {in_period} AND i.{districts_sql} "
        "GROUP BY i.district_id, 3",
        [period, no_location, *bounds, *districts])


def _count_period_sums(cur, period: str, start: date | None, end: date | None,
                       districts_sql: str, districts: list, no_location: str,
                       results: Sequence[str]) -> None:
    """Bring the PeriodSums of `period`, for the districts that `districts_sql` selects,
    to what their inspections add up to now, in one statement (one read of them). Only
    the rows that differ are written (a push changes a few locations' sums): the others
    keep their place in the table, so that a period stays in few pages. A location none
    of whose inspections is counted here any more loses its row (the deleted rows are
    never the upserted ones, so the two parts cannot see each other)."""
    select, params = period_sums_select(period, start, end, districts_sql, districts,
                                        no_location, results)
    columns = ", ".join(_SUMS_COLUMNS)
    new = ", ".join(f"EXCLUDED.{c}" for c in _SUMS_COLUMNS)
    cur.execute(
        f"WITH counted AS MATERIALIZED ({select}), "
        "gone AS (DELETE FROM server_periodsums s WHERE s.period = %s "
        f"AND s.{districts_sql} AND (COALESCE(s.district_id, 0), s.location) NOT IN ("
        "SELECT COALESCE(district_id, 0), location FROM counted)) "  # ids start at 1
        f"INSERT INTO server_periodsums AS s (period, district_id, location, {columns}) "
        "SELECT * FROM counted "
        f"ON CONFLICT (period, district_id, location) DO UPDATE SET ({columns}) = ROW({new}) "
        f"WHERE (s.{', s.'.join(_SUMS_COLUMNS)}) IS DISTINCT FROM ({new})",
        [*params, period, *districts])
