"""Frame sets: an on-axis, an off-axis and (when the light pattern has one) a dark frame
taken close together in time, ready to be compared.

Mixed frames (their exposure straddled an LED switch) are never used. A set whose frames
lie further apart than `max_span_ms` is dropped: the scene moved too much between them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


class FrameLike(Protocol):
    index: int
    t_ns: int
    lights: str
    image: np.ndarray


@dataclass(frozen=True)
class FrameSet:
    onaxis: np.ndarray
    offaxis: np.ndarray
    dark: np.ndarray | None
    t_ns: int  # exposure start of the on-axis frame: the set's time
    index: int  # on-axis frame index: candidate positions are in this frame's pixels
    offaxis_t_ns: int
    dark_t_ns: int | None = None
    offaxis_index: int = -1
    dark_index: int | None = None


class FrameSetBuilder:
    """Groups a stream of labelled frames into frame sets.

    A set is emitted as soon as every required label has a frame newer than the last set;
    its frames must all lie within `max_span_ms`. Counters say what was dropped and why.
    """

    def __init__(self, pattern: list[str] | tuple[str, ...], max_span_ms: float) -> None:
        required = set(pattern) & {"onaxis", "offaxis", "dark"}
        if not {"onaxis", "offaxis"} <= required:
            raise ValueError("the light pattern needs both an onaxis and an offaxis frame")
        self.required = required
        self.max_span_ns = int(max_span_ms * 1e6)
        self.pending: dict[str, FrameLike] = {}
        self.sets = 0
        self.mixed_dropped = 0
        self.spread_dropped = 0

    def add(self, frame: FrameLike) -> FrameSet | None:
        if frame.lights == "mixed":
            self.mixed_dropped += 1
            return None
        if frame.lights not in self.required:
            return None
        self.pending[frame.lights] = frame
        # Forget frames too old to share a set with this one.
        for label, old in list(self.pending.items()):
            if frame.t_ns - old.t_ns > self.max_span_ns:
                del self.pending[label]
                self.spread_dropped += 1
        if set(self.pending) != self.required:
            return None
        on, off = self.pending["onaxis"], self.pending["offaxis"]
        dark = self.pending.get("dark")
        self.pending.clear()
        self.sets += 1
        return FrameSet(onaxis=on.image, offaxis=off.image,
                        dark=dark.image if dark is not None else None,
                        t_ns=on.t_ns, index=on.index, offaxis_t_ns=off.t_ns,
                        dark_t_ns=dark.t_ns if dark is not None else None,
                        offaxis_index=off.index,
                        dark_index=dark.index if dark is not None else None)
