"""Screens of the handheld, drawn as PIL images of the display's size.

The live view shows the camera image (letterboxed) with markers, and a status bar.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFont

BAR_H = 40
COLOURS = {
    "bg": (0, 0, 0),
    "text": (235, 235, 235),
    "dim": (140, 140, 140),
    "candidate": (255, 200, 0),
    "confirmed": (255, 40, 40),
    "ok": (60, 200, 90),
    "fault": (255, 120, 0),
}


@dataclass
class LiveStatus:
    """What the status bar says."""

    elapsed_s: float
    lights: str
    title: str = ""
    frame_index: int = 0
    markers: list[tuple[float, float, str]] = field(default_factory=list)  # x, y, kind
    faults: list[str] = field(default_factory=list)
    rf_text: str = "RF --"
    lens_text: str = ""  # e.g. "LENS 1" once a lens is confirmed


def _font() -> ImageFont.ImageFont:
    return ImageFont.load_default()


def live_view(frame: np.ndarray, status: LiveStatus, size: tuple[int, int] = (320, 240),
              mode: str = "RGB") -> Image.Image:
    """Camera image scaled into the area above the status bar, markers, status text."""
    width, height = size
    screen = Image.new("RGB", size, COLOURS["bg"])
    view_h = height - BAR_H
    fh, fw = frame.shape[:2]
    scale = min(width / fw, view_h / fh)
    vw, vh = max(int(fw * scale), 1), max(int(fh * scale), 1)
    image = frame if frame.dtype == np.uint8 else (frame >> 8).astype(np.uint8)
    view = Image.fromarray(image).resize((vw, vh), Image.BILINEAR).convert("RGB")
    ox, oy = (width - vw) // 2, (view_h - vh) // 2
    screen.paste(view, (ox, oy))
    draw = ImageDraw.Draw(screen)
    for x, y, kind in status.markers:
        sx, sy = ox + x * scale, oy + y * scale
        colour = COLOURS.get(kind, COLOURS["candidate"])
        r = 7 if kind == "confirmed" else 5
        draw.ellipse([sx - r, sy - r, sx + r, sy + r], outline=colour, width=2)
    font = _font()
    y0 = height - BAR_H
    draw.line([(0, y0), (width, y0)], fill=COLOURS["dim"])
    minutes, seconds = divmod(int(status.elapsed_s), 60)
    draw.text((4, y0 + 4), f"{minutes:02d}:{seconds:02d}  {status.title}"[:48],
              fill=COLOURS["text"], font=font)
    draw.text((4, y0 + 22), f"LED: {status.lights}   {status.rf_text}", fill=COLOURS["dim"],
              font=font)
    if status.lens_text:
        draw.text((width - 80, y0 + 4), status.lens_text[:12], fill=COLOURS["confirmed"],
                  font=font)
    if status.faults:
        draw.text((width - 120, y0 + 22), ("! " + status.faults[0])[:20], fill=COLOURS["fault"],
                  font=font)
    return screen if mode == "RGB" else screen.convert(mode)
