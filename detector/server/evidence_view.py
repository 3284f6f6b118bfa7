"""What an inspection page shows of its alerts and findings: read from the device's own
stored records (no second copy of what they say), with their snapshots (the live view
and the lens enlarged below it), RF spectra and Wi-Fi traffic plotted the way the
office's report plots them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from detector.inspection import EVIDENCE_FILES
from detector.logbook.report import spectrum_svg, wifi_html
from detector.server import models as m
from detector.server.evidence_store import SHA256, store


@dataclass
class Section:
    label: str
    seq: int
    snapshots: list[str] = field(default_factory=list)  # SHA-256 of PNGs shown inline
    plots: list[SafeString] = field(default_factory=list)  # built with escaping
    missing: list[str] = field(default_factory=list)  # named but not (intact) here


def sections(ins: m.Inspection) -> list[Section]:
    records = m.Record.objects.filter(
        device_id=ins.device_id, seq__gte=ins.first_seq, seq__lte=ins.last_seq,
        kind__in=("alert", "finding")).order_by("seq").values_list("seq", "kind", "body")
    out = []
    for seq, kind, text in records:
        body = json.loads(text)
        if body.get("inspection") != ins.id:
            continue
        section = Section(f"Finding: {body.get('verdict')}" if kind == "finding"
                          else f"Alert {body.get('id')}: {body.get('level')}", seq)
        wifi = (body.get("evidence") or {}).get("wifi") if kind == "alert" else None
        if isinstance(wifi, dict):
            section.plots.append(mark_safe(wifi_html(wifi)))  # noqa: S308 - escaped inside
        for entry in body.get(EVIDENCE_FILES) or []:
            _add_file(section, entry)
        if section.snapshots or section.plots or section.missing:
            out.append(section)
    return out


def _add_file(section: Section, entry: Any) -> None:
    if not isinstance(entry, dict):
        return
    role, media_type, sha = entry.get("role"), entry.get("type"), entry.get("sha256")
    if not isinstance(sha, str) or not SHA256.fullmatch(sha):
        return
    if role == "snapshot" and media_type == "image/png":
        section.snapshots.append(sha)
    elif role == "rf spectrum" and media_type == "application/json":
        data = store().read(sha)
        if data is None:
            section.missing.append(f"RF spectrum {sha[:16]}: not on the server, or damaged")
            return
        try:
            section.plots.append(mark_safe(spectrum_svg(json.loads(data))))  # noqa: S308
        except (ValueError, TypeError, AttributeError):
            section.missing.append(f"RF spectrum {sha[:16]}: not readable")
