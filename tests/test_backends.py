"""Backends: gpiozero devices on MockFactory, picamera2 through a fake, luma displays,
the simulated buttons and buzzer, the replay camera and the factory."""

import time
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from detector.backends import build_devices
from detector.config import load_config
from detector.errors import DetectorError, MissingLibraryError, require
from detector.hw.clock import SimClock
from detector.hw.display import LumaDisplay
from detector.hw.pi.camera import PiCamera, choose_sensor_mode
from detector.hw.pi.display import make_luma_device
from detector.hw.pi.gpio import GpioButtons, GpioBuzzer, GpioLights
from detector.hw.sim.devices import SimButtons, SimBuzzer, parse_press
from detector.hw.sim.display import CaptureDisplay, null_display
from tests.conftest import scenario_from


def test_gpio_lights_drive_pins_break_before_make(mock_factory):
    lights = GpioLights(17, 27, pin_factory=mock_factory)
    on_pin, off_pin = mock_factory.pin(17), mock_factory.pin(27)
    lights.set("onaxis")
    assert (on_pin.state, off_pin.state) == (1, 0)
    lights.set("offaxis")
    assert (on_pin.state, off_pin.state) == (0, 1)
    # The off-axis gate rose only after the on-axis gate fell.
    on_fall = [t for t, s in on_pin.states if s == 0][-1]
    off_rise = [t for t, s in off_pin.states if s == 1][-1]
    assert off_rise >= on_fall
    lights.set("dark")
    assert (on_pin.state, off_pin.state) == (0, 0)
    assert [s for _, s in lights.switch_log] == ["onaxis", "offaxis", "dark"]
    lights.close()


def test_gpio_lights_active_low(mock_factory):
    lights = GpioLights(5, 6, active_high=False, pin_factory=mock_factory)
    lights.set("onaxis")
    assert mock_factory.pin(5).state == 0 and mock_factory.pin(6).state == 1


def test_tonal_buzzer_plays_clamped_frequencies(mock_factory):
    buzzer = GpioBuzzer(18, pin_factory=mock_factory)
    pin = mock_factory.pin(18)
    buzzer.play(1500)
    assert pin.frequency == pytest.approx(1500, rel=0.01)
    buzzer.play(20_000)  # above the range: clamped to the top tone
    assert pin.frequency == pytest.approx(buzzer.device.max_tone.frequency, rel=0.01)
    buzzer.muted = True
    buzzer.play(1000)
    assert not pin.frequency
    buzzer.close()


def test_plain_buzzer_on_off(mock_factory):
    buzzer = GpioBuzzer(18, tonal=False, pin_factory=mock_factory)
    buzzer.tone(800)
    assert mock_factory.pin(18).state == 1
    buzzer.silence()
    assert mock_factory.pin(18).state == 0


def test_gpio_buttons_short_and_long_presses(mock_factory):
    buttons = GpioButtons({"select": 5, "up": 6, "down": 13}, hold_s=0.1, bounce_s=0,
                          pin_factory=mock_factory)
    seen = []
    buttons.on_press(seen.append)
    pin = mock_factory.pin(6)
    pin.drive_low()
    pin.drive_high()  # short press: reported on release
    long_pin = mock_factory.pin(5)
    long_pin.drive_low()
    time.sleep(0.3)  # gpiozero's hold thread fires after hold_time
    long_pin.drive_high()
    events = buttons.poll()
    assert [e.name for e in events] == ["up", "select-long"]
    assert seen == events
    assert buttons.poll() == []
    buttons.close()


class FakeRequest:
    def __init__(self, array, metadata):
        self.array, self.metadata, self.released = array, metadata, False

    def make_array(self, name):
        assert name == "main"
        return self.array

    def get_metadata(self):
        return self.metadata

    def release(self):
        self.released = True


class FakePicamera2:
    """Stands in for picamera2.Picamera2: records configuration, serves requests."""

    instances = []

    def __init__(self):
        self.sensor_modes = [
            {"size": (4608, 2592), "fps": 14.3, "bit_depth": 10},
            {"size": (2304, 1296), "fps": 56.0, "bit_depth": 10},
            {"size": (1536, 864), "fps": 120.1, "bit_depth": 10},
        ]
        self.requests = []
        self.started = False
        FakePicamera2.instances.append(self)

    def create_video_configuration(self, **kwargs):
        return kwargs

    def configure(self, config):
        self.config = config

    def start(self):
        self.started = True

    def stop(self):
        self.started = False

    def close(self):
        pass

    def capture_request(self):
        return self.requests.pop(0)


