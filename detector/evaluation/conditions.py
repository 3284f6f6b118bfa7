"""Radio conditions an RF evaluation can vary (`detector eval --rf-only --radio ...`):
how fast the scanner sweeps, how bursty packet traffic is, how far a unit's levels sit
from the nominal ones, and whether it was calibrated.

A condition is written as comma-separated settings, for example
`scans=4,offset_db=10,uncalibrated`:
- scans: 2.4 GHz sweeps per second, 4 to 30 (the CC2500's dwell per channel sets the
  pace; the 5.8 GHz sweep keeps its own);
- packet_us: a packet's length in microseconds (1000 by default);
- occupancy: bursty emitters' airtime relative to the scenario's (1 by default);
- offset_db: every receiver of the unit reads this much high, on top of its own spread,
  and its calibration does not know (a unit far from nominal, or one whose calibration
  has drifted);
- uncalibrated: the unit runs on the configuration's defaults instead of its profile;
- no_wifi: the device has no Wi-Fi monitor, so nothing explains the RF analysis's Wi-Fi
  findings (docs/rf.md, "Explained by Wi-Fi").
"""

from __future__ import annotations

from dataclasses import dataclass

from detector.errors import DetectorError
from detector.rf.client import ScanConfig
from detector.rf.sim.scanner import STEP_COST_US
from detector.rf.sim.unit import RadioWorld
from detector_firmware.protocol import CC_DWELL_US

CC_CHANNELS = ScanConfig().cc_count  # the 2.4 GHz sweep's channels
SCANS_RANGE = (4.0, 30.0)


@dataclass(frozen=True)
class RadioCondition:
    world: RadioWorld = RadioWorld()
    offset_db: float = 0.0
    calibrated: bool = True
    wifi: bool = True

    @classmethod
    def parse(cls, text: str) -> RadioCondition:
        dwell_us, packet_us, occupancy = RadioWorld().cc_dwell_us, RadioWorld().packet_us, 1.0
        offset, calibrated, wifi = 0.0, True, True
        for item in filter(None, (part.strip() for part in text.split(","))):
            key, _, value = item.partition("=")
            try:
                if key == "uncalibrated" and not value:
                    calibrated = False
                elif key == "no_wifi" and not value:
                    wifi = False
                elif key == "scans":
                    scans = float(value)
                    if not SCANS_RANGE[0] <= scans <= SCANS_RANGE[1]:
                        raise ValueError
                    # each channel costs its dwell plus the step's own work
                    dwell_us = max(round(1e6 / scans / CC_CHANNELS) - STEP_COST_US,
                                   CC_DWELL_US)
                elif key == "packet_us":
                    packet_us = float(value)
                    if packet_us <= 0:
                        raise ValueError
                elif key == "occupancy":
                    occupancy = float(value)
                    if occupancy <= 0:
                        raise ValueError
                elif key == "offset_db":
                    offset = float(value)
                else:
                    raise DetectorError(f"--radio: unknown setting {key!r} (scans, packet_us, "
                                        f"occupancy, offset_db, uncalibrated, no_wifi)")
            except ValueError:
                raise DetectorError(f"--radio: {item!r} is not a valid value") from None
        return cls(RadioWorld(dwell_us, packet_us, occupancy), offset, calibrated, wifi)
