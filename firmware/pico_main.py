# Copied to the Pico as main.py: runs the scanner at power-up (see firmware/README.md).
from rfscan import board

board.main()
