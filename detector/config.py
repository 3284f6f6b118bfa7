"""Layered TOML configuration: bundled defaults, a user file, command-line overrides.

Every key must exist in the bundled defaults, and its value must have the default's type
(an int is accepted where a float is expected). A few keys also have a set of allowed
values or a range. Each effective value remembers where it came from, for
`detector config show`.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from detector.errors import ConfigError

DEFAULTS_NAME = "defaults.toml"
LIMITS_NAME = "limits.toml"  # the range or choices of every setting, beside the defaults
PINS_NAME = "pins.toml"
T = TypeVar("T")
S = TypeVar("S", bound="Section")


@dataclass(frozen=True)
class Limits:
    """What each setting may be (detector/limits.toml)."""

    ranges: dict[str, tuple[float, float]]  # inclusive; each element of a list of numbers
    choices: dict[str, tuple[str, ...]]  # each element of a list of words
    less_than: tuple[tuple[str, str], ...]

    def describe(self, key: str) -> str:
        """The allowed values of a key, for `config show --ranges` and error lines."""
        if key in self.ranges:
            low, high = self.ranges[key]
            return f"from {low} to {high}"
        if key in self.choices:
            return "one of " + ", ".join(self.choices[key])
        return ""


@lru_cache(maxsize=1)
def limits() -> Limits:
    tree = tomllib.loads(resources.files("detector").joinpath(LIMITS_NAME).read_text(
        encoding="utf-8"))
    pairs = tuple((a, b) for a, b in tree.pop("less_than", []))
    ranges: dict[str, tuple[float, float]] = {}
    choices: dict[str, tuple[str, ...]] = {}
    for key, value in _flatten(tree):
        if all(isinstance(v, str) for v in value):
            choices[key] = tuple(value)
        else:
            ranges[key] = (value[0], value[1])
    return Limits(ranges, choices, pairs)


@dataclass
class Config:
    """Effective configuration: nested values plus the source of every leaf key."""

    values: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)

    def get(self, dotted: str) -> Any:
        node: Any = self.values
        for part in dotted.split("."):
            node = node[part]
        return node

    def section(self, name: str) -> dict[str, Any]:
        return dict(self.values[name])

    def flat(self) -> dict[str, Any]:
        return dict(_flatten(self.values))

    def with_values(self, **sections: dict[str, Any]) -> Config:
        """A copy with some values set by the program (a scenario's field of view, the
        gain a calibration step tries); the original is left as it is."""
        values = {k: dict(v) if isinstance(v, dict) else v for k, v in self.values.items()}
        sources = dict(self.sources)
        for section, entries in sections.items():
            values[section].update(entries)
            sources.update({f"{section}.{key}": "program" for key in entries})
        return Config(values, sources)

    def simulated(self) -> Config:
        """Every device on its simulated backend, and no simulated display."""
        return self.with_values(backend={k: "sim" for k in self.values["backend"]},
                                sim={"display": "none"})


def log_dir(config: Config) -> Path:
    """The device's logbook directory: inspection.log_dir, or ~/.local/share/detector."""
    configured = config.get("inspection.log_dir")
    if configured:
        return Path(os.path.expanduser(configured))
    return Path.home() / ".local" / "share" / "detector"


