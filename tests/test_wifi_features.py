"""Traffic features of one transmitter on hand-made series whose answer is known: a
camera's video stream (steady, near-MTU, a keyframe burst every 2 s), a phone browsing
(bursty, mostly downlink), an access point's beacons."""

import random

import pytest

from detector.wifi.features import by_device, features_of, summarise
from detector.wifi.headers import BEACON, CTRL, DATA, MGMT, WifiFrame

CAM = bytes.fromhex("a4cf12a1b2c3")
PHONE = bytes.fromhex("da0102030405")
AP = bytes.fromhex("001122334455")
S = 1_000_000_000


def data(t_ns, src, length, up=True, rssi=-50):
    return WifiFrame(int(t_ns), length, rssi, 2437, DATA, 8, up, not up, False, True,
                     AP if up else src, src if up else AP, AP)


def camera_stream(seconds=20, fps=15, kbps=1000, gop_s=2.0, key_factor=5.0, seed=3):
    """An encoder at `kbps`: every picture split into 1500-byte frames (the last one
    shorter), a keyframe `key_factor` times larger every `gop_s`."""
    rng = random.Random(seed)
    per_gop = fps * gop_s
    mean_bytes = kbps * 1000 / 8 / fps
    p_bytes = mean_bytes * per_gop / (per_gop - 1 + key_factor)
    frames = []
    for k in range(int(seconds * fps)):
        t = k * S / fps + rng.uniform(0, 2e6)
        size = p_bytes * (key_factor if k % per_gop == 0 else 1.0) * rng.uniform(0.9, 1.1)
        while size >= 1:
            chunk = min(1500, int(size) + 60)  # 60 bytes of headers per frame
            frames.append(data(t, CAM, chunk))
            t += 300_000
            size -= chunk - 60
    return frames


def test_a_camera_stream_is_steady_near_mtu_and_repeats_every_group_of_pictures():
    f = features_of(CAM, camera_stream())
    assert f.sent_kbps == pytest.approx(1000 * 1.06, rel=0.1)  # video plus headers
    assert f.received_kbps == 0
    assert f.near_mtu_share > 0.6
    assert f.steadiness > 0.7 and f.persistence == 1.0
    assert f.burst_period_s == pytest.approx(2.0, abs=0.15) and f.burst_strength > 0.3
    assert not f.randomised and f.rssi_dbm == -50


def test_a_phone_browsing_is_bursty_and_mostly_downlink():
    rng = random.Random(5)
    frames = []
    for _ in range(6):  # a page load now and then
        t0 = rng.uniform(0, 18) * S
        for i in range(80):
            frames.append(data(t0 + i * 2e6, PHONE, 1500, up=False))
            if i % 8 == 0:
                frames.append(data(t0 + i * 2e6 + 1e5, PHONE, 120, up=True))
    f = features_of(PHONE, sorted(frames, key=lambda x: x.t_ns), 0, 20 * S)
    assert f.received_kbps > 5 * f.sent_kbps
    assert f.steadiness < 0.3 and f.persistence < 0.5
    assert f.randomised


def test_beacons_name_the_network_and_acks_belong_to_nobody():
    beacons = [WifiFrame(k * 102_400_000, 200, -70, 2437, MGMT, BEACON, False, False, False,
                         False, b"\xff" * 6, AP, AP, "CAM-7F21") for k in range(30)]
    acks = [WifiFrame(k * S, 14, -60, 2437, CTRL, 13, False, False, False, False, CAM, None,
                      None) for k in range(3)]
    groups = by_device(beacons + acks)
    assert list(groups) == [AP]
    (ap,) = summarise(beacons + acks)
    assert ap.ssid == "CAM-7F21" and ap.sent_kbps == 0 and ap.burst_period_s is None


def test_summary_puts_the_device_sending_most_first():
    frames = camera_stream(seconds=6) + [data(k * S, PHONE, 200) for k in range(6)]
    order = [f.address for f in summarise(sorted(frames, key=lambda x: x.t_ns))]
    assert order == [CAM, PHONE, AP]  # the access point only receives here
    assert summarise([]) == []


def test_the_summary_command_on_a_capture_file(tmp_path, capsys):
    import json

    from detector.cli import main
    from detector.wifi.capture import PcapWriter
    from detector.wifi.encode import capture_bytes

    frames = sorted(camera_stream(seconds=8) + [data(k * S, PHONE, 200) for k in range(8)],
                    key=lambda x: x.t_ns)
    path = tmp_path / "room.pcap"
    with open(path, "wb") as fh:
        writer = PcapWriter(fh)
        for frame in frames:
            writer.write(frame.t_ns, *capture_bytes(frame))
    assert main(["wifi", "summary", str(path), "--json", str(tmp_path / "s.json")]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert f"{len(frames)} frames from 3 devices" in lines[0]
    assert lines[2].startswith("a4:cf:12:a1:b2:c3") and "private address" in lines[3]
    body = json.loads((tmp_path / "s.json").read_text())
    assert body["transmitters"][0]["burst_period_s"] == pytest.approx(2.0, abs=0.15)
    assert body["transmitters"][1]["vendor"] == "private address"
    (tmp_path / "bad.pcap").write_text("not a capture")
    assert main(["wifi", "summary", str(tmp_path / "bad.pcap")]) != 0
    assert "not a pcap or pcapng capture" in capsys.readouterr().err


def test_vendors_from_an_oui_registry(tmp_path, capsys):
    from detector.wifi.commands import summary_command
    from detector.wifi.vendors import PRIVATE, Vendors

    registry = tmp_path / "oui.csv"
    registry.write_text("Registry,Assignment,Organization Name,Organization Address\n"
                        'MA-L,A4CF12,"Example Cameras Ltd","1 Lens Road"\n'
                        "MA-L,001122,Example Networks,Somewhere\n")
    vendors = Vendors.load(registry)
    assert vendors.of(CAM) == "Example Cameras Ltd"
    assert vendors.of(AP) == "Example Networks"
    assert vendors.of(PHONE) == PRIVATE
    assert vendors.of(bytes.fromhex("00aabbccddee")) is None
    assert Vendors.load(tmp_path / "missing.csv").of(CAM) is None  # no registry: unknown
    from detector.wifi.capture import PcapWriter
    from detector.wifi.encode import capture_bytes

    path = tmp_path / "cam.pcap"
    with open(path, "wb") as fh:
        writer = PcapWriter(fh)
        for frame in camera_stream(seconds=3):
            writer.write(frame.t_ns, *capture_bytes(frame))
    assert summary_command(path, None, oui=registry) == 0
    assert "Example Cameras Ltd" in capsys.readouterr().out.splitlines()[2]
