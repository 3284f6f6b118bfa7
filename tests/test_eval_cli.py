"""`detector eval` and `detector replay` end to end on a short simulated sweep: a camera
on the wall 1.5 m in front of the device, a screw beside it."""

import json
import warnings

import cv2
import pytest

from detector.cli import main
from tests.conftest import CAMERA_ON_BACK_WALL, SMALL

SCENARIO = SMALL.replace("resolution = [320, 180]", "resolution = [640, 360]").replace(
    "{ t = 1,", "{ t = 1.2,") + CAMERA_ON_BACK_WALL + """
[[objects]]
kind = "screw"
id = "screw1"
at = [0.8, 3.0, 1.1]
"""

CLEAN = SCENARIO.split("[[objects]]")[0] + """
[[objects]]
kind = "screw"
id = "screw1"
at = [0.8, 3.0, 1.1]
"""


@pytest.fixture(scope="module")
def scenario_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp("scenarios")
    (base / "camera.toml").write_text(SCENARIO)
    (base / "clean.toml").write_text(CLEAN.replace('name = "unit"', 'name = "unit-clean"'))
    return base


def test_eval_of_one_scenario_writes_json_table_and_plots(scenario_dir, tmp_path, capsys):
    out = tmp_path / "eval.json"
    assert main(["eval", str(scenario_dir / "camera.toml"), "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    totals = result["totals"]
    assert (totals["sweeps"], totals["cameras_exposed"], totals["detected"]) == (1, 1, 1)
    assert totals["recall"] == 1.0 and totals["false_alerts"] == 0
    assert 0 <= totals["median_time_to_alert_s"] < 1.0
    assert list(result["scenarios"]) == ["unit"]
    for name in ("eval-threshold-curve.png", "eval-distance-bands.png"):
        image = cv2.imread(str(tmp_path / name))
        assert image is not None and image.shape[0] > 200
    text = capsys.readouterr().out
    assert "unit" in text and "TOTAL" in text and "recall by distance band" in text


def test_eval_of_a_room_without_a_camera_draws_its_plots_without_complaint(scenario_dir,
                                                                         tmp_path):
    # No camera, no recall: the threshold curve has no configured point to name.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        assert main(["eval", str(scenario_dir / "clean.toml"), "--json",
                     str(tmp_path / "eval.json")]) == 0
    assert cv2.imread(str(tmp_path / "eval-threshold-curve.png")) is not None


def test_eval_of_a_directory_runs_every_scenario_with_every_seed(scenario_dir, tmp_path,
                                                                 capsys):
    out = tmp_path / "eval.json"
    code = main(["eval", str(scenario_dir), "--seeds", "2", "--jobs", "2", "--json", str(out),
                 "--check"])
    result = json.loads(out.read_text())
    assert code == 0
    assert result["totals"]["sweeps"] == 4
    assert sorted(result["scenarios"]) == ["unit", "unit-clean"]
    assert [r["seed"] for r in result["scenarios"]["unit"]["runs"]] == [3, 4]
    assert result["scenarios"]["unit-clean"]["false_alerts"] == 0
    assert capsys.readouterr().err == ""  # no progress lines when stderr is not a terminal


def test_eval_and_replay_of_a_recorded_session(scenario_dir, tmp_path, capsys):
    session = tmp_path / "session"
    assert main(["sim", str(scenario_dir / "camera.toml"), "--out", str(tmp_path / "o"),
                 "--display", "none", "--record", str(session)]) == 0
    capsys.readouterr()
    assert main(["replay", str(session), "--json", str(tmp_path / "alerts.json")]) == 0
    text = capsys.readouterr().out
    assert "1 lens alert" in text and "truth: cam1: detected" in text
    alerts = json.loads((tmp_path / "alerts.json").read_text())["alerts"]
    assert len(alerts) == 1 and alerts[0]["features"]["ratio"] > 3
    assert main(["eval", str(session), "--json", str(tmp_path / "e.json")]) == 0
    assert json.loads((tmp_path / "e.json").read_text())["totals"]["detected"] == 1


