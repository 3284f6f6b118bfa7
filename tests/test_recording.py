"""Recorded sessions: `detector sim --record` writes the format, the reader and the replay
camera read it back, and a bad directory is rejected naming the file."""

import json

import cv2
import numpy as np
import pytest

from detector.cli import main
from detector.errors import RecordingError
from detector.hw.replay import ReplayCamera
from detector.loop import RESULT_SCREENS
from detector.recording import load_recording

SCENARIO = """
format = 1
name = "rec-test"
seed = 5
[room]
size = [1.0, 1.6, 2.4]
[device]
resolution = [320, 180]
[[objects]]
kind = "camera"
id = "cam1"
at = [0.5, 1.6, 1.2]
facing = [0, -1, 0]
transmits = "wifi-2g4"
duty = 0.5
[[objects]]
kind = "screw"
id = "s1"
at = [0.3, 1.6, 1.2]
[[transmitters]]
kind = "wifi-ap"
id = "ap1"
at = [3.0, -2.0, 2.2]
[path]
start_at_door_s = 0.1
waypoints = [
  { t = 0, at = [0.5, 0.4, 1.2], look = [0.5, 1.6, 1.2] },
  { t = 0.4, at = [0.5, 0.5, 1.2], look = [0.45, 1.6, 1.2] },
]
"""


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    base = tmp_path_factory.mktemp("rec")
    scenario = base / "s.toml"
    scenario.write_text(SCENARIO)
    code = main(["sim", str(scenario), "--out", str(base / "out"), "--record",
                 str(base / "session"), "--display", "capture"])
    assert code == 0
    return base


def test_recording_layout_matches_the_format(recorded):
    session_dir = recorded / "session"
    session = json.loads((session_dir / "session.json").read_text())
    assert session["format"] == 1 and session["source"] == "sim"
    assert session["scenario"] == "rec-test"
    assert session["device"]["resolution"] == [320, 180]
    lines = (session_dir / "frames.csv").read_text().splitlines()
    assert lines[0] == "index,t_ns,exposure_us,lights,file"
    assert len(lines) - 1 == 31  # 0.5 s at 60 fps, frames 0..30
    truth = json.loads((session_dir / "truth.json").read_text())
    cam = truth["cameras"][0]
    assert cam["id"] == "cam1" and cam["band"] == "wifi-2g4"
    assert cam["tx"] and all(a < b for a, b in cam["tx"])  # duty 0.5: intervals listed
    assert cam["frames"] and all(len(f) == 4 and f[3] is True for f in cam["frames"])
    assert truth["distractors"][0]["id"] == "s1"
    assert truth["transmitters"] == [{"id": "ap1", "kind": "wifi-ap", "band": "wifi-2g4"}]


def test_display_frames_and_event_log_written(recorded):
    out = recorded / "out"
    pngs = sorted((out / "display").glob("*.png"))
    # Every 6th of 31 frames, then the result screen held for RESULT_SCREENS refreshes.
    assert len(pngs) == 6 + RESULT_SCREENS
    image = cv2.imread(str(pngs[0]))
    assert image.shape == (240, 320, 3)
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert events[0]["event"] == "start" and events[-1]["event"] == "end"
    assert (out / "display.gif").stat().st_size > 0


def test_reader_and_replay_camera_round_trip(recorded):
    rec = load_recording(recorded / "session")
    assert rec.resolution == (320, 180)
    camera = ReplayCamera(rec)
    frames = list(camera)
    assert len(frames) == 31
    assert [f.lights for f in frames[:3]] == ["onaxis", "offaxis", "dark"]
    assert all(b.t_ns > a.t_ns for a, b in zip(frames, frames[1:], strict=False))
    assert frames[0].image.dtype == np.uint8 and frames[0].image.shape == (180, 320)
    # The lens is bright in the on-axis frame where truth puts it.
    idx, x, y, _ = rec.truth["cameras"][0]["frames"][0]
    image = frames[idx].image.astype(int)
    assert image[int(y) - 2:int(y) + 3, int(x) - 2:int(x) + 3].max() > np.median(image) + 5


def _copy(src, dst):
    import shutil

    shutil.copytree(src, dst)
    return dst


