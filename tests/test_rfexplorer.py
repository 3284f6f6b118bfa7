"""The RF Explorer client and parser against the protocol's published formats and a
simulated RF Explorer."""

from hypothesis import given, settings
from hypothesis import strategies as st

from detector.hw.clock import SimClock
from detector.rf.analysis import RfAnalyzer
from detector.rf.rfexplorer import REQUEST_CONFIG, ExplorerClient, ExplorerParser, span_command
from detector.rf.sim.field import RadioField
from detector.rf.urlhandler.protocol_rfxsim import (
    SimExplorer,
    register_explorer,
    unregister_explorer,
)
from detector.sim.scenario import load_scenario


def test_commands_carry_their_length():
    cmd = span_command(2400000, 2483500)
    assert cmd == b"#\x20C2-F:2400000,2483500,-010,-120"
    assert cmd[1] == len(cmd)
    assert REQUEST_CONFIG == b"#\x04C0"


def test_parser_reads_all_three_sweep_forms_and_lines():
    samples = bytes([180, 13, 10, 36, 35, 200])  # contains CR LF, '$' and '#' as data
    s16 = bytes(range(100, 132))  # 32 points: $s carries 32 / 16 = 2
    stream = (b"#C2-M:004,255,01.35\r\n" + b"$S" + bytes([6]) + samples + b"\r\n"
              + b"$s" + bytes([2]) + s16 + b"\r\n" + b"$z" + (6).to_bytes(2, "big") + samples
              + b"\r\n")
    parser = ExplorerParser()
    events = parser.feed(stream)
    assert events == [("line", "#C2-M:004,255,01.35"), ("sweep", list(samples)),
                      ("sweep", list(s16)), ("sweep", list(samples))]
    assert parser.stats.corrupt == 0


def test_parser_resyncs_after_garbage_and_a_bad_terminator():
    good = b"$S" + bytes([3]) + bytes([100, 101, 102]) + b"\r\n"
    bad = b"$S" + bytes([3]) + bytes([1, 2, 3]) + b"XX"
    parser = ExplorerParser()
    events = parser.feed(b"\x00\xff garbage " + bad + good)
    assert events == [("sweep", [100, 101, 102])]
    assert parser.stats.corrupt >= 2


def test_sweeps_split_across_reads_are_reassembled():
    stream = b"$S" + bytes([4]) + bytes([10, 20, 30, 40]) + b"\r\n"
    parser = ExplorerParser()
    out = []
    for byte in stream:
        out += parser.feed(bytes([byte]))
    assert out == [("sweep", [10, 20, 30, 40])]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=20))
def test_parser_survives_arbitrary_input(chunks):
    parser = ExplorerParser()
    for chunk in chunks:
        for kind, value in parser.feed(chunk):
            assert kind in ("line", "sweep") and value
    assert len(parser.buf) <= 65535 + 6 + 200


class Rig:
    def __init__(self, key, scenario="wifi-camera-stall", **device):
        self.clock = SimClock()
        sc = load_scenario(scenario)
        self.device = SimExplorer(RadioField(sc),
                                  lambda: (self.clock.monotonic_ns() - self.clock.start_ns) / 1e9,
                                  **device)
        self.key = key
        self.client = ExplorerClient(register_explorer(key, self.device), clock=self.clock,
                                     retry_s=0.2)
        self.baseline_s = sc.path.start_at_door_s

    def run(self, seconds, analyzer=None):
        readings = []
        for _ in range(int(seconds / 0.02)):
            self.clock.advance_to(self.clock.monotonic_ns() + 20_000_000)
            new = self.client.poll()
            readings += new
            for r in new if analyzer else []:
                analyzer.add(r)
        return readings

    def close(self):
        self.client.close()
        unregister_explorer(self.key)


def test_client_configures_the_span_and_decodes_sweeps():
    rig = Rig("x1")
    try:
        readings = rig.run(1.0)
        assert rig.client.online and rig.client.model == "004,255,01.35"
        assert 8 <= len(readings) <= 11  # ten sweeps a second
        r = readings[-1]
        assert r["source"] == "rfexplorer" and len(r["dbm"]) == 112
        assert r["start_hz"] == 2_400_000_000 and abs(r["step_hz"] - 752_252) <= 1
        assert all(-127.5 <= v <= 0 and (v * 2) == int(v * 2) for v in r["dbm"])
    finally:
        rig.close()


def test_unplugged_explorer_reconnects():
    rig = Rig("x2")
    try:
        rig.run(0.5)
        rig.device.unplugged = True
        assert rig.run(0.5) == [] and rig.client.state == "offline"
        rig.device.unplugged = False
        assert rig.run(1.0) and rig.client.online and rig.client.reconnects == 1
    finally:
        rig.close()


