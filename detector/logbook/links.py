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


def write_fd(fd: int, data: bytes | bytearray, timeout_s: float | None = None) -> None:
    """Write all of `data` to a descriptor, blocking or not, straight from a memoryview,
    waiting at most `timeout_s` (None: as long as it takes) whenever it takes nothing.
    Raises OSError when it fails or stays full."""
    view = memoryview(data)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while view:
        with contextlib.suppress(BlockingIOError):  # pyserial opens ports non-blocking
            view = view[os.write(fd, view):]
        if view:
            left = None if deadline is None else deadline - time.monotonic()
            if (left is not None and left <= 0) or not select.select([], [fd], [], left)[1]:
                raise OSError(errno.ETIMEDOUT, f"the port took nothing for {timeout_s:g} s")


def write_all(port: Any, data: bytes | bytearray, timeout_s: float) -> None:
    """Write all of `data` to a port, waiting at most `timeout_s` for it to take more.

    pyserial's write copies what is left of the buffer after every partial write, and a
    tty takes a few KB at a time: on a 256 KB buffer that is dozens of copies. Where the
    port has a descriptor, it is written with write_fd instead."""
    fd = port_fd(port)
    if fd is None:
        port.write(data)
    else:
        write_fd(fd, data, timeout_s)


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
        write_fd(self.fd, data)
        return len(data)

    def close(self) -> None:
        os.close(self.fd)
