"""The inspection server at scale: ingest rate through the server's own checks against a
plain COPY of the same rows into the same tables, and the dashboard's main pages at the
50th and 95th percentile for a district's supervisor and for an auditor, in the same run
(docs/server.md).

Needs a PostgreSQL cluster: `eval "$(bash .ci/postgres start)"` first. A fresh database
is made in it and dropped at the end (kept with --keep).

    python -m benchmarks.bench_server [--districts 25] [--restrooms 2000] [--months 60]
                                      [--queries 20] [--keep] [--replica]
    python -m benchmarks.bench_server --pages-only NAME      # a database kept before

The city's full scale (25 districts x 2,000 restrooms, monthly over 5 years: 3 million
inspections, about 25 minutes of ingest here) is the default; shorter runs take
`--districts 5 --months 12`. --replica starts a streaming replica of the cluster,
measures how far it falls behind during the ingest, and times the pages read from it.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from tests.server_env import (
    attached_replica,
    drop_database,
    open_database,
    replica_caught_up,
    use_database,
)

TARGET_INGEST_RATIO = 0.3
TARGET_PAGE_P95_MS = 300.0
TABLES = ["server_record", "server_inspection", "server_alert"]


def ingest_all(city) -> tuple[int, float]:
    """Every inspection's records through the server's checks, a push at a time;
    (records, seconds spent in the server's ingest). Signing is the devices' work and
    is not timed."""
    from detector.server import models as m
    from detector.server.ingest import ingest
    from detector.server.populate import batches, populate_setup

    populate_setup(city)
    offices = {o.district.name: o for o in m.Office.objects.select_related("district")}
    total, spent = 0, 0.0
    for district, batch in batches(city):
        started = time.perf_counter()
        ingest(offices[district], city.devices[district].key.id, batch)
        spent += time.perf_counter() - started
        total += len(batch)
        if total // 500_000 != (total - len(batch)) // 500_000:
            print(f"  {total:,} records ingested", flush=True)
    return total, spent


def copy_reference() -> float:
    """The same rows, dumped and loaded again with COPY into the same (emptied) tables:
    seconds for the load."""
    from django.db import connection

    dumps = {}
    with connection.cursor() as cur:
        raw = cur.connection
        for table in TABLES:
            buf = io.BytesIO()
            with raw.cursor().copy(f"COPY {table} TO STDOUT") as copy:
                for chunk in copy:
                    buf.write(chunk)
            dumps[table] = buf.getvalue()
        cur.execute("TRUNCATE " + ", ".join(TABLES))
        started = time.perf_counter()
        for table in TABLES:
            with raw.cursor().copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(dumps[table])
        raw.commit()
        return time.perf_counter() - started


def last_whole_periods(last: datetime) -> tuple[str, str]:
    """The last whole month and quarter before `last`'s, as `?month=` and `?quarter=`."""
    from detector.logbook.report import month_of, quarter_of

    day_before = timedelta(days=1)
    return (month_of(month_of(last).days()[0] - day_before).label,
            quarter_of(quarter_of(last).days()[0] - day_before).label)


def _timed(client, urls: list[str], before=None) -> tuple[float, float]:
    """p50 and p95 in ms; `before`: run before each request, untimed."""
    times = []
    for url in urls:
        if before is not None:
            before()
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]


def pushed_to(district_id: int, period: str):
    """What a push does to the statistics: a write counted for one district in the
    period's last month (derive.py), so that its sums and the statistics kept ready are
    counted again."""
    from detector.logbook.report import parse_period
    from detector.server import bulk

    kind = "quarter" if "Q" in period else "month"
    last = parse_period(**{kind: period}).days()[1] - timedelta(days=1)
    return lambda: bulk.add_month_changes({(last.replace(day=1), district_id): 1})


def forget_every_sum() -> None:
    """The statistics as after the server's first start: no sums counted, none kept ready."""
    from django.core.cache import caches
    from django.db import connection

    with connection.cursor() as cur:
        # as new: no dead rows left behind
        cur.execute("TRUNCATE server_periodsums, server_periodsumscounted")
    caches["statistics"].clear()


