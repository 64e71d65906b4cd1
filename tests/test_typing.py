"""The typed public API: mypy is clean and the extension's stub matches the extension."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import dvfskit
from dvfskit import _core

ROOT = Path(__file__).resolve().parents[1]


def _stub_names() -> set:
    tree = ast.parse((ROOT / "python" / "dvfskit" / "_core.pyi").read_text())
    return {node.name for node in tree.body if isinstance(node, (ast.ClassDef, ast.FunctionDef))}


def test_stub_declares_exactly_the_extension() -> None:
    public = {n for n in dir(_core) if not n.startswith("_")}
    assert _stub_names() == public


def test_py_typed_marker_is_shipped() -> None:
    assert (Path(dvfskit.__file__).parent / "py.typed").exists()


def test_mypy_is_clean() -> None:
    pytest.importorskip("mypy")
    run = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
