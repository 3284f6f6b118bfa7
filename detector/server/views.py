"""The dashboard's pages. Every page needs a signed-in user and shows only what the
user's role allows (access.py); anything else is refused with 403, and an anonymous
request is sent to the login page."""

from __future__ import annotations

import io
from datetime import date, timedelta
from functools import wraps

import msgspec
from django.contrib.auth import authenticate, login, logout
from django.db.models import Avg, Count, F, Q, Sum
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseNotFound,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from detector.errors import DetectorError
from detector.logbook.report import (
    RESULTS,
    Period,
    parse_period,
    quarter_of,
    statistics_csv,
)
from detector.server import models as m
from detector.server.access import inspections_for, locations_for, per_district_for, profile
from detector.server.evidence_store import SHA256, store
from detector.server.evidence_view import sections
from detector.server.schedule import schedule as due_list
from detector.server.statistics import statistics_json, within_period

LOGIN_LIMIT = 5  # failures per user name, and 4 times that per address, in LOGIN_WINDOW
LOGIN_WINDOW = timedelta(minutes=15)


def signed_in(roles: tuple[str, ...] | None = None):
    def wrap(view):
        @wraps(view)
        def inner(request: HttpRequest, *args, **kwargs):
            p = profile(request.user)
            if p is None:
                return redirect(f"/login?next={request.path}")
            if roles is not None and p.role not in roles:
                return HttpResponseForbidden("your role may not see this page")
            request.profile = p
            return view(request, *args, **kwargs)
        return inner
    return wrap


def _address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")[:64]


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        username = request.POST.get("username", "")[:150]
        since = timezone.now() - LOGIN_WINDOW
        failures = m.LoginFailure.objects.filter(at__gte=since)
        if (failures.filter(username=username).count() >= LOGIN_LIMIT
                or failures.filter(address=_address(request)).count() >= 4 * LOGIN_LIMIT):
            return render(request, "server/login.html",
                          {"error": "too many failed attempts: try again in 15 minutes"},
                          status=429)
        user = authenticate(request, username=username,
                            password=request.POST.get("password", ""))
        if user is not None and profile(user) is not None:
            login(request, user)
            target = request.GET.get("next", "/")
            return redirect(target if target.startswith("/") and not target.startswith("//")
                            else "/")
        m.LoginFailure.objects.create(username=username, address=_address(request))
        error = "wrong user name or password"
    return render(request, "server/login.html", {"error": error},
                  status=401 if error else 200)


