"""Recorded sessions (format 1): a directory of session.json, frames.csv, frames/*.png,
optional rf.jsonl and truth.json. The writer streams frames to disk as they come (a
crash loses at most the frame being written); the reader validates everything and
names the file at fault, never skipping data silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from detector.errors import RecordingError
from detector.hw.camera import LIGHT_LABELS, Frame
from detector.wifi.capture import PcapWriter
from detector.wifi.encode import capture_bytes
from detector.wifi.headers import WifiFrame
from detector.wifi.pseudonyms import Pseudonyms

FORMAT = 1
FRAMES_HEADER = ["index", "t_ns", "exposure_us", "lights", "file"]

WIFI_CAPTURE = "wifi.pcap"  # the Wi-Fi traffic heard, header-only (docs/wifi.md)


def _write_error(path: Path, exc: OSError) -> RecordingError:
    reason = "disk full" if exc.errno == 28 else (exc.strerror or str(exc))
    return RecordingError(f"{path}: cannot write ({reason})")


class RecordingWriter:
    """Writes a recorded session directory, frame by frame."""

    def __init__(self, directory: str | Path, device: dict[str, Any], source: str = "sim",
                 scenario: str | None = None, extra: dict[str, Any] | None = None) -> None:
        self.dir = Path(directory)
        try:
            (self.dir / "frames").mkdir(parents=True, exist_ok=True)
            if any((self.dir / "frames").iterdir()) or (self.dir / "frames.csv").exists():
                raise RecordingError(f"{self.dir}: already holds a recording; choose an empty "
                                     f"directory")
            session: dict[str, Any] = {
                "format": FORMAT,
                "created": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                "source": source,
                "device": device,
            }
            if scenario is not None:
                session["scenario"] = scenario
            session.update(extra or {})
            _write_json(self.dir / "session.json", session)
            self._csv_file = open(self.dir / "frames.csv", "w", newline="", encoding="utf-8")
        except OSError as exc:
            raise _write_error(self.dir, exc) from None
        self._csv = csv.writer(self._csv_file)
        self._csv.writerow(FRAMES_HEADER)
        self._rf_file = None
        self._wifi_file = None
        self._wifi: PcapWriter | None = None
        self._pseudonyms = Pseudonyms()
        self.truth: dict[str, Any] | None = None
        self.count = 0

    def add_frame(self, frame: Frame) -> None:
        name = f"{frame.index:06d}.png"
        path = self.dir / "frames" / name
        try:
            if not cv2.imwrite(str(path), frame.image, [cv2.IMWRITE_PNG_COMPRESSION, 1]):
                raise RecordingError(f"{path}: cannot write the frame")
            self._csv.writerow([frame.index, frame.t_ns, f"{frame.exposure_us:g}", frame.lights,
                                name])
            self._csv_file.flush()
        except OSError as exc:
            raise _write_error(path, exc) from None
        self.count += 1

    def add_rf(self, reading: dict[str, Any]) -> None:
        try:
            if self._rf_file is None:
                self._rf_file = open(self.dir / "rf.jsonl", "w", encoding="utf-8")
            self._rf_file.write(json.dumps(reading, separators=(",", ":")) + "\n")
            self._rf_file.flush()
        except OSError as exc:
            raise _write_error(self.dir / "rf.jsonl", exc) from None

    def add_wifi(self, frames: list[WifiFrame]) -> None:
        """Frames the Wi-Fi adapter heard, to the session's header-only pcap, every
        address a pseudonym (wifi/pseudonyms.py)."""
        path = self.dir / WIFI_CAPTURE
        try:
            if self._wifi is None:
                self._wifi_file = open(path, "wb")
                self._wifi = PcapWriter(self._wifi_file)
            for frame in frames:
                self._wifi.write(frame.t_ns, *capture_bytes(self._pseudonyms.frame(frame)))
            assert self._wifi_file is not None
            self._wifi_file.flush()
        except OSError as exc:
            raise _write_error(path, exc) from None

    def set_truth(self, truth: dict[str, Any]) -> None:
        self.truth = truth

    def close(self) -> None:
        self._csv_file.close()
        if self._rf_file is not None:
            self._rf_file.close()
        if self._wifi_file is not None:
            self._wifi_file.close()
        if self.truth is not None:
            try:
                _write_json(self.dir / "truth.json", self.truth)
            except OSError as exc:
                raise _write_error(self.dir / "truth.json", exc) from None

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _write_json(path: Path, data: Any) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


@dataclass(frozen=True)
class FrameRow:
    index: int
    t_ns: int
    exposure_us: float
    lights: str
    file: str


@dataclass
class Recording:
    """A loaded, validated recorded session. Frames load lazily."""

    dir: Path
    session: dict[str, Any]
    rows: list[FrameRow]
    rf: list[dict[str, Any]] = field(default_factory=list)
    truth: dict[str, Any] | None = None

    @property
    def resolution(self) -> tuple[int, int]:
        res = self.session.get("device", {}).get("resolution")
        return (int(res[0]), int(res[1])) if res else (0, 0)

    def load_frame(self, row: FrameRow) -> Frame:
        path = self.dir / "frames" / row.file
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if image is None:
            raise RecordingError(f"{path}: not a readable PNG image")
        if image.ndim != 2:
            raise RecordingError(f"{path}: expected a grayscale image, got {image.ndim} "
                                 f"dimensions with {image.shape[-1]} channels")
        if image.dtype not in (np.uint8, np.uint16):
            raise RecordingError(f"{path}: expected 8-bit or 16-bit pixels, got {image.dtype}")
        return Frame(index=row.index, t_ns=row.t_ns, exposure_us=row.exposure_us,
                     lights=row.lights, image=image)

    def frames(self) -> Iterator[Frame]:
        for row in self.rows:
            yield self.load_frame(row)


def load_recording(directory: str | Path) -> Recording:
    """Load and validate a recorded session directory."""
    base = Path(directory)
    if not base.is_dir():
        raise RecordingError(f"{base}: not a directory")
    session = _read_json(base / "session.json")
    if not isinstance(session, dict):
        raise RecordingError(f"{base / 'session.json'}: expected a JSON object")
    if session.get("format") != FORMAT:
        raise RecordingError(f"{base / 'session.json'}: unknown format "
                             f"{session.get('format')!r} (this program reads format {FORMAT})")
    if session.get("source") not in ("sim", "device"):
        raise RecordingError(f"{base / 'session.json'}: source: expected \"sim\" or \"device\", "
                             f"got {session.get('source')!r}")
    rows = _read_frames_csv(base)
    rf = _read_rf(base / "rf.jsonl") if (base / "rf.jsonl").exists() else []
    truth = _read_json(base / "truth.json") if (base / "truth.json").exists() else None
    if truth is not None:
        _check_truth(base / "truth.json", truth)
    return Recording(dir=base, session=session, rows=rows, rf=rf, truth=truth)


def _read_json(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise RecordingError(f"{path}: missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RecordingError(f"{path}: not valid JSON ({exc})") from None


def _read_frames_csv(base: Path) -> list[FrameRow]:
    path = base / "frames.csv"
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header != FRAMES_HEADER:
                raise RecordingError(f"{path}: expected header {','.join(FRAMES_HEADER)}, "
                                     f"got {','.join(header or [])!r}")
            rows = []
            for line_no, cells in enumerate(reader, start=2):
                rows.append(_parse_row(path, line_no, cells, base))
    except FileNotFoundError:
        raise RecordingError(f"{path}: missing") from None
    except UnicodeDecodeError:
        raise RecordingError(f"{path}: not UTF-8 text") from None
    for prev, row in zip(rows, rows[1:], strict=False):
        if row.t_ns < prev.t_ns:
            raise RecordingError(f"{path}: frame {row.index}: t_ns goes backwards")
    return rows


def _parse_row(path: Path, line_no: int, cells: list[str], base: Path) -> FrameRow:
    where = f"{path}: line {line_no}"
    if len(cells) != len(FRAMES_HEADER):
        raise RecordingError(f"{where}: expected {len(FRAMES_HEADER)} columns, got {len(cells)}")
    try:
        index, t_ns, exposure = int(cells[0]), int(cells[1]), float(cells[2])
    except ValueError:
        raise RecordingError(f"{where}: index and t_ns must be integers, exposure_us a "
                             f"number") from None
    lights, file = cells[3], cells[4]
    if lights not in LIGHT_LABELS:
        raise RecordingError(f"{where}: lights: expected one of {', '.join(LIGHT_LABELS)}, "
                             f"got {lights!r}")
    if not (base / "frames" / file).is_file():
        raise RecordingError(f"{where}: frame file frames/{file} is missing")
    return FrameRow(index=index, t_ns=t_ns, exposure_us=exposure, lights=lights, file=file)


def _read_rf(path: Path) -> list[dict[str, Any]]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                reading = json.loads(line)
            except json.JSONDecodeError:
                raise RecordingError(f"{path}: line {line_no}: not valid JSON") from None
            if not isinstance(reading, dict) or not {"t_ns", "source", "dbm"} <= reading.keys():
                raise RecordingError(f"{path}: line {line_no}: expected an object with t_ns, "
                                     f"source and dbm")
            out.append(reading)
    return out


def _check_truth(path: Path, truth: Any) -> None:
    if not isinstance(truth, dict):
        raise RecordingError(f"{path}: expected a JSON object")
    for key in ("cameras", "distractors", "transmitters"):
        if not isinstance(truth.get(key, []), list):
            raise RecordingError(f"{path}: {key}: expected a list")
    for cam in truth.get("cameras", []):
        if not isinstance(cam, dict) or "id" not in cam or "frames" not in cam:
            raise RecordingError(f"{path}: cameras: each entry needs id and frames")
        for entry in cam["frames"]:
            if not isinstance(entry, list) or len(entry) != 4:
                raise RecordingError(f"{path}: camera {cam['id']}: frames entries are "
                                     f"[index, x_px, y_px, in_cone]")
