# The scanner's behaviour, independent of how bytes and time reach it: commands in,
# frames out, one scan step at a time. board.py runs it on the Pico; the host's simulated
# scanner (rfsim://) runs the very same code against simulated receivers.

from . import FIRMWARE_VERSION
from . import protocol as P
from .channels import TABLES
from .scanner import Scanner

DEFAULT_CONFIG = {
    "sources": P.CAP_RX5808 | P.CAP_AD8318 | P.CAP_CC2500,
    "settle_us": 30000,
    "cc_start_mhz": 2400,
    "cc_step_khz": 1000,
    "cc_count": 84,
    "cc_dwell_us": P.CC_DWELL_US,
    "ad_samples": 4,
    "status_ms": 1000,
}
IDLE_US = 5000
STATE_IDLE = 0
STATE_SCANNING = 1


def check_config(c):
    if c["settle_us"] < 1000 or c["settle_us"] > 500000:
        return "settle_us out of 1000..500000"
    if c["cc_count"] < 1 or c["cc_count"] > 200 or c["cc_step_khz"] < 50:
        return "cc2500 channel plan out of range"
    if c["cc_start_mhz"] < 2400 or c["cc_start_mhz"] * 1000 + c["cc_count"] * c["cc_step_khz"] > 2484000:
        return "cc2500 channels outside 2400-2484 MHz"
    if c["cc_dwell_us"] < P.CC_DWELL_US:
        return "cc_dwell_us below %d (the CC2500's RSSI is not valid yet)" % P.CC_DWELL_US
    if c["ad_samples"] < 1:
        return "ad_samples must be at least 1"
    if c["status_ms"] < 100:
        return "status_ms must be at least 100"
    return None


class App:
    def __init__(self, parts, ticks_us, ticks_diff, reset_cause=0):
        self.parts = parts
        self.ticks_us = ticks_us
        self.ticks_diff = ticks_diff
        self.reset_cause = reset_cause
        self.reader = P.FrameReader()
        self.outbox = bytearray()
        self.seq = 0
        self.config = dict(DEFAULT_CONFIG)
        self.state = STATE_IDLE
        self.scan = None
        self.scanner = None
        self.booted = ticks_us()
        self.last_status = self.booted
        caps = 0
        for name, bit in (("rx5808", P.CAP_RX5808), ("ad8318", P.CAP_AD8318),
                          ("cc2500", P.CAP_CC2500)):
            if parts.get(name) is not None:
                caps |= bit
        self.capabilities = caps
        self.config["sources"] &= caps

    def send(self, msg_type, payload=b""):
        self.outbox.extend(P.pack_frame(msg_type, self.seq, payload))
        self.seq = (self.seq + 1) & 0xFFFF

    def take_output(self):
        out = bytes(self.outbox)
        self.outbox = bytearray()
        return out

    def feed(self, data):
        for msg_type, seq, payload in self.reader.feed(data):
            self.handle(msg_type, seq, payload)

    def hello(self):
        self.send(P.HELLO, P.pack_hello(FIRMWARE_VERSION, self.capabilities, TABLES))

    def handle(self, msg_type, seq, payload):
        if msg_type == P.HELLO_REQUEST:
            self.hello()
        elif msg_type == P.CONFIGURE:
            try:
                config = P.unpack_configure(payload)
            except Exception:
                self.send(P.ERROR, P.pack_error(P.ERR_BAD_CONFIG, "configure: bad payload"))
                return
            config["sources"] &= self.capabilities
            problem = check_config(config)
            if problem:
                self.send(P.ERROR, P.pack_error(P.ERR_BAD_CONFIG, problem))
                return
            self.config = config
            if self.state == STATE_SCANNING:
                self._start()
            self.send(P.ACK, P.pack_ack(msg_type, seq))
        elif msg_type == P.START:
            self._start()
            self.send(P.ACK, P.pack_ack(msg_type, seq))
        elif msg_type == P.STOP:
            self.state = STATE_IDLE
            self.scan = None
            self.send(P.ACK, P.pack_ack(msg_type, seq))
        else:
            self.send(P.ERROR, P.pack_error(P.ERR_UNKNOWN_TYPE, "unknown type %d" % msg_type))

    def _start(self):
        self.scanner = Scanner(self.parts, self.config, self.ticks_us, self.ticks_diff,
                               self.send)
        self.scan = self.scanner.run()
        self.state = STATE_SCANNING

    def status(self):
        uptime = self.ticks_diff(self.ticks_us(), self.booted) // 1000
        sweeps = self.scanner.sweeps if self.scanner else 0
        self.send(P.STATUS, P.pack_status(uptime, sweeps, self.reader.bad, self.state,
                                          self.reset_cause))

    def step(self):
        """Do one unit of work; return microseconds until the next one is due."""
        now = self.ticks_us()
        if self.ticks_diff(now, self.last_status) >= self.config["status_ms"] * 1000:
            self.last_status = now
            self.status()
        if self.scan is None:
            return IDLE_US
        try:
            return next(self.scan)
        except Exception as exc:  # a receiver failed: report it, stop scanning
            self.state = STATE_IDLE
            self.scan = None
            self.send(P.ERROR, P.pack_error(P.ERR_HARDWARE, "scan stopped: %s" % exc))
            return IDLE_US
