"""The office's read-ahead of the sync link: a child process drains the port into a
pipe. Over pty pairs, the way /dev/ttyACM0 is read: every byte arrives in order, none
is lost when the far end goes away, and the child never outlives the link."""

import contextlib
import os
import threading
import time
import tty

import pytest
import serial

from detector.cli import main
from detector.logbook.links import FdLink
from detector.logbook.readahead import PIPE_BYTES, ReadAheadPort, read_ahead
from detector.logbook.store import Logbook
from detector.logbook.sync import DeviceServer, new_pairing_code
from tests.logbooks import device_logbook

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="read-ahead needs fork()")


@pytest.fixture
def pty_pair():
    """(port: the master as a link, far end: the slave's fd)."""
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    ends = {"slave": slave}
    yield FdLink(master, timeout=0.2), ends
    for fd in (master, ends["slave"]):
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


def read_all(link, size: int) -> bytes:
    got = bytearray()
    deadline = time.monotonic() + 20
    while len(got) < size and time.monotonic() < deadline:
        got += link.read(65536)
    return bytes(got)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def test_every_byte_arrives_in_order_past_the_pipe_size(pty_pair):
    port, ends = pty_pair
    data = os.urandom(PIPE_BYTES * 2 + 12345)  # more than the pipe holds: back-pressure
    with read_ahead(port) as link:
        assert isinstance(link, ReadAheadPort)
        writer = threading.Thread(target=write_all, args=(ends["slave"], data))
        writer.start()
        got = read_all(link, len(data))
        writer.join()
    assert got == data


def test_writes_go_straight_to_the_port(pty_pair):
    port, ends = pty_pair
    with read_ahead(port) as link:
        link.write(b"hello device")
        assert os.read(ends["slave"], 100) == b"hello device"


def test_a_quiet_link_reads_nothing_after_the_timeout(pty_pair):
    port, _ends = pty_pair
    with read_ahead(port, timeout=0.05) as link:
        start = time.monotonic()
        assert link.read(100) == b""
        assert time.monotonic() - start >= 0.04


def test_the_far_end_going_away_loses_no_byte_then_reads_fail(pty_pair):
    port, ends = pty_pair
    data = os.urandom(3000)
    with read_ahead(port) as link:
        write_all(ends["slave"], data)
        os.close(ends["slave"])  # the cable is pulled once these bytes are out
        ends["slave"] = None
        assert read_all(link, len(data)) == data
        with pytest.raises(OSError, match="closed or was unplugged"):
            for _ in range(50):
                link.read(100)


def test_the_child_is_gone_after_close(pty_pair):
    port, _ends = pty_pair
    link = ReadAheadPort(port, port.fileno())
    pid = link._pid
    link.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    link.close()  # a second close does nothing


def test_a_port_without_a_descriptor_is_read_as_it_is():
    port = serial.serial_for_url("loop://", timeout=0.05)
    with read_ahead(port) as link:
        assert link is port
        link.write(b"echo")
        assert link.read(4) == b"echo"
    port.close()


def test_detector_sync_over_a_pty_reads_ahead_and_gets_everything(tmp_path, capsys):
    """The office's command on one end of a pty pair, the device's server on the other,
    as over the USB cable."""
    device = device_logbook(tmp_path / "device", inspections=3, evidence_bytes=20000)
    code = new_pairing_code(device)
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    server = DeviceServer(device, FdLink(master, timeout=0.05), timeout_s=5)
    thread = threading.Thread(target=server.serve, kwargs={"sessions": 1}, daemon=True)
    thread.start()
    try:
        assert main(["sync", "--port", os.ttyname(slave), "--pair", code,
                     "--dir", str(tmp_path / "office")]) == 0
        thread.join(10)
    finally:
        os.close(slave)
        os.close(master)
    out = capsys.readouterr().out
    assert f"{device.head()[0]} new records" in out
    office = Logbook(tmp_path / "office")
    assert office.head(device.key.id) == device.head()
    assert office.verify(device.key.id) == []
    office.close()
    device.close()
