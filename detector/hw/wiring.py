"""The wiring table and diagram, drawn from hardware/pins.toml so that the drawing, the
table and the code cannot disagree. `python -m detector.hw.wiring [DIR]` rewrites
hardware/wiring.svg and hardware/wiring.md; a test checks the committed ones are current.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from detector.config import pins_text

# BCM GPIO number -> physical pin on the 40-pin header (all Raspberry Pi models since B+).
HEADER = {2: 3, 3: 5, 4: 7, 17: 11, 27: 13, 22: 15, 10: 19, 9: 21, 11: 23, 5: 29, 6: 31,
          13: 33, 19: 35, 26: 37, 14: 8, 15: 10, 18: 12, 23: 16, 24: 18, 25: 22, 8: 24,
          7: 26, 12: 32, 16: 36, 20: 38, 21: 40, 0: 27, 1: 28}
POWER = {1: "3V3", 17: "3V3", 2: "5V", 4: "5V", 6: "GND", 9: "GND", 14: "GND", 20: "GND",
         25: "GND", 30: "GND", 34: "GND", 39: "GND"}
# What each assignment drives, for the table and the drawing.
PARTS = {
    "lights.onaxis_pin": "on-axis LED ring: MOSFET gate (via 100 ohm)",
    "lights.offaxis_pin": "off-axis LED group: MOSFET gate (via 100 ohm)",
    "buzzer.pin": "piezo buzzer: transistor base (PWM0)",
    "buttons.select_pin": "SELECT button to GND",
    "buttons.up_pin": "UP button to GND",
    "buttons.down_pin": "DOWN button to GND",
    "display.dc_pin": "TFT D/C",
    "display.reset_pin": "TFT RESET",
    "display.backlight_pin": "TFT backlight (BL)",
}
BUS = {"spi0": ("TFT CS (CE0)", "TFT MISO (unused)", "TFT SDA/MOSI", "TFT SCL/SCLK"),
       "i2c1": ("OLED SDA", "OLED SCL")}


def assignments(text: str | None = None) -> list[tuple[int, str, str]]:
    """(BCM, key, what) for every pin in pins.toml, bus pins included, by BCM number."""
    data = tomllib.loads(text if text is not None else pins_text())
    rows = []
    for section, values in data.items():
        if section == "bus":
            for bus, pins in values.items():
                for pin, what in zip(pins, BUS.get(bus, ()), strict=False):
                    rows.append((int(pin), f"bus.{bus}", what))
            continue
        for key, pin in values.items():
            dotted = f"{section}.{key}"
            rows.append((int(pin), dotted, PARTS.get(dotted, dotted)))
    return sorted(rows)


def doubled(text: str | None = None) -> list[int]:
    """BCM numbers assigned more than once (parts and buses together)."""
    numbers = [bcm for bcm, _key, _what in assignments(text)]
    return sorted({n for n in numbers if numbers.count(n) > 1})


def pin_table(text: str | None = None) -> str:
    lines = ["# Wiring: Raspberry Pi GPIO header", "",
             "Generated from `hardware/pins.toml` by `python -m detector.hw.wiring`; do not "
             "edit.", "",
             "| BCM | header pin | configuration key | connects to |",
             "|---|---|---|---|"]
    for bcm, key, what in assignments(text):
        lines.append(f"| GPIO{bcm} | {HEADER.get(bcm, '?')} | `{key}` | {what} |")
    lines += ["", "Power: 5 V (header pin 2 or 4) from the power path, GND on any of "
              "pins 6, 9, 14, 20, 25, 30, 34, 39. The TFT and the buttons' pull-ups use "
              "3V3 (pin 1 or 17); the LED groups and the buzzer run from 5 V through their "
              "transistors (hardware/leds.md).", ""]
    return "\n".join(lines)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def wiring_svg(text: str | None = None) -> str:
    """The 40-pin header with each used pin labelled with what it connects to."""
    used = {HEADER[bcm]: (bcm, what) for bcm, _key, what in assignments(text) if bcm in HEADER}
    row_h, width = 22, 980
    height = 60 + 20 * row_h
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           '<text x="20" y="24" font-size="16">Raspberry Pi 40-pin header: the '
           'handheld\'s wiring (from hardware/pins.toml)</text>',
           f'<rect x="452" y="40" width="76" height="{20 * row_h + 8}" fill="#2d5" '
           'stroke="#333"/>']
    for physical in range(1, 41):
        row, left = (physical - 1) // 2, physical % 2 == 1
        cx = 470 if left else 510
        cy = 54 + row * row_h
        label = POWER.get(physical)
        colour = {"GND": "#333", "3V3": "#e80", "5V": "#d00"}.get(label or "", "#fff")
        if physical in used:
            colour = "#06c"
        out.append(f'<circle cx="{cx}" cy="{cy}" r="7" fill="{colour}" stroke="#333"/>')
        out.append(f'<text x="{cx}" y="{cy + 4}" font-size="8" text-anchor="middle" '
                   f'fill="{"#fff" if colour != "#fff" else "#333"}">{physical}</text>')
        if physical in used:
            bcm, what = used[physical]
            text_x, anchor = (cx - 24, "end") if left else (cx + 24, "start")
            out.append(f'<line x1="{cx + (-8 if left else 8)}" y1="{cy}" '
                       f'x2="{cx + (-16 if left else 16)}" y2="{cy}" stroke="#06c"/>')
            out.append(f'<text x="{text_x}" y="{cy + 4}" text-anchor="{anchor}">'
                       f'GPIO{bcm}: {_esc(what)}</text>')
        elif label:
            text_x, anchor = (cx - 24, "end") if left else (cx + 24, "start")
            out.append(f'<text x="{text_x}" y="{cy + 4}" text-anchor="{anchor}" '
                       f'fill="#777">{label}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path("hardware")
    (folder / "wiring.svg").write_text(wiring_svg())
    (folder / "wiring.md").write_text(pin_table())
    print(f"wrote {folder / 'wiring.svg'} and {folder / 'wiring.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
