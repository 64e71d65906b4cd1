"""Short fuzz runs (part of the normal tests): arbitrary text through ``dvfskit.Model`` and
arbitrary bytes/CSV-like text through ``dvfskit.read_measurements`` must end in a clean
exception (ExpressionError / ValueError / TypeError), never a crash, a hang or another error.
The longer, coverage-guided runs are ``make fuzz`` (libFuzzer, C++ parser) and
``make fuzz-python`` (atheris)."""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dvfskit

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), database=None)
SHORT = settings(FUZZ, max_examples=50)

_TOKENS = st.sampled_from(
    ["f", "m", "a", "b", "c", "pi", "x1", "_", "(", ")", ",", "+", "-", "*", "**", "/", "^", " ", ".", "e",
     "1", "0", "2.5", "1e308", "1e-320", "1e999", "exp(", "log(", "log10(", "sqrt(", "abs(", "sin(", "min(",
     "max(", "pow(", "tanh(", "atan(", "arctan(", "foo(", "\n", "\t", "é", "\x00", "#", "α", "β_2", "×", "₁",
     "·", "\u00a0", "\ud800", "日本"]
)
_EXPRESSIONS = st.one_of(st.text(max_size=200), st.lists(_TOKENS, max_size=40).map("".join))


@FUZZ
@given(text=_EXPRESSIONS, explicit=st.booleans())
def test_model_parses_or_raises_cleanly(text: str, explicit: bool) -> None:
    try:
        model = dvfskit.Model(text, ["f", "m"], ["a", "b"] if explicit else None)
    except (dvfskit.ExpressionError, ValueError):
        return
    # Parsed: evaluation is a plain float array (values may be NaN/inf for a wild expression).
    out = model.evaluate({"f": np.array([1.5, 900.0]), "m": np.array([2.0, 1600.0])},
                         np.full(len(model.parameters), 0.5))
    assert out.shape == (2,) and out.dtype == np.float64


def _read(tmp_path, content: bytes, **kwargs):  # type: ignore[no-untyped-def]
    path = tmp_path / "fuzz.csv"
    path.write_bytes(content)
    try:
        df = dvfskit.read_measurements(path, **kwargs)
    except ValueError as err:  # includes pandas' ParserError
        assert "fuzz.csv" in str(err)  # names the source
        return None
    finally:
        assert path.read_bytes() == content  # the file is never modified
    assert len(df) > 0
    for col in ("compute_freq_mhz", "latency_ms"):
        assert np.all(np.isfinite(df[col].to_numpy(dtype=float))) and np.all(df[col] > 0)
    return df


@FUZZ
@given(content=st.binary(max_size=400))
def test_read_measurements_arbitrary_bytes(tmp_path_factory, content: bytes) -> None:  # type: ignore[no-untyped-def]
    _read(tmp_path_factory.mktemp("b"), content)


_CELLS = st.one_of(
    st.sampled_from(["", " ", "1e308", "1.7e308", "nan", "NaN", "inf", "-inf", "1e309", "-1", "0", "1e-300", "1e300", "abc",
                     '"1,5"', '"', "'", "1.5", "7", "0x10", "True", "None", "\x00", "é", "1_000", "  3 "]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**30, 10**30).map(str),
)
_SEPS = st.sampled_from([",", ",", ",", ";", "\t", ",,"])
_HEADERS = st.sampled_from([
    "compute_freq_mhz,latency_ms", "compute_freq_mhz,latency_ms,power_w", "compute_freq_mhz,mem_freq_mhz,latency_ms,energy_j",
    "device,compute_freq_mhz,latency_ms", "compute_freq_mhz", "latency_ms,compute_freq_mhz,compute_freq_mhz", "",
])


@FUZZ
@given(header=_HEADERS, rows=st.lists(st.lists(_CELLS, max_size=5), max_size=8), sep=_SEPS,
       aggregate=st.sampled_from([None, "mean", "median"]), freq_unit=st.sampled_from(["Hz", "GHz", "MHz"]))
