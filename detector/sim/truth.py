"""Ground truth of a simulated run, in the recording format's truth.json layout."""

from __future__ import annotations

from typing import Any

import numpy as np

from detector.hw.camera import Frame
from detector.sim.scenario import Scenario, SceneObject

TX_CYCLE_S = 20.0  # an intermittent transmitter's on/off cycle


def tx_intervals_s(obj: SceneObject, seed: int, total_s: float) -> list[tuple[float, float]]:
    """When a camera with duty < 1 is on air (seconds from the start of the run): one burst
    per TX_CYCLE_S cycle, of length duty*cycle, at a seeded phase. Empty when it never
    transmits; the whole run when duty is 1."""
    if obj["transmits"] == "none" or obj["duty"] <= 0:
        return []
    if obj["duty"] >= 1:
        return [(0.0, total_s)]
    rng = np.random.default_rng([seed, sum(map(ord, obj.id))])
    on = obj["duty"] * TX_CYCLE_S
    phase = rng.uniform(0, TX_CYCLE_S)
    out = []
    start = phase - TX_CYCLE_S
    while start < total_s:
        a, b = max(start, 0.0), min(start + on, total_s)
        if b > a:
            out.append((round(a, 6), round(b, 6)))
        start += TX_CYCLE_S
    return out


class TruthCollector:
    """Accumulates per-frame projections into truth.json's structure."""

    def __init__(self, scenario: Scenario, start_ns: int) -> None:
        self.scenario = scenario
        self.start_ns = start_ns
        self.camera_frames: dict[str, list[list[Any]]] = {o.id: [] for o in scenario.cameras}
        self.distractor_frames: dict[str, list[list[Any]]] = {
            o.id: [] for o in scenario.distractors}

    def add(self, frame: Frame) -> None:
        truth = frame.meta.get("truth")
        if truth is None:
            return
        for obj_id, x, y, in_cone in truth.cameras:
            self.camera_frames[obj_id].append([frame.index, float(x), float(y), bool(in_cone)])
        for obj_id, _kind, x, y in truth.distractors:
            self.distractor_frames[obj_id].append([frame.index, float(x), float(y)])

    def to_json(self) -> dict[str, Any]:
        sc = self.scenario
        cameras = []
        for obj in sc.cameras:
            entry: dict[str, Any] = {"id": obj.id, "band": obj["transmits"]}
            intervals = tx_intervals_s(obj, sc.seed, sc.total_s)
            if intervals and 0 < obj["duty"] < 1:
                entry["tx"] = [[self.start_ns + int(a * 1e9), self.start_ns + int(b * 1e9)]
                               for a, b in intervals]
            entry["frames"] = self.camera_frames[obj.id]
            cameras.append(entry)
        distractors = [{"id": o.id, "kind": o.kind, "frames": self.distractor_frames[o.id]}
                       for o in sc.distractors]
        transmitters = [{"id": t.id, "kind": t.kind, "band": t.band} for t in sc.transmitters]
        return {"cameras": cameras, "distractors": distractors, "transmitters": transmitters}
