"""The installed ``dvfskit`` console script, for the command-line tests.

The tests run the command a user types, not only ``python -m dvfskit``. Where it comes from:

1. installed (``make test`` pip-installs the package): the ``dvfskit`` script in this
   interpreter's scripts folder or on PATH, used when it runs the dvfskit under test (its
   interpreter imports the same ``dvfskit/__init__.py``);
2. else (a developer's tree on PYTHONPATH, nothing installed): a throw-away virtualenv
   (``--system-site-packages``) into which pip installs a tiny project holding nothing but this
   repository's ``[project.scripts]`` table from pyproject.toml, so pip writes the same console
   script a real install would, and it imports the dvfskit under test through PYTHONPATH.

Either way a missing or broken ``[project.scripts]`` entry fails the tests.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Dict, List, Optional

import dvfskit
from child_process import child_env

REPO = Path(__file__).resolve().parent.parent
PACKAGE = Path(dvfskit.__file__).resolve()


def env() -> Dict[str, str]:
    """The environment for the command: PYTHONPATH leads to the dvfskit under test."""
    return child_env()


def _runs_package_under_test(script: Path) -> bool:
    try:
        first = script.read_bytes()[:512].split(b"\n", 1)[0].decode()
    except (OSError, UnicodeDecodeError):
        return False
    if not first.startswith("#!") or "python" not in first:
        return False
    interpreter = first[2:].strip().split()
    probe = subprocess.run(interpreter + ["-c", "import dvfskit, os; print(os.path.realpath(dvfskit.__file__))"],
                           capture_output=True, text=True, env=env(), timeout=120)
    return probe.returncode == 0 and Path(probe.stdout.strip()) == PACKAGE


def _declared_scripts() -> str:
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib  # type: ignore[no-redef]

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text()).get("project", {}).get("scripts", {})
    assert "dvfskit" in scripts, "pyproject.toml declares no [project.scripts] dvfskit entry point"
    return "".join(f'{name} = "{target}"\n' for name, target in scripts.items())


def _shim(folder: Path) -> Path:
    project = folder / "shim"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "dvfskit-console-script-under-test"\nversion = "0"\n\n'
        f"[project.scripts]\n{_declared_scripts()}\n[tool.setuptools]\npy-modules = []\n")
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True,
                   timeout=300)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--no-index", str(project)], check=True, timeout=600, capture_output=True)
    script = python.parent / "dvfskit"
    assert script.exists(), f"pip wrote no dvfskit script into {python.parent}"
    return script


def find(tmp: Path) -> List[str]:
    """The argv prefix that runs the installed ``dvfskit`` command."""
    candidates: List[Optional[str]] = [str(Path(sysconfig.get_path("scripts")) / "dvfskit"), shutil.which("dvfskit")]
    for c in candidates:
        if c and Path(c).is_file() and _runs_package_under_test(Path(c)):
            _declared_scripts()  # the installed script must also be what pyproject declares
            return [c]
    script = _shim(tmp)
    assert _runs_package_under_test(script), f"{script} does not run the dvfskit under test ({PACKAGE})"
    return [str(script)]
