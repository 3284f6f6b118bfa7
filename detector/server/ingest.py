"""Records pushed by an office, checked by the server itself before anything is stored.

A push carries, for one device, the records after the head the server reported. The
server checks every record on its own (its content against its hash, its hash against
the device's signature, with the key the administrator registered for the device) and
every link (the first record follows the stored head; each record follows the one
before it). One failed check refuses the whole batch, naming each problem, and nothing
of it is stored. Records the server already holds are skipped when they are the same
record, and refused when they are not (a replayed push is harmless; a rewritten history
is named). Inspections and alerts are then derived from the stored records, in the same
transaction; an inspection is verified when its records from start to close are all
there, which the server established itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction

from detector.inspection import EVIDENCE_FILES
from detector.logbook.chain import Record as ChainRecord
from detector.logbook.chain import check_each
from detector.server import models as m
from detector.server.bulk import copy_inspections, copy_records

MAX_BATCH = 5000


class Refused(Exception):
    """A push refused: `problems` name each record and what is wrong."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class Stored:
    device: str
    stored: int = 0
    skipped: int = 0
    head: int = 0
    inspections: list[str] = field(default_factory=list)


def parse_records(items: Any) -> list[ChainRecord]:
    if not isinstance(items, list) or len(items) > MAX_BATCH:
        raise Refused([f"records: expected a list of at most {MAX_BATCH}"])
    out = []
    for i, item in enumerate(items):
        try:
            out.append(ChainRecord.from_json(item))
        except (KeyError, TypeError, ValueError) as exc:
            raise Refused([f"record at place {i}: malformed ({exc})"]) from None
    return out


def ingest(office: m.Office, device_id: str, records: list[ChainRecord]) -> Stored:
    with transaction.atomic():
        try:
            device = m.Device.objects.select_for_update().get(id=device_id, office=office)
        except m.Device.DoesNotExist:
            raise Refused([f"device {device_id}: not registered for office "
                           f"{office.name}"]) from None
        result = Stored(device.id)
        records = sorted(records, key=lambda r: r.seq)
        new = _skip_known(device, records, result)
        _check(device, new)
        if new:
            copy_records(device.id, new)
            device.head_seq, device.head_hash = new[-1].seq, new[-1].hash
            device.save(update_fields=["head_seq", "head_hash"])
            result.inspections = derive(device, new)
        result.stored, result.head = len(new), device.head_seq
        return result


def _skip_known(device: m.Device, records: list[ChainRecord], result: Stored
                ) -> list[ChainRecord]:
    known = [r for r in records if r.seq <= device.head_seq]
    if known:
        stored = dict(m.Record.objects.filter(device=device, seq__in=[r.seq for r in known])
                      .values_list("seq", "hash"))
        conflicts = [f"record {r.seq}: differs from the record {r.seq} already stored"
                     for r in known if stored.get(r.seq) != r.hash]
        if conflicts:
            raise Refused(conflicts)
        result.skipped = len(known)
    return [r for r in records if r.seq > device.head_seq]


def _check(device: m.Device, records: list[ChainRecord]) -> None:
    problems = [str(p) for p in check_each(records, bytes(device.public_key)) if p is not None]
    seq, prev = device.head_seq, device.head_hash
    for r in records:
        if r.seq != seq + 1:
            problems.append(f"record {seq + 1}: missing (the push jumps to {r.seq})")
        elif r.prev != prev:
            problems.append(f"record {r.seq}: does not follow record {seq}")
        seq, prev = r.seq, r.hash
    if problems:
        raise Refused(problems)


