"""Helpers for logbook tests: a device logbook filled with inspections the way a sweep
writes them (start, alerts, a finding with evidence files, the end)."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

from PIL import Image

from detector.inspection import CHECKLIST
from detector.logbook.sink import LogbookSink
from detector.logbook.store import Logbook


def fake_png(rng: random.Random, size: int) -> bytes:
    """A real PNG of noise, about `size` bytes (noise does not compress)."""
    side = max(int(size ** 0.5), 4)
    pixels = bytes(rng.getrandbits(8) for _ in range(side * side))
    out = io.BytesIO()
    Image.frombytes("L", (side, side), pixels).save(out, format="PNG")
    return out.getvalue()


def spectrum() -> bytes:
    return json.dumps({"cc2500": [{"t_ns": 1, "source": "cc2500", "band": "ism-2g4",
                                   "start_hz": 2400000000, "step_hz": 1000000,
                                   "dbm": [-90 + (i % 7) for i in range(84)]}]}).encode()


def write_inspection(sink: LogbookSink, n: int, rng: random.Random, *, month: str = "2026-11",
                     finding: bool = True, evidence_bytes: int = 3000,
                     location: str = "STN-CENTRAL-W1", team: str = "north") -> str:
    ins = f"insp-{n:05d}"
    day = 1 + n % 28
    started = f"{month}-{day:02d}T09:{n % 60:02d}:00+00:00"
    sink.append("inspection-start", {
        "inspection": ins, "location": location, "location_name": f"Place {location}",
        "room_type": "stall", "inspector": f"inspector{n % 5}", "team": team,
        "started": started})
    sink.append("alert", {"inspection": ins, "id": 1, "level": "rf-activity",
                          "reason": "RF transmitter (wifi-2g4)", "t_ns": 5,
                          "evidence": {"rf": {"band": "wifi-2g4", "level_dbm": -60.0}}})
    result = "clear"
    findings = []
    if finding:
        result = "suspicious"
        body = {"inspection": ins, "t_ns": 9, "verdict": "suspicious",
                "marker": [10.0, 20.0, "confirmed"], "level": "lens-confirmed"}
        sink.append("finding", body, [("snapshot", "image/png", fake_png(rng, evidence_bytes)),
                                      ("frame 1 onaxis", "image/png",
                                       fake_png(rng, evidence_bytes)),
                                      ("rf spectrum", "application/json", spectrum())])
        findings.append(body)
    sink.append("inspection", {
        "id": ins, "location_id": location, "location_name": f"Place {location}",
        "room_type": "stall", "inspector": f"inspector{n % 5}", "team": team,
        "started": started, "ended": started.replace("T09", "T10"),
        "checklist": {k: True for k in CHECKLIST}, "coverage": 0.7, "result": result,
        "reasons": ["test"], "coverage_map": {"swept": ["  ..##..  "] * 3},
        "findings": findings})
    return ins


def device_logbook(directory: Path, inspections: int = 3, seed: int = 0,
                   **kwargs) -> Logbook:
    book = Logbook.on_device(directory)
    sink = LogbookSink(book)
    rng = random.Random(seed)
    for n in range(inspections):
        write_inspection(sink, n, rng, **kwargs)
    return book
