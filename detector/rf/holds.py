"""How long an RF finding must hold before it alerts (rf/analysis.py; docs/rf.md,
"Analysis"): bursty emitters hold, an emitter heard at the door that has grown since holds
less, and a continuous carrier alerts once its rule has read only sweeps taken inside."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from detector.rf.records import Finding, RfParams

BROADBAND_BANDS = ("cellular", "analog-1g2")


class Timed(Protocol):
    t_ns: int


def confirm_s(p: RfParams, band: str, finding: Finding, cc_window: Sequence[Timed]) -> float:
    """How long `finding` must hold before it alerts; `cc_window` is the 2.4 GHz window
    of sweeps."""
    confirm = {"wifi-2g4": p.wifi_confirm_s, "wifi-5g": p.wifi_confirm_s,
               "cellular": p.cellular_confirm_s}.get(band, 0.0)
    approach = p.broadband_approach_db if band in BROADBAND_BANDS else p.approach_rise_db
    if finding.evidence.get("door_rise_db", 0.0) >= approach:
        confirm = min(confirm, p.approach_confirm_s)
    if band == "wifi-2g4" and confirm > 0:
        # A slow sweep's window (10 sweeps) spans more than `window_s` and keeps an
        # emitter's finding up longer after it stops: hold that much longer too, so
        # that a phone's short syncing does not alert (this errs strict: docs/rf.md).
        confirm += window_excess_s(cc_window, p.window_s)
    return confirm


def window_excess_s(window: Sequence[Timed], window_s: float) -> float:
    """How much longer than `window_s` a window of sweeps reaches back."""
    if len(window) < 2:
        return 0.0
    return max((window[-1].t_ns - window[0].t_ns) / 1e9 - window_s, 0.0)


def heard_inside(window: Sequence[Timed], ready_ns: int | None, inside_s: float) -> bool:
    """Whether a carrier rule's window holds only sweeps taken `inside_s` after ready. At
    the door a louder emitter outside (a phone in a locker) can share the carrier's
    channel; `inside_s` later the inspector has carried the device into the room, where
    the carrier is what the receiver hears there."""
    return not window or ready_ns is None or window[0].t_ns >= ready_ns + inside_s * 1e9
