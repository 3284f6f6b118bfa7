"""Evidence arriving over the sync link, written on a thread of its own.

Hashing, writing and flushing a file to disk release the GIL, so while this thread does
them the sync keeps reading and decoding the link. Each file grows in
`evidence/.partial/<sha256>` (an interrupted transfer resumes from its length) and is
checked against its hash. `wait()` then flushes every file finished since the last
wait to disk at once and only then moves them into the store (one flush for the batch,
not one per file: durable.py). It returns once everything handed over is stored, and
raises the first failure.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from detector.errors import DetectorError
from detector.logbook.evidence import EvidenceStore, cannot_store

_DONE = object()  # marks the end of the queue


class DamagedEvidence(DetectorError):
    """A received file does not hash to the name it was asked for."""


class IncomingEvidence:
    def __init__(self, store: EvidenceStore) -> None:
        self.store = store
        self.partial = store.root / ".partial"
        self._tasks: queue.Queue = queue.Queue(maxsize=256)  # bounds the memory held
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        # Writer-thread state: the file being written.
        self._file: BinaryIO | None = None
        self._digest = hashlib.sha256()
        self._finished: list[tuple[Path, str]] = []  # checked, not yet in the store

    # ---- the receiving side ----------------------------------------------------------------
    def offset(self, sha: str) -> int:
        """How much of the file an earlier, interrupted transfer left."""
        try:
            return (self.partial / sha).stat().st_size
        except FileNotFoundError:
            return 0

    def begin(self, sha: str) -> None:
        self._put(("begin", sha))

    def write(self, data: bytes) -> None:
        self._put(("data", data))

    def end(self, sha: str) -> None:
        self._put(("end", sha))

    def wait(self) -> None:
        """Block until every handed-over file is on disk and in the store; raise the
        first failure. After it, the next file starts afresh."""
        self._tasks.put(("commit", ""))
        self._tasks.join()
        error, self._error = self._error, None
        if error is not None:
            raise error

    def __enter__(self) -> IncomingEvidence:
        try:
            self.partial.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise cannot_store(self.partial, exc) from None
        self._thread = threading.Thread(target=self._run, name="incoming-evidence",
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # Whatever arrived before a failure is written out, so a retry resumes after it.
        self._tasks.put(_DONE)
        if self._thread is not None:
            self._thread.join()
        if exc_type is None and self._error is not None:
            raise self._error

    def _put(self, task: tuple) -> None:
        if self._error is not None:  # stop early; the writer skips the rest until wait()
            raise self._error
        self._tasks.put(task)

    # ---- the writer thread -----------------------------------------------------------------
    def _run(self) -> None:
        while True:
            task = self._tasks.get()
            try:
                if task is _DONE:
                    self._close()
                    return
                if self._error is None:  # after a failure, drain without writing
                    self._do(*task)
            except (OSError, DetectorError) as exc:
                self._close()
                self._error = (exc if isinstance(exc, DetectorError)
                               else cannot_store(self.partial, exc))
            finally:
                self._tasks.task_done()

    def _do(self, kind: str, arg: str | bytes) -> None:
        if kind == "begin":
            self._open(self.partial / str(arg))
        elif kind == "data":
            assert self._file is not None
            self._file.write(arg)
            self._digest.update(arg)
        elif kind == "end":
            self._finish(str(arg))
        else:
            finished, self._finished = self._finished, []
            self.store.adopt_many(finished)

    def _open(self, part: Path) -> None:
        self._digest = hashlib.sha256()
        if part.exists():  # what an interrupted transfer left: hash it and go on after it
            with open(part, "rb") as f:
                while block := f.read(1 << 20):
                    self._digest.update(block)
        self._file = open(part, "ab")  # noqa: SIM115 - closed in _finish or _close

    def _finish(self, sha: str) -> None:
        """Close and check a file; the next commit flushes it and stores it. Left in
        .partial until then: a crash before it only means the file is fetched again
        (and re-hashed) from where its copy on disk stops."""
        assert self._file is not None
        part = Path(self._file.name)
        self._close()
        if self._digest.hexdigest() != sha:
            part.unlink()
            raise DamagedEvidence(f"evidence {sha[:12]}... arrived damaged; it will be "
                                  f"fetched again")
        self._finished.append((part, sha))

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
