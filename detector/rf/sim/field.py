"""The radio field a scenario puts around the handheld, as each receiver would measure it.

Model (constants below, with their reasoning):
- Emitters: the scenario's transmitters and its transmitting cameras. Each band has a
  centre-frequency plan (drawn per emitter from the scenario's seed), a bandwidth and an
  occupancy: the chance that a short RSSI sample lands on a packet. Wi-Fi and phones are
  bursty; an analog video transmitter is a continuous FM carrier; Bluetooth hops over
  79 1-MHz channels, one per 625 µs slot, in a sequence of its own.
- On air: a camera per `sim/truth.tx_intervals_s` (what truth.json records); a phone that
  is idle or browsing in episodes of a few seconds (it syncs, loads a page, and goes
  quiet), one on a video call or watching video throughout; other transmitters always,
  at their packet occupancy `duty`. The Wi-Fi traffic the monitor hears of a phone
  (sim/wifi_room.py) follows the same episodes (`phone_on_air_s`).
- Path loss: free space at 1 m plus 10·n·log10(d) with n = 2.2 indoors; one wall's loss
  for emitters outside the room box; log-normal shadowing per emitter (σ 3 dB); multipath
  fading as a spatial field: a line-of-sight component plus 8 scattered plane waves of
  the carrier's wavelength from random directions (Rician, K = 1 for narrow carriers,
  K = 4 for 20 MHz-wide signals, whose bandwidth averages part of the fading away). So
  a still device reads a steady level and fading changes over a few centimetres.
- The door: for the first `start_at_door_s` seconds the inspector stands outside the
  restroom door to learn the baseline (the procedure), so emitters inside the room reach
  the device through the door (DOOR_LOSS_DB) and emitters outside it without their wall.
- Receivers: a flat passband of the receiver's resolution bandwidth, adjacent-channel
  leakage of the receiver's filter, and the receiver's own noise floor and reading noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from detector.sim.motion import Trajectory
from detector.sim.scenario import Scenario
from detector.sim.truth import tx_intervals_s

PATH_LOSS_EXPONENT = 2.2  # indoor line of sight with reflections (2.0 free space)
WALL_LOSS_DB = {"low": 5.0, "2g4": 8.0, "5g": 14.0}  # one plasterboard/brick wall
DOOR_LOSS_DB = {"low": 4.0, "2g4": 7.0, "5g": 10.0}  # a closed wooden or laminate door
SHADOWING_DB = 3.0
RICIAN_K_WIDE = 4.0
RICIAN_K_NARROW = 1.0
SCATTERED_WAVES = 8
PACKET_US = 1000.0  # a packet-length slot: on or off as a whole
HOP_US = 625.0  # Bluetooth's slot: a hopper stays on one 1 MHz channel for one slot
HOP_CHANNELS = 79  # from 2402 MHz up
HOP_SALT = 0x484F50  # the hop sequence's seed, apart from the packet timing's


def _unit_hash(slot: int, salt: int) -> float:
    """A uniform number in [0, 1) from (slot, salt): splitmix64's finaliser."""
    z = (slot * 0x9E3779B97F4A7C15 + salt) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return ((z ^ (z >> 31)) >> 11) / float(1 << 53)
PHONE_EPISODE_S = (2.0, 5.0)  # a phone syncs or loads a page for a few seconds at a time
# A phone doing this is on the air for the whole sweep (a call or a player does not pause).
CONTINUOUS_PHONE_TRAFFIC = ("video-call", "video-down")
# A phone's own packet occupancy by what it does, on the scale of BAND_PLAN's (a camera's
# 1 Mb/s stream up is 0.3): syncing and page loads send in dense bursts; a call sends
# about what a camera does; a phone watching video only acknowledges what the access
# point sends it.
PHONE_OCCUPANCY = {"idle": 0.4, "browse": 0.4, "video-call": 0.3, "video-down": 0.05}

# band -> (centre frequencies in MHz to draw from, bandwidth MHz, packet occupancy, narrow)
BAND_PLAN = {
    "wifi-2g4": ((2412, 2437, 2462), 20.0, 0.3, False),
    "wifi-5g": ((5745, 5765, 5785, 5805, 5825), 20.0, 0.3, False),
    "analog-5g8": ((5658, 5695, 5732, 5769, 5806, 5843, 5880, 5917, 5705, 5865), 18.0, 1.0,
                   True),
    "analog-2g4": ((2414, 2432, 2450, 2468), 18.0, 1.0, True),
    "analog-1g2": ((1080, 1120, 1160, 1200, 1240, 1280), 18.0, 1.0, True),
    "cellular": ((1747, 1950, 2535), 10.0, 0.3, False),
}


@dataclass(frozen=True)
class Receiver:
    name: str
    rbw_mhz: float
    leakage_db: float  # attenuation of signals outside the passband
    floor_dbm: float
    reading_noise_db: float


RX5808 = Receiver("rx5808", 18.0, 25.0, -92.0, 0.7)
CC2500 = Receiver("cc2500", 0.8, 40.0, -104.0, 1.0)
AD8318 = Receiver("ad8318", 8000.0, 0.0, -62.0, 0.3)


