"""The period statistics, added up in the database: one row of sums per location
(`LocationSums`), finished by the same code as `detector report` (`statistics_of`), so the
server and the office publish the same figures for the same records.

A city's quarter is a row per restroom (tens of thousands): the rows are summed by
PostgreSQL and read with the plain cursor, without making a model or a dict per
inspection. Even so, counting and writing a whole city's quarter takes a second or more,
and the figures of a past period rarely change: the JSON is kept ready, under the write
counts of the months and districts it covers (`MonthChange`, bumped by every push that
stores or changes one of their inspections), so it is counted again exactly when
something it counts may have changed."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from django.core.cache import caches
from django.db import connections
from django.db.models import Count, F, IntegerField, Max, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Coalesce, NullIf, Round

from detector.logbook.report import (
    COUNTED,
    NO_LOCATION,
    RESULTS,
    LocationSums,
    Period,
    statistics_of,
)
from detector.server import bulk
from detector.server import models as m


def within_period(rows: QuerySet[m.Inspection], period: Period | None) -> QuerySet[m.Inspection]:
    if period is None:
        return rows
    start, end = period.bounds()
    return rows.filter(started__gte=start, started__lt=end)


def _keyed(rows: QuerySet[m.Inspection]) -> QuerySet[m.Inspection]:
    """Rows with the location the statistics count them under (as the office does)."""
    return rows.annotate(key=Coalesce(NullIf(F("location_id_text"), Value("")),
                                      Value(NO_LOCATION)))


def sums_query(rows: QuerySet[m.Inspection]) -> QuerySet:
    """A row of sums per location of `rows`: key, lowest and highest name, inspections,
    unverified, the verified by result (COUNTED), coverage in thousandths, findings."""
    verified = Q(verified=True)
    # "open": verified with no result, or one the statistics do not know (as the office).
    unknown = Q(result__isnull=True) | ~Q(result__in=RESULTS)
    by_result = {f"n_{i}": Count("id", filter=verified & (unknown if x == "open"
                                                          else Q(result=x)))
                 for i, x in enumerate(COUNTED)}
    milli = Cast(Round(F("coverage") * 1000), IntegerField())
    # A location's first name in time order would need a sort within every location;
    # the lowest and highest names are cheap, and equal unless it was renamed.
    return (_keyed(rows.order_by()).values("key")
            .annotate(low=Min("location_name"), high=Max("location_name"),
                      n=Count("id"), n_unverified=Count("id", filter=Q(verified=False)),
                      **by_result,
                      milli=Coalesce(Sum(milli, filter=verified), 0),
                      found=Coalesce(Sum("findings", filter=verified), 0))
            .values_list("key", "low", "high", "n", "n_unverified", *by_result,
                         "milli", "found"))


def _first_names(rows: QuerySet[m.Inspection], keys: list[str]) -> dict[str, str]:
    """The name in each location's first inspection (by start, then id)."""
    if not keys:
        return {}
    return dict(_keyed(rows).filter(key__in=keys).order_by("key", "started", "id")
                .distinct("key").values_list("key", "location_name"))


def location_sums(rows: QuerySet[m.Inspection], period: Period | None) -> list[LocationSums]:
    """One row of sums per location, added up by the database."""
    rows = within_period(rows, period)
    fetched = bulk.tuples(sums_query(rows))
    renamed = _first_names(rows, [key for key, low, high, *_ in fetched if low != high])
    return [LocationSums(key, renamed.get(key, low), n, unverified, counts, milli, found)
            for key, low, _high, n, unverified, *counts, milli, found in fetched]


def compute_statistics(rows: QuerySet[m.Inspection], period: Period | None) -> dict[str, Any]:
    """What `detector report` computes for the same records."""
    return statistics_of(location_sums(rows, period), period)


def _writes_stamp(changes: QuerySet[m.MonthChange], period: Period | None) -> str:
    """The write counts of every month and district the statistics cover, as text."""
    if period is not None:
        start, end = (b.date() for b in period.bounds())
        changes = changes.filter(month__gte=start, month__lt=end)
    rows = changes.order_by("month", "district_id").values_list("month", "district_id",
                                                                "writes")
    return repr(list(rows))


def statistics_json(rows: QuerySet[m.Inspection], changes: QuerySet[m.MonthChange],
                    period: Period | None) -> bytes:
    """The statistics of `rows` as JSON; `changes`: the write counts of the same scope.
    Kept ready until one of those counts moves (read before the rows: a push between
    the two leaves the newer figures under the older stamp, never the reverse)."""
    stamp = _writes_stamp(changes, period)
    database = connections[rows.db].settings_dict["NAME"]
    key = "statistics:" + hashlib.sha256(
        f"{database}|{rows.query}|{period.label if period else 'all'}|{stamp}".encode()
    ).hexdigest()
    cache = caches["statistics"]
    body = cache.get(key)
    if body is None:
        body = orjson.dumps(compute_statistics(rows, period))  # in C: tens of MB/s
        cache.set(key, body)
    return body