@pytest.mark.parametrize("damage, fragment", [
    (lambda d: (d / "frames" / "000003.png").unlink(), "frames.csv: line 5: frame file"),
    (lambda d: (d / "session.json").write_text('{"format": 9, "source": "sim"}'),
     "session.json: unknown format 9"),
    (lambda d: (d / "session.json").write_text("{not json"), "session.json: not valid JSON"),
    (lambda d: (d / "frames.csv").write_text("idx,t\n"), "frames.csv: expected header"),
    (lambda d: (d / "frames.csv").write_text(
        "index,t_ns,exposure_us,lights,file\n0,1,2000,strobe,000000.png\n"),
     "lights: expected one of"),
    (lambda d: (d / "truth.json").write_text('{"cameras": [{"id": "c", "frames": [[1, 2]]}]}'),
     "truth.json: camera c: frames entries"),
    (lambda d: (d / "frames.csv").unlink(), "frames.csv: missing"),
])
def test_bad_recordings_are_rejected_naming_the_file(recorded, tmp_path, damage, fragment):
    broken = _copy(recorded / "session", tmp_path / "broken")
    damage(broken)
    with pytest.raises(RecordingError) as err:
        load_recording(broken)
    assert fragment in str(err.value)


def test_corrupt_frame_file_is_named_on_read(recorded, tmp_path):
    broken = _copy(recorded / "session", tmp_path / "broken")
    (broken / "frames" / "000002.png").write_bytes(b"not a png")
    rec = load_recording(broken)
    with pytest.raises(RecordingError, match="000002.png: not a readable PNG"):
        list(rec.frames())


def test_recording_refuses_to_overwrite(recorded, tmp_path, capsys):
    scenario = recorded / "s.toml"
    code = main(["sim", str(scenario), "--out", str(tmp_path / "o"), "--record",
                 str(recorded / "session"), "--display", "none"])
    assert code == 2
    assert "already holds a recording" in capsys.readouterr().err


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["sim", str(tmp_path / "missing.toml")]) == 2
    assert main(["sim", "default", "--press", "x:select", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "file not found" in err[0] and "SECONDS:BUTTON" in err[1]


def test_a_recording_replays_through_the_sweep_loop(recorded, capsys):
    """The replay backend feeds the recorded frames and RF readings to the same loop and
    inspection machine as the device: every frame is taken, and the lens detection on
    the replayed frames finds what it found when the session was recorded."""
    from detector.config import load_config
    from detector.inspection import MemorySink
    from detector.sweep import SweepRequest, run_sweep

    config = load_config(None, ["backend.camera=replay", "sim.display=none"],
                         use_user_file=False)
    sink = MemorySink()
    outcome = run_sweep(config, SweepRequest(backend={"recording": recorded / "session"},
                                             sink=sink, draw=False, checklist_answer=True))
    assert outcome.figures.frames == 31
    assert outcome.figures.labels["onaxis"] >= 10
    recorded_events = [json.loads(line) for line in
                       (recorded / "out" / "events.jsonl").read_text().splitlines()]
    recorded_lens = [e for e in recorded_events if e["event"] == "lens_alert"]
    assert [(a["x"], a["y"]) for a in outcome.lens_alerts] == [
        (a["x"], a["y"]) for a in recorded_lens]
    kinds = [r["kind"] for r in sink.records]
    assert kinds[0] == "inspection-start" and kinds[-1] == "inspection"
    assert kinds.count("alert") == len(outcome.fused_alerts) == len(recorded_lens)
    # From the command line, too.
    assert main(["sweep", "--replay", str(recorded / "session"), "--display", "none",
                 "--out", str(recorded / "replayed")]) == 0
    assert "31 frames" in capsys.readouterr().out


def test_an_unknown_backend_is_an_error_not_the_simulator(recorded):
    from detector.backends import builder, open_session
    from detector.config import load_config
    from detector.errors import DetectorError

    with pytest.raises(DetectorError, match="no 'gopro' backend"):
        builder("gopro")
    config = load_config(None, ["backend.camera=replay"], use_user_file=False)
    with pytest.raises(DetectorError, match="needs a recorded session"):
        open_session(config)
