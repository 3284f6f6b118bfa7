"""The simulated scanner: chip models, the radio field of a scenario, and the rfsim://
and rfxsim:// pyserial URL handlers."""
