"""Inspections and alerts derived from newly stored records, a push at a time.

The push's transaction commits only if every record here passes the server's checks
(ingest.py). The inspections a push
touches are read once, changed in memory as plain rows (model instances cost more to
build than the rest of the derivation) and written back in bulk (bulk.py).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

import msgspec

from detector.inspection import EVIDENCE_FILES
from detector.logbook.chain import Record
from detector.logbook.report import (
    NO_LOCATION,
    RESULTS,
    Period,
    month_of,
    period_label,
    quarter_of,
)
from detector.server import bulk
from detector.server import models as m


class Unreadable(ValueError):
    """A record the derivation cannot read: a body that is not a JSON object, or a
    time that is not ISO 8601 (a device never signs one, so its check fails too)."""


@dataclass(slots=True)
class InspectionRow:
    """One row of server_inspection (bulk.INSPECTION_COLUMNS, in that order)."""

    id: str
    device_id: str
    location_id: str | None
    location_id_text: str
    location_name: str
    team_id: int | None
    district_id: int | None
    inspector: str
    started: datetime
    ended: datetime | None = None
    result: str = ""
    coverage: float | None = None
    peak_level: str = ""
    findings: int = 0
    evidence: list[str] = field(default_factory=list)
    first_seq: int = 0
    last_seq: int = 0
    verified: bool = False


@dataclass(slots=True)
class AlertRow:
    inspection_id: str
    seq: int
    level: str
    reason: str
    evidence: dict[str, Any]


def derive(device_id: str, records: list[Record]) -> list[str]:
    """Write what `records` (stored and verified, in sequence) add; the ids of the
    inspections they started or changed."""
    bodies = [(r, _body(r)) for r in records]
    # Stored inspections this push continues (most pushes start what they continue).
    started = {str(b.get("inspection", "")) for r, b in bodies if r.kind == "inspection-start"}
    earlier = {str(b.get("inspection") or b.get("id") or "") for r, b in bodies
               if r.kind != "inspection-start"} - started
    known = {row["id"]: InspectionRow(**row) for row in m.Inspection.objects.filter(
        id__in=earlier, device_id=device_id).values(*bulk.INSPECTION_COLUMNS)} if earlier else {}
    teams = {name: (team, district) for name, team, district
             in m.Team.objects.values_list("name", "id", "district_id")}
    locations = bulk.location_districts({str(b.get("location") or "") for _r, b in bodies})
    counted_as = {key: _month_key(row) for key, row in known.items()}  # before this push
    before = {key: replace(row, evidence=list(row.evidence)) for key, row in known.items()}
    new: dict[str, InspectionRow] = {}
    alerts: list[AlertRow] = []
    for r, body in bodies:
        if r.kind == "inspection-start":
            row = _started(device_id, r, body, teams, locations)
            new[row.id] = row
            continue
        key = str(body.get("id") if r.kind == "inspection" else body.get("inspection") or "")
        ins = new.get(key) or known.get(key)
        if ins is None:
            continue
        ins.last_seq = r.seq
        named = _evidence_of(body)
        if not named.issubset(ins.evidence):
            ins.evidence = sorted(set(ins.evidence) | named)
        if r.kind == "alert":
            alerts.append(AlertRow(ins.id, r.seq, str(body.get("level")),
                                   str(body.get("reason", ""))[:300],
                                   body.get("evidence") or {}))
        elif r.kind == "finding" and body.get("verdict") in ("suspicious", "device"):
            ins.findings += 1
        elif r.kind == "inspection":
            _close(ins, body)
    changed = [row for key, row in known.items() if key not in new]
    written = [_month_key(row) for row in [*new.values(), *changed]]
    # Every write, even one that leaves the counts as they were (a coverage, a finding),
    # moves its month's and district's writes: what was kept ready for them is stale.
    writes = Counter((month, district) for month, district, *_ in written)
    bulk.copy_inspections(list(new.values()))
    _store_keeping_sums(changed, before, list(new.values()), writes)
    bulk.copy_alerts(alerts)
    bulk.raise_last_inspected(_latest_per_location([*new.values(), *changed]))
    deltas = Counter(written)
    deltas.subtract(counted_as[row.id] for row in changed)  # counted elsewhere before
    bulk.add_month_counts(deltas)
    bulk.add_month_changes(writes)
    return sorted(new) + sorted(row.id for row in changed)


def periods_of(month: date) -> list[tuple[str, Period | None]]:
    """The statistics' periods an inspection of `month` counts in: (label, period)."""
    return [(period_label(p), p) for p in (month_of(month), quarter_of(month), None)]


