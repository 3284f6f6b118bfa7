"""What the three buttons do on each screen, as a state machine.

The controller only turns presses into actions for the inspection machine and keeps
track of which screen is up; the machine acts (records a finding, ends the inspection)
and the loop draws.

Live view:  SELECT mark a finding | hold SELECT menu
            UP acknowledge camera-likely (else next guide step) | hold UP mute on/off
            DOWN next guide step | hold DOWN end the inspection
Menus:      UP/DOWN move | SELECT choose | hold SELECT back
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from detector.locations import Location


class Press(Protocol):
    """A button press as the buttons report it (hw/buttons.py's Press)."""

    button: str  # select, up, down
    long: bool

SCAN_QR = "Scan the QR sticker at the door"
NO_LOCATION = "Continue without a location"
MENU_ITEMS = ("Checklist", "Next guide step", "Mute / unmute", "End inspection", "Back")
FINDING_ITEMS = ("Suspicious: keep as evidence", "Device found", "Not a camera", "Cancel")
FINDING_VERDICTS = {0: "suspicious", 1: "device", 2: "dismissed"}
END_ITEMS = ("End now", "Keep sweeping")


@dataclass(frozen=True)
class Action:
    name: str  # checkin, scan-qr, mark, ack, mute, next-step, checklist, end, done
    value: Any = None


@dataclass
class Controller:
    locations: list[Location]
    checklist: dict[str, bool | None]
    screen: str = "checkin"  # checkin, live, menu, checklist, finding, end, result
    selected: int = 0
    muted: bool = False
    awaiting_ack: bool = False  # set by the runtime from fusion

    # ---- what the current screen lists ------------------------------------------------
    def items(self) -> list[str]:
        if self.screen == "checkin":
            return [SCAN_QR] + [loc.name for loc in self.locations] + [NO_LOCATION]
        if self.screen == "menu":
            return list(MENU_ITEMS)
        if self.screen == "checklist":
            marks = {True: "[yes]", False: "[no] ", None: "[ ? ]"}
            return [f"{marks[v]} {k}" for k, v in self.checklist.items()] + ["Back"]
        if self.screen == "finding":
            return list(FINDING_ITEMS)
        if self.screen == "end":
            return list(END_ITEMS)
        return []

    def title(self) -> str:
        if self.screen == "end":
            open_items = sum(v is None for v in self.checklist.values())
            # An open checklist item makes the inspection incomplete: say so before the end.
            return ("End the inspection?" if not open_items else
                    f"End? {open_items} checklist item(s) open")
        return {"checkin": "Check in: where are you?", "menu": "Menu",
                "checklist": "Checklist", "finding": "Mark a finding"}.get(self.screen, "")

    def _go(self, screen: str) -> None:
        self.screen, self.selected = screen, 0

    # ---- presses ------------------------------------------------------------------------
    def press(self, event: Press) -> list[Action]:
        if self.screen == "live":
            return self._live(event)
        if self.screen == "result":
            return [Action("done")] if event.button == "select" else []
        items = self.items()
        if event.button in ("up", "down") and not event.long:
            step = -1 if event.button == "up" else 1
            self.selected = (self.selected + step) % len(items)
            return []
        if event.button == "select" and event.long:
            if self.screen in ("menu", "finding", "end"):
                self._go("live")
            elif self.screen == "checklist":
                self._go("menu")
            return []
        if event.button == "select":
            return self._choose()
        return []

    def _live(self, event: Press) -> list[Action]:
        if event.button == "select":
            self._go("menu" if event.long else "finding")
            return []
        if event.button == "up" and event.long:
            self.muted = not self.muted
            return [Action("mute", self.muted)]
        if event.button == "up":
            return [Action("ack")] if self.awaiting_ack else [Action("next-step")]
        if event.button == "down" and event.long:
            self._go("end")
            return []
        return [Action("next-step")]

    def _choose(self) -> list[Action]:
        i = self.selected
        if self.screen == "checkin":
            if i == 0:
                return [Action("scan-qr")]
            self._go("live")
            if i <= len(self.locations):
                return [Action("checkin", self.locations[i - 1])]
            return [Action("checkin", None)]
        if self.screen == "menu":
            choice = MENU_ITEMS[i]
            if choice == "Checklist":
                self._go("checklist")
                return []
            self._go("end" if choice == "End inspection" else "live")
            if choice == "Next guide step":
                return [Action("next-step")]
            if choice == "Mute / unmute":
                self.muted = not self.muted
                return [Action("mute", self.muted)]
            return []
        if self.screen == "checklist":
            keys = list(self.checklist)
            if i == len(keys):
                self._go("menu")
                return []
            # Cycle unanswered -> yes -> no -> yes ...
            value = self.checklist[keys[i]]
            self.checklist[keys[i]] = value is not True
            return [Action("checklist", (keys[i], self.checklist[keys[i]]))]
        if self.screen == "finding":
            self._go("live")
            verdict = FINDING_VERDICTS.get(i)
            return [Action("mark", verdict)] if verdict else []
        if self.screen == "end":
            if i == 0:
                self._go("result")
                return [Action("end")]
            self._go("live")
        return []

    def checked_in(self) -> None:
        """Check-in done by other means (QR code, --location): go to the live view."""
        if self.screen == "checkin":
            self._go("live")

    def show_result(self) -> None:
        self._go("result")
