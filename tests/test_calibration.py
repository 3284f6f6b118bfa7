"""Calibration steps on the simulated bench and on synthetic measurements, the profile
they write and the configuration that loads it, and the morning self-test."""

import numpy as np
import pytest

from detector import calibration as C
from detector.backends import build_devices
from detector.calibrate import (
    NARROW_SOURCE_MHZ,
    SimBench,
    calibrate_command,
    selftest,
    step_focus,
    step_lights,
    step_rf,
)
from detector.capture import capture_frames
from detector.cli import main
from detector.config import load_config
from detector.errors import ConfigError
from detector.hw.lights import LightSequencer
from detector.rf.frontend import FrontEnd, Response
from detector.rf.radio import Radio
from detector.rf.sim.unit import SimUnit
from detector.sim.rig import reference_scenario

RNG = np.random.default_rng(0)


def synthetic(peak_at_1m: float, noise: float, saturate: float = 255.0):
    """A capture function for a lens whose return falls as 1/d^4 and scales with
    exposure x gain; the wall is flat, the sensor adds Gaussian noise."""

    def capture(d, exposure, gain):
        frames = []
        level = peak_at_1m * (exposure * gain / 8000.0) / d**4
        for i in range(12):
            image = RNG.normal(10, noise, (64, 64))
            label = ("onaxis", "offaxis", "dark")[i % 3]
            if label == "onaxis":
                image[31:34, 31:34] += level * np.array([[.3, .6, .3], [.6, 1, .6],
                                                         [.3, .6, .3]])
            frames.append((label, np.clip(image, 0, saturate)))
        return frames

    return capture


def test_camera_step_puts_the_far_lens_just_above_the_threshold():
    result = C.calibrate_camera(synthetic(1200.0, 1.0), 2000.0, 4.0)
    assert C.MIN_SNR <= result.far.snr <= C.MIN_SNR * C.SNR_MARGIN * 1.15
    assert result.near.saturated_px <= C.MAX_SATURATED_PX  # clipped, but only the 3x3 core
    assert result.exposure_us < 2000.0 and result.dark_noise_dn == pytest.approx(1.0, rel=0.2)


def test_camera_step_raises_the_gain_when_exposure_runs_out_and_says_when_it_fails():
    result = C.calibrate_camera(synthetic(600.0, 1.0), 2000.0, 1.0)
    assert result.analogue_gain > 1.0 and result.far.snr >= C.MIN_SNR
    assert any("5000 us" in step for step in result.steps)  # exposure ran out first
    with pytest.raises(C.CalibrationError, match="below the detection threshold"):
        C.calibrate_camera(synthetic(0.5, 3.0), 2000.0, 4.0)


def test_camera_step_on_the_simulated_bench():
    config = load_config(None, [])
    result = C.calibrate_camera(SimBench(config).reference, 2000.0, 4.0)
    assert result.far.snr >= C.MIN_SNR and result.near.saturated_px <= C.MAX_SATURATED_PX


