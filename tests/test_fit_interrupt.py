"""Ctrl-C during a fit: SIGINT to a child process running a long single or grouped fit in C++
raises KeyboardInterrupt there within a second or two, and the child exits cleanly."""
from __future__ import annotations

import pytest
from child_process import interrupt_child


CHILD = r"""
import sys
import numpy as np, pandas as pd
import dvfskit
from dvfskit import _core
mode = sys.argv[1]
rng = np.random.default_rng(0)
if mode == "single":
    f = np.linspace(0.2, 1.4, 30)
    y = (30 * f ** -0.8 + 5) * (1 + 0.01 * rng.standard_normal(30))
    work = lambda: dvfskit.fit(dvfskit.Model("a * f**(-b) + c", ["f"]), {"f": f}, y, starts=10**9, retries=0)
else:
    groups = 400_000 if mode == "groups" else 4000
    sizes = np.full(groups, 12)
    f = np.tile(np.linspace(200.0, 1400.0, 12), groups)
    y = 30 * (f / 1000) ** -0.8 + 5 + 0.1 * rng.standard_normal(f.size)
    if mode == "groups":  # the C++ call itself, started at once
        model = dvfskit.models.gpu_dvfs
        spec = _core.ParameterSpec(list(model.parameters), [10.0, 1.0, 1.0], [0.0, 0.0, 0.0],
                                   [np.inf, 4.0, np.inf], [False] * 3)
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.uint64)
        work = lambda: _core.fit_expression_groups(model.expression, [f], y, None, offsets, spec, None,
                                                   _core.FitOptions(), model.grid_guess(), 2)
    else:  # the whole of dvfskit.compare (many grouped fits)
        df = pd.DataFrame({"g": np.repeat(np.arange(groups), sizes), "compute_freq_mhz": f, "latency_ms": y})
        work = lambda: [dvfskit.compare(["gpu_dvfs", "cpu_dvfs_offset"], df, by="g", progress=False)
                        for _ in range(1000)]
"""


@pytest.mark.parametrize("mode", ["single", "groups", "compare"])
def test_sigint_stops_a_long_fit_promptly(mode: str) -> None:
    delay, _ = interrupt_child(CHILD, mode)  # SIGINT 1 s in: well into the C++ work
    assert delay < 2.0, f"KeyboardInterrupt came {delay:.2f} s after SIGINT"
