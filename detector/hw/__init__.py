"""Hardware interfaces (abstract devices) and their backends: sim, pi, replay."""
