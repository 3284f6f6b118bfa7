"""Sync from the device to the office over a serial link: pairing, transfer with checks,
acknowledgement, resume after the link is cut at 100 random byte offsets, repeated
syncs, and refusals (unpaired office, wrong code, malformed messages, tampered or
forged records). The link is a socket pair here, a pty pair in the benchmark and
/dev/ttyGS0 to /dev/ttyACM0 on the device."""

import random
import sqlite3
import threading

import pytest

from detector.cli import main
from detector.errors import DetectorError
from detector.logbook import syncproto as S
from detector.logbook.export import export_logbook, import_export
from detector.logbook.keys import DeviceKey
from detector.logbook.links import SocketLink
from detector.logbook.store import DB_NAME, Logbook
from detector.logbook.summaries import read_inspections
from detector.logbook.sync import DeviceServer, OfficeClient, OfficeIdentity, new_pairing_code
from tests.logbooks import device_logbook

TIMEOUT = 1.0


class CutLink(SocketLink):
    """The device's end of the link, pulled out after `limit` bytes written."""

    def __init__(self, link: SocketLink, limit: int) -> None:
        super().__init__(link.sock, link.timeout)
        self.limit = limit
        self.written = 0

    def write(self, data: bytes) -> int:
        room = self.limit - self.written
        if room <= len(data):
            self.sock.sendall(data[:max(room, 0)])
            self.sock.close()
            raise OSError("cable pulled")
        self.written += len(data)
        return super().write(data)


def session(device: Logbook, office: Logbook, identity: OfficeIdentity, code=None,
            cut: int | None = None):
    """One sync over a fresh link; returns (result or exception, device-side link)."""
    dev_end, office_end = SocketLink.pair(timeout=0.05)
    if cut is not None:
        dev_end = CutLink(dev_end, cut)
    server = DeviceServer(device, dev_end, timeout_s=TIMEOUT, retry_s=0.0)
    thread = threading.Thread(target=server.serve, kwargs={"sessions": 1}, daemon=True)
    thread.start()
    try:
        outcome = OfficeClient(office, identity, office_end, timeout_s=TIMEOUT).sync(code)
    except DetectorError as exc:  # SyncError, or a record the office refused
        outcome = exc
    thread.join(5)
    office_end.close()
    return outcome, server, dev_end


@pytest.fixture
def sides(tmp_path):
    device = device_logbook(tmp_path / "device", inspections=3, evidence_bytes=20000)
    office = Logbook(tmp_path / "office")
    identity = OfficeIdentity.load_or_create(tmp_path / "office")
    yield device, office, identity
    device.close()
    office.close()


def paired(sides):
    device, office, identity = sides
    result, _server, _link = session(device, office, identity, new_pairing_code(device))
    assert not isinstance(result, Exception), result
    return result


def test_pair_then_sync_everything_checked(sides):
    device, office, identity = sides
    result = paired(sides)
    assert (result.records, result.evidence) == (12, 7)  # the RF spectrum is shared
    assert office.head(device.key.id) == device.head()
    assert office.verify(device.key.id) == []
    assert office.check_evidence_content(device.key.id) == []
    assert device.unsynced() == 0 and device.synced_upto(identity.id) == 12
    assert len(read_inspections(office)) == 3


def test_repeated_sync_changes_nothing(sides):
    device, office, identity = sides
    paired(sides)
    before = (office.record_count(), office.head(device.key.id))
    result, _s, _l = session(device, office, identity)
    assert (result.records, result.evidence) == (0, 0)
    assert (office.record_count(), office.head(device.key.id)) == before


def test_new_records_follow_on_the_next_sync(sides):
    device, office, identity = sides
    paired(sides)
    device.append("note", {"inspection": "insp-00001", "text": "lock broken"})
    result, _s, _l = session(device, office, identity)
    assert result.records == 1 and office.verify(device.key.id) == []


def test_unpaired_office_learns_nothing_and_changes_nothing(sides):
    device, office, identity = sides
    result, server, _l = session(device, office, identity)
    assert isinstance(result, S.Refused) and "not paired" in str(result)
    assert office.devices() == [] and office.record_count() == 0
    assert device.unsynced() == 12 and "not paired" in server.refused[0]


