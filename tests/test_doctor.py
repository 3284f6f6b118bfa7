"""`detector doctor` against simulated parts, healthy and with faults injected: each
failing check says what is wrong and how to fix it, and the others still run."""

import contextlib
import os
import sqlite3
from collections import namedtuple

import pytest

from detector import doctor as D
from detector.backends import build_devices
from detector.cli import main
from detector.config import load_config
from detector.errors import DetectorError
from detector.rf.scanners import open_scanner
from tests.conftest import scenario_from
from tests.logbooks import device_logbook

Usage = namedtuple("Usage", "total used free")


@pytest.fixture
def ctx(tmp_path):
    device_logbook(tmp_path / "logbook", inspections=1).close()
    config = load_config(None, ["sim.display=none"])
    devices = build_devices(config, scenario=scenario_from())
    context = D.Context(config, devices, None, tmp_path / "logbook",
                        lambda: open_scanner(config, port="rfsim://?scenario=default"),
                        disk_usage=lambda _p: Usage(64e9, 10e9, 54e9))
    yield context
    with contextlib.suppress(DetectorError):  # a test may have broken a part on purpose
        devices.close()


def by_name(checks):
    return {c.name: c for c in checks}


def test_a_healthy_simulated_device_passes_every_check(ctx):
    checks = D.run_checks(ctx)
    assert [c.name for c in checks if not c.ok] == ["calibration"]  # not calibrated yet
    assert "detector calibrate" in by_name(checks)["calibration"].fix
    assert "on-axis +" in by_name(checks)["lights"].detail
    assert "4 records verified" in by_name(checks)["keys"].detail
    assert all(c.line().startswith("PASS") for c in checks
               if c.name != "calibration" and c.applies)
    assert by_name(checks)["wifi"].line().startswith("N/A")  # no adapter configured


def test_stalled_camera(ctx, monkeypatch):
    monkeypatch.setattr(ctx.devices.camera, "read", lambda: None)
    check = D.check_camera(ctx)
    assert not check.ok and check.detail == "no frame arrived" and "ribbon" in check.fix


def test_lights_that_never_switch(ctx, monkeypatch):
    monkeypatch.setattr(ctx.devices.lights, "set", lambda state: None)
    check = D.check_lights(ctx)
    assert not check.ok and "no onaxis, offaxis frames" in check.detail
    assert "MOSFET" in check.fix


def test_broken_display_buzzer_and_stuck_button(ctx, monkeypatch):
    def broken(*_a):
        raise OSError("SPI transfer failed")

    monkeypatch.setattr(ctx.devices.display, "show", broken)
    monkeypatch.setattr(ctx.devices.buzzer, "tone", broken)
    monkeypatch.setattr(ctx.devices.buttons, "held", lambda: {"select": False, "up": True})
    checks = by_name(D.run_checks(ctx))
    assert not checks["display"].ok and "SPI transfer failed" in checks["display"].detail
    assert not checks["buzzer"].ok
    assert not checks["buttons"].ok and "up held down" in checks["buttons"].detail
    assert checks["camera"].ok and checks["clock"].ok  # the rest still ran


def test_unplugged_scanner(ctx):
    config = ctx.config
    ctx.scanner = lambda: open_scanner(config, port="/dev/does-not-exist")
    check = D.check_scanner(ctx, wait_s=0.3)
    assert not check.ok and "/dev/does-not-exist" in check.detail and "rfscanner" in check.fix


def test_clock_disk_and_keys(ctx):
    ctx.wall_clock = lambda: 0.0
    assert not D.check_clock(ctx).ok and "1970-01-01" in D.check_clock(ctx).detail
    ctx.disk_usage = lambda _p: Usage(64e9, 63.5e9, 0.5e9)
    assert not D.check_disk(ctx).ok and "prune" in D.check_disk(ctx).fix
    key = ctx.log_dir / "device_key.pem"
    os.chmod(key, 0o644)
    assert not D.check_keys(ctx).ok and "readable by others" in D.check_keys(ctx).detail
    os.chmod(key, 0o600)
    conn = sqlite3.connect(ctx.log_dir / "logbook.sqlite", isolation_level=None)
    conn.execute("DELETE FROM records WHERE seq = 2")
    check = D.check_keys(ctx)
    assert not check.ok and "record 2: removed" in check.detail


