"""From RF readings to RF alerts: a baseline learned at the door, emitters that are new or
stronger than it, their band and type, and a proximity score for the buzzer.

The rules, per receiver (docs/rf.md explains them with their reasons):
- 2.4 GHz (CC2500 or RF Explorer), last `window_s`: a run of adjacent channels at least
  `wifi_width_mhz` wide that is loud in `carrier_occupancy` of the sweeps is an analog
  carrier (`analog-2g4`), baseline or not; one that is hot (`margin_db` above the door's
  95th percentile) in `min_occupancy` of the sweeps, or whose 90th percentile rose
  `rise_db` above the door's, is Wi-Fi (`wifi-2g4`), a run over two neighbouring
  channels cut at its valley, each emitter's run its own finding and alert with
  `alert_per_emitter` (rf/emitters.py). Bluetooth forms no run. A slow
  sweep (few sweeps at the door, the window held at MIN_2G4_SWEEPS) pools neighbouring
  channels for its percentiles, and holds a Wi-Fi finding as much longer as its window
  reaches back beyond `window_s`.
- 5.8 GHz (RX5808), last `carrier_sweeps` sweeps: a steady channel, hot throughout or
  `carrier_abs_db` above the floor, is an analog video carrier (`analog-5g8`), baseline
  or not (inside the 5 GHz Wi-Fi range only with a loud neighbour within 12 MHz);
  bursty channels in the 5 GHz Wi-Fi range, hot or at `near_wifi5_dbm`, are `wifi-5g`
  (the door pools the channels within 10 MHz there: rf/baseline.py).
- Broadband (AD8318), last `broadband_window_s`, only when nothing at 2.4 or 5.8 GHz
  explains it: loud nearly always is a carrier outside the scanned bands (`analog-1g2`);
  at least `cellular_dbm` and `unexplained_db` above what the 2.4 and 5.8 GHz receivers
  hear, in `broadband_occupancy` of the readings, is `cellular`.
A Wi-Fi finding that a Wi-Fi monitor's classified traffic explains raises nothing
(rf/explain.py, `wifi_explains`, `wifi_wait_s`; docs/rf.md, "Explained by Wi-Fi").
Bursty findings must hold (`wifi_confirm_s`, `cellular_confirm_s`) before they alert,
except an emitter already heard at the door that has grown since (the inspector walked
toward it): `approach_rise_db` at 2.4 GHz, `broadband_approach_db` for a cellular
uplink; it holds `approach_confirm_s`. Carriers alert once their rule's window was
read `carrier_inside_s` after ready (rf/holds.py). An alert episode ends `hold_s` after
its finding stops.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from detector.rf.baseline import DoorBaseline, in_wifi5
from detector.rf.emitters import (
    EpisodeKeys,
    band_of,
    channel_runs,
    group_pieces,
    run_key,
    split_at_valleys,
    without_skirts,
)
from detector.rf.explain import (
    ANOTHER_EMITTER_MHZ,
    WIFI5_HALF_SPAN_MHZ,
    TrafficExplainer,
    WifiQuestions,
)
from detector.rf.holds import BROADBAND_BANDS, confirm_s, heard_inside
from detector.rf.narrowband_power import NarrowbandPower
from detector.rf.pooling import pooled_mean, pooled_percentile, within
from detector.rf.readings import frequencies
from detector.rf.records import (
    DEFAULT_FLOORS,
    NARROW_2G4,
    BroadbandReading,
    Finding,
    Pending,
    Receiver,
    RfAlert,
    RfParams,
    Sweep,
)

__all__ = ["DEFAULT_FLOORS", "Receiver", "RfAlert", "RfAnalyzer", "RfParams"]


# The baseline ends when the device is ready: `baseline_s` have passed and every receiver
# heard so far has delivered this many readings, or at the latest after
# BASELINE_LIMIT_S (a receiver that never delivers does not hold the sweep up).
BASELINE_MIN_READINGS = 2
BASELINE_LIMIT_S = 15.0
# The 2.4 GHz window holds at least this many sweeps, however slowly the scanner sweeps:
# fewer cannot tell a continuous carrier from packets that happened to hit every sweep.
MIN_2G4_SWEEPS = 10
STRONG_2G4_DBM = -60.0
# In the window, a sweep slow enough that the window is held at MIN_2G4_SWEEPS pools one
# neighbouring channel on either side (rf/pooling.py).
# Proximity: the strongest alert's level from "just heard" to "right next to it" (dBm).
PROXIMITY_QUIET_DBM = {"broadband": -55.0, "narrow": -85.0}
PENDING_GRACE_S = 1.5  # a finding that drops out this briefly still counts as held
WIFI5_MIN_CHANNELS = 3  # a 20 MHz Wi-Fi channel covers two or three RX5808 channels
WIFI5_MIN_HOT_SWEEPS = 2  # of the last carrier_sweeps
# A 2.4 GHz run wider than a 20 MHz channel and its skirt, with a channel this far below
# the loudest on either side, is two emitters on neighbouring channels (rf/emitters.py).
NEIGHBOURS_WIDER_MHZ = 25.0
VALLEY_DB = 12.0
NEIGHBOUR_HZ = 12e6  # channels this close share an analog video carrier's spectrum


class RfAnalyzer:
    """Turns the scanner's readings into RF alerts. Owns the door baseline (until the
    device is ready), each receiver's window of recent sweeps or readings, the findings
    being confirmed, the alert episodes (active and past) and the proximity score; runs
    the per-receiver rules (module docstring) on each reading."""

    def __init__(self, start_ns: int, baseline_s: float, params: RfParams | None = None,
                 floors: Mapping[str, float] | None = None,
                 explainer: TrafficExplainer | None = None) -> None:
        self.p = params or RfParams.defaults()
        self.wifi = WifiQuestions()  # to a Wi-Fi monitor, when the device has one
        self.use_explainer(explainer)
        self.start_ns = start_ns
        self.baseline_min_ns = start_ns + int(baseline_s * 1e9)
        self.baseline_limit_ns = start_ns + int(max(baseline_s, BASELINE_LIMIT_S) * 1e9)
        self.floors = {**DEFAULT_FLOORS, **(floors or {})}
        self.baseline = DoorBaseline()
        self.baseline_counts: dict[str, int] = {}
        self.ready_ns: int | None = None
        self.frozen = False
        self.cc: deque[Sweep] = deque()  # the 2.4 GHz window
        self.cc_freqs: np.ndarray | None = None
        self.cc_source = Receiver.CC2500  # or the RF Explorer: whichever covers 2.4 GHz
        self.rx: deque[Sweep] = deque()  # the last RX5808 sweeps
        self.rx_freqs: np.ndarray | None = None
        self.bb: deque[BroadbandReading] = deque()
        self.narrowband = NarrowbandPower()  # what the 2.4 / 5.8 GHz receivers account for
        self.active: dict[str, RfAlert] = {}
        # Keyed by band, or for 2.4 GHz Wi-Fi by band and episode ("wifi-2g4@3"):
        # every emitter there is followed on its own.
        self.pending: dict[str, Pending] = {}  # being confirmed
        self.episodes = EpisodeKeys(self.p.emitter_spacing_mhz)
        self.alerts: list[RfAlert] = []
        self.proximity = 0.0
        # Each sweep rule's findings (by receiver), with its window's newest sweep then.
        self._rule_results: dict[str, tuple[Sweep | None, dict[str, Finding]]] = {}

    def use_explainer(self, explainer: TrafficExplainer | None) -> None:
        """Ask this Wi-Fi monitor's analysis about Wi-Fi findings (unless `wifi_explains`
        is off)."""
        self.wifi.explainer = explainer if self.p.wifi_explains else None

    # ---- input ----------------------------------------------------------------------
    def add(self, reading: dict[str, Any]) -> list[RfAlert]:
        """Take one reading; return alerts that started with it."""
        t = reading["t_ns"]
        source = reading["source"]
        freqs = frequencies(reading)
        dbm = reading["dbm"]
        if not self._ready(t):
            self.baseline.add(source, freqs, dbm)
            self.baseline_counts[source] = self.baseline_counts.get(source, 0) + 1
            if source == Receiver.AD8318:  # broadband rules need no baseline: fill the window
                self._push_broadband(t, float(dbm[0]))
            elif source == Receiver.RX5808:
                self.rx.append(Sweep(t, np.zeros(len(dbm), bool), np.asarray(dbm, dtype=float)))
            elif source in NARROW_2G4:
                self._push(self.cc, Sweep(t, np.zeros(len(dbm), bool),
                                          np.asarray(dbm, dtype=float)),
                           self.p.window_s, MIN_2G4_SWEEPS)
            return []
        if not self.frozen:
            self.baseline.freeze()
            self.frozen = True
        values = np.asarray(dbm, dtype=float)
        if source in NARROW_2G4:
            self.cc_source = Receiver(source)
            self.cc_freqs = np.asarray(freqs, dtype=float)
            hot = values > self.baseline.threshold(source, len(values), self.p.margin_db,
                                                   self.floors[source])
            self._push(self.cc, Sweep(t, hot, values), self.p.window_s, MIN_2G4_SWEEPS)
        elif source == Receiver.RX5808:
            self.rx_freqs = np.asarray(freqs, dtype=float)
            hot = values > self.baseline.threshold(source, len(values), self.p.margin_db,
                                                   self.floors[Receiver.RX5808])
            self.rx.append(Sweep(t, hot, values))
            while len(self.rx) > max(self.p.carrier_sweeps, 4):
                self.rx.popleft()
        elif source == Receiver.AD8318:
            self._push_broadband(t, float(values[0]))
        return self._update(t)

    def _push_broadband(self, t: int, dbm: float) -> None:
        """One AD8318 reading into the broadband window, with what the narrowband
        receivers account for then."""
        self._push(self.bb, BroadbandReading(t, dbm, self.narrowband.dbm(self.cc, self.rx)),
                   self.p.broadband_window_s)

    def _ready(self, t: int) -> bool:
        """Whether the baseline is complete at t: the device decides, as on the Pi (the
        status says "RF baseline" until then and the inspector waits at the door)."""
        if self.ready_ns is None:
            enough = all(n >= BASELINE_MIN_READINGS for n in self.baseline_counts.values())
            if (t >= self.baseline_min_ns and enough and self.baseline_counts) \
                    or t >= self.baseline_limit_ns:
                self.ready_ns = t
        return self.ready_ns is not None

    @property
    def ready_s(self) -> float | None:
        """Seconds from the start until the baseline was complete (None: not yet)."""
        return None if self.ready_ns is None else (self.ready_ns - self.start_ns) / 1e9

    @staticmethod
    def _push(queue: deque, item: Sweep | BroadbandReading, window_s: float,
              keep: int = 0) -> None:
        """Append, and forget items older than window_s (but keep the newest `keep`)."""
        queue.append(item)
        while len(queue) > keep and item.t_ns - queue[0].t_ns > window_s * 1e9:
            queue.popleft()

    # ---- detection ------------------------------------------------------------------
    def _findings(self) -> dict[str, Finding]:
        """band -> what the rules find now; 2.4 GHz Wi-Fi has one finding per emitter,
        keyed by `run_key` (`_update` keys it by its episode)."""
        found: dict[str, Finding] = {}
        # The 2.4 and 5.8 GHz rules read only their own window of sweeps: worked out
        # again when a sweep arrives there, not on every reading in between.
        found.update(self._window_rule("2g4", self.cc, self._find_2g4))
        found.update(self._window_rule("5g8", self.rx, self._find_5g8))
        self._find_broadband(found)
        return found

    def _window_rule(self, name: str, window: deque[Sweep], rule: Callable[[dict], None]
                     ) -> dict[str, Finding]:
        """What `rule` finds in `window`, reused until a new sweep joins it."""
        latest = window[-1] if window else None
        cached = self._rule_results.get(name)
        if cached is None or cached[0] is not latest:
            found: dict[str, Finding] = {}
            rule(found)
            cached = self._rule_results[name] = (latest, found)
        return cached[1]

    def _find_2g4(self, found: dict) -> None:
        if len(self.cc) < MIN_2G4_SWEEPS or self.cc_freqs is None:
            return
        hot = np.array([sweep.hot for sweep in self.cc])
        levels = np.array([sweep.dbm for sweep in self.cc])
        step_mhz = max(float(np.median(np.diff(self.cc_freqs))) / 1e6, 1e-3)
        need = max(int(round(self.p.wifi_width_mhz / step_mhz)), 2)
        # A continuous carrier: loud in nearly every sweep, baseline or not.
        steady = (levels >= self.p.loud_2g4_dbm).mean(axis=0) >= self.p.carrier_occupancy
        for start, end in channel_runs(steady):
            if end - start >= need:
                centre = float(self.cc_freqs[(start + end - 1) // 2])
                level = float(np.median(levels[:, start:end]))
                found["analog-2g4"] = Finding("analog video carrier", centre, level,
                                              level - self.p.loud_2g4_dbm,
                                              {"width_mhz": round((end - start) * step_mhz, 1)})
                return
        half = 1 if len(self.cc) <= MIN_2G4_SWEEPS else 0  # a slow sweep: pool
        occupancy = pooled_mean(hot, half)
        # New emitters are hot often enough; emitters already there at the door count when
        # their packets now arrive `rise_db` stronger (inside the room they lose the door
        # and gain from the approach; those outside gain a wall instead).
        busy = occupancy >= self.p.min_occupancy
        now90 = pooled_percentile(levels, 90, half)
        base90 = self.baseline.q90.get(self.cc_source)
        rise = np.zeros(levels.shape[1])
        if base90 is not None and len(base90) == levels.shape[1]:
            # How much an emitter already heard at the door has grown since.
            rise = np.where(base90 >= self.p.loud_2g4_dbm, now90 - base90, 0.0)
            busy |= (now90 - base90 >= self.p.rise_db) & (now90 >= self.p.loud_2g4_dbm + 5)
        # So loud that it is within a metre or two: inside the room, even when the door
        # baseline already held it (a camera on the same channel as an access point that
        # was as loud at the door and is behind a wall now).
        busy |= now90 >= self.p.near_wifi_dbm
        door = self.baseline.threshold(self.cc_source, len(occupancy), 0.0,
                                       self.floors[self.cc_source])

        def finding(start: int, end: int) -> Finding:
            return Finding(
                "Wi-Fi", float(self.cc_freqs[(start + end - 1) // 2]),
                float(np.percentile(levels[:, start:end], 90)),
                float(np.max(levels[:, start:end].max(axis=0) - door[start:end])),
                {"width_mhz": round((end - start) * step_mhz, 1),
                 "occupancy": round(float(occupancy[start:end].mean()), 2),
                 "door_rise_db": round(float(rise[start:end].max()), 1)})

        widest = int(round(NEIGHBOURS_WIDER_MHZ / step_mhz))
        runs = [(start, end) for start, end in split_at_valleys(
                    channel_runs(busy), now90, widest, VALLEY_DB)
                if end - start >= need and not self.wifi.explained(
                    float(self.cc_freqs[start]) / 1e6, float(self.cc_freqs[end - 1]) / 1e6,
                    self.cc[-1].t_ns)]
        if not self.p.alert_per_emitter:  # the band's one finding: its strongest run
            if runs:  # where the Wi-Fi monitor hears an identified camera, else that it
                # is not still classifying, if there is one
                t = self.cc[-1].t_ns
                findings = [finding(*run) for run in runs]
                cameras = [f for f in findings if self.wifi.camera_heard(f, t)]
                settled = cameras or [f for f in findings if not self.wifi.examining(f, t)]
                found["wifi-2g4"] = max(settled or findings, key=lambda f: f.excess_db)
            return
        # Every emitter its own finding (a phone on channel 1 and a camera on channel 11
        # are two alerts): pieces of one run joined, skirts of a loud one left out (the
        # loudest run or channel: a door-learned emitter's own channels are not busy);
        # `_update` follows each by its frequency (rf/emitters.py).
        pieces = group_pieces(runs, int(self.p.piece_gap_mhz / step_mhz))
        emitters = [finding(*span) for span in split_at_valleys(pieces, now90, widest, VALLEY_DB)]
        for f in without_skirts(emitters, self.p.skirt_db, float(now90.max())):
            found[run_key(f)] = f

    def _find_5g8(self, found: dict) -> None:
        if len(self.rx) < self.p.carrier_sweeps or self.rx_freqs is None:
            return
        recent = list(self.rx)[-self.p.carrier_sweeps:]
        levels = np.array([sweep.dbm for sweep in recent])
        hot = np.array([sweep.hot for sweep in recent])
        steady = levels.std(axis=0) <= self.p.carrier_steadiness_db
        floor = self.floors[Receiver.RX5808]
        loud = levels.min(axis=0) >= floor + self.p.carrier_abs_db
        carrier = steady & (hot.all(axis=0) | loud)
        in_wifi = in_wifi5(self.rx_freqs)
        if (carrier & in_wifi).any():
            # Inside the 5 GHz Wi-Fi band a busy access point can look steady on one
            # channel for a few sweeps. An FM video carrier (18 MHz wide) also keeps a
            # neighbouring channel loud throughout; packets hitting a channel do not.
            near = within(self.rx_freqs, NEIGHBOUR_HZ)
            np.fill_diagonal(near, False)
            backed = (near & loud[None, :]).any(axis=1)
            carrier &= ~in_wifi | backed
        if carrier.any():
            i = int(np.argmax(np.where(carrier, levels.mean(axis=0), -999)))
            excess = float(levels[:, i].mean() - floor)
            found["analog-5g8"] = Finding("analog video carrier", float(self.rx_freqs[i]),
                                          float(levels[:, i].mean()), excess,
                                          {"channel_mhz": int(self.rx_freqs[i] / 1e6),
                                           "sweeps": self.p.carrier_sweeps})
            return
        # Bursty: hot in several sweeps but not steady (an analog carrier and its steady
        # leakage into neighbouring channels are not Wi-Fi).
        # A channel this loud is within a metre or two, even when the door heard it (a
        # camera above the door, the door's own loss gone once inside).
        hot_or_near = hot | (levels >= self.p.near_wifi5_dbm)
        bursty = (hot_or_near.sum(axis=0) >= WIFI5_MIN_HOT_SWEEPS) & in_wifi & ~steady
        if bursty.sum() >= WIFI5_MIN_CHANNELS and self.wifi.explainer is not None:
            for i in np.flatnonzero(bursty):
                mhz = float(self.rx_freqs[i]) / 1e6
                if self.wifi.explained(mhz - WIFI5_HALF_SPAN_MHZ, mhz + WIFI5_HALF_SPAN_MHZ,
                                       recent[-1].t_ns):
                    bursty[i] = False
        if bursty.sum() >= WIFI5_MIN_CHANNELS:
            i = int(np.argmax(np.where(bursty, levels.max(axis=0), -999)))
            found["wifi-5g"] = Finding("Wi-Fi", float(self.rx_freqs[i]),
                                       float(levels[:, i].max()),
                                       float(levels[:, i].max() - floor),
                                       {"channels": int(bursty.sum())})

    def _find_broadband(self, found: dict) -> None:
        others = [b for b in list(found) + list(self.active) if b not in BROADBAND_BANDS]
        if not self.bb or Receiver.AD8318 not in self.baseline.q95 or others:
            return  # a 2.4 or 5.8 GHz emitter already explains broadband power
        span = (self.bb[-1].t_ns - self.bb[0].t_ns) / 1e9
        if span < 0.8 * self.p.broadband_window_s:
            return
        values = np.array([r.dbm for r in self.bb])
        explained = np.array([r.explained_dbm for r in self.bb])
        if self._strong_in_scanned_bands():
            return  # broadband power that the 2.4 / 5.8 GHz receivers already see
        floor = self.floors[Receiver.AD8318]
        loud = floor + self.p.broadband_abs_db
        if float((values >= loud).mean()) >= self.p.broadband_continuous:
            level = float(np.median(values))
            found["analog-1g2"] = Finding(
                "continuous carrier outside the scanned bands", 0.0, level, level - floor,
                {"loud_share": round(float((values >= loud).mean()), 2)})
            return
        # A strong uplink that neither the 2.4 nor the 5.8 GHz receiver hears: a cellular
        # transmitter. Phones do this too, in bursts of a few seconds, which is what the
        # cellular hold time is for.
        unexplained = values - explained >= self.p.unexplained_db
        strong = values >= self.p.cellular_dbm
        occupancy = float((unexplained & strong).mean())
        if occupancy >= self.p.broadband_occupancy:
            level = float(np.percentile(values, 90))
            evidence = {"occupancy": round(occupancy, 2)}
            door = float(self.baseline.q90[Receiver.AD8318][0])
            if door >= self.p.cellular_dbm:  # heard strongly at the door: the approach rule
                evidence["door_rise_db"] = round(level - door, 1)
            found["cellular"] = Finding("cellular uplink", 0.0, level, level - floor, evidence)

    def _strong_in_scanned_bands(self) -> bool:
        """True when a 2.4 or 5.8 GHz emitter is being confirmed, or the 5.8 GHz receiver
        hears a strong signal: broadband power is then theirs, not a third emitter's."""
        if any(band not in BROADBAND_BANDS for band in self.pending):
            return True
        if self.cc:  # a new strong 2.4 GHz signal (Bluetooth hopping nearby, say)
            for sweep in list(self.cc)[-10:]:
                if bool((sweep.hot & (sweep.dbm >= STRONG_2G4_DBM)).any()):
                    return True
        return bool(self.rx) and float(self.rx[-1].dbm.max()) >= (self.floors[Receiver.RX5808]
                                                                 + self.p.carrier_abs_db)

    def _update(self, t: int) -> list[RfAlert]:
        started = []
        found = self.episodes.follow(self._findings(), [*self.pending, *self.active])
        for key, pending in list(self.pending.items()):
            if key in found:
                pending.seen_ns = t
            elif t - pending.seen_ns > PENDING_GRACE_S * 1e9:
                del self.pending[key]
        for key, f in found.items():
            band = band_of(key)
            alert = self.active.get(key)
            if alert is None:
                pending = self.pending.setdefault(key, Pending(t, t))
                awaiting = self.wifi.awaiting_verdict(band, f, pending, t)
                since = pending.since_ns if band != "wifi-2g4" else pending.emitter_since(
                    f.freq_hz / 1e6, t, int(PENDING_GRACE_S * 1e9), ANOTHER_EMITTER_MHZ)
                hold = confirm_s(self.p, band, f, self.cc)
                if t - since < hold * 1e9 or not heard_inside(
                        self._carrier_window(band), self.ready_ns, self.p.carrier_inside_s):
                    continue
                if awaiting and t - (pending.asking_since_ns or t) < self.p.wifi_wait_s * 1e9:
                    continue
                alert = RfAlert(band, f.kind, t, f.freq_hz, f.level_dbm, f.excess_db, last_ns=t,
                                evidence=f.evidence)
                self.active[key] = alert
                self.alerts.append(alert)
                started.append(alert)
            alert.last_ns, alert.level_dbm, alert.excess_db = t, f.level_dbm, f.excess_db
            alert.kind, alert.freq_hz, alert.evidence = f.kind, f.freq_hz, f.evidence
        for key, alert in list(self.active.items()):
            if key not in found and t - alert.last_ns > self.p.hold_s * 1e9:
                alert.end_ns = alert.last_ns
                del self.active[key]
        target = max((self._closeness(a) for a in self.active.values()), default=0.0)
        self.proximity += 0.3 * (target - self.proximity)
        for alert in self.active.values():
            alert.proximity = self.proximity
        return started

    def _carrier_window(self, band: str) -> Sequence[Sweep | BroadbandReading]:
        """The readings a carrier band's rule reads (none for other bands)."""
        if band == "analog-5g8":
            return list(self.rx)[-self.p.carrier_sweeps:]
        return {"analog-2g4": self.cc, "analog-1g2": self.bb}.get(band, ())

    def _closeness(self, alert: RfAlert) -> float:
        quiet = PROXIMITY_QUIET_DBM["broadband" if alert.band in BROADBAND_BANDS else "narrow"]
        return min(max((alert.level_dbm - quiet) / self.p.proximity_span_db, 0.0), 1.0)

    def finish(self) -> None:
        for alert in self.active.values():
            alert.end_ns = alert.last_ns
        self.active.clear()

