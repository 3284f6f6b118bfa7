"""One simulated scanner unit: its receivers' own constants, drawn within the parts'
spread, and the radio conditions a sweep meets (cadence, packet timing).

No two scanners read alike. The spreads below (docs/rf.md, "Unit to unit") are what the
parts' documentation and the FPV community report:
- RX5808: the RSSI line is not specified; modules differ so much that every receiver
  firmware calibrates its RSSI minimum and maximum. Here the level at the reference
  input moves by up to +-6 dB and the slope by +-10 %.
- CC2500: the datasheet gives RSSI_offset as a typical value, 69 to 72 dB depending on
  the data rate; a part may sit anywhere in that range and a little beyond (+-3 dB).
- AD8318: slope -24.5 mV/dB and intercept about 20 dBm, typical; parts spread by about
  +-1.5 mV/dB and +-2.5 dB.
- Noise floors: +-3 dB around the nominal floors for each part.

A unit drawn with `draw(seed)` is the same unit every time for that seed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from detector.rf.frontend import NOMINAL_AD8318_INTERCEPT, NOMINAL_AD8318_SLOPE
from detector.rf.sim.chips import CC2500Chip, RX5808Chip
from detector.rf.sim.field import AD8318, CC2500, RX5808, Receiver
from detector_firmware.protocol import CC_DWELL_US

RX_OFFSET_SPREAD_DB = 6.0
RX_SLOPE_SPREAD = 0.10
CC_OFFSET_SPREAD_DB = 3.0
AD_SLOPE_SPREAD = 1.5
AD_INTERCEPT_SPREAD_DB = 2.5
FLOOR_SPREAD_DB = 3.0
# The datasheets' values, which the firmware converts with.
NOMINAL_RX_MV_PER_DB = RX5808Chip.MV_PER_DB
NOMINAL_RX_MV_AT_REF = RX5808Chip.MV_AT_REF
NOMINAL_CC_OFFSET_DB = CC2500Chip.RSSI_OFFSET_DB
NOMINAL_AD_SLOPE = NOMINAL_AD8318_SLOPE
NOMINAL_AD_INTERCEPT = NOMINAL_AD8318_INTERCEPT


@dataclass(frozen=True)
class SimUnit:
    """A scanner's receivers as built: what its chips really do."""

    rx5808_mv_per_db: float = NOMINAL_RX_MV_PER_DB
    rx5808_mv_at_ref: float = NOMINAL_RX_MV_AT_REF
    cc2500_rssi_offset_db: float = NOMINAL_CC_OFFSET_DB
    ad8318_slope_mv_per_db: float = NOMINAL_AD_SLOPE
    ad8318_intercept_dbm: float = NOMINAL_AD_INTERCEPT
    rx5808_floor_dbm: float = RX5808.floor_dbm
    cc2500_floor_dbm: float = CC2500.floor_dbm
    ad8318_floor_dbm: float = AD8318.floor_dbm

    @classmethod
    def draw(cls, seed: int) -> SimUnit:
        """Unit number `seed`: 0 is the nominal unit, any other a unit with its own parts."""
        if seed == 0:
            return cls()
        rng = np.random.default_rng([seed, 0x5CA11])

        def u(spread: float) -> float:
            return float(rng.uniform(-spread, spread))

        return cls(
            rx5808_mv_per_db=NOMINAL_RX_MV_PER_DB * (1 + u(RX_SLOPE_SPREAD)),
            rx5808_mv_at_ref=NOMINAL_RX_MV_AT_REF + u(RX_OFFSET_SPREAD_DB) * NOMINAL_RX_MV_PER_DB,
            cc2500_rssi_offset_db=NOMINAL_CC_OFFSET_DB + u(CC_OFFSET_SPREAD_DB),
            ad8318_slope_mv_per_db=NOMINAL_AD_SLOPE + u(AD_SLOPE_SPREAD),
            ad8318_intercept_dbm=NOMINAL_AD_INTERCEPT + u(AD_INTERCEPT_SPREAD_DB),
            rx5808_floor_dbm=RX5808.floor_dbm + u(FLOOR_SPREAD_DB),
            cc2500_floor_dbm=CC2500.floor_dbm + u(FLOOR_SPREAD_DB),
            ad8318_floor_dbm=AD8318.floor_dbm + u(FLOOR_SPREAD_DB))

    def shifted(self, offset_db: float) -> SimUnit:
        """The same unit reading every receiver `offset_db` higher (a robustness check:
        units whose levels sit far from the nominal ones)."""
        return dataclasses.replace(
            self, rx5808_mv_at_ref=self.rx5808_mv_at_ref + offset_db * self.rx5808_mv_per_db,
            cc2500_rssi_offset_db=self.cc2500_rssi_offset_db + offset_db,
            ad8318_intercept_dbm=self.ad8318_intercept_dbm - offset_db)

    def receivers(self) -> dict[str, Receiver]:
        """The field's receivers with this unit's noise floors."""
        return {"rx5808": dataclasses.replace(RX5808, floor_dbm=self.rx5808_floor_dbm),
                "cc2500": dataclasses.replace(CC2500, floor_dbm=self.cc2500_floor_dbm),
                "ad8318": dataclasses.replace(AD8318, floor_dbm=self.ad8318_floor_dbm)}


NOMINAL_UNIT = SimUnit()


@dataclass(frozen=True)
class RadioWorld:
    """Conditions a sweep meets that the analysis must cope with: how fast the scanner
    sweeps (the CC2500's dwell per channel sets the 2.4 GHz pace; the RX5808 keeps its
    own, one channel per 30 ms settle time, whatever the dwell) and how bursty packet
    traffic is."""

    cc_dwell_us: int = CC_DWELL_US  # the firmware's default: ~30 2.4 GHz sweeps a second
    packet_us: float = 1000.0  # a packet-length slot
    occupancy_scale: float = 1.0  # bursty emitters' airtime, relative to the scenario's


DEFAULT_WORLD = RadioWorld()
