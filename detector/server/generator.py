"""Synthetic logbooks at the scale of a city (docs/server.md): districts with their
teams, offices and restrooms, simulated devices with their own keys, and monthly
inspections signed by those devices exactly as a handheld signs them (start, alerts,
now and then a finding with its snapshot and RF spectrum, the close). The records go
through the server's own ingest, so they are verified on the way in like any push.

Deterministic for a seed: the same city, keys and records every time.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from detector.inspection import EVIDENCE_FILES, evidence_entry
from detector.logbook.chain import GENESIS, Record, canonical, record_hash
from detector.logbook.keys import DeviceKey

RESULTS = (("clear", 0.86), ("incomplete", 0.1), ("suspicious", 0.035), ("device-found", 0.005))


@dataclass
class CityPlan:
    districts: int = 2
    restrooms: int = 10  # per district
    months: int = 3
    start: str = "2026-09-01"
    high_risk: float = 0.1  # share of restrooms inspected weekly
    seed: int = 0
    keep_evidence: bool = True  # the files' bytes, to store (a benchmark needs only names)


@dataclass
class SimDevice:
    key: DeviceKey
    team: str
    seq: int = 0
    prev: str = GENESIS
    keep_evidence: bool = True
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # sha -> type, bytes

    def attach(self, role: str, media_type: str, data: bytes) -> dict:
        """An evidence file of the next record: its entry for the record (the device
        stores the file first, then names it in the record)."""
        entry = evidence_entry(role, media_type, data)
        if self.keep_evidence:
            self.files[entry["sha256"]] = (media_type, data)
        return entry

    def sign(self, kind: str, body: dict) -> Record:
        self.seq += 1
        text = canonical(body)
        digest = record_hash(self.seq, kind, text, self.prev)
        record = Record(self.seq, kind, text, self.prev, digest,
                        self.key.sign(digest.encode()))
        self.prev = digest
        return record


@dataclass
class City:
    plan: CityPlan
    districts: list[str] = field(default_factory=list)
    locations: list[tuple[str, str, str, str]] = field(default_factory=list)  # id, name, district, risk
    devices: dict[str, SimDevice] = field(default_factory=dict)  # per district


def device_key(seed: int, n: int) -> DeviceKey:
    material = hashlib.sha256(f"detector-city-{seed}-{n}".encode()).digest()
    return DeviceKey(Ed25519PrivateKey.from_private_bytes(material))


def plan_city(plan: CityPlan) -> City:
    rng = random.Random(plan.seed)
    city = City(plan)
    for d in range(plan.districts):
        name = f"District {d + 1:02d}"
        city.districts.append(name)
        city.devices[name] = SimDevice(device_key(plan.seed, d), f"team-{d + 1:02d}",
                                       keep_evidence=plan.keep_evidence)
        for r in range(plan.restrooms):
            risk = "high" if rng.random() < plan.high_risk else "normal"
            city.locations.append((f"D{d + 1:02d}-R{r + 1:04d}", f"Restroom {r + 1} of {name}",
                                   name, risk))
    return city


def inspections(city: City) -> Iterator[tuple[str, list[Record]]]:
    """(district, the records of one inspection), in time order per device."""
    plan = city.plan
    rng = random.Random(plan.seed + 1)
    start = datetime.fromisoformat(plan.start).replace(tzinfo=UTC)
    days = plan.months * 30
    for name in city.districts:
        device = city.devices[name]
        visits = []
        for loc_id, loc_name, district, risk in city.locations:
            if district != name:
                continue
            step = 7 if risk == "high" else 30
            offset = rng.randrange(step)
            visits += [(start + timedelta(days=day, hours=rng.randrange(8, 17)), loc_id, loc_name)
                       for day in range(offset, days, step)]
        visits.sort()
        for n, (when, loc_id, loc_name) in enumerate(visits):
            yield name, _inspection(device, rng, f"{device.key.id}-{n:07d}", when, loc_id,
                                    loc_name)


def _inspection(device: SimDevice, rng: random.Random, ins: str, when: datetime,
                loc_id: str, loc_name: str) -> list[Record]:
    started = when.isoformat(timespec="seconds")
    ended = (when + timedelta(minutes=rng.randrange(3, 12))).isoformat(timespec="seconds")
    result = rng.choices([r for r, _ in RESULTS], [w for _, w in RESULTS])[0]
    records = [device.sign("inspection-start", {
        "inspection": ins, "location": loc_id, "location_name": loc_name,
        "room_type": "stall", "inspector": f"{device.team}-inspector{rng.randrange(4)}",
        "team": device.team, "started": started})]
    if result in ("suspicious", "device-found"):
        records.append(device.sign("alert", {
            "inspection": ins, "id": 1, "level": "lens-confirmed",
            "reason": "lens confirmed (track 1)", "t_ns": 1,
            "evidence": {"lens": {"track": 1, "x": 320.0, "y": 180.0, "score": 0.9}}}))
        x, y = rng.uniform(40, 600), rng.uniform(40, 320)
        records.append(device.sign("finding", {
            "inspection": ins, "t_ns": 2, "verdict": "suspicious" if result == "suspicious"
            else "device", "marker": [round(x, 1), round(y, 1), "confirmed"],
            "level": "lens-confirmed",
            EVIDENCE_FILES: [device.attach("snapshot", "image/png", snapshot(rng, x, y)),
                             device.attach("rf spectrum", "application/json",
                                           spectrum(rng))]}))
    records.append(device.sign("inspection", {
        "id": ins, "location_id": loc_id, "location_name": loc_name, "room_type": "stall",
        "inspector": f"{device.team}-inspector", "team": device.team, "started": started,
        "ended": ended, "coverage": round(rng.uniform(0.55, 0.95), 3), "result": result,
        "reasons": [], "stats": {"peak_level": "clear" if result in ("clear", "incomplete")
                                 else "lens-confirmed"}}))
    return records


def snapshot(rng: random.Random, x: float, y: float) -> bytes:
    """A small dim room with one bright glint where the lens is marked, as PNG (the
    device's snapshot is the live view with the lens enlarged below it; this stands in
    for it at a fraction of the size)."""
    seed = rng.getrandbits(32)
    room = np.random.default_rng(seed).integers(10, 40, (60, 80), dtype=np.uint8)
    cv2.circle(room, (int(x / 8), int(y / 6)), 2, 255, -1)
    ok, png = cv2.imencode(".png", room)
    return png.tobytes()


def spectrum(rng: random.Random) -> bytes:
    """The 2.4 GHz scanner's last reading around the finding, as the device files it."""
    floor = [round(rng.uniform(-104, -96), 1) for _ in range(84)]
    return json.dumps({"cc2500": [{"t_ns": 2, "source": "cc2500", "band": "ism-2g4",
                                   "start_hz": 2_400_000_000, "step_hz": 1_000_000,
                                   "dbm": floor}]}, sort_keys=True).encode()
