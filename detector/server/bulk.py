"""The server's bulk writes: a push's records and the inspections derived from them go
into PostgreSQL with COPY, in the push's transaction (the ORM's INSERTs cost most of an
ingest's time). The only server module that speaks SQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.db import connection

from detector.logbook.chain import Record as ChainRecord


def copy_records(device_id: str, records: list[ChainRecord]) -> None:
    now = datetime.now(UTC)
    with connection.cursor() as cur, cur.connection.cursor().copy(
            "COPY server_record (device_id, seq, kind, body, prev, hash, signature, received) "
            "FROM STDIN") as copy:
        for r in records:
            copy.write_row((device_id, r.seq, r.kind, r.body, r.prev, r.hash, r.signature, now))


INSPECTION_COLUMNS = ("id", "device_id", "location_id", "location_id_text", "location_name",
                      "team_id", "inspector", "started", "ended", "result", "coverage",
                      "peak_level", "findings", "evidence", "first_seq", "last_seq",
                      "verified")


def copy_inspections(rows: list) -> None:
    """New inspections (model instances, not yet stored)."""
    with connection.cursor() as cur, cur.connection.cursor().copy(
            f"COPY server_inspection ({', '.join(INSPECTION_COLUMNS)}) FROM STDIN") as copy:
        for i in rows:
            copy.write_row((i.id, i.device_id, i.location_id, i.location_id_text,
                            i.location_name, i.team_id, i.inspector, i.started, i.ended,
                            i.result, i.coverage, i.peak_level, i.findings,
                            json.dumps(i.evidence), i.first_seq, i.last_seq, i.verified))
