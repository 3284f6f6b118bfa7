"""Byte links with pyserial's read/write interface besides a serial port: a socket (a
connected pair for tests and benchmarks) and a raw file descriptor (a pty master); and
a writer that sends large buffers without pyserial's copies."""

from __future__ import annotations

import contextlib
import errno
import os
import select
import socket
import time
from typing import Any


def port_fd(port: Any) -> int | None:
    """The port's file descriptor if it has one that select() and os.write() accept."""
    try:
        fd = port.fileno()
    except Exception:  # noqa: BLE001 - pyserial's handlers raise various things here
        return None
    return fd if isinstance(fd, int) and fd >= 0 else None


def write_all(port: Any, data: bytes, timeout_s: float) -> None:
    """Write all of `data`, waiting at most `timeout_s` for the port to take more.

    pyserial's write copies what is left of the buffer after every partial write, and a
    tty takes a few KB at a time: on a 256 KB buffer that is dozens of copies. Where the
    port has a descriptor, write it straight from a memoryview instead. Raises OSError
    when the port fails or stays full."""
    fd = port_fd(port)
    if fd is None:
        port.write(data)
        return
    view = memoryview(data)
    deadline = time.monotonic() + timeout_s
    while view:
        with contextlib.suppress(BlockingIOError):  # pyserial opens ports non-blocking
            view = view[os.write(fd, view):]
        if view:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [fd], [], left)[1]:
                raise OSError(errno.ETIMEDOUT, "the port took nothing for "
                                               f"{timeout_s:g} s")


class SocketLink:
    """One end of a connected socket; read() returns what arrives within `timeout`."""

    def __init__(self, sock: socket.socket, timeout: float = 0.2) -> None:
        self.sock = sock
        self.timeout = timeout

    @classmethod
    def pair(cls, timeout: float = 0.2) -> tuple[SocketLink, SocketLink]:
        a, b = socket.socketpair()
        return cls(a, timeout), cls(b, timeout)

    def read(self, size: int = 1) -> bytes:
        ready, _w, _x = select.select([self.sock], [], [], self.timeout)
        if not ready:
            return b""
        data = self.sock.recv(size)
        if not data:
            raise OSError("the link was closed")
        return data

    def write(self, data: bytes) -> int:
        self.sock.sendall(data)
        return len(data)

    def close(self) -> None:
        self.sock.close()


class FdLink:
    """A raw file descriptor (the master side of a pty pair)."""

    def __init__(self, fd: int, timeout: float = 0.2) -> None:
        self.fd = fd
        self.timeout = timeout

    def fileno(self) -> int:
        return self.fd

    def read(self, size: int = 1) -> bytes:
        ready, _w, _x = select.select([self.fd], [], [], self.timeout)
        return os.read(self.fd, size) if ready else b""

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            select.select([], [self.fd], [])
            written = os.write(self.fd, view)
            view = view[written:]
        return len(data)

    def close(self) -> None:
        os.close(self.fd)
