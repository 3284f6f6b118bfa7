"""Simulated backends: frames from the scenario renderer, recorded outputs, scripted inputs."""
