"""A simulated room's Wi-Fi traffic: the scenario keys that shape it, what each emitter
sends at the radio field's level, a camera's stream following the inspector through its
view, and the capture a recorded session keeps."""

import pytest

from detector.errors import ScenarioError
from detector.sim.wifi_room import DOC_PREFIX, VENUE_AP, room_traffic
from detector.wifi.capture import read_frames
from detector.wifi.features import summarise
from detector.wifi.headers import locally_administered
from tests.conftest import SMALL, scenario_from

WALK = SMALL.replace("""  { t = 1, at = [1.0, 1.5, 1.2], look = [1.0, 3.0, 1.2] },""",
                     """  { t = 4, at = [1.0, 0.5, 1.2], look = [1.0, 3.0, 1.2] },
  { t = 8, at = [1.0, 2.0, 1.2], look = [1.0, 3.0, 1.2] },
  { t = 12, at = [1.0, 0.5, 1.2], look = [1.0, 3.0, 1.2] },""")


def camera(facing, **keys):
    extra = "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in keys.items())
    return f"""
[[objects]]
kind = "camera"
id = "cam1"
at = [1.1, 3.0, 1.25]
facing = {facing}
transmits = "wifi-2g4"
{extra}"""


ROOM = camera([0, -1, 0], stream_kbps=600.0) + """
[[transmitters]]
kind = "phone"
id = "call"
at = [0.5, 1.0, 1.0]
band = "wifi-2g4"
traffic = "video-call"

[[transmitters]]
kind = "laptop"
at = [1.5, 0.5, 0.8]

[[transmitters]]
kind = "smart-speaker"
at = [0.2, 2.8, 0.9]

[[transmitters]]
kind = "wifi-ap"
id = "venue"
at = [3.0, -2.0, 2.2]
"""


def test_every_wifi_emitter_sends_its_traffic_at_the_fields_level():
    scenario = scenario_from(ROOM, base=WALK)
    found = {f.address: f for f in summarise(room_traffic(scenario))}
    cam = next(f for a, f in found.items()
               if a.startswith(DOC_PREFIX) and f.sent_kbps > 300 and f.ssid is None)
    call = max((f for a, f in found.items() if locally_administered(a) and not a.startswith(VENUE_AP[:-1])),
               key=lambda f: f.sent_kbps)  # the phone
    assert cam.near_mtu_share > 0.7 and cam.burst_period_s == pytest.approx(2.0, abs=0.2)
    assert 500 < call.sent_kbps < 1500 and not locally_administered(cam.address)
    assert any(f.ssid == "venue-venue" for f in found.values())
    assert all(f.rssi_dbm is not None and -110 < f.rssi_dbm < 0 for f in found.values())
    assert len(found) >= 5  # camera, phone, laptop, speaker, access point (and the venue)


def test_a_camera_facing_the_inspector_streams_more_than_one_facing_away():
    def uplink(facing):
        frames = room_traffic(scenario_from(camera(facing), base=WALK))
        return max(f.sent_kbps for f in summarise(frames))

    assert uplink([0, -1, 0]) > 1.3 * uplink([0, 1, 0])


def test_a_camera_with_its_own_access_point_sends_beacons():
    frames = room_traffic(scenario_from(camera([0, -1, 0], wifi_mode="ap"), base=WALK))
    ssids = {f.ssid for f in frames if f.ssid}
    assert len(ssids) == 1 and next(iter(ssids)).startswith("CAM-")


def test_rooms_without_wifi_are_silent_and_old_files_stay_valid():
    scenario = scenario_from("""
[[objects]]
kind = "camera"
id = "c"
at = [1.1, 3.0, 1.25]
facing = [0, -1, 0]
""")
    assert scenario.cameras[0]["wifi_mode"] == "client"  # defaults fill the new keys
    assert room_traffic(scenario) == []


@pytest.mark.parametrize("toml, fragment", [
    (camera([0, -1, 0], wifi_mode="mesh"), "wifi_mode: expected one of client, ap"),
    (camera([0, -1, 0], gop_s=20.0), "gop_s"),
    ("""
[[transmitters]]
kind = "laptop"
at = [0.5, 0.5, 1.0]
traffic = "video-call"
""", "only phones have traffic"),
])
def test_bad_wifi_keys_are_refused_naming_the_key(toml, fragment):
    with pytest.raises(ScenarioError, match=fragment):
        scenario_from(toml)


def test_a_recorded_simulated_session_keeps_its_wifi_capture(tmp_path, capsys):
    from detector.cli import main

    scenario = tmp_path / "room.toml"
    scenario.write_text(WALK + ROOM)
    assert main(["sim", str(scenario), "--seconds", "4", "--display", "none", "--out",
                 str(tmp_path / "out"), "--record", str(tmp_path / "rec")]) == 0
    frames, stats = read_frames(tmp_path / "rec" / "wifi.pcap")
    # What the hopping adapter heard: every channel once in 3.3 s, so something.
    assert stats.frames > 20 and not stats.truncated
    first_video_frame = int((tmp_path / "rec" / "frames.csv").read_text().splitlines()[1]
                            .split(",")[1])
    assert abs(frames[0].t_ns - first_video_frame) < 1_000_000_000  # on the session clock
    assert max(f.t_ns for f in frames) - first_video_frame < 4_100_000_000  # the first 4 s
    capsys.readouterr()
    assert main(["replay", str(tmp_path / "rec")]) == 0
    out = capsys.readouterr().out
    assert "wifi.pcap:" in out and "class" in out  # each device heard, classified


SYNCING = """
[[transmitters]]
kind = "phone"
id = "neighbour"
at = [-0.6, 1.0, 1.0]
band = "wifi-2g4"
duty = 0.3

[[transmitters]]
kind = "phone"
id = "call"
at = [0.5, 1.0, 1.0]
band = "wifi-2g4"
traffic = "video-call"
"""


def test_a_phone_sends_what_the_radio_field_has_it_on_the_air_for():
    """One phone, one behaviour: an idle phone's bursts fall inside the episodes the
    radio field keeps it on the air for (outside them only its keep-alives), and a
    phone on a call is on the air all through, in the field as in its traffic."""
    from detector.rf.sim.field import RadioField
    from detector.sim.wifi_room import address_of

    scenario = scenario_from(SYNCING, base=WALK)
    field = RadioField(scenario)
    episodes = field.phone_on_air_s("neighbour")
    assert episodes and field.phone_on_air_s("call") is None
    neighbour = address_of("neighbour", "phone", 0)
    sent = [f for f in room_traffic(scenario) if f.addr2 == neighbour]
    inside = [f for f in sent if any(a <= f.t_ns / 1e9 < b for a, b in episodes)]
    outside = [f for f in sent if f not in inside]
    assert sum(f.length for f in inside) > 20 * sum(f.length for f in outside)
    assert all(f.length <= 200 for f in outside)  # keep-alives only
