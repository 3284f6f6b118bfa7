# RX5808 (RTC6715) 5.8 GHz video receiver: frequency by a 3-wire register write, signal
# strength on its RSSI pin read by an ADC once the receiver has settled.
#
# Register write: 25 bits, LSB first, clocked on the rising edge with LE (chip select)
# low: 4 address bits, 1 read/write bit (1 = write), 20 data bits. Synthesizer register B
# (address 0x01) holds N and A with f_LO = 2 * (N * 32 + A) MHz, and the LO runs 479 MHz
# below the received frequency.

SYNTH_B = 0x01
IF_MHZ = 479


def synth_word(mhz):
    half = (mhz - IF_MHZ) // 2
    return ((half // 32) << 7) | (half % 32)


def frequency_of(word):
    n, a = word >> 7, word & 0x7F
    return 2 * (n * 32 + a) + IF_MHZ


class RX5808:
    """data, le, clk: output pins with .value(v); rssi: ADC with .read_u16().
    rssi_mv_per_db / rssi_mv_at_ref: the RSSI line's slope and level at ref_dbm
    (from calibration); vref_mv: ADC reference."""

    def __init__(self, data, le, clk, rssi, rssi_mv_per_db=22.0, rssi_mv_at_ref=500.0,
                 ref_dbm=-90.0, vref_mv=3300.0):
        self.data, self.le, self.clk, self.rssi = data, le, clk, rssi
        self.slope = rssi_mv_per_db
        self.offset = rssi_mv_at_ref
        self.ref = ref_dbm
        self.vref = vref_mv
        self.le.value(1)
        self.clk.value(0)

    def write_register(self, address, value):
        word = (address & 0x0F) | (1 << 4) | ((value & 0xFFFFF) << 5)
        self.le.value(0)
        for _ in range(25):
            self.data.value(word & 1)
            self.clk.value(1)
            self.clk.value(0)
            word >>= 1
        self.le.value(1)

    def tune(self, mhz):
        self.write_register(SYNTH_B, synth_word(mhz))

    def read_dbm(self):
        mv = self.rssi.read_u16() * self.vref / 65535.0
        return self.ref + (mv - self.offset) / self.slope
