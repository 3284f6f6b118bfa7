# The firmware under test, driven through the fake `machine`: protocol primitives, the
# drivers against chip models, and the whole App from hello to sweeps. Runs under
# MicroPython (the WebAssembly port) and CPython; prints one PASS line per check.
import machine
from rfscan import app as A
from rfscan import board, channels, rx5808
from rfscan import protocol as P


def check(name, ok):
    if not ok:
        raise AssertionError(name)
    print("PASS", name)


check("crc16 check value", P.crc16(b"123456789") == 0x29B1)
data = bytes([0, 1, 0, 255, 0]) + bytes(range(1, 255)) * 2
check("cobs round trip", P.cobs_decode(P.cobs_encode(data)) == data)
frame = P.pack_frame(P.SWEEP, 513, b"\x00\x01\x02")
check("frame round trip", P.unpack_frame(frame[:-1]) == (P.SWEEP, 513, b"\x00\x01\x02"))
reader = P.FrameReader()
got = reader.feed(b"\x05junk\x00" + frame[:4]) + reader.feed(frame[4:])
check("reader skips junk, joins halves", got == [(P.SWEEP, 513, b"\x00\x01\x02")] and reader.bad == 1)
# The LO steps in 2 MHz, so odd channels (R1 5658 MHz, say) tune 1 MHz low.
check("synth words invert", all(0 <= f - rx5808.frequency_of(rx5808.synth_word(f)) <= 1
                                for f in channels.scan_list()))
check("scan list", len(channels.scan_list()) == 39 and channels.scan_list()[0] == 5645)

parts = board.build_parts()
radio = parts["rx5808"]
radio.tune(5880)
machine.NOW[0] += 40000
check("rx5808 tunes by its 3-wire register", machine.rx5808.mhz in (5879, 5880))
check("rx5808 rssi after settling", abs(radio.read_dbm() - (-45.0)) < 1.0)
check("ad8318 slope and intercept", abs(parts["ad8318"].read_dbm() - (-35.0)) < 0.5)
cc = parts["cc2500"]
check("cc2500 answers its version", cc.setup() == 0x03)
cc.start_channel(2437000000)
check("cc2500 rssi in band", abs(cc.read_dbm() - (-50.0)) <= 0.5)
cc.start_channel(2470000000)
check("cc2500 rssi off band", cc.read_dbm() < -100)

machine.NOW[0] = 0
device = A.App(parts, machine.now, lambda a, b: a - b)
device.feed(P.pack_frame(P.HELLO_REQUEST, 1)
            + P.pack_frame(P.CONFIGURE, 2, P.pack_configure(7, 30000, 2400, 1000, 84, 4, 500))
            + P.pack_frame(P.START, 3))
host = P.FrameReader()
messages = host.feed(device.take_output())
types = [m[0] for m in messages]
check("hello then two acks", types == [P.HELLO, P.ACK, P.ACK])
hello = P.unpack_hello(messages[0][2])
check("hello names version and tables", hello["protocol"] == P.PROTOCOL_VERSION
      and hello["capabilities"] == 7 and [t[0] for t in hello["tables"]] == list("ABEFR"))

sweeps = {1: [], 3: []}
broadband = []
statuses = []
for _ in range(100000):
    delay = device.step()
    machine.NOW[0] += delay + 40
    for msg_type, _seq, payload in host.feed(device.take_output()):
        if msg_type == P.SWEEP:
            sweep = P.unpack_sweep(payload)
            sweeps[sweep["source"]].append(sweep)
        elif msg_type == P.BROADBAND:
            broadband.append(P.unpack_broadband(payload))
        elif msg_type == P.STATUS:
            statuses.append(P.unpack_status(payload))
    if len(sweeps[1]) >= 2:
        break
rx = sweeps[1][-1]
peak = rx["freqs_khz"][rx["centi_dbm"].index(max(rx["centi_dbm"]))]
check("rx5808 sweep finds the carrier", abs(peak - 5880000) <= 5000 and max(rx["centi_dbm"]) > -4700)
check("rx5808 sweep takes 39 settle times", 39 * 30000 <= rx["duration_us"] < 39 * 34000)
ccs = sweeps[3][-1]
hot = [f for f, v in zip(ccs["freqs_khz"], ccs["centi_dbm"]) if v > -6000]
# 20 or 21 channels: the frequency word rounds 2427 MHz a few Hz low.
check("cc2500 sweep finds the wifi channel", hot[0] >= 2427000 and hot[-1] <= 2447000
      and 20 <= len(hot) <= 21)
