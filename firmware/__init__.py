# RF scanner firmware for a Raspberry Pi Pico (MicroPython). The modules import each other
# relatively, so the package works under any name: on the Pico as lib/rfscan, on the host
# (the simulated scanner) as detector_firmware.
FIRMWARE_VERSION = (1, 1, 0)
