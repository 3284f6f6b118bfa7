"""What every scanner client shares: a pyserial port that is opened lazily, reopened every
`retry_s` after it fails, declared gone after `silence_s` without data, and a `poll()`
that never blocks for long and never raises for a port problem (the client goes offline
and says why in `state` and `last_problem`, so the rest of the sweep keeps running).

Subclasses say how a session starts (`_start_session`), what the bytes mean
(`_consume`), and how to say goodbye (`_goodbye`); they call `_heard(now)` when a
message arrives and set `state = "online"` once the scanner has answered.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import serial

from detector.hw.clock import Clock, SystemClock
from detector.rf.urlhandler import register

READ_CHUNK = 65536


class PortClient:
    NAME = "scanner"  # in messages: "<NAME> disconnected", "<NAME> silent for ..."
    NO_ANSWER = "no answer from {url} within {s:.1f} s (wrong port or baud rate?)"

    def __init__(self, url: str, opener: Callable[[str], Any], *, clock: Clock | None,
                 hello_timeout_s: float, silence_s: float, retry_s: float) -> None:
        register()
        self.url = url
        self.opener = opener
        self.clock = clock or SystemClock()
        self.hello_timeout_ns = int(hello_timeout_s * 1e9)
        self.silence_ns = int(silence_s * 1e9)
        self.retry_ns = int(retry_s * 1e9)
        self.port: Any = None
        self.state = "offline"  # offline, connecting, online, incompatible, closed
        self.last_problem = "not connected yet"
        self.reconnects = 0
        self._next_try = 0
        self._deadline = 0
        self._last = 0

    # ---- for subclasses ----------------------------------------------------------------
    def _start_session(self) -> None:
        """Reset decoding and send the opening request on the fresh `self.port`."""
        raise NotImplementedError

    def _consume(self, data: bytes, now: int) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _goodbye(self) -> None:  # noqa: B027 - optional hook
        """Tell the scanner to stop (the port is still open)."""

    def _heard(self, now: int) -> None:
        self._last = now

    # ---- shared ------------------------------------------------------------------------
    @property
    def online(self) -> bool:
        return self.state == "online"

    def _now(self) -> int:
        return self.clock.monotonic_ns()

    def _go_offline(self, problem: str) -> None:
        if self.port is not None:
            with contextlib.suppress(Exception):  # the port may already be gone
                self.port.close()
        self.port = None
        if self.state == "online":
            self.reconnects += 1
        self.state = "offline"
        self.last_problem = problem
        self._next_try = self._now() + self.retry_ns

    def close(self) -> None:
        if self.port is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                self._goodbye()
        was = self.reconnects
        self._go_offline("closed")
        self.reconnects, self.state = was, "closed"

    def poll(self) -> list[dict[str, Any]]:
        """Readings that arrived since the last call (rf.jsonl dicts)."""
        if self.state in ("incompatible", "closed"):
            return []
        now = self._now()
        if self.state == "offline":
            if now < self._next_try:
                return []
            try:
                self.port = self.opener(self.url)
                self._start_session()
            except (serial.SerialException, OSError, ValueError) as exc:
                self._go_offline(f"cannot open {self.url}: {exc}")
                return []
            self.state, self._deadline = "connecting", now + self.hello_timeout_ns
        try:
            data = self.port.read(READ_CHUNK)
        except (serial.SerialException, OSError) as exc:
            self._go_offline(f"{self.NAME} disconnected: {exc}")
            return []
        now = self._now()
        readings = self._consume(data, now)
        if self.state == "connecting" and now > self._deadline:
            self._go_offline(self.NO_ANSWER.format(url=self.url, s=self.hello_timeout_ns / 1e9))
        elif self.state == "online" and now - self._last > self.silence_ns:
            self._go_offline(f"{self.NAME} silent for {self.silence_ns / 1e9:.1f} s")
        return readings
