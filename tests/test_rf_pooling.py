"""Channel pooling for slow 2.4 GHz sweeps: each channel with its neighbours' readings."""

import numpy as np

from detector.rf.pooling import POOL_MAX_CHANNELS, pool_half, pooled_mean, pooled_percentile


def test_enough_readings_pool_nothing_and_few_pool_enough_neighbours():
    assert pool_half(60, 40) == 0 and pool_half(40, 40) == 0
    assert pool_half(20, 40) == 1  # 3 channels x 20 = 60 readings
    assert pool_half(10, 40) == 2  # 5 x 10 = 50
    assert pool_half(2, 40) == POOL_MAX_CHANNELS


def test_a_pooled_percentile_takes_the_neighbours_readings_and_repeats_the_ends():
    rng = np.random.default_rng(1)
    arr = rng.normal(-100, 3, (10, 8))
    got = pooled_percentile(arr, 95, 1)
    assert np.allclose(got[3], np.percentile(arr[:, 2:5], 95))
    # beyond the band the end channel stands in for the missing neighbour
    assert np.allclose(got[0], np.percentile(np.hstack([arr[:, :1], arr[:, :2]]), 95))
    assert np.allclose(pooled_percentile(arr, 95, 0), np.percentile(arr, 95, axis=0))


def test_one_channel_hit_once_in_ten_learns_its_neighbours_packets():
    """An access point's channel hit once in ten door sweeps: alone its 95th percentile
    sits 20 dB under the packets; pooled with neighbours hit more often it reaches them."""
    noise = np.full((10, 5), -100.0)
    noise[[0, 3, 6], 1] = -50.0
    noise[[1, 4, 8], 3] = -50.0
    noise[5, 2] = -50.0
    alone = pooled_percentile(noise, 95, 0)[2]
    pooled = pooled_percentile(noise, 95, 1)[2]
    assert alone < -70 and pooled == -50.0
    assert np.isclose(pooled_mean(noise > -60, 1)[2], 7 / 30)
