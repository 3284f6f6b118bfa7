"""The firmware client against the simulated scanner and misbehaving ports: handshake,
version check, wrong baud rate, unplugging, a silent scanner, and a real pty."""

import os
import pty
import threading
import time

import serial

from detector.hw.clock import SimClock
from detector.rf.client import FirmwareClient
from detector.rf.sim.scanner import SimScanner, register, unregister
from detector.sim.scenario import load_scenario
from detector_firmware import protocol as P


class Rig:
    """A simulated scanner on a virtual clock, reachable as rfsim://KEY."""

    def __init__(self, key, scenario="wifi-camera-stall", **client_args):
        self.clock = SimClock()
        start = self.clock.start_ns
        self.scanner = SimScanner(load_scenario(scenario),
                                  lambda: (self.clock.monotonic_ns() - start) / 1000.0)
        self.key = key
        self.client = FirmwareClient(register(key, self.scanner), clock=self.clock,
                                     **client_args)

    def run(self, seconds, step=0.02):
        readings = []
        end = self.clock.monotonic_ns() + int(seconds * 1e9)
        while self.clock.monotonic_ns() < end:
            self.clock.advance_to(self.clock.monotonic_ns() + int(step * 1e9))
            readings.extend(self.client.poll())
        return readings

    def close(self):
        self.client.close()
        unregister(self.key)


def test_handshake_configuration_and_readings():
    rig = Rig("hs")
    try:
        readings = rig.run(3.0)
        assert rig.client.online and rig.client.hello["protocol"] == P.PROTOCOL_VERSION
        sources = {r["source"] for r in readings}
        assert sources == {"rx5808", "cc2500", "ad8318"}
        cc = next(r for r in readings if r["source"] == "cc2500")
        assert cc["start_hz"] == 2_400_000_000 and cc["step_hz"] == 1_000_000
        assert len(cc["dbm"]) == 84
        rx = next(r for r in readings if r["source"] == "rx5808")
        assert len(rx["freqs_hz"]) == len(rx["dbm"]) == 39  # A/B/E/F/R, 5880 MHz once
        assert rig.client.stats["corrupt"] == rig.client.stats["lost"] == 0
        assert rig.client.status is not None and rig.client.status["state"] == 1
    finally:
        rig.close()


def test_unplugged_scanner_goes_offline_and_comes_back():
    rig = Rig("unplug", retry_s=0.5)
    try:
        assert rig.run(1.0) and rig.client.online
        rig.scanner.unplugged = True
        assert rig.run(1.0) == []
        assert rig.client.state == "offline"
        assert "no such device" in rig.client.last_problem  # reopening keeps failing
        rig.scanner.unplugged = False
        assert rig.run(1.5)
        assert rig.client.online and rig.client.reconnects == 1
    finally:
        rig.close()


def test_silent_scanner_times_out_and_reconnects():
    rig = Rig("silent", silence_s=1.0, retry_s=0.2)
    try:
        rig.run(1.0)
        rig.scanner.silent = True
        rig.run(1.5)
        assert rig.client.state != "online" and "silent" in rig.client.last_problem
        rig.scanner.silent = False
        rig.run(3.0)  # a reconnect attempt made while silent waits out its hello timeout
        assert rig.client.online and rig.client.reconnects == 1
    finally:
        rig.close()


class ScriptedPort:
    """A port that plays back bytes and records what the host writes."""

    def __init__(self, data=b"", chunk=64):
        self.data, self.chunk, self.written, self.closed = bytearray(data), chunk, [], False

    def read(self, size):
        out = bytes(self.data[:min(size, self.chunk)])
        del self.data[:len(out)]
        return out

    def write(self, data):
        self.written.append(bytes(data))
        return len(data)

    def close(self):
        self.closed = True


def test_firmware_of_another_protocol_version_is_refused_with_a_clear_message():
    hello = bytearray(P.pack_hello((9, 0, 0), 7, []))
    hello[0] = P.PROTOCOL_VERSION + 1
    port = ScriptedPort(P.pack_frame(P.HELLO, 0, bytes(hello)))
    clock = SimClock()
    client = FirmwareClient("test://", clock=clock, opener=lambda url: port)
    for _ in range(5):
        client.poll()
    assert client.state == "incompatible" and port.closed
    assert f"protocol {P.PROTOCOL_VERSION + 1}" in client.last_problem
    assert "9.0.0" in client.last_problem and "\n" not in client.last_problem
    assert not any(w and P.unpack_frame(w[:-1])[0] == P.START for w in port.written)


