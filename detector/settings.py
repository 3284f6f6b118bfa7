"""Every section of the configuration as a typed, frozen object.

defaults.toml holds the default of every key and limits.toml its range; load_config has
checked both. Each class here (and LensParams, FusionParams, CoverageParams, RfParams
beside the code they tune) has one field per key of its section and no defaults of its
own: `section_settings(CameraSettings, config)` or `CameraSettings.of(config)` builds one,
and the code that needs it is given it. tests/test_settings.py checks that the classes
and the bundled defaults name the same keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from detector.config import Section
from detector.fusion import FusionParams
from detector.optics.coverage import CoverageParams
from detector.optics.params import LensParams
from detector.rf.records import RfParams


@dataclass(frozen=True)
class BackendSettings(Section):
    """Which backend drives each part (backends.py: pi, sim, replay)."""

    SECTION: ClassVar[str] = "backend"
    camera: str
    lights: str
    buzzer: str
    display: str
    buttons: str


@dataclass(frozen=True)
class CameraSettings(Section):
    SECTION: ClassVar[str] = "camera"
    resolution: tuple[int, int]
    fps: float
    exposure_us: float
    analogue_gain: float
    hfov_deg: float
    readout_ms: float
    sensor_mode: tuple[int, int]
    focus_m: float


@dataclass(frozen=True)
class LightsSettings(Section):
    SECTION: ClassVar[str] = "lights"
    pattern: tuple[str, ...]
    ring_mm: float
    offaxis_mm: float
    active_high: bool
    onaxis_pin: int
    offaxis_pin: int


@dataclass(frozen=True)
class BuzzerSettings(Section):
    SECTION: ClassVar[str] = "buzzer"
    tonal: bool
    pin: int


@dataclass(frozen=True)
class ButtonsSettings(Section):
    SECTION: ClassVar[str] = "buttons"
    hold_s: float
    bounce_s: float
    select_pin: int
    up_pin: int
    down_pin: int


@dataclass(frozen=True)
class DisplaySettings(Section):
    SECTION: ClassVar[str] = "display"
    driver: str
    width: int
    height: int
    rotate: int
    spi_port: int
    spi_device: int
    dc_pin: int
    reset_pin: int
    backlight_pin: int

    @property
    def size(self) -> tuple[int, int]:
        """The panel's pixels (the OLED is always 128x64)."""
        return (128, 64) if self.driver == "ssd1306" else (self.width, self.height)


@dataclass(frozen=True)
class SimSettings(Section):
    SECTION: ClassVar[str] = "sim"
    display: str
    display_every: int
    switch_latency_ms: float
    switch_late_prob: float
    switch_late_ms: float
    unit: int
    wifi: bool
    focus_error_dioptres: float


@dataclass(frozen=True)
class RfSettings(Section):
    SECTION: ClassVar[str] = "rf"
    scanner: str
    port: str
    baseline_s: float


@dataclass(frozen=True)
class WifiSettings(Section):
    SECTION: ClassVar[str] = "wifi"
    interface: str


@dataclass(frozen=True)
class WatchdogSettings(Section):
    SECTION: ClassVar[str] = "watchdog"
    camera_s: float
    rf_s: float


@dataclass(frozen=True)
class InspectionSettings(Section):
    SECTION: ClassVar[str] = "inspection"
    locations: str
    log_dir: str
    inspector: str
    team: str
    min_coverage: float
    max_camera_down: float
    require_checklist: bool


@dataclass(frozen=True)
class OfficeSettings(Section):
    SECTION: ClassVar[str] = "office"
    dir: str
    port: str
    device_port: str
    sync_timeout_s: float
    evidence_keep_days: float


@dataclass(frozen=True)
class CalibrationSettings(Section):
    SECTION: ClassVar[str] = "calibration"
    profile: str
    dark_level_dn: float
    dark_noise_dn: float
    offaxis_balance: float
    lens_offset_dioptres: float
    ad8318_slope_mv_per_db: float
    ad8318_intercept_dbm: float
    rx5808_scale: float
    rx5808_offset_db: float
    cc2500_scale: float
    cc2500_offset_db: float
    rx5808_floor_dbm: float
    cc2500_floor_dbm: float
    ad8318_floor_dbm: float
    rfexplorer_floor_dbm: float

    def floor_dbm(self, receiver: str) -> float:
        """The noise floor of a receiver (rx5808, cc2500, ad8318, rfexplorer)."""
        return float(getattr(self, f"{receiver}_floor_dbm"))


# Every section class, by section name (the settings test walks this).
SECTIONS: dict[str, type] = {cls.SECTION: cls for cls in (
    BackendSettings, CameraSettings, LightsSettings, BuzzerSettings, ButtonsSettings,
    DisplaySettings, SimSettings, LensParams, RfSettings, RfParams, FusionParams,
    CoverageParams, WifiSettings, WatchdogSettings, InspectionSettings, OfficeSettings,
    CalibrationSettings)}
