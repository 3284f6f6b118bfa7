"""Percentiles and means of a channel pooled with its neighbouring channels, for a
receiver that holds too few sweeps to give each channel enough readings of its own: a
slow 2.4 GHz sweep, and the RX5808's door baseline (rf/analysis.py, docs/rf.md)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

POOL_MAX_CHANNELS = 3  # at most this many neighbours on either side


def pool_half(rows: int, wanted: int) -> int:
    """How many neighbouring channels on either side to pool so that `rows` readings of
    each make about `wanted` (0: a channel's own are enough)."""
    if rows >= wanted:
        return 0
    return min(math.ceil((wanted / max(rows, 1) - 1) / 2), POOL_MAX_CHANNELS)


def pooled_percentile(arr: np.ndarray, q: float | Sequence[float], half: int) -> np.ndarray:
    """Each channel's q-th percentile over its readings and those of `half` neighbouring
    channels on either side (rows are sweeps, columns channels); for several q, one row
    per q (the neighbours stacked once).

    Why pool: a slow 2.4 GHz sweep (4 to 16 a second) holds few sweeps, at the door and
    in the window, and reads a 20 MHz emitter's channels milliseconds apart, each in a
    packet slot of its own. In ten readings a channel of an emitter on the air a third
    of the time is hit once or never: its 90th or 95th percentile falls between its
    noise and its packets. At the door that left an access point "new" all through the
    room; in the window it broke a camera's run of channels. Its neighbouring channels
    carry the same emitter, so pooling them gives each channel the readings a fast sweep
    has of it alone."""
    if half == 0:
        return np.percentile(arr, q, axis=0)
    return np.percentile(_with_neighbours(arr, half), q, axis=0)


def pooled_mean(arr: np.ndarray, half: int) -> np.ndarray:
    """Each channel's mean over its readings and those of `half` neighbours on either
    side (as pooled_percentile)."""
    if half == 0:
        return arr.mean(axis=0)
    return _with_neighbours(arr, half).mean(axis=0)


def _with_neighbours(arr: np.ndarray, half: int) -> np.ndarray:
    """The readings of each channel's column and its `half` neighbours on either side,
    stacked as rows (the end channels stand in for the missing ones beyond the band)."""
    padded = np.pad(arr, ((0, 0), (half, half)), mode="edge")
    n = arr.shape[1]
    return np.concatenate([padded[:, k:k + n] for k in range(2 * half + 1)])


def pooled_percentile_near(arr: np.ndarray, q: Sequence[float], freqs_hz: np.ndarray,
                           within_hz: float, pool: np.ndarray) -> np.ndarray:
    """Each channel's q-th percentiles over its readings and those of every channel
    within `within_hz` of it, for the channels `pool` marks (pooled only with each other);
    the others keep their own. One row per q. For receivers whose channels are not
    evenly spaced (the RX5808's 39 video channels): neighbours by frequency, not index."""
    own = np.percentile(arr, q, axis=0)
    out = np.array(own, dtype=float, ndmin=2)
    near = within(freqs_hz, within_hz)
    for i in np.flatnonzero(pool):
        columns = np.flatnonzero(near[i] & pool)
        out[:, i] = np.percentile(arr[:, columns], q)
    return out


def within(freqs_hz: np.ndarray, hz: float) -> np.ndarray:
    """[i, j]: channel j lies within `hz` of channel i (each channel of itself too)."""
    return np.abs(freqs_hz[:, None] - freqs_hz[None, :]) <= hz
