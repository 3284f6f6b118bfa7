"""The simulated monitor-mode adapter: the room's Wi-Fi traffic (sim/wifi_room.py) as
an adapter hopping channels hears it, on the sweep's clock. Frames weaker than the
adapter's sensitivity are not heard, frames near it are lost more and more often, a few
are lost anyway (collisions), and frames on other channels than the one it listens on
are missed, as on the device.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from dataclasses import replace

import numpy as np

from detector.sim.scenario import Scenario
from detector.sim.wifi_room import emitter_addresses, room_traffic
from detector.wifi.analysis import Dwell
from detector.wifi.headers import DATA, WifiFrame
from detector.wifi.hopping import Hold, Hopper, HopSchedule
from detector.wifi.monitor import Deliver

OTHER_DEVICES = ("phone", "laptop", "smart-speaker")
SENSITIVITY_DBM = -92.0  # the weakest frame a USB adapter decodes at the lowest rate
FADE_DB = 8.0  # within this much of the sensitivity, more and more frames are lost
LOSS = 0.03  # frames lost anyway: collisions, and frames sent while the adapter retunes


class SimWifiSource:
    def __init__(self, scenario: Scenario, start_ns: int, seconds: float | None = None,
                 schedule: HopSchedule | None = None) -> None:
        self.start_ns = start_ns
        by_freq: dict[int, list[WifiFrame]] = defaultdict(list)
        frames = room_traffic(scenario, seconds)
        rng = np.random.default_rng([scenario.seed, 0x1055])
        draws = rng.random(len(frames))
        for f, draw in zip(frames, draws, strict=True):
            margin = (f.rssi_dbm if f.rssi_dbm is not None else 0.0) - SENSITIVITY_DBM
            lost = LOSS + (1 - LOSS) * min(max(1 - margin / FADE_DB, 0.0), 1.0)
            if draw >= lost:
                by_freq[f.freq_mhz or 0].append(f)
        self.frames = dict(by_freq)
        self.times = {freq: [f.t_ns for f in frames] for freq, frames in by_freq.items()}
        self.hopper = Hopper(schedule or HopSchedule(), lambda _channel: True, start_ns)
        self.dwells: list[Dwell] = []  # every stretch listened, for evaluation
        self.heard: Counter[bytes] = Counter()  # frames heard per transmitter (evaluation)
        self.scenario = scenario

    def read(self, now: int, hold: Hold, deliver: Deliver) -> None:
        def listen(d: Dwell) -> int:
            frames = self.frames.get(d.freq_mhz, [])
            times = self.times.get(d.freq_mhz, [])
            lo = bisect_left(times, d.start_ns - self.start_ns)
            hi = bisect_left(times, d.end_ns - self.start_ns)
            heard = [replace(f, t_ns=f.t_ns + self.start_ns) for f in frames[lo:hi]]
            self.dwells.append(d)
            self.heard.update(f.addr2 for f in heard if f.addr2 is not None)
            deliver(heard, d)
            return sum(f.kind == DATA for f in heard)

        self.hopper.advance(now, hold, listen)

    def cue(self, freq_mhz: int) -> None:
        """Listen on this channel next (the monitor's analysis asks)."""
        self.hopper.cue(freq_mhz)

    def close(self) -> None:
        pass

    def truth(self) -> dict:
        """For scoring: each Wi-Fi camera's id, whether the adapter heard it, and when its
        channel was first visited; and whether other Wi-Fi devices were in the room."""
        addresses = emitter_addresses(self.scenario)
        cameras = []
        for address, (emitter, kind) in addresses.items():
            if kind != "camera":
                continue
            freq = next((f for f, frames in self.frames.items()
                         if any(x.addr2 == address for x in frames)), None)
            visit = next((d.start_ns for d in self.dwells if d.freq_mhz == freq), None)
            cameras.append({"id": emitter, "address": address.hex(":"), "freq_mhz": freq,
                            "heard": self.heard[address] > 0, "first_visit_ns": visit})
        busy = any(kind in OTHER_DEVICES for _e, kind in addresses.values())
        return {"cameras": cameras, "busy": busy,
                "addresses": {a.hex(":"): list(v) for a, v in addresses.items()}}