check("one cc2500 sweep per rx5808 channel", len(sweeps[3]) >= 39)
check("broadband readings", broadband and abs(broadband[-1]["centi_dbm"] + 3500) < 100)
check("status while scanning", statuses and statuses[-1]["state"] == 1)

# A slow 2.4 GHz sweep (3 ms per channel) spreads over several RX5808 waits and leaves
# the 5.8 GHz pace as it was.
device.feed(P.pack_frame(P.CONFIGURE, 4, P.pack_configure(7, 30000, 2400, 1000, 84, 4, 500,
                                                          3000)))
host.feed(device.take_output())
slow = {1: [], 3: []}
for _ in range(100000):
    machine.NOW[0] += device.step() + 40
    for msg_type, _seq, payload in host.feed(device.take_output()):
        if msg_type == P.SWEEP:
            sweep = P.unpack_sweep(payload)
            slow[sweep["source"]].append(sweep)
    if len(slow[1]) >= 1:
        break
check("slow dwell keeps the rx5808 pace", 39 * 30000 <= slow[1][0]["duration_us"] < 39 * 34000)
check("slow dwell: cc2500 sweeps of 84 channels over several waits",
      4 <= len(slow[3]) <= 5 and all(len(s["centi_dbm"]) == 84 for s in slow[3])
      and 84 * 3000 <= slow[3][0]["duration_us"] < 84 * 3400)

device.feed(b"\x03garbage\x00" + P.pack_frame(0x7E, 9) + P.pack_frame(P.CONFIGURE, 10,
            P.pack_configure(7, 10, 2400, 1000, 84, 4, 500))
            + P.pack_frame(P.CONFIGURE, 12, P.pack_configure(7, 30000, 2400, 1000, 84, 4, 500,
                                                             100)))
replies = host.feed(device.take_output())
errors = [P.unpack_error(p)["text"] for t, s, p in replies if t == P.ERROR]
check("unknown type and bad configures are refused", len(errors) == 3
      and "unknown type" in errors[0] and "settle_us" in errors[1]
      and "cc_dwell_us" in errors[2])
check("bad frames are counted", device.reader.bad == 1)
device.feed(P.pack_frame(P.STOP, 11))
check("stop acknowledged", [t for t, s, p in host.feed(device.take_output())] == [P.ACK])
check("idle after stop", device.step() == A.IDLE_US and device.state == A.STATE_IDLE)


class Clock:
    """MicroPython's ticks API on the fake machine's virtual microseconds."""

    def ticks_us(self):
        return machine.NOW[0]

    def ticks_add(self, t, delta):
        return t + delta

    def ticks_diff(self, a, b):
        return a - b

    def sleep_us(self, us):
        machine.NOW[0] += us


class Link:
    """The USB port: the host's bytes arrive one at a time; each poll lets 1 ms pass."""

    def __init__(self, incoming):
        self.incoming = bytearray(incoming)
        self.sent = bytearray()

    def poll(self, timeout_ms):
        if self.incoming:
            return True
        machine.NOW[0] += max(timeout_ms, 1) * 1000
        return False

    def read1(self):
        byte = bytes(self.incoming[:1])
        self.incoming = self.incoming[1:]
        return byte

    def write(self, data):
        self.sent.extend(data)


machine.NOW[0] = 0
link = Link(P.pack_frame(P.START, 1))
watchdog = machine.WDT(timeout=board.WATCHDOG_MS)
before = machine.feeds[0]
board.serve(A.App(board.build_parts(), machine.now, lambda a, b: a - b), link, watchdog,
            Clock(), cycles=300)
served = P.FrameReader().feed(bytes(link.sent))
kinds = [t for t, s, p in served]
check("main loop says hello first", kinds[0] == P.HELLO)
check("main loop takes commands from the link", P.ACK in kinds)
check("main loop streams sweeps", kinds.count(P.SWEEP) >= 3 and P.BROADBAND in kinds)
check("main loop feeds the watchdog every step", machine.feeds[0] - before == 300)
print("ALL PASSED")