@dataclass
class Emitter:
    id: str
    kind: str  # "camera" or the transmitter kind
    band: str
    at: np.ndarray
    tx_dbm: float
    centre_mhz: float
    bandwidth_mhz: float
    occupancy: float
    narrow: bool
    hopping: bool
    shadowing_db: float
    wall_db: float
    door_db: float  # extra loss while the inspector waits outside the door
    intervals: list[tuple[float, float]]  # seconds on air ([] with always_on)
    always_on: bool
    waves: np.ndarray | None = None  # (SCATTERED_WAVES, 3) wave vectors, rad/m
    phases: np.ndarray | None = None
    salt: int = 0  # packet timing seed

    def fading_db(self, position: np.ndarray) -> float:
        k = RICIAN_K_NARROW if self.narrow else RICIAN_K_WIDE
        scattered = np.exp(1j * (self.waves @ position + self.phases)).sum()
        scattered /= math.sqrt(len(self.phases))
        field = math.sqrt(k / (k + 1)) + math.sqrt(1 / (k + 1)) * scattered
        return 10 * math.log10(max(abs(field) ** 2, 1e-4))


def _band_group(mhz: float) -> str:
    return "low" if mhz < 2000 else ("2g4" if mhz < 3000 else "5g")


def _phone_episodes(rng: np.random.Generator, duty: float, total_s: float):
    out, t = [], float(rng.uniform(0, 6))
    while t < total_s:
        length = float(rng.uniform(*PHONE_EPISODE_S))
        out.append((t, t + length))
        gap = length * (1 - min(max(duty, 0.05), 0.95)) / min(max(duty, 0.05), 0.95)
        t += length + float(rng.exponential(gap))
    return out


def fspl_1m_db(mhz: float) -> float:
    return 20 * math.log10(mhz) - 27.55


