"""The piezo buzzer interface."""

from __future__ import annotations

from abc import ABC, abstractmethod


class Buzzer(ABC):
    """Plays tones. A backend must override `tone(hz)` and `silence()`; it may override
    `close`. `hz` is the pitch; backends without pitch control (a plain on/off buzzer)
    just sound while a tone is requested. Patterns are sequenced elsewhere (ui/)."""

    muted = False

    @abstractmethod
    def tone(self, hz: float) -> None: ...

    @abstractmethod
    def silence(self) -> None: ...

    def play(self, hz: float) -> None:
        """Sound a tone unless muted."""
        if self.muted:
            self.silence()
        else:
            self.tone(hz)

    def close(self) -> None:
        self.silence()