class Section:
    """Base of every settings section: a frozen dataclass with a SECTION name and one
    field per key (detector/settings.py lists them all)."""

    SECTION: ClassVar[str]

    @classmethod
    def of(cls: type[S], config: Config) -> S:
        """The section as the configuration has it."""
        return section_settings(cls, config)

    @classmethod
    def defaults(cls: type[S]) -> S:
        """The bundled defaults (no user file)."""
        return default_settings(cls)

    def with_(self: S, **changes: Any) -> S:
        """A copy with some values changed (tests, tuning runs)."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


def section_settings(cls: type[T], config: Config) -> T:
    """A section of the configuration as its typed, frozen settings object: `cls` is a
    frozen dataclass with a SECTION name and one field per key of that section, without
    defaults of its own (defaults.toml holds them, limits.toml their ranges, and load_config
    has checked both). Lists become tuples, so settings can be hashed and shared."""
    values = config.section(cls.SECTION)  # type: ignore[attr-defined]
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    missing = [n for n in names if n not in values]
    if missing:
        raise ConfigError(f"[{cls.SECTION}]: no {', '.join(missing)} "  # type: ignore[attr-defined]
                          f"in the configuration")
    return cls(**{n: tuple(values[n]) if isinstance(values[n], list) else values[n]
                  for n in names})


def default_settings(cls: type[T]) -> T:
    """A section's bundled defaults (no user file): for tests, tools and library callers
    that are given no configuration."""
    return _default_settings(cls)


@lru_cache(maxsize=64)
def _default_settings(cls: type[T]) -> T:
    return section_settings(cls, load_config(use_user_file=False))


def _flatten(tree: dict[str, Any], prefix: str = ""):
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, dotted + ".")
        else:
            yield dotted, value


def _describe_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        inner = _describe_type(value[0]) if value else "values"
        return f"a list of {inner.removeprefix('a ').removeprefix('an ')}s"
    return type(value).__name__


def _matches(default: Any, value: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, list):
        if not isinstance(value, list):
            return False
        return not default or all(_matches(default[0], v) for v in value)
    return False


def _check_value(origin: str, key: str, default: Any, value: Any) -> Any:
    if not _matches(default, value):
        raise ConfigError(f"{origin}: {key}: expected {_describe_type(default)}, got {value!r}")
    if isinstance(default, float):
        value = float(value)
    fixed_length = key.endswith(("resolution", "sensor_mode"))
    if fixed_length and len(value) != len(default):
        raise ConfigError(f"{origin}: {key}: expected {len(default)} values, got {value!r}")
    allowed = limits()
    items = value if isinstance(value, list) else [value]
    choices = allowed.choices.get(key)
    if choices and (not items or any(v not in choices for v in items)):
        what = "a non-empty list of" if isinstance(value, list) else "one of"
        raise ConfigError(f"{origin}: {key}: expected {what} {', '.join(choices)}, "
                          f"got {value!r}")
    bounds = allowed.ranges.get(key)
    if bounds and any(not bounds[0] <= v <= bounds[1] for v in items):
        what = "values" if isinstance(value, list) else "a value"
        raise ConfigError(f"{origin}: {key}: expected {what} from {bounds[0]} to {bounds[1]}, "
                          f"got {value!r}")
    return value


def _check_order(config: Config) -> None:
    """Settings that must stay below another (limits.toml's less_than)."""
    for low_key, high_key in limits().less_than:
        low, high = config.get(low_key), config.get(high_key)
        if not low < high:
            changed = [k for k in (low_key, high_key)
                       if config.sources.get(k) not in ("default", "hardware/pins.toml")]
            origin = config.sources.get(changed[-1] if changed else high_key, "default")
            raise ConfigError(f"{origin}: {low_key} = {low} must be below "
                              f"{high_key} = {high}")


def _merge(base: Config, layer: dict[str, Any], origin: str) -> None:
    defaults = _default_leaves()
    for key, value in _flatten(layer):
        if key not in defaults:
            section = key.split(".")[0]
            if section in base.values and "." not in key:
                raise ConfigError(f"{origin}: {key}: expected a table, got a value")
            raise ConfigError(f"{origin}: {key}: unknown key")
        checked = _check_value(origin, key, defaults[key], value)
        node = base.values
        parts = key.split(".")
        for part in parts[:-1]:
            node = node[part]
        node[parts[-1]] = checked
        base.sources[key] = origin


@lru_cache(maxsize=1)
def _defaults_text() -> str:
    return resources.files("detector").joinpath(DEFAULTS_NAME).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def pins_text() -> str:
    """hardware/pins.toml (shipped as detector/data/pins.toml): every GPIO assignment."""
    return resources.files("detector.data").joinpath(PINS_NAME).read_text(encoding="utf-8")


def pins_tree() -> dict[str, Any]:
    """The pin assignments of the parts, without the [bus] section of reserved pins."""
    tree = tomllib.loads(pins_text())
    tree.pop("bus", None)
    return tree


@lru_cache(maxsize=1)
def _default_leaves() -> dict[str, Any]:
    """Dotted key -> default value; the schema every layer is checked against."""
    return dict(_flatten(_load_defaults_raw()))


def _load_defaults_raw() -> dict[str, Any]:
    """A fresh, mutable tree of the defaults with the pins merged in (the cached texts
    are parsed again, cheaply)."""
    tree = tomllib.loads(_defaults_text())
    for section, values in pins_tree().items():
        tree.setdefault(section, {}).update(values)
    return tree


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, turning every failure into a one-line ConfigError."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None


def user_config_path() -> Path:
    env = os.environ.get("DETECTOR_CONFIG")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "detector" / "config.toml"


def parse_override(text: str) -> tuple[str, Any]:
    """Parse `section.key=value`, where value is TOML (bare words are taken as strings)."""
    if "=" not in text:
        raise ConfigError(f"--set {text}: expected KEY=VALUE")
    key, raw = (part.strip() for part in text.split("=", 1))
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value


def load_config(
    user_file: Path | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    use_user_file: bool = True,
) -> Config:
    """Build the effective configuration.

    `user_file` given explicitly must exist; the default user file is read only if present.
    """
    raw = _load_defaults_raw()
    pin_keys = {k for k, _ in _flatten(pins_tree())}
    config = Config(values=raw, sources={k: "hardware/pins.toml" if k in pin_keys else "default"
                                         for k, _ in _flatten(raw)})
    if user_file is not None:
        _merge(config, read_toml(Path(user_file)), str(user_file))
    elif use_user_file:
        path = user_config_path()
        if path.is_file():
            _merge(config, read_toml(path), str(path))
    for text in overrides:
        key, value = parse_override(text)
        nested: dict[str, Any] = {}
        node = nested
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
        _merge(config, nested, "--set")
    _apply_profile(config)
    _check_order(config)
    return config


def profile_path(config: Config) -> Path | None:
    """The calibration profile in force: calibration.profile, or the current one in the
    logbook directory."""
    configured = config.get("calibration.profile")
    if configured:
        return Path(os.path.expanduser(configured))
    path = log_dir(config) / "calibration" / "current.toml"
    return path if path.is_file() else None


def _apply_profile(config: Config) -> None:
    """Calibration values under the user's own settings: they replace defaults only."""
    path = profile_path(config)
    if path is None:
        return
    data = read_toml(path)
    if data.get("format") != 1:
        raise ConfigError(f"{path}: calibration profile format {data.get('format')!r}, "
                          f"expected 1: calibrate again")
    layer = {section: values for section, values in data.items()
             if section in ("camera", "calibration") and isinstance(values, dict)}
    user_set = {k for k, source in config.sources.items()
                if source not in ("default", "hardware/pins.toml")}
    for section, values in layer.items():
        for key in list(values):
            if f"{section}.{key}" in user_set:
                del values[key]
    _merge(config, layer, f"calibration {path.name}")


def format_config(config: Config, ranges: bool = False) -> str:
    """Render the effective configuration as TOML-like lines with their sources (and,
    with ranges, what each value may be)."""
    lines: list[str] = []
    current = None
    for key, value in config.flat().items():
        section, name = key.rsplit(".", 1)
        if section != current:
            if current is not None:
                lines.append("")
            lines.append(f"[{section}]")
            current = section
        line = f"{name} = {toml_value(value)}  # {config.sources.get(key, 'default')}"
        allowed = limits().describe(key) if ranges else ""
        lines.append(f"{line}; {allowed}" if allowed else line)
    return "\n".join(lines)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value)
