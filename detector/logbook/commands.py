"""`detector log`, `detector pair`, `detector sync`, `detector export`: the logbook from
the command line. Failures are one line (DetectorError), never a traceback."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from detector.config import Config, log_dir
from detector.errors import DetectorError, LogbookError
from detector.logbook.store import DB_NAME, Logbook


def device_dir(config: Config, given: Path | None) -> Path:
    return given or log_dir(config)


def office_dir(config: Config, given: Path | None) -> Path:
    if given is not None:
        return given
    configured = config.get("office.dir")
    if configured:
        return Path(os.path.expanduser(configured))
    return Path.home() / ".local" / "share" / "detector-office"


def open_logbook(directory: Path, device: bool) -> Logbook:
    if not (directory / DB_NAME).exists():
        raise LogbookError(f"{directory}: no logbook here ({DB_NAME} is missing)")
    return Logbook.on_device(directory) if device else Logbook(directory)


def log_command(config: Config, directory: Path | None, office: bool, action: str,
                inspection: str | None) -> int:
    book = open_logbook(office_dir(config, directory) if office
                        else device_dir(config, directory), device=not office)
    try:
        if action == "verify":
            return _verify(book, office)
        if action == "show":
            print(json.dumps(show_inspection(book, inspection), indent=2, sort_keys=True))
            return 0
        _list(book)
        return 0
    finally:
        book.close()


def _verify(book: Logbook, office: bool) -> int:
    devices = book.devices() if office else [book.key.id]
    bad = 0
    for device in devices:
        count = book.head(device)[0]
        problems = book.verify(device, rehash_evidence=True)
        for problem in problems:
            print(f"{device}: {problem}")
        bad += len(problems)
        if not problems:
            print(f"{device}: {count} records, chain and signatures verified, evidence intact")
    return 1 if bad else 0


def _list(book: Logbook) -> None:
    rows = book.conn.execute(
        "SELECT i.id, i.started, i.location_name, i.inspector, i.result, i.coverage, "
        "(SELECT COUNT(*) FROM alerts a WHERE a.inspection_id = i.id), "
        "(SELECT COUNT(*) FROM findings f WHERE f.inspection_id = i.id) "
        "FROM inspections i ORDER BY i.started").fetchall()
    if not rows:
        print("no inspections yet")
        return
    print(f"{'inspection':<12} {'started':<25} {'location':<34} {'inspector':<12} "
          f"{'result':<12} {'cover':>5} {'alerts':>6} {'finds':>5}")
    for r in rows:
        coverage = "-" if r[5] is None else f"{r[5]:.0%}"
        print(f"{r[0][:12]:<12} {(r[1] or '')[:25]:<25} {(r[2] or '')[:34]:<34} "
              f"{(r[3] or '')[:12]:<12} {(r[4] or 'open')[:12]:<12} {coverage:>5} "
              f"{r[6]:>6} {r[7]:>5}")


def find_inspection(book: Logbook, prefix: str | None) -> tuple[str, str]:
    """(inspection id, device) of the one inspection whose id starts with prefix."""
    if not prefix:
        raise DetectorError("which inspection? give its id (or the start of it)")
    rows = book.conn.execute("SELECT id, device FROM inspections WHERE id LIKE ?",
                             (prefix + "%",)).fetchall()
    if not rows:
        raise DetectorError(f"no inspection starts with {prefix!r}")
    if len(rows) > 1:
        raise DetectorError(f"{prefix!r} names {len(rows)} inspections; give more of the id")
    return rows[0]


def note_command(config: Config, directory: Path | None, prefix: str | None,
                 text: str | None) -> int:
    """Add an inspector's note to an inspection (a signed record like the others)."""
    if not text:
        raise DetectorError("detector log note ID TEXT: the note's text is missing")
    with open_logbook(device_dir(config, directory), device=True) as book:
        ins_id, _device = find_inspection(book, prefix)
        record = book.append("note", {"inspection": ins_id, "text": text})
    print(f"note added to {ins_id} as record {record.seq}")
    return 0


def show_inspection(book: Logbook, prefix: str) -> dict[str, Any]:
    ins_id, device = find_inspection(book, prefix)
    out: dict[str, Any] = {"inspection": ins_id, "device": device, "records": []}
    for record in book.records(device):
        body = record.body_dict()
        if body.get("inspection") == ins_id or body.get("id") == ins_id:
            out["records"].append({"seq": record.seq, "kind": record.kind, **body})
    return out


def pair_command(config: Config, directory: Path | None) -> int:
    """Show a pairing code on the device's screen (and print it)."""
    from detector.hw.factory import _display
    from detector.logbook.sync import PAIRING_S, new_pairing_code
    from detector.ui.screens import result_screen

    book = Logbook.on_device(device_dir(config, directory))
    try:
        code = new_pairing_code(book)
    finally:
        book.close()
    try:
        display = _display(config, config.get("backend.display"), None)
        display.show(result_screen("pair", [f"code {code}", "type it on the office laptop:",
                                            "detector sync --pair CODE",
                                            f"valid {PAIRING_S / 60:.0f} minutes"],
                                   display.size, display.mode))
    except DetectorError:
        pass  # no display: the printed code will do
    print(f"pairing code: {code} (valid {PAIRING_S / 60:.0f} minutes; on the office laptop: "
          f"detector sync --port PORT --pair {code})")
    return 0


def sync_command(config: Config, port: str | None, serve: bool, pair: str | None,
                 directory: Path | None, timeout_s: float) -> int:
    import serial

    from detector.logbook import syncproto as S
    from detector.logbook.readahead import read_ahead
    from detector.logbook.sync import DeviceServer, OfficeClient, OfficeIdentity

    url = port or (config.get("office.device_port") if serve else config.get("office.port"))
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
