"""The package version, single-sourced from ``pyproject.toml`` (``[project] version``).

An installed dvfskit reads it from its distribution metadata. A checkout imported in place
(``PYTHONPATH=python`` after a plain CMake build, or an editable install) reads the checkout's
``pyproject.toml`` instead, so that the version of another dvfskit installed in the same
environment never leaks in.
"""
from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path
from typing import Optional

_PACKAGE = Path(__file__).resolve().parent
_PROJECT_VERSION = re.compile(r'^\[project\]\s*$(?:(?!^\[).)*?^version\s*=\s*"([^"]+)"', re.M | re.S)


def _installed_version() -> Optional[str]:
    """The metadata version of the installed distribution that holds this very file, if any."""
    try:
        dist = metadata.distribution("dvfskit")
    except metadata.PackageNotFoundError:
        return None
    located = Path(str(dist.locate_file("dvfskit/__init__.py")))
    if located.is_file() and located.resolve() == _PACKAGE / "__init__.py":
        return dist.version
    return None


def _checkout_version() -> Optional[str]:
    """``[project] version`` of the checkout's ``pyproject.toml`` (python/dvfskit -> ../..)."""
    pyproject = _PACKAGE.parents[1] / "pyproject.toml"
    try:
        match = _PROJECT_VERSION.search(pyproject.read_text(encoding="utf-8"))
    except OSError:
        return None
    return match.group(1) if match else None


__version__: str = _installed_version() or _checkout_version() or "0+unknown"
