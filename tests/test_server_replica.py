"""The dashboard on a read replica: a real PostgreSQL streaming replica of the test
cluster (`.ci/postgres replica`, pg_basebackup), set as the server's replica. The
dashboard's pages read the city's inspections from it; pushes, their checks, logins
and sessions stay on the primary."""

import os
import subprocess
import time
from pathlib import Path

import pytest

from detector.push import Server, push
from tests.server_env import PASSWORD, make_city

ROOT = Path(__file__).resolve().parents[1]
REPLAY_WAIT_S = 120  # an upper bound for a loaded machine; it is normally milliseconds


@pytest.fixture(scope="module")
def replica(server_database):
    """The replica, and the server told of it (as DETECTOR_DATABASE_REPLICA_URL does)."""
    from django.conf import settings
    from django.db import connections

    out = subprocess.run(["bash", str(ROOT / ".ci" / "postgres"), "replica",
                          os.environ["DETECTOR_TEST_DATABASE_URL"]],
                         capture_output=True, text=True, check=True).stdout
    found = dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines())
    port = found["DETECTOR_TEST_REPLICA_URL"].rsplit(":", 1)[1].split("/")[0]
    conf = dict(connections.settings["default"], PORT=port)
    settings.DATABASES["replica"] = connections.settings["replica"] = conf
    try:
        yield conf
    finally:
        connections["replica"].close()
        settings.DATABASES.pop("replica", None)
        connections.settings.pop("replica", None)
        subprocess.run(["bash", str(ROOT / ".ci" / "postgres"), "stop",
                        found["DETECTOR_TEST_REPLICA_PGDATA"]], check=False)


def caught_up() -> None:
    """Wait until the replica has replayed everything the primary has written."""
    from django.db import connections

    with connections["default"].cursor() as cur:
        cur.execute("SELECT pg_current_wal_lsn()")
        target = cur.fetchone()[0]
    deadline = time.monotonic() + REPLAY_WAIT_S
    with connections["replica"].cursor() as cur:
        while True:
            cur.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cur.fetchone()[0]:
                return
            assert time.monotonic() < deadline, "the replica did not catch up"
            time.sleep(0.05)


def test_the_dashboard_reads_from_the_replica_and_pushes_go_to_the_primary(
        replica, server_db, tmp_path, live_server):
    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    city = make_city(tmp_path)
    try:
        push(city.office_book, Server(live_server, city.token, allow_http=True))
    finally:
        city.office_book.close()
        city.other_book.close()
    caught_up()
    c = Client()
    assert c.post("/login", {"username": "sam", "password": PASSWORD}).status_code == 302
    with CaptureQueriesContext(connections["replica"]) as on_replica, \
            CaptureQueriesContext(connections["default"]) as on_primary:
        page = c.get("/inspections")
    assert page.status_code == 200 and b"insp-00000" in page.content
    assert any("server_inspection" in q["sql"] for q in on_replica.captured_queries)
    assert not any("server_inspection" in q["sql"] for q in on_primary.captured_queries)
    # The session and the user's role come from the primary: a login is never behind.
    assert any("django_session" in q["sql"] for q in on_primary.captured_queries)
    assert not any("django_session" in q["sql"] for q in on_replica.captured_queries)
    # A push's reads (the device's head) never come from the replica.
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        heads = c.get("/api/heads", HTTP_AUTHORIZATION=f"Bearer {city.token}")
    assert heads.status_code == 200 and city.device in heads.content.decode()
    assert on_replica.captured_queries == []
