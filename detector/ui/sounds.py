"""Buzzer patterns, sequenced on the session's clock.

Highest priority first:
- camera-likely: an insistent two-tone warble that repeats until acknowledged;
- lens-confirmed: three rising beeps, once per newly confirmed lens;
- fault: two low beeps every few seconds while a part is down;
- hotter/colder: short clicks whose rate rises with the RF proximity score (1 to 10 per
  second) while RF activity lasts;
- otherwise silence. Mute silences everything (the screen still shows the level).

`tick(now)` is called from the sweep loop, at least once per camera frame; a step shorter
than the loop period is stretched to it, so clicks are at least one frame long.
"""

from __future__ import annotations

from dataclasses import dataclass

from detector.hw.buzzer import Buzzer


@dataclass(frozen=True)
class Pattern:
    name: str
    steps: tuple[tuple[int, float], ...]  # (milliseconds, hz); hz 0 is a pause
    repeat: bool

    @property
    def length_ms(self) -> int:
        return sum(ms for ms, _hz in self.steps)

    def hz_at(self, elapsed_ms: float) -> float | None:
        """Tone at `elapsed_ms` into the pattern; None once a one-shot pattern is over."""
        if self.repeat:
            elapsed_ms %= self.length_ms
        for ms, hz in self.steps:
            if elapsed_ms < ms:
                return hz
            elapsed_ms -= ms
        return None


CAMERA_LIKELY = Pattern("camera-likely", ((150, 2900.0), (150, 2100.0)), repeat=True)
LENS_CONFIRMED = Pattern("lens-confirmed",
                         ((90, 1600.0), (40, 0.0), (90, 2100.0), (40, 0.0), (160, 2700.0),
                          (100, 0.0)), repeat=False)
FAULT = Pattern("fault", ((300, 500.0), (150, 0.0), (300, 500.0), (3250, 0.0)), repeat=True)
CLICK_MS = 30
CLICK_HZ = 3300.0


def click_pattern(proximity: float) -> Pattern:
    """Hotter/colder: one click per period, the period falling from 1 s (just heard) to
    0.1 s (right next to it)."""
    p = min(max(proximity, 0.0), 1.0)
    period_ms = int(round(1000 - 900 * p))
    return Pattern("rf-clicks", ((CLICK_MS, CLICK_HZ), (period_ms - CLICK_MS, 0.0)),
                   repeat=True)


class AlertSounder:
    """Chooses the pattern for the current state and drives the buzzer through it."""

    def __init__(self, buzzer: Buzzer) -> None:
        self.buzzer = buzzer
        self.muted = False
        self.pattern: Pattern | None = None
        self.started_ns = 0
        self._confirm_queue = 0  # newly confirmed lenses still to announce
        self._hz: float | None = None
        self.failed: str | None = None  # a buzzer that raised: reported as a fault
        self.history: list[tuple[int, float]] = []  # (t_ns, hz) of every change; 0 silence

    def lens_confirmed(self) -> None:
        self._confirm_queue += 1

    def set_muted(self, muted: bool) -> None:
        self.muted = muted

    def _choose(self, now: int, camera_likely: bool, faults: bool, rf_active: bool,
                proximity: float) -> Pattern | None:
        current = self.pattern
        if camera_likely:
            return CAMERA_LIKELY
        if current is LENS_CONFIRMED and current.hz_at((now - self.started_ns) / 1e6) is not None:
            return current  # let the announcement finish
        if self._confirm_queue:
            self._confirm_queue -= 1
            return LENS_CONFIRMED
        if faults:
            return FAULT
        if rf_active:
            return click_pattern(proximity)
        return None

    def tick(self, now: int, *, camera_likely: bool = False, faults: bool = False,
             rf_active: bool = False, proximity: float = 0.0) -> float:
        """Advance to `now`; returns the tone now playing (0 for silence)."""
        pattern = self._choose(now, camera_likely, faults, rf_active, proximity)
        if pattern is not self.pattern:
            same_kind = (pattern is not None and self.pattern is not None
                         and pattern.name == self.pattern.name == "rf-clicks")
            if not same_kind:  # a new click rate keeps the rhythm going
                self.started_ns = now
            if pattern is LENS_CONFIRMED:
                self.started_ns = now
            self.pattern = pattern
        hz = 0.0
        if self.pattern is not None and not self.muted:
            hz = self.pattern.hz_at((now - self.started_ns) / 1e6) or 0.0
        self._drive(hz, now)
        return hz

    def _drive(self, hz: float, now: int) -> None:
        if hz == self._hz:
            return
        if hz != (self._hz or 0.0):
            self.history.append((now, hz))
        try:
            if hz > 0:
                self.buzzer.tone(hz)
            else:
                self.buzzer.silence()
            self._hz = hz
        except Exception as exc:  # noqa: BLE001 - a broken buzzer must not stop the sweep
            self.failed = f"buzzer: {exc}"
