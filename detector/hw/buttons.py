"""The three buttons: select, up, down, each with short and long presses."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

BUTTON_NAMES = ("select", "up", "down")


@dataclass(frozen=True, order=True)
class ButtonEvent:
    t_ns: int
    button: str
    long: bool

    @property
    def name(self) -> str:
        return f"{self.button}{'-long' if self.long else ''}"


class Buttons(ABC):
    """Delivers button presses as events.

    A backend must override `poll()`, returning the events since the last call in time
    order. It may override `close`. Handlers added with `on_press` run from `poll`, in
    the caller's thread, so the sweep loop never races a GPIO callback thread.
    """

    def __init__(self) -> None:
        self._handlers: list[Callable[[ButtonEvent], None]] = []

    def on_press(self, handler: Callable[[ButtonEvent], None]) -> None:
        self._handlers.append(handler)

    @abstractmethod
    def _collect(self) -> list[ButtonEvent]:
        """Events that happened since the last call."""

    def poll(self) -> list[ButtonEvent]:
        events = self._collect()
        for event in events:
            for handler in self._handlers:
                handler(event)
        return events

    def held(self) -> dict[str, bool]:
        """Which buttons read as pressed right now (a stuck one shows here); backends
        that cannot tell return {}."""
        return {}

    def close(self) -> None:  # noqa: B027 - optional hook
        pass
