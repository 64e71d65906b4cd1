"""The main job (``dvfskit demo`` / ``make demo``): fit the bundled measurements, solve the
offloading problem, schedule per-block frequencies, print the results and write plots.

Sections: model fits and ranking, GPU vs CPU DVFS model, the offloading optimum and baselines,
the per-stage schedule, a sweep, and plots (``dvfskit-demo.png`` in the output folder).

Measured: the Jetson TX2 Xception grid and the A100 pipeline-stage profiles (``data/``).
Assumed, and labelled where used: the per-block spread of the TX2 whole-model latency, the edge
server, the radio channel, idle power and switching costs.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, List

import numpy as np
import pandas as pd

from . import baselines, block_tables, compare, datasets, examples, fit, plots, solve, sweep
from ._schedule import BlockTables
from ._solve import Problem

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure


def _section(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 74 - len(title)))


def _print(df: pd.DataFrame) -> None:
    with pd.option_context("display.width", 160, "display.max_columns", 30, "display.max_colwidth", 40):
        print(df.to_string(index=False, float_format=lambda v: f"{v:.4g}"))


def a100_forward_tables(a100: pd.DataFrame) -> BlockTables:
    """Per-stage tables of the last DNN in the A100 profiles (GPT-3), forward pass only."""
    fwd = a100[(a100["dnn"] == a100["dnn"].unique()[-1]) & (a100["instruction"] == "forward")]
    lat = fwd.pivot_table(index="block", columns="compute_freq_mhz", values="latency_ms")
    energy = fwd.pivot_table(index="block", columns="compute_freq_mhz", values="energy_j")
    return block_tables(lat.to_numpy(), energy.to_numpy(), lat.columns.to_numpy(float))


def _retitle(ax: Any, context: str) -> None:
    """The panel's own title (what is drawn, with its numbers) under a line of context."""
    ax.set_title(f"{context}\n{ax.get_title()}", fontsize="medium")


