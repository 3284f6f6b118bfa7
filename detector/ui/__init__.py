"""What the inspector sees and hears: screens, buzzer patterns, button handling."""
