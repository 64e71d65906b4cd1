"""dvfskit.read_measurements: conversions, keys, repeats and every error path."""
import hashlib
import math

import numpy as np
import pandas as pd
import pytest

import dvfskit
from dvfskit import read_measurements

HEADER = "system,gpu_freq,emc_freq,inference_time,power_consumption\n"


def write(tmp_path, text, name="m.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD = (
    HEADER
    + "TX2,1300500000,1866000000,0.150,4000\n"
    + "TX2,140250000,1062400000,0.600,2500\n"
)
COLS = {
    "device": "system",
    "compute_freq_mhz": "gpu_freq",
    "mem_freq_mhz": "emc_freq",
    "latency_ms": "inference_time",
    "power_w": "power_consumption",
}
UNITS = {"compute_freq_mhz": "Hz", "mem_freq_mhz": "Hz", "latency_ms": "s", "power_w": "mW"}


def test_exported():
    assert dvfskit.read_measurements is read_measurements
    assert "read_measurements" in dvfskit.__all__


def test_file_conversion_and_derived_energy(tmp_path):
    df = read_measurements(write(tmp_path, GOOD), columns=COLS, units=UNITS)
    assert list(df.columns) == ["device", "compute_freq_mhz", "mem_freq_mhz", "latency_ms", "power_w", "energy_j"]
    np.testing.assert_allclose(df["compute_freq_mhz"], [1300.5, 140.25])
    np.testing.assert_allclose(df["mem_freq_mhz"], [1866.0, 1062.4])
    np.testing.assert_allclose(df["latency_ms"], [150.0, 600.0])
    np.testing.assert_allclose(df["power_w"], [4.0, 2.5])
    np.testing.assert_allclose(df["energy_j"], [4.0 * 0.150, 2.5 * 0.600])
    assert list(df["device"]) == ["TX2", "TX2"]
    assert df.attrs["keys"] == ["device", "compute_freq_mhz", "mem_freq_mhz"]


@pytest.mark.parametrize(
    "unit,factor", [("Hz", 1e-6), ("kHz", 1e-3), ("MHz", 1.0), ("GHz", 1e3)]
)
def test_frequency_units(unit, factor):
    src = pd.DataFrame({"f": [1500.0 / factor, 3000.0 / factor], "t": [2.0, 1.0]})
    df = read_measurements(src, {"compute_freq_mhz": "f", "latency_ms": "t"}, {"compute_freq_mhz": unit})
    np.testing.assert_allclose(df["compute_freq_mhz"], [1500.0, 3000.0])


@pytest.mark.parametrize("unit,factor", [("s", 1e3), ("ms", 1.0), ("us", 1e-3)])
def test_time_units(unit, factor):
    src = pd.DataFrame({"f": [100.0, 200.0], "t": [2.0, 1.0]})
    df = read_measurements(src, {"compute_freq_mhz": "f", "latency_ms": "t"}, {"latency_ms": unit})
    np.testing.assert_allclose(df["latency_ms"], [2.0 * factor, 1.0 * factor])


def test_energy_units_and_derived_power():
    src = pd.DataFrame({"f": [100.0, 200.0], "t": [0.5, 0.25], "e": [1000.0, 400.0]})
    df = read_measurements(
        src,
        {"compute_freq_mhz": "f", "latency_ms": "t", "energy_j": "e"},
        {"latency_ms": "s", "energy_j": "mJ"},
    )
    np.testing.assert_allclose(df["energy_j"], [1.0, 0.4])
    np.testing.assert_allclose(df["power_w"], [1.0 / 0.5, 0.4 / 0.25])  # J / s
    assert list(df.columns)[-3:] == ["latency_ms", "power_w", "energy_j"]


def test_power_and_energy_both_given_are_kept():
    src = pd.DataFrame({"compute_freq_mhz": [100.0], "latency_ms": [10.0], "power_w": [3.0], "energy_j": [7.0]})
    df = read_measurements(src)
    assert df["power_w"].iloc[0] == 3.0 and df["energy_j"].iloc[0] == 7.0


def test_canonical_columns_found_without_mapping_and_extra_columns_dropped():
    src = pd.DataFrame(
        {"dnn": ["a", "b"], "compute_freq_mhz": [100, 200], "latency_ms": [3, 2], "junk": ["x", "y"]}
    )
    df = read_measurements(src)
    assert list(df.columns) == ["dnn", "compute_freq_mhz", "latency_ms"]
    assert df["compute_freq_mhz"].dtype == np.float64
    assert df["latency_ms"].dtype == np.float64


