"""The office reads the sync link ahead of the sync, in a child process.

A tty holds only a few KB: a pty's line discipline 4 KB, the CDC-ACM driver a handful
of USB transfers. Whenever the office pauses (decoding a frame, its evidence writer
holding the GIL, a database commit), the device's writes block and the link stands
idle. A child that does nothing but move the port's bytes into a 1 MB pipe keeps the
link moving while the office works, and the office reads the pipe in large reads.

Only a port with a file descriptor on a system with fork() is read ahead; any other
(socket://, loop://, Windows) is used as it is. `read_ahead` is a context manager
either way.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
from collections.abc import Iterator
from typing import Any

from detector.logbook.links import port_fd, write_fd

PIPE_BYTES = 1 << 20  # the read-ahead; Linux's default cap for an unprivileged pipe
_F_SETPIPE_SZ = 1031  # fcntl.F_SETPIPE_SZ (Linux); elsewhere the pipe keeps its size
_POLL_S = 0.5  # how often the child checks that the office is still there


class ReadAheadPort:
    """A port whose reads come from a child process that drains it. Writes go straight
    to the port. read() returns what has arrived within `timeout` seconds (b"" if
    nothing) and raises OSError once the port has failed or closed and every byte read
    before that has been returned."""

    def __init__(self, port: Any, fd: int, timeout: float = 0.2) -> None:
        self.port = port
        self.timeout = timeout
        self._pipe, writer = os.pipe()
        with contextlib.suppress(OSError):
            import fcntl

            fcntl.fcntl(writer, _F_SETPIPE_SZ, PIPE_BYTES)
        self._pid = os.fork()
        if self._pid == 0:  # the child: copy, then leave without running any cleanup
            code = 1
            try:
                _close_all_but(fd, writer)
                code = _copy(fd, writer)
            finally:
                os._exit(code)
        os.close(writer)

    def read(self, size: int = 1) -> bytes:
        ready, _w, _x = select.select([self._pipe], [], [], self.timeout)
        if not ready:
            return b""
        data = os.read(self._pipe, max(size, 1))
        if not data:
            raise OSError(errno.EIO, "the port closed or was unplugged")
        return data

    def write(self, data: bytes) -> int | None:
        return self.port.write(data)

    def close(self) -> None:
        """Stop the child; bytes it read that were not asked for are dropped (a session
        ends with BYE, so none are expected)."""
        if self._pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, 9)
            os.waitpid(self._pid, 0)
            self._pid = 0
            os.close(self._pipe)


def _close_all_but(*keep: int) -> None:
    """The child holds nothing of the office's but the port and the pipe: no database,
    no evidence file, and no other end of a pty that would keep it from closing."""
    start = 3
    for fd in sorted(keep):
        os.closerange(start, fd)
        start = fd + 1
    os.closerange(start, os.sysconf("SC_OPEN_MAX"))


def _copy(fd: int, pipe: int) -> int:
    """The child's loop: port to pipe until the port fails or the office goes away.
    The port may be non-blocking (pyserial opens it so): wait for it with select."""
    parent = os.getppid()
    while True:
        ready, _w, _x = select.select([fd], [], [], _POLL_S)
        if not ready:
            if os.getppid() != parent:
                return 0
            continue
        try:
            data = os.read(fd, 1 << 16)
        except BlockingIOError:
            continue
        except OSError:  # unplugged, or the other end of a pty closed
            return 1
        if not data:
            return 1
        try:
            write_fd(pipe, data)
        except BrokenPipeError:  # the office closed its end
            return 0


@contextlib.contextmanager
def read_ahead(port: Any, timeout: float = 0.2) -> Iterator[Any]:
    """The port read ahead by a child process where that is possible, else the port."""
    fd = port_fd(port)
    if fd is None or not hasattr(os, "fork"):
        yield port
        return
    link = ReadAheadPort(port, fd, timeout)
    try:
        yield link
    finally:
        link.close()
