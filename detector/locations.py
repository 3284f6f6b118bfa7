"""The location list, check-in by QR sticker, and the guided procedure per room type."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

from detector.errors import ConfigError

QR_PREFIX = "RCD-LOC:"
ROOM_TYPES = ("stall", "urinal-row", "sink-area", "changing-room", "shower")


@dataclass(frozen=True)
class Location:
    id: str
    name: str
    room_type: str


@dataclass(frozen=True)
class Procedure:
    room_type: str
    title: str
    steps: tuple[str, ...]
    yaw_deg: tuple[float, float]
    pitch_deg: tuple[float, float]


def _read_toml(path: Path | None, bundled: str) -> tuple[str, dict]:
    try:
        if path is None:
            text = resources.files("detector.data").joinpath(bundled).read_text("utf-8")
            return f"(bundled) {bundled}", tomllib.loads(text)
        return str(path), tomllib.loads(Path(path).read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path or bundled}: not valid TOML: {exc}") from None


def load_locations(path: str | Path | None = None) -> list[Location]:
    """The configured location list (inspection.locations), or the bundled example."""
    name, data = _read_toml(Path(path) if path else None, "locations.toml")
    entries = data.get("location")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{name}: location: expected at least one [[location]] table")
    seen: set[str] = set()
    locations = []
    for i, entry in enumerate(entries):
        where = f"{name}: location[{i}]"
        for key in ("id", "name", "room_type"):
            if not isinstance(entry.get(key), str) or not entry[key]:
                raise ConfigError(f"{where}.{key}: expected a non-empty string")
        if entry["room_type"] not in ROOM_TYPES:
            raise ConfigError(f"{where}.room_type: expected one of {', '.join(ROOM_TYPES)}, "
                              f"got {entry['room_type']!r}")
        if entry["id"] in seen:
            raise ConfigError(f"{where}.id: {entry['id']!r} is used twice")
        seen.add(entry["id"])
        locations.append(Location(entry["id"], entry["name"], entry["room_type"]))
    return locations


def load_procedures() -> dict[str, Procedure]:
    _name, data = _read_toml(None, "procedures.toml")
    return {room: Procedure(room, d["title"], tuple(d["steps"]), tuple(d["yaw_deg"]),
                            tuple(d["pitch_deg"])) for room, d in data.items()}


def guess_room_type(text: str) -> str:
    """A simulated sweep without a location: the room type its name suggests."""
    lowered = text.lower()
    for word, room in (("urinal", "urinal-row"), ("sink", "sink-area"),
                       ("changing", "changing-room"), ("shower", "shower")):
        if word in lowered:
            return room
    return "stall"


def qr_payload(location_id: str) -> str:
    return QR_PREFIX + location_id


def qr_image(location_id: str, module_px: int = 4) -> np.ndarray:
    """The sticker's QR code as a grey image (for printing stickers and for tests)."""
    encoder = cv2.QRCodeEncoder.create()
    code = encoder.encode(qr_payload(location_id))
    return cv2.resize(code, None, fx=module_px, fy=module_px, interpolation=cv2.INTER_NEAREST)


class QrReader:
    """Reads location stickers from camera frames (OpenCV's QR detector)."""

    def __init__(self) -> None:
        self.detector = cv2.QRCodeDetector()

    def read(self, image: np.ndarray) -> str | None:
        """The location id on a sticker in view, or None."""
        if image.dtype != np.uint8:
            image = (image >> 8).astype(np.uint8)
        try:
            text, _points, _code = self.detector.detectAndDecode(image)
        except cv2.error:
            return None
        if text and text.startswith(QR_PREFIX):
            return text[len(QR_PREFIX):]
        return None
