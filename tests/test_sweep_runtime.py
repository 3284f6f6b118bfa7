"""The sweep runtime end to end on short simulated sweeps: watchdog faults (camera stall,
scanner unplugged mid-sweep), buttons (mark, end, check-in menu), QR check-in, the
clear/incomplete rule, the record sink, and bounded frame queues."""

import json
import threading
import time

import numpy as np
import pytest
from PIL import Image

from detector.backends import open_session
from detector.cli import main
from detector.config import load_config
from detector.errors import LogbookError
from detector.feeds import END, NOTHING, DropOldestQueue, LockstepFeed, ThreadedFeed
from detector.fusion import Level
from detector.hw.camera import Camera, Frame
from detector.inspection import (
    Inspection,
    MemorySink,
    ResultRule,
    decide_result,
)
from detector.locations import QrReader, load_locations, qr_image
from detector.logbook.sink import LogbookSink
from detector.logbook.store import Logbook
from detector.loop import SweepLoop
from detector.recording import load_recording
from detector.sim.faults import parse_fault
from detector.sim.scenario import bundled_scenarios, load_scenario
from detector.sweep import SweepRequest, run_sweep, sweep_on
from tests.conftest import CAMERA_ON_BACK_WALL, SMALL, scenario_from

FOUR_SECONDS = SMALL.replace("{ t = 1, at", "{ t = 4, at")
LARGER = FOUR_SECONDS.replace("resolution = [320, 180]", "resolution = [640, 360]")
CAMERA = CAMERA_ON_BACK_WALL
TRANSMITTER = """
[[transmitters]]
kind = "wifi-ap"
at = [0.2, 0.2, 2.0]
"""


def events_of(out):
    return [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]


def records_of(out):
    """The bodies of the records in a sweep's logbook, in order, with their kind."""
    book = Logbook.on_device(out / "logbook")
    try:
        assert book.verify() == []
        return [{"kind": r.kind, **r.body_dict()} for r in book.records()]
    finally:
        book.close()


def sweep(tmp_path, base=FOUR_SECONDS, objects="", overrides=(), **request):
    """A 4 s sweep standing 1.5 m from a wall; with a camera on it, at 640x360 (at 320x180
    a lens at 1.5 m is below one pixel)."""
    config = load_config(None, ["sim.display=capture", *overrides])
    scenario = scenario_from(objects, base=LARGER if objects == CAMERA else base)
    request.setdefault("out_dir", tmp_path)
    backend = {"scenario": scenario}
    for key in ("faults", "presses", "seconds"):  # the sim backend's own options
        if key in request:
            backend[key] = request.pop(key)
    return run_sweep(config, SweepRequest(backend=backend, **request))


def test_camera_stall_is_a_fault_on_screen_and_buzzer_and_the_sweep_goes_on(tmp_path):
    outcome = sweep(tmp_path, faults=[parse_fault("1.0:camera-stall:2.0")])
    events = events_of(tmp_path)
    faults = [e for e in events if e["event"] in ("fault", "fault_end")
              and e["fault"] == "CAMERA STALLED"]
    assert [e["event"] for e in faults] == ["fault", "fault_end"]
    assert 1.9 <= faults[0]["t_s"] <= 2.2  # 1 s after the last frame
    assert 2.9 <= faults[1]["t_s"] <= 3.2  # the first frame after the stall
    episode = outcome.inspection.faults[0]
    assert episode["fault"] == "CAMERA STALLED"
    # The fault pattern's 500 Hz beeps sounded during the stall, and only then.
    beeps = [(t - 1e9) / 1e9 for t, hz in outcome.figures.buzzer_events if hz == 500.0]
    assert beeps and all(1.9 <= t <= 3.2 for t in beeps)
    # Frames after the stall were processed; the screen kept refreshing meanwhile.
    assert 110 <= outcome.figures.frames <= 130  # 4 s at 60 fps, less the 2 s stall
    shown = [e for e in events if e["event"] == "start"]
    assert shown and outcome.figures.screens >= 40
    # The camera was down half the sweep's second half: more than allowed -> incomplete.
    assert outcome.inspection.result == "incomplete"
    assert any("camera was down" in r for r in outcome.inspection.reasons)


