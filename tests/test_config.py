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
    assert config.sources["camera.fps"] == "--set camera.fps"
    assert config.get("camera.analogue_gain") == 2.0
    assert config.sources["camera.analogue_gain"] == str(user)
    shown = format_config(config)
    assert f"analogue_gain = 2.0  # {user}" in shown
    assert "fps = 50.0  # --set camera.fps" in shown


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
    assert "pin = 12  # --set buzzer.pin" in out
    assert main(["--set", "buzzer.pin=twelve", "config", "show"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "buzzer.pin: expected an integer" in err
    assert "Traceback" not in err
