"""`detector log`, `detector pair`, `detector sync`, `detector export`: the logbook from
the command line. Failures are one line (DetectorError), never a traceback."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

from detector.config import Config, log_dir
from detector.errors import DetectorError, LogbookError
from detector.logbook.damage import damage
from detector.logbook.store import DB_NAME, Logbook
from detector.logbook.summaries import InspectionSummary, read_inspections, verify_summaries
from detector.settings import OfficeSettings


def device_dir(config: Config, given: Path | None) -> Path:
    return given or log_dir(config)


def office_dir(config: Config, given: Path | None) -> Path:
    if given is not None:
        return given
    configured = OfficeSettings.of(config).dir
    if configured:
        return Path(os.path.expanduser(configured))
    return Path.home() / ".local" / "share" / "detector-office"


def warn_if_damaged(directory: Path) -> bool:
    """For commands that only read: one line on stderr if the database is damaged (they
    go on and show what can still be read, and exit 1)."""
    found = damage(directory / DB_NAME, quick=True)
    if found is not None:
        print(f"detector: {directory / DB_NAME}: DAMAGED: {found}; only what can still be "
              f"read is shown (`detector log salvage` saves it)", file=sys.stderr)
    return found is not None


def open_logbook(directory: Path, device: bool) -> Logbook:
    if not (directory / DB_NAME).exists():
        raise LogbookError(f"{directory}: no logbook here ({DB_NAME} is missing)")
    return Logbook.on_device(directory) if device else Logbook(directory)


def log_command(config: Config, directory: Path | None, office: bool, action: str,
                inspection: str | None, as_json: bool = False) -> int:
    where = office_dir(config, directory) if office else device_dir(config, directory)
    if action == "verify":
        found = damage(where / DB_NAME) if (where / DB_NAME).exists() else None
        if found is not None:
            print(f"{where / DB_NAME}: DAMAGED: {found}; `detector log salvage --dir {where} "
                  f"--out NEW_DIR` copies every record and evidence file that still verifies")
            return 1
    damaged = False if action == "verify" or not (where / DB_NAME).exists() else (
        warn_if_damaged(where))
    book = open_logbook(where, device=not office)
    try:
        if action == "verify":
            return _verify(book, office)
        if action == "show":
            shown = show_inspection(book, inspection)
            print(json.dumps(shown, indent=2, sort_keys=True) if as_json
                  else format_inspection(shown))
            return 1 if damaged else 0
        _list(book)
        return 1 if damaged else 0
    finally:
        book.close()


def format_inspection(shown: dict[str, Any]) -> str:
    """`log show` for a person: the inspection, then one line per record."""
    records = shown["records"]
    start = next((r for r in records if r["kind"] == "inspection-start"), {})
    end = next((r for r in records if r["kind"] == "inspection"), {})
    verdict = "VERIFIED" if shown["verified"] else "NOT VERIFIED"
    lines = [f"inspection {shown['inspection']} (device {shown['device']})",
             f"  {verdict}: {shown['verification']}",
             f"  location   {start.get('location_name') or '-'} "
             f"({start.get('location') or 'no id'}), room type {start.get('room_type', '-')}",
             f"  inspector  {start.get('inspector') or '-'}"
             + (f", team {start['team']}" if start.get("team") else ""),
             f"  started    {start.get('started', '-')}",
             f"  ended      {end.get('ended', 'not closed')}"]
    if end:
        coverage = end.get("coverage")
        lines.append(f"  result     {str(end.get('result', '-')).upper()}: "
                     + "; ".join(end.get("reasons", [])))
        lines.append("  coverage   " + ("-" if coverage is None else f"{coverage:.0%}"))
        for item, answer in (end.get("checklist") or {}).items():
            lines.append(f"  checklist  {item}: {dict([(True, 'yes'), (False, 'no')]).get(answer, '-')}")
    lines.append("  records:")
    for r in records:
        files = len(r.get("evidence_files", []))
        detail = {
            "alert": lambda r: f"{r.get('level')}: {r.get('reason')}",
            "finding": lambda r: f"marked {r.get('verdict')} at level {r.get('level')}",
            "note": lambda r: repr(r.get("text")),
            "checklist": lambda r: f"{r.get('item')}: {r.get('answer')}",
            "inspection": lambda r: f"closed: {r.get('result')}",
            "inspection-start": lambda r: f"checked in at {r.get('location_name') or '-'}",
        }.get(r["kind"], lambda r: "")(r)
        lines.append(f"    {r['seq']:>6}  {r['kind']:<17} {detail}"
                     + (f" ({files} evidence files)" if files else ""))
    return "\n".join(lines)


def _verify(book: Logbook, office: bool) -> int:
    devices = book.devices() if office else [book.key.id]
    table_problems = book.check_tables()
    bad = len(table_problems)
    for device in devices:
        count = book.head(device)[0]
        problems = book.verify(device, rehash_evidence=True)
        for problem in problems:
            print(f"{device}: {problem}")
        mine = [p for p in table_problems if p.device == device]
        for problem in mine:
            print(f"{device}: {problem}")
        bad += len(problems)
        if not problems and not mine:
            print(f"{device}: {count} records, chain and signatures verified, evidence intact")
    for problem in table_problems:
        if problem.device not in devices:
            print(f"{problem.device or 'logbook'}: {problem}")
    if bad:
        print(f"NOT VERIFIED: {bad} problem(s); what the records say is shown by "
              f"`detector log` and `detector report`, the tables beside them are not trusted")
    return 1 if bad else 0


def _list(book: Logbook) -> None:
    summaries = read_inspections(book)
    if not summaries:
        print("no inspections yet")
        return
    print(f"{'inspection':<12} {'started':<25} {'location':<34} {'inspector':<12} "
          f"{'result':<12} {'cover':>5} {'alerts':>6} {'finds':>5}  verified")
    for s in summaries:
        coverage = "-" if s.coverage is None else f"{s.coverage:.0%}"
        print(f"{s.id[:12]:<12} {s.started[:25]:<25} {s.location_name[:34]:<34} "
              f"{s.inspector[:12]:<12} {(s.result or 'open')[:12]:<12} {coverage:>5} "
              f"{len(s.of_kind('alert')):>6} {len(s.findings):>5}  "
              f"{'yes' if s.verified else 'NO: ' + s.status}")


def find_inspection(book: Logbook, prefix: str | None,
                    verify: bool = False) -> InspectionSummary:
    """The one inspection whose id starts with prefix, as its records tell it."""
    if not prefix:
        raise DetectorError("which inspection? give its id (or the start of it)")
    found = [s for s in read_inspections(book, verify=False) if s.id.startswith(prefix)]
    if not found:
        raise DetectorError(f"no inspection starts with {prefix!r}")
    if len(found) > 1:
        raise DetectorError(f"{prefix!r} names {len(found)} inspections; give more of the id")
    if verify:
        verify_summaries(book, found)
    return found[0]


def note_command(config: Config, directory: Path | None, prefix: str | None,
                 text: str | None) -> int:
    """Add an inspector's note to an inspection (a signed record like the others)."""
    if not text:
        raise DetectorError("detector log note ID TEXT: the note's text is missing")
    with open_logbook(device_dir(config, directory), device=True) as book:
        ins_id = find_inspection(book, prefix).id
        record = book.append("note", {"inspection": ins_id, "text": text})
    print(f"note added to {ins_id} as record {record.seq}")
    return 0


