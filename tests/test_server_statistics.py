"""The server adds the period statistics up in PostgreSQL; they must be what the office's
`tally` makes of the same inspections, on the cases where the two could part: an
inspection without a location, a renamed location (its first name counts), unverified
inspections, a result the statistics do not know, no coverage, a mean that falls on a
half thousandth, and the period's edges."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from detector.logbook.report import (
    NO_LOCATION,
    Tally,
    mean_coverage,
    parse_period,
    tally,
)


@pytest.fixture
def device(server_db):
    from detector.server import models as m

    district = m.District.objects.create(name="North")
    office = m.Office.objects.create(name="office", district=district, token_sha256="0" * 64)
    return m.Device.objects.create(id="d" * 16, public_key=b"k" * 32, office=office)


def add(device, n, location, name, started, verified=True, result="clear", coverage=0.8,
        findings=0):
    from detector.server import models as m

    return m.Inspection.objects.create(
        id=f"insp-{n:05d}", device=device, location_id_text=location, location_name=name,
        started=started, result=result, coverage=coverage, findings=findings,
        verified=verified, first_seq=n, last_seq=n)


def office_tally(period):
    """The office's count of the same rows, in time order."""
    from detector.server import models as m
    from detector.server.statistics import within_period

    rows = within_period(m.Inspection.objects.all(), period).order_by("started", "id")
    return tally([Tally(r.location_id_text, r.location_name, r.verified, r.result,
                        r.coverage, r.findings) for r in rows], period)


def test_the_edge_cases_are_counted_as_the_office_counts_them(device):
    from detector.server import models as m
    from detector.server.statistics import compute_statistics

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
    served = compute_statistics(m.Inspection.objects.all(), period)
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
    assert compute_statistics(m.Inspection.objects.all(), quarter) == office_tally(quarter)
    assert compute_statistics(m.Inspection.objects.all(), None) == office_tally(None)


def test_random_inspections_are_counted_as_the_office_counts_them(device):
    from detector.server import models as m
    from detector.server.statistics import compute_statistics

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
        served = compute_statistics(m.Inspection.objects.all(), period)
        assert served == office_tally(period)
        assert served["total"]["inspections"] == m.Inspection.objects.filter(
            **({} if period is None else dict(zip(
                ("started__gte", "started__lt"), period.bounds(), strict=True)))).count()


def test_a_scope_limits_the_sums(device):
    from detector.server import models as m
    from detector.server.statistics import compute_statistics

    other = m.District.objects.create(name="South")
    t = datetime(2026, 11, 3, tzinfo=UTC)
    add(device, 1, "STN-A", "A", t)
    add(device, 2, "STN-S", "S", t)
    m.Inspection.objects.filter(id="insp-00002").update(district=other)
    served = compute_statistics(m.Inspection.objects.filter(district=other), None)
    assert [e["location"] for e in served["locations"]] == ["STN-S"]


@pytest.mark.parametrize("milli, verified, mean", [
    (0, 0, None), (0, 3, 0.0), (1601, 2, 0.801), (1599, 2, 0.8), (2000, 3, 0.667),
    (1000, 1, 1.0)])
def test_the_mean_coverage_rounds_half_up_in_thousandths(milli, verified, mean):
    assert mean_coverage(milli, verified) == mean
