"""A push's records checked on their own (content against hash, hash against the
device's signature) in worker processes, while the push's writes go on in this one.

Not threads: a check needs the interpreter lock for a few microseconds around each
Ed25519 verification, and while the writes run Python it waits up to the switch
interval (5 ms) for it: beside a thread running Python, 12,500 checks took 30 s on two
threads here instead of 0.4 s.
One worker fewer than the cores: the writes keep a core, and on two cores two workers
took it from them (the push took longer). Workers are started once, by a fork server
(never a fork of a process that holds database connections and threads).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from detector.logbook.chain import PARALLEL_FROM, Problem, Record, check_record

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _workers() -> int:
    return max(1, (os.cpu_count() or 1) - 1)


def _check_rows(rows: list[tuple], public: bytes) -> list[Problem | None]:
    """In a worker: check_record for each (seq, kind, body, prev, hash, signature)."""
    return [check_record(Record.from_row(row), public) for row in rows]


def _shared_pool() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(_workers(),
                                        mp_context=multiprocessing.get_context("forkserver"))
        return _pool


def _forget_pool(broken: ProcessPoolExecutor) -> None:
    """A worker died (killed, out of memory): the next push starts new ones."""
    global _pool
    with _pool_lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


class PendingChecks:
    """The checks of `records`, started; result() waits for them, in the records' order.
    Should the workers fail, the records are checked here instead: a push is never
    stored unchecked, nor refused for the server's own trouble."""

    def __init__(self, records: list[Record], public: bytes) -> None:
        self._records, self._public = records, public
        self._parts: list[Future] = []
        self._pool: ProcessPoolExecutor | None = None
        self._result: list[Problem | None] | None = None
        if len(records) < PARALLEL_FROM:
            return  # checked in result(): a few ms, less than sending them
        rows = [(r.seq, r.kind, r.body, r.prev, r.hash, r.signature) for r in records]
        size = -(-len(rows) // _workers())
        try:
            self._pool = _shared_pool()
            self._parts = [self._pool.submit(_check_rows, rows[i:i + size], public)
                           for i in range(0, len(rows), size)]
        except (BrokenProcessPool, OSError, RuntimeError):
            self._lost()

    def result(self) -> list[Problem | None]:
        if self._result is None:
            try:
                self._result = ([p for part in self._parts for p in part.result()]
                                if self._parts else self._here())
            except BrokenProcessPool:
                self._lost()
                self._result = self._here()
        return self._result

    def _here(self) -> list[Problem | None]:
        return [check_record(r, self._public) for r in self._records]

    def _lost(self) -> None:
        if self._pool is not None:
            _forget_pool(self._pool)
        self._parts = []
