"""Property tests (hypothesis) for the command-line argument parser and the problem-file reader:

- ``--grid`` ranges equal an exact rational reference (fractions.Fraction), value for value;
- any ``--grid`` text parses to finite numbers or raises a one-line UsageError, nothing else;
- random command lines built from the real options and wild values exit 0, 1 or 2, and 2 comes
  with exactly one line on stderr and never a traceback;
- random problem files (known and unknown sections and keys, values of every TOML type) and
  random bytes load or raise ProblemFileError/ValueError naming the file, nothing else.
The coverage-guided counterpart is tests/fuzz/fuzz_cli.py (atheris)."""
from __future__ import annotations

import contextlib
import io
import math
from fractions import Fraction
from pathlib import Path
from typing import Any, List

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dvfskit import problem_file
from dvfskit.cli import UsageError, grid_values, main

from test_cli import PROBLEM, SCHEDULE_ONLY, write_blocks

PROPS = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)


# ------------------------------------------------------------------------------- --grid values

def _decimal_text(mantissa: int, exponent: int) -> str:
    return f"{mantissa}e{exponent}" if exponent else str(mantissa)


@PROPS
@given(start=st.integers(-10**6, 10**6), span=st.integers(0, 2000), step=st.integers(1, 500),
       exponent=st.integers(-6, 3), descending=st.booleans(), stop_off=st.integers(0, 499))
def test_step_ranges_equal_the_exact_reference(start: int, span: int, step: int, exponent: int, descending: bool,
                                               stop_off: int) -> None:
    sign = -1 if descending else 1
    stop = start + sign * (span * step // 10 + stop_off % step)
    texts = [_decimal_text(v, exponent) for v in (start, stop, sign * step)]
    got = grid_values(":".join(texts), "x")
    scale = Fraction(10) ** exponent
    a, b, s = (Fraction(v) * scale for v in (start, stop, sign * step))
    count = math.floor((b - a) / s) + 1
    expected = [float(a + i * s) for i in range(count)]  # each value rounded once, as if typed
    assert got.tolist() == expected
    assert (got[-1] == float(b)) == ((b - a) % s == 0)  # STOP included exactly when on the grid


@PROPS
@given(start=st.floats(-1e6, 1e6), stop=st.floats(-1e6, 1e6), count=st.integers(2, 500), log=st.booleans())
def test_count_ranges_have_count_values_and_both_ends(start: float, stop: float, count: int, log: bool) -> None:
    if log:
        start, stop = abs(start) + 1e-3, abs(stop) + 1e-3
    got = grid_values(f"{start!r}:{stop!r}:{'g' if log else 'n'}{count}", "x")
    assert got.size == count and got[0] == pytest.approx(start, rel=1e-12) and got[-1] == pytest.approx(stop, rel=1e-12)
    steps = np.diff(np.log(got) if log else got)
    assert np.allclose(steps, steps[0], rtol=1e-6, atol=1e-9 * max(abs(start), abs(stop), 1.0))


_SPEC_TOKENS = st.sampled_from(["1", "0", "-2", "2.5", "1e3", "1e-3", ".5", "5.", "+3", "1e999", "nan", "inf", ":",
                                ",", " ", "n", "g", "n3", "g4", "x", "e", "-", "0x10", "1_0", "\t", "é", "\x00"])


_NUM = st.sampled_from(["1", "0", "-2", "2.5", "1e3", "1e-3", ".5", "5.", "+3", "700", "1e999", "nan", "x"])
_ITEM = st.one_of(_NUM, st.tuples(_NUM, _NUM, st.one_of(_NUM, st.sampled_from(["n3", "g4", "n1", "n0", "g2", "nx"])))
                  .map(":".join))
_STRUCTURED = st.lists(_ITEM, min_size=1, max_size=4).map(",".join)


@PROPS
@given(spec=st.one_of(st.text(max_size=40), st.lists(_SPEC_TOKENS, max_size=12).map("".join), _STRUCTURED))
def test_any_grid_text_parses_or_says_what_is_wrong(spec: str) -> None:
    try:
        values = grid_values(spec, "deadline_ms")
    except UsageError as err:
        message = str(err)
        assert message.startswith("--grid deadline_ms") and "\n" not in message
        event("refused")
        return
    event("parsed")
    assert values.ndim == 1 and values.size >= 1 and np.all(np.isfinite(values))


# ------------------------------------------------------------------------------- command lines

@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-props")
    write_blocks(folder)
    (folder / "problem.toml").write_text(PROBLEM)
    sched = folder / "s"
    sched.mkdir()
    write_blocks(sched, memory=False)
    (sched / "schedule.toml").write_text(SCHEDULE_ONLY)
    return folder


_VALUES = st.sampled_from(["1", "0", "-1", "30", "1e9", "nan", "inf", "abc", "", "=", ",", "a=b", "x=1,y",
                           "latency_ms=s", "compute_freq_mhz=f", "10:40:10", "1:2:-1", "5:5:n1", "1:9:g3",
                           "deadline_ms=10:30:10", "bandwidth_hz=1e5:1e7:g3", "deadline_ms=", "deadline=1",
                           "p_max_w=0.2,0.5", "energy", "latncy", "out.xlsx", "out.CSV", "missing/out.csv"])
_OPTIONS = st.sampled_from(["--deadline-ms", "--objective", "--grid", "--grid", "--json", "--out", "--resume",
                            "--switch-time-ms", "--switch-energy-j", "--idle-power-w", "--allow-outside-paths",
                            "--columns", "--units", "--by", "--keys", "--constants", "--model", "--version", "-x"])


_PAIRS = st.one_of(
    st.tuples(st.just("--deadline-ms"), st.sampled_from(["30", "40", "300", "0.01", "-1", "nan", "abc"])),
    st.tuples(st.just("--grid"), st.sampled_from(["deadline_ms=10:30:10", "bandwidth_hz=1e5:1e7:g3", "p_max_w=0.2,0.5",
                                                  "deadline_ms=1:2:-1", "deadline=1", "deadline_ms=", "gain=1e-11"])),
    st.tuples(st.just("--objective"), st.sampled_from(["energy", "latency", "edp", "latncy"])),
    st.tuples(st.just("--switch-time-ms"), st.sampled_from(["0", "0.5", "-1", "x"])),
    st.tuples(st.just("--idle-power-w"), st.sampled_from(["0", "1.5", "inf"])),
    st.tuples(st.just("--out"), st.sampled_from(["o.csv", "o.parquet", "o.xlsx", "missing/o.csv", "o.CSV"])),
    st.tuples(st.just("--columns"), st.sampled_from(["compute_freq_mhz=f,mem_freq_mhz=m,latency_ms=time", "a", "x=y"])),
    st.tuples(st.just("--units"), st.sampled_from(["latency_ms=s", "latency_ms=parsec"])),
)
_FLAGS = st.sampled_from([["--json"], ["--resume"], ["--allow-outside-paths"]])


@PROPS
@given(command=st.sampled_from(["solve", "sweep", "schedule", "fit"]),
       source=st.sampled_from(["problem.toml", "s/schedule.toml", "blocks.csv", "none.toml", "."]),
       rest=st.one_of(st.lists(st.one_of(_OPTIONS, _VALUES), max_size=8),
                      st.lists(st.one_of(_PAIRS, _FLAGS), max_size=4).map(lambda xs: [a for x in xs for a in x])))
def test_random_command_lines_exit_cleanly(files: Path, command: str, source: str, rest: List[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(files)
    stderr = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(stderr):
        try:
            code = main([command, source, *rest])
        except SystemExit as exit_:  # argparse: --help/--version (0) or a usage error (2)
            code = int(exit_.code or 0)
    lines = stderr.getvalue().strip().splitlines()
    event(f"exit {code}")
    assert code in (0, 1, 2), (code, stderr.getvalue())
    assert "Traceback" not in stderr.getvalue()
    if code == 2:
        assert len(lines) == 1 and ": error: " in lines[0], lines


# ------------------------------------------------------------------------------- problem files

def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v == math.inf else "-inf" if v == -math.inf else repr(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, list):
        return "[" + ", ".join(map(_toml_value, v)) + "]"
    return "{ " + ", ".join(f'"{k}" = {_toml_value(x)}' for k, x in v.items()) + " }"


_KEYS = sorted({k for keys in problem_file.SCHEMA.values() for k in keys}) + ["deadline", "x", "latncy"]
_SCALARS = st.one_of(st.booleans(), st.integers(-10, 10**7), st.floats(allow_nan=True),
                     st.sampled_from(["blocks.csv", "../blocks.csv", "/etc/passwd", "energy", "latncy", "mean", "s",
                                      "400x400", "tx2_offloading", "5", ""]),
                     st.text(max_size=8))
_VALUES_TOML = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.sampled_from(["latency_ms", "compute", "memory", "f"]), inner,
                                                 max_size=3)), max_leaves=8)
