# The Pico: pins, USB serial and the watchdog around App. Pin numbers are GP numbers and
# match the pin table in firmware/README.md.
import sys
import time

import machine

from . import protocol as P
from .ad8318 import AD8318
from .app import App
from .cc2500 import CC2500
from .rx5808 import RX5808

PINS = {
    "rx5808_data": 2, "rx5808_le": 3, "rx5808_clk": 4, "rx5808_rssi_adc": 26,
    "ad8318_adc": 27,
    "cc2500_sck": 18, "cc2500_mosi": 19, "cc2500_miso": 16, "cc2500_cs": 17,
}
USE_CC2500 = True  # the CC2500 is optional: False when it is not fitted
WATCHDOG_MS = 4000


def build_parts(pins=PINS, use_cc2500=USE_CC2500):
    out = machine.Pin.OUT
    parts = {
        "rx5808": RX5808(machine.Pin(pins["rx5808_data"], out), machine.Pin(pins["rx5808_le"], out),
                         machine.Pin(pins["rx5808_clk"], out),
                         machine.ADC(pins["rx5808_rssi_adc"])),
        "ad8318": AD8318(machine.ADC(pins["ad8318_adc"])),
    }
    if use_cc2500:
        spi = machine.SPI(0, baudrate=4000000, sck=machine.Pin(pins["cc2500_sck"]),
                          mosi=machine.Pin(pins["cc2500_mosi"]),
                          miso=machine.Pin(pins["cc2500_miso"]))
        parts["cc2500"] = CC2500(spi, machine.Pin(pins["cc2500_cs"], out, value=1))
    return parts


class UsbLink:
    """The USB CDC serial port as the app sees it: poll, read one byte, write."""

    def __init__(self):
        import select

        self.poller = select.poll()
        self.poller.register(sys.stdin, select.POLLIN)
        self.stdin, self.stdout = sys.stdin.buffer, sys.stdout.buffer

    def poll(self, timeout_ms):
        return bool(self.poller.poll(timeout_ms))

    def read1(self):
        return self.stdin.read(1)

    def write(self, data):
        self.stdout.write(data)


def serve(app, link, wdt, clock, cycles=-1):
    """The main loop: feed the watchdog, run one scan step, then until that step is due,
    pass the host's bytes in and the app's frames out. `clock` has MicroPython's
    ticks_us / ticks_add / ticks_diff / sleep_us; `cycles` < 0 runs forever (tests stop
    it after a number of steps)."""
    app.hello()
    while cycles != 0:
        cycles -= 1
        wdt.feed()
        delay = app.step()
        due = clock.ticks_add(clock.ticks_us(), delay)
        while True:
            out = app.take_output()
            if out:
                link.write(out)
            left = clock.ticks_diff(due, clock.ticks_us())
            if left <= 0:
                break
            if link.poll(max(0, left // 1000)):
                data = link.read1()
                if data:
                    app.feed(data)
            elif left < 1000:
                clock.sleep_us(left)
                break


def run():
    import micropython

    micropython.kbd_intr(-1)  # 0x03 is data on this link, not Ctrl-C
    wdt = machine.WDT(timeout=WATCHDOG_MS)
    app = App(build_parts(), time.ticks_us, time.ticks_diff, machine.reset_cause())
    serve(app, UsbLink(), wdt, time)


def main():
    try:
        run()
    except Exception as exc:  # report, then let the watchdog restart the board
        sys.stdout.buffer.write(P.pack_frame(P.ERROR, 0, P.pack_error(P.ERR_HARDWARE, str(exc))))
        while True:
            time.sleep_ms(1000)
