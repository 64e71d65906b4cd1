"""Experiment 5: per-block "just in time" frequency schedule vs one setting for the whole
inference (uniform DVFS, the best single SM frequency meeting the deadline) and race-to-idle
(fastest setting, then idle until the deadline), across deadlines.

Measured: A100-SXM forward pass of BLOOM and GPT-3, the 8 pipeline stages as blocks, 38 SM
frequencies (stages 0-6 carry identical profiles, so the schedule can only exploit stage 7 and
the discreteness of the frequency table). ASSUMED: idle power 60 W whenever no stage runs (also
during switching); switching either free, or 5 ms per SM-frequency change with no energy on top
of idle power (the order reported for a GPU clock change on an Orin Nano; not measured on an
A100; given per knob, ``{"compute_freq_mhz": 5.0}``). No initial configuration: the first stage
starts at its own frequency for free. The tables come straight from the long measurement table
(``dvfskit.block_tables(measurements)``: one row per stage and frequency).
Output: schedule.csv / .png.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import common
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import dvfskit
from dvfskit import datasets, plots

IDLE_POWER_W = 60.0
SWITCHING_MS = {"free": 0.0, "5 ms": {"compute_freq_mhz": 5.0}}  # per-knob form: the SM clock


def run(out: Path, quick: bool = False) -> Dict[str, Any]:
    factors = np.linspace(1.0, 1.5, 4 if quick else 26)
    rows = []
    example = None
    a100 = datasets.a100_stages()
    for dnn in (["bloom"] if quick else datasets.A100_DNNS):
        tables = dvfskit.block_tables(a100[(a100["dnn"] == dnn) & (a100["instruction"] == "forward")])
        fastest = float(tables.latency_ms.sum(axis=0).min())
        for switching, ts in SWITCHING_MS.items():
            for x in factors:
                plan = tables.schedule(fastest * x, switch_time_ms=ts, idle_power_w=IDLE_POWER_W)
                b = plan.baselines
                rows.append({"dnn": dnn, "switching": switching, "deadline_factor": x, "deadline_ms": fastest * x,
                             "feasible": plan.feasible, "energy_j": plan.energy_j, "latency_ms": plan.latency_ms,
                             "switches": plan.num_switches, "certified_gap_pct": 100 * plan.gap_rel,
                             "uniform_energy_j": b.loc["uniform", "energy_j"],
                             "uniform_f_mhz": b.loc["uniform", "compute_freq_mhz"],
                             "race_to_idle_energy_j": b.loc["race_to_idle", "energy_j"],
                             "saving_vs_uniform_pct": b.loc["uniform", "saving_pct"],
                             "saving_vs_race_to_idle_pct": b.loc["race_to_idle", "saving_pct"]})
                if example is None and switching == "free" and plan.num_switches > 1:
                    example = plan  # the first schedule that mixes several frequencies
    if example is None:
        example = plan
    df = pd.DataFrame(rows)
    common.show(df.iloc[:: max(1, len(factors) // 4)])
    summary = df[df["feasible"]].groupby(["dnn", "switching"])[
        ["saving_vs_uniform_pct", "saving_vs_race_to_idle_pct", "switches"]].agg(["mean", "max"])
    print("\nenergy saved by the per-stage schedule (%), switches:")
    print(summary.round(3).to_string())

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    for i, ((dnn, switching), part) in enumerate(df.groupby(["dnn", "switching"])):
        axes[0].plot(part["deadline_factor"], part["saving_vs_uniform_pct"], "-", color=f"C{i}",
                     label=f"{dnn}, switching {switching}: vs uniform")
        axes[0].plot(part["deadline_factor"], part["saving_vs_race_to_idle_pct"], ":", color=f"C{i}",
                     label=f"{dnn}, switching {switching}: vs race-to-idle")
    axes[0].set_xlabel("deadline / fastest latency")
    axes[0].set_ylabel("energy saved by per-stage schedule (%)")
    axes[0].set_title(f"A100 forward stages (measured), idle {IDLE_POWER_W:g} W (assumed)")
    axes[0].legend(fontsize="x-small")
    plots.schedule(example, ax=axes[1])
    common.save(fig, df, out, "schedule")

    ok = df[df["feasible"]]
    return {"table": df, "headline": {
        "mean_saving_vs_uniform_pct": float(ok["saving_vs_uniform_pct"].mean()),
        "max_saving_vs_uniform_pct": float(ok["saving_vs_uniform_pct"].max()),
        "mean_saving_vs_race_to_idle_pct": float(ok["saving_vs_race_to_idle_pct"].mean()),
        "max_saving_vs_race_to_idle_pct": float(ok["saving_vs_race_to_idle_pct"].max()),
        "mean_saving_vs_uniform_5ms_switching_pct": float(ok.loc[ok["switching"] == "5 ms", "saving_vs_uniform_pct"].mean()),
    }}


if __name__ == "__main__":
    a = common.args(__doc__.splitlines()[0])
    run(a.out, a.quick)
