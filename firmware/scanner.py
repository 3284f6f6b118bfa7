# Scan scheduler: one generator that drives every receiver and yields how long to wait
# (microseconds) before it may continue. The RX5808 needs ~30 ms after tuning before its
# RSSI is valid; that wait is used to sweep the CC2500 and sample the AD8318, so the
# 2.4 GHz band and broadband power are refreshed once per 5.8 GHz channel.

from . import protocol as P
from .channels import scan_list

CC_RSSI_WAIT_US = 350  # RX after calibration, then RSSI valid (CC2500: ~250 us + margin)
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

    def run(self):
        if self.cc is not None:
            self.cc.setup()
        while True:
            if self.rx is None:
                yield from self._side_work()
                yield IDLE_STEP_US
                continue
            start = self.ticks_us()
            values = []
            for mhz in self.channels:
                self.rx.tune(mhz)
                tuned = self.ticks_us()
                yield from self._side_work()
                left = self.config["settle_us"] - self.ticks_diff(self.ticks_us(), tuned)
                if left > 0:
                    yield left
                values.append(int(self.rx.read_dbm() * 100))
            duration = self.ticks_diff(self.ticks_us(), start)
            self.emit(P.SWEEP, P.pack_sweep(P.SRC_RX5808, P.BAND_5G8, start, duration,
                                            [f * 1000 for f in self.channels], values, False))
            self.sweeps += 1

    def _side_work(self):
        if self.cc is not None:
            yield from self._cc_sweep()
        if self.ad is not None:
            t = self.ticks_us()
            dbm = self.ad.read_dbm(self.config["ad_samples"])
            self.emit(P.BROADBAND, P.pack_broadband(P.SRC_AD8318, t, int(dbm * 100)))

    def _cc_sweep(self):
        c = self.config
        start = self.ticks_us()
        first = c["cc_start_mhz"] * 1000
        freqs = [first + k * c["cc_step_khz"] for k in range(c["cc_count"])]
        values = []
        for khz in freqs:
            self.cc.start_channel(khz * 1000)
            yield CC_RSSI_WAIT_US
            values.append(int(self.cc.read_dbm() * 100))
        duration = self.ticks_diff(self.ticks_us(), start)
        self.emit(P.SWEEP, P.pack_sweep(P.SRC_CC2500, P.BAND_2G4, start, duration, freqs,
                                        values, True))
        self.sweeps += 1
