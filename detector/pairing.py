"""`detector log pair`: a pairing code for the office laptop, on the device's screen and
printed (the logbook makes the code, the display shows it)."""

from __future__ import annotations

from pathlib import Path

from detector.backends import build_display
from detector.config import Config
from detector.errors import DetectorError
from detector.logbook.commands import device_dir
from detector.logbook.store import Logbook
from detector.logbook.sync import PAIRING_S, new_pairing_code
from detector.ui.screens import result_screen


def pair_command(config: Config, directory: Path | None) -> int:
    """Show a pairing code on the device's screen (and print it)."""
    book = Logbook.on_device(device_dir(config, directory))
    try:
        code = new_pairing_code(book)
    finally:
        book.close()
    try:
        display = build_display(config)
        display.show(result_screen("pair", [f"code {code}", "type it on the office laptop:",
                                            "detector sync --pair CODE",
                                            f"valid {PAIRING_S / 60:.0f} minutes"],
                                   display.size, display.mode))
    except DetectorError:
        pass  # no display: the printed code will do
    print(f"pairing code: {code} (valid {PAIRING_S / 60:.0f} minutes; on the office laptop: "
          f"detector sync --port PORT --pair {code})")
    return 0
