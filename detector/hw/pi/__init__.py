"""Raspberry Pi backends. Pi-only libraries are imported inside, when a device is made."""
