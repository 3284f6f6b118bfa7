"""Sync throughput over a pty pair, against a plain byte copy over the same pty pair in
the same run. The device's logbook holds inspections with evidence (mostly evidence
bytes, as in the field); the office pulls all of it, checking every hash, signature and
chain link, and writing what it receives to its own database and evidence folder.

    python -m benchmarks.bench_sync [--inspections N] [--evidence-kb K] [--repeat R]
        [--link-mbs M]   (from the repository root)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import tty
from pathlib import Path

import serial

from detector.logbook.links import FdLink
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

    def write(self, data: bytes) -> int:
        if self.rate:
            due = self.start + (self.sent + len(data)) / self.rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        self.sent += len(data)
        return self.port.write(data)


def in_child(work) -> int:
    """Run the device side in its own process, as on the real device (no shared GIL)."""
    pid = os.fork()
    if pid == 0:
        try:
            work()
        finally:
            os._exit(0)
    return pid


def raw_copy(total: int, rate: float | None = None) -> float:
    """Bytes per second of a plain copy from the device side to the office side."""
    name, master = pty_pair()

    def send() -> None:
        device = Throttled(serial.Serial(name, timeout=0.2, write_timeout=30), rate)
        block = os.urandom(65536)
        sent = 0
        while sent < total:
            device.write(block)
            sent += len(block)
        time.sleep(1)
        device.close()

    office = FdLink(master, timeout=2.0)
    pid = in_child(send)
    got = 0
    start = None
    while got < total:
        data = office.read(1 << 20)
        start = start or time.perf_counter()
        got += len(data)
    elapsed = time.perf_counter() - start
    os.waitpid(pid, 0)
    office.close()
    return got / elapsed


def sync_rate(device_dir: Path, office_dir: Path, code: str,
              rate: float | None = None) -> tuple[float, int]:
    name, master = pty_pair()

    def serve() -> None:
        book = Logbook.on_device(device_dir)
        device = Throttled(serial.Serial(name, timeout=0.2, write_timeout=30), rate)
        DeviceServer(book, device, timeout_s=10).serve(sessions=1)
        device.close()

    pid = in_child(serve)
    office = FdLink(master, timeout=0.2)
    book = Logbook(office_dir)
    client = OfficeClient(book, OfficeIdentity.load_or_create(office_dir), office, 10)
    start = time.perf_counter()
    result = client.sync(code)
    elapsed = time.perf_counter() - start
    os.waitpid(pid, 0)
    assert book.verify(result.device) == [], "the office's copy does not verify"
    book.close()
    office.close()
    return result.bytes / elapsed, result.bytes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inspections", type=int, default=60)
    ap.add_argument("--evidence-kb", type=int, default=150, help="per evidence image")
    ap.add_argument("--repeat", type=int, default=5,
                    help="sync and plain copy runs, alternated (a pty's rate varies)")
    ap.add_argument("--link-mbs", type=float, default=None,
                    help="also measure with the device's writes held to this many MB/s")
    args = ap.parse_args()
    syncs: list[float] = []
    copies: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        random.seed(0)
        book = device_logbook(root / "device", inspections=args.inspections,
                              evidence_bytes=args.evidence_kb * 1024)
        book.close()

        def fresh_sync(office: str, rate: float | None = None) -> tuple[float, int]:
            book = Logbook.on_device(root / "device")
            code = new_pairing_code(book)
            book.close()
            return sync_rate(root / "device", root / office, code, rate)

        for run in range(args.repeat):
            rate, moved = fresh_sync(f"office{run}")
            syncs.append(rate)
            copies.append(raw_copy(moved))
        if args.link_mbs:
            limit = args.link_mbs * 1e6
            slow, _ = fresh_sync("office-slow", limit)
            slow_ref = raw_copy(moved, limit)
    sync_mid, copy_mid = statistics.median(syncs), statistics.median(copies)
    print(f"sync of {moved / 1e6:.1f} MB, {args.repeat} runs: "
          + ", ".join(f"{r / 1e6:.0f}" for r in syncs) + " MB/s")
    print("plain byte copy over the same kind of pty pair: "
          + ", ".join(f"{r / 1e6:.0f}" for r in copies) + " MB/s")
    print(f"sync / raw = {sync_mid / copy_mid:.2f} (medians; against the fastest copy "
          f"{sync_mid / max(copies):.2f}; target at least 0.80)")
    if args.link_mbs:
        print(f"with the link held to {args.link_mbs:g} MB/s: sync {slow / 1e6:.1f} MB/s, "
              f"plain copy {slow_ref / 1e6:.1f} MB/s, sync / raw = {slow / slow_ref:.2f}")


if __name__ == "__main__":
    main()
