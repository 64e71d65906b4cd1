"""Experiment 2: do the memory frequency and the other knobs matter? Energy saved by choosing every
knob of the Jetson TX2 jointly (CPU x GPU x EMC frequency x active-core mask) against scaling one
frequency knob with the others at their maximum (only_cpu_freq_mhz, only_compute_freq_mhz =
compute-only DVFS, only_mem_freq_mhz), against the performance governor (every frequency at its
maximum, the best core mask) and against the joint GPU x EMC choice on the slice at maximum CPU
frequency with all four cores (what this experiment measured before the knobs issue), across
deadlines.

Measured: Jetson TX2 Xception latency and power over 12 CPU x 4 GPU x 4 EMC frequencies x 4 core
masks (768 configurations) per input size, whole model, all local (nothing offloaded). Deadlines
are multiples of each input size's fastest latency. Power read as mW (unit undocumented by the
source): savings are ratios, so only the relative scale matters. Output: memory_frequency.csv/.png.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import common
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import dvfskit
from dvfskit import datasets

KNOBS = ["cpu_freq_mhz", "compute_freq_mhz", "mem_freq_mhz", "core_mask"]
BASELINES = ["only_cpu_freq_mhz", "only_compute_freq_mhz", "only_mem_freq_mhz", "compute_dvfs_only", "max_frequency"]


def tx2_problems(sizes) -> Dict[str, Dict[str, dvfskit.Problem]]:
    """Per input size: the all-knob problem and the GPU x EMC slice (max CPU, four cores), local only."""
    tx = datasets.tx2_xception()
    local = dict(out_bits=[0.0, 0.0], server_latency_ms=[common.NO_SERVER_MS, 0.0], deadline_ms=1.0,
                 **common._CHANNEL)
    out: Dict[str, Dict[str, dvfskit.Problem]] = {"all knobs": {}, "GPU x EMC slice": {}}
    for size in sizes:
        part = tx[tx["input_size"] == size]
        out["all knobs"][size] = dvfskit.Problem.from_measurements(part, knobs=KNOBS, **local)
        slice_ = part[(part["cpu_freq_mhz"] == part["cpu_freq_mhz"].max()) & (part["core_mask"] == "1111")]
        out["GPU x EMC slice"][size] = dvfskit.Problem.from_measurements(
            slice_, knobs=["compute_freq_mhz", "mem_freq_mhz"], **local)
    return out


def run(out: Path, quick: bool = False) -> Dict[str, Any]:
    problems = tx2_problems(["400x400"] if quick else datasets.TX2_SIZES)
    factors = np.linspace(1.0, 3.0, 5 if quick else 41)
    full = problems["all knobs"]
    fastest = {k: float(p.config_latency_ms.sum(axis=0).min()) for k, p in full.items()}
    scenarios = pd.DataFrame([{"problem": k, "deadline_ms": fastest[k] * x} for k in full for x in factors])
    df = dvfskit.sweep(full, table=scenarios, baselines=BASELINES, progress=False)
    sliced = dvfskit.sweep(problems["GPU x EMC slice"], table=scenarios, baselines=False, progress=False)
    df["slice_energy_j"] = np.where(sliced["feasible"], sliced["energy_j"], np.nan)
    df["saving_vs_slice_pct"] = 100.0 * (df["slice_energy_j"] - df["energy_j"]) / df["slice_energy_j"]
    df["deadline_factor"] = (df["deadline_ms"] / df["problem"].astype(str).map(fastest).astype(float)).round(9)
    df = df.rename(columns={"problem": "input_size"}).astype({"input_size": str})
    cols = (["input_size", "deadline_factor", "deadline_ms", "feasible", *KNOBS, "energy_j"]
            + [f"{b}_energy_j" for b in BASELINES] + [f"{b}_feasible" for b in BASELINES] + ["slice_energy_j"]
            + [f"saving_vs_{b}_pct" for b in BASELINES] + ["saving_vs_slice_pct"])
    df = df[cols]
    common.show(df[df["input_size"] == df["input_size"].iloc[0]].iloc[:: max(1, len(factors) // 5)]
                [["input_size", "deadline_factor", *KNOBS, "energy_j", "saving_vs_compute_dvfs_only_pct",
                  "saving_vs_max_frequency_pct", "saving_vs_slice_pct"]])

    feasible = df[df["feasible"]]
    savings = [f"saving_vs_{b}_pct" for b in BASELINES if b != "compute_dvfs_only"] + ["saving_vs_slice_pct"]
    summary = feasible.groupby("input_size")[savings].agg(["mean", "max"])
    print("\nenergy saved by choosing every knob jointly, % (mean / max over deadlines):")
    print(summary.round(2).to_string())
    chosen = feasible.groupby("input_size")[KNOBS].agg(lambda s: s.value_counts().index[0])
    print("\nmost frequent optimal configuration per input size:")
    print(chosen.to_string())

    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    mean = feasible.groupby("deadline_factor")[savings].mean()
    labels = {"saving_vs_only_cpu_freq_mhz_pct": "vs CPU-only DVFS", "saving_vs_only_compute_freq_mhz_pct":
              "vs GPU-only DVFS (compute_dvfs_only)", "saving_vs_only_mem_freq_mhz_pct": "vs EMC-only DVFS",
              "saving_vs_max_frequency_pct": "vs max frequency", "saving_vs_slice_pct": "vs GPU x EMC at max CPU, 4 cores"}
    for i, c in enumerate(savings):  # EMC-only and max frequency may coincide: told apart by style
        ax.plot(mean.index, mean[c], ["-o", "-s", "--^", ":D", "-v"][i], ms=3, color=f"C{i}", label=labels[c])
    ax.set_xlabel("deadline / fastest latency")
    ax.set_ylabel("energy saved by the joint choice (%), mean over input sizes")
    ax.set_title("TX2 Xception, all local: CPU x GPU x EMC x core mask (measured tables)")
    ax.legend(fontsize="x-small")
    common.save(fig, df, out, "memory_frequency")

    headline: Dict[str, float] = {}
    for b in BASELINES + ["slice"]:
        column = feasible[f"saving_vs_{b}_pct"]
        headline[f"mean_saving_vs_{b}_pct"] = float(column.mean())
        headline[f"max_saving_vs_{b}_pct"] = float(column.max())
    cpu_max = float(next(iter(full.values())).configs.levels("cpu_freq_mhz")[-1])
    headline["optimum_below_max_cpu_pct"] = float(100.0 * (feasible["cpu_freq_mhz"] < cpu_max).mean())
    headline["optimum_not_four_cores_pct"] = float(100.0 * (feasible["core_mask"] != "1111").mean())
    return {"table": df, "headline": headline}


if __name__ == "__main__":
    a = common.args(__doc__.splitlines()[0])
    run(a.out, a.quick)
