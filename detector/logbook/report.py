"""`detector report`: a self-contained HTML report of a period's inspections (images and
plots inline, no external files), and the period's statistics as CSV and JSON.

Per period: inspections by result, location, team and month, with coverage and
findings. Per inspection: checklist, coverage map, alerts, findings with their annotated
snapshots and RF spectra, and whether its records verify (hash, signature, chain).
"""

from __future__ import annotations

import base64
import calendar
import csv
import datetime as dt
import html
import io
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter
from typing import Any

from detector.errors import DetectorError
from detector.inspection import EVIDENCE_FILES
from detector.logbook.store import Logbook
from detector.logbook.summaries import InspectionSummary, read_inspections

RESULTS = ("clear", "incomplete", "suspicious", "device-found")


@dataclass(frozen=True)
class Period:
    label: str
    start: str  # ISO dates, inclusive start, exclusive end
    end: str

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """Start and end as UTC times (the city's server stores times with their zone)."""
        return tuple(dt.datetime.fromisoformat(d).replace(tzinfo=dt.UTC)
                     for d in (self.start, self.end))

    def days(self) -> tuple[dt.date, dt.date]:
        """Start and end as dates: the first day in, and the first day after."""
        return dt.date.fromisoformat(self.start), dt.date.fromisoformat(self.end)


def parse_period(month: str | None = None, quarter: str | None = None) -> Period | None:
    if month:
        m = re.fullmatch(r"(\d{4})-(\d{2})", month)
        if not m or not 1 <= int(m[2]) <= 12:
            raise DetectorError(f"--month {month}: expected YYYY-MM, e.g. 2026-11")
        year, mon = int(m[1]), int(m[2])
        end = dt.date(year + (mon == 12), mon % 12 + 1, 1)
        return Period(month, f"{year:04d}-{mon:02d}-01", end.isoformat())
    if quarter:
        m = re.fullmatch(r"(\d{4})Q([1-4])", quarter.upper())
        if not m:
            raise DetectorError(f"--quarter {quarter}: expected YYYYQn, e.g. 2026Q4")
        year, q = int(m[1]), int(m[2])
        start = dt.date(year, 3 * q - 2, 1)
        end = dt.date(year + (q == 4), (3 * q) % 12 + 1, 1)
        return Period(f"{year}Q{q}", start.isoformat(), end.isoformat())
    return None


def month_of(day: dt.date) -> Period:
    return parse_period(month=f"{day.year:04d}-{day.month:02d}")


def quarter_of(day: dt.date) -> Period:
    return parse_period(quarter=f"{day.year:04d}Q{(day.month - 1) // 3 + 1}")


def period_label(period: Period | None) -> str:
    """How the statistics name a period; None: all records."""
    return period.label if period else "all"


def _inspections(book: Logbook, period: Period | None) -> list[InspectionSummary]:
    return read_inspections(book, period=(period.start, period.end) if period else None)


@dataclass(frozen=True)
class Tally:
    """What the statistics count of one inspection."""

    location: str
    name: str
    verified: bool
    result: str | None
    coverage: float | None
    findings: int  # marked suspicious or device


def statistics(book: Logbook, period: Period | None) -> dict[str, Any]:
    """Counts for official statistics, per location and in total, from the signed
    records. Only inspections whose records verify are counted by result, coverage and
    findings; the others are counted as unverified, so a changed record can neither add
    to nor hide from a return."""
    return tally([Tally(s.location_id, s.location_name, s.verified, s.result, s.coverage,
                        sum(f.get("verdict") in ("suspicious", "device") for f in s.findings))
                  for s in _inspections(book, period)], period)


NO_LOCATION = "(no location)"
COUNTED = (*RESULTS, "open")  # the verified inspections, by result ("open": no result)
SUMMED = ("inspections", *COUNTED, "unverified", "findings")  # also given in total
# the server keeps a column for each (models.PeriodSums)
assert COUNTED == ("clear", "incomplete", "suspicious", "device-found", "open")


