"""The motion test: does a transmitter's uplink follow the inspector's motion?

A camera that sees the inspector encodes more when the picture changes, so its bitrate
rises while the inspector moves through its view, a second or two later at most (the
encoder's buffer). A phone on a call in a pocket, or a camera facing away, does not
follow. The test correlates the uplink bitrate with the observer's motion, both in
1-second bins, at lags of 0 to MAX_LAG_S seconds (bitrate after motion), and calls the
best lag's correlation significant when it is above the one-sided bound for a 1 % false
call on unrelated series (Fisher's z for that many bins, Bonferroni-corrected for the
lags tried).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from detector.wifi.headers import DATA, WifiFrame

BIN_S = 1.0
MAX_LAG_S = 3
MIN_BINS = 8  # fewer bins cannot show a relation
MIN_MOTION_SPREAD = 1e-6  # a motion series that never changes tests nothing
FALSE_CALL = 0.01  # chance of calling unrelated series related


@dataclass(frozen=True)
class MotionResponse:
    """responds: True (follows the motion), False (does not), None (nothing to test:
    too short, or the observer never changed pace); with the best lag and correlation,
    and the bound it was compared with."""

    responds: bool | None
    lag_s: float | None
    correlation: float
    bound: float
    bins: int

    def to_json(self) -> dict:
        return {"responds": self.responds, "lag_s": self.lag_s,
                "correlation": round(self.correlation, 3), "bound": round(self.bound, 3),
                "bins": self.bins}


def binned(t_s: np.ndarray, values: np.ndarray, start_s: float, bins: int,
           mean: bool = False) -> np.ndarray:
    index = ((np.asarray(t_s) - start_s) / BIN_S).astype(int)
    keep = (index >= 0) & (index < bins)
    total = np.bincount(index[keep], weights=np.asarray(values, dtype=float)[keep],
                        minlength=bins)
    if not mean:
        return total
    count = np.bincount(index[keep], minlength=bins)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def sent_bitrate(frames: list[WifiFrame], address: bytes, start_ns: int,
                 bins: int) -> np.ndarray:
    """The bits a device sent in each second from start_ns: the motion test's series."""
    sent = [f for f in frames if f.addr2 == address and f.kind == DATA]
    t = np.array([(f.t_ns - start_ns) / 1e9 for f in sent])
    return binned(t, np.array([f.length * 8.0 for f in sent]), 0.0, bins)


def motion_response(bitrate: np.ndarray, motion: np.ndarray) -> MotionResponse:
    """Bitrate and motion, one value per second over the same seconds (motion may hold
    NaN where nothing was measured)."""
    bitrate = np.asarray(bitrate, dtype=float)
    motion = np.asarray(motion, dtype=float)
    n = min(len(bitrate), len(motion))
    bitrate, motion = bitrate[:n], motion[:n]
    known = ~np.isnan(motion)
    if known.sum() < MIN_BINS or np.nanstd(motion) < MIN_MOTION_SPREAD:
        return MotionResponse(None, None, 0.0, 0.0, int(known.sum()))
    best_r, best_lag, best_bins = 0.0, 0, 0
    for lag in range(0, MAX_LAG_S + 1):
        x = motion[:n - lag] if lag else motion
        y = bitrate[lag:]
        ok = ~np.isnan(x)
        if ok.sum() < MIN_BINS or np.std(y[ok]) == 0 or np.std(x[ok]) == 0:
            continue
        r = float(np.corrcoef(x[ok], y[ok])[0, 1])
        if r > best_r:
            best_r, best_lag, best_bins = r, lag, int(ok.sum())
    bins = best_bins or int(known.sum())
    z = float(norm.isf(FALSE_CALL / (MAX_LAG_S + 1)))  # one-sided, per lag tried
    bound = math.tanh(z / math.sqrt(max(bins - 3, 1)))
    return MotionResponse(best_r > bound, float(best_lag * BIN_S) if best_bins else None,
                          best_r, bound, bins)
