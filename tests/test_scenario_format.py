import tomllib
from pathlib import Path

import pytest

from detector.cli import main
from detector.errors import ScenarioError
from detector.sim.exposure import exposed_seconds
from detector.sim.scenario import bundled_scenarios, load_scenario, parse_scenario

EXAMPLE = """
format = 1
name = "stall-screw-camera"
seed = 7

[room]
size = [1.0, 1.6, 2.4]
surface = "tile"

[[objects]]
kind = "camera"
id = "cam1"
at = [0.5, 1.6, 1.1]
facing = [0, -1, -0.3]
disguise = "screw"
transmits = "wifi-2g4"
tx_dbm = 15

[[objects]]
kind = "screw"
at = [0.3, 1.6, 1.1]

[[transmitters]]
kind = "wifi-ap"
at = [3.0, -2.0, 2.2]
band = "wifi-2g4"
tx_dbm = 20
duty = 0.3

[path]
waypoints = [
  { t = 0,  at = [0.5, 0.2, 1.5], look = [0.5, 1.6, 1.5] },
  { t = 8,  at = [0.5, 0.6, 1.2], look = [0.0, 1.6, 0.8] },
  { t = 16, at = [0.5, 0.6, 1.2], look = [1.0, 1.6, 0.8] },
  { t = 24, at = [0.5, 0.9, 0.8], look = [0.5, 1.6, 1.1] },
]
"""


def test_example_loads_with_defaults():
    sc = parse_scenario(tomllib.loads(EXAMPLE), "ex.toml")
    assert sc.name == "stall-screw-camera" and sc.seed == 7
    cam = sc.cameras[0]
    assert cam["lens_mm"] == 1.0 and cam["fov_deg"] == 70 and cam["duty"] == 1.0
    assert sc.objects[1].id == "screw1"  # default id: kind plus index
    assert sc.objects[1]["size_mm"] == 6
    assert sc.room.ambient == 0.05
    assert sc.device.resolution == (1280, 720) and sc.device.fps == 60
    assert sc.path.tremor_deg == 0.3 and sc.path.start_at_door_s == 3
    assert sc.duration_s == 24  # time of the last waypoint
    assert sc.transmitters[0].duty == 0.3


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


CASES = [
    # (description, old, new, key in the message, expectation fragment)
    ("missing format", "format = 1\n", "", "format", "required key is missing"),
    ("unknown version", "format = 1", "format = 2", "format", "expected 1"),
    ("format as string", "format = 1", 'format = "1"', "format", "expected an integer"),
    ("format as bool", "format = 1", "format = true", "format", "expected an integer"),
    ("missing name", 'name = "stall-screw-camera"\n', "", "name", "required key"),
    ("unknown top key", "seed = 7", "seed = 7\ncolour = 3", "colour", "unknown key"),
    ("seed not int", "seed = 7", "seed = 7.5", "seed", "expected an integer"),
    ("missing room", "[room]\nsize = [1.0, 1.6, 2.4]\nsurface = \"tile\"\n", "", "room",
     "required table"),
    ("room size short", "size = [1.0, 1.6, 2.4]", "size = [1.0, 1.6]", "room.size",
     "list of 3 numbers"),
    ("room too big", "size = [1.0, 1.6, 2.4]", "size = [1.0, 31, 2.4]", "room.size[1]",
     "from 0.5 to 30"),
    ("bad surface", 'surface = "tile"', 'surface = "marble"', "room.surface", "one of tile"),
    ("negative ambient", 'surface = "tile"', 'surface = "tile"\nambient = -1', "room.ambient",
     "at least 0"),
    ("unknown room key", 'surface = "tile"', 'surface = "tile"\nhumid = 1', "room.humid",
     "unknown key"),
    ("bad resolution", "[room]", "[device]\nresolution = [1280]\n[room]", "device.resolution",
     "[width, height]"),
    ("exposure too long", "[room]", "[device]\nexposure_us = 20000\n[room]",
     "device.exposure_us", "frame time"),
    ("fps zero", "[room]", "[device]\nfps = 0\n[room]", "device.fps", "from 1"),
    ("object without kind", 'kind = "screw"\n', "", "objects[1].kind", "required key"),
    ("unknown kind", 'kind = "screw"', 'kind = "bolt"', "objects[1].kind", "one of camera"),
    ("object without at", "at = [0.3, 1.6, 1.1]\n", "", "objects[1].at", "required key"),
    ("object outside room", "at = [0.3, 1.6, 1.1]", "at = [0.3, 5.0, 1.1]", "objects[1].at",
     "point in the room"),
    ("camera without facing", "facing = [0, -1, -0.3]\n", "", "objects[0].facing",
     "required key is missing for a camera"),
    ("zero facing", "facing = [0, -1, -0.3]", "facing = [0, 0, 0]", "objects[0].facing",
     "non-zero direction"),
    ("bad disguise", 'disguise = "screw"', 'disguise = "plant"', "objects[0].disguise",
     "one of screw"),
    ("bad transmits", 'transmits = "wifi-2g4"', 'transmits = "lte"', "objects[0].transmits",
     "one of none"),
    ("duty above one", "tx_dbm = 15", "tx_dbm = 15\nduty = 1.5", "objects[0].duty",
     "from 0 to 1"),
    ("negative lens", "tx_dbm = 15", "tx_dbm = 15\nlens_mm = -1", "objects[0].lens_mm",
     "from 0"),
    ("key of another kind", "at = [0.3, 1.6, 1.1]", "at = [0.3, 1.6, 1.1]\nfacing = [0, 1, 0]",
     "objects[1].facing", "unknown key"),
    ("duplicate id", 'kind = "screw"', 'kind = "screw"\nid = "cam1"', "objects[1].id",
     "unique id"),
    ("glass size", 'kind = "screw"\nat = [0.3, 1.6, 1.1]',
     'kind = "glass"\nat = [0.3, 1.6, 1.1]\nfacing = [0, -1, 0]\nsize_mm = 300',
     "objects[1].size_mm", "list of 2 numbers"),
    ("transmitter kind", 'kind = "wifi-ap"', 'kind = "router"', "transmitters[0].kind",
     "one of phone"),
    ("transmitter without at", "at = [3.0, -2.0, 2.2]\n", "", "transmitters[0].at",
     "required key"),
    ("transmitter band", 'band = "wifi-2g4"', 'band = "none"', "transmitters[0].band",
     "one of wifi-2g4"),
    ("one waypoint", "  { t = 8,  at = [0.5, 0.6, 1.2], look = [0.0, 1.6, 0.8] },\n"
     "  { t = 16, at = [0.5, 0.6, 1.2], look = [1.0, 1.6, 0.8] },\n"
     "  { t = 24, at = [0.5, 0.9, 0.8], look = [0.5, 1.6, 1.1] },\n", "", "path.waypoints",
     "at least two"),
    ("t not increasing", "{ t = 16,", "{ t = 8,", "path.waypoints[2].t", "strictly increasing"),
    ("waypoint without look", ", look = [0.5, 1.6, 1.1] }", " }", "path.waypoints[3].look",
     "required key"),
    ("look at itself", "look = [0.5, 1.6, 1.1] }", "look = [0.5, 0.9, 0.8] }",
     "path.waypoints[3].look", "other than `at`"),
    ("negative tremor", "[path]", "[path]\ntremor_deg = -1", "path.tremor_deg", "from 0"),
    ("unknown path key", "[path]", "[path]\nspeed = 1", "path.speed", "unknown key"),
    ("duration zero", "seed = 7", "seed = 7\nduration_s = 0", "duration_s", "above 0"),
]