def test_a_wifi_camera_is_found_with_an_rf_explorer_too():
    rig = Rig("x3")
    analyzer = RfAnalyzer(rig.clock.start_ns, rig.baseline_s)
    try:
        rig.run(15.0, analyzer)
        assert "wifi-2g4" in [a.band for a in analyzer.alerts]
    finally:
        rig.close()


# A 10000-point configuration as the published protocol writes it: `#C2-f:`, the sweep
# count five digits wide, then the amplitude offset (-3 dB) and the calculator mode.
WIDE_CONFIG = (b"#C2-f:2400000,0000008,-010,-120,10000,0,000,2350000,2550000,0085000,00110,"
               b"-003,000\r\n")


class BytePort:
    """A port that plays a byte stream once and keeps what the client writes."""

    def __init__(self, stream):
        self.stream, self.written, self.is_open = bytearray(stream), bytearray(), True

    def read(self, size=1):
        out = bytes(self.stream[:size])
        del self.stream[:size]
        return out

    @property
    def in_waiting(self):
        return len(self.stream)

    def write(self, data):
        self.written += data
        return len(data)

    def close(self):
        self.is_open = False

    def reset_input_buffer(self):
        pass


def client_on(stream):
    port = BytePort(stream)
    clock = SimClock()
    client = ExplorerClient("bytes://", clock=clock, opener=lambda _url: port)
    readings = []
    for _ in range(20):
        clock.advance_to(clock.monotonic_ns() + 20_000_000)
        readings += client.poll()
    return client, port, readings


def test_a_10000_point_configuration_and_the_amplitude_offset_are_read():
    samples = bytes((k % 200) + 20 for k in range(10000))
    sweep = b"$z" + (10000).to_bytes(2, "big") + samples + b"\r\n"
    client, _port, readings = client_on(b"#C2-M:004,255,01.35\r\n" + WIDE_CONFIG + sweep)
    assert client.config.points == 10000 and client.config.amp_offset_db == -3.0
    (reading,) = readings
    assert len(reading["dbm"]) == 10000
    assert reading["dbm"][:3] == [-10.0 - 3.0, -10.5 - 3.0, -11.0 - 3.0]  # -byte/2 + offset


def test_an_older_configuration_without_the_offset_reads_as_no_offset():
    old = b"#C2-F:2400000,0752252,-010,-120,0004,0,000,2350000,2550000,0085000\r\n"
    client, _port, readings = client_on(old + b"$S\x04" + bytes([20, 40, 60, 80]) + b"\r\n")
    assert client.config.amp_offset_db == 0.0
    assert readings[0]["dbm"] == [-10.0, -20.0, -30.0, -40.0]


def test_after_the_reset_line_the_client_asks_again():
    config = b"#C2-F:2400000,0752252,-010,-120,0004,0,000,2350000,2550000,0085000,00110,0000,000\r\n"
    client, port, _readings = client_on(config + b"(C) Ariel Rocholl 2010-2026\r\n")
    assert client.config is None  # the unit forgot its span: sweeps until asked are not read
    asked = bytes(port.written)
    assert asked.count(REQUEST_CONFIG) == 2 and asked.count(b"C2-F:2400000,2483500") == 2
    assert client.parser.stats.corrupt == 0  # the reset line is a line, not garbage


def test_the_simulated_unit_is_silent_until_asked_and_restarts_like_one():
    clock = {"t": 0.0}
    device = SimExplorer(RadioField(load_scenario("wifi-camera-stall")), lambda: clock["t"])

    def after(seconds):
        clock["t"] += seconds
        device.advance()
        return ExplorerParser().feed(device.take(1 << 20))

    assert after(1.0) == []  # powered, not asked: nothing
    device.feed(REQUEST_CONFIG)
    events = after(0.35)
    assert events[0] == ("line", "#C2-M:004,255,01.35") and events[1][1].startswith("#C2-F:")
    assert [kind for kind, _v in events[2:]] == ["sweep"] * 4
    device.feed(b"#\x03r")  # restart
    assert after(0.5) == []  # rebooting
    assert after(0.6) == [("line", "(C) Ariel Rocholl 2010-2026")]
    assert after(1.0) == []  # and silent again until asked
    device.feed(span_command(2400000, 2483500))
    assert [kind for kind, _v in after(0.25)] == ["line", "sweep", "sweep", "sweep"]


def test_the_simulated_unit_sends_wide_sweeps_with_their_offset():
    rig = Rig("x4", points=10000, amp_offset_db=-3)
    try:
        readings = rig.run(0.3)
        assert rig.client.config.points == 10000 and rig.client.config.amp_offset_db == -3
        assert readings and len(readings[-1]["dbm"]) == 10000
    finally:
        rig.close()
