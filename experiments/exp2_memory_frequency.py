"""Experiment 2: does the memory frequency matter? Energy saved by choosing the GPU and the EMC
(memory) frequency jointly vs compute-only DVFS (memory at its maximum) and vs the performance
governor (both at maximum), across deadlines.

Measured: Jetson TX2 Xception latency and power over 4 GPU x 4 EMC frequencies, per input size
and active-CPU-core mask (1111, 1110, 1100, 1000; max CPU frequency), whole model, all local (nothing offloaded). Deadlines are
multiples of each input size's fastest latency. Power read as mW (unit undocumented by the
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


def run(out: Path, quick: bool = False) -> Dict[str, Any]:
    problems = common.tx2_local_problems(["400x400"] if quick else None,
                                         ("1111",) if quick else common.TX2_CORE_MASKS)
    factors = np.linspace(1.0, 3.0, 5 if quick else 41)
    fastest = {k: float(p.block_latency_ms.sum(axis=0).min()) for k, p in problems.items()}
    scenarios = pd.DataFrame([{"problem": k, "deadline_ms": fastest[k] * x} for k in problems for x in factors])
    df = dvfskit.sweep(problems, table=scenarios, baselines=["compute_dvfs_only", "max_frequency"], progress=False)
    df["deadline_factor"] = df["deadline_ms"] / df["problem"].astype(str).map(fastest).astype(float)
    df = df.rename(columns={"problem": "workload"}).astype({"workload": str})
    df.insert(0, "input_size", df["workload"].str.split("/").str[0])
    df.insert(1, "core_mask", df["workload"].str.split("/").str[1])
    cols = ["input_size", "core_mask", "deadline_factor", "deadline_ms", "feasible", "compute_freq_mhz", "mem_freq_mhz",
            "energy_j", "compute_dvfs_only_energy_j", "saving_vs_compute_dvfs_only_pct",
            "saving_vs_max_frequency_pct"]
    df = df[cols]
    common.show(df[df["core_mask"] == "1111"].iloc[:: max(1, len(factors) // 5)])

    summary = df.groupby(["input_size", "core_mask"])[["saving_vs_compute_dvfs_only_pct", "saving_vs_max_frequency_pct"]].agg(
        ["mean", "max"])
    print("\nenergy saved by joint (GPU, EMC) choice, % (mean / max over deadlines):")
    print(summary.round(2).to_string())

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, (size, part) in enumerate(df[df["core_mask"] == "1111"].groupby("input_size")):
        ax.plot(part["deadline_factor"], part["saving_vs_compute_dvfs_only_pct"], "-", color=f"C{i}",
                label=f"{size} vs compute-only DVFS")
        ax.plot(part["deadline_factor"], part["saving_vs_max_frequency_pct"], ":", color=f"C{i}",
                label=f"{size} vs max frequency")
    ax.set_xlabel("deadline / fastest latency")
    ax.set_ylabel("energy saved by joint GPU+EMC DVFS (%)")
    ax.set_title("TX2 Xception, all local, 4 CPU cores (measured tables)")
    ax.legend(fontsize="x-small", ncol=2)
    common.save(fig, df, out, "memory_frequency")

    feasible = df[df["feasible"]]
    return {"table": df, "headline": {
        "mean_saving_vs_compute_dvfs_only_pct": float(feasible["saving_vs_compute_dvfs_only_pct"].mean()),
        "max_saving_vs_compute_dvfs_only_pct": float(feasible["saving_vs_compute_dvfs_only_pct"].max()),
        "mean_saving_vs_max_frequency_pct": float(feasible["saving_vs_max_frequency_pct"].mean()),
        "max_saving_vs_max_frequency_pct": float(feasible["saving_vs_max_frequency_pct"].max()),
    }}


if __name__ == "__main__":
    a = common.args(__doc__.splitlines()[0])
    run(a.out, a.quick)
