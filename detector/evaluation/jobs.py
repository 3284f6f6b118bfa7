"""What `detector eval` runs: PATH arguments expanded into sweeps, run in worker
processes, with a progress bar on stderr."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from detector.config import Config
from detector.errors import DetectorError
from detector.evaluation.conditions import RadioCondition
from detector.evaluation.runs import (
    SweepRun,
    run_recording,
    run_rf_only,
    run_scenario,
    run_wifi_only,
)
from detector.progress import Progress as LineProgress
from detector.sim.scenario import bundled_scenarios, load_scenario


@dataclass(frozen=True)
class Job:
    kind: str  # "scenario", "scenario-rf" (radio only) or "recording"
    path: str
    seed: int | None = None
    label: str = ""
    radio: str = ""  # RadioCondition text for radio-only runs


def expand(paths: list[str], seeds: int, rf_only: bool = False,
           seed_offset: int = 0, radio: str = "", wifi_only: bool = False) -> list[Job]:
    """Scenario files, directories of scenarios and recorded sessions into jobs; no PATH
    means the bundled library. Each scenario runs with its own seed and seeds-1 more, all
    shifted by seed_offset (seeds held out from tuning)."""
    if seeds < 1:
        raise DetectorError("--seeds: expected at least 1")
    if seed_offset < 0:
        raise DetectorError("--seed-offset: expected 0 or more")
    files: list[tuple[str, str]] = []
    for text in paths or [str(p) for p in bundled_scenarios()]:
        path = Path(text)
        if path.is_dir() and (path / "session.json").is_file():
            files.append(("recording", str(path)))
        elif path.is_dir():
            found = sorted(path.glob("*.toml"))
            if not found:
                raise DetectorError(f"{path}: no scenario files (*.toml) and no recorded "
                                    "session (session.json) in this directory")
            files.extend(("scenario", str(p)) for p in found)
        elif path.is_file() or not path.suffix:
            files.append(("scenario", text))  # a file, or the name of a bundled scenario
        else:
            raise DetectorError(f"{path}: no such file or directory")
    jobs = []
    for kind, path in files:
        if kind == "recording":
            jobs.append(Job(kind, path, None, Path(path).name))
            continue
        scenario = load_scenario(path)  # validates before any worker starts
        kind = "scenario-rf" if rf_only else "scenario-wifi" if wifi_only else kind
        jobs.extend(Job(kind, path, scenario.seed + seed_offset + k, scenario.name, radio)
                    for k in range(seeds))
    return jobs


def _run(job: Job, config: Config) -> SweepRun:
    import cv2

    cv2.setNumThreads(1)
    if job.kind == "recording":
        return run_recording(job.path, config)
    if job.kind == "scenario-rf":
        condition = RadioCondition.parse(job.radio)
        return run_rf_only(load_scenario(job.path), seed=job.seed, world=condition.world,
                           offset_db=condition.offset_db, calibrated=condition.calibrated,
                           wifi=condition.wifi, config=config)
    if job.kind == "scenario-wifi":
        return run_wifi_only(load_scenario(job.path), seed=job.seed)
    return run_scenario(load_scenario(job.path), config, seed=job.seed)


class Progress:
    """One progress line on a terminal (sweeps done, elapsed and left, frames and alerts
    so far); nothing when stderr is a pipe or a file."""

    def __init__(self, total: int, stream=None, enabled: bool | None = None) -> None:
        self.total, self.done = total, 0
        self.frames = self.alerts = 0
        self.line = LineProgress(stream, enabled)

    def step(self, label: str, run: SweepRun | None = None) -> None:
        self.done += 1
        if run is not None:
            self.frames += run.frames
            self.alerts += len(run.alerts) + len(run.rf_alerts)
        elapsed = self.line.elapsed_s
        left = elapsed / self.done * (self.total - self.done)
        filled = int(30 * self.done / self.total)
        self.line.show(f"[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} "
                       f"sweeps, {elapsed:.0f} s elapsed, ~{left:.0f} s left, "
                       f"{self.frames} frames, {self.alerts} alerts so far  {label[:24]}",
                       force=True)
        if self.done == self.total:
            self.line.done()


def run_jobs(jobs: list[Job], config: Config, workers: int,
             progress: Progress | None = None) -> list[SweepRun]:
    """Run every job; results come back in job order."""
    results: dict[int, SweepRun] = {}
    if workers <= 1 or len(jobs) <= 1:
        for i, job in enumerate(jobs):
            results[i] = _run(job, config)
            if progress:
                progress.step(job.label, results[i])
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(_run, job, config): i for i, job in enumerate(jobs)}
            for future in as_completed(futures):
                i = futures[future]
                results[i] = future.result()
                if progress:
                    progress.step(jobs[i].label, results[i])
    return [results[i] for i in range(len(jobs))]


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 4))