class RadioField:
    def __init__(self, scenario: Scenario, seed: int | None = None, *,
                 packet_us: float = PACKET_US, occupancy_scale: float = 1.0) -> None:
        self.scenario = scenario
        self.packet_us = packet_us
        self.occupancy_scale = occupancy_scale
        self.seed = scenario.seed if seed is None else seed
        self.rng = np.random.default_rng([self.seed, 0xF1E1D])
        self.trajectory = Trajectory(scenario)
        self.room = np.array(scenario.room.size, dtype=float)
        self.door_s = scenario.path.start_at_door_s
        self.emitters = self._emitters()
        for e in self.emitters:
            directions = self.rng.normal(size=(SCATTERED_WAVES, 3))
            directions /= np.linalg.norm(directions, axis=1, keepdims=True)
            e.waves = directions * (2 * math.pi * e.centre_mhz * 1e6 / 299_792_458.0)
            e.phases = self.rng.uniform(0, 2 * math.pi, SCATTERED_WAVES)
            e.salt = int(self.rng.integers(0, 1 << 62))
        self._pos_t = -1.0
        self._pos = np.zeros(3)

    def _outside(self, at: np.ndarray) -> bool:
        return bool(np.any(at < 0) or np.any(at > self.room))

    def _emitters(self) -> list[Emitter]:
        sc = self.scenario
        out = []
        for obj in sc.cameras:
            band = obj["transmits"]
            if band == "none":
                continue
            plan, bw, occupancy, narrow = BAND_PLAN[band]
            centre = float(self.rng.choice(plan))
            intervals = tx_intervals_s(obj, sc.seed, sc.total_s)
            at = np.array(obj.at, dtype=float)
            out.append(Emitter(obj.id, "camera", band, at, float(obj["tx_dbm"]), centre, bw,
                               occupancy, narrow, False,
                               float(self.rng.normal(0, SHADOWING_DB)),
                               *self._walls(at, centre), intervals, obj["duty"] >= 1))
        for tx in sc.transmitters:
            at = np.array(tx.at, dtype=float)
            if tx.kind == "bluetooth":
                centre, bw, occupancy, narrow, hopping = 2441.0, 1.0, tx.duty, True, True
            else:
                plan, bw, occupancy, narrow = BAND_PLAN[tx.band]
                centre, hopping = float(self.rng.choice(plan)), False
                if tx.kind != "analog-5g8":
                    occupancy = tx.duty
            intervals, always = [], True
            if tx.kind == "phone":
                # Drawn for every phone, so the draws after it are the same whatever it does.
                intervals, always = _phone_episodes(self.rng, tx.duty, sc.total_s), False
                if tx.traffic in CONTINUOUS_PHONE_TRAFFIC:
                    intervals, always = [], True
                occupancy = PHONE_OCCUPANCY[tx.traffic]
            out.append(Emitter(tx.id, tx.kind, tx.band, at, tx.tx_dbm, centre, bw, occupancy,
                               narrow, hopping, float(self.rng.normal(0, SHADOWING_DB)),
                               *self._walls(at, centre), intervals, always))
        return out

    def _walls(self, at: np.ndarray, centre: float) -> tuple[float, float]:
        """(loss inside the room, extra loss at the door): an emitter outside is behind a
        wall once the inspector is in, and not before; one inside is behind the door until
        the inspector opens it."""
        group = _band_group(centre)
        if self._outside(at):
            return WALL_LOSS_DB[group], -WALL_LOSS_DB[group]
        return 0.0, DOOR_LOSS_DB[group]

    def position(self, t_s: float) -> np.ndarray:
        if abs(t_s - self._pos_t) > 0.01:  # the hand moves little in 10 ms
            self._pos = self.trajectory.pose(min(max(t_s, 0.0), self.scenario.total_s)).position
            self._pos_t = t_s
        return self._pos

    def phone_on_air_s(self, emitter_id: str) -> list[tuple[float, float]] | None:
        """A phone's on-air episodes in seconds (None: on the air throughout)."""
        e = next(e for e in self.emitters if e.id == emitter_id)
        return None if e.always_on else list(e.intervals)

    def on_air(self, e: Emitter, t_us: float) -> bool:
        """Whether `e` is transmitting at t_us: within its on-air intervals, and within a
        packet. Packets occupy PACKET_US slots drawn once per slot, so samples taken
        within a millisecond (the AD8318's 4 ADC reads) see the same packet."""
        t_s = t_us / 1e6
        if not e.always_on and not any(a <= t_s < b for a, b in e.intervals):
            return False
        if e.occupancy >= 1.0:
            return True
        slot = int(t_us // self.packet_us)
        return _unit_hash(slot, e.salt) < min(e.occupancy * self.occupancy_scale, 0.95)

    def received_dbm(self, e: Emitter, t_s: float) -> float:
        position = self.position(t_s)
        d = max(float(np.linalg.norm(position - e.at)), 0.1)
        loss = (fspl_1m_db(e.centre_mhz) + 10 * PATH_LOSS_EXPONENT * math.log10(d) + e.wall_db
                - e.shadowing_db)
        if t_s < self.door_s:
            loss += e.door_db
        return e.tx_dbm - loss + e.fading_db(position)

    def level(self, receiver: Receiver, freq_hz: float, t_us: float) -> float:
        """dBm that `receiver` tuned to freq_hz reads at t_us (microseconds from the start)."""
        t_s = t_us / 1e6
        mw = 10 ** (receiver.floor_dbm / 10)
        f = freq_hz / 1e6
        for e in self.emitters:
            if not self.on_air(e, t_us):
                continue
            centre = self.centre_mhz(e, t_us)
            gain_db = 0.0 if receiver.name == AD8318.name else self._filter_db(receiver, f, centre,
                                                                       e.bandwidth_mhz)
            if gain_db < -80:
                continue
            mw += 10 ** ((self.received_dbm(e, t_s) + gain_db) / 10)
        return 10 * math.log10(mw) + float(self.rng.normal(0, receiver.reading_noise_db))

    def centre_mhz(self, e: Emitter, t_us: float) -> float:
        """Where the emitter transmits at t_us: a hopper's channel of that slot (drawn
        from its own sequence, so a reading and the evaluation's credit see the same
        hop), anyone else's fixed centre."""
        if not e.hopping:
            return e.centre_mhz
        slot = int(t_us // HOP_US)
        return 2402.0 + math.floor(_unit_hash(slot, e.salt ^ HOP_SALT) * HOP_CHANNELS)

    def gain(self, e: Emitter, receiver: Receiver, freq_hz: float, t_us: float) -> float:
        """The share of an emitter's power that `receiver` tuned to freq_hz takes in at
        t_us (a hopper's depends on the channel it is on then)."""
        if receiver.name == AD8318.name:
            return 1.0
        centre = self.centre_mhz(e, t_us)
        return 10 ** (self._filter_db(receiver, freq_hz / 1e6, centre, e.bandwidth_mhz) / 10)

    def contribution_mw(self, e: Emitter, gain: float, t_us: float) -> float:
        """What one emitter adds to a reading at t_us, in mW, without noise (zero off the
        air), given its gain into the receiver then. Lets evaluation tell which emitter
        raised an alert (evaluation/attribution.py)."""
        if not self.on_air(e, t_us):
            return 0.0
        return gain * 10 ** (self.received_dbm(e, t_us / 1e6) / 10)

    @staticmethod
    def _filter_db(receiver: Receiver, f: float, centre: float, bandwidth: float) -> float:
        """Share of an emitter's power (flat over its bandwidth) in the receiver's passband,
        in dB, with the filter's leakage for what lies outside it."""
        lo = max(f - receiver.rbw_mhz / 2, centre - bandwidth / 2)
        hi = min(f + receiver.rbw_mhz / 2, centre + bandwidth / 2)
        inside = max(hi - lo, 0.0) / bandwidth
        offset = abs(f - centre) - (receiver.rbw_mhz + bandwidth) / 2
        leak = 10 ** (-(receiver.leakage_db + max(offset, 0.0) / bandwidth * 10) / 10)
        return 10 * math.log10(inside + leak * (1 - inside) + 1e-12)
