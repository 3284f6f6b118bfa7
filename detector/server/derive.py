"""Inspections and alerts derived from newly stored records, a push at a time.

The push's transaction commits only if every record here passes the server's checks
(ingest.py). The inspections a push
touches are read once, changed in memory as plain rows (model instances cost more to
build than the rest of the derivation) and written back in bulk (bulk.py).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec

from detector.inspection import EVIDENCE_FILES
from detector.logbook.chain import Record
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
    bulk.copy_inspections(list(new.values()))
    bulk.update_inspections(changed)
    bulk.copy_alerts(alerts)
    bulk.raise_last_inspected(_latest_per_location([*new.values(), *changed]))
    written = [_month_key(row) for row in [*new.values(), *changed]]
    deltas = Counter(written)
    deltas.subtract(counted_as[row.id] for row in changed)  # counted elsewhere before
    bulk.add_month_counts(deltas)
    # Every write, even one that leaves the counts as they were (a coverage, a finding):
    # the statistics kept ready for these months are stale now.
    bulk.add_month_changes(Counter((month, district) for month, district, *_ in written))
    return sorted(new) + sorted(row.id for row in changed)


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
