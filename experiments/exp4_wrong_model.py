"""Experiment 4: planning with the wrong model. The CPU-DVFS model t = W/f (W fitted by least
squares at the maximum memory frequency) chooses the frequencies; the plan is then evaluated on
the measured tables (``cpu_dvfs_model`` baseline of ``dvfskit.baselines``/``sweep``). Counted per
deadline: deadline misses, and energy lost vs the optimum planned on the measured tables.

Measured, local-only problems (no offloading), deadlines = multiples of the fastest latency:
- Jetson TX2 Xception, whole model, per input size x CPU core mask (4 GPU x 4 EMC frequencies);
- A100-SXM, BLOOM and GPT-3 forward pass, the 8 pipeline stages as blocks (38 SM
  frequencies, memory table of one entry), one frequency for all stages.
Output: wrong_model.csv / .png.
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


def run(out: Path, quick: bool = False) -> Dict[str, Any]:
    problems = {f"TX2 {k}": p for k, p in common.tx2_local_problems(
        ["400x400"] if quick else None, ("1111",) if quick else common.TX2_CORE_MASKS).items()}
    for dnn in (["bloom"] if quick else datasets.A100_DNNS):
        problems[f"A100 {dnn}"] = common.a100_local_problem(dnn)
    factors = np.linspace(1.0, 2.0, 6 if quick else 51)
    fastest = {k: float(p.block_latency_ms.sum(axis=0).min()) for k, p in problems.items()}
    scenarios = pd.DataFrame([{"problem": k, "deadline_ms": fastest[k] * x} for k in problems for x in factors])
    df = dvfskit.sweep(problems, table=scenarios, baselines=["cpu_dvfs_model"], progress=False)
    df = df.astype({"problem": str})
    df.insert(0, "device", df["problem"].str.split().str[0])
    df["deadline_factor"] = df["deadline_ms"] / df["problem"].map(fastest).astype(float)
    df["cpu_plan_missed"] = df["feasible"] & ~df["cpu_dvfs_model_feasible"]
    df["cpu_plan_overshoot_pct"] = 100 * (df["cpu_dvfs_model_latency_ms"] / df["deadline_ms"] - 1).clip(lower=0)
    df["cpu_plan_excess_energy_pct"] = 100 * (df["cpu_dvfs_model_energy_j"] / df["energy_j"] - 1)
    cols = ["device", "problem", "deadline_factor", "deadline_ms", "feasible", "energy_j", "latency_ms",
            "compute_freq_mhz", "mem_freq_mhz", "cpu_dvfs_model_energy_j", "cpu_dvfs_model_latency_ms",
            "cpu_dvfs_model_feasible", "cpu_plan_missed", "cpu_plan_overshoot_pct", "cpu_plan_excess_energy_pct",
            "saving_vs_cpu_dvfs_model_pct"]
    df = df[cols]

    ok = df["feasible"]
    met = ok & df["cpu_dvfs_model_feasible"]
    summary = pd.DataFrame({
        "scenarios": df[ok].groupby("device").size(),
        "cpu_plan_misses": df[ok].groupby("device")["cpu_plan_missed"].sum(),
        "max_overshoot_pct": df[ok].groupby("device")["cpu_plan_overshoot_pct"].max(),
        "mean_energy_wasted_when_met_pct": df[met].groupby("device")["saving_vs_cpu_dvfs_model_pct"].mean(),
        "max_energy_wasted_when_met_pct": df[met].groupby("device")["saving_vs_cpu_dvfs_model_pct"].max(),
    }).reset_index()
    print("CPU-DVFS-model plans evaluated on the measured tables (optimum feasible scenarios):")
    common.show(summary)
    per_problem = df[ok].groupby("problem").agg(misses=("cpu_plan_missed", "sum"),
                                                wasted_mean_pct=("saving_vs_cpu_dvfs_model_pct", "mean"))
    print(per_problem.round(2).to_string())

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    shown = [k for k in problems if k.startswith("A100") or k.endswith("/1111")]
    for i, name in enumerate(shown):
        part = df[df["problem"] == name]
        axes[0].plot(part["deadline_factor"], part["cpu_plan_excess_energy_pct"], "-", color=f"C{i}", label=name)
        miss = part[part["cpu_plan_missed"]]
        axes[1].plot(part["deadline_factor"], part["cpu_plan_overshoot_pct"], "-", color=f"C{i}", label=name)
        axes[0].plot(miss["deadline_factor"], miss["cpu_plan_excess_energy_pct"], "x", color="red")
    axes[0].plot([], [], "x", color="red", label="deadline missed")
    axes[0].set_ylabel("CPU-DVFS plan energy above optimum (%)")
    axes[1].set_ylabel("CPU-DVFS plan latency beyond deadline (%)")
    for ax in axes:
        ax.set_xlabel("deadline / fastest latency")
        ax.legend(fontsize="x-small")
    axes[0].set_title("planning with t = W/f, evaluated on measured tables")
    axes[1].set_title("deadline overshoot of the CPU-DVFS plan")
    common.save(fig, df, out, "wrong_model")

    s = summary.set_index("device")
    head = {}
    for d in s.index:
        head[f"{d}_miss_fraction"] = float(s.loc[d, "cpu_plan_misses"] / s.loc[d, "scenarios"])
        head[f"{d}_max_overshoot_pct"] = float(s.loc[d, "max_overshoot_pct"])
        head[f"{d}_mean_energy_wasted_when_met_pct"] = float(s.loc[d, "mean_energy_wasted_when_met_pct"])
        head[f"{d}_max_energy_wasted_when_met_pct"] = float(s.loc[d, "max_energy_wasted_when_met_pct"])
    return {"table": df, "summary": summary, "headline": head}


if __name__ == "__main__":
    a = common.args(__doc__.splitlines()[0])
    run(a.out, a.quick)
