"""Which emitter raised an RF alert, from the simulated radio field (evaluation only).

An RF alert names a band, not a transmitter: a phone, an access point or a Bluetooth
device in a camera's band raises alerts too, and those must not count as finding the
camera. The field knows what every emitter adds to every reading, so each alert is
credited to the emitter whose power raised it:

- the receiver is the one that watches the alert's band (CC2500 for 2.4 GHz, RX5808 for
  5 GHz, AD8318 for broadband alerts), tuned to the frequency the alert was raised at;
- over the WINDOW_S before the alert was raised (the readings that raised it), each
  emitter's contribution is sampled SAMPLES times, noise-free, as a reading at that
  instant takes it in (a hopper only when its channel of that instant reaches the
  receiver), and so is the total (receiver floor plus every emitter); each is
  summarised by its 90th percentile, as the analysis summarises readings;
- the alert is credited to the strongest emitter if that one is within SHARE_DB of the
  total (it, not the others or the floor, is what the receiver heard); otherwise to
  nothing.

An alert credited to no camera is a false alert, whatever raised it; `kind` says what
did (a phone, an access point, Bluetooth, or "noise").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from detector.rf.analysis import BROADBAND_BANDS
from detector.rf.sim.field import AD8318, CC2500, RX5808, RadioField, Receiver
from detector.rf.sim.unit import DEFAULT_WORLD, NOMINAL_UNIT, RadioWorld, SimUnit
from detector.sim.scenario import Scenario

WINDOW_S = 1.0
SAMPLES = 60
SHARE_DB = 3.0


def raised_at(alert: dict[str, Any]) -> float:
    """The frequency the alert was raised at: where the readings that raised it were.
    (freq_hz follows the finding to the episode's end; alerts recorded before
    raised_freq_hz was kept have only that.)"""
    return float(alert.get("raised_freq_hz") or alert.get("freq_hz") or 0.0)


def receiver_for(alert: dict[str, Any]) -> Receiver:
    if alert["band"] in BROADBAND_BANDS:
        return AD8318
    return RX5808 if raised_at(alert) >= 4e9 or alert["band"].endswith(
        ("5g", "5g8")) else CC2500


def credit(field: RadioField, alert: dict[str, Any], start_ns: int,
           unit: SimUnit = NOMINAL_UNIT) -> dict[str, Any]:
    """The emitter that raised one alert (see the module's rule)."""
    receiver = unit.receivers()[receiver_for(alert).name]
    end_us = (alert["start_ns"] - start_ns) / 1e3
    instants = np.linspace(max(end_us - WINDOW_S * 1e6, 0.0), end_us, SAMPLES)
    freq = raised_at(alert)
    # Only a hopper's gain changes with the instant; the others' is worked out once.
    fixed = {e.id: field.gain(e, receiver, freq, 0.0) for e in field.emitters if not e.hopping}
    per = {e.id: np.zeros(SAMPLES) for e in field.emitters}
    for i, t in enumerate(instants):  # instant by instant: the field's pose is cached
        for e in field.emitters:
            gain = fixed[e.id] if e.id in fixed else field.gain(e, receiver, freq, t)
            per[e.id][i] = field.contribution_mw(e, gain, t)
    total = 10 ** (receiver.floor_dbm / 10) + sum(per.values(), np.zeros(SAMPLES))
    total_p90 = float(np.percentile(total, 90))
    best = max(per, key=lambda k: float(np.percentile(per[k], 90)), default=None)
    best_p90 = float(np.percentile(per[best], 90)) if best is not None else 0.0
    share_db = 10 * np.log10(max(best_p90, 1e-30) / total_p90)
    if best is None or share_db < -SHARE_DB:
        return {"emitter": None, "kind": "noise", "share_db": round(float(share_db), 1)}
    kind = next(e.kind for e in field.emitters if e.id == best)
    return {"emitter": best, "kind": kind, "share_db": round(float(share_db), 1)}


def credit_alerts(alerts: list[dict[str, Any]], scenario: Scenario, start_ns: int,
                  unit: SimUnit = NOMINAL_UNIT,
                  world: RadioWorld = DEFAULT_WORLD) -> list[dict[str, Any]]:
    """Each alert with its `credit`, from a field made as the simulated scanner made its
    own (same scenario, seed, unit and packet timing, so the same emitters, channels,
    fading and packets)."""
    field = RadioField(scenario, packet_us=world.packet_us,
                       occupancy_scale=world.occupancy_scale)
    return [{**alert, "credit": credit(field, alert, start_ns, unit)} for alert in alerts]
