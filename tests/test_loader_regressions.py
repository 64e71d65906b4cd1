"""Regression tests for the expression parser and the loader (issue 15 items 6-9 and 12-16,
issue 14 items 4-7): each failed before its fix."""
from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

import dvfskit

ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------------------------------------
# Expression parser (issue 15, items 6-9)


def test_unicode_names_parse_and_fit() -> None:
    model = dvfskit.Model("α*f + β", ["f"])
    assert model.parameters == ("α", "β")
    f = np.linspace(100.0, 1000.0, 12)
    fit = dvfskit.fit(model, {"f": f, "y": 2.5 * f + 7.0}, "y")
    assert fit.params["α"] == pytest.approx(2.5, rel=1e-9)
    assert fit.params["β"] == pytest.approx(7.0, rel=1e-6)


@pytest.mark.parametrize(
    "text, position, fragment",
    [
        ("α*f + $", 6, "unexpected '$'"),
        ("αβγ × f", 4, "unexpected '×' (U+00D7)"),
        ("x₁ + f", 1, "U+2081"),  # subscript digits are not identifier characters (as in Python)
        ("日本 + 2α", 5, "cannot start with a digit"),
        ("a*\ud800 + b", 2, "lone surrogate U+D800"),
    ],
)
def test_unicode_errors_are_expression_errors_with_character_carets(text: str, position: int, fragment: str) -> None:
    with pytest.raises(dvfskit.ExpressionError) as info:
        dvfskit.Model(text, ["f"])
    message = str(info.value)
    assert fragment in message and f"at position {position}" in message
    shown, caret = message.splitlines()[-2:]
    assert caret.index("^") - 2 == position and len(shown) - 2 == len(text)  # aligned by character


def _identifier_ranges(ok):  # type: ignore[no-untyped-def]
    """Boundaries of the code point ranges where ``ok`` holds (computed from Python itself)."""
    points = []
    previous = False
    for cp in range(0x80, sys.maxunicode + 1):
        now = ok(chr(cp))
        if now != previous:
            points += [cp - 1, cp]
        previous = now
    return points


def test_identifier_rules_match_str_isidentifier() -> None:
    inc = (ROOT / "cpp" / "src" / "unicode_identifier.inc").read_text()
    version = re.search(r"Unicode (\d+\.\d+\.\d+)", inc).group(1)  # type: ignore[union-attr]
    if version != unicodedata.unidata_version:
        pytest.skip(f"tables from Unicode {version}, this Python has {unicodedata.unidata_version}")
    rng = np.random.default_rng(0)
    sample = rng.integers(0x80, sys.maxunicode + 1, 3000).tolist()
    for label, ok, template in (
        ("start", lambda c: c.isidentifier(), "{c}"),
        ("continue", lambda c: ("a" + c).isidentifier(), "a{c}"),
    ):
        for cp in sorted(set(_identifier_ranges(ok) + sample)):
            c = chr(cp)
            if 0xD800 <= cp <= 0xDFFF:
                continue
            name = template.format(c=c)
            try:
                accepted = dvfskit.Model(f"{name} * f", ["f"]).parameters == (name,)
            except dvfskit.ExpressionError:
                accepted = False
            assert accepted == name.isidentifier(), (label, hex(cp), unicodedata.name(c, "?"))


def test_flat_sum_of_400_terms_is_not_nesting() -> None:
    text = " + ".join(f"a{i}*f" for i in range(400))
    model = dvfskit.Model(text, ["f"])
    assert len(model.parameters) == 400
    out = model.evaluate({"f": np.array([2.0])}, np.arange(400.0))
    assert out[0] == pytest.approx(2.0 * np.arange(400.0).sum())
    with pytest.raises(dvfskit.ExpressionError, match="nested too deeply"):
        dvfskit.Model("(" * 1000 + "f" + ")" * 1000, ["f"])


