"""The device logbook: signed, hash-chained records; verification that names what was
altered, forged, removed or reordered; evidence by SHA-256; migrations; the device key;
and a writer killed at 200 random points losing nothing it committed."""

import json
import os
import random
import signal
import sqlite3
import stat
import time

import pytest

from detector.cli import main
from detector.errors import DetectorError, LogbookError
from detector.logbook import schema
from detector.logbook.keys import DeviceKey
from detector.logbook.store import DB_NAME, KEY_NAME, Logbook
from tests.logbooks import device_logbook, write_inspection


def db(path):
    return sqlite3.connect(path / DB_NAME, isolation_level=None)


def problems(book):
    return [(p.seq, p.what) for p in book.verify()]


def test_records_chain_and_verify(tmp_path):
    book = device_logbook(tmp_path, inspections=2)
    assert book.head()[0] == 8 and book.verify() == []
    records = book.records()
    assert [r.seq for r in records] == list(range(1, 9))
    assert all(b.prev == a.hash for a, b in zip(records, records[1:], strict=False))
    rows = book.conn.execute("SELECT result FROM inspections ORDER BY id").fetchall()
    assert rows == [("suspicious",), ("suspicious",)]
    assert book.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert book.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    book.close()


def test_device_key_is_owner_only_and_kept(tmp_path):
    first = Logbook.on_device(tmp_path)
    first.close()
    mode = stat.S_IMODE((tmp_path / KEY_NAME).stat().st_mode)
    assert mode == 0o600
    again = Logbook.on_device(tmp_path)
    assert again.key.id == first.key.id
    again.close()
    os.chmod(tmp_path / KEY_NAME, 0o644)
    with pytest.raises(DetectorError, match="readable by others"):
        DeviceKey.load_or_create(tmp_path / KEY_NAME)


def test_altered_record_is_named(tmp_path):
    book = device_logbook(tmp_path, inspections=2)
    db(tmp_path).execute("UPDATE records SET body = replace(body, 'clear', 'CLEAR') "
                         "WHERE seq = 2")
    db(tmp_path).execute("UPDATE records SET body = replace(body, 'suspicious', 'clear') "
                         "WHERE seq = 4")
    assert problems(book) == [(4, "altered")]
    book.close()


def test_rehashed_record_fails_its_signature(tmp_path):
    from detector.logbook.chain import record_hash

    book = device_logbook(tmp_path, inspections=1)
    seq, kind, body, prev = db(tmp_path).execute(
        "SELECT seq, kind, body, prev FROM records WHERE seq = 4").fetchone()
    body = body.replace("suspicious", "clear")
    db(tmp_path).execute("UPDATE records SET body = ?, hash = ? WHERE seq = 4",
                         (body, record_hash(seq, kind, body, prev)))
    assert problems(book) == [(4, "forged")]
    book.close()


def test_removed_records_are_named(tmp_path):
    book = device_logbook(tmp_path, inspections=2)
    db(tmp_path).execute("DELETE FROM records WHERE seq = 3")
    db(tmp_path).execute("DELETE FROM records WHERE seq = 8")  # the last one
    assert problems(book) == [(3, "removed"), (8, "removed")]
    book.close()


def test_reordered_records_are_named(tmp_path):
    book = device_logbook(tmp_path, inspections=2)
    conn = db(tmp_path)
    rows = {r[0]: r[1:] for r in conn.execute(
        "SELECT position, seq, kind, body, prev, hash, signature FROM records "
        "WHERE seq IN (5, 6)")}
    (p5, r5), (p6, r6) = sorted(rows.items())
    for position, values in ((p5, r6), (p6, r5)):
        conn.execute("UPDATE records SET seq = ?, kind = ?, body = ?, prev = ?, hash = ?, "
                     "signature = ? WHERE position = ?", (*values, position))
    assert problems(book) == [(5, "reordered"), (6, "reordered")]
    book.close()


def test_evidence_is_stored_by_hash_and_checked(tmp_path):
    book = device_logbook(tmp_path, inspections=1)
    finding = next(r for r in book.records() if r.kind == "finding").body_dict()
    shas = [e["sha256"] for e in finding["evidence_files"]]
    assert [e["role"] for e in finding["evidence_files"]] == ["snapshot", "frame 1 onaxis",
                                                        "rf spectrum"]
    for sha in shas:
        assert book.evidence.path(sha).name == sha and book.evidence.read(sha)
    path = book.evidence.path(shas[1])
    path.write_bytes(path.read_bytes() + b"x")
    assert [(p.seq, p.what) for p in book.check_evidence_content()] == [(3, "evidence damaged")]
    book.evidence.path(shas[0]).unlink()
    assert (3, "evidence missing") in problems(book)
    book.close()


def test_migration_from_the_first_schema_keeps_every_record(tmp_path):
    old = Logbook(tmp_path, DeviceKey.load_or_create(tmp_path / KEY_NAME),
                  migrations=schema.MIGRATIONS[:1])
    sink_records = old.append("inspection-start", {"inspection": "a", "started": "x"})
    assert old.conn.execute("PRAGMA user_version").fetchone()[0] == 1
    old.close()
    book = Logbook.on_device(tmp_path)
    assert book.conn.execute("PRAGMA user_version").fetchone()[0] == schema.VERSION == 4
    book.append("note", {"inspection": "a", "text": "door lock broken"})
    assert book.records()[0].hash == sink_records.hash and book.verify() == []
    assert book.conn.execute("SELECT text FROM notes").fetchone()[0] == "door lock broken"
    book.close()


def test_a_newer_schema_is_refused(tmp_path):
    Logbook.on_device(tmp_path).close()
    db(tmp_path).execute("PRAGMA user_version = 99")
    with pytest.raises(LogbookError, match="newer than this program"):
        Logbook.on_device(tmp_path)


