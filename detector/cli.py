"""The `detector` command. Every user-facing failure is one line on stderr and a non-zero
exit code; a traceback means a bug."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from detector import __version__
from detector.config import format_config, load_config
from detector.errors import DetectorError


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

    sim = sub.add_parser("sim", help="simulate a sweep of a scenario")
    sim.add_argument("scenario", help="scenario file, or the name of a bundled scenario")
    sim.add_argument("--out", type=Path, default=Path("sim-out"),
                     help="where display frames, the GIF and the event log go "
                          "(default: sim-out)")
    sim.add_argument("--record", type=Path, metavar="DIR",
                     help="also write a recorded session (frames, truth) to DIR")
    sim.add_argument("--seconds", type=float, help="simulate only the first N seconds")
    sim.add_argument("--display", choices=("capture", "window", "none"),
                     help="simulated display (default from sim.display)")
    sim.add_argument("--press", action="append", default=[], metavar="T:BUTTON",
                     help="scripted button press, e.g. 12.5:select or 20:up-long")

    ev = sub.add_parser("eval", help="run lens detection on scenarios or recordings and "
                                     "score it against ground truth")
    ev.add_argument("paths", nargs="*", metavar="PATH",
                    help="scenario file or bundled name, directory of scenarios, or recorded "
                         "session (default: the bundled library)")
    ev.add_argument("--json", type=Path, metavar="FILE", help="write the results as JSON")
    ev.add_argument("--seeds", type=int, default=1, metavar="N",
                    help="run each scenario with N seeds (its own and the next N-1)")
    ev.add_argument("--plots", type=Path, metavar="DIR",
                    help="where the PNG plots go (default: beside --json, else eval-out)")
    ev.add_argument("--jobs", type=int, metavar="N",
                    help="worker processes (default: number of cores, at most 4)")
    ev.add_argument("--check", action="store_true",
                    help="exit 1 when a target is missed")
    ev.add_argument("--rf-only", action="store_true",
                    help="simulate only the radio side of each scenario (seconds, not minutes)")

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

    cfg = sub.add_parser("config", help="configuration")
    cfg_sub = cfg.add_subparsers(dest="config_command", metavar="ACTION")
    cfg_sub.add_parser("show", help="print the effective configuration and its sources")

    scen = sub.add_parser("scenarios", help="list the bundled scenario library")
    scen.add_argument("--check", nargs="*", metavar="FILE",
                      help="validate scenario files (all bundled ones if none given)")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return _dispatch(args, parser)
    except DetectorError as exc:
        print(f"detector: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("detector: interrupted", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    overrides = list(args.set)
    if args.command == "sim" and args.display:
        overrides.append(f"sim.display={args.display}")
    config = load_config(args.config, overrides)
    if args.command == "config":
        if args.config_command != "show":
            parser.parse_args(["config", "--help"])
        print(format_config(config))
        return 0
    if args.command == "scenarios":
        return _scenarios(args)
    if args.command == "sim":
        return _sim(args, config)
    if args.command == "eval":
        from detector.evaluation.commands import eval_command

        return eval_command(args.paths, config, json_path=args.json, seeds=args.seeds,
                            plots_dir=args.plots, workers=args.jobs, check=args.check,
                            rf_only=args.rf_only)
    if args.command == "rf":
        from detector.rf.listen import listen

        return listen(config, args.port, args.seconds, args.baseline)
    if args.command == "replay":
        from detector.evaluation.commands import replay_command

        return replay_command(args.directory, config, args.json)
    raise AssertionError(args.command)


def _scenarios(args: argparse.Namespace) -> int:
    from detector.sim.scenario import bundled_scenarios, load_scenario

    if args.check is not None:
        paths = [Path(p) for p in args.check] or bundled_scenarios()
        for path in paths:
            scenario = load_scenario(path)
            print(f"ok  {path}  ({scenario.name})")
        return 0
    for path in bundled_scenarios():
        scenario = load_scenario(path)
        cams = len(scenario.cameras)
        print(f"{path.stem:<28} {cams} camera{'s' if cams != 1 else ' '}  "
              f"{scenario.total_s:5.1f} s  {scenario.description[:60]}")
    return 0


def _sim(args: argparse.Namespace, config) -> int:
    from detector.hw.sim.devices import parse_press
    from detector.sim.scenario import load_scenario
    from detector.simulate import run_sim

    scenario = load_scenario(args.scenario)
    try:
        presses = [parse_press(text) for text in args.press]
    except ValueError as exc:
        raise DetectorError(str(exc)) from None
    if args.seconds is not None and args.seconds <= 0:
        raise DetectorError("--seconds: expected a positive number")
    summary = run_sim(config, scenario, out_dir=args.out, record_dir=args.record,
                      seconds=args.seconds, presses=presses)
    labels = ", ".join(f"{k} {v}" for k, v in sorted(summary.labels.items()))
    print(f"{scenario.name}: {summary.frames} frames ({labels}) rendered in "
          f"{summary.wall_s:.1f} s ({summary.fps:.0f} frames/s)")
    if config.get("sim.display") == "capture":
        print(f"display frames: {args.out / 'display'}/ ({summary.screens} screens), "
              f"animation: {args.out / 'display.gif'}")
    for elapsed, alert in summary.lens_alerts:
        print(f"lens alert: {elapsed:.2f} s, track {alert.track_id}, at "
              f"({alert.x:.0f}, {alert.y:.0f}) px, score {alert.score:.2f}")
    for elapsed, alert in summary.rf_alerts:
        print(f"RF alert: {elapsed:.2f} s, {alert.band} ({alert.kind}), "
              f"{alert.level_dbm:.0f} dBm")
    print(f"event log: {args.out / 'events.jsonl'}")
    if args.record is not None:
        print(f"recorded session: {args.record}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
