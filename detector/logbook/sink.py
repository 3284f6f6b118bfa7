"""The sweep's record sink on the logbook: evidence files first (by SHA-256), then the
record that names them, signed and chained."""

from __future__ import annotations

import sqlite3
from typing import Any

from detector.errors import LogbookError
from detector.inspection import EVIDENCE_FILES, Blob, evidence_entry
from detector.logbook.store import Logbook


class LogbookSink:
    def __init__(self, logbook: Logbook) -> None:
        self.logbook = logbook

    def append(self, kind: str, record: dict[str, Any], blobs: list[Blob] = ()) -> None:
        entries = []
        for role, media_type, data in blobs:
            entry = evidence_entry(role, media_type, data)
            self.logbook.evidence.put(data, expected=entry["sha256"])
            entries.append(entry)
        body = {**record, **({EVIDENCE_FILES: entries} if entries else {})}
        try:
            self.logbook.append(kind, body)
        except sqlite3.Error as exc:
            raise LogbookError(f"{self.logbook.path}: cannot write a {kind} record: "
                               f"{exc}") from None

    def close(self) -> None:
        self.logbook.close()
