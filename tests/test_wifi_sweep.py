"""Wi-Fi identification in the sweep: a camera identified by its traffic raises "camera
likely (Wi-Fi)" with its evidence in the logbook (no payload, no other device's
address), the buzzer follows its trail, a confirmed lens with it close is camera-likely,
a recorded session keeps what the adapter heard and replays to the same answer, and the
evaluation credits Wi-Fi alerts by emitter."""

import json

import pytest

from detector.cli import main
from detector.config import load_config
from detector.evaluation.wifi_scoring import credit_wifi, score_wifi, wifi_totals
from detector.fusion import Fusion, LensTrackView, Level, WifiView
from detector.inspection import MemorySink
from detector.logbook.store import Logbook
from detector.sim.wifi_room import address_of
from detector.sweep import SweepRequest, run_sweep
from detector.wifi.capture import read_frames
from tests.conftest import SMALL, scenario_from

EIGHT_SECONDS = SMALL.replace("{ t = 1, at", "{ t = 8, at")
ROOM = """
[[objects]]
kind = "camera"
id = "cam1"
at = [1.1, 3.0, 1.25]
facing = [0, -1, 0]
transmits = "wifi-2g4"
tx_dbm = 12

[[transmitters]]
kind = "phone"
id = "call"
at = [0.5, 1.0, 1.0]
band = "wifi-2g4"
traffic = "video-call"
"""


def sweep(tmp_path, **request):
    config = load_config(None, ["sim.display=none"])
    scenario = scenario_from(ROOM, base=EIGHT_SECONDS)
    return run_sweep(config, SweepRequest(backend={"scenario": scenario}, draw=False,
                                          checklist_answer=True, **request))


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    out = tmp_path_factory.mktemp("wifi-sweep")
    outcome = sweep(out, out_dir=out / "out", record_dir=out / "rec")
    return out, outcome


def test_a_wifi_camera_raises_camera_likely_with_its_evidence(swept):
    out, outcome = swept
    (camera,) = outcome.wifi_alerts
    likely = [a for a in outcome.fused_alerts if a["reason"].startswith("camera likely (Wi-Fi)")]
    assert len(likely) == 1 and likely[0]["level"] == "camera-likely"
    assert likely[0]["evidence"]["wifi"]["address"] == camera["address"]
    assert outcome.inspection.result == "suspicious"
    assert outcome.inspection.stats["wifi_cameras"] == [camera["address"]]
    # The logbook keeps the evidence: traffic statistics, channel, trail; no payload.
    book = Logbook.on_device(out / "out" / "logbook")
    try:
        alerts = [r.body_dict() for r in book.records() if r.kind == "alert"]
    finally:
        book.close()
    wifi = next(a["evidence"]["wifi"] for a in alerts if "wifi" in a["evidence"])
    assert wifi["class"] == "camera" and wifi["freq_mhz"] in (2412, 2437, 2462)
    assert wifi["traffic"]["sent_kbps"] > 100 and len(wifi["rssi_trail"]) >= 2
    text = json.dumps(alerts)
    assert "payload" not in text
    # The phone on a call next to it is not suspected: its address is in no record and
    # in no event.
    phone = address_of("call", "phone", 0).hex(":")
    assert phone not in text
    assert phone not in (out / "out" / "events.jsonl").read_text()


def test_the_recording_replays_to_the_same_camera(swept, capsys):
    out, outcome = swept
    assert (out / "rec" / "wifi.pcap").is_file()
    config = load_config(None, ["backend.camera=replay", "sim.display=none"],
                         use_user_file=False)
    again = run_sweep(config, SweepRequest(backend={"recording": out / "rec"},
                                           sink=MemorySink(), draw=False,
                                           checklist_answer=True))
    # The recording names every device by a pseudonym (the maker's prefix is kept).
    (before,), (after,) = outcome.wifi_alerts, again.wifi_alerts
    assert after["class"] == before["class"] == "camera"
    assert after["address"][:8] == before["address"][:8] == "00:00:5e"
    assert after["address"] != before["address"]
    frames, _stats = read_frames(out / "rec" / "wifi.pcap")
    heard = {f.addr2.hex(":") for f in frames if f.addr2 is not None}
    assert before["address"] not in heard and address_of("call", "phone", 0).hex(":") \
        not in heard
    assert main(["replay", str(out / "rec")]) == 0
    assert "camera" in capsys.readouterr().out


def test_without_the_adapter_there_is_no_wifi(tmp_path):
    config = load_config(None, ["sim.display=none", "sim.wifi=false"])
    outcome = run_sweep(config, SweepRequest(
        backend={"scenario": scenario_from(ROOM, base=EIGHT_SECONDS), "seconds": 5},
        draw=False, sink=MemorySink(), checklist_answer=True))
    assert outcome.wifi_alerts == [] and outcome.figures.wifi_stats == {}


def wifi_view(rssi):
    return WifiView("00:00:5e:00:53:01", "camera", 0.8, rssi, 0.7, {"address": "x"})


