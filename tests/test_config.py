import pytest

from detector.cli import main
from detector.config import format_config, load_config
from detector.errors import ConfigError


def test_defaults_have_default_source():
    config = load_config(use_user_file=False)
    assert config.get("camera.fps") == 60.0
    assert config.sources["camera.fps"] == "default"


def test_user_file_then_override_layering(tmp_path):
    user = tmp_path / "c.toml"
    user.write_text("[camera]\nfps = 30\nanalogue_gain = 2\n")
    config = load_config(user, ["camera.fps=50"])
    assert config.get("camera.fps") == 50.0
    assert config.sources["camera.fps"] == "--set"
    assert config.get("camera.analogue_gain") == 2.0
    assert config.sources["camera.analogue_gain"] == str(user)
    shown = format_config(config)
    assert f"analogue_gain = 2.0  # {user}" in shown
    assert "fps = 50.0  # --set" in shown


def test_default_user_file_is_read_when_present(tmp_path, monkeypatch):
    path = tmp_path / "xdg" / "detector" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('[display]\ndriver = "ili9341"\n')
    config = load_config()
    assert config.get("display.driver") == "ili9341"


@pytest.mark.parametrize("text, fragment", [
    ("[camera]\nfps = 'fast'\n", "camera.fps: expected a number, got 'fast'"),
    ("[camera]\nbogus = 1\n", "camera.bogus: unknown key"),
    ("[camera]\nfps = 1000\n", "camera.fps: expected a value from 1 to 240"),
    ("[display]\ndriver = 'crt'\n", "display.driver: expected one of st7789, ili9341, ssd1306"),
    ("[lights]\npattern = ['onaxis', 'strobe']\n", "lights.pattern: expected a non-empty list"),
    ("[camera]\nresolution = [1280]\n", "camera.resolution: expected 2 values"),
    ("[lights]\nactive_high = 1\n", "lights.active_high: expected true or false"),
    ("camera = 3\n", "camera: expected a table"),
    ("[camera\nfps = 3\n", "not valid TOML"),
])
def test_bad_file_names_file_key_and_expectation(tmp_path, text, fragment):
    user = tmp_path / "bad.toml"
    user.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(user)
    message = str(err.value)
    assert str(user) in message and fragment in message
    assert "\n" not in message


def test_missing_explicit_file():
    with pytest.raises(ConfigError, match="file not found"):
        load_config("/nonexistent/detector.toml")


def test_cli_config_show_and_bad_value(capsys):
    assert main(["--set", "buzzer.pin=12", "config", "show"]) == 0
    out = capsys.readouterr().out
    assert "pin = 12  # --set" in out
    assert main(["--set", "buzzer.pin=twelve", "config", "show"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "buzzer.pin: expected an integer" in err
    assert "Traceback" not in err


def test_every_setting_has_a_range_or_choices_and_its_default_lies_within():
    from detector.config import _default_leaves, limits

    allowed = limits()
    for key, default in _default_leaves().items():
        items = default if isinstance(default, list) else [default]
        if isinstance(default, bool):
            continue
        if all(isinstance(v, int | float) for v in items):
            assert key in allowed.ranges, f"{key} has no range in limits.toml"
            low, high = allowed.ranges[key]
            assert all(low <= v <= high for v in items), f"{key}'s default is out of range"
        elif key in allowed.choices:
            assert all(v in allowed.choices[key] for v in items)
    known = set(_default_leaves())
    assert set(allowed.ranges) | set(allowed.choices) <= known  # no limit for a lost key
    assert all(a in known and b in known for a, b in allowed.less_than)


@pytest.mark.parametrize(("setting", "expected"), [
    ("lens.confirm_score=2", "lens.confirm_score: expected a value from 0.05 to 1, got 2.0"),
    ("lens.confirm_score=-1", "lens.confirm_score: expected a value from 0.05 to 1, got -1.0"),
    ("camera.resolution=[1,1]", "camera.resolution: expected values from 64 to 4608"),
    ("backend.lights=replay", "backend.lights: expected one of sim, pi, got 'replay'"),
    ("rf.scanner=hackrf", "rf.scanner: expected one of firmware, rfexplorer"),
    ("lens.ratio_min=20", "lens.ratio_min = 20.0 must be below lens.ratio_full = 12.0"),
])
def test_out_of_range_settings_are_one_line_and_exit_2(setting, expected, capsys):
    assert main(["--set", setting, "sweep", "--sim", "default", "--seconds", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and "\n" not in err


def test_out_of_range_in_a_user_file_names_the_file(tmp_path, capsys):
    path = tmp_path / "config.toml"
    path.write_text("[lens]\nconfirm_score = 1.5\n")
    assert main(["--config", str(path), "config", "show"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"detector: {path}: lens.confirm_score: expected a value from 0.05 to 1, got 1.5")


def test_config_show_can_print_the_ranges(capsys):
    assert main(["config", "show", "--ranges"]) == 0
    out = capsys.readouterr().out
    assert "confirm_score = 0.6  # default; from 0.05 to 1" in out
    assert 'lights = "sim"  # default; one of sim, pi' in out


def test_a_backend_that_does_not_exist_for_a_part_is_an_error():
    from detector.backends import build_devices
    from detector.config import Config, load_config
    from detector.errors import DetectorError
    from tests.conftest import scenario_from

    base = load_config(None, ["sim.display=none"])
    bad = Config({**base.values, "backend": {**base.values["backend"], "buzzer": "replay"}})
    with pytest.raises(DetectorError, match="no 'replay' backend for the buzzer"):
        build_devices(bad, scenario=scenario_from())
