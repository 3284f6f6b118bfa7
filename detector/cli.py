"""The `detector` command. Every user-facing failure is one line on stderr and a non-zero
exit code; a traceback means a bug."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from pathlib import Path

from detector.cli_args import parser as cli_parser
from detector.config import format_config, load_config
from detector.errors import DetectorError
from detector.progress import Progress
from detector.settings import OfficeSettings


def main(argv: list[str] | None = None) -> int:
    parser = cli_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return _dispatch(args, parser)
    except BrokenPipeError:
        # The reader went away (`detector scenarios | head -1`): stop quietly, and keep
        # Python from complaining about the closed pipe when it flushes at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except DetectorError as exc:
        print(f"detector: {exc}", file=sys.stderr)
        return exc.exit_code
    except sqlite3.DatabaseError as exc:  # a damaged logbook, found while reading it
        print(f"detector: the logbook's database is damaged ({exc}): `detector log verify` "
              f"names the damage, `detector log salvage` saves what survives", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("detector: interrupted", file=sys.stderr)
        return 130
    except EOFError:
        print("detector: this command asks the technician questions: run it on a terminal",
              file=sys.stderr)
        return 2


def _city(args: argparse.Namespace, config) -> int:
    """The city's server and an office's push to it (docs/server.md)."""
    if args.command == "server":
        from detector.server.commands import server_command

        return server_command(args)
    import os

    from detector.logbook.commands import office_dir
    from detector.push import push_command

    return push_command(office_dir(config, args.dir), args.url, args.token_file,
                        os.environ.get("DETECTOR_PUSH_TOKEN"), args.insecure_http)


def _dispatch(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    overrides = list(args.set)
    if args.command in ("sim", "sweep", "record") and args.display:
        overrides.append(f"sim.display={args.display}")
    config = load_config(args.config, overrides)
    if args.command == "config":
        if args.config_command != "show":
            parser.parse_args(["config", "--help"])
        print(format_config(config, ranges=args.ranges))
        return 0
    if args.command == "scenarios":
        return _scenarios(args)
    if args.command in ("sim", "sweep", "record"):
        return _sweep(args, config)
    if args.command in ("server", "push"):
        return _city(args, config)
    if args.command == "wifi":
        from detector.wifi.commands import classify_command, summary_command

        command = classify_command if args.wifi_command == "classify" else summary_command
        return command(args.file, args.json, motion_path=args.motion)
    if args.command == "eval":
        from detector.evaluation.commands import eval_command

        return eval_command(args.paths, config, json_path=args.json, seeds=args.seeds,
                            seed_offset=args.seed_offset, plots_dir=args.plots,
                            workers=args.jobs, check=args.check, rf_only=args.rf_only,
                            radio=args.radio, wifi_only=args.wifi_only)
    if args.command == "rf":
        from detector.rf.listen import listen

        return listen(config, args.port, args.seconds, args.baseline)
    if args.command == "calibrate":
        from detector.calibrate import calibrate_command

        return calibrate_command(config, args.steps, args.sim, args.out)
    if args.command == "selftest":
        from detector.calibrate import selftest_command

        return selftest_command(config, args.sim)
    if args.command == "doctor":
        from detector.doctor import doctor_command

        return doctor_command(config, args.sim, args.dir)
    if args.command in ("log", "pair", "sync", "export", "import", "report"):
        return _logbook(args, config)
    if args.command == "replay":
        from detector.evaluation.commands import replay_command

        return replay_command(args.directory, config, args.json)
    raise AssertionError(args.command)


def _logbook(args: argparse.Namespace, config) -> int:
    from detector.logbook import commands as C

    if args.command == "log":
        if args.action == "prune":
            import time

            with C.open_logbook(C.device_dir(config, args.dir), device=True) as book:
                deleted = book.prune_evidence(OfficeSettings.of(config).evidence_keep_days,
                                              time.time())
            print(f"deleted {deleted} evidence files the office holds")
            return 0
        if args.action == "note":
            return C.note_command(config, args.dir, args.inspection, args.text)
        if args.action == "salvage":
            from detector.logbook.salvage import salvage_command

            return salvage_command(C.office_dir(config, args.dir) if args.office
                                   else C.device_dir(config, args.dir), args.out)
        return C.log_command(config, args.dir, args.office, args.action, args.inspection,
                             args.json)
    if args.command == "pair":
        from detector.pairing import pair_command

        return pair_command(config, args.dir)
    if args.command == "sync":
        return C.sync_command(config, args.port, args.serve, args.pair, args.dir,
                              OfficeSettings.of(config).sync_timeout_s)
    if args.command == "export":
        from detector.logbook.export import export_logbook

        with C.open_logbook(C.device_dir(config, args.dir), device=True) as book:
            where = export_logbook(book, args.target)
        print(f"exported to {where}")
        return 0
    if args.command == "import":
        from detector.logbook.export import import_exports
        from detector.logbook.store import Logbook

        with Logbook(C.office_dir(config, args.dir)) as book:
            for folder, added in import_exports(book, args.source):
                print(f"{added} new records from {folder}")
        return 0
    from detector.logbook.report import build_report, parse_period, statistics, write_statistics

    directory = C.device_dir(config, args.dir) if args.device else C.office_dir(config,
                                                                                args.dir)
    damaged = (directory / C.DB_NAME).exists() and C.warn_if_damaged(directory)
    with C.open_logbook(directory, device=args.device) as book:
        period = parse_period(args.month, args.quarter)
        html = build_report(book, period)
        try:
            args.out.write_text(html, encoding="utf-8")
            if args.csv or args.json:
                write_statistics(statistics(book, period), args.csv, args.json)
        except OSError as exc:
            raise DetectorError(f"cannot write the report: {exc}") from None
    print(f"report: {args.out}" + (f", statistics: {args.csv or ''} {args.json or ''}"
                                   if args.csv or args.json else ""))
    return 1 if damaged else 0


def _scenarios(args: argparse.Namespace) -> int:
    from detector.errors import ScenarioError
    from detector.sim.scenario import bundled_scenarios, load_scenario

    if args.check is not None:
        paths = [Path(p) for p in args.check] or bundled_scenarios()
        bad = 0
        for path in paths:  # every file is checked and reported, not only up to a bad one
            try:
                scenario = load_scenario(path)
            except ScenarioError as exc:
                bad += 1
                print(f"bad {exc}")
                continue
            print(f"ok  {path}  ({scenario.name})")
        if bad:
            print(f"{bad} of {len(paths)} scenario files are malformed", file=sys.stderr)
        return 2 if bad else 0
    for path in bundled_scenarios():
        scenario = load_scenario(path)
        cams = len(scenario.cameras)
        print(f"{path.stem:<28} {cams} camera{'s' if cams != 1 else ' '}  "
              f"{scenario.total_s:5.1f} s  {_shorten(scenario.description, 60)}")
    return 0


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1].rstrip() + "…"


def _sweep(args: argparse.Namespace, config) -> int:
    from detector.sweep import SweepRequest, run_sweep

    scenario = args.scenario if args.command == "sim" else args.sim
    replay = getattr(args, "replay", None)
    if scenario is None and (args.fault or args.seconds or args.press):
        raise DetectorError("--fault, --seconds and --press need --sim SCENARIO")
    if scenario and replay:
        raise DetectorError("--sim and --replay: choose one")
    # Simulation options go to the sim backend as written; it parses and checks them.
    backend: dict = ({"scenario": scenario, "seconds": args.seconds, "presses": args.press,
                      "faults": args.fault} if scenario else {})
    if replay is not None:
        backend = {"recording": replay}
        config = config.with_values(backend={"camera": "replay"})
    out = args.out or (Path("sim-out") if scenario else None)
    record_dir = args.directory if args.command == "record" else args.record_dir
    progress = Progress()
    name = Path(scenario).stem if scenario else (replay.name if replay else "sweep")

    def report(t_s: float, loop) -> None:
        if not progress.due():  # called after every frame: build the line only when shown
            return
        of = f" of {args.seconds:g}" if args.seconds else ""
        alerts = len(loop.machine.fused_alerts)
        progress.show(f"{name}: {t_s:.1f}{of} s {'simulated' if scenario else 'swept'}, "
                      f"{progress.elapsed_s:.1f} s elapsed, {loop.figures.frames} frames, "
                      f"{alerts} alert{'s' if alerts != 1 else ''} so far")

    request = SweepRequest(
        backend=backend, out_dir=out, record_dir=record_dir, location_id=args.location,
        checkin=args.checkin,
        checklist_answer=None if args.checklist is None else args.checklist == "yes",
        progress=report)
    try:
        outcome = run_sweep(config, request)
    finally:
        progress.done()
    _print_outcome(outcome, config, out, record_dir)
    if outcome.unsaved_records:
        print(f"detector: {outcome.unsaved_records} inspection record(s) could not be stored "
              f"({outcome.log_error}); the result above is all that is left of them",
              file=sys.stderr)
        return 1
    return 0


def _print_outcome(outcome, config, out: Path | None, record_dir: Path | None) -> None:
    from detector.outcome_text import result_sentence, run_line
    from detector.settings import SimSettings

    ins = outcome.inspection
    fig = outcome.figures
    simulated = (outcome.end_ns - outcome.start_ns) / 1e9 if outcome.simulated else None
    print(run_line(ins.location_name or "no location", fig.frames, dict(fig.labels),
                   simulated, fig.wall_s, fig.dropped))
    cam = outcome.camera
    print(result_sentence(ins.result, ins.reasons, outcome.fused_alerts, outcome.lens_alerts,
                          outcome.start_ns, (cam.width, cam.height), cam.hfov_deg))
    print(f"coverage {ins.coverage:.0%}; peak alert level {outcome.peak_level.label}")
    for alert in outcome.fused_alerts:
        print(f"  alert {alert['id']}: {alert['level']} at "
              f"{(alert['t_ns'] - outcome.start_ns) / 1e9:.2f} s: {alert['reason']}"
              if outcome.simulated else
              f"  alert {alert['id']}: {alert['level']}: {alert['reason']}")
    for fault in ins.faults:
        print(f"  fault: {fault['fault']} for {(fault['to_ns'] - fault['from_ns']) / 1e9:.1f} s")
    if out is not None:
        if SimSettings.of(config).display == "capture" and fig.screens:
            print(f"display frames: {out / 'display'}/ ({fig.screens} screens), "
                  f"animation: {out / 'display.gif'}")
        print(f"event log: {out / 'events.jsonl'}; logbook: {out / 'logbook'} "
              f"(detector log --dir {out / 'logbook'})")
    if record_dir is not None:
        print(f"recorded session: {record_dir}/")


if __name__ == "__main__":
    sys.exit(main())
