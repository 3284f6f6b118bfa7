"""The channel-hopping schedule on simulated traffic: it visits every channel each cycle,
stays longer where a stream is heard, and lets a channel that went quiet go."""

import pytest

from detector.sim.wifi_traffic import Link, camera_stream
from detector.wifi.hopping import BASE_DWELL_S, CHANNELS_2G, MAX_DWELL_S, HopSchedule

CAM = bytes.fromhex("00005e005300")
AP = bytes.fromhex("0a0000000001")


def run(schedule, frames_by_channel, seconds):
    """Hop for `seconds`, counting the data frames heard on the channel tuned to."""
    t, visits = 0.0, []
    while t < seconds:
        channel, dwell = schedule.next()
        frames = frames_by_channel.get(channel, [])
        heard = sum(1 for f in frames if t <= f.t_ns / 1e9 < t + dwell)
        schedule.heard(channel, heard, dwell)
        visits.append((t, channel, dwell, heard))
        t += dwell
    return visits


def test_a_stream_on_channel_6_earns_longer_visits_and_every_channel_is_still_visited():
    stream = list(camera_stream(Link(CAM, AP, 2437), 60.0, lambda _t: -50.0,
                                lambda _t: 0.0, kbps=800, seed=1))
    schedule = HopSchedule(channels=CHANNELS_2G)
    visits = run(schedule, {6: stream}, 60.0)
    on_6 = [v for v in visits if v[1] == 6]
    others = [v for v in visits if v[1] != 6]
    assert on_6[-1][2] == pytest.approx(MAX_DWELL_S, rel=0.05)
    assert all(v[2] == pytest.approx(BASE_DWELL_S) for v in others)
    # One cycle later every channel has been visited again, within the cycle's time.
    last_cycle = visits[-13:]
    assert {v[1] for v in last_cycle} == set(range(1, 14))
    assert schedule.cycle_s() == pytest.approx(12 * BASE_DWELL_S + MAX_DWELL_S, rel=0.05)
    share_on_6 = sum(v[2] for v in on_6) / sum(v[2] for v in visits)
    assert share_on_6 > 0.3  # a third of the time on the one channel with a stream


def test_a_channel_that_goes_quiet_returns_to_the_base_dwell():
    schedule = HopSchedule(channels=(1, 6, 11))
    schedule.heard(6, 50, 1.0)
    assert schedule.dwell_s(6) == pytest.approx(MAX_DWELL_S)
    for _ in range(12):
        schedule.heard(6, 0, schedule.dwell_s(6))
    assert schedule.dwell_s(6) == pytest.approx(BASE_DWELL_S, abs=0.01)


def test_bad_schedules_are_refused():
    with pytest.raises(ValueError, match="at least one channel"):
        HopSchedule(channels=())
    with pytest.raises(ValueError, match="base dwell"):
        HopSchedule(base_dwell_s=2.0)