_SECTIONS = st.sampled_from([s for s in problem_file.SCHEMA if s] + ["scenari", "extra"])


@PROPS
@given(top=st.dictionaries(st.sampled_from(["objective", "deadline_ms", "x"]), _SCALARS, max_size=2),
       sections=st.dictionaries(_SECTIONS, st.dictionaries(st.sampled_from(_KEYS), _VALUES_TOML, max_size=6),
                                max_size=5),
       base=st.sampled_from([None, PROBLEM, SCHEDULE_ONLY]))
def test_random_problem_files_load_or_name_the_file(files: Path, top: dict, sections: dict, base: Any) -> None:
    lines = [f"{k} = {_toml_value(v)}" for k, v in top.items()]
    for name, keys in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in keys.items()]
    text = "\n".join(lines) + "\n" if base is None else base + "\n[" + "zzz" * (not sections) + "extra]\n"
    if base is not None and sections:  # a valid file with one section's keys changed
        name, keys = next(iter(sections.items()))
        text = base.replace(f"[{name}]", "[" + name + "]\n" + "\n".join(f"{k} = {_toml_value(v)}" for k, v in keys.items()))
    path = files / "random.toml"
    path.write_text(text)
    _load_cleanly(path)


@PROPS
@given(content=st.binary(max_size=300))
def test_random_bytes_as_a_problem_file(files: Path, content: bytes) -> None:
    path = files / "bytes.toml"
    path.write_bytes(content)
    _load_cleanly(path)


def _load_cleanly(path: Path) -> None:
    try:
        pf = problem_file.read_problem_file(path)
    except ValueError as err:  # ProblemFileError is one
        assert str(path) in str(err) and "\n" not in str(err).strip()
        event("refused when read")
        return
    for build in (pf.problem, pf.block_tables):
        try:
            build()
            event(f"{build.__name__} built")
        except (ValueError, FileNotFoundError) as err:
            assert str(path.parent) in str(err) or str(path) in str(err), err
            event(f"{build.__name__} refused")
