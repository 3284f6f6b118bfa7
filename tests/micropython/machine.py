# A fake `machine` module for the firmware tests: the Pico's pins, ADCs and SPI bus wired
# to chip models (detector/rf/sim/chips.py) of an RX5808, an AD8318 and a CC2500, with a
# virtual microsecond clock. Runs under MicroPython and CPython alike.
import chips

NOW = [0]  # virtual time, microseconds; the test advances it


def now():
    return NOW[0]


def level(freq_hz, t_us):
    """The test's radio field: an analog video carrier on 5880 MHz, a Wi-Fi channel at
    2437 MHz, broadband power from both; noise floors elsewhere."""
    if freq_hz == 0:
        return -35.0
    if abs(freq_hz - 5880000000) <= 9000000:
        return -45.0
    if 2427000000 <= freq_hz <= 2447000000:
        return -50.0
    return -104.0 if freq_hz < 3000000000 else -92.0


rx5808 = chips.RX5808Chip(level, now)
ad8318 = chips.AD8318Chip(level, now)
cc2500 = chips.CC2500Chip(level, now)
_PINS = {2: rx5808.data, 3: rx5808.le, 4: rx5808.clk, 17: cc2500.cs}
_ADCS = {26: rx5808.adc, 27: ad8318.adc}
feeds = [0]


class Pin:
    OUT = 1
    IN = 0

    def __new__(cls, number, mode=None, value=None):
        pin = _PINS.get(number)
        if pin is None:
            pin = chips.Pin()  # SPI lines and anything unwired
        if value is not None:
            pin.value(value)
        return pin


def ADC(number):
    return _ADCS[number]


def SPI(bus, baudrate=0, sck=None, mosi=None, miso=None):
    return cc2500.spi


class WDT:
    def __init__(self, timeout=0):
        self.timeout = timeout

    def feed(self):
        feeds[0] += 1


def reset_cause():
    return 0
