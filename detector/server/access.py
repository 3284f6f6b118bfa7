"""Who may see what: an inspector their team's inspections and their district's
schedule, a supervisor their district (the inspections of its restrooms, and of its
teams where the server does not know the restroom), an auditor everything (read-only),
an administrator the users (and no inspection)."""

from __future__ import annotations

from django.db import models
from django.db.models import QuerySet

from detector.server import models as m


def profile(user) -> m.Profile | None:
    if not user.is_authenticated:
        return None
    return m.Profile.objects.filter(user=user).select_related("district", "team").first()


def district_of(p: m.Profile) -> int | None:
    if p.district_id is not None:
        return p.district_id
    return p.team.district_id if p.team is not None else None


def inspections_for(p: m.Profile) -> QuerySet[m.Inspection]:
    all_ = m.Inspection.objects.all()
    if p.role == "auditor":
        return all_
    if p.role == "supervisor":
        return all_.filter(district_id=district_of(p))
    if p.role == "inspector":
        return all_.filter(team_id=p.team_id)
    return all_.none()


def locations_for(p: m.Profile) -> QuerySet[m.Location]:
    if p.role == "auditor":
        return m.Location.objects.all()
    if p.role in ("supervisor", "inspector"):
        return m.Location.objects.filter(district_id=district_of(p))
    return m.Location.objects.none()


def per_district_for(p: m.Profile, model: type[models.Model]) -> QuerySet:
    """The rows of a table kept per district (the monthly counts, writes and sums)
    that cover what `inspections_for` would show, for supervisors and auditors."""
    if p.role == "auditor":
        return model.objects.all()
    if p.role == "supervisor":
        return model.objects.filter(district_id=district_of(p))
    return model.objects.none()
