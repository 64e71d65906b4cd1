"""The dvfskit under test, for tests that start another Python process.

``make test`` runs pytest against the installed package, whose compiled ``_core`` lives only in
site-packages; a developer's run may import the source tree instead. A child process must import
the same package as the test that starts it, never ``python/`` by assumption (the source tree of a
clean checkout has no compiled extension).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict

import dvfskit

PACKAGE_ROOT = str(Path(dvfskit.__file__).resolve().parents[1])


def child_env(**extra: str) -> Dict[str, str]:
    """``os.environ`` with PYTHONPATH leading to the dvfskit under test (plus ``extra``)."""
    old = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": PACKAGE_ROOT + (os.pathsep + old if old else ""), **extra}
