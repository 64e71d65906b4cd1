"""Shared helpers of the experiment scripts: command line, output folder, printing, and the two
local-only table problems built from the bundled measurements.

Units: frequencies in MHz, time in ms, power in W, energy in J.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict

import numpy as np
import pandas as pd

# Prefer this checkout's package when its extension is built in place (plain CMake build),
# else the installed dvfskit (make setup / pip install).
_SOURCE = Path(__file__).resolve().parents[1] / "python"
if any((_SOURCE / "dvfskit").glob("_core*.so")) and str(_SOURCE) not in sys.path:
    sys.path.insert(0, str(_SOURCE))

import matplotlib

matplotlib.use("Agg")

from dvfskit import Problem, datasets  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "results"

#: Offloading is switched off in the local-only problems by a server that never finishes in time.
NO_SERVER_MS = 1e12
_CHANNEL = dict(bandwidth_hz=1e6, gain=1e-11, noise_w_per_hz=10 ** (-174 / 10) / 1000, p_max_w=0.5)


def args(description: str) -> argparse.Namespace:
    """``--quick`` (a reduced grid, for tests) and ``--out DIR`` (default experiments/results)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="reduced grids (seconds, for tests)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    return parser.parse_args()


def show(df: pd.DataFrame) -> None:
    with pd.option_context("display.width", 180, "display.max_columns", 40):
        print(df.to_string(index=False, float_format=lambda v: f"{v:.4g}"))


def save(fig, df: pd.DataFrame, out: Path, name: str) -> None:
    """Write ``<out>/<name>.csv`` and ``<out>/<name>.png``."""
    out.mkdir(parents=True, exist_ok=True)
    df.to_csv(out / f"{name}.csv", index=False)
    fig.tight_layout()
    fig.savefig(out / f"{name}.png", dpi=100)
    import matplotlib.pyplot as plt

    plt.close(fig)
    print(f"wrote {out / (name + '.csv')} and {name}.png")


def local_problem(latency_ms: np.ndarray, power_w: np.ndarray, fq: np.ndarray, mq: np.ndarray,
                  deadline_ms: float) -> Problem:
    """A local-only problem on (L, nF, nM) tables: nothing is offloaded (the server is made
    unusable, ``NO_SERVER_MS``), so ``solve`` picks only the frequencies."""
    L = latency_ms.shape[0]
    server = np.r_[np.full(L, NO_SERVER_MS), 0.0]
    return Problem.from_tables(latency_ms, power_w, fq, mq, np.zeros(L + 1), server,
                               deadline_ms=deadline_ms, **_CHANNEL)


TX2_CORE_MASKS = ("1111", "1110", "1100", "1000")


def tx2_local_problems(sizes=None, core_masks=("1111",)) -> Dict[str, Problem]:
    """Jetson TX2 Xception, whole model as one block, all local, max CPU frequency, keyed
    ``"<input size>/<active CPU core mask>"`` (measured 4 GPU x 4 EMC frequencies; power in the
    file's undocumented unit read as mW)."""
    tx = datasets.tx2_xception()
    tx = tx[tx["cpu_freq_mhz"] == tx["cpu_freq_mhz"].max()]
    out = {}
    for size in sizes or datasets.TX2_SIZES:
        for mask in core_masks:
            part = tx[(tx["input_size"] == size) & (tx["core_mask"] == mask)]
            lat = part.pivot_table(index="compute_freq_mhz", columns="mem_freq_mhz", values="latency_ms")
            pw = part.pivot_table(index="compute_freq_mhz", columns="mem_freq_mhz", values="power_w")
            fq, mq = lat.index.to_numpy(float), lat.columns.to_numpy(float)
            lat, pw = lat.to_numpy(), pw.to_numpy()
            out[f"{size}/{mask}"] = local_problem(lat[None], pw[None], fq, mq, deadline_ms=float(lat.min()) * 2)
    return out


def a100_stage_tables(dnn: str, instruction: str = "forward"):
    """A100 pipeline stages as blocks: latency_ms, power_w (8, 38, 1) and the SM frequencies
    (MHz); memory table of one entry (the data has no memory frequency, a placeholder 1 MHz)."""
    a = datasets.a100_stages()
    part = a[(a["dnn"] == dnn) & (a["instruction"] == instruction)]
    lat = part.pivot_table(index="block", columns="compute_freq_mhz", values="latency_ms")
    energy = part.pivot_table(index="block", columns="compute_freq_mhz", values="energy_j")
    return lat.to_numpy(), energy.to_numpy(), lat.columns.to_numpy(float)


def a100_local_problem(dnn: str, instruction: str = "forward") -> Problem:
    lat, energy, fq = a100_stage_tables(dnn, instruction)
    power = energy / lat * 1000.0
    return local_problem(lat[:, :, None], power[:, :, None], fq, np.array([1.0]),
                         deadline_ms=float(lat.sum(axis=0).min()) * 1.2)
