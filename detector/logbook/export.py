"""Export to a USB drive, for offices without the sync tool, and its import at the office.

An export is a directory `detector-export-DEVICE-TIME/` with `records.jsonl` (the signed
chain, one record per line), `evidence/` (files named by their SHA-256), `device.json`
(the device's id and public key) and `manifest.json` (the SHA-256 of every file, and the
chain's last record). It is written under a temporary name and renamed when complete,
so a drive pulled out early never holds a half export under the final name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from pathlib import Path

from detector.errors import LogbookError
from detector.logbook.chain import Record
from detector.logbook.store import Logbook, evidence_of


def _fsync_write(path: Path, data: bytes) -> str:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return hashlib.sha256(data).hexdigest()


def export_logbook(book: Logbook, target: Path) -> Path:
    device = book.key.id
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    final = Path(target) / f"detector-export-{device}-{stamp}"
    tmp = Path(target) / f".{final.name}.partial"
    try:
        if tmp.exists():
            shutil.rmtree(tmp)
        (tmp / "evidence").mkdir(parents=True)
        files: dict[str, str] = {}
        records = book.records()
        lines = "".join(json.dumps(r.to_json(), sort_keys=True) + "\n" for r in records)
        files["records.jsonl"] = _fsync_write(tmp / "records.jsonl", lines.encode())
        files["device.json"] = _fsync_write(tmp / "device.json", json.dumps(
            {"device": device, "public_key": book.key.public.hex()}).encode())
        for record in records:
            for sha in evidence_of(record.body_dict()):
                if f"evidence/{sha}" not in files:
                    files[f"evidence/{sha}"] = _fsync_write(tmp / "evidence" / sha,
                                                            book.evidence.read(sha))
        seq, digest = book.head()
        manifest = {"format": 1, "device": device, "created": stamp, "head": seq,
                    "head_hash": digest, "files": files}
        _fsync_write(tmp / "manifest.json", json.dumps(manifest, indent=1,
                                                       sort_keys=True).encode())
        os.replace(tmp, final)
    except OSError as exc:
        raise LogbookError(f"{target}: export failed: {exc.strerror or exc}; nothing on the "
                           f"device was changed") from None
    return final


def import_export(book: Logbook, source: Path) -> int:
    """Check an export against its manifest and add it to the office logbook; returns the
    number of new records. Nothing is stored unless every check passes."""
    source = Path(source)
    try:
        manifest = json.loads((source / "manifest.json").read_text())
        for name, sha in manifest["files"].items():
            if hashlib.sha256((source / name).read_bytes()).hexdigest() != sha:
                raise LogbookError(f"{source / name}: does not match the manifest")
        device = json.loads((source / "device.json").read_text())
        records = [Record.from_json(json.loads(line))
                   for line in (source / "records.jsonl").read_text().splitlines() if line]
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise LogbookError(f"{source}: not a readable export: {exc}") from None
    book.add_device(device["device"], bytes.fromhex(device["public_key"]))
    for record in records:
        for sha in evidence_of(record.body_dict()):
            if book.evidence.has(sha):
                continue
            try:
                data = (source / "evidence" / sha).read_bytes()
            except OSError:
                raise LogbookError(f"{source}: record {record.seq} names evidence "
                                   f"{sha[:12]}..., which the export lacks") from None
            book.evidence.put(data, expected=sha)
    return book.receive(device["device"], records)


def export_dirs(source: Path) -> list[Path]:
    """The exports a path names: an export folder itself, or the folder that holds them
    (the USB drive's root, or wherever they were copied), oldest first."""
    source = Path(source)
    if (source / "manifest.json").exists():
        return [source]
    found = sorted(p for p in source.glob("detector-export-*") if (p / "manifest.json").exists())
    if not found:
        raise LogbookError(f"{source}: no export here (neither a manifest.json nor a "
                           f"detector-export-* folder)")
    return found


def import_exports(book: Logbook, source: Path) -> list[tuple[Path, int]]:
    """Every export under source, each checked on its own; (folder, new records) each."""
    return [(folder, import_export(book, folder)) for folder in export_dirs(source)]
