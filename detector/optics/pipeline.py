"""LensDetector: labelled frames in, confirmed lens alerts out. Pure computation: it
holds no device handle and works the same on live, simulated and recorded frames."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detector.optics.align import NO_SHIFT, Shift, central_half, estimate_shift, shrink_central
from detector.optics.candidates import Candidate, CandidateFinder, check_frames, finder_for
from detector.optics.framesets import FrameLike, FrameSet, FrameSetBuilder
from detector.optics.params import LensParams, resolve_params
from detector.optics.tracking import LensAlert, Tracker

MARKER_MIN_SCORE = 0.3  # candidates weaker than this are not drawn on the live view
MAX_MOTION_GAP_NS = 200_000_000  # motion between sets further apart says little about the next


@dataclass
class SetResult:
    frame_set: FrameSet
    candidates: list[Candidate]
    motion: Shift
    alerts: list[LensAlert]


@dataclass
class DetectorStats:
    frames: int = 0
    sets: int = 0
    mixed_dropped: int = 0
    spread_dropped: int = 0
    alerts: int = 0


class LensDetector:
    """Owns the lens-detection state of one sweep: frame sets being built, the candidate
    finder, the tracker, the previous set's alignment image and every lens alert raised.
    `params` None means the bundled defaults."""

    def __init__(self, params: LensParams | None = None,
                 pattern: list[str] | tuple[str, ...] = ("onaxis", "offaxis", "dark")) -> None:
        self.params: LensParams = resolve_params(params)
        self.pattern = tuple(pattern)  # the LED pattern the frames follow
        self.builder = FrameSetBuilder(pattern, self.params.max_set_span_ms)
        self.finder: CandidateFinder | None = None
        self.tracker: Tracker | None = None
        self.previous_half: np.ndarray | None = None
        self.previous_t_ns: int | None = None
        self.alerts: list[LensAlert] = []
        self.frames = 0
        self.last: SetResult | None = None

    def add_frame(self, frame: FrameLike) -> SetResult | None:
        self.frames += 1
        frame_set = self.builder.add(frame)
        return self.process(frame_set) if frame_set is not None else None

    def process(self, fs: FrameSet) -> SetResult:
        check_frames(fs.onaxis, fs.offaxis, fs.dark)
        if self.finder is None:
            self.finder = finder_for(self.params, fs.onaxis)
            self.tracker = Tracker(self.params, fs.onaxis.shape[1])
        assert self.tracker is not None
        factor = self.params.align_downscale
        # The on/off alignment in the finder from the middle of the shrunken frames, the
        # motion between sets from the central half of that (see central_half); shrinking
        # further instead makes tile grout ambiguous.
        central = shrink_central(fs.onaxis, factor)
        half = central_half(central, fs.onaxis.shape, factor)
        motion = NO_SHIFT
        predicted = None
        if self.previous_half is not None and self.previous_half.shape == half.shape:
            measured = estimate_shift(self.previous_half, half, factor)
            interval = fs.t_ns - self.previous_t_ns if self.previous_t_ns is not None else 0
            if measured.reliable and 0 < interval <= MAX_MOTION_GAP_NS:
                motion = measured
                predicted = measured.scaled((fs.offaxis_t_ns - fs.t_ns) / interval)
        self.previous_half, self.previous_t_ns = half, fs.t_ns
        span = fs.offaxis_t_ns - fs.t_ns
        dark_factor = ((fs.dark_t_ns - fs.t_ns) / span if fs.dark_t_ns is not None and span > 0
                       else 2.0)
        analysis = self.finder.analyse(fs.onaxis, fs.offaxis, fs.dark, onaxis_central=central,
                                       predicted=predicted, dark_shift_factor=dark_factor,
                                       keep_rejected=True)
        alerts = self.tracker.update(analysis.candidates, motion, fs.index, fs.t_ns)
        self.alerts.extend(alerts)
        self.last = SetResult(fs, analysis.candidates, motion, alerts)
        return self.last

    def markers(self, min_score: float = MARKER_MIN_SCORE) -> list[tuple[float, float, str]]:
        """What the live view marks after the latest set: confirmed lenses seen in it,
        and the other candidates that look at least somewhat like a lens."""
        if self.last is None or self.tracker is None:
            return []
        index = self.last.frame_set.index
        confirmed = [(t.x, t.y, "confirmed") for t in self.tracker.tracks
                     if t.confirmed and t.hits[-1].index == index]
        others = [(c.x, c.y, "candidate") for c in self.last.candidates if c.score >= min_score
                  and all(abs(c.x - x) + abs(c.y - y) > 1.0 for x, y, _k in confirmed)]
        return confirmed + others

    def stats(self) -> DetectorStats:
        return DetectorStats(frames=self.frames, sets=self.builder.sets,
                             mixed_dropped=self.builder.mixed_dropped,
                             spread_dropped=self.builder.spread_dropped,
                             alerts=len(self.alerts))

    def tracks(self):
        return self.tracker.all_tracks() if self.tracker is not None else []
