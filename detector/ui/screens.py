"""Screens of the handheld, drawn as PIL images of the display's size.

Colour TFT (320x240): the live view (alert level banner, camera image with markers, RF
bars per band, coverage and pace, faults), menus and the result screen. The 128x64 OLED
gets text-only layouts of the same information. Nothing here touches a device: the
runtime hands the images to a Display (luma device, emulator or test dummy).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from detector.fusion import Level
from detector.session.status import LiveStatus

BANNER_H = 18
BAR_H = 42
COLOURS = {
    "bg": (0, 0, 0),
    "text": (235, 235, 235),
    "dim": (140, 140, 140),
    "candidate": (255, 200, 0),
    "confirmed": (255, 40, 40),
    "ok": (60, 200, 90),
    "fault": (255, 120, 0),
    "bar": (70, 150, 255),
    "select": (40, 80, 160),
}
LEVEL_COLOURS = {
    Level.CLEAR: ((20, 90, 40), "CLEAR"),
    Level.RF_ACTIVITY: ((30, 70, 150), "RF ACTIVITY"),
    Level.LENS_CANDIDATE: ((170, 120, 0), "LENS CANDIDATE"),
    Level.LENS_CONFIRMED: ((190, 20, 20), "LENS CONFIRMED"),
    Level.CAMERA_LIKELY: ((230, 0, 90), "CAMERA LIKELY"),
}
RESULT_COLOURS = {"clear": (20, 120, 50), "incomplete": (170, 120, 0),
                  "suspicious": (190, 20, 20), "device-found": (230, 0, 90)}
RF_BANDS = (("2.4", "2.4 GHz"), ("5.8", "5.8 GHz"), ("BB", "broadband"))


@lru_cache(maxsize=8)
def _font(size: int = 11) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _camera_image(frame: np.ndarray) -> Image.Image:
    image = frame if frame.dtype == np.uint8 else (frame >> 8).astype(np.uint8)
    return Image.fromarray(image)


def live_view(frame: np.ndarray, status: LiveStatus, size: tuple[int, int] = (320, 240),
              mode: str = "RGB") -> Image.Image:
    if mode == "1" or size[1] < 120:
        return oled_live(status, size)
    width, height = size
    screen = Image.new("RGB", size, COLOURS["bg"])
    draw = ImageDraw.Draw(screen)
    _banner(draw, status, width)
    view_top, view_h = BANNER_H, height - BANNER_H - BAR_H
    fh, fw = frame.shape[:2]
    scale = min(width / fw, view_h / fh)
    vw, vh = max(int(fw * scale), 1), max(int(fh * scale), 1)
    ox, oy = (width - vw) // 2, view_top + (view_h - vh) // 2
    screen.paste(_camera_image(frame).resize((vw, vh), Image.BILINEAR).convert("RGB"), (ox, oy))
    for x, y, kind in status.markers:
        sx, sy = ox + x * scale, oy + y * scale
        colour = COLOURS.get(kind, COLOURS["candidate"])
        r = 8 if kind == "confirmed" else 5
        draw.ellipse([sx - r, sy - r, sx + r, sy + r], outline=colour, width=2)
    font = _font(10)
    for i, line in enumerate(_wrap(draw, status.guide, font, width - 8)[:2]):
        _shadow_text(draw, (4, view_top + 2 + 12 * i), line, COLOURS["text"], font)
    _wifi_panel(draw, status, width, view_top)
    lines = list(status.faults)
    if status.walk_prompt:
        lines.insert(0, "WALK ACROSS THE ROOM 10 s")
    if status.too_fast:
        lines.insert(0, "TOO FAST - slow down")
    if status.dropped:
        lines.append(f"{status.dropped} frames dropped")
    for i, line in enumerate(lines[:3]):
        colour = (COLOURS["confirmed"] if line.startswith(("TOO FAST", "WALK"))
                  else COLOURS["fault"])
        _shadow_text(draw, (4, view_top + view_h - 14 - 13 * i), line[:50], colour, font)
    _status_bar(screen, draw, status, height - BAR_H, width)
    return screen if mode == "RGB" else screen.convert(mode)


def _wifi_panel(draw: ImageDraw.ImageDraw, status: LiveStatus, width: int, top: int) -> None:
    """Top right of the view: the Wi-Fi camera the trail follows, its RSSI over the last
    seconds as a line (higher is closer), and hotter or colder."""
    if not status.wifi_trail:
        return
    font = _font(10)
    x0, y0, w, h = width - 104, top + 52, 100, 22  # below the guide's two lines
    for dy, text in ((28, status.wifi_text[:24]), (40, status.wifi_trend)):
        if text:  # right-aligned: the panel ends at the screen's edge
            x = width - 4 - int(draw.textlength(text, font=font))
            _shadow_text(draw, (x, top + dy), text, COLOURS["confirmed"], font)
    draw.rectangle([x0, y0, x0 + w, y0 + h], outline=COLOURS["dim"])
    trail = status.wifi_trail
    lo, hi = -90.0, -30.0
    points = [(x0 + 2 + i * (w - 4) / max(len(trail) - 1, 1),
               y0 + h - 2 - (h - 4) * min(max((r - lo) / (hi - lo), 0.0), 1.0))
              for i, r in enumerate(trail)]
    if len(points) > 1:
        draw.line(points, fill=COLOURS["confirmed"], width=2)
    else:
        draw.ellipse([points[0][0] - 2, points[0][1] - 2, points[0][0] + 2, points[0][1] + 2],
                     fill=COLOURS["confirmed"])


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(lines[-1] + " " + word, font=font) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _shadow_text(draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, colour,
                 font) -> None:
    x, y = xy
    draw.text((x + 1, y + 1), text, fill=(0, 0, 0), font=font)
    draw.text((x, y), text, fill=colour, font=font)


def _banner(draw: ImageDraw.ImageDraw, status: LiveStatus, width: int) -> None:
    colour, label = LEVEL_COLOURS[status.level]
    draw.rectangle([0, 0, width, BANNER_H - 1], fill=colour)
    font = _font(12)
    text = label + ("  press UP" if status.awaiting_ack else "")
    draw.text((4, 2), text, fill=COLOURS["text"], font=font)
    minutes, seconds = divmod(int(status.elapsed_s), 60)
    right = f"{'MUTE ' if status.muted else ''}{minutes:02d}:{seconds:02d}"
    draw.text((width - 4 - draw.textlength(right, font=font), 2), right,
              fill=COLOURS["text"], font=font)


def _status_bar(screen: Image.Image, draw: ImageDraw.ImageDraw, status: LiveStatus, y0: int,
                width: int) -> None:
    font = _font(10)
    draw.line([(0, y0), (width, y0)], fill=COLOURS["dim"])
    # RF bars, one per receiver band; before the first reading, the RF status instead.
    if not status.rf_bars:
        draw.text((4, y0 + 4), status.rf_text[:16], font=font, fill=COLOURS["dim"])
    for i, (key, _name) in enumerate(RF_BANDS if status.rf_bars else ()):
        value, alerting = status.rf_bars.get(key, (0.0, False))
        x = 4 + i * 34
        draw.text((x, y0 + 28), key, fill=COLOURS["dim"], font=font)
        draw.rectangle([x + 18, y0 + 4, x + 28, y0 + 38], outline=COLOURS["dim"])
        top = y0 + 38 - int(round(34 * min(max(value, 0.0), 1.0)))
        if top < y0 + 38:
            draw.rectangle([x + 19, top, x + 27, y0 + 37],
                           fill=COLOURS["confirmed"] if alerting else COLOURS["bar"])
    # Coverage: the map of viewing directions and the percentage.
    x = 110
    if status.coverage_map is not None:
        swept, required = status.coverage_map
        cells = np.where(swept, 2, np.where(required, 1, 0)).astype(np.uint8)
        # Rows: pitch, up at the top. Columns: the start heading in the middle, turning
        # right moves right (yaw counts counter-clockwise, so it is flipped).
        cells = np.roll(cells, -(cells.shape[1] // 2), axis=1)[::-1, ::-1]
        palette = np.array([[25, 25, 25], [90, 60, 20], [60, 200, 90]], dtype=np.uint8)
        rgb = palette[cells]
        map_img = Image.fromarray(rgb).resize((cells.shape[1] * 2, cells.shape[0] * 2),
                                              Image.NEAREST)
        screen.paste(map_img, (x, y0 + 6))
        draw.rectangle([x - 1, y0 + 5, x + map_img.width, y0 + 6 + map_img.height],
                       outline=COLOURS["dim"])
    text_x = x + 78
    if status.coverage is not None:
        draw.text((text_x, y0 + 4), f"COV {status.coverage:.0%}", fill=COLOURS["text"],
                  font=_font(12))
    pace, colour = (("TOO FAST", COLOURS["confirmed"]) if status.too_fast
                    else ("PACE OK", COLOURS["ok"]))
    draw.text((text_x, y0 + 22), pace, fill=colour, font=font)
    if status.lens_text:
        draw.text((width - 50, y0 + 22), status.lens_text[:8], fill=COLOURS["confirmed"],
                  font=font)


def menu_screen(title: str, items: list[str], selected: int, size: tuple[int, int] = (320, 240),
                mode: str = "RGB", footer: str = "UP/DOWN move  SELECT ok  hold SELECT back",
                ) -> Image.Image:
    """A titled list with one highlighted item; scrolls to keep it in view."""
    if mode == "1" or size[1] < 120:
        return oled_menu(title, items, selected, size)
    width, height = size
    screen = Image.new("RGB", size, COLOURS["bg"])
    draw = ImageDraw.Draw(screen)
    draw.rectangle([0, 0, width, 21], fill=COLOURS["select"])
    draw.text((6, 3), title[:40], fill=COLOURS["text"], font=_font(13))
    row_h = 22
    rows = (height - 24 - 18) // row_h
    first = min(max(selected - rows + 1, 0), max(len(items) - rows, 0))
    for i, item in enumerate(items[first:first + rows]):
        index = first + i
        y = 24 + i * row_h
        if index == selected:
            draw.rectangle([2, y, width - 3, y + row_h - 3], fill=(60, 60, 60))
        draw.text((8, y + 3), item[:44], fill=COLOURS["text"], font=_font(12))
    if first > 0:
        draw.text((width - 14, 24), "^", fill=COLOURS["dim"], font=_font(12))
    if first + rows < len(items):
        draw.text((width - 14, height - 34), "v", fill=COLOURS["dim"], font=_font(12))
    draw.text((6, height - 15), footer, fill=COLOURS["dim"], font=_font(10))
    return screen if mode == "RGB" else screen.convert(mode)


def result_screen(result: str, lines: list[str], size: tuple[int, int] = (320, 240),
                  mode: str = "RGB") -> Image.Image:
    """The inspection's result: a coloured headline and the reasons."""
    if mode == "1" or size[1] < 120:
        return oled_text([result.upper()] + lines, size)
    width, height = size
    screen = Image.new("RGB", size, COLOURS["bg"])
    draw = ImageDraw.Draw(screen)
    draw.rectangle([0, 0, width, 44], fill=RESULT_COLOURS.get(result, COLOURS["select"]))
    draw.text((8, 8), result.upper().replace("-", " "), fill=COLOURS["text"], font=_font(24))
    for i, line in enumerate(lines[:9]):
        draw.text((8, 52 + i * 19), line[:48], fill=COLOURS["text"], font=_font(12))
    draw.text((6, height - 15), "SELECT: done", fill=COLOURS["dim"], font=_font(10))
    return screen if mode == "RGB" else screen.convert(mode)


