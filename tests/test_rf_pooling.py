"""Channel pooling for slow 2.4 GHz sweeps and the RX5808's door baseline: each channel
with its neighbours' readings."""

import numpy as np

from detector.rf.pooling import (
    POOL_MAX_CHANNELS,
    pool_half,
    pooled_mean,
    pooled_percentile,
    pooled_percentile_near,
)


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


def test_unevenly_spaced_channels_pool_by_frequency_only_where_marked():
    """Two door sweeps of an RX5808: an access point's packets reach 5800 MHz in one
    sweep and 5806 in the other, never 5809; 5809 learns them from its neighbours within
    10 MHz, 5820 (11 MHz away) does not, nor does 5645, outside the pooled range."""
    freqs = np.array([5645e6, 5800e6, 5806e6, 5809e6, 5820e6])
    door = np.full((2, 5), -92.0)
    door[0, 1] = door[1, 2] = -55.0
    door[:, 0] = [-60.0, -92.0]
    pool = np.array([False, True, True, True, True])
    q95, q90 = pooled_percentile_near(door, [95, 90], freqs, 10e6, pool)
    assert q95[3] > -60  # learned from 5800 and 5806
    own95, own90 = np.percentile(door, [95, 90], axis=0)
    assert own95[3] == -92.0  # alone it never heard them
    # 5820 has no channel within 10 MHz (5809 is 11 away); 5645 is not pooled at all
    assert np.allclose(q95[[0, 4]], own95[[0, 4]]) and np.allclose(q90[[0, 4]], own90[[0, 4]])
    assert np.isclose(q95[1], np.percentile(door[:, 1:4], 95))
