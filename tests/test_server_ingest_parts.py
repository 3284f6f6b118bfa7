"""The parts of the ingest its speed rests on, each as right as the plain way: the
signatures checked in worker processes (signatures.py) give the same verdicts, in
order, and lose none when the workers die; values sent as one JSON document arrive
whole; bodies msgspec cannot read are read as json reads them."""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import pytest

pytest.importorskip("django")

from detector.logbook.chain import PARALLEL_FROM, check_record  # noqa: E402
from detector.server import signatures  # noqa: E402
from detector.server.generator import SimDevice, device_key  # noqa: E402


@pytest.fixture(scope="module")
def signed():
    """A device's key and a chain long enough to go to the workers, with record 7
    altered after signing and record 601 signed by another key."""
    device, stranger = SimDevice(device_key(5, 0), "team"), device_key(5, 1)
    records = [device.sign("note", {"n": i}) for i in range(PARALLEL_FROM + 150)]
    records[6] = dataclasses.replace(records[6], body='{"n":"changed"}')
    records[600] = dataclasses.replace(
        records[600], signature=stranger.sign(records[600].hash.encode()))
    return device.key.public, records


def _named(problems):
    return {p.seq: p.what for p in problems if p is not None}


def test_worker_processes_name_each_bad_record_in_its_place(signed):
    public, records = signed
    checks = signatures.PendingChecks(records, public)
    problems = checks.result()
    assert len(problems) == len(records)
    assert _named(problems) == {7: "altered", 601: "forged"}
    assert problems == [check_record(r, public) for r in records]
    assert signatures._pool is not None  # it went to the workers, which stay for the next


def test_a_short_push_is_checked_here(signed):
    public, records = signed
    short = records[:10]
    assert _named(signatures.PendingChecks(short, public).result()) == {7: "altered"}


class _DeadPool:
    """An executor whose workers have died: as concurrent.futures reports it."""

    def __init__(self, fails_on_submit: bool) -> None:
        self.fails_on_submit, self.shut = fails_on_submit, False

    def submit(self, *_args):
        if self.fails_on_submit:
            raise BrokenProcessPool("a worker died")
        future: Future = Future()
        future.set_exception(BrokenProcessPool("a worker died"))
        return future

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        self.shut = True


@pytest.mark.parametrize("fails_on_submit", [True, False])
def test_dead_workers_lose_no_check(signed, monkeypatch, fails_on_submit):
    public, records = signed
    dead = _DeadPool(fails_on_submit)
    monkeypatch.setattr(signatures, "_pool", dead)
    problems = signatures.PendingChecks(records, public).result()
    assert _named(problems) == {7: "altered", 601: "forged"}
    assert dead.shut and signatures._pool is None  # the next push starts new workers


def test_a_long_push_with_one_forged_record_is_refused_whole(server_db):
    """Through the ingest: a push long enough for the workers, one of whose records
    in the middle is signed by another key, is refused naming it, and nothing of it is stored; the same
    push signed right is stored."""
    from detector.server import models as m
    from detector.server.generator import CityPlan, plan_city
    from detector.server.ingest import Refused, ingest
    from detector.server.populate import batches, populate_setup

    city = plan_city(CityPlan(districts=1, restrooms=300, months=1, high_risk=0.0, seed=2,
                              keep_evidence=False))
    populate_setup(city)
    district, batch = next(batches(city))
    assert len(batch) >= PARALLEL_FROM
    office = m.Office.objects.get(district__name=district)
    device = city.devices[district].key
    forged, middle = list(batch), len(batch) // 2
    forged[middle] = dataclasses.replace(
        forged[middle], signature=device_key(99, 0).sign(forged[middle].hash.encode()))
    with pytest.raises(Refused) as refused:
        ingest(office, device.id, forged)
    assert refused.value.problems == [f"record {forged[middle].seq}: forged: the signature "
                                      "does not verify with the device key"]
    assert (m.Record.objects.count(), m.Inspection.objects.count()) == (0, 0)
    stored = ingest(office, device.id, batch)
    assert stored.stored == len(batch) == m.Record.objects.count()


def test_locations_are_looked_up_and_raised_whatever_their_ids(server_db):
    """The ingest's set-based writes take their values as one JSON document: ids with
    quotes, backslashes or any script come through whole, and a location's last
    inspection only ever moves forward."""
    from datetime import UTC, datetime

    from detector.server import bulk
    from detector.server import models as m

    district = m.District.objects.create(name="North")
    odd = ['a"b', "c\\d", "Ünter-Straße 1", "x'); DROP TABLE server_location; --"]
    for place in odd:
        m.Location.objects.create(id=place, name=place, district=district)
    assert bulk.location_districts([*odd, "unknown"]) == dict.fromkeys(odd, district.id)
    later, earlier = datetime(2026, 5, 2, 9, tzinfo=UTC), datetime(2026, 4, 1, 9, tzinfo=UTC)
    bulk.raise_last_inspected({odd[0]: later, odd[1]: earlier, "unknown": later})
    bulk.raise_last_inspected({odd[0]: earlier, odd[1]: later})
    got = dict(m.Location.objects.values_list("id", "last_inspected"))
    assert got == {odd[0]: later, odd[1]: later, odd[2]: None, odd[3]: None}


def test_a_body_msgspec_cannot_read_is_read_as_json_reads_it():
    from detector.logbook.chain import Record
    from detector.server.derive import Unreadable, _body

    def record(body):
        return Record(1, "inspection", body, "0" * 64, "0" * 64, b"")

    assert _body(record('{"coverage":0.5,"n":1}')) == {"coverage": 0.5, "n": 1}
    nan = _body(record('{"coverage":NaN}'))["coverage"]
    assert nan != nan  # NaN, which a device's json writes and msgspec refuses
    for bad in ("[1, 2]", "not json", '{"a":'):
        with pytest.raises(Unreadable):
            _body(record(bad))