def blurred_lens(true_offset: float, noise: float = 0.5, seed: int = 1):
    """A capture function for the focus step: a lens spot whose blur grows with the
    distance between the offset tried and `true_offset` (0.65 px of sigma per dioptre, in
    quadrature with 0.7 px), on a noisy wall."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:33, 0:33] - 16.0

    def capture(offset):
        sigma2 = 0.49 + (0.65 * (offset - true_offset)) ** 2
        spot = 400.0 / (2 * np.pi * sigma2) * np.exp(-(xs**2 + ys**2) / (2 * sigma2))
        return [("onaxis", 20 + spot + rng.normal(0, noise, spot.shape)),
                ("offaxis", 20 + rng.normal(0, noise, spot.shape))]

    return capture


@pytest.mark.parametrize("true_offset", [-0.3, 0.0, 0.45])
def test_focus_step_finds_where_the_lens_is_sharpest(true_offset):
    result = C.calibrate_focus(blurred_lens(true_offset), nominal_dioptres=0.5)
    assert result.offset_dioptres == pytest.approx(true_offset, abs=0.03)


def test_focus_step_says_when_the_lens_cannot_focus_that_far_or_does_not_focus():
    # Sharpest below the infinity stop: the module cannot focus as far as the target.
    with pytest.raises(C.CalibrationError, match="infinity stop"):
        C.calibrate_focus(blurred_lens(-0.9), nominal_dioptres=0.5)
    with pytest.raises(C.CalibrationError, match="end of the search"):
        C.calibrate_focus(blurred_lens(1.3), nominal_dioptres=0.5)

    def fixed_focus(_offset):
        return blurred_lens(0.0)(0.0)

    with pytest.raises(C.CalibrationError, match="as sharp at every lens position"):
        C.calibrate_focus(fixed_focus, nominal_dioptres=0.5)


def test_focus_step_on_the_simulated_bench_recovers_a_units_focus_error():
    # The simulated module focuses 0.3 D nearer than its lens position says.
    config = load_config(None, ["sim.focus_error_dioptres=0.3"])
    report = step_focus(SimBench(config), config)
    assert report.values["calibration"]["lens_offset_dioptres"] == pytest.approx(-0.3, abs=0.05)


def test_focus_step_leaves_a_fixed_focus_camera_as_it_was():
    class FixedFocusBench:
        can_focus = False

        def focus_frames(self, _distance):
            raise AssertionError("a fixed-focus lens has no positions to try")

    report = step_focus(FixedFocusBench(), load_config(None, []))
    assert report.values == {} and "fixed-focus" in report.lines[0]


def test_calibration_steps_see_what_earlier_steps_set(tmp_path, monkeypatch):
    import detector.calibrate as calibrate

    seen = []

    def first(_bench, _config):
        return calibrate.StepReport("focus", [], {"calibration": {"lens_offset_dioptres": -0.2}})

    def second(bench, config):
        seen.append((config.get("calibration.lens_offset_dioptres"),
                     bench.config.get("calibration.lens_offset_dioptres")))
        return calibrate.StepReport("camera", [], {})

    monkeypatch.setitem(calibrate.STEP_FUNCTIONS, "focus", first)
    monkeypatch.setitem(calibrate.STEP_FUNCTIONS, "camera", second)
    assert calibrate_command(load_config(None, []), ["focus", "camera"], True,
                             tmp_path / "calibration") == 0
    assert seen == [(-0.2, -0.2)]


def test_light_balance_and_the_resistor_to_fit():
    frames = [("dark", np.full((8, 8), 10.0)), ("onaxis", np.full((8, 8), 110.0)),
              ("offaxis", np.full((8, 8), 118.0))]
    ratio = C.light_balance(frames)
    assert ratio == pytest.approx(1.08)
    assert "fit 21.6 ohm" in C.balance_advice(ratio)
    assert C.balance_advice(1.02).startswith("balanced")

    class Bench:
        def grey_target(self):
            return frames

    with pytest.raises(C.CalibrationError, match="21.6 ohm"):
        step_lights(Bench(), load_config(None, []))


UNIT = SimUnit.draw(7)
UNIT_AD8318 = (UNIT.ad8318_slope_mv_per_db, UNIT.ad8318_intercept_dbm)


def test_ad8318_fit_recovers_the_parts_slope_and_intercept():
    bench = SimBench(load_config(None, []), unit=UNIT)
    pairs = [(level, bench.broadband_at(level)) for level in (-50.0, -30.0, -10.0)]
    assert max(abs(r - t) for t, r in pairs) > 0.5  # uncalibrated readings are off
    slope, intercept = C.ad8318_fit(pairs)
    assert (slope, intercept) == pytest.approx(UNIT_AD8318, abs=0.05)
    for true, reported in pairs:
        assert C.corrected_broadband(reported, slope, intercept) == pytest.approx(true,
                                                                                  abs=0.1)


@pytest.mark.parametrize("number", [3, 11, 29])
def test_calibrating_a_simulated_unit_recovers_its_receivers(number):
    """Each unit's parts differ; the rf step's fit makes every receiver read true again,
    and its floors are the unit's own."""
    unit = SimUnit.draw(number)
    bench = SimBench(load_config(None, []), unit=unit)
    values = step_rf(bench, load_config(None, [])).values["calibration"]
    frontend = FrontEnd.from_config(load_config(None, []).with_values(calibration=values))
    nominal = FrontEnd()
    worst_raw = 0.0
    for source in NARROW_SOURCE_MHZ:
        for true in (-85.0, -70.0, -55.0, -45.0):
            reported = bench.narrowband_at(source, true)
            worst_raw = max(worst_raw, abs(reported - true))
            corrected = frontend.correct({"source": source, "dbm": [reported]})["dbm"][0]
            assert corrected == pytest.approx(true, abs=0.6), (source, true)
    assert worst_raw > 1.0  # the unit's parts do read off until corrected
    assert nominal.correct({"source": "rx5808", "dbm": [-70.0]})["dbm"] == [-70.0]
    assert values["rx5808_floor_dbm"] == pytest.approx(unit.rx5808_floor_dbm, abs=1.0)
    assert values["cc2500_floor_dbm"] == pytest.approx(unit.cc2500_floor_dbm, abs=1.0)
    assert values["ad8318_floor_dbm"] == pytest.approx(unit.ad8318_floor_dbm, abs=1.0)


