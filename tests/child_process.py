"""The dvfskit under test, for tests that start another Python process.

``make test`` runs pytest against the installed package, whose compiled ``_core`` lives only in
site-packages; a developer's run may import the source tree instead. A child process must import
the same package as the test that starts it, never ``python/`` by assumption (the source tree of a
clean checkout has no compiled extension).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Dict, Tuple

import dvfskit

PACKAGE_ROOT = str(Path(dvfskit.__file__).resolve().parents[1])


def child_env(**extra: str) -> Dict[str, str]:
    """``os.environ`` with PYTHONPATH leading to the dvfskit under test (plus ``extra``)."""
    old = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": PACKAGE_ROOT + (os.pathsep + old if old else ""), **extra}


_RUNNER = """
import sys, time, traceback
{setup}
print("ready", flush=True)
try:
    work()
except KeyboardInterrupt as exc:
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    print("interrupted", time.monotonic(), frame.name, frame.line, flush=True)
    sys.exit(3)
print("finished", flush=True)
"""


def interrupt_child(setup: str, *args: str, after_s: float = 1.0, timeout_s: float = 60.0) -> Tuple[float, str]:
    """Ctrl-C a child process in the middle of long work; return (seconds to its KeyboardInterrupt, where).

    ``setup`` is Python source that defines ``work()`` (``args`` are its ``sys.argv[1:]``). The child
    imports the dvfskit under test, runs ``work()`` and gets SIGINT ``after_s`` seconds after it
    starts. It must raise KeyboardInterrupt (not finish, not crash); the delay is measured from the
    signal to the handler on the shared monotonic clock, and ``where`` names the function and
    source line the exception came from.
    """
    folder = tempfile.TemporaryDirectory()
    script = Path(folder.name) / "child.py"  # a file, so that tracebacks show source lines
    script.write_text(_RUNNER.format(setup=textwrap.dedent(setup)))
    child = subprocess.Popen([sys.executable, str(script), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=child_env())
    try:
        assert child.stdout is not None
        first = child.stdout.readline().strip()
        if first != "ready":
            child.kill()
            raise AssertionError(f"the child did not start: {first!r}\n{child.communicate()[1]}")
        time.sleep(after_s)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=timeout_s)
    finally:
        if child.poll() is None:
            child.kill()
        folder.cleanup()
    assert child.returncode == 3 and out.startswith("interrupted "), f"exit {child.returncode}: {out}{err}"
    _, stamp, where = out.split(" ", 2)
    return float(stamp) - sent, where.strip()
