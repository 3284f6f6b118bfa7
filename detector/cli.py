"""The `detector` command. Every user-facing failure is one line on stderr and a non-zero
exit code; a traceback means a bug."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from pathlib import Path

from detector import __version__
from detector.config import format_config, load_config
from detector.errors import DetectorError
from detector.progress import Progress


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="detector",
                                description="Handheld hidden-camera detector.")
    p.add_argument("--version", action="version", version=f"detector {__version__}")
    p.add_argument("--config", type=Path, metavar="FILE",
                   help="configuration file (default: $DETECTOR_CONFIG or "
                        "~/.config/detector/config.toml if present)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override one configuration value, e.g. --set camera.fps=30")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    sweep = sub.add_parser("sweep", help="run one inspection sweep: on the device, or "
                                         "simulated with --sim SCENARIO")
    _sweep_arguments(sweep)
    record = sub.add_parser("record", help="sweep and write a recorded session to DIR")
    record.add_argument("directory", type=Path, metavar="DIR",
                        help="new directory for the recorded session")
    _sweep_arguments(record)
    sim = sub.add_parser("sim", help="simulate a sweep of a scenario (same as sweep --sim)")
    sim.add_argument("scenario", help="scenario file, or the name of a bundled scenario")
    _sweep_arguments(sim, with_sim=False)

    ev = sub.add_parser("eval", help="run lens detection on scenarios or recordings and "
                                     "score it against ground truth")
    ev.add_argument("paths", nargs="*", metavar="PATH",
                    help="scenario file or bundled name, directory of scenarios, or recorded "
                         "session (default: the bundled library)")
    ev.add_argument("--json", type=Path, metavar="FILE", help="write the results as JSON")
    ev.add_argument("--seeds", type=int, default=1, metavar="N",
                    help="run each scenario with N seeds (its own and the next N-1)")
    ev.add_argument("--seed-offset", type=int, default=0, metavar="K",
                    help="start K seeds after each scenario's own (a held-out set of "
                         "seeds: --seeds 40 --seed-offset 40)")
    ev.add_argument("--plots", type=Path, metavar="DIR",
                    help="where the PNG plots go (default: beside --json, else eval-out)")
    ev.add_argument("--jobs", type=int, metavar="N",
                    help="worker processes (default: number of cores, at most 4)")
    ev.add_argument("--check", action="store_true",
                    help="exit 1 when a target is missed")
    ev.add_argument("--rf-only", action="store_true",
                    help="simulate only the radio side of each scenario (seconds, not minutes)")
    ev.add_argument("--radio", default="", metavar="CONDITION",
                    help="with --rf-only: radio conditions to run under, e.g. "
                         "scans=4,offset_db=10 (scans, packet_us, occupancy, offset_db, "
                         "uncalibrated; docs/rf.md)")

    rp = sub.add_parser("replay", help="run lens detection on a recorded session and print "
                                       "the alerts")
    rp.add_argument("directory", type=Path, metavar="DIR")
    rp.add_argument("--json", type=Path, metavar="FILE", help="also write the alerts as JSON")

    rf = sub.add_parser("rf", help="listen to the RF scanner: readings, counters, RF alerts")
    rf.add_argument("--port", metavar="URL",
                    help="pyserial URL of the scanner (default from rf.port), e.g. "
                         "/dev/rfscanner or rfsim://?scenario=wifi-camera-stall")
    rf.add_argument("--seconds", type=float, default=10.0, help="how long to listen")
    rf.add_argument("--baseline", type=float, default=None, metavar="S",
                    help="seconds of baseline before alerts (default rf.baseline_s)")

    log = sub.add_parser("log", help="the inspection logbook: list, show, verify, salvage, "
                                     "prune, note")
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--dir", type=Path, default=argparse.SUPPRESS,
                       help="logbook directory (default: the device's, inspection.log_dir)")
    where.add_argument("--office", action="store_true", default=argparse.SUPPRESS,
                       help="the office's logbook of all devices (office.dir)")
    log.add_argument("--dir", type=Path, help="logbook directory (default: the device's, "
                                              "inspection.log_dir)")
    log.add_argument("--office", action="store_true",
                     help="the office's logbook of all devices (office.dir)")
    log.set_defaults(action="list", inspection=None, text=None, json=False)
    actions = log.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("list", parents=[where], help="one line per inspection, from the "
                                                     "signed records, verified or not")
    show = actions.add_parser("show", parents=[where], help="one inspection and its records")
    show.add_argument("inspection", metavar="ID", help="the inspection's id (or its start)")
    show.add_argument("--json", action="store_true", help="the records as JSON")
    actions.add_parser("verify", parents=[where],
                       help="check the database, every chain, signature and index row, and "
                            "every evidence file; exit 1 naming what is wrong")
    salvage = actions.add_parser("salvage", parents=[where],
                                 help="copy every record and evidence file that still "
                                      "verifies from a damaged logbook into a new one")
    salvage.add_argument("--out", type=Path, required=True, metavar="DIR",
                         help="new logbook directory for what survived")
    actions.add_parser("prune", parents=[where],
                       help="device: delete evidence files the office acknowledged long ago")
    note = actions.add_parser("note", parents=[where],
                              help="device: add a signed note to an inspection")
    note.add_argument("inspection", metavar="ID", help="the inspection's id (or its start)")
    note.add_argument("text", help="the note")

    pair = sub.add_parser("pair", help="device: show a pairing code for the office laptop")
    pair.add_argument("--dir", type=Path, help="logbook directory")

    sync = sub.add_parser("sync", help="office: fetch a device's records over USB serial; "
                                       "device: --serve them")
    sync.add_argument("--port", metavar="URL", help="pyserial URL (default office.port, or "
                                                    "office.device_port with --serve)")
    sync.add_argument("--serve", action="store_true", help="device side: serve the logbook")
    sync.add_argument("--pair", metavar="CODE", help="pair with the device first, with the "
                                                     "code on its screen")
    sync.add_argument("--dir", type=Path, help="logbook directory (office or device)")

    export = sub.add_parser("export", help="device: export the logbook to a directory "
                                           "(a USB drive)")
    export.add_argument("target", type=Path)
    export.add_argument("--dir", type=Path, help="logbook directory")

    imp = sub.add_parser("import", help="office: add a USB drive's exports (the drive's folder "
                                        "or one detector-export-* folder) to the office logbook")
    imp.add_argument("source", type=Path)
    imp.add_argument("--dir", type=Path, help="office logbook directory")

    report = sub.add_parser("report", help="HTML report of inspections, and statistics")
    report.add_argument("--out", type=Path, default=Path("report.html"))
    report.add_argument("--month", help="YYYY-MM")
    report.add_argument("--quarter", help="YYYYQn, e.g. 2026Q4")
    report.add_argument("--csv", type=Path, help="also write the period's statistics as CSV")
    report.add_argument("--json", type=Path, help="also write the period's statistics as "
                                                  "JSON")
    report.add_argument("--dir", type=Path, help="logbook directory")
    report.add_argument("--device", action="store_true",
                        help="report from the device's logbook (default: the office's)")

    doctor = sub.add_parser("doctor", help="check the device: camera, lights, display, "
                                           "buzzer, buttons, scanner, clock, disk, keys")
    doctor.add_argument("--sim", metavar="SCENARIO",
                        help="check simulated parts instead (training, development)")
    doctor.add_argument("--dir", type=Path, help="logbook directory (default: the device's)")

    cal = sub.add_parser("calibrate", help="calibrate the camera, the light balance and the "
                                           "RF receivers; writes a calibration profile")
    cal.add_argument("steps", nargs="*", choices=("camera", "lights", "rf", []),
                     metavar="STEP", help="camera, lights, rf (default: all three)")
    cal.add_argument("--sim", action="store_true", help="on the simulated bench")
    cal.add_argument("--out", type=Path, help="profile directory (default: the logbook's "
                                              "calibration/)")

    st = sub.add_parser("selftest", help="morning self-test against the reference target")
    st.add_argument("--sim", action="store_true", help="on the simulated bench")

    cfg = sub.add_parser("config", help="configuration")
    cfg_sub = cfg.add_subparsers(dest="config_command", metavar="ACTION")
    show = cfg_sub.add_parser("show", help="print the effective configuration and its sources")
    show.add_argument("--ranges", action="store_true",
                      help="also print the range or the choices of every setting")

    scen = sub.add_parser("scenarios", help="list the bundled scenario library")
    scen.add_argument("--check", nargs="*", metavar="FILE",
                      help="validate scenario files (all bundled ones if none given)")
    return p


def _sweep_arguments(p: argparse.ArgumentParser, with_sim: bool = True) -> None:
    if with_sim:
        p.add_argument("--sim", metavar="SCENARIO",
                       help="simulate: scenario file or the name of a bundled scenario")
        p.add_argument("--replay", type=Path, metavar="DIR",
                       help="sweep a recorded session again, through the same loop")
    p.add_argument("--out", type=Path, default=None,
                   help="where display frames, the GIF, the event log, finding snapshots "
                        "and the records go (default: sim-out in simulation)")
    p.add_argument("--record", type=Path, metavar="DIR", dest="record_dir",
                   help="also write a recorded session (frames, RF, truth) to DIR")
    p.add_argument("--seconds", type=float, help="simulate only the first N seconds")
    p.add_argument("--display", choices=("capture", "window", "none"),
                   help="simulated display (default from sim.display)")
    p.add_argument("--press", action="append", default=[], metavar="T:BUTTON",
                   help="scripted button press at simulated second T, e.g. 12.5:mark, "
                        "20:up-long")
    p.add_argument("--location", metavar="ID", help="check in at this location id")
    p.add_argument("--checkin", action="store_true",
                   help="simulation: start on the check-in screen (default: check in "
                        "automatically)")
    p.add_argument("--checklist", choices=("yes", "no"),
                   help="answer every checklist item (simulation and training)")
    p.add_argument("--fault", action="append", default=[], metavar="T:KIND:S",
                   help="simulation: inject a fault, e.g. 20:camera-stall:3 or "
                        "30:rf-unplug:5")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
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
    if args.command == "eval":
        from detector.evaluation.commands import eval_command

        return eval_command(args.paths, config, json_path=args.json, seeds=args.seeds,
                            seed_offset=args.seed_offset, plots_dir=args.plots,
                            workers=args.jobs, check=args.check, rf_only=args.rf_only,
                            radio=args.radio)
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
                deleted = book.prune_evidence(config.get("office.evidence_keep_days"),
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
                              config.get("office.sync_timeout_s"))
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