def test_a_confirmed_lens_with_a_wifi_camera_close_is_camera_likely():
    fusion = Fusion()
    lens = LensTrackView(4, 100.0, 80.0, 0.9, 6, True, 1_000_000_000)
    fusion.add_lens([lens], [{"track": 4, "x": 100.0, "y": 80.0}])
    fusion.set_wifi([wifi_view(-70.0)])  # far: the Wi-Fi alert, but no lens link
    raised = fusion.update(1_000_000_000)
    assert {a.reason for a in raised} == {"lens confirmed (track 4)",
                                          "camera likely (Wi-Fi): 00:00:5e:00:53:01"}
    fusion.set_wifi([wifi_view(-45.0)])  # close by
    raised = fusion.update(1_100_000_000)
    assert [a.reason for a in raised] == ["camera likely: lens 4 with a transmitter close"]
    assert raised[0].evidence["wifi_rssi_dbm"] == -45.0 and fusion.level == Level.CAMERA_LIKELY


def test_scoring_credits_wifi_alerts_by_emitter():
    addresses = {"00:00:5e:00:53:01": ("cam1", "camera"), "da:00:00:00:00:02": ("call", "phone"),
                 "00:00:5e:00:53:05": ("cam2", "camera")}
    truth = {"cameras": [{"id": "cam1", "heard": True, "first_visit_ns": 1_000_000_000},
                         {"id": "cam2", "heard": False, "first_visit_ns": None}],
             "busy": True}
    alerts = credit_wifi([{"address": "00:00:5e:00:53:01", "identified_ns": 4_500_000_000},
                          {"address": "da:00:00:00:00:02", "identified_ns": 6_000_000_000},
                          {"address": "0a:00:00:00:00:09", "identified_ns": 7_000_000_000}],
                         addresses)
    score = score_wifi(truth, alerts)
    assert (score.cameras, score.detected, score.not_heard) == (1, 1, ["cam2"])
    assert score.times_to_alert_s == [3.5]
    assert [a["credit"]["kind"] for a in score.false] == ["phone", "unknown"]
    silent = score_wifi(truth, [])
    assert silent.detected == 0 and silent.missed == ["cam1"]
    totals = wifi_totals([score, silent])
    assert totals["wifi_recall"] == 0.5 and totals["wifi_false_alerts"] == 2
    assert totals["wifi_recall_ci95"][0] < 0.5 < totals["wifi_recall_ci95"][1]
    assert totals["wifi_false_alerts_raised_by"] == {"phone": 1, "unknown": 1}


def test_eval_wifi_only_reports_the_figures(tmp_path, capsys):
    scenario = tmp_path / "room.toml"
    scenario.write_text(EIGHT_SECONDS + ROOM)
    out_json = tmp_path / "e.json"
    assert main(["eval", str(scenario), "--wifi-only", "--seeds", "2", "--jobs", "1",
                 "--json", str(out_json)]) == 0
    totals = json.loads(out_json.read_text())["totals"]
    assert totals["wifi_cameras_heard"] == 2 and totals["wifi_recall"] == 1.0
    assert totals["wifi_false_alerts_per_sweep"] == 0.0
    assert 0 < totals["wifi_median_time_to_alert_s"] <= 5.0
    assert "Wi-Fi (credited by emitter): 2/2" in capsys.readouterr().out
    assert main(["eval", str(scenario), "--wifi-only", "--rf-only"]) != 0


def test_the_report_shows_the_wifi_evidence(swept):
    from detector.logbook.report import build_report

    out, outcome = swept
    book = Logbook.on_device(out / "out" / "logbook")
    try:
        html = build_report(book, None)
    finally:
        book.close()
    (camera,) = outcome.wifi_alerts
    assert "Wi-Fi camera by its traffic" in html and camera["address"] in html
    assert "aria-label='RSSI trail'" in html and "one-way stream" in html


def test_a_wifi_camera_likely_alert_is_scored_by_the_emitter_at_its_address():
    from detector.evaluation.runs import SweepRun
    from detector.evaluation.scoring import SweepScore, score_fused

    def run_with(credited_to):
        run = SweepRun("r", 0, 320, {"cameras": [{"id": "cam1", "frames": []}]}, {}, [], [])
        run.fused_alerts = [{"level": "camera-likely", "t_ns": 5, "evidence": {
            "rule": "Wi-Fi camera by its traffic", "wifi": {"address": "aa"}}}]
        run.wifi_alerts = [{"address": "aa", "credit": {"emitter": credited_to,
                                                          "kind": "x"}}]
        return score_fused(run, SweepScore("r", 0))

    assert run_with("cam1").camera_likely_false == 0
    assert run_with("call").camera_likely_false == 1


@pytest.mark.parametrize("explains", [True, False])
def test_a_sweeps_rf_analysis_asks_its_wifi_monitor(explains):
    from detector.backends import open_session

    config = load_config(None, ["sim.display=none", f"rf_rules.wifi_explains={str(explains).lower()}"])
    session = open_session(config, rf=True, scenario=scenario_from(ROOM, base=EIGHT_SECONDS))
    try:
        assert session.wifi is not None and session.radio is not None
        expected = session.wifi.analyzer if explains else None
        assert session.radio.analyzer.wifi.explainer is expected
    finally:
        session.close()
