"""dvfskit.ConfigSet: labelled configurations over any knobs, dense or sparse."""
from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from dvfskit import ConfigSet


def test_sparse_set_over_mixed_knobs_keeps_labels_and_order() -> None:
    table = pd.DataFrame({
        "cpu_freq_mhz": [2035.2, 345.6, 2035.2],
        "mem_freq_mhz": [1866, 1866, 204],
        "power_mode": ["MAXN", "15W", "MAXN"],
    })
    before = table.copy()
    c = ConfigSet(table)
    pd.testing.assert_frame_equal(table, before)  # the input is not modified
    assert len(c) == 3
    assert c.knobs == ("cpu_freq_mhz", "mem_freq_mhz", "power_mode")
    assert c.frequency_knobs == ("cpu_freq_mhz", "mem_freq_mhz")
    assert c.label(2) == {"cpu_freq_mhz": 2035.2, "mem_freq_mhz": 204.0, "power_mode": "MAXN"}
    assert c.index(cpu_freq_mhz=345.6, mem_freq_mhz=1866, power_mode="15W") == 1
    np.testing.assert_array_equal(c.where(cpu_freq_mhz=2035.2), [0, 2])
    np.testing.assert_array_equal(c.levels("mem_freq_mhz"), [204.0, 1866.0])
    np.testing.assert_array_equal(c.levels("power_mode"), ["15W", "MAXN"])
    np.testing.assert_array_equal(c.codes, [[1, 1, 1], [0, 1, 0], [1, 0, 1]])
    assert "3 configurations over 3 knob(s)" in repr(c) and "% of the 8-point grid" in repr(c)
    assert pickle.loads(pickle.dumps(c)) == c
    with pytest.raises(KeyError):
        c.index(cpu_freq_mhz=345.6, mem_freq_mhz=204, power_mode="15W")


def test_grid_numbers_configurations_last_knob_fastest() -> None:
    c = ConfigSet.grid({"compute_freq_mhz": [100, 200, 300], "mem_freq_mhz": [10, 20]})
    assert len(c) == 6 and "dense grid" in repr(c)
    t = c.table
    np.testing.assert_array_equal(t["compute_freq_mhz"], np.repeat([100, 200, 300], 2))
    np.testing.assert_array_equal(t["mem_freq_mhz"], np.tile([10, 20], 3))


@pytest.mark.parametrize(
    "table, message",
    [
        ({"cpu_freq_mhz": [100, 100]}, "configurations 0 and 1 are the same"),
        ({"cpu_freq_mhz": [100, np.nan]}, "knob 'cpu_freq_mhz' is missing in configuration 1"),
        ({"cpu_freq_mhz": [100, np.inf]}, "configuration 1 is not finite"),
        ({"cpu_freq_mhz": [100, -5]}, "must be > 0 MHz"),
        ({"cpu_freq_mhz": ["100", "fast"]}, "frequency knob 'cpu_freq_mhz' must be numeric (MHz); configuration 1"),
        ({"cpu_freq_mhz": []}, "empty"),
    ],
)
def test_bad_sets_name_the_knob_and_configuration(table, message) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ConfigSet(table)
