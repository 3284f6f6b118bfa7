"""One inspection as a record, the rule that closes it, and where its records go.

Result, first rule that applies:
- device-found: the inspector marked a finding as a device;
- suspicious: a lens was confirmed or a camera is likely (fusion), or the inspector
  marked a finding as suspicious;
- incomplete: coverage below `min_coverage`, the camera was down for more than
  `max_camera_down` of the sweep, or a checklist item is unanswered;
- clear.
RF activity alone does not change the result (most of it is phones); it is kept with
the record and shown on the result screen.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from detector.errors import LogbookError
from detector.fusion import Level

RESULTS = ("clear", "incomplete", "suspicious", "device-found")
CHECKLIST = (
    "Door and lock inspected",
    "Ceiling vents and lights checked",
    "Dispensers and bins opened",
    "Hooks, shelves and fittings checked",
    "Mirrors checked (touch test)",
)


Blob = tuple[str, str, bytes]  # (role, media type, content): an evidence file
# The record key that lists a record's evidence files. It is not "evidence": an alert's
# own evidence (the rule, the lens features, the RF bands) is kept under that name.
EVIDENCE_FILES = "evidence_files"


class RecordSink(Protocol):
    """Where inspection records go: append-only, one dict per record. `blobs` are
    evidence files that belong to the record; the sink stores them first (by SHA-256)
    and lists them in the record's `evidence_files`."""

    def append(self, kind: str, record: dict[str, Any], blobs: list[Blob] = ()) -> None: ...

    def close(self) -> None: ...


def evidence_entry(role: str, media_type: str, data: bytes) -> dict[str, Any]:
    return {"role": role, "type": media_type, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}


class MemorySink:
    """Keeps records and evidence in memory (evaluation, tests)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.evidence: dict[str, bytes] = {}

    def append(self, kind: str, record: dict[str, Any], blobs: list[Blob] = ()) -> None:
        entries = []
        for role, media_type, data in blobs:
            entry = evidence_entry(role, media_type, data)
            self.evidence[entry["sha256"]] = data
            entries.append(entry)
        self.records.append({"kind": kind, **record,
                             **({EVIDENCE_FILES: entries} if entries else {})})

    def close(self) -> None:
        pass


class BufferedSink:
    """Keeps records the sink refused (disk full) and retries them, oldest first, before
    the next record: nothing is lost while the sweep goes on alerting."""

    def __init__(self, sink: RecordSink) -> None:
        self.sink = sink
        self.pending: list[tuple[str, dict[str, Any], list[Blob]]] = []
        self.error: str | None = None

    def append(self, kind: str, record: dict[str, Any], blobs: list[Blob] = ()) -> bool:
        """True when everything so far is stored."""
        self.pending.append((kind, record, list(blobs)))
        return self.flush()

    def flush(self) -> bool:
        while self.pending:
            kind, record, blobs = self.pending[0]
            try:
                self.sink.append(kind, record, blobs)
            except LogbookError as exc:
                self.error = str(exc)
                return False
            self.pending.pop(0)
        self.error = None
        return True

    def close(self) -> None:
        """Last try; what is still pending stays in `pending` for the caller to report."""
        self.flush()
        self.sink.close()


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Inspection:
    location_id: str
    location_name: str
    room_type: str
    inspector: str
    team: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started: str = field(default_factory=utc_now)
    ended: str | None = None
    checklist: dict[str, bool | None] = field(
        default_factory=lambda: {item: None for item in CHECKLIST})
    coverage: float = 0.0
    coverage_map: dict[str, Any] = field(default_factory=dict)
    result: str | None = None
    reasons: list[str] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ResultRule:
    min_coverage: float = 0.6
    max_camera_down: float = 0.1
    require_checklist: bool = True


def decide_result(inspection: Inspection, peak_level: Level, camera_down_fraction: float,
                  rule: ResultRule) -> tuple[str, list[str]]:
    """The result and the reasons for it (docs/sweep.md)."""
    marks = {f.get("verdict") for f in inspection.findings}
    if "device" in marks:
        return "device-found", ["the inspector marked a finding as a device"]
    reasons = []
    if peak_level >= Level.CAMERA_LIKELY:
        reasons.append("a camera is likely (a confirmed lens with a transmitter close by, a "
                       "video transmitter, or a Wi-Fi camera's traffic)")
    elif peak_level >= Level.LENS_CONFIRMED:
        reasons.append("a camera lens was confirmed")
    if "suspicious" in marks:
        reasons.append("the inspector marked a finding as suspicious")
    if reasons:
        return "suspicious", reasons
    if inspection.coverage < rule.min_coverage:
        reasons.append(f"coverage {inspection.coverage:.0%} is below "
                       f"{rule.min_coverage:.0%}")
    if camera_down_fraction > rule.max_camera_down:
        reasons.append(f"the camera was down for {camera_down_fraction:.0%} of the sweep")
    unanswered = [k for k, v in inspection.checklist.items() if v is None]
    if rule.require_checklist and unanswered:
        reasons.append(f"{len(unanswered)} checklist item(s) unanswered")
    if reasons:
        return "incomplete", reasons
    return "clear", [f"coverage {inspection.coverage:.0%}, nothing found"]