def test_pi_camera_fixes_controls_and_labels_from_metadata():
    from detector.hw.sim.lights import SimLights

    clock = SimClock(start_ns=0)
    lights = SimLights(clock)
    module = SimpleNamespace(Picamera2=FakePicamera2)
    camera = PiCamera(lights, resolution=(1280, 720), fps=60, exposure_us=2000,
                      analogue_gain=4, readout_ms=8, picamera2_module=module)
    camera.start()
    cam = FakePicamera2.instances[-1]
    controls = cam.config["controls"]
    assert controls["FrameDurationLimits"] == (16667, 16667)
    assert controls["ExposureTime"] == 2000 and controls["AnalogueGain"] == 4.0
    assert controls["AeEnable"] is False
    assert cam.config["sensor"]["output_size"] == (1536, 864)  # smallest fitting 60 fps
    yuv = np.zeros((1080, 1280), np.uint8)
    yuv[:720] = 77
    lights.set("onaxis")  # at t = 0
    clock.advance_to(30_000_000)
    lights.set("offaxis")  # at 30 ms
    # Frame starts (end of row 0 exposure) at 12 ms and 25 ms: first clean, second straddles.
    reqs = [FakeRequest(yuv, {"SensorTimestamp": 12_000_000, "ExposureTime": 2000}),
            FakeRequest(yuv, {"SensorTimestamp": 25_000_000, "ExposureTime": 2000}),
            FakeRequest(yuv, {"SensorTimestamp": 40_000_000, "ExposureTime": 2000})]
    cam.requests = list(reqs)
    frames = [camera.read() for _ in range(3)]
    assert [f.lights for f in frames] == ["onaxis", "mixed", "offaxis"]
    assert frames[0].t_ns == 10_000_000
    assert frames[0].image.shape == (720, 1280) and (frames[0].image == 77).all()
    assert all(r.released for r in reqs)
    camera.stop()


class FocusingPicamera2(FakePicamera2):
    """A camera whose lens can focus (Camera Module 3): it offers AfMode and LensPosition."""

    def __init__(self):
        super().__init__()
        self.camera_controls = {"AfMode": (0, 2, 0), "LensPosition": (0.0, 15.0, 1.0),
                                "ExposureTime": (1, 66666, 20000)}


@pytest.mark.parametrize("module_class, focused", [(FocusingPicamera2, True),
                                                   (FakePicamera2, False)])
def test_pi_camera_holds_a_focusing_lens_at_the_configured_distance(module_class, focused):
    from detector.hw.sim.lights import SimLights

    camera = PiCamera(SimLights(SimClock(start_ns=0)), resolution=(1280, 720), fps=60,
                      exposure_us=2000, analogue_gain=4, readout_ms=8, focus_m=1.6,
                      lens_offset_dioptres=0.1,
                      picamera2_module=SimpleNamespace(Picamera2=module_class))
    camera.start()
    controls = module_class.instances[-1].config["controls"]
    assert camera.can_focus is focused
    if focused:
        assert controls["AfMode"] == 0  # manual: autofocus would refocus mid-sweep
        # Dioptres: 1/1.6 m, plus this module's calibrated offset.
        assert controls["LensPosition"] == pytest.approx(1 / 1.6 + 0.1)
    else:  # a fixed-focus module (v2) has no such controls to set
        assert "AfMode" not in controls and "LensPosition" not in controls
    camera.stop()


def test_sensor_mode_choice_and_errors():
    modes = FakePicamera2().sensor_modes
    assert choose_sensor_mode(modes, (1280, 720), 30)["size"] == (1536, 864)
    assert choose_sensor_mode(modes, (1280, 720), 60, (2304, 1296))["size"] == (2304, 1296)
    with pytest.raises(DetectorError, match="not offered"):
        choose_sensor_mode(modes, (1280, 720), 60, (640, 480))
    with pytest.raises(DetectorError, match="no sensor mode"):
        choose_sensor_mode(modes, (4608, 2592), 60)


def test_missing_pi_library_says_how_to_install():
    with pytest.raises(MissingLibraryError, match="not installed: apt install thing"):
        require("no_such_module_xyz", "apt install thing")


class FakeGpio:
    """RPi.GPIO-shaped stand-in that records calls (luma drives the backlight with it)."""

    BCM, OUT, IN, HIGH, LOW = 11, 0, 1, 1, 0

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        return lambda *args, **kwargs: self.calls.append((name, args))