@pytest.mark.parametrize("desc, old, new, key, fragment", CASES, ids=[c[0] for c in CASES])
def test_malformed_scenarios_name_file_key_and_expectation(tmp_path, desc, old, new, key,
                                                           fragment):
    path = tmp_path / "bad.toml"
    path.write_text(_edit(EXAMPLE, old, new))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.file == str(path)
    assert err.value.key == key, str(err.value)
    assert fragment in err.value.expected, str(err.value)


def test_missing_path_table(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(EXAMPLE.split("[path]")[0])
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.key == "path" and "required table" in err.value.expected


def test_not_toml_and_missing_file(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text("format = = 1")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(path)
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nope.toml")


def test_cli_rejects_malformed_scenario_with_one_line(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(_edit(EXAMPLE, 'surface = "tile"', 'surface = "marble"'))
    assert main(["sim", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "room.surface" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()  # nothing runs on a scenario that failed to load


def test_library_is_large_and_every_scenario_loads():
    paths = bundled_scenarios()
    assert len(paths) >= 15
    names = {load_scenario(p).name for p in paths}
    assert len(names) == len(paths)


# Cameras the library means the lens finder never to see (found by their traffic).
NEVER_EXPOSED = {("wifi-camera-facing-away", "cam-shelf")}


def test_every_library_camera_is_exposed_by_its_path():
    for path in bundled_scenarios():
        scenario = load_scenario(path)
        for camera in scenario.cameras:
            seconds = exposed_seconds(scenario, camera, step_s=0.1)
            if (scenario.name, camera.id) in NEVER_EXPOSED:
                assert seconds == 0.0, (path.name, camera.id)
            else:
                assert seconds >= 1.0, (path.name, camera.id)


def test_library_covers_disguises_and_conditions():
    scenarios = [load_scenario(p) for p in bundled_scenarios()]
    disguises = {c["disguise"] for s in scenarios for c in s.cameras}
    assert {"screw", "smoke-detector", "usb-charger", "clock", "tissue-box", "coat-hook",
            "vent", "bare"} <= disguises
    assert any(not s.cameras for s in scenarios)  # distractor-only rooms
    assert min(s.room.ambient for s in scenarios) == 0.0
    assert max(s.room.ambient for s in scenarios) >= 0.5
    kinds = {o.kind for s in scenarios for o in s.distractors}
    assert kinds == {"screw", "chrome", "water-drop", "glass", "retro-tape", "toy-eye", "led",
                     "hole"}


def test_every_library_scenario_renders():
    from detector.capture import capture_frames
    from detector.hw.clock import SimClock
    from detector.hw.lights import LightSequencer
    from detector.hw.sim.camera import SimCamera
    from detector.hw.sim.lights import SimLights

    for path in bundled_scenarios():
        scenario = load_scenario(path)
        clock = SimClock()
        lights = SimLights(clock)
        camera = SimCamera(scenario, lights, clock, seconds=0.04)
        frames = list(capture_frames(camera, lights, LightSequencer(["onaxis", "offaxis"])))
        assert len(frames) == 3, path.name
        w, h = scenario.device.resolution
        assert frames[0].image.shape == (h, w)
        assert frames[0].image.mean() > 1, path.name  # the room is lit, not black


HOLDOUT = sorted((Path(__file__).resolve().parent.parent / "benchmarks" / "holdout").glob("*.toml"))


@pytest.mark.parametrize("path", HOLDOUT, ids=lambda p: p.stem)
def test_holdout_scenarios_are_valid_and_expose_their_cameras(path):
    scenario = load_scenario(path)
    assert scenario.name.startswith("holdout-")
    for camera in scenario.cameras:
        assert exposed_seconds(scenario, camera, step_s=0.25) >= 2.0, camera.id
