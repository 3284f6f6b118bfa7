"""The inspection server against a real PostgreSQL: an office pushes its logbook over
HTTP and the server verifies every record itself (forged, altered, rewritten and
incomplete pushes are refused and nothing of them is stored; a repeated push stores
nothing twice), the statistics match `detector report` for the same records, and every
page refuses the anonymous, the wrong role and malicious parameters."""

import hashlib
import json

import pytest

from detector.logbook.chain import Record
from detector.logbook.report import parse_period, statistics
from detector.push import PushError, Server, push
from tests.server_env import PASSWORD, make_city, office_tally


@pytest.fixture
def city(server_db, tmp_path):
    world = make_city(tmp_path)
    yield world
    world.office_book.close()
    world.other_book.close()


def client():
    from django.test import Client

    return Client()


def signed_in(username):
    c = client()
    response = c.post("/login", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return c


def test_a_push_is_verified_stored_once_and_resumed(city, live_server):
    from detector.server import models as m

    result = push(city.office_book, Server(live_server, city.token, allow_http=True))
    records = city.office_book.records(city.device)
    assert result.stored == len(records) and result.devices[city.device] == records[-1].seq
    named = {e["sha256"] for r in records for e in json.loads(r.body).get("evidence_files", [])}
    assert result.evidence_sent == len(named) == 5  # two findings' files; one spectrum twice
    assert m.Inspection.objects.filter(device_id=city.device, verified=True).count() == 4
    again = push(city.office_book, Server(live_server, city.token, allow_http=True))
    assert again.stored == 0 and again.evidence_sent == 0
    assert m.Record.objects.filter(device_id=city.device).count() == len(records)
    # Evidence is stored by its SHA-256 and checked on arrival.
    for row in m.Evidence.objects.all():
        from detector.server.evidence_store import store

        assert hashlib.sha256(store().read(row.sha256)).hexdigest() == row.sha256


def test_statistics_match_the_report_for_the_same_records(city, live_server):
    push(city.office_book, Server(live_server, city.token, allow_http=True))
    push(city.other_book, Server(live_server, city.other_token, allow_http=True))
    c = signed_in("audrey")
    served = c.get("/statistics.json?quarter=2026Q4").json()
    office = statistics(city.office_book, parse_period(quarter="2026Q4"))
    other = statistics(city.other_book, parse_period(quarter="2026Q4"))
    assert served["total"] == {k: office["total"][k] + other["total"][k] for k in served["total"]}
    assert served["locations"] == sorted(office["locations"] + other["locations"],
                                         key=lambda e: e["location"])
    csv_text = c.get("/statistics.csv?quarter=2026Q4").content.decode()
    assert csv_text.splitlines()[0].startswith("location,name,inspections")


def tampered(book, device, change):
    records = [r.to_json() for r in book.records(device)]
    change(records)
    return records


def post(live_server, token, device, records):
    server = Server(live_server, token, allow_http=True)
    return server.call("POST", "/api/records",
                       json.dumps({"device": device, "records": records}).encode())


@pytest.mark.parametrize("name, change, named", [
    ("forged", lambda rs: rs[2].update(signature="00" * 64), "record 3: forged"),
    ("altered", lambda rs: rs[1].update(body=rs[1]["body"].replace("rf-activity", "clear")),
     "record 2: altered"),
    ("gap", lambda rs: rs.pop(3), "record 4: missing"),
    ("relinked", lambda rs: rs[4].update(prev="f" * 64), "record 5"),
])
def test_a_bad_push_is_refused_naming_the_record_and_nothing_is_stored(
        city, live_server, name, change, named):
    from detector.server import models as m

    status, answer = post(live_server, city.token, city.device,
                          tampered(city.office_book, city.device, change))
    assert status == 422 and any(p.startswith(named) for p in answer["refused"]), answer
    assert m.Record.objects.count() == 0 and m.Inspection.objects.count() == 0


def test_a_replayed_push_is_harmless_and_a_rewritten_history_is_refused(city, live_server):
    from detector.server import models as m

    push(city.office_book, Server(live_server, city.token, allow_http=True))
    count = m.Record.objects.count()
    records = [r.to_json() for r in city.office_book.records(city.device)]
    status, answer = post(live_server, city.token, city.device, records[:5])
    assert status == 200 and answer["stored"] == 0 and answer["skipped"] == 5
    rewritten = dict(records[2], hash="e" * 64)
    status, answer = post(live_server, city.token, city.device, [rewritten])
    assert status == 422 and "record 3: differs" in answer["refused"][0]
    assert m.Record.objects.count() == count


def test_pushes_with_the_wrong_token_or_device_are_refused(city, live_server):
    with pytest.raises(PushError, match="unknown or missing office token"):
        push(city.office_book, Server(live_server, "not-a-token", allow_http=True))
    # The south office may not push the north office's device.
    records = [r.to_json() for r in city.office_book.records(city.device)]
    status, answer = post(live_server, city.other_token, city.device, records)
    assert status == 422 and "not registered for office south-office" in answer["refused"][0]
    with pytest.raises(PushError, match="must be reached over HTTPS"):
        Server("http://example.org", "t")


def test_evidence_that_does_not_match_its_hash_is_refused(city, live_server):
    server = Server(live_server, city.token, allow_http=True)
    status, answer = server.call("PUT", "/api/evidence/" + "a" * 64, b"not that", "image/png")
    assert status == 422 and "does not match" in answer["refused"][0]
    status, _ = server.call("PUT", "/api/evidence/..%2F..%2Fetc%2Fpasswd", b"x")
    assert status in (400, 404)


PAGES = ["/", "/inspections", "/teams", "/inspections/insp-00000", "/evidence/" + "a" * 64,
         "/statistics", "/statistics.csv", "/statistics.json", "/users"]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_refuses_an_anonymous_request(city, page):
    response = client().get(page)
    assert response.status_code == 302 and response["Location"].startswith("/login")


@pytest.mark.parametrize("page", ["/api/heads", "/api/records", "/api/evidence/" + "a" * 64])
def test_every_api_route_refuses_an_anonymous_request(city, page):
    c = client()
    response = c.get(page) if page == "/api/heads" else c.post(page, b"{}",
                                                                content_type="application/json")
    assert response.status_code in (401, 405)
    if page != "/api/evidence/" + "a" * 64:
        assert response.status_code == 401


def test_each_role_sees_only_what_it_may(city, live_server):
    push(city.office_book, Server(live_server, city.token, allow_http=True))
    push(city.other_book, Server(live_server, city.other_token, allow_http=True))
    north, south = "insp-00000", "insp-00100"
    ines, sam, suzy, audrey, adam = (signed_in(u) for u in
                                     ("ines", "sam", "suzy", "audrey", "adam"))
    assert ines.get(f"/inspections/{north}").status_code == 200
    assert ines.get(f"/inspections/{south}").status_code == 404  # another team's
    assert sam.get(f"/inspections/{south}").status_code == 404  # another district's
    assert suzy.get(f"/inspections/{south}").status_code == 200
    assert audrey.get(f"/inspections/{north}").status_code == 200
    assert audrey.get(f"/inspections/{south}").status_code == 200
    for c in (ines, sam, audrey):
        assert c.get("/users").status_code == 403
    assert adam.get("/users").status_code == 200 and b"audrey" in adam.get("/users").content
    assert adam.get(f"/inspections/{north}").status_code == 403
    assert ines.get("/statistics.json").status_code == 403
    assert b"Page 2 of 1" in sam.get("/?page=2").content  # past the end: an empty page
    # Evidence only through an inspection the user may see.
    from detector.server import models as m

    sha = m.Inspection.objects.get(id=north).evidence[0]
    assert ines.get(f"/evidence/{sha}").status_code == 200
    assert suzy.get(f"/evidence/{sha}").status_code == 404


@pytest.mark.parametrize("path", [
    "/inspections?location=%27%20OR%201%3D1%20--",
    "/inspections/%27%3B%20DROP%20TABLE%20server_record%3B%20--",
    "/evidence/..%2F..%2F..%2Fetc%2Fpasswd",
    "/evidence/" + "g" * 64,
    "/statistics.json?quarter=2026Q4%27%20OR%20%271%27%3D%271",
    "/inspections/..%2F..%2Fusers",
    "/?page=2%27%20OR%201%3D1%20--",
    "/?page=-1",
    "/?page=99999999999999999999",
])
def test_injection_and_traversal_attempts_find_nothing(city, live_server, path):
    from detector.server import models as m

    push(city.office_book, Server(live_server, city.token, allow_http=True))
    before = m.Record.objects.count()
    response = signed_in("audrey").get(path)
    assert response.status_code in (200, 400, 404)
    if response.status_code == 200:
        assert b"STN-" not in response.content.split(b"<table", 1)[-1].split(b"</table>")[0] \
            or b"none" in response.content
    assert m.Record.objects.count() == before  # nothing dropped


def test_logins_are_rate_limited_and_need_csrf(city):
    c = client()
    for _ in range(5):
        assert c.post("/login", {"username": "sam", "password": "wrong"}).status_code == 401
    assert c.post("/login", {"username": "sam", "password": PASSWORD}).status_code == 429
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/login", {"username": "audrey", "password": PASSWORD}).status_code == 403
    page = strict.get("/login")
    token = page.cookies["csrftoken"].value
    assert strict.post("/login", {"username": "audrey", "password": PASSWORD,
                                  "csrfmiddlewaretoken": token}).status_code == 302
    assert strict.post("/logout").status_code == 403  # no token: not logged out
    assert strict.get("/").status_code == 200


def test_passwords_are_kept_as_argon2_hashes(city):
    from django.contrib.auth.models import User

    assert User.objects.get(username="sam").password.startswith("argon2$argon2id$")


def test_a_verified_inspection_is_only_ever_the_servers_verdict(city, live_server):
    """A record can only reach the tables through the checks: there is no other way
    in, and what the server derives says verified only for complete chains."""
    from detector.server import models as m

    records = [Record.from_json(r) for r in tampered(city.office_book, city.device,
                                                      lambda rs: None)]
    status, _ = post(live_server, city.token, city.device, [r.to_json() for r in records[:3]])
    assert status == 200
    ins = m.Inspection.objects.get(id="insp-00000")
    assert ins.ended is None and ins.result == ""  # open until its closing record arrives
    push(city.office_book, Server(live_server, city.token, allow_http=True))
    ins.refresh_from_db()
    assert ins.verified and ins.result == "suspicious"


def test_set_up_and_push_from_the_command_line(server_db, tmp_path, live_server, capsys):
    from detector.cli import main
    from detector.server import models as m
    from detector.server.evidence_store import store
    from tests.logbooks import device_logbook

    device = device_logbook(tmp_path / "device", inspections=2, location="LOC-1", team="t1")
    office = tmp_path / "office"
    from detector.logbook.export import export_logbook, import_export
    from detector.logbook.store import Logbook

    with Logbook(office) as book:
        import_export(book, export_logbook(device, tmp_path / "drive"))
    device.close()
    for argv in (["add-district", "East"], ["add-team", "t1", "--district", "East"],
                 ["add-location", "LOC-1", "--district", "East", "--risk", "high",
                  "--title", "Park toilets"],
                 ["add-office", "east-office", "--district", "East"]):
        assert main(["server", *argv]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    (tmp_path / "token").write_text(token + "\n")
    assert main(["server", "add-device", "--office", "east-office", "--logbook",
                 str(office)]) == 0
    (tmp_path / "pw").write_text(PASSWORD)
    assert main(["server", "add-user", "erin", "--role", "supervisor", "--district", "East",
                 "--password-file", str(tmp_path / "pw")]) == 0
    (tmp_path / "short").write_text("short")
    assert main(["server", "add-user", "eve", "--password-file", str(tmp_path / "short")]) != 0
    assert "password:" in capsys.readouterr().err
    assert main(["push", live_server, "--dir", str(office), "--token-file",
                 str(tmp_path / "token"), "--insecure-http"]) == 0
    assert "pushed" in capsys.readouterr().out
    assert m.Inspection.objects.filter(location_id="LOC-1", verified=True).count() == 2
    assert m.Location.objects.get(id="LOC-1").last_inspected is not None
    # Evidence damaged on the server's disk: found on demand, and not served.
    sha = m.Evidence.objects.first().sha256
    store().path(sha).write_bytes(b"damaged")
    assert main(["server", "check-evidence"]) == 1
    assert f"evidence {sha}: missing or damaged" in capsys.readouterr().out
    c = signed_in("erin")
    owner = m.Inspection.objects.filter(evidence__contains=[sha]).first()
    assert c.get(f"/evidence/{sha}").status_code == 410
    assert c.get(f"/inspections/{owner.id}").status_code == 200
    # An unreachable server is one line, not a traceback.
    assert main(["push", "http://127.0.0.1:9", "--dir", str(office), "--token-file",
                 str(tmp_path / "token"), "--insecure-http"]) != 0
    assert "cannot reach the server" in capsys.readouterr().err


def test_generated_logbooks_are_verified_on_the_way_in_and_reproducible(server_db):
    from detector.server import models as m
    from detector.server.generator import CityPlan, inspections, plan_city
    from detector.server.populate import populate

    plan = CityPlan(districts=2, restrooms=10, months=3, high_risk=0.3, seed=4)
    first = [r.hash for _d, records in inspections(plan_city(plan)) for r in records]
    again = [r.hash for _d, records in inspections(plan_city(plan)) for r in records]
    assert first == again  # the same city, keys and records for a seed
    populate(plan_city(plan))
    assert m.Record.objects.count() == len(first)
    assert m.Inspection.objects.filter(verified=True).count() == m.Inspection.objects.count() > 0
    weekly = m.Inspection.objects.filter(location__risk="high").count()
    monthly = m.Inspection.objects.filter(location__risk="normal").count()
    highs = m.Location.objects.filter(risk="high").count()
    assert highs and weekly / highs > 2 * monthly / m.Location.objects.filter(risk="normal").count()
    # Findings come with their snapshot and RF spectrum, stored intact by their SHA-256.
    from detector.server.evidence_store import store

    found = m.Inspection.objects.filter(findings__gt=0)
    assert found.count() > 0
    assert all(len(i.evidence) == 2 for i in found)
    named = {sha for i in found for sha in i.evidence}
    assert set(m.Evidence.objects.values_list("sha256", flat=True)) == named
    assert all(store().read(sha) is not None for sha in named)
    assert {e.media_type for e in m.Evidence.objects.all()} == {"image/png", "application/json"}


def test_the_demo_city(server_db, tmp_path, capsys):
    from detector.cli import main

    (tmp_path / "pw").write_text(PASSWORD)
    assert main(["server", "demo", "--password-file", str(tmp_path / "pw")]) == 0
    assert "inspections of 24 restrooms" in capsys.readouterr().out
    assert signed_in("supervisor").get("/").status_code == 200


def test_coverage_and_pace_per_team(city, live_server):
    push(city.office_book, Server(live_server, city.token, allow_http=True))
    push(city.other_book, Server(live_server, city.other_token, allow_http=True))
    page = signed_in("audrey").get("/teams").content.decode()
    rows = page.split('<table id="teams">')[1]
    # Each generated inspection covers 0.7 and takes an hour (tests/logbooks.py).
    assert "<td>north</td><td>North</td><td>4</td>" in rows
    assert "<td>south</td><td>South</td><td>4</td>" in rows
    assert rows.count("0.70") >= 2 and rows.count("60.0") == 2
    assert '<span id="period">2026Q4</span>' in page  # the latest inspection's quarter
    earlier = signed_in("audrey").get("/teams?quarter=2026Q3").content.decode()
    assert "<td>north</td>" not in earlier and "none" in earlier
    assert signed_in("audrey").get("/teams?quarter=2026Q9").status_code == 400
    own = signed_in("sam").get("/teams").content.decode()
    assert "<td>north</td>" in own and "<td>south</td>" not in own  # the district only
    assert client().get("/teams").status_code == 302


def test_the_schedule_under_its_policy(server_db):
    """Due = last inspected + the risk's interval; never inspected and past due are
    overdue (never inspected first, then the longest overdue), then due within a week,
    then up to date; a risk the policy does not name gets the normal interval."""
    from datetime import UTC, datetime, timedelta

    from detector.server import models as m
    from detector.server.schedule import BadPolicy, policy, schedule

    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    district = m.District.objects.create(name="East")
    for loc, risk, days_ago in (("never", "normal", None), ("late-40", "normal", 40),
                                ("late-90", "normal", 90), ("soon", "normal", 25),
                                ("fine", "normal", 3), ("weekly-late", "high", 8),
                                ("weekly-fine", "high", 2), ("odd-risk", "unnamed", 31)):
        m.Location.objects.create(
            id=loc, name=loc, district=district, risk=risk,
            last_inspected=None if days_ago is None else now - timedelta(days=days_ago))
    rules = policy("normal=30,high=7")
    due = schedule(m.Location.objects.all(), now, rules)
    order = [d.location.id for d in due.rows]
    assert order == ["never", "late-90", "late-40", "odd-risk", "weekly-late", "soon",
                     "weekly-fine", "fine"]
    status = {d.location.id: (d.status, d.days_over) for d in due.rows}
    assert status["late-90"] == ("overdue", 60) and status["weekly-late"] == ("overdue", 1)
    assert status["never"] == ("overdue", 0) and status["soon"] == ("due-soon", 0)
    assert status["weekly-fine"] == ("due-soon", 0) and status["fine"] == ("ok", 0)
    assert due.counts == {"overdue": 5, "due-soon": 2, "ok": 1}
    # A stricter policy, and a limit that keeps the counts whole.
    strict = schedule(m.Location.objects.all(), now, policy("normal=20,high=1"), limit=3)
    assert strict.counts == {"overdue": 7, "due-soon": 0, "ok": 1}
    assert [d.location.id for d in strict.rows] == ["never", "late-90", "late-40"]
    second = schedule(m.Location.objects.all(), now, policy("normal=20,high=1"), limit=3,
                      offset=3)
    assert [d.location.id for d in second.rows] == ["odd-risk", "weekly-late", "soon"]
    for bad in ("normal=thirty", "high=0", "normal"):
        with pytest.raises(BadPolicy):
            policy(bad)


@pytest.mark.parametrize("case", ["unreadable body", "clashes with a stored inspection"])
def test_a_forged_push_is_named_as_forged_whatever_it_breaks(city, live_server, case):
    """The signatures are checked while the push is written inside its transaction:
    a forged record that cannot be read, or that collides with what is stored, is
    still named as forged, and nothing of the push is kept."""
    from detector.logbook.chain import record_hash
    from detector.server import models as m

    records = tampered(city.office_book, city.device, lambda rs: None)
    starts = [i for i, r in enumerate(records) if r["kind"] == "inspection-start"]
    cut = starts[1]
    status, _ = post(live_server, city.token, city.device, records[:cut])
    assert status == 200
    stored = (m.Record.objects.count(), m.Inspection.objects.count(), m.Alert.objects.count())
    forged = [dict(r) for r in records[cut:]]
    forged[0]["body"] = ("not json" if case == "unreadable body" else records[0]["body"])
    prev = records[cut - 1]["hash"]
    for r in forged:  # a chain that links and hashes correctly, but is not signed
        r["prev"] = prev
        r["hash"] = prev = record_hash(r["seq"], r["kind"], r["body"], prev)
    status, answer = post(live_server, city.token, city.device, forged)
    assert status == 422 and answer["refused"][0].startswith(f"record {cut + 1}: forged")
    assert (m.Record.objects.count(), m.Inspection.objects.count(),
            m.Alert.objects.count()) == stored


def test_inspections_per_month_match_the_statistics(city, live_server):
    """The chart's counts for a month are the statistics' totals for that month."""
    import re

    push(city.office_book, Server(live_server, city.token, allow_http=True))
    push(city.other_book, Server(live_server, city.other_token, allow_http=True))
    for user, districts in (("sam", 1), ("audrey", 2)):
        c = signed_in(user)
        page = c.get("/statistics").content.decode()
        stats = c.get("/statistics.json?month=2026-11").json()["total"]
        row = re.search(r"<tr><td>2026-11</td>(.*?)</tr>", page).group(1)
        counts = [int(n) for n in re.findall(r"<td>(\d+)</td>", row)]
        kinds = ["clear", "incomplete", "suspicious", "device-found", "open", "unverified"]
        assert dict(zip(kinds, counts[:-1], strict=True)) == {k: stats[k] for k in kinds}
        assert counts[-1] == stats["inspections"] == 4 * districts
        assert page.count("<tr><td>") == 12  # twelve months, up to the latest inspection
        assert "<tr><td>2025-12</td>" in page and "2026-12" not in page
        assert 'class="result-suspicious"' in page  # the findings drawn
    assert signed_in("ines").get("/statistics").status_code == 403


def test_the_monthly_counts_follow_pushes_cut_anywhere(city, live_server):
    """The running counts the chart reads equal a count of the stored inspections, when
    a push is cut in the middle of inspections (an inspection opened by one batch and
    closed by another moves from "open" to its result)."""
    from datetime import UTC

    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    from detector.server import models as m

    records = tampered(city.office_book, city.device, lambda rs: None)
    for start in range(0, len(records), 3):
        status, _ = post(live_server, city.token, city.device, records[start:start + 3])
        assert status == 200
        counted = {(c.month, c.district_id, c.verified, c.result): c.inspections
                   for c in m.MonthCount.objects.filter(inspections__gt=0)}
        truth = {(r["month"].date(), r["district_id"], r["verified"], r["result"]): r["n"]
                 for r in m.Inspection.objects.annotate(
                     month=TruncMonth("started", tzinfo=UTC))
                 .values("month", "district_id", "verified", "result")
                 .annotate(n=Count("id")).order_by()}
        assert counted == truth
    assert sum(counted.values()) == 4 and "" not in {k[3] for k in counted}  # all closed


def test_statistics_kept_ready_are_counted_again_after_every_write(city, live_server):
    """The JSON kept ready for a period is served again only while nothing it counts has
    changed: pushes cut anywhere (a finding, a closing record, a new inspection) each
    make the next answer equal a fresh count of what is stored."""
    import msgspec

    auditor = signed_in("audrey")
    records = tampered(city.office_book, city.device, lambda rs: None)
    served = []
    for start in range(0, len(records), 3):
        assert post(live_server, city.token, city.device, records[start:start + 3])[0] == 200
        fresh = office_tally(parse_period(month="2026-11"))  # from every inspection
        for _ in range(2):  # counted, then kept ready
            answer = auditor.get("/statistics.json?month=2026-11").json()
            assert answer == msgspec.json.decode(msgspec.json.encode(fresh))
        served.append(answer)
    assert served[-1] == statistics(city.office_book, parse_period(month="2026-11"))
    assert len({msgspec.json.encode(s) for s in served}) > len(records) // 6  # they did change


def test_the_findings_list_shows_what_was_found_where(city, live_server):
    from detector.server import models as m

    push(city.office_book, Server(live_server, city.token, allow_http=True))
    page = signed_in("sam").get("/inspections?found=1").content.decode()
    found = set(m.Inspection.objects.filter(findings__gt=0).values_list("id", flat=True))
    quiet = set(m.Inspection.objects.filter(findings=0).exclude(
        peak_level__in=("lens-confirmed", "camera-likely")).values_list("id", flat=True))
    assert found and quiet  # the city has both
    assert all(f"/inspections/{i}" in page for i in found)
    assert not any(f"/inspections/{i}" in page for i in quiet)
