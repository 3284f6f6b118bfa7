"""The door baseline: what each receiver heard at each frequency before the device was
ready, as percentiles the RF rules compare the room with (docs/rf.md, "Analysis")."""

from __future__ import annotations

import numpy as np

from detector.rf.pooling import pool_half, pooled_percentile, pooled_percentile_near
from detector.rf.records import NARROW_2G4, Receiver

# Door readings a 2.4 GHz channel's percentiles need (two seconds at the default 30
# sweeps a second hold 60); a slower sweep pools neighbouring channels (rf/pooling.py).
BASELINE_2G4_READINGS = 40
WIFI5_RANGE_HZ = (5725e6, 5850e6)
WIFI5_POOL_HZ = 10e6  # the door pools RX5808 channels this close (half a 20 MHz channel)


def in_wifi5(freqs_hz: np.ndarray) -> np.ndarray:
    """Which of these frequencies lie in the 5 GHz Wi-Fi range the RX5808 overlaps."""
    return (freqs_hz >= WIFI5_RANGE_HZ[0]) & (freqs_hz <= WIFI5_RANGE_HZ[1])


class DoorBaseline:
    """Per-frequency readings at the door, then their 90th and 95th percentiles."""

    def __init__(self) -> None:
        self.samples: dict[str, list[list[float]]] = {}
        self.freqs: dict[str, np.ndarray] = {}
        self.q95: dict[str, np.ndarray] = {}
        self.q90: dict[str, np.ndarray] = {}
        self.median: dict[str, np.ndarray] = {}

    def add(self, source: str, freqs: list[int], dbm: list[float]) -> None:
        if source not in self.freqs:
            self.freqs[source] = np.array(freqs, dtype=float)
            self.samples[source] = []
        if len(dbm) == len(self.freqs[source]):
            self.samples[source].append(list(dbm))

    def freeze(self) -> None:
        for source, rows in self.samples.items():
            if rows:
                arr = np.array(rows)
                if source == Receiver.RX5808:
                    # Two or three door sweeps: an access point on the air a third of the
                    # time misses a channel in both about half the time. Its 20 MHz
                    # packets reach every RX5808 channel within 10 MHz at once.
                    freqs = self.freqs[source]
                    self.q95[source], self.q90[source] = pooled_percentile_near(
                        arr, [95, 90], freqs, WIFI5_POOL_HZ, in_wifi5(freqs))
                else:
                    half = (pool_half(len(rows), BASELINE_2G4_READINGS)
                            if source in NARROW_2G4 else 0)
                    self.q95[source], self.q90[source] = pooled_percentile(arr, [95, 90],
                                                                           half)
                self.median[source] = np.median(arr, axis=0)

    def threshold(self, source: str, n: int, margin: float, floor: float) -> np.ndarray:
        q = self.q95.get(source)
        if q is None or len(q) != n:
            return np.full(n, floor + margin)
        return q + margin