def test_doctor_command(tmp_path, capsys):
    assert main(["calibrate", "--sim", "lights", "--out", str(tmp_path / "cal")]) == 0
    profile = tmp_path / "cal" / "current.toml"
    assert main(["--set", f"calibration.profile={profile}", "doctor", "--sim", "default",
                 "--dir", str(tmp_path / "none")]) == 0
    out = capsys.readouterr().out
    assert "PASS  camera" in out and "PASS  calibration" in out
    # A laptop in simulation has no device key: said, not failed.
    assert "N/A   keys" in out and "9 of 9 checks passed; 2 do not apply here" in out


def test_doctor_in_simulation_on_a_fresh_laptop_fails_nothing_a_laptop_lacks(tmp_path, capsys):
    assert main(["doctor", "--sim", "default", "--dir", str(tmp_path / "none")]) == 0
    out = capsys.readouterr().out
    assert "N/A   keys" in out and "N/A   calibration" in out and "FAIL" not in out
    assert "8 of 8 checks passed; 3 do not apply here" in out
    # On the device (no --sim), the same lacks are failures.
    ctx = D.Context(load_config(None, []), None, None, tmp_path / "none", lambda: None)
    assert not D.check_keys(ctx).ok and D.check_keys(ctx).applies
    assert not D.check_calibration(ctx).ok


def test_selftest_without_a_profile_says_nominal_not_calibrated(capsys):
    main(["selftest", "--sim"])
    out = capsys.readouterr().out
    assert "light balance" in out and "nominal, not calibrated" in out
    assert "(calibrated" not in out


class FakeIw:
    """Answers `iw` as a kernel with one adapter would: its mode, its radio's modes, and
    the channel it was last tuned to (unless it refuses to tune)."""

    def __init__(self, present=True, kind="monitor", modes=("managed", "monitor"),
                 tunes=True):
        self.present, self.kind, self.modes, self.tunes = present, kind, modes, tunes
        self.freq = 2412
        self.calls = []

    def __call__(self, args):
        self.calls.append(list(args))
        if args[:1] == ["dev"] and not self.present:
            return 237, "command failed: No such device (-19)"
        if args[:1] == ["phy"]:
            listed = "".join(f"\t\t * {m}\n" for m in self.modes)
            return 0, f"Wiphy phy1\n\tSupported interface modes:\n{listed}\tBand 1:\n"
        if args[2:4] == ["set", "channel"]:
            if not self.tunes:
                return 234, "command failed: Invalid argument (-22)"
            channel = int(args[4])
            self.freq = 2407 + 5 * channel if channel <= 13 else 5000 + 5 * channel
            return 0, ""
        return 0, (f"Interface wlanmon\n\tifindex 5\n\ttype {self.kind}\n\twiphy 1\n"
                   f"\tchannel 1 ({self.freq} MHz), width: 20 MHz (no HT)\n")


@pytest.mark.parametrize("iw, ok, fragment", [
    (FakeIw(), True, "wlanmon in monitor mode on phy1, tunes to channels 1, 6, 36, 149"),
    (FakeIw(present=False), False, "no interface wlanmon"),
    (FakeIw(kind="managed"), False, "wlanmon is in managed mode, not monitor"),
    (FakeIw(modes=("managed",)), False, "does not support monitor mode"),
    (FakeIw(tunes=False), False, "did not tune to channel 1"),
])
def test_the_wifi_adapter_check(tmp_path, iw, ok, fragment):
    config = load_config(None, ["wifi.interface=wlanmon"], use_user_file=False)
    check = D.check_wifi(D.Context(config, None, None, tmp_path, lambda: None, iw=iw))
    assert check.ok is ok and check.applies and fragment in check.detail
    if not ok:
        assert check.fix


def test_the_wifi_check_tunes_and_reads_back_each_channel(tmp_path):
    iw = FakeIw()
    config = load_config(None, ["wifi.interface=wlanmon"], use_user_file=False)
    assert D.check_wifi(D.Context(config, None, None, tmp_path, lambda: None, iw=iw)).ok
    assert ["dev", "wlanmon", "set", "channel", "6"] in iw.calls
    assert ["dev", "wlanmon", "set", "channel", "149"] in iw.calls
    assert iw.freq == 5745  # the last channel tuned, read back
