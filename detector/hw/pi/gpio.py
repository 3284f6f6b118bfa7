"""gpiozero devices: the two LED groups, the buzzer and the three buttons.

Every class takes an optional gpiozero pin factory (tests pass MockFactory); by default
gpiozero picks lgpio on a Pi (RPi.GPIO through its rpigpio factory on older boards).
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from detector.errors import require
from detector.hw.buttons import ButtonEvent, Buttons
from detector.hw.buzzer import Buzzer
from detector.hw.clock import Clock, SystemClock
from detector.hw.lights import Lights

GPIOZERO_HINT = "pip install 'restroom-camera-detector[pi]' (gpiozero with lgpio)"


def _gpiozero():
    return require("gpiozero", GPIOZERO_HINT)


class GpioLights(Lights):
    """Two MOSFET gates. Break before make: both groups are never on together."""

    def __init__(self, onaxis_pin: int, offaxis_pin: int, active_high: bool = True,
                 pin_factory: Any = None, clock: Clock | None = None) -> None:
        super().__init__(clock or SystemClock())
        gz = _gpiozero()
        self.onaxis = gz.DigitalOutputDevice(onaxis_pin, active_high=active_high,
                                             initial_value=False, pin_factory=pin_factory)
        self.offaxis = gz.DigitalOutputDevice(offaxis_pin, active_high=active_high,
                                              initial_value=False, pin_factory=pin_factory)

    def _apply(self, onaxis: bool, offaxis: bool) -> None:
        if not onaxis:
            self.onaxis.off()
        if not offaxis:
            self.offaxis.off()
        if onaxis:
            self.onaxis.on()
        if offaxis:
            self.offaxis.on()

    def close(self) -> None:
        super().close()
        self.onaxis.close()
        self.offaxis.close()


class GpioBuzzer(Buzzer):
    """A piezo on a PWM pin (gpiozero TonalBuzzer), or an active buzzer (plain Buzzer)."""

    MID_HZ = 1000.0

    def __init__(self, pin: int, tonal: bool = True, pin_factory: Any = None) -> None:
        gz = _gpiozero()
        self.tonal = tonal
        if tonal:
            from gpiozero.tones import Tone

            self.device = gz.TonalBuzzer(pin, mid_tone=Tone(frequency=self.MID_HZ), octaves=2,
                                         pin_factory=pin_factory)
        else:
            self.device = gz.Buzzer(pin, pin_factory=pin_factory)

    def tone(self, hz: float) -> None:
        if hz <= 0:
            self.silence()
        elif self.tonal:
            low = self.device.min_tone.frequency
            high = self.device.max_tone.frequency
            from gpiozero.tones import Tone

            self.device.play(Tone(frequency=min(max(hz, low), high)))
        else:
            self.device.on()

    def silence(self) -> None:
        if self.tonal:
            self.device.stop()
        else:
            self.device.off()

    def close(self) -> None:
        self.silence()
        self.device.close()


class GpioButtons(Buttons):
    """Three push buttons to ground (internal pull-ups). A press shorter than hold_s is a
    short press, reported on release; holding past hold_s is a long press, reported once."""

    def __init__(self, pins: dict[str, int], hold_s: float = 0.8, bounce_s: float = 0.02,
                 pin_factory: Any = None, clock: Clock | None = None) -> None:
        super().__init__()
        gz = _gpiozero()
        self.clock = clock or SystemClock()
        self._queue: deque[ButtonEvent] = deque()
        self._lock = threading.Lock()
        self._held: set[str] = set()
        self.devices = {}
        for name, pin in pins.items():
            button = gz.Button(pin, pull_up=True, bounce_time=bounce_s or None, hold_time=hold_s,
                               pin_factory=pin_factory)
            button.when_held = lambda _b=None, n=name: self._on_held(n)
            button.when_released = lambda _b=None, n=name: self._on_released(n)
            self.devices[name] = button

    def _push(self, name: str, long: bool) -> None:
        with self._lock:
            self._queue.append(ButtonEvent(self.clock.monotonic_ns(), name, long))

    def _on_held(self, name: str) -> None:
        self._held.add(name)
        self._push(name, True)

    def _on_released(self, name: str) -> None:
        if name in self._held:
            self._held.discard(name)
        else:
            self._push(name, False)

    def held(self) -> dict[str, bool]:
        return {name: bool(button.is_pressed) for name, button in self.devices.items()}

    def _collect(self) -> list[ButtonEvent]:
        with self._lock:
            events = list(self._queue)
            self._queue.clear()
        return events

    def close(self) -> None:
        for button in self.devices.values():
            button.close()
