"""Simulated buzzer and buttons: the buzzer's tones are recorded with timestamps, the
buttons play a script (or presses injected by a window's keyboard)."""

from __future__ import annotations

from collections.abc import Iterable

from detector.hw.buttons import BUTTON_NAMES, ButtonEvent, Buttons
from detector.hw.buzzer import Buzzer
from detector.hw.clock import Clock


class SimBuzzer(Buzzer):
    """Keeps (t_ns, hz) for every change of tone; hz 0 is silence."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.events: list[tuple[int, float]] = []
        self.current = 0.0

    def tone(self, hz: float) -> None:
        if hz != self.current:
            self.events.append((self.clock.monotonic_ns(), float(hz)))
            self.current = float(hz)

    def silence(self) -> None:
        self.tone(0.0)


def parse_press(text: str) -> tuple[float, str, bool]:
    """`12.5:select`, `20:up-long` -> (seconds, button, long)."""
    try:
        when, name = text.split(":", 1)
        seconds = float(when)
    except ValueError:
        raise ValueError(f"--press {text}: expected SECONDS:BUTTON, e.g. 12.5:select") from None
    long = name.endswith("-long")
    button = name.removesuffix("-long")
    aliases = {"mark": "select", "ok": "select"}
    button = aliases.get(button, button)
    if button not in BUTTON_NAMES:
        raise ValueError(f"--press {text}: unknown button {button!r}; expected one of "
                         f"{', '.join(BUTTON_NAMES)} (add -long for a long press)")
    return seconds, button, long


class SimButtons(Buttons):
    """Scripted presses at simulated times, plus presses injected with `press`."""

    def __init__(self, clock: Clock, start_ns: int = 0,
                 script: Iterable[tuple[float, str, bool]] = ()) -> None:
        super().__init__()
        self.clock = clock
        self.pending = sorted(
            ButtonEvent(start_ns + int(t * 1e9), button, long) for t, button, long in script
        )

    def press(self, button: str, long: bool = False) -> None:
        if button not in BUTTON_NAMES:
            raise ValueError(f"unknown button {button!r}")
        self.pending.append(ButtonEvent(self.clock.monotonic_ns(), button, long))
        self.pending.sort()

    def _collect(self) -> list[ButtonEvent]:
        now = self.clock.monotonic_ns()
        due = [e for e in self.pending if e.t_ns <= now]
        self.pending = [e for e in self.pending if e.t_ns > now]
        return due
