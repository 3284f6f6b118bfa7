"""The simulator: scenarios, the rendered camera, the sweep's motion, ground truth, and
the `sim` backend (backend.py) that the sweep loop runs on without hardware."""
