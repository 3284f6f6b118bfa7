"""The `detector eval` and `detector replay` commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from detector.config import Config
from detector.errors import DetectorError
from detector.evaluation.conditions import RadioCondition
from detector.evaluation.jobs import Progress, default_workers, expand, run_jobs
from detector.evaluation.plots import write_plots
from detector.evaluation.report import evaluate, format_table
from detector.evaluation.runs import run_recording
from detector.evaluation.scoring import alerts_at, score_run
from detector.optics.params import LensParams
from detector.recording import WIFI_CAPTURE


def _write_json(path: Path, data: object) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        raise DetectorError(f"cannot write {path}: {exc.strerror or exc}") from None


def eval_command(paths: list[str], config: Config, *, json_path: Path | None, seeds: int,
                 plots_dir: Path | None, workers: int | None, check: bool,
                 rf_only: bool = False, seed_offset: int = 0, radio: str = "",
                 wifi_only: bool = False) -> int:
    if radio and not rf_only:
        raise DetectorError("--radio: only with --rf-only")
    if rf_only and wifi_only:
        raise DetectorError("--rf-only and --wifi-only: choose one")
    RadioCondition.parse(radio)  # a bad condition fails before any run starts
    jobs = expand(paths, seeds, rf_only, seed_offset, radio, wifi_only)
    lens = LensParams.of(config)
    progress = Progress(len(jobs)) if len(jobs) > 1 else None
    runs = run_jobs(jobs, config, workers or default_workers(), progress)
    result = evaluate(runs, lens.confirm_score, lens.confirm_min_hits,
                      lens=not (rf_only or wifi_only), rf=not wifi_only)
    print(format_table(result))
    if json_path is not None:
        _write_json(json_path, result)
        print(f"results: {json_path}")
    if rf_only or wifi_only:
        return 1 if check and not all(v is not False for v in result["targets"].values()) else 0
    out = plots_dir or (json_path.parent if json_path is not None else Path("eval-out"))
    try:
        plots = write_plots(result, out)
    except OSError as exc:
        raise DetectorError(f"cannot write plots to {out}: {exc.strerror or exc}") from None
    print("plots: " + ", ".join(str(p) for p in plots))
    if check and not all(v is not False for v in result["targets"].values()):
        print("detector: targets missed", file=sys.stderr)
        return 1
    return 0


def replay_command(directory: Path, config: Config, json_path: Path | None) -> int:
    run = run_recording(directory, config)
    alerts = run.alerts
    start = min(run.frame_t_ns.values(), default=0)
    print(f"{run.name}: {run.frames} frames, {run.sets} frame sets, "
          f"{run.mixed_dropped} mixed frames dropped, {len(alerts)} lens alert"
          f"{'s' if len(alerts) != 1 else ''}")
    for a in alerts:
        f = a["features"]
        print(f"  {(a['t_ns'] - start) / 1e9:7.2f} s  frame {a['frame']:<6} track {a['track']:<4} "
              f"x {a['x']:7.1f}  y {a['y']:6.1f}  score {a['score']:.2f}  hits {a['hits']:<3} "
              f"contrast {f['contrast']:g}  ratio {f['ratio']:g}  area {f['area']}")
    cams = run.truth.get("cameras", [])
    if cams:
        lens = LensParams.of(config)
        score = score_run(run, alerts_at(run, lens.confirm_score, lens.confirm_min_hits))
        for c in score.cameras:
            state = ("not exposed" if not c.exposed else
                     f"detected after {c.time_to_alert_s:.2f} s" if c.detected else "MISSED")
            print(f"  truth: {c.id}: {state}")
        print(f"  truth: {len(score.false_alerts)} false alert"
              f"{'s' if len(score.false_alerts) != 1 else ''}")
    for a in run.rf_alerts:
        print(f"  RF {(a['start_ns'] - start) / 1e9:7.2f} s  {a['band']:<11} {a['kind']}, "
              f"{a['level_dbm']:g} dBm ({a['excess_db']:+.1f} dB)")
    capture = Path(directory) / WIFI_CAPTURE
    if capture.is_file():  # the Wi-Fi traffic heard during the session (docs/wifi.md)
        from detector.wifi.commands import classify_command

        classify_command(capture, None)
    if json_path is not None:
        _write_json(json_path, {"name": run.name, "frames": run.frames, "sets": run.sets,
                                "alerts": alerts})
    return 0
