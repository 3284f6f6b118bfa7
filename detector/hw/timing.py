"""Frame exposure timing and light-state labelling, shared by every camera backend.

A rolling-shutter frame exposes row r from t0 + r*line to t0 + r*line + exposure, where
line = readout / (rows - 1). A frame is labelled with the single LED state that was on
for the whole window [t0, t0 + readout + exposure]; if a switch falls inside that
window, or within LABEL_GUARD_NS of either end, the frame is `mixed` and the detector
drops it (never guesses).

The guard is there because neither time is exact on a Pi: the switch log is stamped
after the GPIO call returns (tens of microseconds after the LEDs changed, more when the
process is preempted in between), and the sensor timestamp comes from the frame-start
interrupt, which jitters by tens of microseconds. A switch that close to a frame's edge
may have landed on either side of it.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np

MIXED = "mixed"
LABEL_GUARD_NS = 300_000  # 0.3 ms: several times the usual error of either timestamp
SwitchLog = Sequence[tuple[int, str]]  # (t_ns, state) in time order


def frame_window(t_ns: int, exposure_ns: int, readout_ns: int) -> tuple[int, int]:
    """Exposure window of the whole frame: first row's start to last row's end."""
    return t_ns, t_ns + readout_ns + exposure_ns


def state_at(switches: SwitchLog, t_ns: int, initial: str = "dark") -> str:
    """LED state in force at t_ns (the last switch at or before it)."""
    times = [t for t, _ in switches]
    i = bisect.bisect_right(times, t_ns) - 1
    return switches[i][1] if i >= 0 else initial


def label_frame(switches: SwitchLog, t_ns: int, exposure_ns: int, readout_ns: int,
                initial: str = "dark", guard_ns: int = LABEL_GUARD_NS) -> str:
    """`onaxis`, `offaxis` or `dark` if one state lit the whole frame (with the guard
    on either side), else `mixed`."""
    start, end = frame_window(t_ns, exposure_ns, readout_ns)
    start, end = start - guard_ns, end + guard_ns
    state = state_at(switches, start, initial)
    for t, new_state in switches:
        if start < t < end and new_state != state:
            return MIXED
    return state


def row_state_weights(switches: SwitchLog, t_ns: int, exposure_ns: int, readout_ns: int,
                      row_fractions: np.ndarray, initial: str = "dark") -> dict[str, np.ndarray]:
    """Fraction of each row's exposure spent under each LED state.

    `row_fractions` are row positions in [0, 1] (0 = first row, 1 = last).
    """
    starts = t_ns + row_fractions * readout_ns
    ends = starts + exposure_ns
    window_start, window_end = frame_window(t_ns, exposure_ns, readout_ns)
    # Piecewise-constant state over the window.
    edges = [window_start] + [t for t, _ in switches if window_start < t < window_end]
    edges.append(window_end)
    weights: dict[str, np.ndarray] = {}
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        state = state_at(switches, a, initial)
        overlap = np.clip(np.minimum(ends, b) - np.maximum(starts, a), 0, None) / exposure_ns
        weights[state] = weights.get(state, 0) + overlap
    return weights
