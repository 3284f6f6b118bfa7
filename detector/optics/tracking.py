"""Tracking: candidates associated across frame sets into tracks that gather evidence.

The image moves between sets (a handheld sweep pans ~5-40 px per set), so each track's
position is carried forward by the global shift between consecutive on-axis frames
before candidates are matched to it, nearest first, within a gate. A track that finds no
candidate there gets a second look where its own last step would put it: in a fast pan
the global shift of one set can be wrong by tens of pixels, and without the second look
the lens would start a new track and raise a second alert.

Evidence score of a track (0-1), the product of:
- quality: mean score of its last hits (a hit whose candidate failed a test counts 0,
  so a glint that passes now and then stays low);
- persistence: 1 - exp(-hits / 2.5), a single set is never enough;
- hit rate: hits over the sets the track lived through (x1.25, capped at 1);
- ratio stability and size consistency over the last hits: a lens's on/off ratio and
  size change slowly, a glint or a moving reflection flickers;
- viewpoints: a small bonus once the spot has held while the image moved by 20 px;
- point spread: a spot seen wider than the optics' blur is a disc (a drop), no lens;
- flat-top ratio: a spot that clipped in a flat top while its off-axis copy held more
  than an eighth of it has a wide return cone (a drop), no lens.
A track is confirmed as a lens when its score reaches `confirm_score` with at least
`confirm_min_hits` hits; it then raises one alert.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from detector.optics.align import Shift
from detector.optics.candidates import FLAT_TOP_PX, Candidate
from detector.optics.params import REFERENCE_WIDTH, LensParams

RECENT = 8  # hits that the quality, stability and size terms look at
TRAVEL_FULL_PX = 20.0
MAX_STEP_GAP_NS = 200_000_000  # a track's own step says little over a longer gap
SPREAD_RAMP_PX = 0.15  # the point-spread term falls from 1 to 0 over this much extra spread
MIN_SPREADS = 3  # measured spreads a track needs before the term applies
# A spot's spread is kept only while the image moves at most this per set (pixels at
# 1280 wide; about 18 deg/s at 20 sets/s): a 2 ms exposure then smears a point by 0.6 px
# at most, which widens its fitted sigma by about 0.01 px. Faster, the smear grows to a
# drop's width (a 30 deg/s pan moves ~25 px per set and smears ~1 px).
SPREAD_MAX_STEP_PX = 15.0
FLAT_TOP_RATIO_RAMP = 1.5  # the flat-top term falls from 1 to 0 over this much lower ratio


@dataclass(frozen=True)
class Hit:
    index: int
    t_ns: int
    candidate: Candidate


@dataclass
class Track:
    id: int
    x: float
    y: float
    first_t_ns: int
    hits: list[Hit] = field(default_factory=list)
    sets: int = 0
    missed: int = 0
    travel: float = 0.0
    score: float = 0.0
    confirmed: bool = False
    # Spreads of the unsaturated hits (Candidate.spread), kept across saturated stretches:
    # a drop that saturates as the device comes close was already seen to be a disc.
    spreads: list[float] = field(default_factory=list)
    # The two lowest on/off ratios of its flat-topped hits (FLAT_TOP_PX clipped pixels or
    # more). Such a spot's on-axis level is at least full scale, so its ratio can only
    # be higher than measured; a lens that bright shows no off-axis copy to speak of.
    flat_top_ratios: list[float] = field(default_factory=list)
    # (index, t_ns, x, y, score, hits) after every hit: lets `detector eval` replay
    # the confirmation rule at other thresholds without re-running detection.
    history: list[tuple[int, int, float, float, float, int]] = field(default_factory=list)

    def evidence(self, params: LensParams) -> float:
        recent = [h.candidate for h in self.hits[-RECENT:]]
        n = len(self.hits)
        quality = float(np.mean([c.score for c in recent]))
        persistence = 1.0 - math.exp(-n / 2.5)
        rate = min(1.0, 1.25 * n / max(self.sets, 1))
        ratios = np.log([max(c.ratio, 0.05) for c in recent])
        stability = float(np.clip(1.25 - 0.5 * ratios.std(), 0.5, 1.0))
        areas = np.array([c.area for c in recent], dtype=float)
        size = float(np.clip(1.2 - 0.5 * areas.std() / max(areas.mean(), 1.0), 0.6, 1.0))
        view = 0.85 + 0.15 * min(self.travel / TRAVEL_FULL_PX, 1.0)
        point = point_spread_term(self.spreads, params.max_point_spread_px)
        flat = flat_top_ratio_term(self.flat_top_ratios, params.min_flat_top_ratio)
        return quality * persistence * rate * stability * size * view * point * flat


def median_spread(spreads: Sequence[float]) -> float | None:
    """The median of a track's last RECENT measured spreads; None with fewer than
    MIN_SPREADS, too few to judge."""
    recent = spreads[-RECENT:]
    return float(np.median(recent)) if len(recent) >= MIN_SPREADS else None


def point_spread_term(spreads: Sequence[float], max_spread_px: float) -> float:
    """1 while the median of a track's measured spreads is within the optics' blur,
    falling to 0 over SPREAD_RAMP_PX. One hit's spread is too noisy at a faint spot's
    signal-to-noise to tell a 2-3 px drop from a point; the median of several is not
    (docs/lens-detection.md, water drops)."""
    median = median_spread(spreads)
    if median is None:
        return 1.0
    return float(np.clip(1.0 - (median - max_spread_px) / SPREAD_RAMP_PX, 0.0, 1.0))


def judged_flat_top_ratio(lowest: Sequence[float]) -> float | None:
    """The second-lowest of a track's flat-top ratios (one hit alone may have caught
    something beside the spot in the off-axis frame); None with fewer than two."""
    return lowest[1] if len(lowest) > 1 else None


def flat_top_ratio_term(lowest: Sequence[float], min_ratio: float) -> float:
    """1 until a track's judged flat-top ratio is below `min_ratio`, falling to 0 over
    FLAT_TOP_RATIO_RAMP. A lens bright enough to clip in a flat top returns almost
    nothing to the off-axis group; a drop, whose cone is wider, does
    (docs/lens-detection.md, water drops)."""
    judged = judged_flat_top_ratio(lowest)
    if judged is None:
        return 1.0
    return float(np.clip(1.0 - (min_ratio - judged) / FLAT_TOP_RATIO_RAMP, 0.0, 1.0))


@dataclass(frozen=True)
class LensAlert:
    """A confirmed lens: where (on-axis frame `index`, pixels), when, and why."""

    track_id: int
    t_ns: int
    index: int
    x: float
    y: float
    score: float
    hits: int
    first_seen_t_ns: int
    features: dict

    def to_json(self) -> dict:
        return {"track": self.track_id, "t_ns": self.t_ns, "frame": self.index,
                "x": round(self.x, 2), "y": round(self.y, 2), "score": round(self.score, 3),
                "hits": self.hits, "first_seen_t_ns": self.first_seen_t_ns,
                "features": self.features}


def summarise(hits: list[Hit], spreads: Sequence[float] = (),
              flat_top_ratios: Sequence[float] = ()) -> dict:
    """The median features of a track's hits, for its alert; `spread` is the median the
    point-spread term last judged (0 while it had fewer than MIN_SPREADS to judge), and
    `flat_top_ratio` the ratio the flat-top term judged (0 while it had fewer than two)."""
    cands = [h.candidate for h in hits]
    return {"contrast": round(float(np.median([c.contrast for c in cands])), 1),
            "snr": round(float(np.median([c.snr for c in cands])), 1),
            "ratio": round(float(np.median([c.ratio for c in cands])), 2),
            "area": int(np.median([c.area for c in cands])),
            "compactness": round(float(np.median([c.compactness for c in cands])), 2),
            "dark": round(float(max(c.dark for c in cands)), 2),
            "pair": round(float(max(c.pair for c in cands)), 2),
            "saturated": round(float(np.mean([c.saturated for c in cands])), 2),
            "clipped": int(max(c.clipped for c in cands)),
            "spread": round(median_spread(spreads) or 0.0, 2),
            "flat_top_ratio": round(judged_flat_top_ratio(flat_top_ratios) or 0.0, 2)}


class Tracker:
    """Owns the lens tracks of one sweep: links each frame set's candidates to the live
    tracks (after motion compensation, within the gate), starts and ends tracks, scores
    them and raises a lens alert when a track is confirmed. Ids start at 1."""

    def __init__(self, params: LensParams, width: int) -> None:
        self.p = params
        self.gate = params.track_gate_px * width / REFERENCE_WIDTH
        self.tracks: list[Track] = []
        self.finished: list[Track] = []
        self.next_id = 1
        self.still_px = SPREAD_MAX_STEP_PX * width / REFERENCE_WIDTH

    def update(self, candidates: list[Candidate], motion: Shift, index: int,
               t_ns: int) -> list[LensAlert]:
        """Advance every track by `motion`, match this set's candidates, and return the
        alerts of tracks confirmed by this set."""
        step = math.hypot(motion.dx, motion.dy)
        for track in self.tracks:
            track.x += motion.dx
            track.y += motion.dy
            track.sets += 1
        pairs = []
        for ti, track in enumerate(self.tracks):
            gate = self.gate * (1.0 + 0.5 * track.missed)
            for ci, cand in enumerate(candidates):
                d = math.hypot(cand.x - track.x, cand.y - track.y)
                if d <= gate:
                    pairs.append((d, ti, ci, step))
        used_t: set[int] = set()
        used_c: set[int] = set()
        self._assign(pairs, candidates, used_t, used_c, index, t_ns, step)
        self._assign(self._second_look(candidates, used_t, used_c, t_ns), candidates,
                     used_t, used_c, index, t_ns, step)
        for ti, track in enumerate(self.tracks):
            if ti not in used_t:
                track.missed += 1
        for ci, cand in enumerate(candidates):
            if ci not in used_c:
                track = Track(id=self.next_id, x=cand.x, y=cand.y, first_t_ns=t_ns)
                self.next_id += 1
                self._hit(track, cand, index, t_ns, 0.0, step)
                self.tracks.append(track)
        alive = []
        for track in self.tracks:
            (alive if track.missed <= self.p.track_max_missed else self.finished).append(track)
        self.tracks = alive
        return [self._confirm(t, index, t_ns) for t in self.tracks
                if not t.confirmed and t.hits and t.hits[-1].index == index
                and t.score >= self.p.confirm_score and len(t.hits) >= self.p.confirm_min_hits]

    def _assign(self, pairs: list[tuple[float, int, int, float]], candidates: list[Candidate],
                used_t: set[int], used_c: set[int], index: int, t_ns: int,
                set_step: float) -> None:
        """Hit tracks with candidates from (distance, track, candidate, step) pairs,
        nearest first, each track and candidate once."""
        for _d, ti, ci, step in sorted(pairs):
            if ti in used_t or ci in used_c:
                continue
            used_t.add(ti)
            used_c.add(ci)
            self._hit(self.tracks[ti], candidates[ci], index, t_ns, step, set_step)

    def _second_look(self, candidates: list[Candidate], used_t: set[int], used_c: set[int],
                     t_ns: int) -> list[tuple[float, int, int, float]]:
        """(distance, track, candidate, step) of the unmatched tracks and candidates where
        a track's own velocity (its last two hits, no more than MAX_STEP_GAP_NS apart)
        puts it, within the gate."""
        pairs = []
        for ti, track in enumerate(self.tracks):
            if ti in used_t or len(track.hits) < 2:
                continue
            last, before = track.hits[-1], track.hits[-2]
            gap = last.t_ns - before.t_ns
            if not 0 < gap <= MAX_STEP_GAP_NS or t_ns - last.t_ns > MAX_STEP_GAP_NS:
                continue
            scale = (t_ns - last.t_ns) / gap
            dx = (last.candidate.x - before.candidate.x) * scale
            dy = (last.candidate.y - before.candidate.y) * scale
            x, y = last.candidate.x + dx, last.candidate.y + dy
            gate = self.gate * (1.0 + 0.5 * track.missed)
            for ci, cand in enumerate(candidates):
                d = math.hypot(cand.x - x, cand.y - y)
                if ci not in used_c and d <= gate:
                    pairs.append((d, ti, ci, math.hypot(dx, dy)))
        return pairs

    def _hit(self, track: Track, cand: Candidate, index: int, t_ns: int, step: float,
             set_step: float) -> None:
        """`step`: how far the track itself moved to this hit; `set_step`: how far the
        whole image moved since the last set (pixels)."""
        if not track.hits:
            track.sets = 1
        track.x, track.y = cand.x, cand.y
        track.missed = 0
        track.travel += step
        track.hits.append(Hit(index, t_ns, cand))
        # The set's motion as well as the track's own step: a new track's step is 0, and
        # a track found by its own step in a fast pan may have moved little itself.
        if cand.spread > 0 and max(step, set_step) <= self.still_px:
            track.spreads.append(cand.spread)
        if cand.clipped >= FLAT_TOP_PX:
            track.flat_top_ratios = sorted([*track.flat_top_ratios, cand.ratio])[:2]
        track.score = track.evidence(self.p)
        track.history.append((index, t_ns, cand.x, cand.y, track.score, len(track.hits)))

    def _confirm(self, track: Track, index: int, t_ns: int) -> LensAlert:
        track.confirmed = True
        features = summarise(track.hits, track.spreads, track.flat_top_ratios)
        return LensAlert(track_id=track.id, t_ns=t_ns, index=index, x=track.x, y=track.y,
                         score=track.score, hits=len(track.hits),
                         first_seen_t_ns=track.first_t_ns, features=features)

    def all_tracks(self) -> list[Track]:
        return self.finished + self.tracks
