"""The RF analysis's vocabulary, as named records: the receivers, the [rf_rules]
thresholds, a sweep of a narrowband receiver, a broadband reading, a finding of a rule,
a finding being confirmed, and an alert episode."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

import numpy as np

from detector.config import Section


class Receiver(StrEnum):
    """The receivers a reading can come from (its `source`)."""

    RX5808 = "rx5808"  # 5.8 GHz analog video band, one channel at a time
    CC2500 = "cc2500"  # 2.4 GHz ISM band
    AD8318 = "ad8318"  # broadband power detector
    RFEXPLORER = "rfexplorer"  # an RF Explorer, covering 2.4 GHz instead of the CC2500


NARROW_2G4 = (Receiver.CC2500, Receiver.RFEXPLORER)
# Receiver floors when the front end names none: the nominal parts' (rf/frontend.py).
DEFAULT_FLOORS = {Receiver.RX5808: -92.0, Receiver.CC2500: -104.0, Receiver.AD8318: -62.0,
                  Receiver.RFEXPLORER: -110.0}
NO_POWER_DBM = -120.0  # what "nothing heard" sums to


@dataclass(frozen=True)
class RfParams(Section):
    """The [rf_rules] section: every threshold of the rules in analysis.py (defaults.toml explains
    each key, limits.toml bounds it)."""

    SECTION: ClassVar[str] = "rf_rules"
    margin_db: float
    window_s: float
    min_occupancy: float
    rise_db: float
    carrier_occupancy: float
    wifi_width_mhz: int
    alert_per_emitter: bool
    piece_gap_mhz: float
    skirt_db: float
    emitter_spacing_mhz: float
    loud_2g4_dbm: float
    near_wifi_dbm: float
    near_wifi5_dbm: float
    carrier_sweeps: int
    carrier_abs_db: float
    carrier_steadiness_db: float
    broadband_window_s: float
    broadband_continuous: float
    broadband_abs_db: float
    unexplained_db: float
    cellular_dbm: float
    broadband_occupancy: float
    wifi_confirm_s: float
    cellular_confirm_s: float
    approach_rise_db: float
    broadband_approach_db: float
    approach_confirm_s: float
    carrier_inside_s: float
    wifi_explains: bool
    wifi_wait_s: float
    hold_s: float
    proximity_span_db: float


@dataclass
class RfAlert:
    """One alert episode. freq_hz, level and evidence follow the finding while the
    episode lasts; raised_freq_hz keeps the frequency it was raised at."""

    band: str
    kind: str
    start_ns: int
    freq_hz: float
    level_dbm: float
    excess_db: float
    proximity: float = 0.0
    last_ns: int = 0
    end_ns: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    raised_freq_hz: float | None = None

    def __post_init__(self) -> None:
        if self.raised_freq_hz is None:
            self.raised_freq_hz = self.freq_hz

    def to_json(self) -> dict[str, Any]:
        return {"band": self.band, "kind": self.kind, "start_ns": self.start_ns,
                "end_ns": self.end_ns, "freq_hz": self.freq_hz,
                "raised_freq_hz": self.raised_freq_hz,
                "level_dbm": round(self.level_dbm, 1), "excess_db": round(self.excess_db, 1),
                "proximity": round(self.proximity, 2), "evidence": self.evidence}


@dataclass(frozen=True)
class Sweep:
    """One sweep of a narrowband receiver: its time, which channels were hot (above the
    door's level by margin_db), and every channel's level."""

    t_ns: int
    hot: np.ndarray
    dbm: np.ndarray


@dataclass(frozen=True)
class BroadbandReading:
    """One AD8318 reading and the power the narrowband receivers accounted for then."""

    t_ns: int
    dbm: float
    explained_dbm: float


@dataclass(frozen=True)
class Finding:
    """What a rule finds in the current window, before it has held long enough."""

    kind: str
    freq_hz: float
    level_dbm: float
    excess_db: float
    evidence: dict[str, Any]


@dataclass
class Pending:
    """A finding being confirmed: held since, last seen; and, while the Wi-Fi monitor is
    asked about it, since when and about which frequency (MHz)."""

    since_ns: int
    seen_ns: int
    asking_since_ns: int | None = None
    asking_mhz: float | None = None
    # A band's one Wi-Fi finding can move between emitters (a camera's run breaks up and
    # a phone's is the strongest for a while): MHz -> (since, last seen) of each.
    emitters: dict[float, tuple[int, int]] = field(default_factory=dict)

    def emitter_since(self, mhz: float, t: int, grace_ns: int, spacing_mhz: float) -> int:
        """Since when the emitter the finding is at now (within spacing_mhz of one seen
        within grace_ns) has been found; notes it seen at t."""
        self.emitters = {m: v for m, v in self.emitters.items() if t - v[1] <= grace_ns}
        near = min(self.emitters, key=lambda m: abs(m - mhz), default=None)
        since = t
        if near is not None and abs(near - mhz) <= spacing_mhz:
            since = self.emitters.pop(near)[0]
        self.emitters[mhz] = (since, t)
        return since
