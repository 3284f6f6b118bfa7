"""The logbook at a city's scale: 10,000 inspections with 1,000 findings (each with a
snapshot, a frame and an RF spectrum as evidence). Times `detector log verify` (every
record's hash, signature and chain link, and every evidence file re-hashed) and
`detector report` for one month, each next to its 10 s budget and to a plain read of
the same rows in the same run.

    python -m benchmarks.bench_logbook_scale [--inspections N] [--findings M]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import tempfile
import time
from pathlib import Path

from detector.config import load_config
from detector.inspection import CHECKLIST, evidence_entry
from detector.logbook.commands import log_command
from detector.logbook.report import build_report, parse_period
from detector.logbook.store import Logbook
from tests.logbooks import fake_png, spectrum

BUDGET_S = 10.0
MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]


def build(directory: Path, inspections: int, findings: int) -> Logbook:
    """Records in bulk transactions (one commit per 500 records): the same records a
    sweep writes one at a time, without 40,000 fsyncs."""
    book = Logbook.on_device(directory)
    rng = random.Random(1)
    every = max(inspections // max(findings, 1), 1)
    batch: list = []
    for n in range(inspections):
        ins = f"insp-{n:06d}"
        month = MONTHS[n * len(MONTHS) // inspections]
        started = f"{month}-{1 + n % 28:02d}T{8 + n % 10:02d}:{n % 60:02d}:00+00:00"
        location = f"LOC-{n % 150:03d}"
        batch.append(("inspection-start", {
            "inspection": ins, "location": location, "location_name": f"Restroom {location}",
            "room_type": "stall", "inspector": f"inspector{n % 40}", "team": f"team{n % 8}",
            "started": started}))
        batch.append(("alert", {"inspection": ins, "id": 1, "level": "rf-activity",
                                "reason": "RF transmitter (wifi-2g4)", "t_ns": n}))
        found = n % every == 0 and n // every < findings
        if found:
            blobs = [("snapshot", "image/png", fake_png(rng, 6000)),
                     ("frame 1 onaxis", "image/png", fake_png(rng, 6000)),
                     ("rf spectrum", "application/json", spectrum())]
            entries = []
            for role, media_type, data in blobs:
                book.evidence.put(data)
                entries.append(evidence_entry(role, media_type, data))
            batch.append(("finding", {"inspection": ins, "verdict": "suspicious", "t_ns": n,
                                      "evidence_files": entries}))
        batch.append(("inspection", {
            "id": ins, "location_id": location, "started": started,
            "ended": started.replace("+00:00", "+00:30"),
            "checklist": {k: True for k in CHECKLIST}, "coverage": 0.5 + (n % 50) / 100,
            "result": "suspicious" if found else "clear", "reasons": [],
            "coverage_map": {"swept": ["  ..####..  "] * 4}}))
        if len(batch) >= 500:
            book.append_many(batch)
            batch = []
    if batch:
        book.append_many(batch)
    return book


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inspections", type=int, default=10_000)
    ap.add_argument("--findings", type=int, default=1_000)
    args = ap.parse_args()
    config = load_config(None, [])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        book = build(root, args.inspections, args.findings)
        records = book.head()[0]
        print(f"built {args.inspections} inspections, {args.findings} findings, {records} "
              f"records in {time.perf_counter() - start:.1f} s")
        scan = timed(lambda: book.conn.execute("SELECT * FROM records").fetchall())
        book.close()
        with contextlib.redirect_stdout(io.StringIO()) as out:
            verify = timed(lambda: log_command(config, root, False, "verify", None))
        assert "verified" in out.getvalue(), out.getvalue()
        book = Logbook.on_device(root)
        html: list[str] = []
        report = timed(lambda: html.append(build_report(book, parse_period(month="2026-06"))))
        book.close()
    print(f"detector log verify: {verify:.2f} s (budget {BUDGET_S:.0f} s, ratio "
          f"{verify / BUDGET_S:.2f}); a plain read of the records takes {scan:.2f} s, "
          f"verification is {verify / scan:.0f}x that")
    print(f"detector report --month 2026-06: {report:.2f} s (budget {BUDGET_S:.0f} s, ratio "
          f"{report / BUDGET_S:.2f}), {len(html[0]) / 1e6:.1f} MB of HTML")


if __name__ == "__main__":
    main()
