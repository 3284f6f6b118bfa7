"""The radio side of a sweep: a scanner client and RF analysis of what it reports, plus
what the live view shows of it (status text, a bar per receiver band)."""

from __future__ import annotations

from typing import Any

from detector.rf.analysis import Receiver, RfAnalyzer
from detector.rf.frontend import FrontEnd

# Which bar of the live view an RF alert's band lights up.
BAR_OF_BAND = {"wifi-2g4": "2.4", "analog-2g4": "2.4", "analog-5g8": "5.8", "wifi-5g": "5.8",
               "cellular": "BB", "analog-1g2": "BB"}
BAR_SPAN_DB = 30.0  # a bar is full this far above the door's level
BROADBAND_SPAN_DB = 45.0


class Radio:
    """Poll it from the sweep loop: returns the new readings (for a recording) and feeds
    them to the analyzer. `client` is a FirmwareClient or ExplorerClient (anything with
    poll(), online, close() and stats)."""

    def __init__(self, client: Any, analyzer: RfAnalyzer,
                 frontend: FrontEnd | None = None) -> None:
        self.client = client
        self.analyzer = analyzer
        self.readings = 0
        # The unit's calibrated receivers: the firmware reports with the parts' nominal
        # constants, the host corrects (rf/frontend.py).
        self.frontend = frontend or FrontEnd()

    def poll(self) -> list[dict[str, Any]]:
        readings = self.client.poll()
        for reading in readings:
            self.frontend.correct(reading)
            self.analyzer.add(reading)
        self.readings += len(readings)
        return readings

    @property
    def stats(self) -> dict[str, Any]:
        """The client's counters (readings, reconnects, bad frames), and how many times
        the Wi-Fi monitor explained a finding, by what it heard (`explained`)."""
        return {**self.client.stats, "explained": dict(self.analyzer.wifi.counts)}

    @property
    def online(self) -> bool:
        return bool(self.client.online)

    def status_text(self) -> str:
        """What the live view's status bar says about RF."""
        if not self.client.online:
            return "RF offline"
        alerts = sorted(self.analyzer.active.values(), key=lambda a: -a.excess_db)
        if alerts:
            return f"RF {alerts[0].band} {self.analyzer.proximity:.0%}"
        return "RF clear" if self.analyzer.frozen else "RF baseline"

    def bars(self) -> dict[str, tuple[float, bool]]:
        """Per receiver band: how far the latest reading stands above the door's level
        (0-1), and whether an RF alert is active in that band."""
        a = self.analyzer
        alerting = {BAR_OF_BAND.get(alert.band) for alert in a.active.values()}
        out: dict[str, tuple[float, bool]] = {}
        for key, rows, source in (("2.4", a.cc, a.cc_source), ("5.8", a.rx, Receiver.RX5808)):
            if not rows:
                continue
            values = rows[-1].dbm
            base = a.baseline.q95.get(source)
            excess = float((values - base).max()) if base is not None and len(base) == len(
                values) else 0.0
            out[key] = (max(excess, 0.0) / BAR_SPAN_DB, key in alerting)
        if a.bb:
            level = a.bb[-1].dbm
            out["BB"] = ((level - a.floors[Receiver.AD8318]) / BROADBAND_SPAN_DB, "BB" in alerting)
        return out

    def close(self) -> None:
        self.analyzer.finish()
        self.client.close()
