"""Python options are checked strictly (dvfskit._data.integer / numbers_array / scalar): errors
name the option and the entry at fault; strings are never converted and floats never truncated."""
from __future__ import annotations

import numpy as np
import pytest

import dvfskit
from dvfskit._data import integer, numbers_array


@pytest.mark.parametrize("value, expected", [(3, 3), (np.int64(4), 4), (1e5, 100000), (2.0, 2)])
def test_integer_takes_whole_numbers(value, expected):
    got = integer(value, "n", minimum=0)
    assert got == expected and type(got) is int


@pytest.mark.parametrize("value", ["3", b"3", True, np.bool_(True), 2.7, -1, float("nan"), float("inf"), None, [1]])
def test_integer_refuses_the_rest(value):
    with pytest.raises(ValueError, match=r"^n must be a whole number >= 0, got "):
        integer(value, "n", minimum=0)


@pytest.mark.parametrize("values, match", [
    ("5", "x must be numbers, got '5'"),
    (["1", 2], r"x\[0\] must be a number, got '1'"),
    ([1, None], r"x\[1\] must be a number, got None"),
    ([[1, 2], [3, "a"]], r"x\[1, 1\] must be a number, got 'a'"),
    (np.array([True, False]), r"x\[0\] must be a number, got True"),
    (np.array(["1.5"]), r"x\[0\] must be a number, got '1.5'"),
])
def test_numbers_array_names_the_entry(values, match):
    with pytest.raises(ValueError, match=match):
        numbers_array(values, "x")


def test_numbers_array_converts_numbers_and_copies():
    a = np.arange(3)
    out = numbers_array(a, "x")
    out[0] = 9
    assert a[0] == 0 and out.dtype == np.float64
    np.testing.assert_array_equal(numbers_array([1, 2.5, np.float32(3)], "x"), [1.0, 2.5, 3.0])


@pytest.mark.parametrize("options, match", [
    (dict(switch_time_ms="5"), "switch_time_ms must be a number, a dict .* got '5'"),
    (dict(switch_energy_j=True), "switch_energy_j must be a number, a dict .* got True"),
    (dict(switch_time_ms={"compute": "1"}), r"switch_time_ms\['compute'\] must be a number, got '1'"),
    (dict(switch_time_ms=[["0"] * 3] * 3), r"switch_time_ms\[0, 0\] must be a number, got '0'"),
    (dict(idle_power_w="1"), "idle_power_w must be a number, got '1'"),
])
def test_schedule_options_are_not_coerced(options, match):
    t = np.ones((2, 3))
    with pytest.raises(ValueError, match=match):
        dvfskit.schedule(t, t, 10.0, **options)
    with pytest.raises(ValueError, match=r"block_latency_ms\[0, 1\] must be a number, got '2'"):
        dvfskit.schedule([[1, "2", 3]], [[1, 2, 3]], 10.0)
