# CC2500 2.4 GHz transceiver used as a channel power meter over SPI: per channel IDLE ->
# frequency registers -> RX (which recalibrates the synthesizer), wait, read RSSI. The
# frequency is written per channel because the chip's channel spacing tops out near
# 405 kHz, finer than the 1 MHz plan needs.

# Registers and strobes (CC2500 datasheet).
IOCFG0 = 0x02
FSCTRL1 = 0x0B
FREQ2, FREQ1, FREQ0 = 0x0D, 0x0E, 0x0F
MDMCFG4 = 0x10
MCSM0 = 0x18
AGCCTRL2 = 0x1B
CHANNR = 0x0A
SRES, SCAL, SRX, SIDLE = 0x30, 0x33, 0x34, 0x36
RSSI = 0x34  # status register, read with the burst bit set
VERSION = 0x31
XTAL_HZ = 26000000
RSSI_OFFSET_DB = 72
READ = 0x80
BURST = 0x40


def freq_word(hz):
    return (hz << 16) // XTAL_HZ


def rssi_dbm(raw):
    value = raw - 256 if raw >= 128 else raw
    return value / 2.0 - RSSI_OFFSET_DB


class CC2500:
    """spi: object with write(bytes) and read(n, write_byte); cs: output pin."""

    def __init__(self, spi, cs):
        self.spi, self.cs = spi, cs
        self.cs.value(1)

    def _xfer(self, data, reply=0):
        self.cs.value(0)
        self.spi.write(bytes(data))
        out = self.spi.read(reply, 0) if reply else b""
        self.cs.value(1)
        return out

    def strobe(self, cmd):
        self._xfer([cmd])

    def write(self, reg, value):
        self._xfer([reg, value & 0xFF])

    def read_status(self, reg):
        return self._xfer([reg | READ | BURST], 1)[0]

    def setup(self):
        self.strobe(SRES)
        self.write(IOCFG0, 0x06)
        self.write(FSCTRL1, 0x0A)
        self.write(CHANNR, 0)
        self.write(MDMCFG4, 0x2D)  # a channel filter near 800 kHz for 1 MHz steps
        self.write(MCSM0, 0x18)  # calibrate when going from IDLE to RX
        self.write(AGCCTRL2, 0x07)
        return self.read_status(VERSION)

    def start_channel(self, hz):
        self.strobe(SIDLE)
        word = freq_word(hz)
        self.write(FREQ2, (word >> 16) & 0xFF)
        self.write(FREQ1, (word >> 8) & 0xFF)
        self.write(FREQ0, word & 0xFF)
        self.strobe(SRX)

    def read_dbm(self):
        return rssi_dbm(self.read_status(RSSI))
