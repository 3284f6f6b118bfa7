"""The period statistics, from sums kept in the database: a row per period, district and
location (`PeriodSums`), added up per location by PostgreSQL and finished in C, as
`detector report` finishes them for the office (`statistics_of`; tests hold the two
equal on the same records).

A city's quarter is a row per restroom (tens of thousands). Counting it from the
inspections takes a second or more here, and a push touches one district: so the sums
are kept per period and district, and a district's are counted again (from its
inspections of the period) only when its writes in the period (`MonthChange`, bumped by
every push that stores or changes one of its inspections) have moved since, at the next
request for them. The finished JSON is kept ready in the process too, under the same
write counts.

The sums are counted and read on the primary: they are written there, and a replica may
not have them yet."""

from __future__ import annotations

import hashlib
from itertools import groupby, starmap
from operator import itemgetter
from typing import Any

import msgspec
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import (
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Collate, NullIf

from detector.logbook.report import (
    NO_LOCATION,
    RESULTS,
    STATISTICS_FIELDS,
    Period,
    mean_coverage,
    month_of,
    period_label,
    quarter_of,
    statistics_totals,
)
from detector.server import bulk
from detector.server import models as m


def within_period(rows: QuerySet[m.Inspection], period: Period | None) -> QuerySet[m.Inspection]:
    if period is None:
        return rows
    start, end = period.bounds()
    return rows.filter(started__gte=start, started__lt=end)


def _months(rows: QuerySet, period: Period | None) -> QuerySet:
    """Rows kept per month (MonthChange) of the months `period` covers."""
    if period is None:
        return rows
    start, end = period.days()
    return rows.filter(month__gte=start, month__lt=end)


def _scope_writes(changes: QuerySet[m.MonthChange], period: Period | None) -> list[tuple]:
    """The write counts of every month and district the statistics of `period` cover,
    for `changes`' scope: (month, district id, writes), in order."""
    return list(_months(changes, period).using(DEFAULT_DB_ALIAS)
                .order_by("month", "district_id").values_list("month", "district_id", "writes"))


def _count_stale(writes: list[tuple], period: Period | None) -> int:
    """Count again the period's sums of the districts of `writes` (_scope_writes) that
    were written since they were counted; how many districts were."""
    start, end = (None, None) if period is None else period.days()
    return bulk.recount_period_sums(period_label(period), start, end,
                                    {district for _month, district, _n in writes},
                                    NO_LOCATION, RESULTS)


def count_stale_sums(changes: QuerySet[m.MonthChange], period: Period | None) -> int:
    """Count again the period's PeriodSums of the districts of `changes`' scope that were
    written since they were counted; how many districts were."""
    return _count_stale(_scope_writes(changes, period), period)


def count_every_period(changes: QuerySet[m.MonthChange]) -> list[str]:
    """Count the sums of every month and quarter that has inspections, and of all time,
    wherever they are stale: after the server is set up or migrated, so that no reader
    waits for a whole city's count (about a second a period at a city's scale). The
    periods, in order."""
    months = sorted(set(changes.using(DEFAULT_DB_ALIAS).values_list("month", flat=True)))
    periods = [month_of(d) for d in months]
    periods += sorted({quarter_of(d) for d in months}, key=lambda p: p.start)
    for period in [*periods, *([None] if months else [])]:
        count_stale_sums(changes, period)
    return [period_label(p) for p in periods] + (["all"] if months else [])


_ROW = ("location", "name", "inspections", "clear", "incomplete", "suspicious",
        "device_found", "open", "unverified", "findings")  # then the mean, the coverage


def rows_query(sums: QuerySet[m.PeriodSums], period: Period | None) -> QuerySet:
    """The period's sums, one row per district and location: the statistics' fields, then
    the verified inspections' coverage in thousandths, sorted by location as Python
    sorts text. The mean coverage is rounded here as `mean_coverage` does: to the
    thousandth, half up, in integers (tests hold the two equal)."""
    verified = F("inspections") - F("unverified")
    # int / int divides in integers in PostgreSQL; no verified inspection: null
    mean = Cast(ExpressionWrapper((2 * F("coverage_milli") + verified)
                                  / (2 * NullIf(verified, 0)), output_field=IntegerField()),
                FloatField()) / Value(1000.0)
    return (sums.filter(period=period_label(period)).annotate(mean=mean)
            .order_by(Collate("location", "C")).values_list(*_ROW, "mean", "coverage_milli"))


def location_rows(sums: QuerySet[m.PeriodSums], period: Period | None) -> list[tuple]:
    """Each location's statistics row (report.STATISTICS_FIELDS, then its coverage in
    thousandths), from the period's `sums`. A location has one row of sums per district
    that inspected it: almost always one, so they are read as they are (adding up
    50,000 single rows in the database would cost more than the rest of the count), and
    the few in two districts are joined here."""
    sums = sums.using(DEFAULT_DB_ALIAS)
    rows = bulk.tuples(rows_query(sums, period))
    if len(set(map(itemgetter(0), rows))) == len(rows):
        return rows
    return _joined(rows, sums, period)


def _joined(rows: list[tuple], sums: QuerySet[m.PeriodSums], period: Period | None
            ) -> list[tuple]:
    """`rows` (sorted by location) with each location's rows added up into one, named as
    in its first inspection of the period (by start, then id)."""
    twice = [key for key, group in groupby(map(itemgetter(0), rows)) if len(list(group)) > 1]
    first = dict(sums.filter(period=period_label(period), location__in=twice)
                 .order_by("location", "first_started", "first_id").distinct("location")
                 .values_list("location", "name"))
    out = []
    for key, group in groupby(rows, key=itemgetter(0)):
        parts = list(group)
        if len(parts) == 1:
            out.append(parts[0])
            continue
        n, clear, incomplete, suspicious, device_found, open_, unverified, findings = (
            sum(p[i] for p in parts) for i in range(2, 10))
        milli = sum(p[11] for p in parts)
        out.append((key, first[key], n, clear, incomplete, suspicious, device_found, open_,
                    unverified, findings, mean_coverage(milli, n - unverified), milli))
    return out


# A location's entry in the JSON: made and written in C (a city's month is 50,000 of
# them), with the office's field names (statistics_of).
_Entry = msgspec.defstruct(
    "LocationStatistics", [(f.replace("-", "_"), Any) for f in STATISTICS_FIELDS],
    rename={f.replace("-", "_"): f for f in STATISTICS_FIELDS})
_ENTRY_FIELDS = itemgetter(slice(0, len(STATISTICS_FIELDS)))


def statistics_document(rows: list[tuple], period: Period | None) -> bytes:
    """The statistics as JSON, as `statistics_of` makes them for the office, from each
    location's row in location order (STATISTICS_FIELDS; anything after is left out)."""
    return msgspec.json.encode({
        "period": period_label(period),
        "total": statistics_totals(rows),
        "locations": list(starmap(_Entry, map(_ENTRY_FIELDS, rows)))})


def count_statistics(changes: QuerySet[m.MonthChange], sums: QuerySet[m.PeriodSums],
                     period: Period | None) -> bytes:
    """What `detector report` computes for the same records, as JSON, for the scope of
    `changes` and `sums` (the same district, or the whole city)."""
    count_stale_sums(changes, period)
    return statistics_document(location_rows(sums, period), period)


def statistics_json(changes: QuerySet[m.MonthChange], sums: QuerySet[m.PeriodSums],
                    period: Period | None) -> bytes:
    """The statistics as JSON, for the scope of `changes` and `sums`. Kept ready until
    one of the write counts moves (read before the sums are counted: a push between the
    two leaves the newer figures under the older stamp, never the reverse)."""
    writes = _scope_writes(changes, period)
    database = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
    key = "statistics:" + hashlib.sha256(
        f"{database}|{sums.query}|{period_label(period)}|{writes!r}".encode()
    ).hexdigest()
    cache = caches["statistics"]
    body = cache.get(key)
    if body is None:
        _count_stale(writes, period)
        body = statistics_document(location_rows(sums, period), period)
        cache.set(key, body)
    return body
