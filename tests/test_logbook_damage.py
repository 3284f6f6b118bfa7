"""Damage is named, and what survives is saved: every page of a sample logbook
overwritten in turn, the file cut at many points, the write-ahead log torn or lost, an
evidence file cut short. `log verify` gives one line naming the damage and exits 1 (never
"intact", never a traceback), the reading commands say so and go on, and `log salvage`
keeps every record that still verifies, loses only what the damage touched, and lists it."""

import random
import re
import shutil
import sqlite3

import pytest

from detector.cli import main
from detector.logbook.salvage import REPORT_NAME, salvage
from detector.logbook.store import DB_NAME, Logbook
from tests.logbooks import device_logbook

PAGE = 4096


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    where = tmp_path_factory.mktemp("sample")
    book = device_logbook(where, inspections=12, evidence_bytes=300)
    records = {(r.seq, r.hash) for r in book.records()}
    book.close()
    conn = sqlite3.connect(where / DB_NAME)
    assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0  # every page in use
    conn.close()
    return where, records


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def check_damaged(copy, records, capsys, tmp_path):
    """verify names the damage; list and report say so; salvage keeps what verifies.
    Returns the sequence numbers salvage lost."""
    code, said = run(capsys, "log", "verify", "--dir", str(copy))
    assert code == 1 and "DAMAGED" in said and "intact" not in said, said
    assert len(said.strip().splitlines()) == 1
    code, said = run(capsys, "log", "--dir", str(copy))
    assert code == 1 and "DAMAGED" in said
    code, said = run(capsys, "report", "--device", "--dir", str(copy), "--out",
                     str(tmp_path / "r.html"))
    assert code == 1 and "damaged" in said.lower()
    out = tmp_path / f"salvaged-{copy.name}"
    result = salvage(copy, out)
    (device,) = result.devices
    assert device.known == len(records)
    kept = {(r.seq, r.hash) for r in device.kept}
    assert kept <= records  # nothing salvaged that was not signed
    lost = device.lost()
    assert sorted({s for s, _h in records} - {s for s, _h in kept}) == lost
    # The new logbook verifies but for the gaps, which it names one by one.
    code, said = run(capsys, "log", "verify", "--dir", str(out))
    problems = [line for line in said.splitlines() if ": record " in line]
    assert all("lost to damage" in line for line in problems), said
    assert sorted(int(re.search(r"record (\d+)", p)[1]) for p in problems) == lost
    assert code == (1 if lost else 0)
    assert (out / REPORT_NAME).is_file()
    shutil.rmtree(out)
    return lost


def test_every_page_overwritten_in_turn(sample, tmp_path, capsys):
    base, records = sample
    pages = (base / DB_NAME).stat().st_size // PAGE
    assert pages >= 30
    rng = random.Random(5)
    lost_where: dict[int, int] = {}
    for page in range(pages):
        copy = tmp_path / f"page{page}"
        shutil.copytree(base, copy)
        with open(copy / DB_NAME, "r+b") as f:
            f.seek(page * PAGE)
            f.write(rng.randbytes(PAGE))
        lost = check_damaged(copy, records, capsys, tmp_path)
        assert len(lost) <= 8  # one leaf page's worth of records, at most
        for seq in lost:
            lost_where[seq] = lost_where.get(seq, 0) + 1
        shutil.rmtree(copy)
    # One page lost loses the records on that page and no others: each record is lost
    # with the one or two pages that hold it (a long body overflows), with no other.
    assert max(lost_where.values()) <= 2


def test_the_file_cut_short_at_many_points(sample, tmp_path, capsys):
    base, records = sample
    size = (base / DB_NAME).stat().st_size
    rng = random.Random(9)
    cuts = sorted({rng.randrange(1, size) for _ in range(12)} | {size // 2, 100, size - 1})
    for i, cut in enumerate(cuts):
        copy = tmp_path / f"cut{i}"
        shutil.copytree(base, copy)
        with open(copy / DB_NAME, "r+b") as f:
            f.truncate(cut)
        check_damaged(copy, records, capsys, tmp_path)
        shutil.rmtree(copy)


def logbook_with_a_live_log(tmp_path):
    """A logbook whose last records are still in its write-ahead log: the files copied
    while the writer has them open (as after a power cut)."""
    live = tmp_path / "live"
    book = device_logbook(live, inspections=3, evidence_bytes=300)
    book.conn.execute("PRAGMA wal_autocheckpoint = 0")
    book.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    book.append("note", {"inspection": "insp-00001", "text": "one"})
    book.append("note", {"inspection": "insp-00002", "text": "two"})
    snapshot = tmp_path / "snapshot"
    shutil.copytree(live, snapshot)
    book.close()
    return snapshot


def test_a_missing_write_ahead_log_is_named(tmp_path, capsys):
    copy = logbook_with_a_live_log(tmp_path)
    (copy / (DB_NAME + "-wal")).unlink()
    (copy / (DB_NAME + "-shm")).unlink(missing_ok=True)
    code, said = run(capsys, "log", "verify", "--dir", str(copy))
    assert code == 1
    assert "records 13 to 14" in said and "write-ahead log" in said and "missing" in said


def test_a_torn_write_ahead_log_is_named_and_salvage_keeps_its_intact_frames(
        tmp_path, capsys):
    copy = logbook_with_a_live_log(tmp_path)
    wal = copy / (DB_NAME + "-wal")
    data = wal.read_bytes()
    wal.write_bytes(data[:len(data) - 2000])  # the last frame torn
    (copy / (DB_NAME + "-shm")).unlink(missing_ok=True)
    code, said = run(capsys, "log", "verify", "--dir", str(copy))
    assert code == 1 and "record" in said and "torn" in said
    result = salvage(copy, tmp_path / "saved")
    assert len(result.devices[0].kept) >= 13  # what was committed before the torn frame


def test_an_evidence_file_cut_short_is_named_and_its_record_kept(tmp_path, capsys):
    book = device_logbook(tmp_path / "book", inspections=2, evidence_bytes=2000)
    sha = next(e["sha256"] for r in book.records() if r.kind == "finding"
               for e in r.body_dict()["evidence_files"])
    path = book.evidence.path(sha)
    book.close()
    path.write_bytes(path.read_bytes()[:500])
    code, said = run(capsys, "log", "verify", "--dir", str(tmp_path / "book"))
    assert code == 1 and "evidence damaged" in said and "intact" not in said
    result = salvage(tmp_path / "book", tmp_path / "saved")
    assert len(result.devices[0].kept) == 8 and not result.devices[0].lost()
    assert [entry.split(":")[0] for entry in result.evidence_lost] == [sha[:16]]
    with Logbook.on_device(tmp_path / "saved") as saved:
        problems = saved.verify(rehash_evidence=True)
    assert [p.what for p in problems] == ["evidence missing"]  # named, not hidden


def test_salvage_never_writes_into_a_logbook(sample, tmp_path, capsys):
    base, _records = sample
    code, said = run(capsys, "log", "salvage", "--dir", str(base), "--out", str(base))
    assert code == 1 and "not empty" in said
