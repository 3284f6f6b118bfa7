"""The settings idiom: one typed, frozen class per configuration section, with the same
keys as the bundled defaults and no defaults of its own."""

import dataclasses

import pytest

from detector.config import ConfigError, load_config, section_settings
from detector.fusion import Fusion, FusionParams
from detector.rf.analysis import RfAnalyzer, RfParams
from detector.settings import SECTIONS, CameraSettings, DisplaySettings


def test_every_section_has_a_class_with_exactly_its_keys():
    config = load_config(use_user_file=False)
    assert set(SECTIONS) == set(config.values)
    for name, cls in SECTIONS.items():
        fields = {f.name for f in dataclasses.fields(cls)}
        assert fields == set(config.values[name]), name


def test_no_section_class_repeats_a_default():
    for cls in SECTIONS.values():
        for f in dataclasses.fields(cls):
            assert f.default is dataclasses.MISSING, f"{cls.__name__}.{f.name}"
            assert f.default_factory is dataclasses.MISSING, f"{cls.__name__}.{f.name}"


def test_settings_are_frozen_and_follow_the_configuration():
    config = load_config(None, ["camera.fps=30", "display.driver=ssd1306",
                                "rf_rules.hold_s=9.5", "fusion.fall_hold_s=4.5"],
                         use_user_file=False)
    camera = CameraSettings.of(config)
    assert camera.fps == 30.0 and camera.resolution == (1280, 720)
    with pytest.raises(dataclasses.FrozenInstanceError):
        camera.fps = 60.0  # type: ignore[misc]
    assert DisplaySettings.of(config).size == (128, 64)
    rules = RfParams.of(config)
    assert rules.hold_s == 9.5
    assert RfAnalyzer(0, 2.0, rules).p.hold_s == 9.5
    assert Fusion(FusionParams.of(config)).p.fall_hold_s == 4.5


def test_rf_rules_are_range_checked_like_the_lens_ones():
    with pytest.raises(ConfigError, match="rf_rules.min_occupancy"):
        load_config(None, ["rf_rules.min_occupancy=3"], use_user_file=False)


def test_a_configuration_missing_a_key_is_refused_with_the_key_named():
    config = load_config(use_user_file=False)
    del config.values["rf"]["port"]
    with pytest.raises(ConfigError, match=r"\[rf\]: no port"):
        section_settings(SECTIONS["rf"], config)