def pages(queries: int) -> dict[str, tuple[float, float]]:
    """Each page `queries` times, for a district's supervisor and for an auditor (the
    whole city); a location's history and a finding's page at a different location or
    finding each time."""
    from django.contrib.auth.models import User
    from django.test import Client

    from detector.server import models as m

    district = m.District.objects.order_by("name").first()
    rng = random.Random(0)
    places = list(m.Location.objects.filter(district=district).values_list("id", flat=True))
    findings = list(m.Inspection.objects.filter(findings__gt=0, location__district=district)
                    .values_list("id", flat=True)[:1000])
    month, quarter = last_whole_periods(
        m.Inspection.objects.order_by("-started").first().started)
    out = {}
    for role in ("supervisor", "auditor"):
        user, _ = User.objects.get_or_create(username=f"bench-{role}")
        m.Profile.objects.get_or_create(user=user, defaults={
            "role": role, "district": district if role == "supervisor" else None})
        client = Client()
        client.force_login(user)
        scope = "district" if role == "supervisor" else "city"
        urls = {
            f"{scope}: overdue list (schedule)": ["/"] * queries,
            f"{scope}: a location's history": [
                f"/inspections?location={rng.choice(places)}" for _ in range(queries)],
            f"{scope}: a finding's inspection page": [
                f"/inspections/{rng.choice(findings)}" for _ in range(queries)],
            # The first request after a push to one district's month (its sums and
            # the JSON counted again), then as kept ready for the requests that follow;
            # and with every sum counted afresh (as after the server's first start).
            f"{scope}: month ({month}), after a push": [
                f"/statistics.json?month={month}"] * queries,
            f"{scope}: month ({month}), kept ready": [
                f"/statistics.json?month={month}"] * queries,
            f"{scope}: month ({month}), every sum counted afresh": [
                f"/statistics.json?month={month}"] * queries,
            f"{scope}: quarterly statistics ({quarter}), after a push": [
                f"/statistics.json?quarter={quarter}"] * queries,
            f"{scope}: quarterly statistics ({quarter}), kept ready": [
                f"/statistics.json?quarter={quarter}"] * queries,
            f"{scope}: quarterly statistics ({quarter}), every sum counted afresh": [
                f"/statistics.json?quarter={quarter}"] * queries,
            f"{scope}: coverage and pace per team": ["/teams"] * queries,
            f"{scope}: inspections per month, a year": ["/statistics"] * queries}
        for name, batch in urls.items():
            period = batch[0].rsplit("=", 1)[-1]
            before = None
            if name.endswith("after a push"):
                client.get(batch[0])  # the sums counted once, as on a running server
                before = pushed_to(district.id, period)
            elif name.endswith("afresh"):
                before = forget_every_sum
            out[name] = _timed(client, batch, before)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", type=int, default=25)
    parser.add_argument("--restrooms", type=int, default=2000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--keep", action="store_true",
                        help="keep the database (its name is printed) for --pages-only")
    parser.add_argument("--replica", action="store_true",
                        help="with a streaming replica of the cluster (started here): its "
                             "lag during the ingest, and the pages read from it")
    parser.add_argument("--pages-only", metavar="DATABASE",
                        help="time the pages on a database kept by an earlier --keep run")
    args = parser.parse_args()
    admin = os.environ.get("DETECTOR_TEST_DATABASE_URL")
    if not admin:
        print('needs a PostgreSQL cluster: eval "$(bash .ci/postgres start)"')
        return 2
    evidence = Path(tempfile.mkdtemp()) / "evidence"
    if args.pages_only:
        use_database(admin, args.pages_only, evidence)
        report_pages(args.queries)
        return 0
    name = f"detector_bench_{os.getpid()}"
    open_database(admin, name, evidence)
    from detector.server import models as m
    from detector.server.generator import CityPlan, plan_city

    plan = CityPlan(districts=args.districts, restrooms=args.restrooms, months=args.months,
                    start="2022-01-01", high_risk=0.0, keep_evidence=False)
    city = plan_city(plan)
    try:
        if args.replica:
            with_replica(admin, name, city, args.queries)
            return 0
        records, ingest_s = ingest_all(city)
        inspections = m.Inspection.objects.count()
        copy_s = copy_reference()
        ingest_rate, copy_rate = records / ingest_s, records / copy_s
        ratio = ingest_rate / copy_rate
        print(f"{args.districts} districts x {args.restrooms} restrooms x {args.months} "
              f"months: {inspections:,} inspections, {records:,} records")
        print(f"ingest (every record checked): {ingest_rate:,.0f} records/s; plain COPY of "
              f"the same rows: {copy_rate:,.0f} records/s; ratio {ratio:.3f} "
              f"(target >= {TARGET_INGEST_RATIO}: {'met' if ratio >= TARGET_INGEST_RATIO else 'MISSED'})")
        analyze()
        report_pages(args.queries)
    finally:
        if args.keep:
            print(f"kept: --pages-only {name}")
        else:
            drop_database(admin, name)
    return 0


class ReplicaLag:
    """How far the replica falls behind, sampled on the primary twice a second."""

    def __init__(self, primary_url: str) -> None:
        self.url = primary_url
        self.bytes_behind = 0
        self.seconds_behind = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ReplicaLag:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.wait(0.5):
                row = conn.execute(
                    "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), replay_lsn), "
                    "coalesce(extract(epoch FROM replay_lag), 0) FROM pg_stat_replication"
                ).fetchone()
                if row is not None and row[0] is not None:
                    self.bytes_behind = max(self.bytes_behind, int(row[0]))
                    self.seconds_behind = max(self.seconds_behind, float(row[1]))


def with_replica(admin: str, name: str, city, queries: int) -> None:
    """The ingest with a streaming replica following it, and the pages read from it."""
    with attached_replica(admin):
        with ReplicaLag(admin.rsplit("/", 1)[0] + "/" + name) as lag:
            records, ingest_s = ingest_all(city)
        behind = replica_caught_up(wait_s=3600)
        print(f"{records:,} records ingested at {records / ingest_s:,.0f} records/s with a "
              f"streaming replica following; it was at most {lag.bytes_behind / 1e6:.1f} MB "
              f"and {lag.seconds_behind:.2f} s behind, and caught up {behind * 1000:.0f} ms "
              "after the last push")
        analyze()
        replica_caught_up(wait_s=3600)
        print("pages, read from the replica:")
        report_pages(queries)


def analyze() -> None:
    """Fresh planner statistics after the load, as autovacuum would gather soon after."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def report_pages(queries: int) -> None:
    for page, (p50, p95) in pages(queries).items():
        verdict = "met" if p95 <= TARGET_PAGE_P95_MS else "MISSED"
        print(f"{page}: p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 <= "
              f"{TARGET_PAGE_P95_MS:.0f} ms: {verdict})")


if __name__ == "__main__":
    raise SystemExit(main())