def test_stalled_screen_shows_the_fault(tmp_path):
    sweep(tmp_path, faults=[parse_fault("1.0:camera-stall:2.0")])
    import cv2

    screens = sorted((tmp_path / "display").glob("*.png"))
    # 10 refreshes per second: screen ~25 is 2.5 s in, inside the stall.
    during = cv2.imread(str(screens[25]))[20:196]
    before = cv2.imread(str(screens[5]))[20:196]

    def orange(img):
        return int(((img[..., 2] > 200) & (img[..., 1] > 80) & (img[..., 1] < 160)
                    & (img[..., 0] < 60)).sum())

    assert orange(during) > 30 and orange(before) == 0


def test_scanner_unplugged_mid_sweep_goes_offline_and_comes_back(tmp_path):
    outcome = sweep(tmp_path, objects=TRANSMITTER, overrides=["watchdog.rf_s=0.5"],
                    faults=[parse_fault("1.0:rf-unplug:1.5")])
    events = events_of(tmp_path)
    rf = [e for e in events if e.get("fault") == "RF OFFLINE"]
    assert [e["event"] for e in rf] == ["fault", "fault_end"]
    assert 1.2 <= rf[0]["t_s"] <= 1.8 and 2.5 <= rf[1]["t_s"] <= 4.0
    assert outcome.figures.rf_stats["reconnects"] >= 1
    assert outcome.figures.frames > 200  # the camera side never stopped


def test_marking_a_finding_keeps_evidence_and_makes_it_suspicious(tmp_path):
    outcome = sweep(tmp_path, objects=CAMERA, presses=[(3.0, "select", False),
                                                        (3.1, "select", False)])
    finding = outcome.inspection.findings[0]
    assert finding["verdict"] == "suspicious" and finding["marker"] is not None
    assert finding["lens_alert"]["features"]["ratio"] > 3
    assert outcome.inspection.result == "suspicious"
    records = records_of(tmp_path)
    kinds = [r["kind"] for r in records]
    assert kinds[0] == "inspection-start" and "finding" in kinds and "alert" in kinds
    assert kinds[-1] == "inspection"
    alert = next(r for r in records if r["kind"] == "alert" and r["level"] == "lens-confirmed")
    assert alert["evidence"]["lens"]["features"]["ratio"] > 3  # the alert's own evidence
    assert alert["evidence_files"][0]["role"] == "snapshot"  # kept beside it
    stored = next(r for r in records if r["kind"] == "finding")
    roles = [e["role"] for e in stored["evidence_files"]]
    assert roles[0] == "snapshot" and roles[-1] == "rf spectrum"
    assert sum(role.startswith("frame ") for role in roles) == 6  # two frame sets
    book = Logbook.on_device(tmp_path / "logbook")
    snapshot = book.evidence.read(stored["evidence_files"][0]["sha256"])
    book.close()
    assert snapshot.startswith(b"\x89PNG")


def test_device_found_and_ending_early_from_the_buttons(tmp_path):
    outcome = sweep(tmp_path, objects=CAMERA, presses=[
        (2.0, "select", False), (2.1, "down", False), (2.2, "select", False),  # device found
        (2.5, "down", True), (2.6, "select", False)])  # end now
    assert outcome.inspection.result == "device-found"
    assert outcome.figures.frames < 2.8 * 60  # it stopped at 2.6 s, not at 4 s


def test_check_in_from_the_menu(tmp_path):
    locations = load_locations()
    outcome = sweep(tmp_path, checkin=True, presses=[(0.5, "down", False),
                                                     (0.6, "down", False),
                                                     (0.7, "select", False)])
    assert outcome.inspection.location_id == locations[1].id
    assert outcome.inspection.room_type == locations[1].room_type