# ---- 128x64 OLED: text only ---------------------------------------------------------------
def oled_text(lines: list[str], size: tuple[int, int] = (128, 64),
              inverted_first: bool = False) -> Image.Image:
    screen = Image.new("1", size, 0)
    draw = ImageDraw.Draw(screen)
    draw.fontmode = "1"
    font = _font(10)
    for i, line in enumerate(lines[:5]):
        y = i * 12 + 1
        if i == 0 and inverted_first:
            draw.rectangle([0, 0, size[0], 12], fill=1)
            draw.text((2, y - 1), line[:22], fill=0, font=font)
        else:
            draw.text((2, y), line[:22], fill=1, font=font)
    return screen


def oled_live(status: LiveStatus, size: tuple[int, int] = (128, 64)) -> Image.Image:
    _colour, label = LEVEL_COLOURS[status.level]
    minutes, seconds = divmod(int(status.elapsed_s), 60)
    lines = [f"{label} {minutes:02d}:{seconds:02d}", status.rf_text]
    if status.wifi_trail:
        lines.append(f"{status.wifi_text[:14]} {status.wifi_trend[:1]}")
    if status.walk_prompt:
        lines.append("WALK 10 s")
    cov = f"COV {status.coverage:.0%}" if status.coverage is not None else "COV --"
    lines.append(f"{cov} {'TOO FAST' if status.too_fast else 'PACE OK'}")
    lines.append(f"{status.lens_text or 'LENS -'}{'  MUTE' if status.muted else ''}")
    lines.append(status.faults[0] if status.faults else status.guide)
    return oled_text(lines, size, inverted_first=status.level >= Level.LENS_CONFIRMED)


def oled_menu(title: str, items: list[str], selected: int,
              size: tuple[int, int] = (128, 64)) -> Image.Image:
    first = min(max(selected - 3, 0), max(len(items) - 4, 0))
    lines = [title] + [("> " if first + i == selected else "  ") + item
                       for i, item in enumerate(items[first:first + 4])]
    return oled_text(lines, size, inverted_first=True)