def test_keys_constants_and_extra_frequency_column():
    src = pd.DataFrame(
        {
            "size": ["200", "200", "400"],
            "cpu": [345600, 2035200, 345600],
            "gpu": [1300.5, 1300.5, 1300.5],
            "t": [1.0, 2.0, 3.0],
        }
    )
    df = read_measurements(
        src,
        columns={"cpu_freq_mhz": "cpu", "compute_freq_mhz": "gpu", "latency_ms": "t"},
        units={"cpu_freq_mhz": "kHz"},
        keys=["size"],
        constants={"device": "TX2", "dnn": "xception"},
    )
    assert list(df.columns) == ["device", "dnn", "size", "cpu_freq_mhz", "compute_freq_mhz", "latency_ms"]
    np.testing.assert_allclose(df["cpu_freq_mhz"], [345.6, 2035.2, 345.6])
    assert list(df["device"]) == ["TX2"] * 3
    assert list(df["size"]) == ["200", "200", "400"]
    assert df.attrs["keys"] == ["device", "dnn", "size", "cpu_freq_mhz", "compute_freq_mhz"]


def test_integer_constant_keeps_its_type():
    src = pd.DataFrame({"compute_freq_mhz": [100.0], "latency_ms": [1.0]})
    df = read_measurements(src, constants={"block": 3})
    assert df["block"].iloc[0] == 3 and df["block"].dtype.kind == "i"


# ---------------------------------------------------------------------------------------------
# Errors: each names the source, the row (files: editor line numbers) and the column.

def error(tmp_path, text, columns=COLS, units=UNITS, **kw):
    path = write(tmp_path, text)
    with pytest.raises(ValueError) as info:
        read_measurements(path, columns=columns, units=units, **kw)
    return str(path), str(info.value)


def test_non_numeric_cell_names_file_line_and_column(tmp_path):
    text = GOOD + "TX2,fast,1062400000,0.5,2000\n"  # header line 1, data lines 2, 3, 4
    path, msg = error(tmp_path, text)
    assert path in msg and "row 4" in msg and "'gpu_freq'" in msg and "'fast'" in msg


def test_first_data_row_is_line_2(tmp_path):
    text = HEADER + "TX2,1300500000,1866000000,abc,4000\n"
    path, msg = error(tmp_path, text)
    assert path in msg and "row 2," in msg and "'inference_time'" in msg


def test_blank_lines_do_not_shift_line_numbers(tmp_path):
    text = HEADER + "TX2,1300500000,1866000000,0.1,4000\n\nTX2,1300500000,1062400000,oops,4000\n"
    path, msg = error(tmp_path, text)
    assert "row 4," in msg and "'inference_time'" in msg


def test_empty_cell(tmp_path):
    text = GOOD + "TX2,1300500000,,0.5,2000\n"
    path, msg = error(tmp_path, text)
    assert path in msg and "row 4" in msg and "'emc_freq'" in msg and "empty" in msg


@pytest.mark.parametrize("cell", ["nan", "NaN", "inf", "-inf"])
def test_nan_and_inf_cells(tmp_path, cell):
    text = GOOD + f"TX2,1300500000,1866000000,0.5,{cell}\n"
    path, msg = error(tmp_path, text)
    assert path in msg and "row 4" in msg and "'power_consumption'" in msg


@pytest.mark.parametrize("freq", ["0", "-1300500000"])
def test_non_positive_frequency(tmp_path, freq):
    text = GOOD + f"TX2,{freq},1866000000,0.5,2000\n"
    path, msg = error(tmp_path, text)
    assert path in msg and "row 4" in msg and "'gpu_freq'" in msg and "positive" in msg


def test_non_positive_memory_frequency(tmp_path):
    text = HEADER + "TX2,1300500000,0,0.5,2000\n"
    path, msg = error(tmp_path, text)
    assert "row 2" in msg and "'emc_freq'" in msg and "positive" in msg


@pytest.mark.parametrize("t", ["0", "-0.1"])
def test_non_positive_latency(tmp_path, t):
    text = GOOD + f"TX2,943500000,1866000000,{t},2000\n"
    path, msg = error(tmp_path, text)
    assert path in msg and "row 4" in msg and "'inference_time'" in msg and "positive" in msg


