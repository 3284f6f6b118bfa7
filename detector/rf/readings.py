"""RF readings as the recording format's rf.jsonl lines, and their names on the host."""

from __future__ import annotations

from typing import Any

from detector_firmware import protocol as P

SOURCE_NAMES = {P.SRC_RX5808: "rx5808", P.SRC_AD8318: "ad8318", P.SRC_CC2500: "cc2500"}
# What each receiver covers; analysis turns coverage into the scenario's band names.
BAND_NAMES = {P.BAND_5G8: "analog-5g8", P.BAND_2G4: "ism-2g4",
              P.BAND_BROADBAND: "broadband"}


def sweep_reading(sweep: dict[str, Any], t_ns: int) -> dict[str, Any]:
    freqs = [k * 1000 for k in sweep["freqs_khz"]]
    reading: dict[str, Any] = {
        "t_ns": t_ns, "source": SOURCE_NAMES.get(sweep["source"], str(sweep["source"])),
        "band": BAND_NAMES.get(sweep["band"], str(sweep["band"]))}
    if sweep["even"]:
        reading["start_hz"] = freqs[0] if freqs else 0
        reading["step_hz"] = freqs[1] - freqs[0] if len(freqs) > 1 else 0
    else:
        reading["start_hz"] = freqs[0] if freqs else 0
        reading["step_hz"] = 0
        reading["freqs_hz"] = freqs
    reading["dbm"] = [v / 100.0 for v in sweep["centi_dbm"]]
    return reading


def broadband_reading(value: dict[str, Any], t_ns: int) -> dict[str, Any]:
    return {"t_ns": t_ns, "source": SOURCE_NAMES.get(value["source"], str(value["source"])),
            "band": "broadband", "start_hz": 0, "step_hz": 0,
            "dbm": [value["centi_dbm"] / 100.0]}


def frequencies(reading: dict[str, Any]) -> list[int]:
    """Every value's frequency (Hz) of an rf.jsonl reading."""
    if "freqs_hz" in reading:
        return list(reading["freqs_hz"])
    n = len(reading["dbm"])
    return [reading["start_hz"] + k * reading["step_hz"] for k in range(n)]
