"""What the screen shows, as plain data: the inspection machine says what to show, the
ui package draws it (ui/screens.py), the loop puts it on the display."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from detector.fusion import Level


@dataclass
class LiveStatus:
    """Everything the live view shows besides the camera image."""

    elapsed_s: float
    lights: str = ""
    title: str = ""
    frame_index: int = 0  # the camera frame the view shows (markers are in its pixels)
    markers: list[tuple[float, float, str]] = field(default_factory=list)  # x, y, kind
    faults: list[str] = field(default_factory=list)
    rf_text: str = "RF --"
    lens_text: str = ""  # e.g. "LENS 1" once a lens is confirmed
    level: Level = Level.CLEAR
    muted: bool = False
    awaiting_ack: bool = False
    rf_bars: dict[str, tuple[float, bool]] = field(default_factory=dict)  # 0-1, alerting
    coverage: float | None = None
    coverage_map: tuple[np.ndarray, np.ndarray] | None = None  # swept, required
    too_fast: bool = False
    guide: str = ""
    dropped: int = 0
    wifi_text: str = ""  # e.g. "WIFI CAM 00:00:5e:00:53:01 -48 dBm" while one is suspected
    wifi_trail: list[float] = field(default_factory=list)  # its RSSI, one a second
    wifi_trend: str = ""  # "HOTTER", "COLDER" or ""
    walk_prompt: bool = False  # ask the inspector to walk across the room


@dataclass(frozen=True)
class ScreenContent:
    """One screen: the live view (with its status), a menu, or the result."""

    kind: str  # live, menu, result
    status: LiveStatus | None = None  # live
    title: str = ""  # menu
    items: tuple[str, ...] = ()
    selected: int = 0
    result: str = ""  # result
    lines: tuple[str, ...] = ()
