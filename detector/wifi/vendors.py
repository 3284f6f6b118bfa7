"""Who made a transmitter, from the first three bytes of its address and the IEEE OUI
registry (Debian's ieee-data package: /usr/share/ieee-data/oui.csv). A private
(locally administered) address names no maker: phones randomise theirs."""

from __future__ import annotations

import csv
from pathlib import Path

from detector.wifi.headers import CaptureError, locally_administered

OUI_CSV = Path("/usr/share/ieee-data/oui.csv")
PRIVATE = "private address"


class Vendors:
    """Address prefix -> organisation name."""

    def __init__(self, names: dict[bytes, str]) -> None:
        self.names = names

    @classmethod
    def load(cls, path: Path = OUI_CSV) -> Vendors:
        """The registry at `path` (columns Registry, Assignment, Organization Name, ...);
        an empty one when the file is not there (the vendor is then unknown)."""
        if not path.is_file():
            return cls({})
        names: dict[bytes, str] = {}
        try:
            with open(path, newline="", encoding="utf-8", errors="replace") as fh:
                for row in csv.DictReader(fh):
                    prefix = (row.get("Assignment") or "").strip()
                    if len(prefix) == 6:
                        names[bytes.fromhex(prefix)] = (row.get("Organization Name")
                                                        or "").strip()
        except (OSError, ValueError, csv.Error) as exc:
            raise CaptureError(f"{path}: not an IEEE OUI registry ({exc})") from None
        return cls(names)

    def of(self, address: bytes) -> str | None:
        if locally_administered(address):
            return PRIVATE
        return self.names.get(address[:3])
