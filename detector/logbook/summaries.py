"""Inspections as their signed records tell them: what `detector log`, `log show`,
`report` and the statistics show. Every value comes from a record body, never from the
index tables (a cache that anyone with the file could edit), and each inspection says
whether its records verify: each record's hash and signature, its link to the record
before it, and no record missing between its first and its last.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from detector.errors import LogbookError
from detector.logbook.chain import Problem, Record, check_each
from detector.logbook.store import Logbook

# Record kinds that belong to an inspection through their body's "inspection" key (the
# closing record names it as "id").
CLOSING = "inspection"


@dataclass
class InspectionSummary:
    id: str
    device: str
    start: dict[str, Any] = field(default_factory=dict)  # the inspection-start body
    end: dict[str, Any] = field(default_factory=dict)  # the closing body, if closed
    records: list[tuple[Record, dict[str, Any]]] = field(default_factory=list)
    verified: bool = False
    status: str = "not checked"

    def value(self, key: str, start_key: str | None = None) -> Any:
        """A value of the closing record, else of the start record."""
        if key in self.end:
            return self.end[key]
        return self.start.get(start_key or key)

    @property
    def started(self) -> str:
        return self.value("started") or ""

    @property
    def ended(self) -> str | None:
        return self.end.get("ended")

    @property
    def location_id(self) -> str:
        return self.value("location_id", "location") or ""

    @property
    def location_name(self) -> str:
        return self.value("location_name") or ""

    @property
    def inspector(self) -> str:
        return self.value("inspector") or ""

    @property
    def team(self) -> str:
        return self.value("team") or ""

    @property
    def room_type(self) -> str:
        return self.value("room_type") or ""

    @property
    def result(self) -> str | None:
        return self.end.get("result")

    @property
    def coverage(self) -> float | None:
        return self.end.get("coverage")

    @property
    def checklist(self) -> dict[str, Any]:
        return self.end.get("checklist") or {}

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [body for record, body in self.records if record.kind == kind]

    @property
    def findings(self) -> list[dict[str, Any]]:
        """Findings that stand (a finding dismissed as not a camera does not count)."""
        return [f for f in self.of_kind("finding") if f.get("verdict") != "dismissed"]


def _inspection_of(record: Record, body: dict[str, Any]) -> str | None:
    ins = body.get("id") if record.kind == CLOSING else body.get("inspection")
    return ins if isinstance(ins, str) else None


def _parse(record: Record) -> dict[str, Any]:
    try:
        body = json.loads(record.body)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def read_inspections(book: Logbook, devices: list[str] | None = None,
                     period: tuple[str, str] | None = None,
                     verify: bool = True) -> list[InspectionSummary]:
    """The inspections of the given devices (default: every device the logbook holds),
    started within period (ISO start inclusive, end exclusive) if given, ordered by
    start; with verify, each one's records are checked."""
    out: list[InspectionSummary] = []
    for device in devices if devices is not None else book.devices():
        # In signed order: where a record sits in the file changes nothing it says.
        records = sorted(book.records(device), key=lambda r: r.seq)
        by_id: dict[str, InspectionSummary] = {}
        for record in records:
            body = _parse(record)
            ins = _inspection_of(record, body)
            if ins is None:
                continue
            summary = by_id.setdefault(ins, InspectionSummary(ins, device))
            summary.records.append((record, body))
            if record.kind == "inspection-start" and not summary.start:
                summary.start = body
            elif record.kind == CLOSING:
                summary.end = body
        chosen = [s for s in by_id.values() if s.start and (
            period is None or period[0] <= s.started < period[1])]
        if verify and chosen:
            _verify(book, device, records, chosen)
        out.extend(chosen)
    return sorted(out, key=lambda s: (s.started, s.id))


def verify_summaries(book: Logbook, summaries: list[InspectionSummary]) -> None:
    """Check the records of inspections read with verify=False."""
    for device in sorted({s.device for s in summaries}):
        _verify(book, device, book.records(device), [s for s in summaries if s.device == device])


def _verify(book: Logbook, device: str, records: list[Record],
            summaries: list[InspectionSummary]) -> None:
    try:
        public = book.public_key(device)
    except LogbookError:
        for s in summaries:
            s.verified, s.status = False, f"the logbook holds no key of device {device}"
        return
    stored = {r.seq: r for r in records}
    # Every record of these inspections checked at once (over the cores), then each one.
    mine = [record for s in summaries for record, _body in s.records]
    checked = {(r.seq, r.hash): p for r, p in zip(mine, check_each(mine, public), strict=True)}
    for s in summaries:
        s.verified, s.status = _check(s, stored, checked)


def _check(summary: InspectionSummary, stored: dict[int, Record],
           checked: dict[tuple[int, str], Problem | None]) -> tuple[bool, str]:
    seqs = [record.seq for record, _body in summary.records]
    last = max(r.seq for r, _b in summary.records if r.kind != "note") if seqs else 0
    first = min(seqs)
    for seq in range(first, last + 1):
        if seq not in stored:
            return False, f"record {seq}: missing from the chain"
    for record, _body in summary.records:
        problem = checked[(record.seq, record.hash)]
        if problem is not None:
            return False, str(problem)
        before = stored.get(record.seq - 1)
        if record.seq > 1 and (before is None or before.hash != record.prev):
            return False, f"record {record.seq}: does not follow record {record.seq - 1}"
    if not summary.end:
        return True, f"{len(seqs)} records verified; the inspection was not closed"
    return True, f"{len(seqs)} records verified"