class QrCamera(Camera):
    """A camera looking at a QR sticker (frames alternate the light states)."""

    def __init__(self, image, clock, frames=30):
        self.image, self.clock, self.n, self.i = image, clock, frames, 0

    @property
    def resolution(self):
        return self.image.shape[1], self.image.shape[0]

    def read(self):
        if self.i >= self.n:
            return None
        t = self.clock.start_ns + self.i * 16_666_667
        self.clock.advance_to(t + 10_000_000)
        labels = ("onaxis", "offaxis", "dark")
        frame = Frame(index=self.i, t_ns=t, exposure_us=2000.0, lights=labels[self.i % 3],
                      image=self.image)
        self.i += 1
        return frame


def test_qr_sticker_checks_in_at_its_location(tmp_path):
    location = load_locations()[3]
    canvas = np.full((360, 640), 40, np.uint8)
    code = qr_image(location.id, module_px=5)
    canvas[60:60 + code.shape[0], 200:200 + code.shape[1]] = code
    assert QrReader().read(canvas) == location.id
    assert QrReader().read(np.full((360, 640), 40, np.uint8)) is None

    config = load_config(None, ["sim.display=none"])
    session = open_session(config, rf=False, scenario=scenario_from(base=FOUR_SECONDS),
                           presses=[(0.05, "select", False)])
    session.devices.camera = QrCamera(canvas, session.devices.clock)
    try:
        outcome = sweep_on(session, SweepRequest(out_dir=tmp_path, checkin=True,
                                                         sink=MemorySink()))
    finally:
        session.close()
    assert outcome.inspection.location_id == location.id
    assert outcome.inspection.room_type == "changing-room"
    assert any(e["event"] == "qr" and e["location"] == location.id for e in events_of(tmp_path))


def test_clear_needs_coverage_and_a_complete_checklist(tmp_path):
    low = sweep(tmp_path / "a", checklist_answer=True)
    assert low.inspection.result == "incomplete"
    assert any("coverage" in r for r in low.inspection.reasons)
    ok = sweep(tmp_path / "b", checklist_answer=True, overrides=["inspection.min_coverage=0.01"])
    assert ok.inspection.result == "clear" and ok.peak_level == Level.CLEAR
    unanswered = sweep(tmp_path / "c", overrides=["inspection.min_coverage=0.01"])
    assert unanswered.inspection.result == "incomplete"
    assert unanswered.inspection.reasons == ["5 checklist item(s) unanswered"]


@pytest.mark.parametrize(("findings", "peak", "coverage", "down", "expected"), [
    ([{"verdict": "device"}], Level.CLEAR, 0.0, 0.9, "device-found"),
    ([], Level.LENS_CONFIRMED, 0.9, 0.0, "suspicious"),
    ([], Level.CAMERA_LIKELY, 0.1, 0.0, "suspicious"),
    ([{"verdict": "suspicious"}], Level.CLEAR, 0.9, 0.0, "suspicious"),
    ([{"verdict": "dismissed"}], Level.LENS_CANDIDATE, 0.9, 0.0, "clear"),
    ([], Level.RF_ACTIVITY, 0.9, 0.0, "clear"),
    ([], Level.CLEAR, 0.59, 0.0, "incomplete"),
    ([], Level.CLEAR, 0.9, 0.2, "incomplete"),
])
def test_result_rule(findings, peak, coverage, down, expected):
    ins = Inspection("L1", "Somewhere", "stall", "ana", "north")
    ins.checklist = {k: True for k in ins.checklist}
    ins.findings, ins.coverage = findings, coverage
    result, reasons = decide_result(ins, peak, down, ResultRule(min_coverage=0.6))
    assert result == expected and reasons


