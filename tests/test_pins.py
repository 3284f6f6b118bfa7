"""hardware/pins.toml: no pin used twice, every pin the code opens is assigned there, and
the wiring drawing and table are generated from it."""

import tomllib
from pathlib import Path

from gpiozero.pins.mock import MockFactory, MockPWMPin

from detector.backends import build_devices
from detector.config import load_config, pins_text
from detector.hw.wiring import HEADER, doubled, pin_table, wiring_svg

HARDWARE = Path(__file__).parent.parent / "hardware"


def all_pins():
    data = tomllib.loads(pins_text())
    parts = [(f"{s}.{k}", v) for s, values in data.items() if s != "bus"
             for k, v in values.items()]
    buses = [(f"bus.{b}", p) for b, pins in data["bus"].items() for p in pins]
    return parts, buses


def test_the_packaged_pins_file_is_a_link_to_hardware_pins_toml():
    """One file, two names: a copy in the package could drift from the wiring."""
    packaged = Path(__file__).parent.parent / "detector" / "data" / "pins.toml"
    assert packaged.is_symlink()
    assert packaged.resolve() == (HARDWARE / "pins.toml").resolve()


def test_no_pin_is_used_twice_and_each_is_on_the_header():
    parts, buses = all_pins()
    assert doubled() == []
    assert all(p in HEADER for _k, p in parts + buses)


def test_every_pin_the_code_opens_is_assigned_and_every_assignment_is_used(monkeypatch):
    """Build the Pi's lights, buzzer and buttons on mock pins and the TFT with stubs:
    the pins they open are exactly the assigned ones."""
    config = load_config(None, ["backend.lights=pi", "backend.buzzer=pi",
                                "backend.buttons=pi", "backend.camera=sim", "sim.display=none"])
    factory = MockFactory(pin_class=MockPWMPin)
    try:
        from tests.conftest import scenario_from

        devices = build_devices(config, scenario=scenario_from(), pin_factory=factory)
        opened = {int(info.name.removeprefix("GPIO")) for info in factory.pins}
        devices.close()
    finally:
        factory.reset()
        factory.close()

    from detector.hw.pi import display as pi_display

    seen = {}

    class Spi:
        def __init__(self, **kw):
            seen.update(kw)

    class Lcd:
        def __init__(self, serial, **kw):
            seen.update(kw)

    import luma.core.interface.serial as serial_module
    import luma.lcd.device as lcd

    monkeypatch.setattr(serial_module, "spi", Spi)
    monkeypatch.setattr(lcd, "st7789", Lcd)
    pi_display.make_luma_device(config.section("display"))
    opened |= {seen["gpio_DC"], seen["gpio_RST"], seen["gpio_LIGHT"]}
    parts, _buses = all_pins()
    assert opened == {p for _k, p in parts}


def test_drawing_and_table_are_current():
    assert (HARDWARE / "wiring.svg").read_text() == wiring_svg()
    assert (HARDWARE / "wiring.md").read_text() == pin_table()
    assert "GPIO17: on-axis LED ring" in wiring_svg()


def test_the_check_names_a_doubled_pin():
    assert doubled(pins_text().replace("up_pin = 6", "up_pin = 5")) == [5]
    assert doubled(pins_text().replace("dc_pin = 24", "dc_pin = 10")) == [10]  # SPI MOSI