def test_radio_applies_the_calibrated_correction():
    class Client:
        online = True

        def poll(self):
            return [{"t_ns": 5, "source": "ad8318", "band": "broadband", "start_hz": 0,
                     "step_hz": 0, "dbm": [-31.0]},
                    {"t_ns": 6, "source": "cc2500", "band": "2g4", "start_hz": 2400000000,
                     "step_hz": 1000000, "dbm": [-80.0, -60.0]}]

        def close(self):
            pass

    from detector.rf.analysis import RfAnalyzer

    frontend = FrontEnd({"ad8318": Response.of_ad8318(*UNIT_AD8318),
                         "cc2500": Response(1.0, 2.5)})
    broadband, narrow = Radio(Client(), RfAnalyzer(0, 1.0), frontend).poll()
    assert broadband["dbm"][0] == pytest.approx(C.corrected_broadband(-31.0, *UNIT_AD8318),
                                                abs=0.01)
    assert narrow["dbm"] == [-82.5, -62.5]


def test_calibrate_command_writes_a_profile_the_configuration_loads(tmp_path, capsys):
    out = tmp_path / "calibration"
    assert main(["calibrate", "lights", "rf", "--sim", "--out", str(out)]) == 0
    unit = SimUnit.draw(load_config(None, []).get("sim.unit"))
    assert f"AD8318: slope {unit.ad8318_slope_mv_per_db:.2f}" in capsys.readouterr().out
    current = out / "current.toml"
    dated = [p for p in out.iterdir() if p.name != "current.toml"]
    assert len(dated) == 1 and dated[0].read_text() == current.read_text()
    config = load_config(None, [f"calibration.profile={current}"])
    assert config.get("calibration.ad8318_slope_mv_per_db") == pytest.approx(
        unit.ad8318_slope_mv_per_db, abs=0.001)
    assert config.get("calibration.cc2500_offset_db") == pytest.approx(
        unit.cc2500_rssi_offset_db - 72.0, abs=0.6)
    assert config.sources["calibration.offaxis_balance"] == "calibration current.toml"
    mine = load_config(None, [f"calibration.profile={current}",
                              "calibration.ad8318_intercept_dbm=19.0"])
    assert mine.get("calibration.ad8318_intercept_dbm") == 19.0  # the user's setting wins
    current.write_text(current.read_text().replace("format = 1", "format = 7"))
    with pytest.raises(ConfigError, match="format 7"):
        load_config(None, [f"calibration.profile={current}"])


def test_the_logbook_directorys_current_profile_is_found(tmp_path):
    log_dir = tmp_path / "home" / ".local" / "share" / "detector"
    C.write_profile(log_dir / "calibration", "abc", {"camera": {"exposure_us": 1234.0}})
    assert load_config(None, []).get("camera.exposure_us") == 1234.0


def _frames(config, lens=True):
    scenario = reference_scenario(1.0, config.get("camera.exposure_us"), (640, 360),
                                  lens=lens, seconds=1.5)
    devices = build_devices(config, scenario=scenario)
    try:
        return list(capture_frames(devices.camera, devices.lights,
                                   LightSequencer(config.get("lights.pattern"))))
    finally:
        devices.close()


def test_selftest_passes_and_fails_loudly():
    config = load_config(None, ["sim.display=none"])
    good = selftest(_frames(config), config, {"rx5808": -91.0})
    assert good.ok and "reference lens detected" in good.lines[0]
    missing = selftest(_frames(config, lens=False), config, {})
    assert not missing.ok and "NOT detected" in missing.lines[0]
    drifted = load_config(None, ["sim.display=none", "calibration.offaxis_balance=1.2"])
    result = selftest(_frames(drifted), drifted, {"rx5808": -70.0})
    assert not result.ok
    assert any("calibrate the lights" in line for line in result.lines)
    assert any("check the antenna" in line for line in result.lines)


def test_selftest_command(capsys):
    assert main(["selftest", "--sim"]) == 0
    assert "selftest: PASSED" in capsys.readouterr().out


def test_the_documented_nominal_profile_matches_the_defaults():
    from pathlib import Path

    nominal = C.read_profile(Path(__file__).parent.parent / "calibration" /
                             "default-profile.toml")
    config = load_config(None, [])
    for section in ("camera", "calibration"):
        for key, value in nominal[section].items():
            assert config.get(f"{section}.{key}") == value, f"{section}.{key}"


def test_each_evaluation_run_meets_a_camera_module_focused_on_the_bench():
    from detector.evaluation.units import calibrated_config, unit_number
    from detector.sim.camera_model import focus_error_of

    seed = 1  # unit 2, whose module focuses about 0.2 D off
    error = focus_error_of(unit_number(seed))
    assert abs(error) > 0.1
    config = calibrated_config(load_config(None, []), seed, camera=True)
    assert config.get("sim.focus_error_dioptres") == error
    # The focus step's offset cancels the module's error.
    assert config.get("calibration.lens_offset_dioptres") == pytest.approx(-error, abs=0.05)
    radio_only = calibrated_config(load_config(None, []), seed)
    assert radio_only.get("sim.focus_error_dioptres") == 0.0
