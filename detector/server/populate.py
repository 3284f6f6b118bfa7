"""A planned city (generator.py) into the server: its districts, teams, restrooms,
offices and devices, then every inspection's records through the server's own ingest
(checked like any push). Returns each office's push token."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator

from detector.logbook.chain import Record
from detector.push import BATCH as PUSH_BATCH
from detector.server import models as m
from detector.server.evidence_store import keep
from detector.server.generator import City, inspections
from detector.server.ingest import ingest


def populate(city: City) -> dict[str, str]:
    tokens = populate_setup(city)
    offices = {o.district.name: o for o in m.Office.objects.select_related("district")}
    for district, batch in batches(city):
        ingest(offices[district], city.devices[district].key.id, batch)
    store_evidence(city)
    return tokens


def store_evidence(city: City) -> None:
    """The devices' evidence files, as an office's push uploads them."""
    for device in city.devices.values():
        for sha, (media_type, data) in device.files.items():
            keep(sha, data, media_type)


def batches(city: City) -> Iterator[tuple[str, list[Record]]]:
    """Every inspection's records, in pushes of about the size `detector push` sends
    (each device's in sequence)."""
    pending: dict[str, list[Record]] = {}
    for district, records in inspections(city):
        batch = pending.setdefault(district, [])
        batch.extend(records)
        if len(batch) >= PUSH_BATCH:
            yield district, batch
            pending[district] = []
    yield from ((d, b) for d, b in pending.items() if b)


def populate_setup(city: City) -> dict[str, str]:
    """The city's districts, teams, offices, devices and restrooms (no inspection)."""
    tokens = {}
    for name in city.districts:
        district, _ = m.District.objects.get_or_create(name=name)
        device = city.devices[name]
        m.Team.objects.update_or_create(name=device.team, defaults={"district": district})
        token = secrets.token_urlsafe(32)
        office, _ = m.Office.objects.update_or_create(
            name=f"{name} office", defaults={
                "district": district,
                "token_sha256": hashlib.sha256(token.encode()).hexdigest()})
        tokens[office.name] = token
        m.Device.objects.update_or_create(id=device.key.id, defaults={
            "public_key": device.key.public, "office": office})
    districts = {d.name: d for d in m.District.objects.all()}
    m.Location.objects.bulk_create(
        [m.Location(id=i, name=n, district=districts[d], risk=r) for i, n, d, r in city.locations],
        ignore_conflicts=True)
    return tokens
