"""The push API: an office authenticates with its token (`Authorization: Bearer ...`),
asks for the heads the server holds for its devices, sends the records after them, and
uploads the evidence files the records name, each checked against its SHA-256."""

from __future__ import annotations

import hashlib
import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from detector.server import models as m
from detector.server.evidence_store import SHA256, EvidenceStore, keep, store
from detector.server.ingest import Refused, ingest, parse_records


def _office(request: HttpRequest) -> m.Office | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    digest = hashlib.sha256(header[7:].strip().encode()).hexdigest()
    return m.Office.objects.filter(token_sha256=digest).first()


def _refuse(status: int, *problems: str) -> JsonResponse:
    return JsonResponse({"refused": list(problems)}, status=status)


@csrf_exempt  # token-authenticated, no cookie: cross-site requests carry no token
@require_http_methods(["GET"])
def heads(request: HttpRequest) -> JsonResponse:
    office = _office(request)
    if office is None:
        return _refuse(401, "unknown or missing office token")
    return JsonResponse({"office": office.name, "heads": {
        d.id: {"seq": d.head_seq, "hash": d.head_hash} for d in office.devices.all()}})


@csrf_exempt
@require_http_methods(["POST"])
def records(request: HttpRequest) -> JsonResponse:
    office = _office(request)
    if office is None:
        return _refuse(401, "unknown or missing office token")
    try:
        body = json.loads(request.body)
        device = str(body["device"])
        batch = parse_records(body["records"])
    except (ValueError, KeyError, TypeError):
        return _refuse(400, "expected JSON {device, records: [...]}")
    except Refused as exc:
        return _refuse(400, *exc.problems)
    try:
        result = ingest(office, device, batch)
    except Refused as exc:
        return _refuse(422, *exc.problems)
    return JsonResponse({"device": result.device, "stored": result.stored,
                         "skipped": result.skipped, "head": result.head,
                         "inspections": result.inspections})


@csrf_exempt
@require_http_methods(["HEAD", "PUT"])
def evidence(request: HttpRequest, sha256: str) -> JsonResponse:
    office = _office(request)
    if office is None:
        return _refuse(401, "unknown or missing office token")
    if not SHA256.fullmatch(sha256):
        return _refuse(400, "evidence: expected a SHA-256 in lower-case hex")
    files: EvidenceStore = store()
    if request.method == "HEAD":  # known only with its row and an intact file
        known = (m.Evidence.objects.filter(sha256=sha256).exists()
                 and files.read(sha256) is not None)  # a damaged copy is sent again
        return JsonResponse({}, status=200 if known else 404)
    data = request.body
    if hashlib.sha256(data).hexdigest() != sha256:
        return _refuse(422, f"evidence {sha256}: the content does not match its SHA-256")
    keep(sha256, data, request.content_type or "application/octet-stream")
    return JsonResponse({"sha256": sha256, "size": len(data)}, status=201)