def test_nul_byte_gives_the_full_message() -> None:
    with pytest.raises(dvfskit.ExpressionError) as info:
        dvfskit.Model("a*f\x00 + b", ["f"])
    message = str(info.value)
    assert "NUL character" in message and "at position 3" in message
    assert "a*f\u2400 + b" in message  # the whole text, after the NUL too


def test_device_model_may_leave_out_an_input() -> None:
    """The Device docstring's own example: a power model that does not use m."""
    co = {"W": [120.0, 80.0], "M": [300.0, 500.0], "p0": [0.4, 0.6], "k": [2e-6, 1e-6]}
    dev = dvfskit.Device("W / f + M / m", "p0 + k * f**2", co, (100, 1000), (200, 3200))
    # the same problem written with an explicit zero coefficient on m
    ref = dvfskit.Device("W / f + M / m", "p0 + k * f**2 + q * m", {**co, "q": [0.0, 0.0]}, (100, 1000), (200, 3200))
    args = (dvfskit.Channel(1e6, 1e-7, 1e-17, 1.0), dvfskit.Server([0.5, 0.2, 0.0]), [2e5, 1e5, 0.0], 2.0)
    a = dvfskit.solve(dvfskit.Problem.from_models(dev, *args))
    b = dvfskit.solve(dvfskit.Problem.from_models(ref, *args))
    assert a.feasible and a.energy_j == pytest.approx(b.energy_j, rel=1e-6)
    # fits keep the typo check on an explicit parameter list
    with pytest.raises(dvfskit.ExpressionError, match="parameter 'b' does not appear"):
        dvfskit.Model("a * f", ["f"], ["a", "b"])


# ---------------------------------------------------------------------------------------------
# Loader (issue 15, items 12-16)

import os  # noqa: E402
import subprocess  # noqa: E402

import pandas as pd  # noqa: E402

from dvfskit import read_measurements  # noqa: E402
from dvfskit import _measurements  # noqa: E402
from child_process import child_env


def _write(tmp_path: Path, text: str, name: str = "m.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _error(source, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError) as info:
        read_measurements(source, **kwargs)
    return str(info.value)


def test_duplicated_header_names_the_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "compute_freq_mhz,latency_ms,latency_ms\n100,1,2\n200,2,3\n")
    msg = _error(path)
    assert str(path) in msg and "'latency_ms' appears 2 times in the header" in msg
    mapped = _write(tmp_path, "f,t,t,t\n100,1,2,3\n200,2,3,4\n", "mapped.csv")
    assert "'t' appears 3 times" in _error(mapped, columns={"compute_freq_mhz": "f", "latency_ms": "t"})
    # a duplicated column that is not used does not matter; a real header "x.1" is not a copy
    ok = _write(tmp_path, "compute_freq_mhz,latency_ms,x,x,latency_ms.1\n100,1,2,3,4\n", "ok.csv")
    assert list(read_measurements(ok)["latency_ms"]) == [1.0]
    real = _write(tmp_path, "compute_freq_mhz,latency_ms.1,latency_ms\n100,1,2\n", "real.csv")
    assert list(read_measurements(real, columns={"power_w": "latency_ms.1"})["latency_ms"]) == [2.0]
    frame = pd.DataFrame([[100.0, 1.0, 2.0]], columns=["compute_freq_mhz", "latency_ms", "latency_ms"])
    assert "'latency_ms' appears 2 times" in _error(frame)


def test_empty_row_between_data_rows_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "compute_freq_mhz,latency_ms\n100,1\n,\n200,2\n")
    msg = _error(path)
    assert f"{path}: row 3:" in msg and "every cell is empty" in msg
    # blank lines are skipped as read_csv does; separator-only rows after the data are padding
    padded = _write(tmp_path, "compute_freq_mhz,latency_ms\n100,1\n\n200,2\n,\n,\n\n", "padded.csv")
    assert list(read_measurements(padded)["latency_ms"]) == [1.0, 2.0]
    # with skip_blank_lines=False a blank line is an empty row too
    blank = _write(tmp_path, "compute_freq_mhz,latency_ms\n100,1\n\n200,2\n", "blank.csv")
    assert "row 3:" in _error(blank, skip_blank_lines=False)