class RecordingSerial:
    """A luma serial interface that keeps what the driver sends."""

    def __init__(self):
        self.commands, self.data_bytes = [], 0

    def command(self, *cmd):
        self.commands.append(cmd)

    def data(self, data):
        self.data_bytes += len(data)

    def cleanup(self):
        pass


def test_luma_tft_device_through_injected_interface():
    serial, gpio = RecordingSerial(), FakeGpio()
    device = make_luma_device({"driver": "st7789", "width": 320, "height": 240, "rotate": 0,
                               "backlight_pin": 23}, serial_interface=serial, gpio=gpio)
    display = LumaDisplay(device)
    assert display.size == (320, 240)
    before = serial.data_bytes
    display.show(Image.new("RGB", (320, 240), "red"))
    assert serial.data_bytes - before >= 320 * 240 * 3  # every pixel went to the panel
    assert any(name == "setup" and args[0] == 23 for name, args in gpio.calls)


def test_luma_display_rejects_wrong_size():
    display = null_display((320, 240))
    display.show(Image.new("RGB", (320, 240), "blue"))
    assert display.device.image.getpixel((0, 0)) == (0, 0, 255)
    with pytest.raises(ValueError, match="is \\(10, 10\\)"):
        display.show(Image.new("RGB", (10, 10)))


def test_capture_display_writes_pngs_and_gif(tmp_path):
    display = CaptureDisplay(tmp_path, (320, 240))
    for colour in ("red", "green", "blue"):
        display.show(Image.new("RGB", (320, 240), colour))
    display.close()
    pngs = sorted((tmp_path / "display").glob("*.png"))
    assert len(pngs) == 3
    assert Image.open(pngs[1]).convert("RGB").getpixel((5, 5)) == (0, 128, 0)
    gif = Image.open(tmp_path / "display.gif")
    assert gif.n_frames == 3


def test_sim_buttons_follow_script_and_injected_presses():
    clock = SimClock(start_ns=0)
    buttons = SimButtons(clock, 0, [parse_press("1.5:mark"), parse_press("0.5:up-long")])
    assert buttons.poll() == []
    clock.advance_to(1_000_000_000)
    assert [e.name for e in buttons.poll()] == ["up-long"]
    buttons.press("down")
    clock.advance_to(2_000_000_000)
    assert [e.name for e in buttons.poll()] == ["down", "select"]
    with pytest.raises(ValueError, match="unknown button"):
        parse_press("3:fire")
    with pytest.raises(ValueError, match="SECONDS:BUTTON"):
        parse_press("soon:select")


def test_sim_buzzer_records_tone_changes():
    clock = SimClock(start_ns=0)
    buzzer = SimBuzzer(clock)
    buzzer.play(1000)
    clock.advance_to(5)
    buzzer.play(1000)
    buzzer.silence()
    assert buzzer.events == [(0, 1000.0), (5, 0.0)]


def test_factory_builds_sim_devices_and_needs_a_scenario(tmp_path):
    config = load_config(use_user_file=False, overrides=["sim.display=none"])
    with pytest.raises(DetectorError, match="needs a scenario"):
        build_devices(config)
    devices = build_devices(config, scenario=scenario_from(), seconds=0.05)
    frames = []
    devices.lights.set("onaxis")
    while (frame := devices.camera.read()) is not None:
        frames.append(frame)
    assert len(frames) == 4 and frames[0].image.shape == (180, 320)
    devices.close()


def test_factory_builds_pi_gpio_devices_on_mock_pins(mock_factory):
    config = load_config(use_user_file=False, overrides=[
        "backend.lights=pi", "backend.buzzer=pi", "backend.buttons=pi", "sim.display=none"])
    devices = build_devices(config, scenario=scenario_from(), pin_factory=mock_factory)
    devices.lights.set("offaxis")
    assert mock_factory.pin(27).state == 1
    devices.buzzer.play(1000)
    assert mock_factory.pin(18).frequency == pytest.approx(1000, rel=0.01)
    devices.close()


def test_a_part_that_cannot_start_is_one_line_naming_the_backend():
    """A broken pin factory (no GPIO on this machine, say) is a DetectorError naming the
    part and its backend, which the command line prints as one line."""
    config = load_config(use_user_file=False, overrides=["backend.lights=pi",
                                                         "sim.display=none"])
    with pytest.raises(DetectorError, match=r"backend\.lights = pi: the lights did not start"):
        build_devices(config, scenario=scenario_from(), pin_factory=object())
