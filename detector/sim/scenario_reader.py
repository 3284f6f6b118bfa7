"""Typed reading of a scenario file's TOML tables: every accessor raises ScenarioError
naming the file, the dotted key and what was expected."""

from __future__ import annotations

from typing import Any

import numpy as np

from detector.errors import ScenarioError


class Reader:
    """Typed accessors that raise ScenarioError naming the file and the dotted key."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, key: str, expected: str) -> None:
        raise ScenarioError(self.file, key, expected)

    def table(self, data: dict, key: str, required: bool) -> dict | None:
        if key not in data:
            if required:
                self.fail(key, "required table is missing")
            return None
        value = data[key]
        if not isinstance(value, dict):
            self.fail(key, f"expected a table, got {show(value)}")
        return value

    def unknown(self, data: dict, allowed: set[str], prefix: str) -> None:
        for key in data:
            if key not in allowed:
                self.fail(f"{prefix}{key}", "unknown key")

    def number(self, value: Any, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, f"expected a number, got {show(value)}")
        if not np.isfinite(value):
            self.fail(key, f"expected a finite number, got {value}")
        return float(value)

    def integer(self, value: Any, key: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"expected an integer, got {show(value)}")
        return int(value)

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str):
            self.fail(key, f"expected a string, got {show(value)}")
        return value

    def choice(self, value: Any, key: str, choices: tuple[str, ...]) -> str:
        text = self.string(value, key)
        if text not in choices:
            self.fail(key, f"expected one of {', '.join(choices)}, got {text!r}")
        return text

    def ranged(self, value: Any, key: str, low: float | None, high: float | None,
               low_open: bool = False) -> float:
        number = self.number(value, key)
        too_low = low is not None and (number <= low if low_open else number < low)
        if too_low or (high is not None and number > high):
            if low_open and high is None:
                self.fail(key, f"expected a number above {low:g}, got {number:g}")
            if high is None:
                self.fail(key, f"expected a number of at least {low:g}, got {number:g}")
            self.fail(key, f"expected a number from {low:g} to {high:g}, got {number:g}")
        return number

    def vector(self, value: Any, key: str, n: int) -> tuple[float, ...]:
        if not isinstance(value, list) or len(value) != n:
            self.fail(key, f"expected a list of {n} numbers, got {show(value)}")
        return tuple(self.number(v, f"{key}[{i}]") for i, v in enumerate(value))

    def direction(self, value: Any, key: str) -> tuple[float, float, float]:
        vec = self.vector(value, key, 3)
        if np.linalg.norm(vec) < 1e-9:
            self.fail(key, "expected a non-zero direction, got [0, 0, 0]")
        return vec  # type: ignore[return-value]


def show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
