"""A read replica for the dashboard (docs/server.md, "Scaling").

With DETECTOR_DATABASE_REPLICA_URL set, the dashboard's pages (GET requests outside
/api/) read the city's inspections, records and set-up from a PostgreSQL streaming
replica, so that a busy dashboard does not slow the offices' pushes. Everything else
reads and writes the primary: pushes and their checks (a device's head must be the
latest), logins, sessions and users (a user who has just logged in must be found),
and every write."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
_dashboard_read: ContextVar[bool] = ContextVar("dashboard_read", default=False)
# What a login needs at once (its profile, failed attempts): never read behind.
_PRIMARY_ONLY = {"profile", "loginfailure"}


class DashboardReadsFromReplica:
    """The database router."""

    def db_for_read(self, model, **hints) -> str | None:
        if (_dashboard_read.get() and REPLICA in settings.DATABASES
                and model._meta.app_label == "server"
                and model._meta.model_name not in _PRIMARY_ONLY):
            return REPLICA
        return None

    def db_for_write(self, model, **hints) -> str | None:
        return "default"

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        return True  # the replica is a copy of the primary

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool | None:
        return db == "default"


def replica_reads(get_response: Callable[[HttpRequest], HttpResponse]):
    """Middleware: a dashboard page's reads go to the replica, when there is one."""

    def middleware(request: HttpRequest) -> HttpResponse:
        token = _dashboard_read.set(request.method in ("GET", "HEAD")
                                    and not request.path.startswith("/api/"))
        try:
            return get_response(request)
        finally:
            _dashboard_read.reset(token)

    return middleware
