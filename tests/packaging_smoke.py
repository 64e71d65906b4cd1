"""Smoke run of an installed dvfskit, for tests/test_packaging.py: a grouped fit, a solve and a
sweep to Parquet on the bundled data, plus the shared libraries that importing and running
dvfskit mapped into this process (``/proc/self/maps``).

Run as ``python -I packaging_smoke.py OUT_DIR`` with the interpreter of a clean venv, from a
folder outside the source tree; writes ``OUT_DIR/sweep.parquet`` and prints one JSON object.
The same computations are available in-process as :func:`fit_solve_sweep`, so the test compares
the installed wheel's answers with those of the dvfskit under test.
"""
from __future__ import annotations

import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Dict, Optional, Set

# dvfskit's own dependencies (and the compression modules pandas and pyarrow load lazily) are
# imported first: the libraries mapped after this point are the ones dvfskit brings.
import bz2  # noqa: F401
import lzma  # noqa: F401
import zlib  # noqa: F401

import matplotlib  # noqa: F401
import numpy  # noqa: F401
import pandas
import pyarrow.parquet  # noqa: F401
import tqdm  # noqa: F401

GRID = {"deadline_ms": [200.0, 250.0, 300.0, 400.0], "bandwidth_hz": [0.5e6, 1e6, 4e6]}


def mapped_libraries() -> Set[str]:
    """Paths of the shared objects mapped into this process."""
    libs = set()
    with open("/proc/self/maps", encoding="utf-8") as maps:
        for line in maps:
            fields = line.split(maxsplit=5)
            if len(fields) == 6 and ".so" in Path(fields[5].strip()).name:
                libs.add(fields[5].strip())
    return libs


def fit_solve_sweep(dvfskit: Any, out: Optional[Path]) -> Dict[str, Any]:
    """A grouped fit, a solve and a sweep (to ``out / "sweep.parquet"`` when ``out`` is given)."""
    from dvfskit import datasets, examples

    tx2 = datasets.tx2_xception()
    tx2 = tx2[tx2.cpu_freq_mhz == tx2.cpu_freq_mhz.max()]
    fits = dvfskit.fit("joint_mem_comp", tx2, "latency_ms", by="input_size", max_iterations=10000)
    problem = examples.tx2_offloading_problem("400x400", deadline_ms=300)
    solution = dvfskit.solve(problem)
    if out is None:
        swept = dvfskit.sweep(problem, grid=GRID, progress=False)
    else:
        swept = dvfskit.sweep(problem, grid=GRID, progress=False, out=out / "sweep.parquet")
    return {
        "fit": {size: {k: float(v) for k, v in fits[size].params.items()} for size in sorted(tx2.input_size.unique())},
        "solution": {k: getattr(solution, k) for k in ("feasible", "energy_j", "latency_ms", "split",
                                                       "compute_freq_mhz", "mem_freq_mhz")},
        "sweep": swept,
    }


def main(out: Path) -> None:
    before = mapped_libraries()
    import dvfskit

    result = fit_solve_sweep(dvfskit, out)
    swept = Path(result.pop("sweep"))
    result.update(
        file=dvfskit.__file__,
        version=dvfskit.__version__,
        metadata_version=metadata.version("dvfskit"),
        sweep_path=str(swept),
        sweep_rows=len(pandas.read_parquet(swept)),
        new_libraries=sorted(mapped_libraries() - before),
        sys_path=sys.path,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