def test_negative_power(tmp_path):
    text = GOOD + "TX2,943500000,1866000000,0.2,-5\n"
    path, msg = error(tmp_path, text)
    assert "row 4" in msg and "'power_consumption'" in msg and "negative" in msg


def test_missing_key_value(tmp_path):
    text = GOOD + ",943500000,1866000000,0.2,5\n"
    path, msg = error(tmp_path, text)
    assert path in msg and "row 4" in msg and "'system'" in msg


def test_missing_source_column(tmp_path):
    path, msg = error(tmp_path, GOOD, columns={**COLS, "mem_freq_mhz": "emc"})
    assert path in msg and "'emc'" in msg and "mem_freq_mhz" in msg and "emc_freq" in msg  # lists available


def test_missing_required_column(tmp_path):
    cols = {k: v for k, v in COLS.items() if k != "compute_freq_mhz"}
    units = {k: v for k, v in UNITS.items() if k != "compute_freq_mhz"}
    path, msg = error(tmp_path, GOOD, columns=cols, units=units)
    assert path in msg and "'compute_freq_mhz'" in msg and "gpu_freq" in msg


def test_no_measured_column(tmp_path):
    cols = {k: v for k, v in COLS.items() if k not in ("latency_ms", "power_w")}
    units = {k: v for k, v in UNITS.items() if k not in ("latency_ms", "power_w")}
    path, msg = error(tmp_path, GOOD, columns=cols, units=units)
    assert path in msg and "no measured column" in msg and "inference_time" in msg
    for name in ("'latency_ms'", "'power_w'", "'energy_j'"):
        assert name in msg


def test_unknown_unit_lists_allowed_units(tmp_path):
    path, msg = error(tmp_path, GOOD, units={**UNITS, "compute_freq_mhz": "THz"})
    assert path in msg and "'THz'" in msg and "compute_freq_mhz" in msg
    for unit in ("Hz", "kHz", "MHz", "GHz"):
        assert unit in msg


def test_unknown_time_unit_lists_allowed_units(tmp_path):
    path, msg = error(tmp_path, GOOD, units={**UNITS, "latency_ms": "min"})
    assert "'min'" in msg and "latency_ms" in msg and "'s'" in msg and "'us'" in msg


def test_units_for_unknown_column(tmp_path):
    path, msg = error(tmp_path, GOOD, units={**UNITS, "energy_j": "J"})
    assert path in msg and "'energy_j'" in msg


def test_units_for_key_column(tmp_path):
    path, msg = error(tmp_path, GOOD, units={**UNITS, "device": "Hz"})
    assert "'device'" in msg and "key" in msg


def test_empty_file(tmp_path):
    path, msg = error(tmp_path, "")
    assert path in msg and "empty" in msg


def test_header_only_file(tmp_path):
    path, msg = error(tmp_path, HEADER)
    assert path in msg and "no data rows" in msg


def test_empty_dataframe():
    with pytest.raises(ValueError, match="DataFrame: no data rows"):
        read_measurements(pd.DataFrame({"compute_freq_mhz": [], "latency_ms": []}))


def test_dataframe_rows_are_1_based_positions():
    src = pd.DataFrame({"f": [100.0, 200.0, -5.0], "t": [1.0, 2.0, 3.0]}, index=[10, 20, 30])
    with pytest.raises(ValueError) as info:
        read_measurements(src, {"compute_freq_mhz": "f", "latency_ms": "t"})
    msg = str(info.value)
    assert msg.startswith("DataFrame: row 3, column 'f'")


def test_dataframe_non_numeric_and_custom_name():
    src = pd.DataFrame({"f": [100.0, "x"], "t": [1.0, 2.0]})
    with pytest.raises(ValueError, match=r"^runs\.parquet: row 2, column 'f': 'x' is not a number"):
        read_measurements(src, {"compute_freq_mhz": "f", "latency_ms": "t"}, name="runs.parquet")


def test_bad_aggregate_value():
    src = pd.DataFrame({"compute_freq_mhz": [100.0], "latency_ms": [1.0]})
    with pytest.raises(ValueError, match="aggregate"):
        read_measurements(src, aggregate="max")


def test_source_type_error():
    with pytest.raises(TypeError):
        read_measurements(42)


# ---------------------------------------------------------------------------------------------
# Repeats

REPEATS = (
    HEADER
    + "TX2,1300500000,1866000000,0.100,4000\n"  # line 2
    + "TX2,140250000,1866000000,0.500,2000\n"  # line 3
    + "TX2,1300500000,1866000000,0.200,5000\n"  # line 4: repeats line 2
    + "TX2,1300500000,1866000000,0.600,9000\n"  # line 5: repeats line 2
)


