import os
import shutil
import tomllib

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from detector.sim.scenario import parse_scenario

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

# The inspection server's fixtures (a fresh PostgreSQL database, the server over HTTP).
pytest_plugins = ["tests.server_env"]

SMALL = """
format = 1
name = "unit"
seed = 3

[room]
size = [2.0, 3.0, 2.5]
surface = "paint"
ambient = 0.02

[device]
resolution = [320, 180]

[path]
tremor_deg = 0.0
start_at_door_s = 0
waypoints = [
  { t = 0, at = [1.0, 1.5, 1.2], look = [1.0, 3.0, 1.2] },
  { t = 1, at = [1.0, 1.5, 1.2], look = [1.0, 3.0, 1.2] },
]
"""


def scenario_from(objects_toml: str = "", base: str = SMALL):
    """A small scenario (device 1.5 m from the back wall, looking at it) plus objects."""
    data = tomllib.loads(base + "\n" + objects_toml)
    return parse_scenario(data, "test.toml")


@pytest.fixture(autouse=True)
def _isolated_user_config(tmp_path, monkeypatch):
    """No test reads the developer's own configuration file."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # nor its logbook or calibration
    monkeypatch.delenv("DETECTOR_CONFIG", raising=False)


@pytest.fixture
def mock_factory():
    """gpiozero's mock pins (with PWM), released after the test."""
    factory = MockFactory(pin_class=MockPWMPin)
    yield factory
    factory.reset()
    factory.close()


CAMERA_ON_BACK_WALL = """
[[objects]]
kind = "camera"
id = "cam1"
at = [1.1, 3.0, 1.25]
facing = [0, -1, 0]
disguise = "screw"
"""


def system_tool(name: str, package: str) -> str:
    """The path of a system tool some tests need. Tests never install anything: .ci/run
    does (README, Development). Under CI a missing tool fails the test; elsewhere the
    test is skipped, naming what installs the tool."""
    path = shutil.which(name)
    if path is not None:
        return path
    how = f"`bash .ci/run` installs it (Debian package {package}; README, Development)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is missing on CI: {how}")
    pytest.skip(f"{name} is not installed: {how}")
