"""Lens detection: frame sets, alignment, candidates, tracking and confirmed alerts."""

from detector.optics.candidates import Candidate, FrameError, find_candidates
from detector.optics.framesets import FrameSet, FrameSetBuilder
from detector.optics.params import LensParams
from detector.optics.pipeline import LensDetector, SetResult
from detector.optics.tracking import LensAlert

__all__ = ["Candidate", "FrameError", "FrameSet", "FrameSetBuilder", "LensAlert",
           "LensDetector", "LensParams", "SetResult", "find_candidates"]
