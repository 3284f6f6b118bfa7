"""Keys as the handheld's buttons in the simulation window: Enter (or space) is SELECT,
the arrow keys UP and DOWN. Holding a key for hold_s (wall time, as a person holds it)
is a long press; scripted --press events still play as well."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from detector.hw.buttons import ButtonEvent
from detector.hw.clock import Clock
from detector.hw.sim.devices import SimButtons


class KeyboardButtons(SimButtons):
    def __init__(self, clock: Clock, start_ns: int = 0,
                 script: Iterable[tuple[float, str, bool]] = (), hold_s: float = 0.8,
                 wall: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock, start_ns, script)
        import pygame

        self.pygame = pygame
        self.hold_s = hold_s
        self.wall = wall
        self.keys = {pygame.K_RETURN: "select", pygame.K_SPACE: "select",
                     pygame.K_KP_ENTER: "select", pygame.K_UP: "up", pygame.K_DOWN: "down"}
        self.down: dict[str, float] = {}
        self.long_sent: set[str] = set()

    def _collect(self) -> list[ButtonEvent]:
        pg = self.pygame
        now_wall = self.wall()
        now = self.clock.monotonic_ns()
        if pg.display.get_init():
            for event in pg.event.get((pg.KEYDOWN, pg.KEYUP)):
                button = self.keys.get(event.key)
                if button is None:
                    continue
                if event.type == pg.KEYDOWN:
                    self.down[button] = now_wall
                elif button in self.down:
                    pressed = self.down.pop(button)
                    if button not in self.long_sent and now_wall - pressed < self.hold_s:
                        self.pending.append(ButtonEvent(now, button, False))
                    self.long_sent.discard(button)
        for button, pressed in self.down.items():  # held long enough: a long press, once
            if button not in self.long_sent and now_wall - pressed >= self.hold_s:
                self.long_sent.add(button)
                self.pending.append(ButtonEvent(now, button, True))
        self.pending.sort()
        return super()._collect()
