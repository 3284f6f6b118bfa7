"""The inspection server at scale: ingest rate through the server's own checks against a
plain COPY of the same rows into the same tables, and the dashboard's main pages at the
50th and 95th percentile, in the same run (docs/server.md).

Needs a PostgreSQL cluster: `eval "$(bash .ci/postgres start)"` first. A fresh database
is made in it and dropped at the end.

    python -m benchmarks.bench_server [--districts 25] [--restrooms 2000] [--months 60]
                                         [--queries 20]

The issue's full scale (25 districts x 2,000 restrooms, monthly over 5 years: about 3
million inspections) is the default; smaller runs take `--restrooms 100 --months 12`.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

from tests.server_env import drop_database, open_database

TARGET_INGEST_RATIO = 0.3
TARGET_PAGE_P95_MS = 300.0
TABLES = ["server_record", "server_inspection", "server_alert"]


def ingest_all(city) -> tuple[int, float]:
    """Every inspection's records through the server's checks; (records, seconds)."""
    from detector.server import models as m
    from detector.server.ingest import ingest
    from detector.server.populate import batches, populate_setup

    populate_setup(city)
    offices = {o.district.name: o for o in m.Office.objects.select_related("district")}
    pushes = list(batches(city))  # signing is the devices' work: not timed
    total = sum(len(b) for _d, b in pushes)
    started = time.perf_counter()
    for district, batch in pushes:
        ingest(offices[district], city.devices[district].key.id, batch)
    return total, time.perf_counter() - started


def copy_reference(records: int) -> float:
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


def pages(queries: int) -> dict[str, tuple[float, float]]:
    from django.contrib.auth.models import User
    from django.test import Client

    from detector.server import models as m

    district = m.District.objects.order_by("name").first()
    location = m.Location.objects.filter(district=district).order_by("id").first()
    user = User.objects.create_user("bench", password="bench-password-long")
    m.Profile.objects.create(user=user, role="supervisor", district=district)
    client = Client()
    client.force_login(user)
    last = m.Inspection.objects.order_by("-started").first().started
    month = f"{last.year:04d}-{last.month:02d}"
    quarter = f"{last.year:04d}Q{(last.month - 1) // 3 + 1}"
    urls = {"overdue list (schedule)": "/",
            "a location's history": f"/inspections?location={location.id}",
            f"district month ({month})": f"/statistics.json?month={month}",
            f"quarterly statistics ({quarter})": f"/statistics.json?quarter={quarter}"}
    out = {}
    for name, url in urls.items():
        times = []
        for _ in range(queries):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        times.sort()
        out[name] = (statistics.median(times), times[min(len(times) - 1,
                                                         int(0.95 * len(times)))])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", type=int, default=25)
    parser.add_argument("--restrooms", type=int, default=2000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    admin = os.environ.get("DETECTOR_TEST_DATABASE_URL")
    if not admin:
        print('needs a PostgreSQL cluster: eval "$(bash .ci/postgres start)"')
        return 2
    name = f"detector_bench_{os.getpid()}"
    open_database(admin, name, Path(tempfile.mkdtemp()) / "evidence")
    from detector.server import models as m
    from detector.server.generator import CityPlan, plan_city

    plan = CityPlan(districts=args.districts, restrooms=args.restrooms, months=args.months,
                    start="2022-01-01", high_risk=0.0)
    city = plan_city(plan)
    try:
        records, ingest_s = ingest_all(city)
        inspections = m.Inspection.objects.count()
        copy_s = copy_reference(records)
        ingest_rate, copy_rate = records / ingest_s, records / copy_s
        ratio = ingest_rate / copy_rate
        print(f"{args.districts} districts x {args.restrooms} restrooms x {args.months} "
              f"months: {inspections} inspections, {records} records")
        print(f"ingest (every record checked): {ingest_rate:,.0f} records/s; plain COPY of "
              f"the same rows: {copy_rate:,.0f} records/s; ratio {ratio:.3f} "
              f"(target >= {TARGET_INGEST_RATIO}: {'met' if ratio >= TARGET_INGEST_RATIO else 'MISSED'})")
        for page, (p50, p95) in pages(args.queries).items():
            verdict = "met" if p95 <= TARGET_PAGE_P95_MS else "MISSED"
            print(f"{page}: p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 <= "
                  f"{TARGET_PAGE_P95_MS:.0f} ms: {verdict})")
    finally:
        drop_database(admin, name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
