"""Records pushed by an office, checked by the server itself before anything is committed.

A push carries, for one device, the records after the head the server reported. The
server checks every record on its own (its content against its hash, its hash against
the device's signature, with the key the administrator registered for the device) and
every link (the first record follows the stored head; each record follows the one
before it). One failed check refuses the whole batch, naming each problem, and nothing
of it is stored. Records the server already holds are skipped when they are the same
record, and refused when they are not (a replayed push is harmless; a rewritten history
is named). Inspections and alerts are then derived from the stored records, in the same
transaction (derive.py); an inspection is verified when its records from start to close
are all there, which the server established itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, transaction

from detector.logbook.chain import Record as ChainRecord
from detector.server import models as m
from detector.server.bulk import check_references_now, copy_records
from detector.server.derive import Unreadable, derive
from detector.server.signatures import PendingChecks

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
        if new:
            result.inspections = _store_checked(device, new)
            device.head_seq, device.head_hash = new[-1].seq, new[-1].hash
            device.save(update_fields=["head_seq", "head_hash"])
        result.stored, result.head = len(new), device.head_seq
        return result


def _store_checked(device: m.Device, new: list[ChainRecord]) -> list[str]:
    """Store `new` and what derives from it, and commit only if every record checks.

    The signatures are checked in worker processes while this process writes in the
    push's transaction (verification is most of an ingest's work, and it waits for
    nothing else); whatever fails, the transaction is rolled back, so nothing of the
    push is ever stored or seen."""
    own = PendingChecks(new, bytes(device.public_key))
    problems = _link_problems(device, new)
    late: list[str] = []
    inspections: list[str] = []
    try:
        if not problems:
            check_references_now()
            copy_records(device.id, new)
            inspections = derive(device.id, new)
    except Unreadable as exc:
        late.append(str(exc))
    except DatabaseError:
        # A forged record can clash with stored ones (an inspection's id, say): named
        # as forged below; with every signature good it is the server's fault.
        if not any(own.result()):
            raise
    problems = [str(p) for p in own.result() if p is not None] + problems
    if problems or late:
        raise Refused(problems or late)  # a forged record is named as forged first
    return inspections


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


def _link_problems(device: m.Device, records: list[ChainRecord]) -> list[str]:
    """The first record must follow the stored head, and each the one before it."""
    problems = []
    seq, prev = device.head_seq, device.head_hash
    for r in records:
        if r.seq != seq + 1:
            problems.append(f"record {seq + 1}: missing (the push jumps to {r.seq})")
        elif r.prev != prev:
            problems.append(f"record {r.seq}: does not follow record {seq}")
        seq, prev = r.seq, r.hash
    return problems
