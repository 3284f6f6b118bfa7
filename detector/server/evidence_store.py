"""Evidence files on disk by their SHA-256 (DETECTOR_EVIDENCE_DIR/ab/abcdef...): written
through a temporary file and a rename, read back checked."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from django.conf import settings

SHA256 = re.compile(r"[0-9a-f]{64}")


class EvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if not SHA256.fullmatch(sha256):  # never a path from the outside
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, sha256: str, data: bytes) -> None:
        path = self.path(sha256)
        if self.read(sha256) is not None:
            return  # already here, intact (a damaged copy is replaced)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def read(self, sha256: str) -> bytes | None:
        """The file's content, or None when it is missing or no longer matches."""
        try:
            data = self.path(sha256).read_bytes()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == sha256 else None


def store() -> EvidenceStore:
    return EvidenceStore(settings.EVIDENCE_DIR)


def keep(sha256: str, data: bytes, media_type: str) -> None:
    """An evidence file whose content was checked against `sha256`: on disk, with its
    row (a push's upload, and the generator's demo city)."""
    from detector.server import models as m

    store().put(sha256, data)
    m.Evidence.objects.update_or_create(sha256=sha256, defaults={
        "size": len(data), "media_type": media_type})
