"""The inspection itself, without devices: the state machine (machine.py), what it is told
and asks for (inputs.py), the menus (menus.py) and the screen's content (status.py)."""