def test_read_measurements_csv_like_text(tmp_path_factory, header, rows, sep, aggregate, freq_unit) -> None:  # type: ignore[no-untyped-def]
    text = "\n".join([header] + [sep.join(r) for r in rows]) + "\n"
    kwargs = {"aggregate": aggregate}
    if "compute_freq_mhz" in header:
        kwargs["units"] = {"compute_freq_mhz": freq_unit}
    df = _read(tmp_path_factory.mktemp("t"), text.encode("utf-8"), **kwargs)
    if df is not None:  # every measured or converted value is finite (no silent overflow)
        for col in df.columns:
            if col.endswith(("_mhz", "_ms", "_w", "_j")):
                assert np.all(np.isfinite(df[col].to_numpy(dtype=float))), col


# ---------------------------------------------------------------------------------------------
# Row numbers: a bad cell is reported at the line a text editor shows, whatever lies before it.

_LINES = st.sampled_from(["data", "data", "data", "blank", "comment", "quoted", "quoted_comma", "padding"])


@SHORT
@given(kinds=st.lists(_LINES, max_size=12), eol=st.sampled_from(["\n", "\r\n"]), preamble=st.integers(0, 2),
       comment=st.booleans(), sep=st.sampled_from([",", ";", "\t"]))
def test_error_rows_are_editor_lines(tmp_path_factory, kinds, eol, preamble, comment, sep) -> None:  # type: ignore[no-untyped-def]
    lines = [f"junk {i}" for i in range(preamble)] + [sep.join(["note", "compute_freq_mhz", "latency_ms"])]
    freq = 100
    for kind in kinds:
        freq += 1
        if kind == "data":
            lines.append(sep.join(["x", str(freq), "1.5"]))
        elif kind == "blank":
            lines.append("")
        elif kind == "comment" and comment:
            lines.append('# a comment with "quote')
        elif kind == "quoted":
            lines.append(sep.join(['"two\nlines ""q"""', str(freq), "2"]))
        elif kind == "quoted_comma":
            lines.append(sep.join([f'"a{sep}b\n\nc"', str(freq), "3"]))
    bad_line = sum(line.count("\n") + 1 for line in lines) + 1
    lines.append(sep.join(["x", str(freq + 1), "oops"]))
    if "padding" in kinds:
        lines.append(sep * 2)
    text = "\n".join(lines).replace("\n", eol) + eol
    path = tmp_path_factory.mktemp("l") / "m.csv"
    path.write_bytes(text.encode())
    kwargs = {"sep": sep, "keys": ["note"], "skiprows": preamble or None}
    if comment:
        kwargs["comment"] = "#"
    try:
        dvfskit.read_measurements(path, **kwargs)
    except ValueError as err:
        assert str(err).startswith(f"{path}: row {bad_line}, column 'latency_ms': 'oops'"), (text, str(err))
    else:
        raise AssertionError("the bad cell was not reported")


# ---------------------------------------------------------------------------------------------
# Repeats: the vectorised check agrees with a row-by-row one.

@SHORT
@given(rows=st.lists(st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 2), st.sampled_from([100.0, 200.0]),
                               st.sampled_from([1.0, 1.0, 1.0, 2.0]), st.integers(0, 1)), min_size=1, max_size=30),
       aggregate=st.sampled_from([None, "mean"]))
def test_repeats_agree_with_a_row_by_row_check(rows, aggregate) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    src = pd.DataFrame(rows, columns=["dnn", "block", "compute_freq_mhz", "latency_ms", "extra"])
    ident = ["dnn", "block", "compute_freq_mhz"]
    first = {}
    conflict = differs = None
    for pos, row in enumerate(src.itertuples(index=False)):
        key = (row.dnn, row.block, row.compute_freq_mhz)
        if key not in first:
            first[key] = pos
            continue
        j = first[key]
        if conflict is None and src["latency_ms"].iat[j] != row.latency_ms:
            conflict = pos
        if differs is None and src["extra"].iat[j] != row.extra:
            differs = pos
    try:
        df = dvfskit.read_measurements(src, aggregate=aggregate)
    except ValueError as err:
        msg = str(err)
        assert differs is not None or (aggregate is None and conflict is not None), msg
        if differs is not None:
            assert "['extra']" in msg
        if aggregate is None and conflict is not None:
            assert msg.startswith(f"DataFrame: row {conflict + 1}, column 'latency_ms'"), msg
        return
    assert differs is None and (aggregate is not None or conflict is None)
    expected = src.groupby(ident, sort=False)["latency_ms"].mean().reset_index()
    assert df[ident + ["latency_ms"]].to_dict("list") == expected.to_dict("list")