def figure(tx2: pd.DataFrame, problem: Problem, swept: pd.DataFrame, tables: BlockTables,
           deadline_ms: float) -> Figure:
    """The demo's 2 x 2 figure: the joint model fit on the TX2 measurements ``tx2`` (one input
    size), the energy heatmap with the optimum of ``problem``, energy vs deadline from ``swept``
    (one line per bandwidth) and the per-stage schedule of ``tables`` at ``deadline_ms``."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(14, 10), layout="constrained")
    plots.fit(fit("joint_mem_comp", tx2, "latency_ms", max_iterations=10000), tx2, ax=axes[0, 0])
    _retitle(axes[0, 0], "TX2 Xception 400x400 (measured)")
    plots.heatmap(problem, quantity="energy", solution=solve(problem), ax=axes[0, 1])
    _retitle(axes[0, 1], f"TX2 energy per inference, optimum at {problem.deadline_ms:g} ms")
    plots.sweep(swept, hue="bandwidth_hz", ax=axes[1, 0])
    _retitle(axes[1, 0], "TX2 + edge server (channel and server assumed)")
    plots.schedule(tables.schedule(deadline_ms, idle_power_w=60.0), ax=axes[1, 1])
    _retitle(axes[1, 1], "A100 GPT-3 forward stages (measured; 60 W idle power assumed)")
    return fig


def run(out: Path) -> List[Path]:
    """Run the demo; write plots into ``out`` (created) and return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    written: List[Path] = []

    _section("1. Model fits: Jetson TX2, Xception, GPU x EMC frequency (measured)")
    tx = datasets.tx2_xception()
    tx_max_cpu = tx[tx["cpu_freq_mhz"] == tx["cpu_freq_mhz"].max()]
    ranking = compare(["cpu_dvfs", "gpu_dvfs", "joint_mem_comp", "roofline_smooth"], tx_max_cpu, "latency_ms",
                      by="input_size", max_iterations=10000)
    _print(ranking[["input_size", "model", "rank_aic", "delta_aic", "mape", "cv_mape", "extrap_mape"]])
    print("(mape, cv_mape, extrap_mape in %; extrap: fitted on the lower 2/3 of GPU frequencies)")

    _section("2. GPU DVFS-aware vs CPU DVFS model: A100 pipeline stages (measured)")
    a100 = datasets.a100_stages()
    stages = a100[a100["block"].isin([0, 7])]
    rows = []
    for name in ("cpu_dvfs", "gpu_dvfs"):
        table = fit(name, stages, "latency_ms", by=["dnn", "block", "instruction"]).to_dataframe()
        rows.append(table.assign(model=name)[["dnn", "block", "instruction", "model", "mape", "aic"]])
    _print(pd.concat(rows).sort_values(["dnn", "block", "instruction", "aic"]))
    print("(stages 0-6 of each file carry identical profiles; 0 and 7 shown)")

    _section("3. Energy-optimal frequencies, transmit power and split: TX2 + edge server")
    problem = examples.tx2_offloading_problem("400x400", deadline_ms=300.0)
    print("assumptions:")
    for k, v in problem.assumptions.items():
        print(f"  {k}: {v}")
    results = []
    for deadline in (230.0, 300.0, 450.0, 700.0):
        p = problem.with_scenario(deadline_ms=deadline)
        s = solve(p)
        b = baselines(p)
        results.append({"deadline_ms": deadline, "feasible": s.feasible, "split": s.split,
                        "compute_freq_mhz": s.compute_freq_mhz, "mem_freq_mhz": s.mem_freq_mhz,
                        "tx_power_w": s.tx_power_w, "energy_j": s.energy_j, "latency_ms": s.latency_ms,
                        **{f"saving_vs_{k}_pct": b.loc[k, "saving_pct"] for k in
                           ("max_frequency", "compute_dvfs_only", "all_local", "full_offload")}})
    _print(pd.DataFrame(results))
    p = problem.with_scenario(deadline_ms=300.0)
    print(f"\n{solve(p)}\n\nbaselines at 300 ms:")
    _print(baselines(p).reset_index()[["plan", "energy_j", "latency_ms", "feasible", "saving_pct"]])

    _section("4. Per-block frequency schedule: A100 GPT-3 forward stages as blocks (measured)")
    tables = a100_forward_tables(a100)
    fastest = float(tables.latency_ms.sum(axis=0).min())
    sched_rows = []
    for factor in (1.0, 1.05, 1.2, 1.5):
        plan = tables.schedule(fastest * factor, idle_power_w=60.0)
        b = plan.baselines
        sched_rows.append({"deadline_ms": fastest * factor, "energy_j": plan.energy_j, "switches": plan.num_switches,
                           "saving_vs_uniform_pct": b.loc["uniform", "saving_pct"],
                           "saving_vs_race_to_idle_pct": b.loc["race_to_idle", "saving_pct"],
                           "certified_gap_pct": 100 * plan.gap_rel})
    _print(pd.DataFrame(sched_rows))
    print("(idle power 60 W is an assumption; switching assumed free here)")

    _section("5. Sweep: deadlines x uplink bandwidths (C++ batch solve)")
    grid = {"deadline_ms": np.linspace(220.0, 900.0, 69), "bandwidth_hz": [0.5e6, 1e6, 4e6]}
    swept = sweep(problem, grid=grid, progress=False)
    summary = swept.groupby("bandwidth_hz").agg(
        feasible=("feasible", "mean"), mean_energy_j=("energy_j", "mean"),
        mean_saving_vs_max_frequency_pct=("saving_vs_max_frequency_pct", "mean"),
        mean_saving_vs_all_local_pct=("saving_vs_all_local_pct", "mean")).reset_index()
    _print(summary)
    swept.to_csv(out / "sweep.csv", index=False)
    written.append(out / "sweep.csv")

    _section("6. Plots")
    fig = figure(tx_max_cpu[tx_max_cpu["input_size"] == "400x400"], problem.with_scenario(deadline_ms=300.0),
                 swept, tables, 1.2 * fastest)
    path = out / "dvfskit-demo.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    written.append(path)
    ranking.to_csv(out / "model_ranking.csv", index=False)
    written.append(out / "model_ranking.csv")
    for p_ in written:
        print(f"wrote {p_}")
    return written
