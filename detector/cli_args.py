"""The command line's arguments: one function per group of commands."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from detector import __version__


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="detector",
                                description="Handheld hidden-camera detector.")
    p.add_argument("--version", action="version", version=f"detector {__version__}")
    p.add_argument("--config", type=Path, metavar="FILE",
                   help="configuration file (default: $DETECTOR_CONFIG or "
                        "~/.config/detector/config.toml if present)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override one configuration value, e.g. --set camera.fps=30")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    _sweep_commands(sub)
    _eval_commands(sub)
    _wifi_commands(sub)
    _server_commands(sub)
    _log_commands(sub)
    _office_commands(sub)
    _device_commands(sub)
    _checks_commands(sub)
    return p


def _sweep_commands(sub: Any) -> None:
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
    scen = sub.add_parser("scenarios", help="list the bundled scenario library")
    scen.add_argument("--check", nargs="*", metavar="FILE",
                      help="validate scenario files (all bundled ones if none given)")


def _server_commands(sub: Any) -> None:
    server = sub.add_parser("server", help="the city's inspection server on PostgreSQL "
                                           "(docs/server.md)")
    server.add_argument("action", choices=["migrate", "run", "add-district", "add-team",
                                           "add-location", "add-office", "add-device",
                                           "add-user", "check-evidence", "demo"])
    server.add_argument("name", nargs="?", default="", help="what to add")
    server.add_argument("--district", default="")
    server.add_argument("--title", default="", help="a location's name")
    server.add_argument("--risk", default="normal", help="a location's risk (the "
                                                          "schedule's key)")
    server.add_argument("--office", default="")
    server.add_argument("--key", default="", help="a device's public key (hex)")
    server.add_argument("--logbook", default="", help="an office logbook: add its devices")
    server.add_argument("--role", default="inspector",
                        choices=["inspector", "supervisor", "auditor", "administrator"])
    server.add_argument("--team", default="")
    server.add_argument("--password-file", default="")
    server.add_argument("--host", default="127.0.0.1")
    server.add_argument("--port", type=int, default=8000)
    push = sub.add_parser("push", help="send the office logbook to the city's server")
    push.add_argument("url", metavar="URL", help="https://server/")
    push.add_argument("--dir", type=Path, default=None, metavar="DIR",
                      help="the office logbook (default: the configured one)")
    push.add_argument("--token-file", type=Path, default=None, metavar="FILE")
    push.add_argument("--insecure-http", action="store_true",
                      help="allow http:// (a server on this machine only)")


def _wifi_commands(sub: Any) -> None:
    wifi = sub.add_parser("wifi", help="Wi-Fi traffic in a capture file (pcap or pcapng "
                                       "with radiotap; headers only) or a CSV series")
    actions = wifi.add_subparsers(dest="wifi_command", metavar="ACTION", required=True)
    summary = actions.add_parser("summary", help="every device with its traffic "
                                                 "features, most sent first")
    summary.add_argument("file", type=Path, metavar="FILE")
    summary.add_argument("--json", type=Path, metavar="FILE",
                         help="also write the features as JSON")
    summary.add_argument("--motion", type=Path, metavar="FILE",
                         help="the observer's motion (CSV: t_s,motion): does each "
                              "transmitter's uplink follow it?")
    classify = actions.add_parser("classify", help="each transmitter's class (camera, "
                                                   "phone, laptop...), score and evidence")
    classify.add_argument("file", type=Path, metavar="FILE",
                          help="a capture (pcap/pcapng) or a CSV series (t_s,bytes[,id,"
                               "direction,rssi_dbm])")
    classify.add_argument("--json", type=Path, metavar="FILE",
                          help="also write the verdicts as JSON")
    classify.add_argument("--motion", type=Path, metavar="FILE",
                          help="the observer's motion (CSV: t_s,motion) for the motion test")


def _eval_commands(sub: Any) -> None:
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
    ev.add_argument("--wifi-only", action="store_true",
                    help="simulate only the Wi-Fi side of each scenario: the adapter, the "
                         "traffic analysis and the motion test (docs/wifi.md)")
    ev.add_argument("--radio", default="", metavar="CONDITION",
                    help="with --rf-only: radio conditions to run under, e.g. "
                         "scans=4,offset_db=10 (scans, packet_us, occupancy, offset_db, "
                         "uncalibrated, no_wifi; docs/rf.md)")

    rp = sub.add_parser("replay", help="run lens detection on a recorded session and print "
                                       "the alerts")
    rp.add_argument("directory", type=Path, metavar="DIR")
    rp.add_argument("--json", type=Path, metavar="FILE", help="also write the alerts as JSON")



def _device_commands(sub: Any) -> None:
    rf = sub.add_parser("rf", help="listen to the RF scanner: readings, counters, RF alerts")
    rf.add_argument("--port", metavar="URL",
                    help="pyserial URL of the scanner (default from rf.port), e.g. "
                         "/dev/rfscanner or rfsim://?scenario=wifi-camera-stall")
    rf.add_argument("--seconds", type=float, default=10.0, help="how long to listen")
    rf.add_argument("--baseline", type=float, default=None, metavar="S",
                    help="seconds of baseline before alerts (default rf.baseline_s)")



def _log_commands(sub: Any) -> None:
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



def _office_commands(sub: Any) -> None:
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

    cfg = sub.add_parser("config", help="configuration")
    cfg_sub = cfg.add_subparsers(dest="config_command", metavar="ACTION")
    show = cfg_sub.add_parser("show", help="print the effective configuration and its sources")
    show.add_argument("--ranges", action="store_true",
                      help="also print the range or the choices of every setting")


def _checks_commands(sub: Any) -> None:
    doctor = sub.add_parser("doctor", help="check the device: camera, lights, display, "
                                           "buzzer, buttons, scanner, clock, disk, keys")
    doctor.add_argument("--sim", metavar="SCENARIO",
                        help="check simulated parts instead (training, development)")
    doctor.add_argument("--dir", type=Path, help="logbook directory (default: the device's)")

    cal = sub.add_parser("calibrate", help="calibrate the focus, the camera, the light "
                                           "balance and the RF receivers; writes a "
                                           "calibration profile")
    cal.add_argument("steps", nargs="*", choices=("focus", "camera", "lights", "rf", []),
                     metavar="STEP", help="focus, camera, lights, rf (default: all four)")
    cal.add_argument("--sim", action="store_true", help="on the simulated bench")
    cal.add_argument("--out", type=Path, help="profile directory (default: the logbook's "
                                              "calibration/)")

    st = sub.add_parser("selftest", help="morning self-test against the reference target")
    st.add_argument("--sim", action="store_true", help="on the simulated bench")



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
