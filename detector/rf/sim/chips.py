# Pin-level models of the scanner's receivers, as their datasheets describe them, for the
# simulated scanner and the firmware tests. Plain Python that also runs under MicroPython
# (the firmware tests load it into the WebAssembly port), so: no imports beyond math, no
# dataclasses, no annotations.
#
# Each chip takes `level(freq_hz, t_us)` (dBm at the antenna port as that receiver would
# measure it) and `now()` (microseconds).

import math

VREF_MV = 3300.0


def _adc_code(mv):
    mv = min(max(mv, 0.0), VREF_MV)
    return int(mv / VREF_MV * 65535)


class Pin:
    """A GPIO line; `on_change(value)` is called when the firmware drives it."""

    def __init__(self, on_change=None):
        self.level = 0
        self.on_change = on_change

    def value(self, v=None):
        if v is None:
            return self.level
        v = 1 if v else 0
        if v != self.level:
            self.level = v
            if self.on_change is not None:
                self.on_change(v)


class ADC:
    def __init__(self, read_mv):
        self.read_mv = read_mv

    def read_u16(self):
        return _adc_code(self.read_mv())


class RX5808Chip:
    """Decodes 25-bit register writes on DATA/CLK framed by LE, tunes to the frequency in
    synthesizer register B, and drives RSSI toward the level at that frequency with the
    receiver's settling time constant."""

    IF_MHZ = 479
    TAU_US = 8000.0  # RSSI settles to within 2 % in ~30 ms
    MV_PER_DB = 22.0
    MV_AT_REF = 500.0
    REF_DBM = -90.0

    def __init__(self, level, now, mv_per_db=None, mv_at_ref=None):
        self.level_fn = level
        self.now = now
        # This part's own RSSI line (modules differ by several dB; calibration fits it).
        self.mv_per_db = self.MV_PER_DB if mv_per_db is None else mv_per_db
        self.mv_at_ref = self.MV_AT_REF if mv_at_ref is None else mv_at_ref
        self.bits = []
        self.mhz = 5800
        self.rssi_dbm = -95.0
        self.rssi_t = 0
        self.writes = 0
        self.data = Pin()
        self.clk = Pin(self._clock)
        self.le = Pin(self._latch)
        self.le.level = 1
        self.adc = ADC(self._rssi_mv)

    def _clock(self, v):
        if v == 1 and self.le.level == 0:
            self.bits.append(self.data.level)

    def _latch(self, v):
        if v == 0:
            self.bits = []
            return
        if len(self.bits) != 25:
            return
        word = 0
        for i, b in enumerate(self.bits):
            word |= b << i
        address, write, data = word & 0x0F, (word >> 4) & 1, word >> 5
        if write and address == 0x01:
            n, a = data >> 7, data & 0x7F
            self._settle()
            self.mhz = 2 * (n * 32 + a) + self.IF_MHZ
            self.writes += 1

    def _settle(self):
        """Advance the RSSI filter to now."""
        t = self.now()
        target = self.level_fn(self.mhz * 1000000, t)
        dt = max(t - self.rssi_t, 0)
        self.rssi_dbm = target + (self.rssi_dbm - target) * math.exp(-dt / self.TAU_US)
        self.rssi_t = t

    def _rssi_mv(self):
        self._settle()
        return self.mv_at_ref + (self.rssi_dbm - self.REF_DBM) * self.mv_per_db


class AD8318Chip:
    SLOPE_MV_PER_DB = -24.5
    INTERCEPT_DBM = 20.0

    def __init__(self, level, now, slope_mv_per_db=None, intercept_dbm=None):
        self.level_fn = level
        self.now = now
        self.slope = self.SLOPE_MV_PER_DB if slope_mv_per_db is None else slope_mv_per_db
        self.intercept = self.INTERCEPT_DBM if intercept_dbm is None else intercept_dbm
        self.adc = ADC(self._mv)

    def _mv(self):
        dbm = self.level_fn(0, self.now())
        return self.slope * (dbm - self.intercept)


class CC2500Chip:
    """SPI register file with the strobes and the RSSI status register a power sweep uses."""

    XTAL_HZ = 26000000
    RSSI_OFFSET_DB = 72.0

    def __init__(self, level, now, rssi_offset_db=None):
        self.level_fn = level
        self.now = now
        # The datasheet's offset is typical (69-72 dB by data rate); a part has its own.
        self.rssi_offset = self.RSSI_OFFSET_DB if rssi_offset_db is None else rssi_offset_db
        self.regs = [0] * 0x30
        self.reply = b""
        self.rx = False
        self.cs = Pin(self._select)
        self.spi = self

    def _select(self, v):
        if v == 1:
            self.reply = b""

    def frequency_hz(self):
        r = self.regs
        word = (r[0x0D] << 16) | (r[0x0E] << 8) | r[0x0F]
        base = word * self.XTAL_HZ / 65536.0
        e, m = r[0x13] & 0x03, r[0x14]
        spacing = self.XTAL_HZ / 262144.0 * (256 + m) * (1 << e)
        return base + r[0x0A] * spacing

    def write(self, data):
        header = data[0]
        address = header & 0x3F
        if len(data) == 1 and 0x30 <= address <= 0x3D and not header & 0x80:
            if address == 0x30:
                self.regs = [0] * 0x30
                self.rx = False
            elif address == 0x34:
                self.rx = True
            elif address == 0x36:
                self.rx = False
            return
        if header & 0x80:
            if address == 0x34 and header & 0x40:
                self.reply = bytes([self._rssi_raw()])
            elif address == 0x31 and header & 0x40:
                self.reply = bytes([0x03])  # VERSION
            else:
                self.reply = bytes([self.regs[address] if address < 0x30 else 0])
            return
        for i, value in enumerate(data[1:]):
            if address + i < 0x30:
                self.regs[address + i] = value

    def read(self, n, write=0):
        out = self.reply[:n]
        self.reply = b""
        return out + bytes(n - len(out))

    def _rssi_raw(self):
        if not self.rx:
            return 0x80  # no valid RSSI outside RX
        dbm = self.level_fn(int(self.frequency_hz()), self.now())
        value = int(round((dbm + self.rssi_offset) * 2))
        value = min(max(value, -128), 127)
        return value & 0xFF
