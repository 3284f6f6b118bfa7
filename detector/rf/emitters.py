"""Telling 2.4 GHz Wi-Fi emitters apart, so that each is an alert of its own: a camera on
channel 11 is not folded into the alert of a phone on channel 1 (docs/rf.md, "One alert
per emitter").

Three things make one emitter look like several runs of hot channels, and one makes two
emitters look like one run; each has a rule here:
- *Pieces.* Packets hit parts of a 20 MHz run, so a sweep window can hold it as two
  runs a channel or three apart: runs that close are one emitter (`group_pieces`).
- *Skirts.* A loud emitter leaks into channels far from its own (the transmitter's
  spectral mask, the receiver's adjacent-channel rejection), and those channels read
  hot too: a run far weaker than the loudest run or channel is its skirt
  (`without_skirts`).
- *Neighbours.* Two emitters on neighbouring channels make one run twice a channel's
  width, with a deep valley between them: it is cut there (`split_at_valleys`).
- *Wandering.* A run's centre moves as packets hit different parts of it: a run
  continues the episode whose frequency it covers (`EpisodeKeys.follow`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import replace

import numpy as np

from detector.rf.records import Finding

WIFI_2G4 = "wifi-2g4"


def channel_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True channels."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[::2], edges[1::2], strict=True))


def split_at_valleys(runs: list[tuple[int, int]], levels: np.ndarray, widest: int,
                     valley_db: float) -> list[tuple[int, int]]:
    """Runs wider than `widest` channels cut at their deepest valley (the channel
    furthest below the lower of the loudest channels on either side of it) when that is
    `valley_db` or more: two emitters on neighbouring channels (a phone on channel 1, a
    camera on channel 6) whose runs touch. A single emitter's run is no wider than its
    channel, and its fading notches are shallower."""
    out: list[tuple[int, int]] = []
    todo = list(runs)
    while todo:
        start, end = todo.pop(0)
        if end - start > widest:
            run = levels[start:end]
            # Each channel's depth below the lower of the loudest channels either side.
            left = np.maximum.accumulate(run)[:-2]
            right = np.maximum.accumulate(run[::-1])[::-1][2:]
            depth = np.minimum(left, right) - run[1:-1]
            cut = start + 1 + int(np.argmax(depth))
            if depth.max() >= valley_db:
                todo[:0] = [(start, cut), (cut + 1, end)]
                continue
        out.append((start, end))
    return out


def group_pieces(runs: list[tuple[int, int]], gap: int) -> list[tuple[int, int]]:
    """[start, end) runs of channels, in order, with runs at most `gap` channels apart
    joined into one span."""
    out: list[tuple[int, int]] = []
    for start, end in runs:
        if out and start - out[-1][1] <= gap:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def without_skirts(findings: list[Finding], skirt_db: float,
                   loudest_channel_dbm: float = -math.inf) -> list[Finding]:
    """The findings no more than `skirt_db` below the loudest finding or the loudest
    channel of the window (by 90th percentile levels): the others may be its leakage,
    not emitters of their own. The loudest channel counts because an emitter the door
    already heard makes no run of its own, while its skirts can."""
    if not findings:
        return []
    loudest = max(max(f.level_dbm for f in findings), loudest_channel_dbm)
    return [f for f in findings if f.level_dbm >= loudest - skirt_db]


def run_key(finding: Finding) -> str:
    """The key of one emitter's run among a window's findings ("wifi-2g4@2437"), before
    `EpisodeKeys.follow` gives it its episode's."""
    return f"{WIFI_2G4}@{finding.freq_hz / 1e6:.0f}"


def is_run_key(key: str) -> bool:
    """Whether a window's finding is one emitter's run (`run_key`), not a band's one."""
    return key.startswith(f"{WIFI_2G4}@")


def band_of(key: str) -> str:
    """The band of a finding's or an episode's key ("wifi-2g4@3" is wifi-2g4)."""
    return key.split("@")[0]


class EpisodeKeys:
    """Gives each 2.4 GHz Wi-Fi emitter's finding (keyed by `run_key`) a key that stays
    the same while the emitter does ("wifi-2g4@1", "wifi-2g4@2", ...), and remembers the
    span of channels each was last heard on. A band's one finding (every other band,
    and 2.4 GHz Wi-Fi without `alert_per_emitter`) keeps its band as key."""

    def __init__(self, spacing_mhz: float) -> None:
        self.spacing_hz = spacing_mhz * 1e6
        self.count = 0
        self.spans: dict[str, tuple[float, float]] = {}  # key -> (low, high) Hz

    def _covers(self, span: tuple[float, float], episode: tuple[float, float]) -> bool:
        """Whether a run over `span` is the emitter of an episode last heard over
        `episode`: their centres within the spacing, or they share at least half of
        the narrower span."""
        centres = abs(sum(span) - sum(episode)) / 2
        shared = min(span[1], episode[1]) - max(span[0], episode[0])
        narrower = min(span[1] - span[0], episode[1] - episode[0])
        return centres <= self.spacing_hz or shared >= narrower / 2

    def follow(self, found: Mapping[str, Finding], alive: Iterable[str]) -> dict[str, Finding]:
        """`found` keyed by the episode each continues; `alive` are the keys of the
        pending and active episodes. A run continues the episodes it covers, or starts
        one of its own. A run that covers two (two emitters heard as one run) keeps both
        going, each at its own frequency and span; a second run over an episode that a
        stronger run continues is a piece of the same emitter and starts nothing."""
        alive = set(alive)
        self.spans = {key: span for key, span in self.spans.items() if key in alive}
        out = {key: f for key, f in found.items() if not is_run_key(key)}
        runs = sorted((f for key, f in found.items() if is_run_key(key)),
                      key=lambda f: -f.excess_db)
        heard: dict[str, tuple[float, float]] = {}  # the spans heard now, kept after
        for f in runs:
            half = f.evidence["width_mhz"] * 1e6 / 2
            span = (f.freq_hz - half, f.freq_hz + half)
            covered = [key for key, episode in self.spans.items() if self._covers(span, episode)]
            free = [key for key in covered if key not in out]
            if len(free) > 1:
                for key in free:
                    low, high = self.spans[key]
                    out[key] = replace(f, freq_hz=(low + high) / 2)
            elif free:
                out[free[0]] = f
                heard[free[0]] = span
            elif not covered:
                self.count += 1
                out[f"{WIFI_2G4}@{self.count}"] = f
                heard[f"{WIFI_2G4}@{self.count}"] = span
        self.spans.update(heard)
        return out
