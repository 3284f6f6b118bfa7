"""A one-line progress report for long commands: rewritten in place on a terminal, a few
times a second; nothing at all when the output goes to a pipe or a file (a log stays
clean, and scripts read only the results)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

EVERY_S = 0.25


class Progress:
    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.started = time.monotonic()
        self._last = -EVERY_S
        self._width = 0

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    def due(self) -> bool:
        """Whether show() would print now: lets a caller in a per-frame loop skip building
        the text."""
        return self.enabled and time.monotonic() - self._last >= EVERY_S

    def show(self, text: str, force: bool = False) -> None:
        if not (force and self.enabled) and not self.due():
            return
        self._last = time.monotonic()
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = len(text)

    def done(self) -> None:
        """Clear the line, so the results print on a clean one."""
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0
