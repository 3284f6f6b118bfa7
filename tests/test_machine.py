"""The inspection machine on hand-made inputs: no device, no frame rendered, no
simulator. Each test drives it as the loop would and checks what it asks for."""

from dataclasses import dataclass

import pytest

from detector.config import load_config
from detector.fusion import LensTrackView, Level, RfView
from detector.locations import Location, load_procedures
from detector.session.inputs import (
    CameraGeometry,
    Event,
    Evidence,
    LensUpdate,
    Record,
    RfUpdate,
    Sound,
)
from detector.session.machine import InspectionMachine, MachineSettings, SessionInfo

S = 1_000_000_000
START = 10 * S
CAMERA = CameraGeometry(640, 360, 66.0)
ROOM = Location("loc-7", "Station toilets, stall 2", "stall")


@dataclass(frozen=True)
class Press:
    button: str
    long: bool = False


def machine(locations=(), overrides=(), rf=False, answer=True):
    config = load_config(None, list(overrides), use_user_file=False)
    return InspectionMachine(MachineSettings.from_config(config), CAMERA, list(locations),
                             load_procedures(), SessionInfo(title="test", checklist_answer=answer),
                             START, rf=rf)


def lens_update(t, *, confirmed=False, alert=False, x=330.0, y=170.0, hits=4):
    view = LensTrackView(3, x, y, 0.8 if confirmed else 0.5, hits, confirmed, t)
    alerts = [{"track": 3, "t_ns": t, "x": x, "y": y, "score": 0.8, "hits": hits}] if alert else []
    return LensUpdate(t, (0.0, 0.0, True), [view], alerts,
                      [(x, y, "confirmed" if confirmed else "candidate")])


def of(outputs, kind):
    return [o for o in outputs if isinstance(o, kind)]


def test_without_a_location_list_it_checks_in_at_once_and_records_the_start():
    m = machine()
    m.start(START)
    out = m.take_outputs()
    assert [e.name for e in of(out, Event)] == ["start", "checkin"]
    assert [r.kind for r in of(out, Record)] == ["inspection-start"]
    assert m.inspection is not None and m.controller.screen == "live"
    assert m.take_outputs() == []  # each output is handed over once