def _store_keeping_sums(changed: list[InspectionRow], before: dict[str, InspectionRow],
                        added: list[InspectionRow], writes: Counter) -> None:
    """Write the changed inspections, and keep the statistics' sums (PeriodSums) of
    every period and district the push writes to in step with them, where they were in
    step before it: the changed inspections taken away as they were (`before`), every
    new and changed one added as it is, and the sums marked counted at the writes that
    follow the push. Sums out of step are left to be counted again when asked for
    (statistics.py), as before any push kept them."""
    per_period: dict[tuple[str, int | None], list] = {}
    for (month, district), n in writes.items():
        for label, period in periods_of(month):
            entry = per_period.setdefault(
                (label, district), [0, period.start if period else None,
                                    period.end if period else None])
            entry[0] += n
    in_step = bulk.period_sums_in_step({key: tuple(v) for key, v in per_period.items()})

    def kept(rows: list[InspectionRow]) -> list[dict[str, Any]]:
        return [{"period": label, "district_id": row.district_id,
                 "location": row.location_id_text or NO_LOCATION,
                 "location_name": row.location_name, "started": row.started, "id": row.id,
                 "verified": row.verified, "result": row.result, "coverage": row.coverage,
                 "findings": row.findings}
                for row in rows for label, _ in periods_of(_month_key(row)[0])
                if (label, row.district_id) in in_step]

    bulk.add_to_period_sums(kept([before[row.id] for row in changed]), -1, RESULTS)
    bulk.update_inspections(changed)
    bulk.add_to_period_sums(kept([*added, *changed]), 1, RESULTS)
    bulk.mark_period_sums_counted({key: n + per_period[key][0]
                                   for key, n in in_step.items()})


def _body(r: Record) -> dict[str, Any]:
    try:
        body = msgspec.json.decode(r.body)  # several times json's speed
    except ValueError:
        body = _lenient_body(r.body)
    if not isinstance(body, dict):
        raise Unreadable(f"record {r.seq}: its body is not a JSON object")
    return body


def _lenient_body(text: str) -> Any:
    """What json reads and msgspec does not (NaN, a lone surrogate), which a
    device's json writes: read as json reads them."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def _started(device_id: str, r: Record, body: dict[str, Any],
             teams: dict[str, tuple[int, int]], locations: dict[str, int]) -> InspectionRow:
    location = str(body.get("location") or "")
    team, team_district = teams.get(str(body.get("team", "")), (None, None))
    return InspectionRow(
        id=str(body.get("inspection", "")), device_id=device_id,
        location_id=location if location in locations else None, location_id_text=location,
        location_name=str(body.get("location_name", ""))[:200], team_id=team,
        district_id=locations.get(location, team_district),
        inspector=str(body.get("inspector", ""))[:100], started=parse_time(body.get("started")),
        first_seq=r.seq, last_seq=r.seq, verified=True)  # stored only after the checks


def _month_key(row: InspectionRow) -> tuple:
    """Where an inspection is counted in the monthly counts (models.MonthCount)."""
    started = row.started.astimezone(UTC)
    return (started.date().replace(day=1), row.district_id, row.verified, row.result)


def _evidence_of(body: dict[str, Any]) -> set[str]:
    """The evidence files a record names (downloads go only through an inspection the
    user may see)."""
    return {e["sha256"] for e in body.get(EVIDENCE_FILES, []) or []
            if isinstance(e, dict) and isinstance(e.get("sha256"), str)}


def _close(ins: InspectionRow, body: dict[str, Any]) -> None:
    ins.ended = parse_time(body.get("ended")) if body.get("ended") else None
    ins.result = str(body.get("result") or "")
    coverage = body.get("coverage")
    ins.coverage = float(coverage) if isinstance(coverage, int | float) else None
    ins.peak_level = str((body.get("stats") or {}).get("peak_level", ""))
    # Every stored record was checked on arrival, and a device's stored chain has no
    # gap (a push that skips a record is refused): from its start to its close, the
    # inspection's records are all there, as the server itself established.
    ins.verified = True


def _latest_per_location(touched: list[InspectionRow]) -> dict[str, datetime]:
    """The start of the latest closed, verified inspection of each location touched."""
    latest: dict[str, datetime] = {}
    for ins in touched:
        place = ins.location_id
        if (ins.verified and ins.ended is not None and place is not None
                and (place not in latest or ins.started > latest[place])):
            latest[place] = ins.started
    return latest


def parse_time(text: Any) -> datetime:
    try:
        value = datetime.fromisoformat(str(text))
    except ValueError:
        raise Unreadable(f"time {text!r}: not an ISO 8601 time") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