def test_log_commands(tmp_path, capsys):
    book = device_logbook(tmp_path, inspections=2)
    book.close()
    assert main(["log", "--dir", str(tmp_path)]) == 0
    listing = capsys.readouterr().out
    assert "insp-00000" in listing and "suspicious" in listing
    assert main(["log", "show", "insp-00001", "--dir", str(tmp_path)]) == 0
    shown = capsys.readouterr().out
    assert "VERIFIED: 4 records verified" in shown
    assert "7  finding           marked suspicious" in shown
    assert main(["log", "show", "insp-00001", "--json", "--dir", str(tmp_path)]) == 0
    raw = json.loads(capsys.readouterr().out)
    assert raw["verified"] is True
    assert [r["seq"] for r in raw["records"]] == [5, 6, 7, 8]
    assert raw["records"][2]["kind"] == "finding"
    assert main(["log", "note", "insp-00001", "mirror loose", "--dir", str(tmp_path)]) == 0
    assert "as record 9" in capsys.readouterr().out
    assert main(["log", "verify", "--dir", str(tmp_path)]) == 0
    assert "9 records, chain and signatures verified" in capsys.readouterr().out
    assert main(["log", "note", "insp", "x", "--dir", str(tmp_path)]) != 0
    assert "names 2 inspections" in capsys.readouterr().err
    db(tmp_path).execute("DELETE FROM records WHERE seq = 6")
    assert main(["log", "verify", "--dir", str(tmp_path)]) == 1
    assert "record 6: removed" in capsys.readouterr().out
    assert main(["log", "--dir", str(tmp_path / "nothing")]) != 0
    assert "no logbook here" in capsys.readouterr().err


def test_prune_deletes_only_evidence_the_office_holds(tmp_path):
    book = device_logbook(tmp_path, inspections=2)
    shas = [e["sha256"] for r in book.records() if r.kind == "finding"
            for e in r.body_dict()["evidence_files"]]
    assert book.prune_evidence(0, time.time()) == 0  # nothing synced: nothing deleted
    book.mark_synced("office1", 4, "2000-01-01T00:00:00+00:00")  # the first inspection
    # The RF spectrum is the same file in both inspections: it stays for the second.
    assert shas[2] == shas[5]
    assert book.prune_evidence(90, time.time()) == 2
    assert [book.evidence.has(s) for s in shas] == [False, False, True, True, True, True]
    assert len(book.records()) == 8  # records are never deleted
    assert book.verify() == [] and book.check_evidence_content() == []
    book.close()


def _writer(directory, pipe_w, seed, kill_at):
    """Child process: append inspections, reporting each commit, and kill itself with
    SIGKILL at its kill_at-th step (an SQL statement, an fsync or a rename): the kill
    point is counted, not timed, so the test is the same on a loaded machine."""
    from detector.logbook.sink import LogbookSink

    steps = 0

    def step(*_args):
        nonlocal steps
        steps += 1
        if steps >= kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def counted(real):
        def call(*args, **kwargs):
            step()
            return real(*args, **kwargs)
        return call

    os.fsync = counted(os.fsync)  # the child's own copy of the module: the parent keeps its
    os.replace = counted(os.replace)
    book = Logbook.on_device(directory)
    book.conn.set_trace_callback(step)
    sink = LogbookSink(book)
    rng = random.Random(seed)

    class Reporting:
        def append(self, kind, record, blobs=()):
            sink.append(kind, record, blobs)
            os.write(pipe_w, f"{book.head()[0]}\n".encode())

    n = 0
    while True:
        write_inspection(Reporting(), seed * 1000 + n, rng, evidence_bytes=2000)
        n += 1


def test_writer_killed_at_200_points_loses_nothing_committed(tmp_path):
    Logbook.on_device(tmp_path).close()  # the key exists before the children race for it
    rng = random.Random(7)
    committed: set[int] = set()
    kill_points = [rng.randint(1, 120) for _ in range(200)]
    for i, kill_at in enumerate(kill_points):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child is killed
            os.close(r)
            try:
                _writer(tmp_path, w, i + 1, kill_at)
            finally:
                os._exit(1)
        os.close(w)
        _pid, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        reported = b""
        while chunk := os.read(r, 65536):
            reported += chunk
        os.close(r)
        committed |= {int(x) for x in reported.split()}
        book = Logbook.on_device(tmp_path)
        assert book.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        present = {rec.seq for rec in book.records()}
        assert committed <= present
        assert book.verify() == [], f"after kill {i} at step {kill_at}"
        book.close()
    assert len(committed) > 200  # the kills landed all through the writes


def test_records_checked_apart_are_stored_only_with_the_devices_own_key(tmp_path):
    """The office checks signatures on a thread (chain.check_records) and stores the
    checked batch afterwards; a batch checked against any other key is refused."""
    from detector.logbook.chain import check_records

    device = device_logbook(tmp_path / "device", inspections=1, evidence_bytes=500)
    records = device.records()
    office = Logbook(tmp_path / "office")
    office.add_device(device.key.id, device.key.public)
    other = DeviceKey.load_or_create(tmp_path / "other.pem")
    forged_check = check_records(device.key.id, other.public, records)
    assert forged_check.problem is not None and forged_check.problem.what == "forged"
    with pytest.raises(LogbookError, match="checked with another key"):
        office.store_checked(forged_check)
    assert office.head(device.key.id)[0] == 0
    assert office.store_checked(check_records(device.key.id, device.key.public,
                                              records)) == len(records)
    assert office.head(device.key.id) == device.head()
    office.close()
    device.close()
