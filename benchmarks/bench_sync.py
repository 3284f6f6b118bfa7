"""Sync throughput over a pty pair, against a plain byte copy over the same pty pair in
the same run. The device's logbook holds inspections with evidence (mostly evidence
bytes, as in the field); the office pulls all of it, checking every hash, signature and
chain link, and writing what it receives to its own database and evidence folder.

    python -m benchmarks.bench_sync [--inspections N] [--evidence-kb K] [--repeat R]
        [--link-mbs M] [--direct]   (from the repository root)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import tempfile
import time
import tty
from collections.abc import Callable
from pathlib import Path

import serial

from detector.logbook.links import FdLink
from detector.logbook.readahead import read_ahead
from detector.logbook.store import Logbook
from detector.logbook.sync import DeviceServer, OfficeClient, OfficeIdentity, new_pairing_code
from tests.logbooks import device_logbook


def pty_pair() -> tuple[str, int]:
    """(slave name, master fd): the device opens the slave like a serial port (as it
    opens /dev/ttyGS0); the office reads and writes the master. The parent keeps its
    own slave descriptor open (unused): with none open, the master reads fail."""
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    KEEP.append(slave)
    return os.ttyname(slave), master


KEEP: list[int] = []


class Throttled:
    """The device's port at a fixed byte rate (a token bucket on its writes), to model a
    real USB link instead of the pty's memory speed."""

    def __init__(self, port, rate: float | None) -> None:
        self.port, self.rate = port, rate
        self.start = time.perf_counter()
        self.sent = 0

    def __getattr__(self, name):
        return getattr(self.port, name)

    def fileno(self) -> int:
        if self.rate:  # held to the rate only if written through write(), not the fd
            raise OSError("a throttled port has no descriptor to write to")
        return self.port.fileno()

    def write(self, data: bytes) -> int:
        if self.rate:
            due = self.start + (self.sent + len(data)) / self.rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        self.sent += len(data)
        return self.port.write(data)


def in_child(work) -> int:
    """Run the device side in its own process, as on the real device (no shared GIL).
    Returns once the child has opened its port: bytes the office sent before that would
    be flushed by the open."""
    ready, signal = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            work(lambda: os.write(signal, b"."))
        finally:
            os._exit(0)
    os.read(ready, 1)
    os.close(ready)
    os.close(signal)
    return pid


def busy_cores() -> Callable[[], float | None]:
    """Started now; called later, how many of the machine's cores were busy meanwhile
    (Linux's /proc/stat; None elsewhere)."""
    def ticks() -> tuple[int, int] | None:
        try:
            with open("/proc/stat") as f:
                fields = [int(x) for x in f.readline().split()[1:]]
        except OSError:
            return None
        return sum(fields) - fields[3] - fields[4], sum(fields)  # busy, all

    before = ticks()

    def since() -> float | None:
        after = ticks()
        if before is None or after is None or after[1] == before[1]:
            return None
        return (after[0] - before[0]) / (after[1] - before[1]) * (os.cpu_count() or 1)
    return since


def raw_copy(total: int, rate: float | None = None) -> tuple[float, float | None]:
    """(bytes per second, busy cores) of a plain copy from the device side to the office
    side."""
    name, master = pty_pair()

    def send(ready) -> None:
        device = Throttled(serial.Serial(name, timeout=0.2, write_timeout=30), rate)
        ready()
        block = os.urandom(65536)
        sent = 0
        while sent < total:  # exactly `total`: more would fill the pty and block here
            sent += device.write(block if total - sent >= len(block) else block[:total - sent])
        time.sleep(1)
        device.close()

    office = FdLink(master, timeout=2.0)
    pid = in_child(send)
    got = 0
    start = None
    while got < total:
        data = office.read(1 << 20)
        if start is None:
            start, cores = time.perf_counter(), busy_cores()
        got += len(data)
    elapsed = time.perf_counter() - start
    used = cores()
    os.waitpid(pid, 0)
    office.close()
    return got / elapsed, used