def _bad_line(text: str) -> int:
    """Editor line (1-based) of the cell 'oops' in ``text``."""
    return text[: text.index("oops")].count("\n") + 1


HEADER = "note,compute_freq_mhz,latency_ms\n"
LINE_CASES = {
    "quoted multi-line field": (HEADER + '"a\nb\nc",100,1\nx,200,oops\n', {}),
    "quoted field with doubled quotes": (HEADER + '"say ""hi""\n",100,1\nx,200,oops\n', {}),
    "skiprows": ("produced by tool\nversion 2\n" + HEADER + "x,100,1\nx,200,oops\n", {"skiprows": 2}),
    "skiprows list": ("junk\n" + HEADER + "x,100,1\nx,150,2\nx,200,oops\n", {"skiprows": [0, 3]}),
    "comment lines": ("# header comment\n" + HEADER + "x,100,1\n# between\nx,200,oops# trailing\n", {"comment": "#"}),
    "comment after skiprows": ("junk\n# c\n" + HEADER + "x,100,1\n#\nx,200,oops\n", {"skiprows": 1, "comment": "#"}),
    "blank lines": ("\n" + HEADER + "x,100,1\n\n\nx,200,oops\n", {}),
    "header=1": ("title line\n" + HEADER + "x,100,1\nx,200,oops\n", {"header": 1}),
    "CRLF line ends": ((HEADER + '"a\nb",100,1\nx,200,oops\n').replace("\n", "\r\n"), {}),
    "semicolons, quoted separator": ('note;compute_freq_mhz;latency_ms\n"a;\nb";100;1\nx;200;oops\n', {"sep": ";"}),
    "UTF-16": (HEADER + '"é\nè",100,1\nx,200,oops\n', {"encoding": "utf-16"}),
    "gzip": (HEADER + '"a\nb",100,1\nx,200,oops\n', {"compression": "gzip"}),
}


@pytest.mark.parametrize("case", list(LINE_CASES))
def test_rows_are_editor_lines(tmp_path: Path, case: str) -> None:
    text, kwargs = LINE_CASES[case]
    if kwargs.get("compression") == "gzip":
        import gzip

        path = tmp_path / "m.csv.gz"
        path.write_bytes(gzip.compress(text.encode()))
        kwargs = {}
    else:
        path = _write(tmp_path, text, encoding=kwargs.get("encoding", "utf-8"))
    msg = _error(path, keys=["note"], **kwargs)
    assert msg.startswith(f"{path}: row {_bad_line(text)}, column 'latency_ms': 'oops' is not a number"), msg


def test_unmodelled_read_csv_options_report_data_row_positions(tmp_path: Path) -> None:
    path = _write(tmp_path, "compute_freq_mhz  latency_ms\n100   1\n200   oops\n")
    assert _error(path, sep=r"\s+").startswith(f"{path}: data row 2, column 'latency_ms'")


def test_fifo_and_devices_are_rejected_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    code = ("import dvfskit\ntry:\n    dvfskit.read_measurements(%r)\nexcept ValueError as e:\n    print(e)\n" % str(fifo))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env=child_env())
    assert f"{fifo}: is a FIFO (named pipe), not a regular file" in run.stdout, run.stdout + run.stderr
    assert "is a character device" in _error("/dev/null")