def test_replay_of_a_damaged_session_is_one_line_and_non_zero(scenario_dir, tmp_path, capsys):
    session = tmp_path / "session"
    assert main(["sim", str(scenario_dir / "clean.toml"), "--out", str(tmp_path / "o"),
                 "--display", "none", "--record", str(session), "--seconds", "0.2"]) == 0
    capsys.readouterr()
    victim = sorted((session / "frames").iterdir())[4]
    victim.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    assert main(["replay", str(session)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and victim.name in err


@pytest.mark.parametrize("argv, fragment", [
    (["eval", "no/such/file.toml"], "no/such/file.toml"),
    (["eval", "--seeds", "0", "default"], "--seeds"),
    (["replay", "."], "session.json"),
    (["eval", "--rf-only", "--radio", "scans=100", "default"], "scans=100"),
    (["eval", "--rf-only", "--radio", "wind=3", "default"], "unknown setting 'wind'"),
    (["eval", "--radio", "scans=8", "default"], "only with --rf-only"),
])
def test_eval_and_replay_errors_are_one_line(argv, fragment, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("detector: ") and fragment in err


def test_eval_of_an_empty_directory_says_what_it_expected(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["eval", str(tmp_path / "empty")]) != 0
    assert "no scenario files" in capsys.readouterr().err


def test_sim_marks_the_confirmed_lens_on_screen_and_logs_the_alert(scenario_dir, tmp_path,
                                                                   capsys):
    out = tmp_path / "sim"
    assert main(["sim", str(scenario_dir / "camera.toml"), "--out", str(out),
                 "--display", "capture"]) == 0
    printed = capsys.readouterr().out
    assert "lens-confirmed" in printed
    assert "SUSPICIOUS: a camera lens was confirmed at " in printed
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    alerts = [e for e in events if e["event"] == "lens_alert"]
    assert len(alerts) == 1 and alerts[0]["features"]["ratio"] > 3

    def red_in_view(path) -> int:  # the camera view lies between the banner and the bar
        view = cv2.imread(str(path))[20:196]
        return int(((view[..., 2] > 200) & (view[..., 1] < 80) & (view[..., 0] < 80)).sum())

    screens = sorted((out / "display").glob("*.png"))
    assert red_in_view(screens[0]) == 0
    assert max(red_in_view(p) for p in screens) > 20  # the red circle around the lens


def test_held_out_seeds_start_after_the_offset(scenario_dir, capsys):
    from detector.errors import DetectorError
    from detector.evaluation.jobs import expand

    jobs = expand([str(scenario_dir / "camera.toml")], 2, rf_only=True, seed_offset=40)
    assert [(j.kind, j.seed) for j in jobs] == [("scenario-rf", 43), ("scenario-rf", 44)]
    with pytest.raises(DetectorError, match="--seed-offset"):
        expand([str(scenario_dir / "camera.toml")], 1, seed_offset=-1)
    assert main(["eval", str(scenario_dir / "camera.toml"), "--seed-offset", "-1"]) != 0
    assert "--seed-offset" in capsys.readouterr().err


def test_radio_conditions_parse_into_the_scanners_settings():
    """`--radio` sets the CC2500's dwell, the packet timing and the unit's offset and
    calibration of each run."""
    from detector.errors import DetectorError
    from detector.evaluation.conditions import RadioCondition

    slow = RadioCondition.parse("scans=4,packet_us=300,occupancy=2,offset_db=-10,uncalibrated")
    # 250 ms over 84 channels, less the step's own 40 us of work
    assert slow.world.cc_dwell_us == 2936 and slow.world.packet_us == 300
    assert slow.world.occupancy_scale == 2 and slow.offset_db == -10 and not slow.calibrated
    fast = RadioCondition.parse("scans=30")
    assert fast.world.cc_dwell_us == 357 and fast.calibrated and fast.wifi
    assert not RadioCondition.parse("no_wifi").wifi and slow.wifi
    with pytest.raises(DetectorError, match="scans=40"):
        RadioCondition.parse("scans=40")


@pytest.mark.parametrize("scans", [4, 30])
def test_the_simulated_scanner_sweeps_at_the_conditions_pace(scans):
    from detector.evaluation.conditions import RadioCondition
    from detector.hw.clock import SimClock
    from detector.rf.sim.radio import SimulatedRadio
    from detector.sim.scenario import load_scenario

    condition = RadioCondition.parse(f"scans={scans}")
    clock = SimClock()
    radio = SimulatedRadio(load_scenario("wifi-camera-stall"), clock, world=condition.world)
    sweeps: dict[str, list[int]] = {"cc2500": [], "rx5808": []}
    try:
        for k in range(1, 301):  # 5 s
            clock.advance_to(clock.start_ns + int(k / 60 * 1e9))
            for r in radio.poll():
                sweeps.get(r["source"], []).append(r["t_ns"])
    finally:
        radio.close()

    def rate(times: list[int]) -> float:
        return (len(times) - 1) / ((times[-1] - times[0]) / 1e9)

    assert 0.8 * scans <= rate(sweeps["cc2500"]) <= 1.1 * scans
    # The 5.8 GHz sweep keeps its own pace: 39 channels of ~30 ms settle time each.
    assert 0.65 <= rate(sweeps["rx5808"]) <= 0.9


def test_rf_only_runs_the_configurations_rf_rules():
    """`detector --set rf_rules.KEY=VALUE eval --rf-only` measures the rules as set: with
    holds longer than the sweep, the Wi-Fi camera the default rules find raises nothing."""
    from detector.config import load_config
    from detector.evaluation.runs import run_rf_only
    from detector.sim.scenario import load_scenario

    scenario = load_scenario("wifi-camera-stall")
    default = run_rf_only(scenario, config=load_config(None, [], use_user_file=False))
    assert any(a["band"] == "wifi-2g4" for a in default.rf_alerts)
    held = load_config(None, ["rf_rules.wifi_confirm_s=60", "rf_rules.approach_confirm_s=60"],
                       use_user_file=False)
    assert not any(a["band"] == "wifi-2g4" for a in run_rf_only(scenario, config=held).rf_alerts)
