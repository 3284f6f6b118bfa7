"""Which locations are due or overdue, under the policy: days between inspections by a
location's risk (DETECTOR_SCHEDULE, e.g. "normal=30,high=7"; a risk the policy does not
name gets the "normal" interval).

Worked out in the database, so that a city's tens of thousands of locations are counted
and ordered without loading them: due = last inspected + the interval for the risk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
    When,
)

from detector.server import models as m

DUE_SOON_DAYS = 7
STATUSES = ("overdue", "due-soon", "ok")


class BadPolicy(ValueError):
    """DETECTOR_SCHEDULE is not risk=days, ... with whole days."""


def policy(text: str | None = None) -> dict[str, int]:
    out = {}
    for part in (text or settings.SCHEDULE).split(","):
        risk, _, days = part.partition("=")
        try:
            out[risk.strip()] = int(days)
        except ValueError:
            raise BadPolicy(f"schedule {part.strip()!r}: expected risk=days, for example "
                            "high=7") from None
        if out[risk.strip()] <= 0:
            raise BadPolicy(f"schedule {part.strip()!r}: days must be at least 1")
    return out


@dataclass(frozen=True)
class Due:
    location: m.Location
    due: datetime | None  # None: never inspected (due now)
    status: str  # overdue, due-soon, ok
    days_over: int


@dataclass(frozen=True)
class Schedule:
    counts: dict[str, int]  # per status, over every location
    rows: list[Due]  # one page of them, most urgent first


def _annotated(locations: QuerySet[m.Location], now: datetime,
               rules: dict[str, int]) -> QuerySet[m.Location]:
    normal = timedelta(days=rules.get("normal", 30))
    interval = Case(*(When(risk=risk, then=Value(timedelta(days=days)))
                      for risk, days in rules.items()), default=Value(normal))
    due = ExpressionWrapper(F("last_inspected") + interval, output_field=DateTimeField())
    soon = now + timedelta(days=DUE_SOON_DAYS)
    return locations.annotate(due=due).annotate(status=Case(
        When(Q(due__isnull=True) | Q(due__lt=now), then=Value("overdue")),
        When(due__lt=soon, then=Value("due-soon")),
        default=Value("ok"), output_field=CharField()))


def schedule(locations: QuerySet[m.Location], now: datetime,
             rules: dict[str, int] | None = None, limit: int = 100,
             offset: int = 0) -> Schedule:
    """Never inspected first, then the longest overdue, then the soonest due; rows
    `offset` to `offset + limit` of that order."""
    rows = _annotated(locations, now, rules or policy())
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({r["status"]: r["n"] for r in rows.order_by().values("status")
                   .annotate(n=Count("id"))})
    # The statuses follow the due date (never inspected, past due, within a week, later),
    # so ordering by it alone is the same order, and cheaper than by status first.
    first = rows.select_related("district").order_by(
        F("due").asc(nulls_first=True), "id")[offset:offset + limit]
    return Schedule(counts, [
        Due(loc, loc.due, loc.status,
            (now - loc.due).days if loc.status == "overdue" and loc.due else 0)
        for loc in first])
