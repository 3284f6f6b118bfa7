"""How much of what the broadband detector reads the 2.4 and 5.8 GHz receivers account
for: the broadband rules look for power that neither hears (a cellular uplink, a carrier
outside the scanned bands; rf/analysis.py, docs/rf.md)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from detector.rf.records import NO_POWER_DBM, Sweep


def narrowband_dbm(cc_window: Sequence[Sweep], rx_recent: Sequence[Sweep]) -> float:
    """Each 2.4 GHz channel's loudest reading over the window, summed, plus the RX5808's
    loudest channel over its recent sweeps. The loudest, not the latest: the receivers
    sample at their own instants, so a Wi-Fi burst that the broadband detector caught was
    caught on some channel of the window's sweeps, but seldom all of it in the latest
    (against the latest sweep alone, an access point's bursts read as 10 dB unexplained
    now and then)."""
    mw = 0.0
    if cc_window:
        loudest = np.max([sweep.dbm for sweep in cc_window], axis=0)
        mw += float(np.sum(10 ** (loudest / 10)))
    if rx_recent:
        mw += float(10 ** (max(float(sweep.dbm.max()) for sweep in rx_recent) / 10))
    return 10 * math.log10(mw) if mw > 0 else NO_POWER_DBM


class NarrowbandPower:
    """`narrowband_dbm`, worked out again only when a sweep joins either window: the
    broadband detector reads about 30 times a second, the windows change less often."""

    def __init__(self) -> None:
        self._newest: tuple[Sweep | None, Sweep | None] = (None, None)
        self._dbm = NO_POWER_DBM

    def dbm(self, cc_window: Sequence[Sweep], rx_recent: Sequence[Sweep]) -> float:
        newest = (cc_window[-1] if cc_window else None, rx_recent[-1] if rx_recent else None)
        if newest[0] is not self._newest[0] or newest[1] is not self._newest[1]:
            self._newest, self._dbm = newest, narrowband_dbm(cc_window, rx_recent)
        return self._dbm