def sync_rate(device_dir: Path, office_dir: Path, code: str, rate: float | None = None,
              ahead: bool = True) -> tuple[float, int]:
    """(bytes per second, bytes) of one sync, the office reading ahead as `detector
    sync` does, or (ahead=False) reading the port itself."""
    name, master = pty_pair()

    def serve(ready) -> None:
        book = Logbook.on_device(device_dir)
        device = Throttled(serial.Serial(name, timeout=0.2, write_timeout=30), rate)
        ready()
        DeviceServer(book, device, timeout_s=10).serve(sessions=1)
        device.close()

    pid = in_child(serve)
    book = Logbook(office_dir)
    office = FdLink(master, timeout=0.2)
    with read_ahead(office) if ahead else contextlib.nullcontext(office) as link:
        client = OfficeClient(book, OfficeIdentity.load_or_create(office_dir), link, 10)
        start = time.perf_counter()
        result = client.sync(code)
        elapsed = time.perf_counter() - start
    os.waitpid(pid, 0)
    assert book.verify(result.device) == [], "the office's copy does not verify"
    book.close()
    office.close()
    return result.bytes / elapsed, result.bytes


def mbs(rates: list[float]) -> str:
    return ", ".join(f"{r / 1e6:.0f}" for r in rates) + " MB/s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inspections", type=int, default=60)
    ap.add_argument("--evidence-kb", type=int, default=150, help="per evidence image")
    ap.add_argument("--repeat", type=int, default=9,
                    help="sync and plain copy runs, alternated (a pty's rate varies)")
    ap.add_argument("--link-mbs", type=float, default=None,
                    help="also measure with the device's writes held to this many MB/s")
    ap.add_argument("--direct", action="store_true",
                    help="also sync with the office reading the port itself, no read-ahead")
    args = ap.parse_args()
    syncs: list[float] = []
    direct: list[float] = []
    copies: list[float] = []
    cores: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        random.seed(0)
        book = device_logbook(root / "device", inspections=args.inspections,
                              evidence_bytes=args.evidence_kb * 1024)
        book.close()
        runs = iter(range(10**6))

        def fresh_sync(rate: float | None = None, ahead: bool = True) -> tuple[float, int]:
            book = Logbook.on_device(root / "device")
            code = new_pairing_code(book)
            book.close()
            return sync_rate(root / "device", root / f"office{next(runs)}", code, rate, ahead)

        for _run in range(args.repeat):
            rate, moved = fresh_sync()
            syncs.append(rate)
            if args.direct:
                direct.append(fresh_sync(ahead=False)[0])
            copy, used = raw_copy(moved)
            copies.append(copy)
            if used is not None:
                cores.append(used)
        if args.link_mbs:
            limit = args.link_mbs * 1e6
            slow, _ = fresh_sync(limit)
            slow_ref, _ = raw_copy(moved, limit)
    sync_mid, copy_mid = statistics.median(syncs), statistics.median(copies)
    print(f"sync of {moved / 1e6:.1f} MB, {args.repeat} runs: {mbs(syncs)}")
    if direct:
        print(f"  the same without read-ahead: {mbs(direct)} "
              f"(median {statistics.median(direct) / sync_mid:.2f} of read-ahead)")
    print(f"plain byte copy over the same kind of pty pair: {mbs(copies)}")
    if cores:
        print("  cores busy during each copy (of " + str(os.cpu_count()) + "): "
              + ", ".join(f"{c:.1f}" for c in cores))
    print(f"sync / raw = {sync_mid / copy_mid:.2f} (medians; against the fastest copy "
          f"{sync_mid / max(copies):.2f}; target at least 0.80)")
    if args.link_mbs:
        print(f"with the link held to {args.link_mbs:g} MB/s: sync {slow / 1e6:.1f} MB/s, "
              f"plain copy {slow_ref / 1e6:.1f} MB/s, sync / raw = {slow / slow_ref:.2f}")


if __name__ == "__main__":
    main()
