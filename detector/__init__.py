"""Handheld hidden-camera detector: lens retroreflection and RF sweeps."""

__version__ = "0.1.0"