def test_full_disk_keeps_records_and_the_sweep_alerting(tmp_path):
    class FillsUp(LogbookSink):
        """Refuses the first writes (disk full), then has room again."""

        refusals = 2

        def append(self, kind, record, blobs=()):
            if self.refusals:
                self.refusals -= 1
                raise LogbookError(f"cannot write a {kind} record: No space left on device")
            super().append(kind, record, blobs)

    sink = FillsUp(Logbook.on_device(tmp_path / "logbook"))
    outcome = sweep(tmp_path, objects=CAMERA, sink=sink)
    events = events_of(tmp_path)
    log_faults = [e["event"] for e in events if e.get("fault") == "LOG WRITE FAILED"]
    assert log_faults == ["fault", "fault_end"]
    assert any(e["event"] == "lens_alert" for e in events)  # it kept detecting and alerting
    assert outcome.inspection.result == "suspicious" and outcome.unsaved_records == 0
    kinds = [r["kind"] for r in records_of(tmp_path)]  # nothing lost, in order
    assert kinds[0] == "inspection-start" and kinds[-1] == "inspection" and "alert" in kinds


def test_records_that_never_fit_are_reported(tmp_path, capsys):
    class Full(LogbookSink):
        def append(self, kind, record, blobs=()):
            raise LogbookError(f"cannot write a {kind} record: No space left on device")

    outcome = sweep(tmp_path, sink=Full(Logbook.on_device(tmp_path / "logbook")))
    assert outcome.unsaved_records == 2  # the start and the inspection itself
    assert outcome.inspection.result == "incomplete"  # the sweep still closed


