# Scan scheduler: one generator that drives every receiver and yields how long to wait
# (microseconds) before it may continue. The RX5808 needs ~30 ms after tuning before its
# RSSI is valid; that wait is spent on the CC2500 sweep and an AD8318 sample. Each wait
# reads as many CC2500 channels as settle_us // cc_dwell_us (at least one), and the
# sweep goes on in the next wait, so a slow 2.4 GHz sweep (a long dwell per channel)
# never slows the 5.8 GHz sweep. At the default dwell a whole CC2500 sweep fits in one
# wait, as it always did.

from . import protocol as P
from .channels import scan_list

IDLE_STEP_US = 2000  # pace when no RX5808 sets the rhythm


class Scanner:
    def __init__(self, parts, config, ticks_us, ticks_diff, emit):
        self.rx = parts.get("rx5808") if config["sources"] & P.CAP_RX5808 else None
        self.ad = parts.get("ad8318") if config["sources"] & P.CAP_AD8318 else None
        self.cc = parts.get("cc2500") if config["sources"] & P.CAP_CC2500 else None
        self.config = config
        self.ticks_us = ticks_us
        self.ticks_diff = ticks_diff
        self.emit = emit
        self.sweeps = 0
        self.channels = scan_list()
        # The CC2500 sweep in progress: next channel index, its start and readings.
        self.cc_next = 0
        self.cc_start = 0
        self.cc_values = []

    def run(self):
        if self.cc is not None:
            self.cc.setup()
        while True:
            if self.rx is None:
                yield from self._side_work(False)
                yield IDLE_STEP_US
                continue
            start = self.ticks_us()
            values = []
            for mhz in self.channels:
                self.rx.tune(mhz)
                tuned = self.ticks_us()
                yield from self._side_work(True)
                left = self.config["settle_us"] - self.ticks_diff(self.ticks_us(), tuned)
                if left > 0:
                    yield left
                values.append(int(self.rx.read_dbm() * 100))
            duration = self.ticks_diff(self.ticks_us(), start)
            self.emit(P.SWEEP, P.pack_sweep(P.SRC_RX5808, P.BAND_5G8, start, duration,
                                            [f * 1000 for f in self.channels], values, False))
            self.sweeps += 1

    def _side_work(self, paced):
        if self.cc is not None:
            yield from self._cc_steps(paced)
        if self.ad is not None:
            t = self.ticks_us()
            dbm = self.ad.read_dbm(self.config["ad_samples"])
            self.emit(P.BROADBAND, P.pack_broadband(P.SRC_AD8318, t, int(dbm * 100)))

    def _cc_steps(self, paced):
        """Go on with the CC2500 sweep until it is complete, or, when `paced` (an RX5808
        wait is being filled), until this wait's share of channels is read."""
        c = self.config
        dwell = c["cc_dwell_us"]
        step = c["cc_step_khz"]
        first = c["cc_start_mhz"] * 1000
        budget = max(1, c["settle_us"] // dwell)
        while True:
            if self.cc_next == 0:
                self.cc_start = self.ticks_us()
                self.cc_values = []
            self.cc.start_channel((first + self.cc_next * step) * 1000)
            yield dwell
            self.cc_values.append(int(self.cc.read_dbm() * 100))
            self.cc_next += 1
            if self.cc_next == c["cc_count"]:
                self.cc_next = 0
                duration = self.ticks_diff(self.ticks_us(), self.cc_start)
                freqs = [first + k * step for k in range(c["cc_count"])]
                self.emit(P.SWEEP, P.pack_sweep(P.SRC_CC2500, P.BAND_2G4, self.cc_start,
                                                duration, freqs, self.cc_values, True))
                self.sweeps += 1
                return
            budget -= 1
            if paced and budget == 0:
                return
