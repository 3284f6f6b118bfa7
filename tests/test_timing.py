import numpy as np

from detector.hw.lights import Lights, LightSequencer
from detector.hw.timing import LABEL_GUARD_NS, label_frame, row_state_weights, state_at

MS = 1_000_000


def test_label_whole_frame_under_one_state():
    log = [(0, "onaxis"), (20 * MS, "offaxis")]
    assert label_frame(log, 5 * MS, 2 * MS, 8 * MS) == "onaxis"
    assert label_frame(log, 21 * MS, 2 * MS, 8 * MS) == "offaxis"


def test_switch_inside_exposure_window_is_mixed():
    log = [(0, "onaxis"), (12 * MS, "offaxis")]
    # Window 5..15 ms: the last rows expose after the switch.
    assert label_frame(log, 5 * MS, 2 * MS, 8 * MS) == "mixed"
    # A switch to the same state is no change.
    assert label_frame([(0, "dark"), (7 * MS, "dark")], 5 * MS, 2 * MS, 8 * MS) == "dark"


def test_a_switch_within_the_guard_of_a_window_edge_is_mixed():
    """Neither the log's stamp nor the sensor's timestamp is exact: a switch that close
    to an edge may have landed on either side of it."""
    window = (5 * MS, 2 * MS, 8 * MS)  # 5..15 ms
    just_before = [(0, "offaxis"), (5 * MS - LABEL_GUARD_NS // 2, "onaxis")]
    well_before = [(0, "offaxis"), (5 * MS - 3 * LABEL_GUARD_NS, "onaxis")]
    just_after = [(0, "onaxis"), (15 * MS + LABEL_GUARD_NS // 2, "offaxis")]
    well_after = [(0, "onaxis"), (15 * MS + 3 * LABEL_GUARD_NS, "offaxis")]
    assert label_frame(just_before, *window) == "mixed"
    assert label_frame(well_before, *window) == "onaxis"
    assert label_frame(just_after, *window) == "mixed"
    assert label_frame(well_after, *window) == "onaxis"
    assert label_frame(just_before, *window, guard_ns=0) == "onaxis"


def test_before_any_switch_is_dark():
    assert state_at([(10, "onaxis")], 5) == "dark"


def test_row_weights_split_rows_at_the_switch():
    log = [(0, "onaxis"), (10 * MS, "offaxis")]
    rows = np.linspace(0, 1, 5)  # rows start at 0, 2, 4, 6, 8 ms; exposure 2 ms
    w = row_state_weights(log, 0, 2 * MS, 8 * MS, rows)
    assert np.allclose(w["onaxis"], [1, 1, 1, 1, 1])
    w = row_state_weights(log, 3 * MS, 2 * MS, 8 * MS, rows)  # rows at 3..11 ms
    assert np.allclose(w["onaxis"] + w["offaxis"], 1)
    assert w["onaxis"][0] == 1 and w["offaxis"][-1] == 1
    assert 0 < w["onaxis"][3] < 1  # the row exposing 9..11 ms straddles the switch


class _Recorded(Lights):
    def __init__(self, clock):
        super().__init__(clock)
        self.applied = []

    def _apply(self, onaxis, offaxis):
        self.applied.append((onaxis, offaxis))


class _Clock:
    def __init__(self):
        self.t = 0

    def monotonic_ns(self):
        self.t += 5
        return self.t


def test_lights_log_switches_and_skip_repeats():
    lights = _Recorded(_Clock())
    for state in ("onaxis", "onaxis", "offaxis", "dark"):
        lights.set(state)
    assert [s for _, s in lights.switch_log] == ["onaxis", "offaxis", "dark"]
    assert lights.applied == [(True, False), (False, True), (False, False)]
    lights.trim_log(lights.switch_log[-1][0])
    assert [s for _, s in lights.switch_log] == ["offaxis", "dark"]


def test_sequencer_repeats_pattern():
    seq = LightSequencer(["onaxis", "offaxis", "dark"])
    assert [seq.state_for(i) for i in range(5)] == ["onaxis", "offaxis", "dark", "onaxis",
                                                      "offaxis"]