@dataclass
class LocationSums:
    """What the statistics add up for one location, before the mean and the totals
    (the city's server adds these up in its database)."""

    location: str
    name: str  # its name in the first inspection counted, in time order
    inspections: int = 0
    unverified: int = 0
    by_result: list[int] = field(default_factory=lambda: [0] * len(COUNTED))  # verified
    coverage_milli: int = 0  # of the verified, in thousandths (coverage is recorded so)
    findings: int = 0  # of the verified


def location_sums(rows: Iterable[Tally]) -> list[LocationSums]:
    """Rows in time order, summed per location. Only inspections whose records verify are
    counted by result, coverage and findings; the others only as unverified."""
    per: dict[str, LocationSums] = {}
    for s in rows:
        key = s.location or NO_LOCATION
        entry = per.get(key)
        if entry is None:
            entry = per[key] = LocationSums(key, s.name)
        entry.inspections += 1
        if not s.verified:
            entry.unverified += 1
            continue
        entry.by_result[COUNTED.index(s.result if s.result in RESULTS else "open")] += 1
        entry.coverage_milli += round((s.coverage or 0.0) * 1000)
        entry.findings += s.findings
    return list(per.values())


def mean_coverage(coverage_milli: int, verified: int) -> float | None:
    """The mean of `verified` coverages summed in thousandths, to the thousandth, half up
    (in integers, so that the office and the server round alike)."""
    if not verified:
        return None
    return (2 * coverage_milli + verified) // (2 * verified) / 1000


STATISTICS_FIELDS = ("location", "name", "inspections", *COUNTED, "unverified", "findings",
                     "mean_coverage")


def finished_rows(sums: Iterable[LocationSums]) -> list[tuple]:
    """Each location's statistics row, in the order of STATISTICS_FIELDS."""
    return [(s.location, s.name, s.inspections, *s.by_result, s.unverified, s.findings,
             mean_coverage(s.coverage_milli, s.inspections - s.unverified)) for s in sums]


def statistics_totals(rows: list[tuple]) -> dict[str, int]:
    """The statistics' totals over each location's row (STATISTICS_FIELDS first)."""
    return {k: sum(map(itemgetter(STATISTICS_FIELDS.index(k)), rows)) for k in SUMMED}


def statistics_of(rows: Iterable[tuple], period: Period | None) -> dict[str, Any]:
    """The statistics as `detector report` publishes them, from each location's row
    (STATISTICS_FIELDS). The city's server writes the same document from its database's
    rows (server/statistics.py; tests hold the two equal)."""
    rows = sorted(rows, key=itemgetter(0))  # by location: each has one row
    return {"period": period_label(period), "total": statistics_totals(rows),
            "locations": list(map(dict, map(zip, repeat(STATISTICS_FIELDS), rows)))}


def tally(rows: Iterable[Tally], period: Period | None) -> dict[str, Any]:
    """The statistics of some inspections, in time order."""
    return statistics_of(finished_rows(location_sums(rows)), period)


def statistics_csv(stats: dict[str, Any], out: Any) -> None:
    """The statistics' per-location rows as CSV into the text stream `out`."""
    writer = csv.DictWriter(out, fieldnames=STATISTICS_FIELDS)
    writer.writeheader()
    for entry in stats["locations"]:
        writer.writerow({k: entry.get(k, "") for k in STATISTICS_FIELDS})


def write_statistics(stats: dict[str, Any], csv_path=None, json_path=None) -> None:
    if json_path is not None:
        json_path.write_text(json.dumps(stats, indent=2, sort_keys=True) + "\n")
    if csv_path is not None:
        with open(csv_path, "w", newline="", encoding="utf-8") as f:
            statistics_csv(stats, f)


