"""Choosing the scanner client from the configuration ([rf] scanner and port)."""

from __future__ import annotations

from typing import Any

from detector.config import Config
from detector.errors import ConfigError
from detector.hw.clock import Clock
from detector.rf.analysis import RfAnalyzer, RfParams
from detector.rf.client import FirmwareClient
from detector.rf.frontend import FrontEnd
from detector.rf.radio import Radio
from detector.rf.rfexplorer import ExplorerClient
from detector.settings import RfSettings


def open_scanner(config: Config, clock: Clock | None = None, port: str | None = None) -> Any:
    """A FirmwareClient or ExplorerClient for the configured port; nothing is opened until
    the first poll()."""
    kind = RfSettings.of(config).scanner
    url = port or RfSettings.of(config).port
    if kind == "firmware":
        return FirmwareClient(url, clock=clock)
    if kind == "rfexplorer":
        if url.startswith("rfsim://"):
            url = "rfxsim://" + url[len("rfsim://"):]
        return ExplorerClient(url, clock=clock)
    raise ConfigError(f"rf.scanner: expected 'firmware' or 'rfexplorer', got {kind!r}")


def open_radio(config: Config, clock: Clock) -> Radio:
    """The configured scanner with RF analysis of what it reports, corrected with the
    unit's calibration; the baseline starts now."""
    frontend = FrontEnd.from_config(config)
    analyzer = RfAnalyzer(clock.monotonic_ns(), RfSettings.of(config).baseline_s,
                          RfParams.of(config), floors=frontend.floors)
    return Radio(open_scanner(config, clock), analyzer, frontend)