def test_a_confirmed_lens_beeps_raises_an_alert_with_a_snapshot_and_redraws_at_once():
    m = machine()
    m.start(START)
    m.on_frame(START)
    m.take_outputs()
    m.on_lens(lens_update(START + S // 2, confirmed=True, alert=True), START + S // 2)
    out = m.take_outputs()
    assert of(out, Sound) == [Sound("lens-confirmed")]
    assert [e.name for e in of(out, Event)] == ["lens_alert"]
    tick = m.tick(START + S // 2, [])
    assert tick.redraw_now and tick.raised
    alerts = [r for r in of(m.take_outputs(), Record) if r.kind == "alert"]
    assert len(alerts) == 1 and alerts[0].evidence == Evidence()
    assert alerts[0].data["level"] == "lens-confirmed"
    assert m.peak_level == Level.LENS_CONFIRMED
    assert m.status(START + S // 2).lens_text == "LENS 1"
    ins = m.finish(START + 2 * S, {"frames": 120})
    assert ins.result == "suspicious" and ins.stats["frames"] == 120


def test_a_lens_candidate_alone_raises_no_record_and_the_inspection_can_close_clear():
    m = machine(overrides=["inspection.min_coverage=0.0"])
    m.start(START)
    m.on_frame(START)
    m.on_lens(lens_update(START + S // 2, hits=2), START + S // 2)
    tick = m.tick(START + S // 2, [])
    assert not tick.raised
    assert m.fusion.level == Level.LENS_CANDIDATE
    assert not [r for r in of(m.take_outputs(), Record) if r.kind == "alert"]
    m.on_frame(START + S)
    assert m.finish(START + S, {}).result == "clear"


def test_a_silent_camera_is_a_fault_episode_on_screen_buzzer_and_record():
    m = machine(overrides=["watchdog.camera_s=1.0"])
    m.start(START)
    m.on_frame(START)
    assert m.tick(START + S // 2, []).faults == []
    tick = m.tick(START + 2 * S, [])
    assert tick.faults == ["CAMERA STALLED"] and tick.buzzer.faults
    assert "CAMERA STALLED" in m.status(START + 2 * S).faults
    m.on_frame(START + 3 * S)
    assert m.tick(START + 3 * S, []).faults == []
    names = [e.name for e in of(m.take_outputs(), Event)]
    assert names.count("fault") == 1 and names.count("fault_end") == 1
    ins = m.finish(START + 3 * S, {})
    assert ins.faults == [{"fault": "CAMERA STALLED", "from_ns": START + 2 * S,
                           "to_ns": START + 3 * S}]
    assert ins.result == "incomplete"  # down for two of the three seconds
    assert any("camera was down" in r for r in ins.reasons)


def test_the_loops_own_faults_join_the_watchdogs_and_close_at_the_end():
    m = machine()
    m.start(START)
    m.on_frame(START)
    assert m.tick(START, ["LOG WRITE FAILED"]).faults == ["LOG WRITE FAILED"]
    ins = m.finish(START + S, {})
    assert [f["fault"] for f in ins.faults] == ["LOG WRITE FAILED"]


def test_marking_a_finding_picks_the_marker_nearest_the_centre_and_asks_for_frames():
    m = machine()
    m.start(START)
    m.on_frame(START)
    m.on_lens(lens_update(START, confirmed=True, alert=True, x=100.0, y=50.0), START)
    m.on_lens(LensUpdate(START + 50_000_000, (0, 0, True), [], [],
                         [(100.0, 50.0, "confirmed"), (300.0, 190.0, "candidate")]),
              START + 50_000_000)
    m.take_outputs()
    m.on_press(Press("select"), START + S)  # live view: open the finding menu
    assert m.controller.screen == "finding"
    m.on_press(Press("select"), START + S)  # "Suspicious: keep as evidence"
    findings = [r for r in of(m.take_outputs(), Record) if r.kind == "finding"]
    assert len(findings) == 1
    finding = findings[0]
    assert finding.data["verdict"] == "suspicious"
    assert finding.data["marker"] == [300.0, 190.0, "candidate"]
    assert finding.evidence == Evidence(frames=True, focus=(300.0, 190.0))
    assert m.finish(START + 2 * S, {}).result == "suspicious"


def test_a_finding_marked_as_a_device_decides_the_result():
    m = machine()
    m.start(START)
    m.on_press(Press("select"), START)
    m.on_press(Press("down"), START)  # "Device found"
    m.on_press(Press("select"), START)
    assert m.finish(START + S, {}).result == "device-found"


def test_ending_from_the_menu_finishes_the_machine():
    m = machine()
    m.start(START)
    m.on_press(Press("down", long=True), START)  # the end menu
    assert m.screen(m.status(START)).kind == "menu"
    m.on_press(Press("select"), START)  # "End now"
    assert m.finished


def test_with_a_location_list_it_waits_for_check_in_then_takes_the_chosen_room():
    m = machine(locations=[ROOM])
    m.start(START)
    assert m.inspection is None and m.controller.screen == "checkin"
    assert m.screen().kind == "menu"
    assert m.tick(START, []).raised is False  # nothing is fused before check-in
    m.on_press(Press("down"), START)
    m.on_press(Press("select"), START)
    assert m.inspection is not None and m.inspection.location_id == "loc-7"
    starts = [r for r in of(m.take_outputs(), Record) if r.kind == "inspection-start"]
    assert starts[0].data["location_name"] == ROOM.name


def test_a_qr_sticker_checks_in_and_an_unknown_one_times_out():
    m = machine(locations=[ROOM])
    m.start(START)
    m.on_press(Press("select"), START)  # "Scan the QR sticker"
    assert m.scanning_qr and m.shows_camera
    m.on_qr("no-such-place", START + S)
    assert m.scanning_qr  # still looking
    m.on_qr(None, START + 6 * S)
    assert not m.scanning_qr and m.inspection is None  # gave up after 5 s
    m.on_press(Press("select"), START + 7 * S)
    m.on_qr("loc-7", START + 8 * S)
    assert m.inspection is not None and m.inspection.location_id == "loc-7"


def test_rf_alerts_are_logged_counted_and_click_the_buzzer_by_proximity():
    m = machine(rf=True)
    m.start(START)
    view = RfView("wifi-2g4", "Wi-Fi", -55.0, START, {})
    alert = {"band": "wifi-2g4", "kind": "Wi-Fi", "start_ns": START}
    m.on_rf(RfUpdate(readings=3, new_alerts=[alert], active=[view], active_json=[alert],
                     proximity=0.4), START)
    tick = m.tick(START, [])
    assert tick.buzzer.rf_active and tick.buzzer.proximity == pytest.approx(0.4)
    assert m.rf_alerts == [alert]
    assert m.status(START, rf_text="RF wifi-2g4 40%").rf_text == "RF wifi-2g4 40%"
    assert m.fusion.level == Level.RF_ACTIVITY
    ins = m.finish(START + S, {})
    assert ins.stats["rf_alerts"] == 1
    assert ins.result != "suspicious"  # RF alone does not change the result


def test_a_quiet_radio_becomes_rf_offline():
    m = machine(rf=True, overrides=["watchdog.rf_s=0.5"])
    m.start(START)
    m.on_frame(START)
    m.on_rf(RfUpdate(1, [], [], [], 0.0), START)
    m.on_frame(START + S)
    m.on_rf(RfUpdate(0, [], [], [], 0.0), START + S)
    assert m.tick(START + S, []).faults == ["RF OFFLINE"]


def test_mute_is_asked_of_the_buzzer_and_shown():
    m = machine()
    m.start(START)
    m.take_outputs()
    m.on_press(Press("up", long=True), START)
    assert Sound("mute", True) in m.take_outputs()
    assert m.status(START).muted


def test_a_wifi_camera_is_camera_likely_and_the_buzzer_follows_its_trail():
    from detector.fusion import WifiView
    from detector.session.inputs import WifiUpdate

    m = machine()
    m.start(0)
    view = WifiView("00:00:5e:00:53:01", "camera", 0.8, -50.0, 0.67,
                    {"address": "00:00:5e:00:53:01", "class": "camera"})
    m.on_wifi(WifiUpdate([{"address": "00:00:5e:00:53:01", "class": "camera"}], [view], view,
                         3.0, [-60.0, -55.0, -50.0], "00:00:5e:00:53:01", "WIFI CAM 53:01"),
              S)
    tick = m.tick(S, [])
    assert tick.raised and m.fusion.level == Level.CAMERA_LIKELY
    assert tick.buzzer.rf_active and tick.buzzer.proximity == pytest.approx(0.67)
    assert [e.name for e in of(m.take_outputs(), Event)].count("wifi_camera") == 1
    status = m.status(S)
    assert status.wifi_trend == "HOTTER" and status.walk_prompt
    assert status.wifi_trail == [-60.0, -55.0, -50.0]