def test_wrong_pairing_code_is_refused_and_tries_are_limited(sides):
    device, office, identity = sides
    code = new_pairing_code(device)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(3):
        result, _s, _l = session(device, office, identity, wrong)
        assert isinstance(result, S.Refused) and "pairing code" in str(result)
    result, _s, _l = session(device, office, identity, code)  # too late: 3 tries used
    assert isinstance(result, S.Refused)
    assert office.devices() == []
    result, _s, _l = session(device, office, identity, new_pairing_code(device))
    assert not isinstance(result, Exception)


def test_a_different_office_secret_is_refused(sides, tmp_path):
    device, office, identity = sides
    paired(sides)
    impostor = OfficeIdentity(identity.id, b"x" * 32)  # same id, not the paired secret
    result, _s, _l = session(device, Logbook(tmp_path / "other"), impostor)
    assert isinstance(result, S.Refused) and "not paired" in str(result)


def test_malformed_messages_are_refused_and_the_device_keeps_serving(sides):
    device, _office, _identity = sides
    dev_end, office_end = SocketLink.pair(timeout=0.05)
    server = DeviceServer(device, dev_end, timeout_s=TIMEOUT)
    thread = threading.Thread(target=server.serve, kwargs={"sessions": 3}, daemon=True)
    thread.start()
    channel = S.Channel(office_end, TIMEOUT)
    office_end.write(b"\x07garbage at the wrong baud\x00")  # corrupt frame: ignored
    channel.send(S.HELLO, b"{not json")
    assert channel.receive()[0] == S.ERROR
    channel.send_json(S.HELLO, {"protocol": 99})
    msg_type, payload = channel.receive()
    assert msg_type == S.ERROR and b"protocol 99" in payload
    channel.send_json(S.GET_RECORDS, {"after": 0, "limit": 10})  # before authenticating
    msg_type, payload = channel.receive()
    assert msg_type == S.ERROR and b"expected hello" in payload
    thread.join(5)
    assert len(server.refused) == 3 and server.sessions == 3



def _tamper(device: Logbook, sql: str, *args) -> None:
    conn = sqlite3.connect(device.dir / DB_NAME, isolation_level=None)
    conn.execute(sql, args)
    conn.close()


def test_tampered_record_is_refused_and_nothing_of_its_batch_is_stored(sides):
    device, office, identity = sides
    _tamper(device, "UPDATE records SET body = replace(body, 'suspicious', 'clear') "
                    "WHERE seq = 8")
    result, _s, _l = session(device, office, identity, new_pairing_code(device))
    assert isinstance(result, Exception) and "record 8: altered" in str(result)
    assert office.record_count() == 0
    assert device.unsynced() == 12  # nothing acknowledged


def test_forged_signature_is_refused(sides, tmp_path):
    device, office, identity = sides
    from detector.logbook.chain import record_hash

    other = DeviceKey.load_or_create(tmp_path / "other.pem")
    seq, kind, body, prev = sqlite3.connect(device.dir / DB_NAME).execute(
        "SELECT seq, kind, body, prev FROM records WHERE seq = 2").fetchone()
    body = body.replace("rf-activity", "clear")
    digest = record_hash(seq, kind, body, prev)
    _tamper(device, "UPDATE records SET body = ?, hash = ?, signature = ? WHERE seq = 2",
            body, digest, other.sign(digest.encode()))
    result, _s, _l = session(device, office, identity, new_pairing_code(device))
    assert isinstance(result, Exception) and "record 2: forged" in str(result)


def test_link_cut_at_100_random_offsets_then_a_retry_completes(sides, tmp_path):
    device, office, identity = sides
    full = paired(sides).bytes  # bytes the office receives in one sync
    rng = random.Random(11)
    for k in range(100):
        fresh = Logbook(tmp_path / f"office{k}")
        cut = rng.randrange(1, full)
        first, _s, _l = session(device, fresh, identity, cut=cut)
        assert isinstance(first, S.SyncError), f"cut at {cut} of {full}"
        second, _s, _l = session(device, fresh, identity)
        assert not isinstance(second, Exception), f"retry after a cut at {cut}: {second}"
        seqs = [r.seq for r in fresh.records(device.key.id)]
        assert seqs == list(range(1, 13))  # none lost, none twice
        assert fresh.verify(device.key.id) == []
        assert fresh.check_evidence_content(device.key.id) == []
        assert not list((fresh.evidence.root / ".partial").glob("*"))
        fresh.close()