def test_conflicting_repeats_raise(tmp_path):
    path, msg = error(tmp_path, REPEATS)
    assert path in msg and "row 4" in msg and "row 2" in msg and "'latency_ms'" in msg and "aggregate" in msg


def test_identical_repeats_are_kept_once(tmp_path):
    text = GOOD + "TX2,1300500000,1866000000,0.150,4000\n"
    df = read_measurements(write(tmp_path, text), columns=COLS, units=UNITS)
    assert len(df) == 2
    np.testing.assert_allclose(df["latency_ms"], [150.0, 600.0])


def test_different_keys_are_not_repeats(tmp_path):
    text = GOOD + "TX1,1300500000,1866000000,0.300,4000\n"
    df = read_measurements(write(tmp_path, text), columns=COLS, units=UNITS)
    assert len(df) == 3


def test_aggregate_mean(tmp_path):
    df = read_measurements(write(tmp_path, REPEATS), columns=COLS, units=UNITS, aggregate="mean")
    assert len(df) == 2
    first = df.iloc[0]  # order of first appearance
    assert first["compute_freq_mhz"] == pytest.approx(1300.5)
    assert first["latency_ms"] == pytest.approx(300.0)
    assert first["power_w"] == pytest.approx(6.0)
    assert first["energy_j"] == pytest.approx((0.4 + 1.0 + 5.4) / 3)  # mean of per-row energies
    assert df.iloc[1]["latency_ms"] == pytest.approx(500.0)


def test_aggregate_median(tmp_path):
    df = read_measurements(write(tmp_path, REPEATS), columns=COLS, units=UNITS, aggregate="median")
    assert len(df) == 2
    assert df.iloc[0]["latency_ms"] == pytest.approx(200.0)
    assert df.iloc[0]["power_w"] == pytest.approx(5.0)


# ---------------------------------------------------------------------------------------------
# Inputs are never modified

def test_file_not_modified(tmp_path):
    path = write(tmp_path, REPEATS)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    read_measurements(path, columns=COLS, units=UNITS, aggregate="mean")
    with pytest.raises(ValueError):
        read_measurements(path, columns=COLS, units=UNITS)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_dataframe_not_modified():
    src = pd.DataFrame(
        {
            "system": ["TX2", "TX2", "TX2"],
            "gpu_freq": [1300500000, 140250000, 1300500000],
            "emc_freq": [1866000000, 1866000000, 1866000000],
            "inference_time": [0.1, 0.5, 0.3],
            "power_consumption": [4000.0, 2000.0, 6000.0],
        },
        index=[7, 8, 9],
    )
    src.attrs["note"] = "mine"
    copy = src.copy(deep=True)
    df = read_measurements(src, columns=COLS, units=UNITS, aggregate="mean", constants={"dnn": "x"})
    pd.testing.assert_frame_equal(src, copy)
    assert src.attrs == {"note": "mine"}
    df.loc[0, "latency_ms"] = -1.0  # the result does not share memory with the input
    pd.testing.assert_frame_equal(src, copy)
    with pytest.raises(ValueError):
        read_measurements(src, columns=COLS, units={**UNITS, "latency_ms": "h"})
    pd.testing.assert_frame_equal(src, copy)


def test_result_values_finite(tmp_path):
    df = read_measurements(write(tmp_path, GOOD), columns=COLS, units=UNITS)
    numeric = df.select_dtypes("number").to_numpy()
    assert np.isfinite(numeric).all() and not math.isnan(numeric.sum())


def test_constant_overrides_same_named_source_column_but_not_a_mapping():
    src = pd.DataFrame({"device": ["a", "b"], "compute_freq_mhz": [1.0, 2.0], "latency_ms": [1.0, 2.0]})
    df = read_measurements(src, constants={"device": "TX2"})
    assert list(df["device"]) == ["TX2", "TX2"]
    with pytest.raises(ValueError, match="both mapped"):
        read_measurements(src, columns={"device": "device"}, constants={"device": "TX2"})


def test_none_cell_is_reported_as_empty():
    src = pd.DataFrame({"compute_freq_mhz": [1.0, None, "3"], "latency_ms": [1.0, 2.0, 3.0]}, dtype=object)
    with pytest.raises(ValueError, match=r"^DataFrame: row 2, column 'compute_freq_mhz': empty"):
        read_measurements(src)
