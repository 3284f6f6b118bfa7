"""Monthly partitions for a city that outgrows one table (docs/server.md, "Scaling"):
the dashboard's own statistics and history queries on the inspections table as the
server keeps it, against the same rows in a copy partitioned by month, and the cost of
retiring the oldest month either way, in the same run.

Runs on a database kept by the server benchmark:

    python -m benchmarks.bench_server --keep          # prints: kept: --pages-only NAME
    python -m benchmarks.bench_partitions NAME [--queries 20]

The partitioned copy is dropped at the end; the kept database is left as it was.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.bench_server import last_whole_periods
from detector.logbook.report import parse_period
from tests.server_env import use_database

COPY = "part_inspection"


def _months(first: datetime, last: datetime) -> list[datetime]:
    """Month boundaries from the start of `first`'s month to the first one after `last`."""
    out, year, month = [], first.year, first.month
    while not out or out[-1] <= last:
        out.append(datetime(year, month, 1, tzinfo=UTC))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def build_partitioned(cur, first: datetime, last: datetime) -> float:
    """The inspections again, in a table partitioned by the month they started."""
    started = time.perf_counter()
    cur.execute(f"CREATE TABLE {COPY} (LIKE server_inspection INCLUDING DEFAULTS) "
                "PARTITION BY RANGE (started)")
    bounds = _months(first, last)
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        cur.execute(f"CREATE TABLE {COPY}_{lo:%Y%m} PARTITION OF {COPY} "
                    "FOR VALUES FROM (%s) TO (%s)", [lo, hi])
    cur.execute(f"INSERT INTO {COPY} SELECT * FROM server_inspection")
    # Every index the server's table has, from the catalogue (the primary key must
    # include the partition column).
    cur.execute(f"ALTER TABLE {COPY} ADD PRIMARY KEY (id, started)")
    cur.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'server_inspection' "
                "AND indexname <> 'server_inspection_pkey'")
    for (definition,) in cur.fetchall():
        columns = definition.split(" USING ", 1)[1]
        cur.execute(f"CREATE INDEX ON {COPY} USING {columns}")
    cur.execute(f"ANALYZE {COPY}")
    return time.perf_counter() - started


def dashboard_queries(period_month: str, period_quarter: str, location: str
                      ) -> dict[str, tuple[str, list]]:
    """The SQL the dashboard runs that reads the inspections: the statistics' count of a
    period's sums for a district, and for the whole city (as after the server's first
    start), and a location's history for a district's supervisor."""
    from detector.logbook.report import NO_LOCATION, RESULTS
    from detector.server import bulk
    from detector.server import models as m
    from detector.server.access import inspections_for

    district = m.District.objects.order_by("name").first()
    everyone = list(m.District.objects.values_list("id", flat=True))
    out = {}
    for scope, ids in (("district", [district.id]), ("city", everyone)):
        for label, period in (("month", parse_period(month=period_month)),
                              ("quarter", parse_period(quarter=period_quarter))):
            start, end = period.days()
            out[f"{scope}: statistics' sums for a {label}"] = bulk.period_sums_select(
                period.label, start, end, "district_id = ANY(%s::bigint[])", [ids],
                NO_LOCATION, RESULTS)
    supervisor = m.Profile(role="supervisor", district=district)
    history = inspections_for(supervisor).filter(location_id_text=location) \
        .order_by("-started")[:200].values_list("id", "started", "result")
    out["district: a location's history"] = history.query.sql_with_params()
    return out


def timed(cur, sql: str, params: list, queries: int) -> tuple[float, float, int]:
    times, rows = [], 0
    for _ in range(queries):
        started = time.perf_counter()
        cur.execute(sql, params)
        rows = len(cur.fetchall())
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))], rows


def retire_oldest_month(cur, first: datetime) -> tuple[float, float]:
    """Seconds to take the oldest month out: DELETE on the plain table against DETACH
    on the partitioned one (both rolled back)."""
    lo = datetime(first.year, first.month, 1, tzinfo=UTC)
    hi = _months(lo, lo)[1]
    cur.execute("BEGIN")
    started = time.perf_counter()
    cur.execute("DELETE FROM server_alert WHERE inspection_id IN (SELECT id FROM "
                "server_inspection WHERE started >= %s AND started < %s)", [lo, hi])
    cur.execute("DELETE FROM server_inspection WHERE started >= %s AND started < %s", [lo, hi])
    deleted = time.perf_counter() - started
    cur.execute("ROLLBACK")
    cur.execute("BEGIN")
    started = time.perf_counter()
    cur.execute(f"ALTER TABLE {COPY} DETACH PARTITION {COPY}_{lo:%Y%m}")
    detached = time.perf_counter() - started
    cur.execute("ROLLBACK")
    return deleted, detached


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="a database kept by bench_server --keep")
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    admin = os.environ.get("DETECTOR_TEST_DATABASE_URL")
    if not admin:
        print('needs a PostgreSQL cluster: eval "$(bash .ci/postgres start)"')
        return 2
    use_database(admin, args.database, Path(tempfile.mkdtemp()) / "evidence")
    from django.db import connection

    from detector.server import models as m

    first = m.Inspection.objects.order_by("started").first().started
    last = m.Inspection.objects.order_by("-started").first().started
    location = m.Location.objects.order_by("id").first().id
    month, quarter = last_whole_periods(last)
    connection.ensure_connection()
    raw = connection.connection
    raw.autocommit = True
    with raw.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {COPY}")
        built = build_partitioned(cur, first, last)
        cur.execute("SELECT count(*) FROM server_inspection")
        total = cur.fetchone()[0]
        print(f"{total:,} inspections, {first:%Y-%m} to {last:%Y-%m}; partitioned copy "
              f"by month built in {built:.0f} s")
        try:
            for name, (sql, params) in dashboard_queries(month, quarter, location).items():
                plain = timed(cur, sql, list(params), args.queries)
                parted = timed(cur, sql.replace('"server_inspection"', f'"{COPY}"')
                               .replace("server_inspection i", f"{COPY} i"),
                               list(params), args.queries)
                assert plain[2] == parted[2], (name, plain[2], parted[2])  # the same rows
                print(f"{name} ({plain[2]:,} rows): one table p50 {plain[0]:.1f} / p95 "
                      f"{plain[1]:.1f} ms; by month p50 {parted[0]:.1f} / p95 "
                      f"{parted[1]:.1f} ms; ratio of p50 {parted[0] / plain[0]:.2f}")
            deleted, detached = retire_oldest_month(cur, first)
            print(f"retire the oldest month: DELETE {deleted:.2f} s, DETACH PARTITION "
                  f"{detached * 1000:.1f} ms")
        finally:
            cur.execute(f"DROP TABLE IF EXISTS {COPY}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
