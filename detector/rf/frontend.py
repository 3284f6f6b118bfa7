"""The scanner unit's receivers as calibrated: how each one's readings relate to the true
level, and its noise floor.

The firmware converts raw RSSI and ADC values with each part's nominal constants; real
parts differ (an RX5808 module by several dB, a CC2500 by its RSSI offset, an AD8318 by
its slope and intercept). Calibration (`detector calibrate rf`) fits each receiver's
response from known source levels, reported = scale * true + offset, and measures its
floor with the antenna on a load. The host corrects every reading with that fit before
the analysis sees it, and the analysis measures levels from those floors.

Without a calibration profile the configuration's defaults apply: the nominal response
and floors at the high end of the parts' spread, so an uncalibrated unit errs towards
missing a weak emitter rather than alerting on its own noise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from detector.settings import CalibrationSettings

NOMINAL_AD8318_SLOPE = -24.5  # what the firmware assumes (firmware/ad8318.py)
NOMINAL_AD8318_INTERCEPT = 20.0
CORRECTED_SOURCES = ("rx5808", "cc2500", "ad8318")  # the RF Explorer calibrates itself
FLOOR_SOURCES = ("rx5808", "cc2500", "ad8318", "rfexplorer")


@dataclass(frozen=True)
class Response:
    """reported = scale * true + offset_db (dBm)."""

    scale: float = 1.0
    offset_db: float = 0.0

    def true_dbm(self, reported: float) -> float:
        return (reported - self.offset_db) / self.scale

    @classmethod
    def of_ad8318(cls, slope_mv_per_db: float, intercept_dbm: float) -> Response:
        """An AD8318 with this slope and intercept, read with the nominal ones."""
        scale = slope_mv_per_db / NOMINAL_AD8318_SLOPE
        return cls(scale, NOMINAL_AD8318_INTERCEPT - scale * intercept_dbm)


@dataclass(frozen=True)
class FrontEnd:
    responses: Mapping[str, Response] = field(default_factory=dict)
    floors: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Any) -> FrontEnd:
        responses = {
            "rx5808": Response(CalibrationSettings.of(config).rx5808_scale,
                               CalibrationSettings.of(config).rx5808_offset_db),
            "cc2500": Response(CalibrationSettings.of(config).cc2500_scale,
                               CalibrationSettings.of(config).cc2500_offset_db),
            "ad8318": Response.of_ad8318(CalibrationSettings.of(config).ad8318_slope_mv_per_db,
                                         CalibrationSettings.of(config).ad8318_intercept_dbm),
        }
        floors = {s: CalibrationSettings.of(config).floor_dbm(s) for s in FLOOR_SOURCES}
        return cls(responses, floors)

    def correct(self, reading: dict[str, Any]) -> dict[str, Any]:
        """The reading with its levels corrected (in place; returned for convenience)."""
        response = self.responses.get(reading["source"])
        if response is not None and response != Response():
            reading["dbm"] = [round(response.true_dbm(v), 2) for v in reading["dbm"]]
        return reading

    def floor(self, source: str, default: float) -> float:
        return self.floors.get(source, default)
