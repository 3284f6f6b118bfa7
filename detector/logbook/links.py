"""Byte links with pyserial's read/write interface besides a serial port: a socket (a
connected pair for tests and benchmarks) and a raw file descriptor (a pty master)."""

from __future__ import annotations

import os
import select
import socket


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
