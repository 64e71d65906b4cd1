"""atheris fuzz target for the command line: ``--grid`` value specs, whole command lines
(``dvfskit.cli.main``) and problem files (``dvfskit.problem_file``).

Arbitrary input must end in success, a one-line ``UsageError`` / ``ProblemFileError`` /
``ValueError``, or a command-line exit code 0, 1 or 2 (2 with exactly one line on stderr and no
traceback). Run with (needs ``pip install atheris`` and an importable dvfskit)::

    PYTHONPATH=python python3 tests/fuzz/fuzz_cli.py -max_total_time=600 -timeout=20

The hypothesis counterpart, run by pytest, is tests/test_cli_properties.py.
"""
import contextlib
import io
import os
import sys
import tempfile

import atheris

import numpy as np
import pandas  # noqa: F401  (imported uninstrumented: instrumenting pandas takes minutes)

with atheris.instrument_imports(include=["dvfskit.cli", "dvfskit.problem_file", "dvfskit._data"]):
    from dvfskit import problem_file
    from dvfskit.cli import UsageError, grid_values, main

_DIR = tempfile.mkdtemp(prefix="dvfskit-fuzz-cli-")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from test_cli import PROBLEM, write_blocks  # noqa: E402  (tests/ helpers)

write_blocks(__import__("pathlib").Path(_DIR))
with open(os.path.join(_DIR, "problem.toml"), "w") as fh:
    fh.write(PROBLEM)
_TOML = os.path.join(_DIR, "fuzz.toml")
_COMMANDS = ["solve", "sweep", "schedule", "fit", "compare"]
_SOURCES = ["problem.toml", "fuzz.toml", "blocks.csv"]


def _grid(text: str) -> None:
    try:
        values = grid_values(text, "deadline_ms")
    except UsageError as err:
        assert "\n" not in str(err)
        return
    assert values.ndim == 1 and values.size >= 1 and np.all(np.isfinite(values))


def _command_line(fdp: "atheris.FuzzedDataProvider") -> None:
    command = _COMMANDS[fdp.ConsumeIntInRange(0, len(_COMMANDS) - 1)]
    source = _SOURCES[fdp.ConsumeIntInRange(0, len(_SOURCES) - 1)]
    rest = fdp.ConsumeUnicodeNoSurrogates(200).split(" ")[:12]
    stderr = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(stderr):
        try:
            code = main([command, source, *rest])
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    text = stderr.getvalue()
    assert code in (0, 1, 2) and "Traceback" not in text, (code, text)
    if code == 2:
        assert len(text.strip().splitlines()) == 1, text


def _problem_file(content: bytes) -> None:
    with open(_TOML, "wb") as fh:
        fh.write(content)
    try:
        pf = problem_file.read_problem_file(_TOML)
        pf.problem()
        pf.block_tables()
    except (ValueError, FileNotFoundError) as err:
        assert _DIR in str(err) and "\n" not in str(err).strip(), err


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    choice = fdp.ConsumeIntInRange(0, 2)
    if choice == 0:
        _grid(fdp.ConsumeUnicodeNoSurrogates(len(data)))
    elif choice == 1:
        os.chdir(_DIR)
        _command_line(fdp)
    else:
        _problem_file(PROBLEM.encode()[: fdp.ConsumeIntInRange(0, len(PROBLEM))] + fdp.ConsumeBytes(len(data)))


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