def show_inspection(book: Logbook, prefix: str) -> dict[str, Any]:
    """An inspection's records as signed, with whether they verify."""
    s = find_inspection(book, prefix, verify=True)
    return {"inspection": s.id, "device": s.device, "verified": s.verified,
            "verification": s.status,
            "records": [{"seq": record.seq, "kind": record.kind, **body}
                        for record, body in s.records]}


def sync_command(config: Config, port: str | None, serve: bool, pair: str | None,
                 directory: Path | None, timeout_s: float) -> int:
    import serial

    from detector.logbook import syncproto as S
    from detector.logbook.readahead import read_ahead
    from detector.logbook.sync import DeviceServer, OfficeClient, OfficeIdentity

    url = port or (OfficeSettings.of(config).device_port if serve else OfficeSettings.of(config).port)
    try:
        link = serial.serial_for_url(url, baudrate=115200, timeout=0.2, write_timeout=10)
    except (serial.SerialException, OSError, ValueError) as exc:
        raise DetectorError(f"cannot open {url}: {exc}") from None
    try:
        if serve:
            book = Logbook.on_device(device_dir(config, directory))
            server = DeviceServer(book, link, timeout_s)
            print(f"serving the logbook of device {book.key.id} on {url} (Ctrl-C stops)")
            server.serve()
            return 0
        where = office_dir(config, directory)
        with Logbook(where) as book, read_ahead(link) as office_link:
            try:
                client = OfficeClient(book, OfficeIdentity.load_or_create(where),
                                      office_link, timeout_s)
                result = client.sync(pair)
            except (S.SyncError, sqlite3.Error, OSError) as exc:
                raise DetectorError(f"sync with {url}: {exc}") from None
            print(f"device {result.device}: {result.records} new records, "
                  f"{result.evidence} evidence files, {result.bytes} bytes; the office now "
                  f"holds up to record {book.head(result.device)[0]} of {result.head}")
        return 0
    finally:
        link.close()