# ---- HTML ------------------------------------------------------------------------------------
STYLE = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{margin-bottom:0}h2{border-bottom:2px solid #ccc;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:left;font-size:13px}th{background:#f0f0f0}
.clear{color:#1a7f37}.incomplete{color:#9a6700}.suspicious,.device-found{color:#cf222e}
.ok{color:#1a7f37}.bad{color:#cf222e;font-weight:bold}
.inspection{border:1px solid #ddd;border-radius:6px;padding:8px 14px;margin:14px 0}
.map{font-family:monospace;line-height:9px;font-size:9px;letter-spacing:1px}
.map span{display:inline-block;width:8px;height:8px;margin:0 1px 1px 0}
.s{background:#2da44e}.r{background:#9a6700}.o{background:#eee}
img{max-width:480px;border:1px solid #ccc;margin:4px}.muted{color:#777}
"""


def _e(text: Any) -> str:
    return html.escape("" if text is None else str(text))


def _counts_table(title: str, groups: dict[str, list[InspectionSummary]]) -> str:
    """Counts by result of the verified inspections of each group, and how many did not
    verify."""
    rows = []
    for name, items in sorted(groups.items()):
        good = [i for i in items if i.verified]
        results = Counter(i.result or "open" for i in good)
        coverage = [i.coverage for i in good if i.coverage is not None]
        mean = f"{sum(coverage) / len(coverage):.0%}" if coverage else "-"
        unverified = len(items) - len(good)
        rows.append(f"<tr><td>{_e(name)}</td><td>{len(items)}</td>"
                    + "".join(f"<td>{results.get(r, 0)}</td>" for r in RESULTS)
                    + f"<td class={'bad' if unverified else 'ok'}>{unverified}</td>"
                    + f"<td>{mean}</td><td>{sum(len(i.findings) for i in good)}</td></tr>")
    head = "".join(f"<th>{r}</th>" for r in RESULTS)
    return (f"<h3>By {title}</h3><table><tr><th>{title}</th><th>inspections</th>{head}"
            f"<th>not verified</th><th>mean coverage</th><th>findings</th></tr>"
            f"{''.join(rows)}</table>")


def _coverage_map(cmap: dict[str, Any]) -> str:
    rows = cmap.get("swept") or []
    if not rows:
        return "<p class=muted>no coverage map</p>"
    cells = {"#": "s", ".": "r", " ": "o"}
    lines = []
    for row in reversed(rows):  # up at the top
        n = len(row)
        row = row[n // 2:] + row[:n // 2]  # the start heading in the middle
        lines.append("".join(f"<span class={cells.get(c, 'o')}></span>" for c in row[::-1]))
    return ("<div class=map title='viewing directions: green swept, brown required but not "
            "swept'>" + "<br>".join(lines) + "</div>")


def spectrum_svg(data: dict[str, Any]) -> str:
    """A small line plot per receiver of its latest reading (dBm against MHz)."""
    parts = []
    for source, readings in sorted(data.items()):
        if not readings:
            continue
        reading = readings[-1]
        dbm = reading.get("dbm", [])
        if len(dbm) < 2:
            parts.append(f"<p>{_e(source)}: {dbm[0] if dbm else '-'} dBm</p>")
            continue
        start = reading.get("start_hz", 0) / 1e6
        step = reading.get("step_hz", 0) / 1e6
        freqs = reading.get("freqs_hz")
        xs = [f / 1e6 for f in freqs] if freqs else [start + i * step for i in range(len(dbm))]
        lo, hi = min(xs), max(xs)
        points = " ".join(f"{10 + 380 * (x - lo) / max(hi - lo, 1e-9):.1f},"
                          f"{110 - 100 * (min(max(y, -110), -10) + 110) / 100:.1f}"
                          for x, y in zip(xs, dbm, strict=False))
        parts.append(f"<figure><svg width=400 height=120 role=img aria-label='{_e(source)}'>"
                     f"<rect width=400 height=120 fill=#fafafa stroke=#ccc />"
                     f"<polyline fill=none stroke=#0969da stroke-width=1.5 points='{points}'/>"
                     f"</svg><figcaption>{_e(source)}: {lo:.0f}-{hi:.0f} MHz, "
                     f"-110 to -10 dBm</figcaption></figure>")
    return "".join(parts)


def _inspection_html(book: Logbook, ins: InspectionSummary) -> str:
    ok = ins.verified
    result = ins.result if ok else None
    team = f" ({_e(ins.team)})" if ins.team else ""
    shown_result = (result or "open").upper() if ok else "NOT VERIFIED"
    parts = [f"<div class=inspection id='i-{_e(ins.id)}'><h3>{_e(ins.location_name)} "
             f"<span class='{_e(result) if ok else 'bad'}'>{_e(shown_result)}"
             f"</span></h3><p>{_e(ins.started)} to {_e(ins.ended)} &middot; "
             f"{_e(ins.inspector)}{team} &middot; room type "
             f"{_e(ins.room_type)} &middot; device {_e(ins.device)} &middot; "
             f"<span class={'ok' if ok else 'bad'}>{'verified' if ok else 'NOT VERIFIED'}: "
             f"{_e(ins.status)}</span></p>"]
    if not ok:
        parts.append("<p class=bad>The records of this inspection do not verify: what "
                     "they say is not shown.</p></div>")
        return "".join(parts)
    if ins.end.get("reasons"):
        parts.append("<p>" + "; ".join(_e(x) for x in ins.end["reasons"]) + "</p>")
    for note in ins.of_kind("note"):
        parts.append(f"<p><b>Note:</b> {_e(note.get('text'))}</p>")
    if ins.checklist:
        parts.append("<table><tr><th>checklist</th><th>answer</th></tr>" + "".join(
            f"<tr><td>{_e(k)}</td><td>{ {True: 'yes', False: 'no'}.get(v, '-') }</td></tr>"
            for k, v in ins.checklist.items()) + "</table>")
    coverage = ins.coverage
    parts.append(f"<p>coverage {'-' if coverage is None else f'{coverage:.0%}'}</p>")
    parts.append(_coverage_map(ins.end.get("coverage_map", {})))
    alerts = ins.of_kind("alert")
    if alerts:
        parts.append("<table><tr><th>alert</th><th>level</th><th>reason</th></tr>" + "".join(
            f"<tr><td>{_e(a.get('id'))}</td><td>{_e(a.get('level'))}</td>"
            f"<td>{_e(a.get('reason'))}</td></tr>" for a in alerts) + "</table>")
    for record, body in ins.records:
        if record.kind not in ("finding", "alert"):
            continue
        wifi = (body.get("evidence") or {}).get("wifi") if record.kind == "alert" else None
        if wifi:
            heading = f"Alert {body.get('id')}: Wi-Fi camera by its traffic"
            parts.append(f"<h4>{_e(heading)}</h4>{wifi_html(wifi)}")
        media = _media(book, body.get(EVIDENCE_FILES, []))
        if not media:
            continue
        label = (f"Finding: {body.get('verdict')}" if record.kind == "finding"
                 else f"Alert {body.get('id')}: {body.get('level')}")
        parts.append(f"<h4>{_e(label)}</h4>{media}")
    parts.append("</div>")
    return "".join(parts)


def wifi_html(wifi: dict[str, Any]) -> str:
    """A Wi-Fi camera's evidence: who (address, maker, channel), why (the classifier's
    reasons and the motion test) and its RSSI trail as the inspector moved."""
    t = wifi.get("traffic", {})
    rows = [("address", wifi.get("address")), ("maker", wifi.get("vendor") or "unknown"),
            ("channel", f"{wifi.get('freq_mhz')} MHz"),
            ("class", f"{wifi.get('class')} (score {wifi.get('score')})"),
            ("why", "; ".join(wifi.get("reasons", []))),
            ("motion test", {True: "follows the inspector", False: "does not follow",
                             None: "not answered"}[wifi.get("motion_response")]),
            ("traffic", f"{t.get('sent_kbps')} kb/s sent, {t.get('received_kbps')} kb/s "
                        f"received over {t.get('seconds')} s")]
    table = "<table>" + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>"
                                for k, v in rows) + "</table>"
    trail = wifi.get("rssi_trail") or []
    if len(trail) < 2:
        return table
    t0, t1 = trail[0][0], max(trail[-1][0], trail[0][0] + 1e-9)
    points = " ".join(f"{10 + 380 * (x - t0) / (t1 - t0):.1f},"
                      f"{110 - 100 * (min(max(y, -100), -20) + 100) / 80:.1f}" for x, y in trail)
    return (table + f"<figure><svg width=400 height=120 role=img aria-label='RSSI trail'>"
            f"<rect width=400 height=120 fill=#fafafa stroke=#ccc />"
            f"<polyline fill=none stroke=#cf222e stroke-width=1.5 points='{points}'/></svg>"
            f"<figcaption>signal of {_e(wifi.get('address'))}, {t0:.0f}-{t1:.0f} s into the "
            f"sweep, -100 to -20 dBm (higher is closer)</figcaption></figure>")


def _media(book: Logbook, evidence: list[dict[str, Any]]) -> str:
    out = []
    for entry in evidence:
        role, media_type, sha = entry.get("role", ""), entry.get("type", ""), entry["sha256"]
        if role != "snapshot" and media_type != "application/json":
            continue  # raw frames stay in the evidence folder; the snapshot shows them
        try:
            data = book.evidence.read(sha)
        except DetectorError as exc:
            out.append(f"<p class=bad>{_e(exc)}</p>")
            continue
        if media_type == "image/png":
            out.append(f"<img alt='{_e(role)}' src='data:image/png;base64,"
                       f"{base64.b64encode(data).decode()}'>")
        elif role == "rf spectrum":
            out.append(spectrum_svg(json.loads(data)))
    return "".join(out)


def build_report(book: Logbook, period: Period | None, title: str = "Inspection report",
                 details: bool = True) -> str:
    inspections = _inspections(book, period)
    by_location: dict[str, list] = defaultdict(list)
    by_team: dict[str, list] = defaultdict(list)
    by_month: dict[str, list] = defaultdict(list)
    for ins in inspections:
        by_location[ins.location_name or "(no location)"].append(ins)
        by_team[ins.team or "(no team)"].append(ins)
        month = ins.started[:7]
        by_month[f"{calendar.month_name[int(month[5:7])]} {month[:4]}"
                 if len(month) == 7 and month[5:7].isdigit() else "?"].append(ins)
    good = [i for i in inspections if i.verified]
    results = Counter(i.result or "open" for i in good)
    devices = sorted({i.device for i in inspections})
    generated = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    out = io.StringIO()
    out.write(f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{_e(title)}"
              f"</title><style>{STYLE}</style></head><body>")
    out.write(f"<h1>{_e(title)}</h1><p class=muted>period "
              f"{_e(period.label if period else 'all records')} &middot; generated "
              f"{generated} &middot; {len(inspections)} inspections from {len(devices)} "
              f"device(s)</p>")
    out.write("<h2>Summary</h2><table><tr>" + "".join(f"<th>{r}</th>" for r in RESULTS)
              + "<th>open</th><th>not verified</th><th>findings</th></tr><tr>"
              + "".join(f"<td class={r}>{results.get(r, 0)}</td>" for r in RESULTS)
              + f"<td>{results.get('open', 0)}</td>"
              f"<td class={'bad' if len(good) < len(inspections) else 'ok'}>"
              f"{len(inspections) - len(good)}</td>"
              f"<td>{sum(len(i.findings) for i in good)}</td></tr></table>")
    out.write(_counts_table("location", by_location))
    out.write(_counts_table("team", by_team))
    out.write(_counts_table("month", by_month))
    if details:
        out.write("<h2>Inspections</h2>")
        for ins in inspections:
            out.write(_inspection_html(book, ins))
    out.write("</body></html>")
    return out.getvalue()