def derive(device: m.Device, records: list[ChainRecord]) -> list[str]:
    """Inspections and alerts from newly stored records (all verified), a batch at a
    time: the inspections they touch are read once, changed in memory and written back
    in bulk."""
    bodies = [(r, json.loads(r.body)) for r in records]
    ids = {str(b.get("inspection") or b.get("id") or "") for _r, b in bodies}
    known = {i.id: i for i in m.Inspection.objects.filter(id__in=ids, device=device)}
    teams = {t.name: t.id for t in m.Team.objects.all()}
    locations = set(m.Location.objects.filter(
        id__in={str(b.get("location") or "") for _r, b in bodies}).values_list("id", flat=True))
    new: dict[str, m.Inspection] = {}
    alerts: list[m.Alert] = []
    for r, body in bodies:
        if r.kind == "inspection-start":
            new[str(body.get("inspection", ""))] = _started(device, r, body, teams, locations)
            continue
        ins = _of(body, r.kind, new, known)
        if ins is None:
            continue
        ins.last_seq = r.seq
        ins.evidence = sorted(set(ins.evidence) | _evidence_of(body))
        if r.kind == "alert":
            alerts.append(m.Alert(inspection=ins, seq=r.seq, level=str(body.get("level")),
                                  reason=str(body.get("reason", ""))[:300],
                                  evidence=body.get("evidence") or {}))
        elif r.kind == "finding" and body.get("verdict") in ("suspicious", "device"):
            ins.findings += 1
        elif r.kind == "inspection":
            _close(ins, body)
    copy_inspections(list(new.values()))
    changed = [i for i in known.values() if i.id not in new]
    if changed:
        m.Inspection.objects.bulk_update(changed, CHANGING)
    m.Alert.objects.bulk_create(alerts)
    _last_inspected([*new.values(), *changed])
    return sorted(new) + sorted(i.id for i in changed)


CHANGING = ["last_seq", "evidence", "findings", "ended", "result", "coverage", "peak_level",
            "verified"]


def _started(device: m.Device, r: ChainRecord, body: dict[str, Any], teams: dict[str, int],
             locations: set[str]) -> m.Inspection:
    location = str(body.get("location") or "")
    return m.Inspection(
        id=str(body.get("inspection", "")), device=device,
        location_id=location if location in locations else None, location_id_text=location,
        location_name=str(body.get("location_name", ""))[:200],
        team_id=teams.get(str(body.get("team", ""))),
        inspector=str(body.get("inspector", ""))[:100], started=_time(body.get("started")),
        first_seq=r.seq, last_seq=r.seq, verified=True)  # stored only after the checks


def _of(body: dict[str, Any], kind: str, new: dict[str, m.Inspection],
        known: dict[str, m.Inspection]) -> m.Inspection | None:
    key = str(body.get("id") if kind == "inspection" else body.get("inspection") or "")
    return new.get(key) or known.get(key)


def _evidence_of(body: dict[str, Any]) -> set[str]:
    """The evidence files a record names (downloads go only through an inspection the
    user may see)."""
    return {e["sha256"] for e in body.get(EVIDENCE_FILES, []) or []
            if isinstance(e, dict) and isinstance(e.get("sha256"), str)}


def _close(ins: m.Inspection, body: dict[str, Any]) -> None:
    ins.ended = _time(body.get("ended")) if body.get("ended") else None
    ins.result = str(body.get("result") or "")
    ins.coverage = body.get("coverage")
    ins.peak_level = str((body.get("stats") or {}).get("peak_level", ""))
    # Every stored record was checked on arrival, and a device's stored chain has no
    # gap (a push that skips a record is refused): from its start to its close, the
    # inspection's records are all there, as the server itself established.
    ins.verified = True


def _last_inspected(touched: list[m.Inspection]) -> None:
    latest: dict[str, datetime] = {}
    for ins in touched:
        if (ins.verified and ins.ended is not None and ins.location_id is not None
                and ins.started > latest.get(ins.location_id, ins.started - _DAY)):
            latest[ins.location_id] = ins.started
    if not latest:
        return
    rows = m.Location.objects.filter(id__in=latest)
    for loc in rows:
        if loc.last_inspected is None or loc.last_inspected < latest[loc.id]:
            loc.last_inspected = latest[loc.id]
    m.Location.objects.bulk_update(rows, ["last_inspected"])


_DAY = timedelta(days=1)


def _time(text: Any) -> datetime:
    try:
        value = datetime.fromisoformat(str(text))
    except ValueError:
        raise Refused([f"time {text!r}: not an ISO 8601 time"]) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
