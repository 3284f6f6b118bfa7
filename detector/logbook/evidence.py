"""Evidence files stored by their SHA-256: `evidence/ab/abcdef...`. A file is written to a
temporary name, flushed to disk and renamed, so a file under its hash is always whole;
the same content is stored once."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from detector.errors import LogbookError
from detector.logbook.durable import flush_paths


class EvidenceError(LogbookError):
    """An evidence file is missing, damaged or cannot be written."""


def cannot_store(where: Path, exc: OSError) -> EvidenceError:
    return EvidenceError(f"{where}: cannot store evidence: {exc.strerror or exc}")


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(directory: Path) -> None:
    """Make a rename in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class EvidenceStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, sha: str) -> Path:
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise EvidenceError(f"not a SHA-256: {sha[:80]!r}")
        return self.root / sha[:2] / sha

    def has(self, sha: str) -> bool:
        return self.path(sha).exists()

    def put(self, data: bytes, expected: str | None = None) -> str:
        sha = sha256_of(data)
        if expected is not None and sha != expected:
            raise EvidenceError(f"evidence {expected[:12]}...: content hashes to "
                                f"{sha[:12]}..., refused")
        target = self.path(sha)
        if target.exists():
            return sha
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            _fsync_dir(target.parent)
        except OSError as exc:
            raise cannot_store(target, exc) from None
        return sha

    def adopt_many(self, files: list[tuple[Path, str]]) -> None:
        """Move finished files (their hash already checked by the caller, their content
        not yet flushed) into the store under their hashes: the content is made durable
        first, then the names, with one flush each for the whole batch
        (durable.flush_paths)."""
        if not files:
            return
        try:
            flush_paths((path for path, _sha in files), self.root)
            for path, sha in files:
                target = self.path(sha)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
            flush_paths({self.path(sha).parent for _path, sha in files}, self.root)
        except OSError as exc:
            raise cannot_store(self.root, exc) from None

    def read_raw(self, sha: str) -> bytes:
        """The file's bytes without re-hashing them (the receiver checks them anyway)."""
        try:
            return self.path(sha).read_bytes()
        except OSError:
            raise EvidenceError(f"evidence {sha}: missing") from None

    def read(self, sha: str) -> bytes:
        data = self.read_raw(sha)
        if sha256_of(data) != sha:
            raise EvidenceError(f"evidence {sha}: damaged (its content no longer matches "
                                f"its hash)")
        return data

    def delete(self, sha: str) -> None:
        self.path(sha).unlink(missing_ok=True)