def test_garbage_at_the_wrong_baud_rate_is_counted_and_ends_in_a_hint():
    import random

    rng = random.Random(5)
    port = ScriptedPort(bytes(rng.randrange(256) for _ in range(20000)), chunk=500)
    clock = SimClock()
    client = FirmwareClient("test://", clock=clock, opener=lambda url: port,
                            hello_timeout_s=1.0)
    for _ in range(30):
        clock.advance_to(clock.monotonic_ns() + 50_000_000)
        assert client.poll() == []
    assert client.decoder.stats.corrupt > 10
    assert client.state == "offline" and "baud rate" in client.last_problem


def test_frames_from_before_our_hello_are_ignored():
    stale = P.pack_frame(P.BROADBAND, 40, P.pack_broadband(2, 1, -3000))
    hello = P.pack_frame(P.HELLO, 41, P.pack_hello((1, 0, 0), 2, []))
    fresh = P.pack_frame(P.BROADBAND, 42, P.pack_broadband(2, 2, -4000))
    port = ScriptedPort(stale + hello + fresh, chunk=4096)
    client = FirmwareClient("test://", clock=SimClock(), opener=lambda url: port)
    readings = client.poll()
    assert [r["dbm"] for r in readings] == [[-40.0]]


def test_a_real_pty_carries_the_protocol():
    """A pseudo-terminal pair: the client opens the slave by its path like a USB port."""
    master, slave = pty.openpty()
    path = os.ttyname(slave)
    stop = threading.Event()

    def scanner():
        reader = P.FrameReader()
        seq = 0
        while not stop.is_set():
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            for msg_type, _s, _p in reader.feed(data):
                if msg_type == P.HELLO_REQUEST:
                    os.write(master, P.pack_frame(P.HELLO, seq, P.pack_hello((1, 0, 0), 2, [])))
                    seq += 1
                elif msg_type == P.START:
                    for k in range(5):
                        os.write(master, P.pack_frame(P.BROADBAND, seq,
                                                      P.pack_broadband(2, k, -5000 + k)))
                        seq += 1

    thread = threading.Thread(target=scanner, daemon=True)
    thread.start()
    client = FirmwareClient(path, opener=lambda url: serial.Serial(url, 921600, timeout=0))
    try:
        readings = []
        deadline = time.monotonic() + 5
        while len(readings) < 5 and time.monotonic() < deadline:
            readings.extend(client.poll())
            time.sleep(0.01)
        assert [r["dbm"][0] for r in readings] == [-50.0, -49.99, -49.98, -49.97, -49.96]
    finally:
        stop.set()
        client.close()
        os.close(slave)
        os.close(master)


class VanishingPort(ScriptedPort):
    """Delivers part of a frame, then the device disappears."""

    def read(self, size):
        if not self.data:
            raise serial.SerialException("device reports readiness to read but returned no "
                                         "data (device disconnected?)")
        return super().read(size)


def test_port_vanishing_mid_frame_and_returning():
    hello = P.pack_frame(P.HELLO, 0, P.pack_hello((1, 0, 0), 2, []))
    first = P.pack_frame(P.BROADBAND, 1, P.pack_broadband(2, 1, -6000))
    cut = P.pack_frame(P.BROADBAND, 2, P.pack_broadband(2, 2, -6100))
    ports = [VanishingPort(hello + first + cut[:6], chunk=4096),
             ScriptedPort(P.pack_frame(P.HELLO, 0, P.pack_hello((1, 0, 0), 2, []))
                          + P.pack_frame(P.BROADBAND, 1, P.pack_broadband(2, 9, -6200)))]
    clock = SimClock()
    client = FirmwareClient("test://", clock=clock, opener=lambda url: ports.pop(0),
                            retry_s=0.1)
    got = client.poll()
    assert [r["dbm"] for r in got] == [[-60.0]]
    assert client.poll() == [] and client.state == "offline"
    clock.advance_to(clock.monotonic_ns() + 200_000_000)
    got = client.poll()
    assert [r["dbm"] for r in got] == [[-62.0]]  # the half frame did not leak into this
    assert client.online and client.reconnects == 1 and client.decoder.stats.corrupt == 0


def test_detector_rf_listens_and_reports(capsys):
    from detector.cli import main

    assert main(["rf", "--port", "rfsim://?scenario=analog-camera-urinal", "--seconds", "1.5",
                 "--baseline", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "scanner online" in out and "cc2500:" in out and "link: frames" in out


def test_detector_rf_with_no_scanner_is_one_line_and_non_zero(capsys):
    from detector.cli import main

    assert main(["rf", "--port", "rfsim://nobody", "--seconds", "0.3"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("detector: no readings from the scanner") and "\n" not in err
    assert "rfsim://nobody" in err
