"""Buzzer sequences: hotter/colder clicks, the lens-confirmed announcement, the insistent
camera-likely warble until acknowledged, the fault pattern and mute; on the simulated
buzzer and on gpiozero's TonalBuzzer over MockFactory pins."""

import pytest

from detector.hw.clock import SimClock
from detector.hw.pi.gpio import GpioBuzzer
from detector.hw.sim.devices import SimBuzzer
from detector.ui.sounds import CLICK_HZ, FAULT, LENS_CONFIRMED, AlertSounder

MS = 1_000_000


def run(sounder: AlertSounder, clock: SimClock, seconds: float, step_ms: int = 5,
        **state) -> list[tuple[int, float]]:
    """Tick every step_ms for `seconds`; (t_ns, hz) at each tick."""
    out = []
    for _ in range(int(seconds * 1000 / step_ms)):
        clock.advance_to(clock.monotonic_ns() + step_ms * MS)
        out.append((clock.monotonic_ns(), sounder.tick(clock.monotonic_ns(), **state)))
    return out


def onsets(trace, hz=None):
    """Times at which a tone (of `hz`, if given) starts."""
    starts = []
    for (_t0, a), (t1, b) in zip(trace, trace[1:], strict=False):
        if b > 0 and a != b and (hz is None or b == hz):
            starts.append(t1)
    return starts


@pytest.fixture
def sim():
    clock = SimClock()
    buzzer = SimBuzzer(clock)
    return clock, buzzer, AlertSounder(buzzer)


def test_clicks_get_faster_as_proximity_rises(sim):
    clock, _buzzer, sounder = sim
    far = len(onsets(run(sounder, clock, 5.0, rf_active=True, proximity=0.1), CLICK_HZ))
    near = len(onsets(run(sounder, clock, 5.0, rf_active=True, proximity=0.9), CLICK_HZ))
    assert 4 <= far <= 6  # about 1 per 0.91 s
    assert 20 <= near <= 30  # about 1 per 0.19 s
    assert run(sounder, clock, 1.0)[-1][1] == 0.0  # no RF activity: silence


def test_lens_confirmed_plays_three_rising_beeps_once(sim):
    clock, buzzer, sounder = sim
    sounder.lens_confirmed()
    trace = run(sounder, clock, 2.0)
    tones = [hz for _t, hz in buzzer.events if hz > 0]
    assert tones == [1600.0, 2100.0, 2700.0]
    assert trace[-1][1] == 0.0
    assert LENS_CONFIRMED.length_ms < 1000


def test_camera_likely_repeats_until_acknowledged_and_outranks_the_rest(sim):
    clock, buzzer, sounder = sim
    sounder.lens_confirmed()
    trace = run(sounder, clock, 3.0, camera_likely=True, faults=True, rf_active=True,
                proximity=0.5)
    tones = {hz for _t, hz in trace if hz > 0}
    assert tones == {2900.0, 2100.0}
    assert len(onsets(trace, 2900.0)) >= 9  # every 300 ms
    after = run(sounder, clock, 2.0)  # acknowledged: camera_likely False now
    # The lens announcement that was queued plays, then silence.
    assert {hz for _t, hz in after if hz > 0} == {1600.0, 2100.0, 2700.0}
    assert after[-1][1] == 0.0


def test_fault_pattern_repeats(sim):
    clock, _buzzer, sounder = sim
    trace = run(sounder, clock, FAULT.length_ms * 2.5 / 1000, faults=True)
    assert len(onsets(trace, 500.0)) == 5  # two beeps per period, 2.5 periods


def test_mute_silences_everything(sim):
    clock, buzzer, sounder = sim
    sounder.set_muted(True)
    trace = run(sounder, clock, 2.0, camera_likely=True)
    assert all(hz == 0 for _t, hz in trace)
    assert all(hz == 0 for _t, hz in buzzer.events)


def test_broken_buzzer_becomes_a_fault_not_a_crash(sim):
    clock, _buzzer, _sounder = sim

    class Broken(SimBuzzer):
        def tone(self, hz):
            raise OSError("PWM channel busy")

    sounder = AlertSounder(Broken(clock))
    run(sounder, clock, 0.5, camera_likely=True)
    assert sounder.failed and "PWM channel busy" in sounder.failed


def test_tonal_buzzer_pin_follows_the_camera_likely_pattern(mock_factory):
    clock = SimClock()
    buzzer = GpioBuzzer(18, tonal=True, pin_factory=mock_factory)
    pin = mock_factory.pin(18)
    sounder = AlertSounder(buzzer)
    seen = []
    for _ in range(120):  # 600 ms in 5 ms steps
        clock.advance_to(clock.monotonic_ns() + 5 * MS)
        sounder.tick(clock.monotonic_ns(), camera_likely=True)
        seen.append((clock.monotonic_ns() - 1_000_000_000, pin.frequency, pin.state))
    # PWM at the pattern's pitch, half duty, switching every 150 ms.
    changes = [(t, f) for (t, f, _s), (_t0, f0, _s0) in zip(seen[1:], seen, strict=False)
               if f != f0]
    assert [round(f) for _t, f in changes[:3]] == [2100, 2900, 2100]
    assert [t // MS - 5 for t, _f in changes[:3]] == [150, 300, 450]  # from the first tick
    assert all(s == pytest.approx(0.5) for _t, _f, s in seen)
    sounder.set_muted(True)
    sounder.tick(clock.monotonic_ns() + MS, camera_likely=True)
    assert not pin.state  # muted: the PWM is off
    buzzer.close()


def test_plain_buzzer_sounds_while_a_tone_is_wanted(mock_factory):
    clock = SimClock()
    buzzer = GpioBuzzer(18, tonal=False, pin_factory=mock_factory)
    pin = mock_factory.pin(18)
    sounder = AlertSounder(buzzer)
    states = []
    for _ in range(int(FAULT.length_ms / 5)):
        clock.advance_to(clock.monotonic_ns() + 5 * MS)
        sounder.tick(clock.monotonic_ns(), faults=True)
        states.append(bool(pin.state))
    on_ms = sum(states) * 5
    assert on_ms == pytest.approx(600, abs=10)  # two 300 ms beeps per period
    buzzer.close()