def test_unwritable_log_is_one_line_from_the_cli(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code = main(["sweep", "--sim", "default", "--seconds", "0.2", "--out", str(blocker / "out"),
                 "--display", "none"])
    assert code != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("detector: ") and "\n" not in err


def test_drop_oldest_queue_bounds_latency():
    q = DropOldestQueue(3)
    for i in range(10):
        q.put(i)
    assert len(q) == 3 and q.dropped == 7
    assert [q.get(0) for _ in range(3)] == [7, 8, 9]
    assert q.get(0.01) is NOTHING


def test_threaded_feed_drops_frames_under_load_and_says_so():
    produced = []

    def frames():
        for i in range(200):
            produced.append(i)
            time.sleep(0.0005)
            yield i

    feed = ThreadedFeed(frames(), maxsize=3)
    feed.start()
    got, waits = [], []
    while True:
        item = feed.get(1.0)
        if item is END:
            break
        got.append(item)
        waits.append(produced[-1] - item)  # how far behind the newest frame we are
        time.sleep(0.005)  # a slow consumer
    feed.stop()
    assert feed.dropped > 50 and len(got) + feed.dropped == 200
    assert max(waits) <= 4 + 10  # never more than the queue (and a scheduling slack) behind
    assert got == sorted(got)


def test_threaded_feed_reports_a_camera_error():
    def frames():
        yield 1
        raise OSError("camera went away")

    feed = ThreadedFeed(frames())
    feed.start()
    assert feed.get(1.0) == 1 and feed.get(1.0) is END
    feed.stop()
    assert "camera went away" in str(feed.error)
    assert threading.active_count() >= 1


@pytest.mark.parametrize("text", ["1:camera", "x:camera-stall:2", "1:fire:2", "1:rf-unplug:0"])
def test_bad_fault_specs_are_refused(text):
    with pytest.raises(ValueError, match="--fault"):
        parse_fault(text)


@pytest.mark.parametrize("name", [p.stem for p in bundled_scenarios()])
def test_every_library_scenario_sweeps_end_to_end(name, tmp_path):
    """Short excerpts here; `detector eval` runs the whole library through the runtime."""
    assert main(["sweep", "--sim", name, "--seconds", "0.3", "--out", str(tmp_path),
                 "--display", "none"]) == 0
    records = records_of(tmp_path)
    last = records[-1]
    assert [r["kind"] for r in records][0] == "inspection-start"
    # 0.3 s covers too little of any room to close it as clear: it is suspicious when a
    # lens was confirmed already (a camera in view from the door), else incomplete.
    alerts = [r for r in records if r["kind"] == "alert" and r["level"] in (
        "lens-confirmed", "camera-likely")]
    assert last["kind"] == "inspection"
    if alerts:
        assert last["result"] == "suspicious"
        assert load_scenario(name).cameras, "a camera-free room closed as suspicious"
    else:
        assert last["result"] == "incomplete"
        assert any("coverage" in reason for reason in last["reasons"])
    assert last["stats"]["frames"] >= 17


def test_record_writes_a_session_that_replays(tmp_path, capsys):
    scenario = tmp_path / "cam.toml"
    scenario.write_text(LARGER.replace("{ t = 4, at", "{ t = 1.5, at") + CAMERA)
    session = tmp_path / "session"
    assert main(["record", str(session), "--sim", str(scenario), "--out", str(tmp_path / "o"),
                 "--display", "none"]) == 0
    assert "recorded session" in capsys.readouterr().out
    recording = load_recording(session)
    assert len(recording.rows) >= 80 and recording.rf and recording.truth
    assert main(["replay", str(session)]) == 0
    assert "lens" in capsys.readouterr().out.lower()


def test_oled_display_gets_the_text_layout(tmp_path):
    sweep(tmp_path, overrides=["display.driver=ssd1306"], seconds=0.5)
    first = Image.open(sorted((tmp_path / "display").glob("*.png"))[0])
    assert first.size == (128, 64)
    pixels = np.asarray(first.convert("L"))
    assert set(np.unique(pixels)) <= {0, 255}  # text only, one bit


def test_sweep_on_the_device_without_its_libraries_is_one_line(capsys, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "picamera2", None)
    code = main(["--set", "backend.camera=pi", "sweep", "--display", "none"])
    err = capsys.readouterr().err.strip()
    assert code != 0 and err.startswith("detector: ") and "\n" not in err


def test_threaded_runtime_drops_frames_under_load_and_says_so(tmp_path, monkeypatch):
    """The device's mode: the camera in its own thread, screens in another. The simulated
    camera renders faster than the loop can take frames, so some are dropped; every frame
    is either processed or counted as dropped, and the screen shows the count."""
    config = load_config(None, ["sim.display=capture"])
    session = open_session(config, rf=False, out_dir=tmp_path,
                           scenario=scenario_from(base=FOUR_SECONDS))
    devices = session.devices
    slow = devices.display.show

    def slow_show(image):  # an SPI display taking 30 ms per screen
        time.sleep(0.03)
        slow(image)

    devices.display.show = slow_show
    session.feed = ThreadedFeed  # the device's feed
    session.display_period_s = 0.0
    original = SweepLoop._on_frame
    loops = []

    def slow_frame(self, frame):  # a loop slower than the camera
        time.sleep(0.004)
        original(self, frame)

    monkeypatch.setattr(SweepLoop, "_on_frame", slow_frame)
    try:
        outcome = sweep_on(session, SweepRequest(
            out_dir=tmp_path, sink=MemorySink(), progress=lambda _t, loop: loops.append(loop)))
    finally:
        session.close()
    fig = outcome.figures
    assert fig.dropped > 0
    assert fig.frames + fig.dropped == devices.camera.n_frames
    assert loops[-1].screen_worker.shown < fig.screens  # stale screens were skipped
    assert outcome.inspection.stats["frames"] == fig.frames


def test_the_simulation_window_runs_no_faster_than_real_time(tmp_path):
    """A trainer watching the window sees the sweep at its real pace (the headless
    simulation runs as fast as it can)."""
    from detector.sim.backend import RealtimeFeed

    config = load_config(None, ["sim.display=none"])
    session = open_session(config, rf=False,
                           scenario=scenario_from(base=SMALL.replace("{ t = 1, at", "{ t = 0.5, at")))
    clock = session.devices.clock
    session.feed = lambda frames: RealtimeFeed(LockstepFeed(frames), clock)
    try:
        outcome = sweep_on(session, SweepRequest(sink=MemorySink(), draw=False))
    finally:
        session.close()
    assert outcome.figures.wall_s >= 0.45  # 0.5 s of simulated sweep
