"""The server adds the period statistics up in PostgreSQL; they must be what the office's
`tally` makes of the same inspections, on the cases where the two could part: an
inspection without a location, a renamed location (its first name counts), unverified
inspections, a result the statistics do not know, no coverage, a mean that falls on a
half thousandth, and the period's edges."""

import random
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from detector.logbook.report import NO_LOCATION, mean_coverage, parse_period
from tests.server_env import office_tally


@pytest.fixture
def device(server_db):
    from detector.server import models as m

    district = m.District.objects.create(name="North")
    office = m.Office.objects.create(name="office", district=district, token_sha256="0" * 64)
    return m.Device.objects.create(id="d" * 16, public_key=b"k" * 32, office=office)


def add(device, n, location, name, started, verified=True, result="clear", coverage=0.8,
        findings=0):
    from detector.server import models as m

    row = m.Inspection.objects.create(
        id=f"insp-{n:05d}", device=device, location_id_text=location, location_name=name,
        started=started, result=result, coverage=coverage, findings=findings,
        verified=verified, first_seq=n, last_seq=n)
    written(row)
    return row


def written(row, district_id=None):
    """Count a write of `row`'s month and district, as a push that stores or changes an
    inspection does (derive.py)."""
    from detector.server import bulk

    month = row.started.astimezone(UTC).date().replace(day=1)
    bulk.add_month_changes({(month, row.district_id if district_id is None
                             else district_id): 1})


def served_statistics(period, district=...):
    """The server's statistics for the whole city, or for one district."""
    from detector.server import models as m
    from detector.server.statistics import count_statistics

    changes, sums = m.MonthChange.objects.all(), m.PeriodSums.objects.all()
    if district is not ...:
        changes, sums = changes.filter(district=district), sums.filter(district=district)
    return msgspec.json.decode(count_statistics(changes, sums, period))


def test_the_edge_cases_are_counted_as_the_office_counts_them(device):

    t = datetime(2026, 11, 3, 9, tzinfo=UTC)
    add(device, 1, "STN-A", "Old name", t)
    add(device, 2, "STN-A", "New name", t + timedelta(days=5), coverage=0.801)  # mean .8005
    add(device, 3, "STN-A", "New name", t + timedelta(days=6), verified=False,
        result="device-found", findings=2)  # counted only as unverified
    add(device, 4, "", "", t, result="", coverage=None)  # no location, no result
    add(device, 5, "STN-B", "Bee", t, result="odd-result", findings=1)
    add(device, 6, "STN-B", "Bee", t, result="suspicious", findings=1, coverage=0.5)
    add(device, 7, "STN-B", "Bee", datetime(2026, 12, 1, tzinfo=UTC))  # next month
    add(device, 8, "STN-B", "Bee", datetime(2026, 11, 1, tzinfo=UTC))  # first instant

    period = parse_period(month="2026-11")
    served = served_statistics(period)
    assert served == office_tally(period)
    by = {e["location"]: e for e in served["locations"]}
    assert by["STN-A"]["name"] == "Old name"
    assert by["STN-A"]["inspections"] == 3 and by["STN-A"]["unverified"] == 1
    assert by["STN-A"]["device-found"] == 0 and by["STN-A"]["findings"] == 0
    assert by["STN-A"]["mean_coverage"] == 0.801  # (800 + 801) / 2 = 800.5 rounds up
    assert by[NO_LOCATION]["open"] == 1 and by[NO_LOCATION]["mean_coverage"] == 0.0
    assert by["STN-B"]["inspections"] == 3 and by["STN-B"]["open"] == 1
    assert by["STN-B"]["findings"] == 2
    assert served["total"]["inspections"] == 7
    quarter = parse_period(quarter="2026Q4")
    assert served_statistics(quarter) == office_tally(quarter)
    assert served_statistics(None) == office_tally(None)


def test_random_inspections_are_counted_as_the_office_counts_them(device):
    from detector.server import models as m

    rng = random.Random(7)
    start = datetime(2026, 9, 20, tzinfo=UTC)
    for n in range(300):
        add(device, n, rng.choice(["STN-1", "STN-2", "STN-3", "", "STN-4"]),
            rng.choice(["a", "b"]), start + timedelta(hours=rng.randrange(24 * 120)),
            verified=rng.random() > 0.1,
            result=rng.choice(["clear", "incomplete", "suspicious", "device-found", ""]),
            coverage=rng.choice([None, round(rng.uniform(0, 1), 3)]),
            findings=rng.randrange(3))
    for period in (parse_period(quarter="2026Q4"), parse_period(month="2026-10"), None):
        served = served_statistics(period)
        assert served == office_tally(period)
        assert served["total"]["inspections"] == m.Inspection.objects.filter(
            **({} if period is None else dict(zip(
                ("started__gte", "started__lt"), period.bounds(), strict=True)))).count()


