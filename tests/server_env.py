"""The inspection server under test: a fresh database in the throwaway PostgreSQL
cluster that `.ci/run` starts (`eval "$(bash .ci/postgres start)"` does the same by
hand), migrated with the server's own migrations; tables emptied after each test. No
mock of the database: without a cluster the tests skip (and fail under CI)."""

from __future__ import annotations

import os
import random
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from detector.logbook.export import export_logbook, import_export
from detector.logbook.report import Tally, tally
from detector.logbook.sink import LogbookSink
from detector.logbook.store import Logbook
from tests.logbooks import write_inspection

HOW = 'start one: eval "$(bash .ci/postgres start)" (Debian package postgresql; README, Development)'
PASSWORD = "correct horse battery staple"


def _cluster() -> str:
    url = os.environ.get("DETECTOR_TEST_DATABASE_URL")
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail(f"no PostgreSQL cluster on CI: {HOW}")
    pytest.skip(f"needs a PostgreSQL cluster: {HOW}")


@pytest.fixture(scope="session")
def server_database(tmp_path_factory):
    admin_url = _cluster()
    name = f"detector_test_{os.getpid()}"
    url = open_database(admin_url, name, tmp_path_factory.mktemp("evidence"))
    yield url
    drop_database(admin_url, name)


def open_database(admin_url: str, name: str, evidence_dir: Path) -> str:
    """A new, migrated database `name` in the cluster, and the server set up on it in
    this process (the tests and benchmarks/bench_server.py)."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    url = use_database(admin_url, name, evidence_dir)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def use_database(admin_url: str, name: str, evidence_dir: Path) -> str:
    """The server set up in this process on the existing database `name`."""
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    os.environ.update(DETECTOR_DATABASE_URL=url, DETECTOR_SERVER_INSECURE="1",
                      DETECTOR_SERVER_HOSTS="localhost,127.0.0.1,testserver",
                      DETECTOR_SERVER_SECRET=secrets.token_urlsafe(48),
                      DETECTOR_EVIDENCE_DIR=str(evidence_dir),
                      DJANGO_SETTINGS_MODULE="detector.server.settings")
    from detector.server.commands import setup

    setup()
    return url


@contextmanager
def attached_replica(admin_url: str):
    """A streaming replica of the cluster at `admin_url` (`.ci/postgres replica`), set
    as the server's replica in this process (as DETECTOR_DATABASE_REPLICA_URL does),
    stopped and removed at the end."""
    import subprocess

    from django.conf import settings
    from django.db import connections

    script = str(Path(__file__).resolve().parents[1] / ".ci" / "postgres")
    out = subprocess.run(["bash", script, "replica", admin_url], capture_output=True,
                         text=True, check=True).stdout
    found = dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines())
    port = found["DETECTOR_TEST_REPLICA_URL"].rsplit(":", 1)[1].split("/")[0]
    settings.DATABASES["replica"] = dict(connections.settings["default"], PORT=port)
    try:
        yield
    finally:
        connections["replica"].close()
        settings.DATABASES.pop("replica", None)
        subprocess.run(["bash", script, "stop", found["DETECTOR_TEST_REPLICA_PGDATA"]],
                       check=False)


def replica_caught_up(wait_s: float = 120.0) -> float:
    """Wait until the replica has replayed everything the primary has written; the
    seconds that took. `wait_s` bounds it for a loaded machine.

    The target is the primary's insert position, not its write position
    (`pg_current_wal_lsn`): the test cluster commits asynchronously, so a commit that
    has returned may still sit in the WAL buffers, behind the write position."""
    import time

    from django.db import connections

    with connections["default"].cursor() as cur:
        cur.execute("SELECT pg_current_wal_insert_lsn()")
        target = cur.fetchone()[0]
    started = time.monotonic()
    with connections["replica"].cursor() as cur:
        while True:
            cur.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cur.fetchone()[0]:
                return time.monotonic() - started
            if time.monotonic() - started > wait_s:
                raise AssertionError(f"the replica did not catch up in {wait_s:.0f} s")
            time.sleep(0.05)


def drop_database(admin_url: str, name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def server_db(server_database):
    yield server_database
    from django.core.cache import caches
    from django.db import connection

    caches["statistics"].clear()  # figures kept ready belong to this test's data

    with connection.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'django_migrations'")
        tables = [row[0] for row in cur.fetchall()]
        cur.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")


@dataclass
class City:
    """Two districts, a team and an office in each, a device per office with a logbook
    of real signed inspections, and a user of every role."""

    office_book: Logbook
    other_book: Logbook
    token: str
    other_token: str
    device: str
    other_device: str


def make_city(tmp_path: Path, inspections: int = 4) -> City:
    import hashlib

    from django.contrib.auth.models import User

    from detector.server import models as m

    north = m.District.objects.create(name="North")
    south = m.District.objects.create(name="South")
    team_n = m.Team.objects.create(name="north", district=north)
    m.Team.objects.create(name="south", district=south)
    for loc, district, risk in (("STN-A", north, "normal"), ("STN-B", north, "high"),
                                ("STN-C", north, "normal"), ("STN-S", south, "normal")):
        m.Location.objects.create(id=loc, name=f"Place {loc}", district=district, risk=risk)
    books = []
    tokens = []
    for name, district, team, location in (("north-office", north, "north", "STN-A"),
                                           ("south-office", south, "south", "STN-S")):
        token = secrets.token_urlsafe(24)
        office = m.Office.objects.create(name=name, district=district,
                                         token_sha256=hashlib.sha256(token.encode()).hexdigest())
        device = Logbook.on_device(tmp_path / f"{name}-device")
        sink = LogbookSink(device)
        rng = random.Random(len(books))
        for n in range(inspections):
            write_inspection(sink, n + 100 * len(books), rng, month="2026-11",
                             finding=n % 2 == 0, location=location if n % 2 else "STN-B"
                             if team == "north" else location, team=team)
        book = Logbook(tmp_path / name)
        import_export(book, export_logbook(device, tmp_path / f"{name}-drive"))
        m.Device.objects.create(id=device.key.id, public_key=device.key.public, office=office)
        device.close()
        books.append(book)
        tokens.append(token)
    for username, role, district, team in (("ines", "inspector", None, team_n),
                                           ("sam", "supervisor", north, None),
                                           ("suzy", "supervisor", south, None),
                                           ("audrey", "auditor", None, None),
                                           ("adam", "administrator", None, None)):
        user = User.objects.create_user(username, password=PASSWORD)
        m.Profile.objects.create(user=user, role=role, district=district, team=team)
    return City(books[0], books[1], tokens[0], tokens[1], books[0].devices()[0],
                books[1].devices()[0])


@pytest.fixture
def live_server(server_db):
    """The server over real HTTP on a free local port (the push client and the browser
    talk to it as to the city's server)."""
    import threading
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from detector.server.wsgi import application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    class Threaded(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    httpd = make_server("127.0.0.1", 0, application, server_class=Threaded,
                        handler_class=Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def office_tally(period):
    """What the office's `tally` makes of the inspections stored on the server, in time
    order: the statistics counted straight from the inspections, by other code."""
    from detector.server import models as m
    from detector.server.statistics import within_period

    rows = within_period(m.Inspection.objects.all(), period).order_by("started", "id")
    return tally([Tally(r.location_id_text, r.location_name, r.verified, r.result,
                        r.coverage, r.findings) for r in rows], period)
