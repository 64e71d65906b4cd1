"""The package surface: submodules reachable after a bare ``import dvfskit`` (imported on first
use, so ``import dvfskit`` stays light: no matplotlib)."""
from __future__ import annotations

import subprocess
import sys

import cli_command

SCRIPT = """
import sys
import dvfskit
assert "matplotlib" not in sys.modules, "import dvfskit imported matplotlib"
lazy = ("plots", "examples", "workloads", "problem_file", "demo", "cli")
assert not [m for m in lazy if "dvfskit." + m in sys.modules], [m for m in lazy if "dvfskit." + m in sys.modules]
assert set(lazy) <= set(dir(dvfskit))
assert callable(dvfskit.plots.schedule) and callable(dvfskit.examples.tx2_offloading_problem)
assert callable(dvfskit.workloads.xception) and callable(dvfskit.problem_file.read_problem_file)
assert dvfskit.plots is sys.modules["dvfskit.plots"]
try:
    dvfskit.no_such_thing
except AttributeError as err:
    assert "no_such_thing" in str(err)
else:
    raise AssertionError("no AttributeError")
assert callable(dvfskit.read_sweep) and "read_sweep" in dvfskit.__all__
print("ok")
"""


def test_submodules_are_reachable_lazily() -> None:
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300,
                          env=cli_command.env())
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr
