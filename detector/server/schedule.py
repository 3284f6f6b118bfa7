"""Which locations are due or overdue, under the policy: days between inspections by a
location's risk (DETECTOR_SCHEDULE, e.g. "normal=30,high=7")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet

from detector.server import models as m

DUE_SOON_DAYS = 7


def policy(text: str | None = None) -> dict[str, int]:
    out = {}
    for part in (text or settings.SCHEDULE).split(","):
        risk, _, days = part.partition("=")
        out[risk.strip()] = int(days)
    return out


@dataclass(frozen=True)
class Due:
    location: m.Location
    due: datetime | None  # None: never inspected (due now)
    status: str  # overdue, due-soon, ok
    days_over: int


def schedule(locations: QuerySet[m.Location], now: datetime,
             rules: dict[str, int] | None = None) -> list[Due]:
    rules = rules or policy()
    out = []
    for loc in locations.select_related("district").order_by("last_inspected", "id"):
        interval = timedelta(days=rules.get(loc.risk, rules.get("normal", 30)))
        due = loc.last_inspected + interval if loc.last_inspected else None
        if due is None or due < now:
            over = (now - due).days if due else 0
            out.append(Due(loc, due, "overdue", over))
        elif due < now + timedelta(days=DUE_SOON_DAYS):
            out.append(Due(loc, due, "due-soon", 0))
        else:
            out.append(Due(loc, due, "ok", 0))
    order = {"overdue": 0, "due-soon": 1, "ok": 2}
    # Never inspected first, then the longest overdue.
    return sorted(out, key=lambda d: (order[d.status], d.due is not None, -d.days_over,
                                      d.location.id))
