"""What the RF analysis may ask of a Wi-Fi monitor: whether the 802.11 traffic it heard
on some channels accounts for RF power there. A receiver that only measures power cannot
tell a neighbour's syncing phone from a camera that starts to stream; the monitor reads
the headers and can (docs/rf.md, "Explained by Wi-Fi"). The RF side knows nothing of how
the monitor decides: anything with these methods will do (wifi/analysis.py's
WifiAnalyzer in a sweep)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from detector.rf.records import Finding, Pending

# The Wi-Fi channels whose power an RX5808 channel reads: its 18 MHz passband reaches
# half a 20 MHz channel further (a camera on 5745 MHz reads loud on 5732 MHz).
WIFI5_HALF_SPAN_MHZ = 19.0
WIFI_BANDS = ("wifi-2g4", "wifi-5g")
# A pending finding that moved this far is another emitter's (half the 25 MHz between
# Wi-Fi channels 1, 6 and 11): the Wi-Fi monitor's verdict is waited for afresh.
ANOTHER_EMITTER_MHZ = 12.5


class TrafficExplainer(Protocol):
    def explains(self, lo_mhz: float, hi_mhz: float, now: int) -> str | None:
        """What accounts for the power between lo and hi MHz (None: nothing heard does)."""
        ...

    def examining(self, lo_mhz: float, hi_mhz: float, now: int) -> bool:
        """Whether traffic there is still being classified."""
        ...

    def look(self, lo_mhz: float, hi_mhz: float, now: int) -> None:
        """Listen there: the RF analysis has a Wi-Fi finding to explain."""
        ...

    def camera_heard(self, lo_mhz: float, hi_mhz: float, now: int) -> bool:
        """Whether a device identified as a camera was heard sending there lately."""
        ...


def span_mhz(freq_hz: float, width_mhz: float) -> tuple[float, float]:
    """The band a finding covers: its centre and width."""
    centre = freq_hz / 1e6
    return centre - width_mhz / 2, centre + width_mhz / 2


def finding_span_mhz(f: Finding) -> tuple[float, float]:
    """The band a Wi-Fi finding covers: a 2.4 GHz run's width, or what an RX5808 channel
    reads (a 5 GHz finding has no width)."""
    return span_mhz(f.freq_hz, f.evidence.get("width_mhz", 2 * WIFI5_HALF_SPAN_MHZ))


@dataclass
class WifiQuestions:
    """The RF analysis's questions to the Wi-Fi monitor (none without one), and how often
    each cause explained a finding (`counts`, by the class that explained it)."""

    explainer: TrafficExplainer | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def explained(self, lo_mhz: float, hi_mhz: float, t: int) -> bool:
        """Whether the monitor's classified traffic accounts for the power between lo and
        hi MHz."""
        if self.explainer is None:
            return False
        why = self.explainer.explains(lo_mhz, hi_mhz, t)
        if why is not None:
            cause = why.split(" ")[0]
            self.counts[cause] = self.counts.get(cause, 0) + 1
        return why is not None

    def examining(self, f: Finding, t: int) -> bool:
        """Ask the monitor to look at a Wi-Fi finding's channel; whether it is still
        classifying what is there."""
        if self.explainer is None:
            return False
        lo, hi = finding_span_mhz(f)
        self.explainer.look(lo, hi, t)
        return self.explainer.examining(lo, hi, t)

    def camera_heard(self, f: Finding, t: int) -> bool:
        """Whether the monitor hears an identified camera on a Wi-Fi finding's channels."""
        if self.explainer is None:
            return False
        return self.explainer.camera_heard(*finding_span_mhz(f), t)

    def awaiting_verdict(self, band: str, f: Finding, pending: Pending, t: int) -> bool:
        """`examining` for a pending Wi-Fi finding, noting in `pending` since when its
        frequency has been asked about (confirmation waits for the verdict up to
        `wifi_wait_s` from then: the band's finding can move to another emitter while
        pending)."""
        if self.explainer is None or band not in WIFI_BANDS:
            return False
        centre = f.freq_hz / 1e6
        if pending.asking_mhz is None or abs(centre - pending.asking_mhz) > ANOTHER_EMITTER_MHZ:
            pending.asking_since_ns, pending.asking_mhz = t, centre
        return self.examining(f, t)
