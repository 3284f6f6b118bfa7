"""`detector push`: an office sends what its logbook holds to the city's server over
HTTPS (docs/server.md). Resumable and idempotent like the USB sync: the server says how
far it holds each device's chain, and only the records after that are sent, in batches;
a push cut off anywhere is finished by the next one. Evidence files the records name are
uploaded when the server lacks them, each checked by its SHA-256 on arrival."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detector.errors import DetectorError
from detector.inspection import EVIDENCE_FILES
from detector.logbook.store import Logbook

BATCH = 1000
TIMEOUT_S = 60


class PushError(DetectorError):
    """The server refused, or could not be reached: one line saying which."""


@dataclass
class PushResult:
    stored: int = 0
    skipped: int = 0
    evidence_sent: int = 0
    devices: dict[str, int] = field(default_factory=dict)  # head after the push


class Server:
    def __init__(self, url: str, token: str, allow_http: bool = False) -> None:
        if not url.startswith("https://") and not allow_http:
            raise PushError(f"{url}: the server must be reached over HTTPS (or pass "
                            f"--insecure-http for a server on this machine)")
        self.url = url.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: bytes | None = None,
             content_type: str = "application/json") -> tuple[int, Any]:
        request = urllib.request.Request(self.url + path, data=body, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": content_type})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else {}
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                detail = json.loads(raw)
            except ValueError:
                detail = {"refused": [raw.decode(errors="replace")[:200]]}
            return exc.code, detail
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise PushError(f"{self.url}: cannot reach the server ({reason})") from None


def push(book: Logbook, server: Server) -> PushResult:
    status, body = server.call("GET", "/api/heads")
    if status != 200:
        raise PushError(f"{server.url}: {'; '.join(body.get('refused', [str(status)]))}")
    heads = {d: h["seq"] for d, h in body["heads"].items()}
    result = PushResult()
    for device in book.devices():
        if device not in heads:
            raise PushError(f"device {device}: not registered on the server for this office "
                            f"(the administrator adds it with its key)")
        after = heads[device]
        while True:
            batch = book.records(device, after=after, limit=BATCH)
            if not batch:
                break
            payload = json.dumps({"device": device,
                                  "records": [r.to_json() for r in batch]}).encode()
            status, answer = server.call("POST", "/api/records", payload)
            if status != 200:
                raise PushError(f"device {device}: the server refused records "
                                f"{batch[0].seq}-{batch[-1].seq}: "
                                f"{'; '.join(answer.get('refused', [str(status)]))}")
            result.stored += answer["stored"]
            result.skipped += answer["skipped"]
            result.evidence_sent += _evidence(book, server, batch)
            after = answer["head"]
        result.devices[device] = after
    return result


def _evidence(book: Logbook, server: Server, records) -> int:
    sent = 0
    for record in records:
        for entry in json.loads(record.body).get(EVIDENCE_FILES, []) or []:
            sha = entry.get("sha256") if isinstance(entry, dict) else None
            if not isinstance(sha, str):
                continue
            status, _ = server.call("HEAD", f"/api/evidence/{sha}")
            if status == 200:
                continue
            data = book.evidence.read(sha)
            status, answer = server.call("PUT", f"/api/evidence/{sha}", data,
                                         entry.get("type") or "application/octet-stream")
            if status != 201:
                raise PushError(f"evidence {sha}: the server refused it: "
                                f"{'; '.join(answer.get('refused', [str(status)]))}")
            sent += 1
    return sent


def push_command(directory: Path, url: str, token_file: Path | None, token: str | None,
                 allow_http: bool) -> int:
    if token is None:
        if token_file is None:
            raise PushError("give the office's token: --token-file FILE (or "
                            "DETECTOR_PUSH_TOKEN)")
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise PushError(f"{token_file}: cannot read the token ({exc.strerror})") from None
    with Logbook(directory) as book:
        result = push(book, Server(url, token, allow_http))
    print(f"pushed {result.stored} records ({result.skipped} already there), "
          f"{result.evidence_sent} evidence files; heads: "
          + ", ".join(f"{d} at {s}" for d, s in result.devices.items()))
    return 0
