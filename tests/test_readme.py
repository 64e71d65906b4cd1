"""The README's Python examples run against the code and print what the README shows.

Every ```python block of README.md runs, in order, in one namespace, from a temporary folder. When
a block is followed by a plain ``` block, that block is the expected output: it must match what
the code printed, token by token, with numbers equal to 4 significant digits (the README rounds;
a change in the 4th digit means the README must be updated). The command-line examples are run
by tests/test_cli.py (test_readme_command_line_examples_run).
"""
from __future__ import annotations

import contextlib
import io
import math
import os
import re
from pathlib import Path
from typing import List, Optional, Tuple

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
_FENCE = re.compile(r"^```(\w*)\s*$")
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?%?$")


def examples() -> List[Tuple[int, str, Optional[str]]]:
    """(line, code, expected output or None) for each python block of the README."""
    lines = README.read_text(encoding="utf-8").splitlines()
    blocks: List[Tuple[int, str, str]] = []  # (line, language, text)
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        start, language = i, m.group(1)
        i += 1
        body = []
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        blocks.append((start + 1, language, "\n".join(body)))
        i += 1
    out = []
    for n, (line, language, text) in enumerate(blocks):
        if language != "python":
            continue
        following = blocks[n + 1] if n + 1 < len(blocks) else None
        expected = following[2] if following is not None and following[1] == "" else None
        out.append((line, text, expected))
    return out


def _same_token(a: str, b: str) -> bool:
    if a == b:
        return True
    if _NUMBER.match(a) and _NUMBER.match(b):
        x, y = float(a.rstrip("%")), float(b.rstrip("%"))
        return math.isclose(x, y, rel_tol=5e-4, abs_tol=1e-12) or (x == 0 and abs(y) < 5e-4) or (y == 0 and abs(x) < 5e-4)
    return False


def test_readme_has_python_examples() -> None:
    assert examples(), "README.md has no ```python block"


def test_readme_python_examples_print_what_the_readme_shows(tmp_path: Path) -> None:
    namespace: dict = {"__name__": "__readme__"}
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for line, code, expected in examples():
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                exec(compile(code, f"README.md:{line}", "exec"), namespace)  # noqa: S102 - the README's own code
            if expected is None:
                continue
            got, want = buffer.getvalue().split(), expected.split()
            mismatch = next((k for k, (g, w) in enumerate(zip(got, want)) if not _same_token(g, w)), None)
            if mismatch is None and len(got) == len(want):
                continue
            k = mismatch if mismatch is not None else min(len(got), len(want))
            pytest.fail(
                f"README.md block at line {line}: output differs at token {k} "
                f"(README {want[k] if k < len(want) else '<end>'!r}, code {got[k] if k < len(got) else '<end>'!r});\n"
                f"--- README ---\n{expected}\n--- printed ---\n{buffer.getvalue()}"
            )
    finally:
        os.chdir(cwd)
