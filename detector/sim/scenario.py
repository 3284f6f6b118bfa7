"""Scenario files (format 1): load, validate and hold a room, its objects and a sweep path.

Every rule of the format is enforced here: unknown keys, missing required keys, wrong
types and out-of-range values raise ScenarioError naming the file, the key and what was
expected. Nothing downstream re-validates.

Project extensions (optional keys beyond the format) are documented in docs/scenarios.md.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from detector.errors import ScenarioError
from detector.sim.scenario_reader import Reader as _Reader
from detector.sim.scenario_reader import show as _show

SURFACES = ("tile", "paint", "laminate", "steel")
BANDS = ("none", "wifi-2g4", "wifi-5g", "analog-1g2", "analog-2g4", "analog-5g8", "cellular")
DISGUISES = (
    "screw", "smoke-detector", "usb-charger", "clock", "tissue-box", "coat-hook", "vent", "bare",
)
TRANSMITTER_KINDS = ("phone", "wifi-ap", "bluetooth", "analog-5g8", "laptop", "smart-speaker",
                     "other")
# What a phone on Wi-Fi is doing (its traffic, sim/wifi_traffic.py); a camera on Wi-Fi
# streams to its app through an access point (client) or runs its own (ap).
PHONE_TRAFFIC = ("idle", "browse", "video-down", "video-call")
WIFI_MODES = ("client", "ap")
# Bluetooth and unspecified sources share the 2.4 GHz ISM band with Wi-Fi.
TRANSMITTER_DEFAULT_BAND = {
    "phone": "cellular",
    "wifi-ap": "wifi-2g4",
    "bluetooth": "wifi-2g4",
    "analog-5g8": "analog-5g8",
    "laptop": "wifi-2g4",
    "smart-speaker": "wifi-2g4",
    "other": "wifi-2g4",
}

# Per object kind: extra keys -> (kind of value, default). "vec3" is [x, y, z];
# "size2" is [w, h] in millimetres.
OBJECT_KEYS: dict[str, dict[str, tuple[str, Any]]] = {
    "camera": {
        "facing": ("vec3", None),
        "lens_mm": ("pos", 1.0),
        "fov_deg": ("fov", 70.0),
        "disguise": ("disguise", "bare"),
        "transmits": ("band", "none"),
        "tx_dbm": ("dbm", 10.0),
        "duty": ("unit", 1.0),
        "wifi_mode": ("wifi_mode", "client"),
        "stream_kbps": ("kbps", 800.0),
        "fps": ("fps", 15.0),
        "gop_s": ("gop", 2.0),
    },
    "screw": {"size_mm": ("pos", 6.0)},
    "chrome": {"size_mm": ("pos", 30.0)},
    "water-drop": {"size_mm": ("pos", 3.0)},
    "glass": {"facing": ("vec3", None), "size_mm": ("size2", (300.0, 400.0))},
    "retro-tape": {"size_mm": ("size2", (50.0, 20.0))},
    "toy-eye": {"size_mm": ("pos", 4.0)},
    "led": {"blink_hz": ("nonneg", 0.0), "size_mm": ("pos", 3.0)},
    "hole": {"size_mm": ("pos", 5.0)},
}
REQUIRED_OBJECT_KEYS = {"camera": ("facing",), "glass": ("facing",)}
# How far (m) outside the room box an object or waypoint may lie ("on or near a surface").
NEAR_SURFACE_M = 0.05


@dataclass(frozen=True)
class Room:
    size: tuple[float, float, float]
    surface: str = "tile"
    ambient: float = 0.05


@dataclass(frozen=True)
class DeviceModel:
    resolution: tuple[int, int] = (1280, 720)
    fps: float = 60.0
    hfov_deg: float = 66.0
    exposure_us: float = 2000.0
    offaxis_mm: float = 60.0
    ring_mm: float = 8.0


@dataclass(frozen=True)
class SceneObject:
    kind: str
    id: str
    at: tuple[float, float, float]
    params: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.params[key]


@dataclass(frozen=True)
class Transmitter:
    kind: str
    id: str
    at: tuple[float, float, float]
    band: str
    tx_dbm: float = 15.0
    duty: float = 0.2
    traffic: str = "idle"  # a phone on Wi-Fi: what it is doing (PHONE_TRAFFIC)


@dataclass(frozen=True)
class Waypoint:
    t: float
    at: tuple[float, float, float]
    look: tuple[float, float, float]


@dataclass(frozen=True)
class SweepPath:
    waypoints: tuple[Waypoint, ...]
    tremor_deg: float = 0.3
    start_at_door_s: float = 3.0


@dataclass(frozen=True)
class Scenario:
    name: str
    room: Room
    device: DeviceModel
    objects: tuple[SceneObject, ...]
    transmitters: tuple[Transmitter, ...]
    path: SweepPath
    seed: int = 0
    description: str = ""
    duration_s: float = 0.0
    source: str = "<memory>"

    @property
    def cameras(self) -> tuple[SceneObject, ...]:
        return tuple(o for o in self.objects if o.kind == "camera")

    @property
    def distractors(self) -> tuple[SceneObject, ...]:
        return tuple(o for o in self.objects if o.kind != "camera")

    @property
    def total_s(self) -> float:
        """Simulated time: the wait at the door, then the sweep along the waypoints."""
        return self.path.start_at_door_s + self.duration_s


def load_scenario(path: str | Path) -> Scenario:
    """Load a scenario file, or a bundled scenario by name (e.g. "default")."""
    path = resolve_scenario_path(path)
    file = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(file, "(file)", "file not found") from None
    except UnicodeDecodeError:
        raise ScenarioError(file, "(file)", "expected UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(file, "(file)", f"not valid TOML: {exc}") from None
    except OSError as exc:
        raise ScenarioError(file, "(file)", f"cannot read: {exc.strerror}") from None
    return parse_scenario(data, file)


def bundled_scenarios_dir() -> Path:
    return Path(str(resources.files("detector").joinpath("scenarios")))


def bundled_scenarios() -> list[Path]:
    return sorted(bundled_scenarios_dir().glob("*.toml"))


def resolve_scenario_path(path: str | Path) -> Path:
    """A path that exists, else the name of a bundled scenario (with or without .toml)."""
    candidate = Path(path)
    if candidate.exists():
        return candidate
    name = candidate.name if candidate.suffix == ".toml" else f"{candidate.name}.toml"
    bundled = bundled_scenarios_dir() / name
    if str(candidate.parent) in ("", ".") and bundled.exists():
        return bundled
    return candidate


def parse_scenario(data: dict[str, Any], file: str = "<memory>") -> Scenario:
    r = _Reader(file)
    top_keys = {"format", "name", "description", "seed", "duration_s", "room", "device",
                "objects", "transmitters", "path"}
    r.unknown(data, top_keys, "")
    if "format" not in data:
        r.fail("format", "required key is missing (expected 1)")
    fmt = r.integer(data["format"], "format")
    if fmt != 1:
        r.fail("format", f"expected 1 (the only version this program reads), got {fmt}")
    if "name" not in data:
        r.fail("name", "required key is missing")
    name = r.string(data["name"], "name")
    if not name.strip():
        r.fail("name", "expected a non-empty string")
    description = r.string(data.get("description", ""), "description")
    seed = r.integer(data.get("seed", 0), "seed")

    room = _parse_room(r, r.table(data, "room", required=True))
    device = _parse_device(r, r.table(data, "device", required=False) or {})
    objects = _parse_objects(r, data.get("objects", []), room)
    transmitters = _parse_transmitters(r, data.get("transmitters", []), {o.id for o in objects})
    path = _parse_path(r, r.table(data, "path", required=True), room)

    last_t = path.waypoints[-1].t
    if "duration_s" in data:
        duration = r.ranged(data["duration_s"], "duration_s", 0, None, low_open=True)
    else:
        duration = last_t
    if duration <= 0:
        r.fail("duration_s", "expected a positive duration (the last waypoint's t is 0)")
    return Scenario(name=name, room=room, device=device, objects=objects,
                    transmitters=transmitters, path=path, seed=seed,
                    description=description, duration_s=duration, source=file)


def _parse_room(r: _Reader, data: dict) -> Room:
    r.unknown(data, {"size", "surface", "ambient"}, "room.")
    if "size" not in data:
        r.fail("room.size", "required key is missing (expected [W, D, H] in metres)")
    size = r.vector(data["size"], "room.size", 3)
    for i, v in enumerate(size):
        if not 0.5 <= v <= 30:
            r.fail(f"room.size[{i}]", f"expected a number from 0.5 to 30, got {v:g}")
    surface = r.choice(data.get("surface", "tile"), "room.surface", SURFACES)
    ambient = r.ranged(data.get("ambient", 0.05), "room.ambient", 0, None)
    return Room(size=size, surface=surface, ambient=ambient)  # type: ignore[arg-type]


def _parse_device(r: _Reader, data: dict) -> DeviceModel:
    keys = {"resolution", "fps", "hfov_deg", "exposure_us", "offaxis_mm", "ring_mm"}
    r.unknown(data, keys, "device.")
    d = DeviceModel()
    resolution = d.resolution
    if "resolution" in data:
        value = data["resolution"]
        if not isinstance(value, list) or len(value) != 2:
            r.fail("device.resolution", f"expected [width, height] integers, got {_show(value)}")
        resolution = tuple(r.integer(v, f"device.resolution[{i}]") for i, v in enumerate(value))
        for i, v in enumerate(resolution):
            if not 16 <= v <= 8192:
                r.fail(f"device.resolution[{i}]", f"expected an integer from 16 to 8192, got {v}")
    fps = r.ranged(data.get("fps", d.fps), "device.fps", 1, 1000)
    hfov = r.ranged(data.get("hfov_deg", d.hfov_deg), "device.hfov_deg", 1, 170)
    exposure = r.ranged(data.get("exposure_us", d.exposure_us), "device.exposure_us", 0, None,
                        low_open=True)
    if exposure >= 1e6 / fps:
        r.fail("device.exposure_us", f"expected less than the frame time ({1e6 / fps:.0f} us), "
                                     f"got {exposure:g}")
    offaxis = r.ranged(data.get("offaxis_mm", d.offaxis_mm), "device.offaxis_mm", 0, 1000)
    ring = r.ranged(data.get("ring_mm", d.ring_mm), "device.ring_mm", 0, 200)
    return DeviceModel(resolution=resolution, fps=fps, hfov_deg=hfov,  # type: ignore[arg-type]
                       exposure_us=exposure, offaxis_mm=offaxis, ring_mm=ring)


def _inside_room(point: tuple[float, ...], room: Room, margin: float) -> bool:
    return all(-margin <= p <= s + margin for p, s in zip(point, room.size, strict=True))


def _parse_objects(r: _Reader, items: Any, room: Room) -> tuple[SceneObject, ...]:
    if not isinstance(items, list):
        r.fail("objects", f"expected an array of tables ([[objects]]), got {_show(items)}")
    objects: list[SceneObject] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        prefix = f"objects[{index}]"
        if not isinstance(item, dict):
            r.fail(prefix, f"expected a table, got {_show(item)}")
        if "kind" not in item:
            r.fail(f"{prefix}.kind", f"required key is missing (one of {', '.join(OBJECT_KEYS)})")
        kind = r.choice(item["kind"], f"{prefix}.kind", tuple(OBJECT_KEYS))
        spec = OBJECT_KEYS[kind]
        r.unknown(item, {"kind", "at", "id", *spec}, f"{prefix}.")
        if "at" not in item:
            r.fail(f"{prefix}.at", "required key is missing (expected [x, y, z])")
        at = r.vector(item["at"], f"{prefix}.at", 3)
        if not _inside_room(at, room, NEAR_SURFACE_M):
            r.fail(f"{prefix}.at", f"expected a point in the room {list(room.size)}, got {list(at)}")
        obj_id = r.string(item.get("id", f"{kind}{index}"), f"{prefix}.id")
        if not obj_id.strip():
            r.fail(f"{prefix}.id", "expected a non-empty string")
        if obj_id in seen:
            r.fail(f"{prefix}.id", f"expected a unique id, {obj_id!r} is used twice")
        seen.add(obj_id)
        for key in REQUIRED_OBJECT_KEYS.get(kind, ()):
            if key not in item:
                r.fail(f"{prefix}.{key}", f"required key is missing for a {kind}")
        params = {key: _parse_param(r, item.get(key, default), f"{prefix}.{key}", value_kind)
                  for key, (value_kind, default) in spec.items()}
        objects.append(SceneObject(kind=kind, id=obj_id, at=at, params=params))  # type: ignore[arg-type]
    return tuple(objects)


# Value kinds of OBJECT_KEYS: numbers in a range (low, high, low excluded) and words.
_RANGES: dict[str, tuple[float, float | None, bool]] = {
    "pos": (0, 10_000, True), "fov": (0, 180, True), "dbm": (-60, 40, False),
    "unit": (0, 1, False), "nonneg": (0, None, False), "kbps": (0, 50_000, True),
    "fps": (1, 60, False), "gop": (0.25, 10, False),
}
_CHOICES = {"disguise": DISGUISES, "band": BANDS, "wifi_mode": WIFI_MODES}


def _parse_param(r: _Reader, value: Any, key: str, value_kind: str) -> Any:
    if value_kind == "vec3":
        return r.direction(value, key)
    if value_kind in _RANGES:
        low, high, low_open = _RANGES[value_kind]
        return r.ranged(value, key, low, high, low_open=low_open)
    if value_kind in _CHOICES:
        return r.choice(value, key, _CHOICES[value_kind])
    if value_kind == "size2":
        if isinstance(value, tuple):
            return value
        vec = r.vector(value, key, 2)
        for i, v in enumerate(vec):
            if v <= 0:
                r.fail(f"{key}[{i}]", f"expected a positive size in mm, got {v:g}")
        return vec
    raise AssertionError(value_kind)


def _parse_transmitters(r: _Reader, items: Any, used_ids: set[str]) -> tuple[Transmitter, ...]:
    if not isinstance(items, list):
        r.fail("transmitters", f"expected an array of tables ([[transmitters]]), got {_show(items)}")
    out: list[Transmitter] = []
    seen = set(used_ids)
    for index, item in enumerate(items):
        prefix = f"transmitters[{index}]"
        if not isinstance(item, dict):
            r.fail(prefix, f"expected a table, got {_show(item)}")
        r.unknown(item, {"kind", "at", "band", "tx_dbm", "duty", "id", "traffic"}, f"{prefix}.")
        if "kind" not in item:
            r.fail(f"{prefix}.kind", "required key is missing")
        kind = r.choice(item["kind"], f"{prefix}.kind", TRANSMITTER_KINDS)
        if "at" not in item:
            r.fail(f"{prefix}.at", "required key is missing (expected [x, y, z])")
        at = r.vector(item["at"], f"{prefix}.at", 3)
        band = r.choice(item.get("band", TRANSMITTER_DEFAULT_BAND[kind]), f"{prefix}.band",
                        BANDS[1:])
        tx_dbm = r.ranged(item.get("tx_dbm", 15.0), f"{prefix}.tx_dbm", -60, 40)
        duty = r.ranged(item.get("duty", 0.2), f"{prefix}.duty", 0, 1)
        traffic = r.choice(item.get("traffic", "idle"), f"{prefix}.traffic", PHONE_TRAFFIC)
        if "traffic" in item and kind != "phone":
            r.fail(f"{prefix}.traffic", f"only phones have traffic, this is a {kind}")
        tx_id = r.string(item.get("id", f"{kind}{index}"), f"{prefix}.id")
        if tx_id in seen:
            r.fail(f"{prefix}.id", f"expected a unique id, {tx_id!r} is used twice")
        seen.add(tx_id)
        out.append(Transmitter(kind=kind, id=tx_id, at=at, band=band,  # type: ignore[arg-type]
                               tx_dbm=tx_dbm, duty=duty, traffic=traffic))
    return tuple(out)


def _parse_path(r: _Reader, data: dict, room: Room) -> SweepPath:
    r.unknown(data, {"waypoints", "tremor_deg", "start_at_door_s"}, "path.")
    if "waypoints" not in data:
        r.fail("path.waypoints", "required key is missing")
    items = data["waypoints"]
    if not isinstance(items, list):
        r.fail("path.waypoints", f"expected an array of inline tables, got {_show(items)}")
    if len(items) < 2:
        r.fail("path.waypoints", f"expected at least two waypoints, got {len(items)}")
    waypoints: list[Waypoint] = []
    for index, item in enumerate(items):
        prefix = f"path.waypoints[{index}]"
        if not isinstance(item, dict):
            r.fail(prefix, f"expected an inline table {{ t, at, look }}, got {_show(item)}")
        r.unknown(item, {"t", "at", "look"}, f"{prefix}.")
        for key in ("t", "at", "look"):
            if key not in item:
                r.fail(f"{prefix}.{key}", "required key is missing")
        t = r.ranged(item["t"], f"{prefix}.t", 0, None)
        at = r.vector(item["at"], f"{prefix}.at", 3)
        look = r.vector(item["look"], f"{prefix}.look", 3)
        if not _inside_room(at, room, NEAR_SURFACE_M):
            r.fail(f"{prefix}.at", f"expected a point in the room {list(room.size)}, got {list(at)}")
        if np.linalg.norm(np.subtract(look, at)) < 1e-6:
            r.fail(f"{prefix}.look", "expected a point other than `at` to aim at")
        if waypoints and t <= waypoints[-1].t:
            r.fail(f"{prefix}.t", f"expected t greater than {waypoints[-1].t:g} (strictly "
                                  f"increasing), got {t:g}")
        waypoints.append(Waypoint(t=t, at=at, look=look))  # type: ignore[arg-type]
    tremor = r.ranged(data.get("tremor_deg", 0.3), "path.tremor_deg", 0, 20)
    door = r.ranged(data.get("start_at_door_s", 3.0), "path.start_at_door_s", 0, 600)
    return SweepPath(waypoints=tuple(waypoints), tremor_deg=tremor, start_at_door_s=door)
