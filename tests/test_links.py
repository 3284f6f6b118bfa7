"""write_all: large buffers written straight from memory to a port, over a pty pair
opened by pyserial the way the device opens /dev/ttyGS0."""

import os
import threading
import tty

import pytest
import serial

from detector.logbook.links import SocketLink, port_fd, write_all


@pytest.fixture
def pty_port():
    """(the pyserial port on the slave, the master's fd: the far end)."""
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    port = serial.Serial(os.ttyname(slave), timeout=0.1)
    yield port, master
    port.close()
    os.close(slave)
    os.close(master)


def drain(fd: int, size: int, into: bytearray) -> None:
    while len(into) < size:
        into += os.read(fd, 65536)


def test_a_buffer_far_larger_than_the_tty_arrives_whole_and_in_order(pty_port):
    port, master = pty_port
    data = os.urandom(1 << 20)  # a tty takes a few KB at a time: many partial writes
    got = bytearray()
    reader = threading.Thread(target=drain, args=(master, len(data), got), daemon=True)
    reader.start()
    write_all(port, data, timeout_s=10)
    reader.join(10)
    assert bytes(got) == data


def test_a_port_nobody_reads_times_out_with_one_line(pty_port):
    port, _master = pty_port
    with pytest.raises(OSError, match="took nothing for 0.2 s"):
        write_all(port, os.urandom(1 << 20), timeout_s=0.2)


def test_a_link_without_a_descriptor_is_written_through_its_own_write():
    a, b = SocketLink.pair(timeout=0.5)
    assert port_fd(a) is None
    write_all(a, b"hello", timeout_s=1)
    assert b.read(100) == b"hello"
    a.close()
    b.close()