def test_export_to_a_drive_and_import_at_the_office(sides, tmp_path):
    device, office, _identity = sides
    where = export_logbook(device, tmp_path / "drive")
    assert (where / "manifest.json").exists() and not list((tmp_path / "drive").glob(".*"))
    assert import_export(office, where) == 12
    assert import_export(office, where) == 0  # again: nothing new
    assert office.verify(device.key.id) == []
    victim = next((where / "evidence").iterdir())
    victim.write_bytes(b"changed")
    other = Logbook(tmp_path / "office2")
    with pytest.raises(Exception, match="does not match the manifest"):
        import_export(other, where)
    assert other.devices() == []


def test_an_export_lacking_an_evidence_file_and_its_manifest_line_is_refused(sides,
                                                                               tmp_path):
    import json

    device, _office, _identity = sides
    where = export_logbook(device, tmp_path / "drive")
    victim = next((where / "evidence").iterdir())
    victim.unlink()
    manifest = json.loads((where / "manifest.json").read_text())
    del manifest["files"][f"evidence/{victim.name}"]
    (where / "manifest.json").write_text(json.dumps(manifest))
    other = Logbook(tmp_path / "office2")
    with pytest.raises(DetectorError, match="which the export lacks"):
        import_export(other, where)
    assert other.record_count() == 0


def test_sync_command_line_one_line_errors(tmp_path, capsys):
    assert main(["sync", "--port", "/dev/nonexistent-tty", "--dir", str(tmp_path)]) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("detector: cannot open /dev/nonexistent-tty") and "\n" not in err
    assert main(["sync", "--port", "loop://", "--dir", str(tmp_path)]) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("detector: sync with loop://") and "\n" not in err


def test_the_device_waits_while_the_cable_is_out(sides):
    import time

    device, _office, _identity = sides

    class Unplugged:
        def read(self, size=1):
            raise OSError("device not configured")

        def write(self, data):
            raise OSError("device not configured")

    server = DeviceServer(device, Unplugged(), timeout_s=TIMEOUT, retry_s=0.05)
    start = time.monotonic()
    server.serve(sessions=3)
    assert time.monotonic() - start >= 0.15  # three pauses, not a busy loop
    assert all("link lost" in r for r in server.refused)


class RewriteChunks(SocketLink):
    """The device's end of the link with someone in the middle who alters evidence chunks
    and gives them a valid CRC: chunks carry no tag, so only their hash can catch it."""

    def __init__(self, link: SocketLink) -> None:
        super().__init__(link.sock, link.timeout)
        self.altered = 0

    def write(self, data: bytes) -> int:
        from detector.rf.wire import StreamDecoder, encode_frame

        out = b""
        for msg_type, seq, payload in StreamDecoder(max_frame=S.MAX_FRAME).feed(data):
            if msg_type == S.CHUNK and len(payload) > 100:
                payload = payload[:100] + bytes([payload[100] ^ 0xFF]) + payload[101:]
                self.altered += 1
            out += encode_frame(msg_type, seq, payload)
        return super().write(out) and len(data)


def test_an_altered_evidence_chunk_is_refused_by_its_hash_then_fetched_again(sides):
    device, office, identity = sides
    dev_end, office_end = SocketLink.pair(timeout=0.05)
    middle = RewriteChunks(dev_end)
    server = DeviceServer(device, middle, timeout_s=TIMEOUT, retry_s=0.0)
    thread = threading.Thread(target=server.serve, kwargs={"sessions": 1}, daemon=True)
    thread.start()
    with pytest.raises(S.Refused, match="arrived damaged"):
        OfficeClient(office, identity, office_end, TIMEOUT).sync(new_pairing_code(device))
    thread.join(5)
    assert middle.altered > 0
    assert office.record_count() == 0
    assert not list(office.evidence.root.glob("??/*"))  # nothing damaged was stored
    result, _s, _l = session(device, office, identity)  # a clean link: all of it arrives
    assert not isinstance(result, Exception), result
    assert office.check_evidence_content(device.key.id) == []