@require_http_methods(["POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("/login")


SCHEDULE_PAGE = 100  # locations a page (rendering, not the query, is what costs)


@signed_in(("inspector", "supervisor", "auditor"))
def schedule(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("page", "1")
    if not text.isdigit() or not 1 <= int(text) <= 100_000:
        return HttpResponse("page: expected a page number", status=400,
                            content_type="text/plain")
    page = int(text)
    due = due_list(locations_for(request.profile), timezone.now(), limit=SCHEDULE_PAGE,
                   offset=(page - 1) * SCHEDULE_PAGE)
    counts = {s.replace("-", "_"): n for s, n in due.counts.items()}
    total = sum(counts.values())
    widths = {k: round(400 * v / max(total, 1)) for k, v in counts.items()}
    bar = {"overdue": widths["overdue"], "soon": widths["due_soon"], "ok": widths["ok"],
           "after_soon": widths["overdue"] + widths["due_soon"]}
    pages = max(1, -(-total // SCHEDULE_PAGE))
    return render(request, "server/schedule.html", {
        "rows": due.rows, "counts": counts, "bar": bar, "profile": request.profile,
        "page": page, "pages": pages, "previous": page - 1 if page > 1 else None,
        "next": page + 1 if page < pages else None})


@signed_in(("inspector", "supervisor", "auditor"))
def inspections(request: HttpRequest) -> HttpResponse:
    rows = inspections_for(request.profile).select_related("location", "team")
    location = request.GET.get("location")
    if location:
        rows = rows.filter(location_id_text=location)
    found = request.GET.get("found") == "1"
    if found:  # what was found where: a marked finding, or a confirmed lens or camera
        rows = rows.filter(Q(findings__gt=0) | Q(peak_level__in=FOUND_LEVELS))
    rows = rows.order_by("-started")[:200]
    return render(request, "server/inspections.html", {
        "rows": rows, "location": location, "found": found, "profile": request.profile})


FOUND_LEVELS = ("lens-confirmed", "camera-likely")


@signed_in(("inspector", "supervisor", "auditor"))
def inspection(request: HttpRequest, inspection_id: str) -> HttpResponse:
    ins = inspections_for(request.profile).select_related("location", "team", "device") \
        .filter(id=inspection_id).first()
    if ins is None:
        return HttpResponseNotFound("no such inspection, or not yours to see")
    known = {e.sha256: e for e in m.Evidence.objects.filter(sha256__in=ins.evidence)}
    return render(request, "server/inspection.html", {
        "ins": ins, "alerts": list(ins.alerts.order_by("seq")), "profile": request.profile,
        "sections": sections(ins), "files": [(sha, known.get(sha)) for sha in ins.evidence]})


@signed_in(("inspector", "supervisor", "auditor"))
def evidence(request: HttpRequest, sha256: str) -> HttpResponse:
    if not SHA256.fullmatch(sha256):
        return HttpResponseNotFound("no such evidence file")
    if not inspections_for(request.profile).filter(evidence__contains=[sha256]).exists():
        return HttpResponseNotFound("no such evidence file, or not yours to see")
    data = store().read(sha256)
    if data is None:
        return HttpResponse("the evidence file is missing or damaged on the server",
                            status=410, content_type="text/plain")
    meta = m.Evidence.objects.filter(sha256=sha256).first()
    response = HttpResponse(data, content_type=meta.media_type if meta else
                            "application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{sha256}"'
    return response


def _asked_period(request: HttpRequest) -> Period | None:
    """`?quarter=2026Q4` or `?month=2026-11` (DetectorError when malformed)."""
    return parse_period(quarter=request.GET.get("quarter"), month=request.GET.get("month"))


@signed_in(("supervisor", "auditor"))
def statistics(request: HttpRequest, fmt: str) -> HttpResponse:
    try:
        period = _asked_period(request)
    except DetectorError as exc:  # a bad period is the user's to fix
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    if fmt not in ("json", "csv"):
        return HttpResponseNotFound("statistics.csv or statistics.json")
    p = request.profile
    body = statistics_json(per_district_for(p, m.MonthChange),
                           per_district_for(p, m.PeriodSums), period)
    if fmt == "json":
        return HttpResponse(body, content_type="application/json")
    out = io.StringIO()
    statistics_csv(msgspec.json.decode(body), out)
    return HttpResponse(out.getvalue(), content_type="text/csv")


@signed_in(("inspector", "supervisor", "auditor"))
def teams(request: HttpRequest) -> HttpResponse:
    """Coverage and pace per team over a quarter or a month (`?quarter=2026Q4`,
    `?month=2026-11`; the quarter of the latest inspection by default): verified, closed
    inspections, their mean coverage, the share left incomplete, and the mean minutes an
    inspection took."""
    scope = inspections_for(request.profile)
    try:
        period = _asked_period(request) or _latest_quarter(scope)
    except DetectorError as exc:  # a bad period is the user's to fix
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    rows = (within_period(scope, period).filter(verified=True, ended__isnull=False, team__isnull=False)
            .values("team__name", "team__district__name")
            .annotate(count=Count("id"), coverage=Avg("coverage"),
                      incomplete=Count("id", filter=Q(result="incomplete")),
                      duration=Avg(F("ended") - F("started")))
            .order_by("team__district__name", "team__name"))
    table = [{"team": r["team__name"], "district": r["team__district__name"],
              "inspections": r["count"], "coverage": r["coverage"] or 0.0,
              "bar": round(200 * (r["coverage"] or 0.0)),
              "incomplete": r["incomplete"] / r["count"] if r["count"] else 0.0,
              "minutes": r["duration"].total_seconds() / 60 if r["duration"] else None}
             for r in rows]
    return render(request, "server/teams.html", {
        "rows": table, "period": period.label if period else "all time",
        "profile": request.profile})


def _latest_quarter(scope):
    latest = scope.order_by("-started").values_list("started", flat=True).first()
    if latest is None:
        return None
    return quarter_of(latest)


@signed_in(("administrator",))
def users(request: HttpRequest) -> HttpResponse:
    rows = m.Profile.objects.select_related("user", "district", "team").order_by(
        "user__username")
    return render(request, "server/users.html", {"rows": rows, "profile": request.profile})



RESULT_COLOURS = {"clear": "#2da44e", "incomplete": "#d4a72c", "suspicious": "#cf222e",
                  "device-found": "#82071e", "open": "#8c959f", "unverified": "#8250df"}
CHART_HEIGHT = 160  # pixels for the busiest month


@signed_in(("supervisor", "auditor"))
def statistics_page(request: HttpRequest) -> HttpResponse:
    """Inspections per month over the twelve months up to the latest one, stacked by
    result (the categories of the statistics: a result only for verified inspections),
    with the counts."""
    counts = per_district_for(request.profile, m.MonthCount).filter(inspections__gt=0)
    latest = counts.order_by("-month").values_list("month", flat=True).first()
    last = latest or timezone.now().date()  # the twelve months up to the latest inspection
    year, month = (last.year, last.month - 11) if last.month == 12 else (
        last.year - 1, last.month + 1)
    first = date(year, month, 1)
    rows = (counts.filter(month__gte=first).values("month", "verified", "result")
            .annotate(n=Sum("inspections")).order_by())
    months: dict[str, dict[str, int]] = {}
    cursor = first
    while cursor <= last:
        months[f"{cursor:%Y-%m}"] = dict.fromkeys(RESULT_COLOURS, 0)
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    for r in rows:
        key = f"{r['month']:%Y-%m}"
        kind = ("unverified" if not r["verified"] else
                r["result"] if r["result"] in RESULTS else "open")
        if key in months:
            months[key][kind] += r["n"]
    busiest = max([sum(c.values()) for c in months.values()] + [1])
    bars = []
    for i, (month, counts) in enumerate(months.items()):
        top, segments = CHART_HEIGHT + 10, []
        for kind, n in counts.items():
            height = round(CHART_HEIGHT * n / busiest)
            top -= height
            if n:
                segments.append({"y": top, "height": height, "colour": RESULT_COLOURS[kind],
                                 "kind": kind, "n": n})
        bars.append({"month": month, "x": 40 + 52 * i, "segments": segments,
                     "total": sum(counts.values()), "counts": counts})
    return render(request, "server/statistics.html", {
        "bars": bars, "kinds": list(RESULT_COLOURS.items()), "busiest": busiest,
        "width": 40 + 52 * len(bars), "profile": request.profile})
