"""pyserial URL handlers: rfsim:// (our firmware, simulated) and rfxsim:// (an RF Explorer,
simulated). `register()` adds this package to pyserial's handler search list."""

import serial

PACKAGE = __name__


def register() -> None:
    if PACKAGE not in serial.protocol_handler_packages:
        serial.protocol_handler_packages.append(PACKAGE)
