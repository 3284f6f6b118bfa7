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


def run():
    import select

    import micropython

    micropython.kbd_intr(-1)  # 0x03 is data on this link, not Ctrl-C
    wdt = machine.WDT(timeout=WATCHDOG_MS)
    app = App(build_parts(), time.ticks_us, time.ticks_diff, machine.reset_cause())
    poller = select.poll()
    poller.register(sys.stdin, select.POLLIN)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    app.hello()
    while True:
        wdt.feed()
        delay = app.step()
        due = time.ticks_add(time.ticks_us(), delay)
        while True:
            out = app.take_output()
            if out:
                stdout.write(out)
            left = time.ticks_diff(due, time.ticks_us())
            if left <= 0:
                break
            if poller.poll(max(0, left // 1000)):
                data = stdin.read(1)
                if data:
                    app.feed(data)
            elif left < 1000:
                time.sleep_us(left)
                break


def main():
    try:
        run()
    except Exception as exc:  # report, then let the watchdog restart the board
        sys.stdout.buffer.write(P.pack_frame(P.ERROR, 0, P.pack_error(P.ERR_HARDWARE, str(exc))))
        while True:
            time.sleep_ms(1000)
