"""What the inspection machine is told and what it asks for, as plain data.

Inputs come from the loop (lens results, RF state, button presses, the time); outputs go
back to it (events for the event log, records for the logbook, sounds, the buzzer's
state). None of them holds a device, an image or a simulator object, so the machine can
be driven by hand in a test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from detector.fusion import LensTrackView, RfView, WifiView


@dataclass(frozen=True)
class CameraGeometry:
    """What the machine needs of the camera: its image size and field of view (for the
    coverage map and for choosing the marker nearest the centre)."""

    width: int
    height: int
    hfov_deg: float


@dataclass(frozen=True)
class LensUpdate:
    """One frame set's lens-detection result."""

    t_ns: int
    motion: tuple[float, float, bool]  # dx, dy (pixels), reliable
    tracks: list[LensTrackView]  # the tracks hit in this set
    new_alerts: list[dict[str, Any]]  # lens alerts raised by this set (their JSON)
    markers: list[tuple[float, float, str]]  # what the live view marks: x, y, kind


@dataclass(frozen=True)
class RfUpdate:
    """The radio's state after a poll. (What the status bar says of the radio is the
    loop's to add when it draws: it is not needed on every poll.)"""

    readings: int  # how many readings the poll returned
    new_alerts: list[dict[str, Any]]  # RF alerts that started since the last update
    active: list[RfView]
    active_json: list[dict[str, Any]]  # the active alerts as records keep them
    proximity: float


@dataclass(frozen=True)
class WifiUpdate:
    """The Wi-Fi analysis after a poll: the cameras identified by their traffic (new ones
    with their evidence), the one the hotter/colder trail follows, and the camera the
    inspector is asked to walk for (its motion test), if any."""

    new_cameras: list[dict[str, Any]]
    cameras: list[WifiView]
    nearest: WifiView | None
    trend_db: float  # the nearest one's trail: + hotter, - colder
    trail: list[float]  # its recent RSSI, one value a second
    walk_for: str | None  # an address
    text: str  # what the status bar says of the Wi-Fi monitor


@dataclass(frozen=True)
class Event:
    """A line of the event log."""

    t_ns: int
    name: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Evidence:
    """What evidence a record asks the loop to attach: the annotated view (with the lens
    at `focus` enlarged), and with `frames` the frames around it."""

    frames: bool = False
    focus: tuple[float, float] | None = None


@dataclass(frozen=True)
class Record:
    """A logbook record to store, with the evidence to attach (None: none)."""

    kind: str
    data: dict[str, Any]
    evidence: Evidence | None = None


@dataclass(frozen=True)
class Sound:
    """A one-off sound request: `lens-confirmed`, or `mute` with `on`."""

    name: str
    on: bool = True


@dataclass(frozen=True)
class BuzzerState:
    """What the buzzer should be saying now (ui/sounds.py picks the pattern)."""

    camera_likely: bool = False
    faults: bool = False
    rf_active: bool = False  # also while a Wi-Fi camera's trail is followed
    proximity: float = 0.0


@dataclass(frozen=True)
class Tick:
    """The outcome of one tick: the faults on screen, whether the screen must be redrawn
    at once (the alert level changed), whether an alert was raised, and the buzzer."""

    faults: list[str]
    redraw_now: bool
    raised: bool
    buzzer: BuzzerState


Output = Event | Record | Sound