def test_unreadable_file_is_a_value_error_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "compute_freq_mhz,latency_ms\n100,1\n")

    def denied(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(_measurements, "open", denied, raising=False)
    assert _error(path) == f"{path}: cannot be read (Permission denied)"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file_for_real(tmp_path: Path) -> None:
    path = _write(tmp_path, "compute_freq_mhz,latency_ms\n100,1\n")
    path.chmod(0)
    assert _error(path) == f"{path}: cannot be read (Permission denied)"


def _reference_repeats(df: pd.DataFrame, ident, measured):  # type: ignore[no-untyped-def]
    """Row by row, as the old loop did: (first conflicting row, its column) or the deduplicated table."""
    first = {}
    for pos in range(len(df)):
        key = tuple(df.iloc[pos][ident])
        if key in first:
            for col in measured:
                if df[col].iat[first[key]] != df[col].iat[pos]:
                    return pos, col
        else:
            first[key] = pos
    return df.iloc[sorted(first.values())].reset_index(drop=True)


@pytest.mark.parametrize("seed", range(6))
def test_vectorised_repeats_agree_with_a_row_by_row_check(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    src = pd.DataFrame({
        "dnn": rng.choice(["a", "b"], n),
        "block": rng.integers(0, 3, n),
        "compute_freq_mhz": rng.choice([100.0, 200.0, 300.0], n),
        "latency_ms": rng.choice([1.0, 2.0], n, p=[0.995, 0.005] if seed % 2 else [1.0, 0.0]),
    })
    src["power_w"] = src["latency_ms"] * 2
    expected = _reference_repeats(src, ["dnn", "block", "compute_freq_mhz"], ["latency_ms", "power_w"])
    if isinstance(expected, tuple):
        pos, col = expected
        msg = _error(src)
        assert msg.startswith(f"DataFrame: row {pos + 1}, column {col!r}: repeats row "), msg
    else:
        pd.testing.assert_frame_equal(read_measurements(src)[list(expected.columns)], expected, check_dtype=False)
    mean = read_measurements(src, aggregate="mean")
    ref = src.groupby(["dnn", "block", "compute_freq_mhz"], sort=False).mean().reset_index()
    pd.testing.assert_frame_equal(mean[ref.columns.tolist()], ref, check_dtype=False)


# ---------------------------------------------------------------------------------------------
# Loader (issue 14, items 4-7)

TX2 = ROOT / "data" / "tx2-xception" / "tx2_sampled_output_xception_200x200.csv"


@pytest.mark.parametrize(
    "column, values, units, likely",
    [
        ("mem_freq_mhz", [1866000000.0, 1062400000.0], {}, "Hz"),  # the README's trap: Hz, no unit
        ("compute_freq_mhz", [1300500.0, 140250.0], {}, "kHz"),
        ("compute_freq_mhz", [0.9435, 0.14025], {}, "GHz"),
        ("compute_freq_mhz", [1300.5, 140.25], {"compute_freq_mhz": "Hz"}, "MHz"),  # a wrong unit
        ("latency_ms", [2.0e10, 9.0e9], {}, "us"),
        ("power_w", [4.0e6, 2.5e6], {}, "mW"),
    ],
)
def test_implausible_magnitudes_name_column_and_likely_unit(column, values, units, likely) -> None:  # type: ignore[no-untyped-def]
    data = {"compute_freq_mhz": [1300.5, 140.25], "mem_freq_mhz": [1866.0, 1062.4], "latency_ms": [150.0, 600.0],
            "power_w": [4.0, 2.5]}
    data[column] = values
    src = pd.DataFrame(data).rename(columns={column: "raw"})
    msg = _error(src, columns={column: "raw"}, units=units)
    assert msg.startswith("DataFrame: row 1, column 'raw'") and "implausible" in msg, msg
    assert f"pass units={{{column!r}: {likely!r}}}" in msg
    fixed = read_measurements(src, columns={column: "raw"}, units={**units, column: likely})
    assert np.all(np.isfinite(fixed[column]))


def test_readme_cli_fit_example_gives_every_frequency_unit() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Command line"):]
    fit = section[section.index("dvfskit fit"):section.index("dvfskit solve")]
    mapped = dict(p.split("=") for p in re.search(r"--columns (\S+)", fit).group(1).split(","))  # type: ignore[union-attr]
    units = dict(p.split("=") for p in re.search(r"--units (\S+)", fit).group(1).split(","))  # type: ignore[union-attr]
    for out in mapped:
        if out.endswith("_mhz"):
            assert out in units, f"README fit example maps {out} without a unit"


def test_unselected_columns_that_differ_are_named_and_not_averaged() -> None:
    """The issue's trap: a CPU frequency and core masks not selected (768 rows read as 16)."""
    cols = {"compute_freq_mhz": "gpu_freq", "mem_freq_mhz": "emc_freq", "latency_ms": "inference_time"}
    units = {"compute_freq_mhz": "Hz", "mem_freq_mhz": "Hz", "latency_ms": "s"}
    for aggregate in (None, "mean"):
        msg = _error(TX2, columns=cols, units=units, aggregate=aggregate)
        assert "keys? ['core1_status', 'core2_status', 'core3_status', 'core_freq']" in msg, msg
        assert "measured values? ['power_consumption']" in msg
        assert "np.float64" not in msg and "np." not in msg
    cores = ["core0_status", "core1_status", "core2_status", "core3_status", "core_freq"]
    df = read_measurements(TX2, columns=cols, units=units, keys=cores)
    assert len(df) == 768
    # true repeats: ignoring the row ids, averaging over the unselected columns is what the user asks
    merged = read_measurements(TX2, columns=cols, units=units, aggregate="mean",
                               ignore=["Unnamed: 0", "config_name", "power_consumption", *cores])
    assert len(merged) == 16


@pytest.mark.parametrize("aggregate", [None, "mean", "median"])
def test_unselected_stage_column_in_a_dataframe(aggregate) -> None:  # type: ignore[no-untyped-def]
    src = pd.DataFrame({"stage": [0, 1, 0, 1], "compute_freq_mhz": [100.0, 100.0, 200.0, 200.0],
                        "latency_ms": [5.0, 5.0, 3.0, 3.0]})  # stages with equal values: not repeats
    msg = _error(src, aggregate=aggregate)
    assert "keys? ['stage']" in msg and "'stage' is 1 in row 2 but 0 in row 1" in msg
    df = read_measurements(src, keys=["stage"], aggregate=aggregate)
    assert len(df) == 4 and list(df.columns) == ["stage", "compute_freq_mhz", "latency_ms"]
    # unselected DataFrame columns are dropped (documented), not kept as keys
    same = src.assign(stage=0, run=[1, 2, 3, 4])
    if aggregate is None:
        assert "row ids (a different value in every row)? ['run']" in _error(same.iloc[[0, 1]])
    kept = read_measurements(same, aggregate=aggregate or "mean", ignore=["run"])
    assert list(kept.columns) == ["compute_freq_mhz", "latency_ms"] and len(kept) == 2


def test_conflict_message_prints_numbers_plainly() -> None:
    src = pd.DataFrame({"compute_freq_mhz": [100.0, 100.0], "latency_ms": [0.2, 0.30000000000000004]})
    msg = _error(src)
    assert "(0.30000000000000004 vs 0.2)" in msg and "pass aggregate='mean' or 'median'" in msg


def test_power_only_data_loads_and_fits(tmp_path: Path) -> None:
    f = np.array([300.0, 500.0, 700.0, 900.0, 1100.0, 1300.0])
    p = 1.5 + 2.0 * (f / 1000) ** 2.5
    text = "gpu_freq,power,temp\n" + "".join(f"{a * 1e6:.0f},{float(b) * 1e3!r},{40 + i}\n" for i, (a, b) in enumerate(zip(f, p)))
    df = read_measurements(_write(tmp_path, text), columns={"compute_freq_mhz": "gpu_freq", "power_w": "power"},
                           units={"compute_freq_mhz": "Hz", "power_w": "mW"}, values=["temp"])
    assert list(df.columns) == ["compute_freq_mhz", "power_w", "temp"]
    assert df.attrs["keys"] == ["compute_freq_mhz"] and df.attrs["measured"] == ["power_w", "temp"]
    fit = dvfskit.fit("cmos_compute", df, "power_w")
    assert fit.params["Ps"] == pytest.approx(1.5, rel=1e-6) and fit.params["alpha"] == pytest.approx(2.5, rel=1e-6)


def test_values_are_carried_through_aggregation() -> None:
    src = pd.DataFrame({"compute_freq_mhz": [100.0, 100.0, 200.0], "latency_ms": [1.0, 3.0, 2.0],
                        "gpu_temp": [40.0, 50.0, 45.0], "util": ["10", "30", "20"]})
    df = read_measurements(src, aggregate="mean", values=["gpu_temp", "util"])
    assert list(df["gpu_temp"]) == [45.0, 45.0] and list(df["util"]) == [20.0, 20.0]
    assert list(df["latency_ms"]) == [2.0, 2.0]
    # without aggregate a measured value that differs between repeats is a conflict
    msg = _error(src.iloc[[0, 1]].assign(latency_ms=1.0), values=["gpu_temp"])
    assert "column 'gpu_temp'" in msg and "(50.0 vs 40.0)" in msg
    renamed = read_measurements(src, columns={"temp_c": "gpu_temp"}, values=["temp_c"], aggregate="median",
                                ignore=["util"])
    assert list(renamed.columns) == ["compute_freq_mhz", "latency_ms", "temp_c"]
    assert "'bad' is not a number" in _error(src.assign(util=["1", "bad", "2"]), values=["util"])
    assert "'util' takes no unit" in _error(src, values=["util"], units={"util": "W"})
    watts = read_measurements(src.assign(util=[1000.0, 2000.0, 3000.0]), columns={"util_w": "util"},
                              values=["util_w"], units={"util_w": "mW"}, aggregate="mean", ignore=["gpu_temp"])
    assert list(watts["util_w"]) == [1.5, 3.0]


def test_list_of_files_and_glob_pattern(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    paths = []
    for size, work in (("200", 1e4), ("400", 4e4)):
        rows = "".join(f"{f},{float(work / f)!r}\n" for f in (100.0, 200.0, 400.0))
        paths.append(_write(tmp_path, "compute_freq_mhz,latency_ms\n" + rows, f"runs/xception_{size}.csv"))
    df = read_measurements(str(tmp_path / "runs" / "xception_*.csv"))
    assert list(df.columns) == ["file", "compute_freq_mhz", "latency_ms"] and len(df) == 6
    assert list(df["file"].unique()) == [str(p) for p in paths]
    assert df.attrs["keys"] == ["file", "compute_freq_mhz"]
    same = read_measurements(paths)
    pd.testing.assert_frame_equal(df, same)
    fits = dvfskit.fit("cpu_dvfs", df, "latency_ms", by="file")
    assert fits[str(paths[1])].params["W"] == pytest.approx(40.0, rel=1e-9)  # t = W / f, f in GHz
    # errors name the right file, row and column
    bad = _write(tmp_path, "compute_freq_mhz,latency_ms\n100,1\n200,oops\n", "runs/xception_600.csv")
    msg = _error([paths[0], bad])
    assert msg.startswith(f"{bad}: row 3, column 'latency_ms'")
    other = _write(tmp_path, "compute_freq_mhz,latency_ms,power_w\n100,1,2\n", "other.csv")
    assert f"{other}: loads the columns" in _error([paths[0], other])
    assert "no file matches" in _error(str(tmp_path / "nothing_*.csv"))
    assert "listed twice" in _error([paths[0], paths[0]])
    assert "'file' is the key column" in _error(paths, constants={"file": "x"})
    with pytest.raises(TypeError):
        read_measurements([pd.DataFrame({"compute_freq_mhz": [1.0], "latency_ms": [1.0]})])