def test_a_scope_limits_the_sums(device):
    from detector.server import models as m

    other = m.District.objects.create(name="South")
    t = datetime(2026, 11, 3, tzinfo=UTC)
    add(device, 1, "STN-A", "A", t)
    add(device, 2, "STN-S", "S", t)
    moved = m.Inspection.objects.get(id="insp-00002")
    assert served_statistics(None)["total"]["inspections"] == 2  # counted where it was
    m.Inspection.objects.filter(id="insp-00002").update(district=other)
    written(moved)
    written(moved, other.id)
    served = served_statistics(None, other)
    assert [e["location"] for e in served["locations"]] == ["STN-S"]
    assert [e["location"] for e in served_statistics(None, None)["locations"]] == ["STN-A"]
    assert served_statistics(None)["total"]["inspections"] == 2


def test_only_the_sums_written_since_they_were_counted_are_counted_again(device):
    """A push touches one district: the other districts' sums of the period stay as
    they were counted, and the statistics still equal a count of every inspection."""
    from detector.server import models as m
    from detector.server.statistics import count_stale_sums

    south = m.District.objects.create(name="South")
    t = datetime(2026, 10, 5, tzinfo=UTC)
    add(device, 1, "STN-A", "A", t)
    moved = add(device, 2, "STN-S", "S", t + timedelta(days=31))  # November
    m.Inspection.objects.filter(id=moved.id).update(district=south)
    written(moved, south.id)
    quarter, everything = parse_period(quarter="2026Q4"), m.MonthChange.objects.all()
    assert count_stale_sums(everything, quarter) == 2  # never counted: both districts
    assert count_stale_sums(everything, quarter) == 0
    before = {s.location: (s.pk, s.inspections) for s in m.PeriodSums.objects.all()}
    add(device, 3, "STN-A", "A", t + timedelta(days=33))  # no district, November
    assert count_stale_sums(m.MonthChange.objects.filter(district=south), quarter) == 0
    assert count_stale_sums(everything, parse_period(month="2026-10")) == 1  # its own sums
    assert served_statistics(quarter) == office_tally(quarter)  # counted again
    after = {s.location: (s.pk, s.inspections) for s in
             m.PeriodSums.objects.filter(period="2026Q4")}
    assert after == {"STN-A": (before["STN-A"][0], 2), "STN-S": before["STN-S"]}
    assert count_stale_sums(everything, quarter) == 0


def test_a_location_inspected_from_two_districts_is_counted_once(device):
    """Sums are kept per district: a restroom that two districts' teams inspected has a
    row in each, and the city's statistics join them (its first name, one mean)."""
    from detector.server import models as m

    north, south = device.office.district, m.District.objects.create(name="South")
    t = datetime(2026, 11, 3, tzinfo=UTC)
    rows = [(add(device, 1, "STN-X", "Later name", t + timedelta(days=2)), north),
            (add(device, 2, "STN-X", "First name", t, coverage=0.801, result="suspicious",
                 findings=1), south),
            (add(device, 3, "STN-Y", "Y", t), north)]
    for row, district in rows:
        m.Inspection.objects.filter(id=row.id).update(district=district)
        written(row, district.id)
    month = parse_period(month="2026-11")
    served = served_statistics(month)
    assert served == office_tally(month)
    x = next(e for e in served["locations"] if e["location"] == "STN-X")
    assert (x["name"], x["inspections"], x["suspicious"], x["findings"]) == (
        "First name", 2, 1, 1)
    assert x["mean_coverage"] == 0.801  # (800 + 801) / 2 rounds half up
    south_only = served_statistics(month, south)["locations"]
    assert [(e["location"], e["inspections"]) for e in south_only] == [("STN-X", 1)]


def test_every_period_is_counted_ahead_after_a_migration(device):
    """`detector server migrate` counts every period's sums, so that the first reader of
    a period does not wait for the whole city's count."""
    from detector.server import models as m
    from detector.server.statistics import count_every_period, count_stale_sums

    add(device, 1, "STN-A", "A", datetime(2026, 9, 30, 23, tzinfo=UTC))
    add(device, 2, "STN-A", "A", datetime(2026, 10, 1, tzinfo=UTC))
    everything = m.MonthChange.objects.all()
    assert count_every_period(everything) == ["2026-09", "2026-10", "2026Q3", "2026Q4",
                                              "all"]
    for period in (parse_period(month="2026-09"), parse_period(month="2026-10"),
                   parse_period(quarter="2026Q3"), parse_period(quarter="2026Q4"), None):
        assert count_stale_sums(everything, period) == 0  # ready
        assert served_statistics(period) == office_tally(period)


def test_the_migrate_command_counts_them(device, capsys):
    from detector.cli import main
    from detector.server import models as m

    add(device, 1, "STN-A", "A", datetime(2026, 11, 2, tzinfo=UTC))
    assert main(["server", "migrate"]) == 0
    assert "statistics counted: 1 month (2026-11 to 2026-11)" in capsys.readouterr().out
    assert m.PeriodSumsCounted.objects.filter(period__in=["2026-11", "2026Q4", "all"]
                                              ).count() == 3


@pytest.mark.parametrize("milli, verified, mean", [
    (0, 0, None), (0, 3, 0.0), (1601, 2, 0.801), (1599, 2, 0.8), (2000, 3, 0.667),
    (1000, 1, 1.0)])
def test_the_mean_coverage_rounds_half_up_in_thousandths(milli, verified, mean):
    assert mean_coverage(milli, verified) == mean
