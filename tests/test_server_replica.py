"""The dashboard on a read replica: a real PostgreSQL streaming replica of the test
cluster (`.ci/postgres replica`, pg_basebackup), set as the server's replica. The
dashboard's pages read the city's inspections from it; pushes, their checks, logins
and sessions stay on the primary."""

import os

import pytest

from detector.push import Server, push
from tests.server_env import PASSWORD, attached_replica, make_city, replica_caught_up


@pytest.fixture(scope="module")
def replica(server_database):
    with attached_replica(os.environ["DETECTOR_TEST_DATABASE_URL"]):
        yield


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
    replica_caught_up()
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
