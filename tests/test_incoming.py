"""Evidence received by sync is written on its own thread: whole files only, resumable
partial files, damaged files refused, and a failing disk reported in one line."""

import ctypes
import hashlib
import os

import pytest

from detector.logbook import durable
from detector.logbook.evidence import EvidenceError, EvidenceStore
from detector.logbook.incoming import DamagedEvidence, IncomingEvidence


def _blob(n: int, seed: int = 1) -> tuple[bytes, str]:
    data = bytes((i * 7 + seed) % 251 for i in range(n))
    return data, hashlib.sha256(data).hexdigest()


def test_a_file_arrives_in_pieces_and_is_stored_under_its_hash(tmp_path):
    store = EvidenceStore(tmp_path / "evidence")
    data, sha = _blob(200_000)
    with IncomingEvidence(store) as incoming:
        incoming.begin(sha)
        for start in range(0, len(data), 65536):
            incoming.write(data[start:start + 65536])
        incoming.end(sha)
        incoming.wait()
        assert store.read(sha) == data
    assert not list((store.root / ".partial").iterdir())


def test_an_interrupted_file_resumes_from_its_partial_copy(tmp_path):
    store = EvidenceStore(tmp_path / "evidence")
    data, sha = _blob(150_000)
    with pytest.raises(ConnectionError), IncomingEvidence(store) as incoming:
        incoming.begin(sha)
        incoming.write(data[:70_000])
        raise ConnectionError("cable pulled")  # what arrived is still written out
    assert not store.has(sha)
    with IncomingEvidence(store) as incoming:
        offset = incoming.offset(sha)
        assert offset == 70_000
        incoming.begin(sha)
        incoming.write(data[offset:])
        incoming.end(sha)
        incoming.wait()
    assert store.read(sha) == data


def test_a_damaged_file_is_refused_and_what_follows_it_is_skipped_until_wait(tmp_path):
    store = EvidenceStore(tmp_path / "evidence")
    data, sha = _blob(10_000)
    good, good_sha = _blob(5_000, seed=3)

    def send(blob: bytes, name: str) -> None:
        incoming.begin(name)
        incoming.write(blob)
        incoming.end(name)

    with IncomingEvidence(store) as incoming:
        with pytest.raises(DamagedEvidence, match="arrived damaged"):
            send(data[:-1] + b"\x00", sha)
            send(good, good_sha)  # queued behind the damaged file, maybe refused at once
            incoming.wait()
        assert not store.has(good_sha)  # skipped, not written half-way
        send(good, good_sha)  # after wait() the next file starts afresh
        incoming.wait()
    assert not store.has(sha) and incoming.offset(sha) == 0
    assert store.read(good_sha) == good


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_store_that_cannot_be_written_gives_one_line(tmp_path):
    store = EvidenceStore(tmp_path / "evidence")
    data, sha = _blob(1000)
    with IncomingEvidence(store) as incoming:
        (store.root / ".partial").chmod(0o500)
        try:
            incoming.begin(sha)
            incoming.write(data)
            incoming.end(sha)
            with pytest.raises(EvidenceError) as failure:
                incoming.wait()
        finally:
            (store.root / ".partial").chmod(0o700)
    assert "cannot store evidence" in str(failure.value)
    assert "\n" not in str(failure.value)


@pytest.mark.parametrize("flush", ["syncfs", "fsync"])
def test_a_full_disk_gives_one_line_and_stops_writing(tmp_path, monkeypatch, flush):
    """Whether the batch is flushed by one syncfs() (Linux) or a fsync per file."""
    store = EvidenceStore(tmp_path / "evidence")
    data, sha = _blob(1000)

    def no_space(fd: int) -> int:
        if flush == "fsync":
            raise OSError(28, "No space left on device")
        ctypes.set_errno(28)
        return -1

    if flush == "fsync":
        monkeypatch.setattr(durable, "_syncfs", None)
        monkeypatch.setattr(os, "fsync", no_space)
    else:
        monkeypatch.setattr(durable, "_syncfs", no_space)
    with IncomingEvidence(store) as incoming:
        incoming.begin(sha)
        incoming.write(data)
        incoming.end(sha)
        with pytest.raises(EvidenceError, match="No space left on device"):
            incoming.wait()
    assert not store.has(sha)


def test_an_evidence_folder_that_cannot_be_made_gives_one_line(tmp_path):
    (tmp_path / "evidence").write_text("a file where the folder should be")
    with pytest.raises(EvidenceError, match="cannot store evidence"), \
            IncomingEvidence(EvidenceStore(tmp_path / "evidence")):
        pass


@pytest.mark.parametrize("flush", ["syncfs", "fsync"])
def test_a_batch_is_flushed_once_and_then_stored(tmp_path, monkeypatch, flush):
    """Files finished before wait() stay in .partial (a crash re-fetches them); wait()
    flushes the batch, then moves every file into the store."""
    calls: list[int] = []
    if flush == "fsync":
        monkeypatch.setattr(durable, "_syncfs", None)
        real_fsync = os.fsync
        monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real_fsync(fd)))
    elif durable._syncfs is None:
        pytest.skip("no syncfs() here")
    else:
        real = durable._syncfs
        monkeypatch.setattr(durable, "_syncfs", lambda fd: (calls.append(fd), real(fd))[1])
    store = EvidenceStore(tmp_path / "evidence")
    blobs = [_blob(5000 + i, seed=i) for i in range(6)]
    with IncomingEvidence(store) as incoming:
        for data, sha in blobs:
            incoming.begin(sha)
            incoming.write(data)
            incoming.end(sha)
        incoming._tasks.join()  # all written and checked, none committed yet
        assert not calls and not any(store.has(sha) for _d, sha in blobs)
        assert len(list((store.root / ".partial").iterdir())) == 6
        incoming.wait()
    assert all(store.read(sha) == data for data, sha in blobs)
    assert not list((store.root / ".partial").iterdir())
    # syncfs: the content once, the names once; fsync: each file and each folder
    dirs = {sha[:2] for _d, sha in blobs}
    assert len(calls) == (2 if flush == "syncfs" else len(blobs) + len(dirs))
