"""Telling 2.4 GHz Wi-Fi emitters apart (rf/emitters.py): pieces of one run, a loud
emitter's skirts, neighbours merged into one run, and episodes followed by the channels they cover."""

import numpy as np

from detector.rf.emitters import EpisodeKeys, group_pieces, split_at_valleys, without_skirts
from detector.rf.records import Finding

MHZ = 1e6


def run(centre_mhz, width_mhz=20.0, level=-50.0, excess=20.0):
    return Finding("Wi-Fi", centre_mhz * MHZ, level, excess, {"width_mhz": width_mhz})


def test_runs_a_few_channels_apart_are_one_emitter_and_a_channel_apart_are_two():
    # a 20 MHz emitter read as two pieces with a 2-channel hole; then channels 1 and 6
    assert group_pieces([(2, 10), (12, 22)], gap=3) == [(2, 22)]
    assert group_pieces([(2, 23), (27, 48)], gap=3) == [(2, 23), (27, 48)]
    assert group_pieces([(2, 10), (12, 22), (40, 60)], gap=3) == [(2, 22), (40, 60)]


def neighbours(left_dbm, valley_dbm, right_dbm, notch_at=None, notch_dbm=None):
    """1 MHz channels from 2400 MHz: channel 1 (2402-2421) and channel 6 (2427-2446)
    with the 5 channels between them at valley_dbm (skirts)."""
    levels = np.full(60, -95.0)
    levels[2:22], levels[22:27], levels[27:47] = left_dbm, valley_dbm, right_dbm
    if notch_at is not None:
        levels[notch_at] = notch_dbm
    return levels


def test_a_run_over_two_neighbouring_channels_is_cut_at_its_valley():
    # a phone on channel 1 and a camera on channel 6 read as one 45-channel run
    levels = neighbours(-45.0, -70.0, -55.0)
    (first, first_end), (second, second_end) = split_at_valleys([(2, 47)], levels, 25, 12.0)
    assert first == 2 and 22 <= first_end <= 27 and 22 <= second <= 27 and second_end == 47
    # a shallow valley (fading across one emitter's channel) and a run no wider than a
    # channel are left whole
    assert split_at_valleys([(2, 47)], neighbours(-50.0, -58.0, -50.0), 25, 12.0) == [(2, 47)]
    assert split_at_valleys([(2, 22)], neighbours(-50.0, -70.0, -50.0, 10, -80.0), 25,
                            12.0) == [(2, 22)]
    # quiet edges are not valleys: the cut needs loud channels on both sides
    edges = neighbours(-50.0, -50.0, -50.0)
    edges[2], edges[46] = -80.0, -80.0
    assert split_at_valleys([(2, 47)], edges, 25, 12.0) == [(2, 47)]


def test_three_neighbours_in_one_run_are_cut_into_three():
    levels = np.full(80, -95.0)
    levels[2:22], levels[22:27], levels[27:47] = -45.0, -70.0, -50.0
    levels[47:52], levels[52:72] = -72.0, -48.0
    cuts = split_at_valleys([(2, 72)], levels, 25, 12.0)
    assert len(cuts) == 3
    assert [levels[a:b].max() for a, b in cuts] == [-45.0, -50.0, -48.0]


def test_a_run_far_below_the_loudest_is_its_skirt():
    loud, camera, skirt = run(2412, level=-40.0), run(2437, level=-55.0), run(2470, level=-70)
    assert without_skirts([loud, camera, skirt], skirt_db=20.0) == [loud, camera]
    assert without_skirts([], skirt_db=20.0) == []
    # an emitter the door already heard makes no run, but its skirts may: its channel
    # is what they are measured against
    assert without_skirts([camera, skirt], skirt_db=20.0, loudest_channel_dbm=-40.0) == [camera]


def test_each_emitter_keeps_its_key_while_its_run_wanders():
    keys = EpisodeKeys(spacing_mhz=12.0)
    first = keys.follow({"wifi-2g4@2412": run(2412), "wifi-2g4@2462": run(2462)}, [])
    phone, camera = sorted(first, key=lambda k: first[k].freq_hz)
    later = keys.follow({"wifi-2g4@2416": run(2416, 14.0), "wifi-2g4@2458": run(2458, 16.0)},
                        [phone, camera])
    assert later[phone].freq_hz == 2416 * MHZ and later[camera].freq_hz == 2458 * MHZ
    assert keys.count == 2  # no new episode


def test_a_run_covering_two_emitters_keeps_both_at_their_own_frequencies():
    keys = EpisodeKeys(spacing_mhz=12.0)
    first = keys.follow({"wifi-2g4@2412": run(2412), "wifi-2g4@2437": run(2437)}, [])
    merged = keys.follow({"wifi-2g4@2424": run(2424, 45.0)}, list(first))
    assert sorted(f.freq_hz / MHZ for f in merged.values()) == [2412, 2437]
    # when they part again each continues its own episode
    parted = keys.follow({"wifi-2g4@2412": run(2412), "wifi-2g4@2437": run(2437)}, list(first))
    assert set(parted) == set(first)


def test_a_weaker_second_run_over_a_followed_emitter_starts_nothing():
    keys = EpisodeKeys(spacing_mhz=12.0)
    first = keys.follow({"wifi-2g4@2450": run(2450, 60.0)}, [])  # one wide run
    key = next(iter(first))
    pieces = keys.follow({"wifi-2g4@2440": run(2440, 30.0, excess=25.0),
                          "wifi-2g4@2472": run(2472, 12.0, excess=10.0)}, [key])
    assert list(pieces) == [key] and pieces[key].freq_hz == 2440 * MHZ
    assert keys.count == 1


def test_an_emitter_whose_episode_ended_is_new_when_it_returns_and_other_bands_keep_theirs():
    keys = EpisodeKeys(spacing_mhz=12.0)
    first = keys.follow({"wifi-2g4@2437": run(2437)}, [])
    again = keys.follow({"wifi-2g4@2437": run(2437), "cellular": run(0)}, [])
    assert set(again) == {"cellular", "wifi-2g4@2"} and set(first) == {"wifi-2g4@1"}
