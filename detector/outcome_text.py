"""What a sweep's end says to the person who ran it: the result in an inspector's words,
and the run's numbers (simulated time beside wall time, so neither is mistaken for the
other)."""

from __future__ import annotations

import math
from typing import Any

from detector.fusion import Level


def direction(x: float, y: float, width: int, height: int, hfov_deg: float) -> str:
    """Where a point of the frame lies from the centre of the view, in degrees."""
    focal = (width / 2) / math.tan(math.radians(hfov_deg) / 2)
    right = math.degrees(math.atan((x - width / 2) / focal))
    up = -math.degrees(math.atan((y - height / 2) / focal))
    parts = []
    if abs(right) >= 2:
        parts.append(f"{abs(right):.0f}° {'right' if right > 0 else 'left'}")
    if abs(up) >= 2:
        parts.append(f"{abs(up):.0f}° {'up' if up > 0 else 'down'}")
    return ("near the centre of the view" if not parts
            else " and ".join(parts) + " of the centre of the view")


def result_sentence(result: str, reasons: list[str], fused_alerts: list[dict[str, Any]],
                    lens_alerts: list[dict[str, Any]], start_ns: int,
                    frame_size: tuple[int, int], hfov_deg: float) -> str:
    """E.g. 'SUSPICIOUS: a camera lens was confirmed at 5.4 s, 12° right and 4° up of the
    centre of the view'."""
    head = result.upper().replace("-", " ")
    likely = next((a for a in fused_alerts if a["level"] == Level.CAMERA_LIKELY.label), None)
    if result == "suspicious" and likely is not None:
        at = (likely["t_ns"] - start_ns) / 1e9
        return f"{head}: a camera is likely ({likely['reason']}) at {at:.1f} s"
    if result == "suspicious" and lens_alerts:
        first = lens_alerts[0]
        at = (first["t_ns"] - start_ns) / 1e9
        where = direction(first["x"], first["y"], *frame_size, hfov_deg)
        more = f" ({len(lens_alerts)} lenses in all)" if len(lens_alerts) > 1 else ""
        return f"{head}: a camera lens was confirmed at {at:.1f} s, {where}{more}"
    return f"{head}: " + "; ".join(reasons)


def run_line(where: str, frames: int, labels: dict[str, int], simulated_s: float | None,
             wall_s: float, dropped: int) -> str:
    counts = ", ".join(f"{k} {v}" for k, v in sorted(labels.items()))
    rate = frames / wall_s if wall_s > 0 else 0.0
    span = (f"{simulated_s:.1f} s simulated, computed in {wall_s:.1f} s wall time"
            if simulated_s is not None else f"{wall_s:.1f} s")
    return (f"{where}: {frames} frames ({counts}) over {span} ({rate:.0f} frames/s)"
            + (f", {dropped} dropped" if dropped else ""))