# ---- pipelined batches ---------------------------------------------------------------------
@pytest.fixture
def small_batches(monkeypatch):
    """Five records per GET_RECORDS, so that three inspections (12 records) take three
    batches and the office's pipeline overlaps them."""
    from detector.logbook import sync

    monkeypatch.setattr(sync, "BATCH", 5)


def count_sent_files(monkeypatch) -> list[str]:
    sent: list[str] = []
    original = DeviceServer._send_evidence

    def counting(self, channel, request):
        sent.append(request["sha256"])
        original(self, channel, request)

    monkeypatch.setattr(DeviceServer, "_send_evidence", counting)
    return sent


def test_batches_overlap_and_a_file_named_in_two_batches_comes_once(sides, small_batches,
                                                                    monkeypatch):
    device, office, identity = sides
    sent = count_sent_files(monkeypatch)
    result = paired(sides)
    assert (result.records, result.evidence) == (12, 7)  # the shared spectrum once
    assert sorted(sent) == sorted(set(sent)) and len(sent) == 7
    assert office.head(device.key.id) == device.head()
    assert office.verify(device.key.id) == []
    assert office.check_evidence_content(device.key.id) == []
    assert device.synced_upto(identity.id) == 12


def test_a_forged_record_in_a_later_batch_leaves_only_the_batches_before_it(
        sides, small_batches, tmp_path):
    device, office, identity = sides
    from detector.logbook.chain import record_hash

    other = DeviceKey.load_or_create(tmp_path / "other.pem")
    seq, kind, body, prev = sqlite3.connect(device.dir / DB_NAME).execute(
        "SELECT seq, kind, body, prev FROM records WHERE seq = 7").fetchone()
    digest = record_hash(seq, kind, body, prev)
    _tamper(device, "UPDATE records SET hash = ?, signature = ? WHERE seq = 7",
            digest, other.sign(digest.encode()))
    result, _s, _l = session(device, office, identity, new_pairing_code(device))
    assert isinstance(result, Exception) and "record 7: forged" in str(result)
    stored = [r.seq for r in office.records(device.key.id)]
    assert stored == [1, 2, 3, 4, 5]  # batch 1 whole; nothing of batch 2 (records 6-10)
    assert device.unsynced() == 12  # nothing acknowledged


def test_records_sent_out_of_order_are_refused(sides, monkeypatch):
    device, office, identity = sides
    original = DeviceServer._send_records
    monkeypatch.setattr(DeviceServer, "_send_records",
                        lambda self, channel, records: original(self, channel, records[::-1]))
    result, _s, _l = session(device, office, identity, new_pairing_code(device))
    assert isinstance(result, S.Refused) and "out of order" in str(result)
    assert office.record_count() == 0


# ---- the channel's send buffer -------------------------------------------------------------
def channel_pair() -> tuple[S.Channel, S.Channel]:
    a, b = SocketLink.pair(timeout=0.05)
    return S.Channel(a, timeout_s=0.5), S.Channel(b, timeout_s=0.5)


def test_frames_sent_with_more_wait_for_one_sent_without_it():
    sender, receiver = channel_pair()
    sender.send(S.CHUNK, b"one", more=True)
    sender.send(S.CHUNK, b"two", more=True)
    assert receiver.port.read(1000) == b""  # nothing on the wire yet
    sender.send(S.END, b"three")
    assert [receiver.receive()[1] for _ in range(3)] == [b"one", b"two", b"three"]


def test_a_full_send_buffer_goes_out_on_its_own(monkeypatch):
    monkeypatch.setattr(S, "SEND_BUFFER", 1000)
    sender, receiver = channel_pair()
    for _ in range(3):
        sender.send(S.CHUNK, bytes(400), more=True)  # 1200 bytes and more: written
    assert [receiver.receive()[1] for _ in range(3)] == [bytes(400)] * 3


def test_waiting_for_an_answer_writes_out_what_is_buffered():
    asker, answerer = channel_pair()

    def answer():
        _t, payload = answerer.receive()
        answerer.send(S.END, payload.upper())

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    asker.send(S.GET_EVIDENCE, b"question", more=True)
    assert asker.receive()[1] == b"QUESTION"  # it would time out had the ask stayed
    thread.join(2)
