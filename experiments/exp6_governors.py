"""Experiment 6: the per-block "just in time" schedule against what the device does by itself: the
default governors (schedutil on the GPU, simple_ondemand on the memory), ondemand, conservative,
a SysScale-style coordinated policy and the performance governor, simulated exactly on the same
tables (dvfskit.governor, one decision per inference), across periods (= deadlines).

Measured: TX2 Xception latency and power over 4 GPU x 4 EMC frequencies (CPU at its maximum, all
cores); A100-SXM forward pipeline stages of BLOOM and GPT-3 over 38 SM frequencies (no memory knob).
ASSUMED (labelled in the output): TX2 per-block latency by multiply-accumulate share (15 blocks),
idle power 1 W (TX2) / 60 W (A100) whenever no block runs, the EMC's busy share from a
joint_mem_comp fit (memory-bound share l m^-beta / t), the GPU busy whenever a block runs,
schedutil standing in for the GPU's vendor governor, SysScale's thresholds (not public), and
switching either free or 5 ms per GPU and 8 ms per EMC change (Orin-class orders of magnitude), paid
alike by the schedule and the governors. Output: governors.csv / .png.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import common
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import dvfskit
from dvfskit import datasets, examples, workloads
from dvfskit._governor import memory_busy_share

TX2_IDLE_W = 1.0
A100_IDLE_W = 60.0
GOVERNORS = ("default", "schedutil", "ondemand", "conservative", "sysscale", "performance")
A100_GOVERNORS = ("schedutil", "ondemand", "conservative", "performance")
SWITCHING = {"free": {}, "5/8 ms": {"compute_freq_mhz": 5.0, "mem_freq_mhz": 8.0}}
LITERATURE = {"cpu_pct": 43.9, "gpu_pct": 21.1}


def tx2_block_problem(size: str):
    """15 Xception blocks (latency by MAC share) over GPU x EMC at max CPU, all local."""
    h, w = (int(v) for v in size.split("x"))
    latency, power, fq, mq = examples.tx2_tables(size)
    block_latency = workloads.split_by_work(latency, workloads.xception(h, w))
    block_power = np.broadcast_to(power, block_latency.shape).copy()
    return block_latency, block_power, fq, mq, float(latency.min())


def _rows(device: str, dnn: str, tables: dvfskit.BlockTables, problem: dvfskit.Problem, governors, factors,
          fastest: float, idle: float, busy: Dict[str, Any], switching) -> List[Dict[str, Any]]:
    rows = []
    for sw_name, sw in switching.items():
        sched_switch = dict(sw) if sw else 0.0  # per-knob costs, the same knob names as the governors'
        for x in factors:
            period = fastest * x
            plan = tables.schedule(period, switch_time_ms=sched_switch, idle_power_w=idle)
            row: Dict[str, Any] = {"device": device, "dnn": dnn, "switching": sw_name, "period_factor": x,
                                   "period_ms": period, "feasible": plan.feasible, "energy_j": plan.energy_j,
                                   "latency_ms": plan.latency_ms, "certified_gap_pct": 100 * plan.gap_rel}
            p = problem.with_scenario(deadline_ms=period, idle_power_w=idle)
            for g in governors:
                r = dvfskit.governor(p, g, busy=busy, switch_time_ms=sw or None)
                row[f"{g}_energy_j"] = r.energy_j
                row[f"{g}_latency_ms"] = r.latency_ms
                row[f"{g}_miss_rate"] = r.miss_rate
                row[f"{g}_cycle"] = r.cycle_length
                ok = plan.feasible and r.miss_rate == 0
                saving = 100 * (r.energy_j - plan.energy_j) / r.energy_j if ok else np.nan
                row[f"saving_vs_{g}_pct"] = 0.0 if abs(saving) < 1e-9 else saving  # equal up to rounding
            rows.append(row)
    return rows


def run(out: Path, quick: bool = False) -> Dict[str, Any]:
    factors = [1.25, 2.0] if quick else [1.1, 1.25, 1.5, 2.0, 2.5, 3.0]
    switching = SWITCHING
    rows: List[Dict[str, Any]] = []
    notes: Dict[str, str] = {}
    example = None
    for size in (["400x400"] if quick else datasets.TX2_SIZES):
        lat, pw, fq, mq, fastest = tx2_block_problem(size)
        problem = common.local_problem(lat, pw, fq, mq, deadline_ms=2 * fastest)
        share, notes[f"TX2 {size} EMC busy"] = memory_busy_share(problem.configs, problem.config_latency_ms)
        tables = dvfskit.block_tables(lat, lat * pw / 1000.0, fq, mq)
        busy = {"mem_freq_mhz": share}
        rows += _rows("TX2", f"xception {size}", tables, problem, GOVERNORS, factors, fastest, TX2_IDLE_W, busy,
                      switching)
        if example is None:
            example = dvfskit.governor(problem.with_scenario(idle_power_w=TX2_IDLE_W), "default", busy=busy)
    for dnn in (["bloom"] if quick else datasets.A100_DNNS):
        lat, energy, fq = common.a100_stage_tables(dnn)
        problem = common.a100_local_problem(dnn)
        tables = dvfskit.block_tables(lat, energy, fq)
        fastest = float(lat.sum(axis=0).min())
        a100_switching = {k: {"compute_freq_mhz": v["compute_freq_mhz"]} if v else {} for k, v in switching.items()}
        rows += _rows("A100", dnn, tables, problem, A100_GOVERNORS, [f for f in factors if f <= 1.5] or factors,
                      fastest, A100_IDLE_W, {}, a100_switching)
    df = pd.DataFrame(rows)
    show = ["device", "dnn", "switching", "period_factor", "energy_j"] + [
        c for c in df.columns if c.startswith("saving_vs_")]
    common.show(df[show])
    savings = [c for c in df.columns if c.startswith("saving_vs_")]
    summary = df.groupby(["device", "switching"])[savings].agg(["mean", "max"])
    print("\nenergy saved by the per-block schedule against each governor (%; NaN: the governor misses deadlines):")
    print(summary.round(2).T.to_string())
    for k, v in notes.items():
        print(f"assumption [{k}]: {v}")

    fig, axes = plt.subplots(1, 2, figsize=(14, 5))
    for i, ((device, dnn, sw), part) in enumerate(df.groupby(["device", "dnn", "switching"])):
        g = "default" if device == "TX2" else "schedutil"
        axes[0].plot(part["period_factor"], part[f"saving_vs_{g}_pct"], "o-" if sw == "free" else "x--",
                     color=f"C{i % 10}", label=f"{device} {dnn}, switching {sw}: vs {g}")
    axes[0].axhline(LITERATURE["gpu_pct"], color="grey", ls=":", label="literature: 21.1 % (GPU)")
    axes[0].axhline(LITERATURE["cpu_pct"], color="black", ls=":", label="literature: 43.9 % (CPU)")
    axes[0].set_xlabel("period (= deadline) / fastest latency")
    axes[0].set_ylabel("energy saved by the per-block schedule (%)")
    axes[0].set_title(f"vs the default governors (TX2 idle {TX2_IDLE_W:g} W, A100 idle {A100_IDLE_W:g} W: assumed)")
    axes[0].legend(fontsize="xx-small")
    assert example is not None
    example.plot(ax=axes[1])
    common.save(fig, df, out, "governors")

    def mean_max(device: str, col: str) -> Dict[str, float]:
        part = df[(df["device"] == device) & (df["switching"] == "free")][col].dropna()
        return {"mean": float(part.mean()) if len(part) else float("nan"),
                "max": float(part.max()) if len(part) else float("nan"),
                "met": float(len(part)) / max(1, int(((df["device"] == device) & (df["switching"] == "free")).sum()))}

    headline: Dict[str, float] = {}
    for g in GOVERNORS:
        s = mean_max("TX2", f"saving_vs_{g}_pct")
        headline[f"TX2_mean_saving_vs_{g}_pct"] = s["mean"]
        headline[f"TX2_max_saving_vs_{g}_pct"] = s["max"]
        headline[f"TX2_{g}_meets_every_deadline_share"] = s["met"]
    for g in A100_GOVERNORS:
        s = mean_max("A100", f"saving_vs_{g}_pct")
        headline[f"A100_mean_saving_vs_{g}_pct"] = s["mean"]
        headline[f"A100_max_saving_vs_{g}_pct"] = s["max"]
        headline[f"A100_{g}_meets_every_deadline_share"] = s["met"]
    if "5/8 ms" in switching:
        part = df[(df["device"] == "TX2") & (df["switching"] == "5/8 ms")]["saving_vs_default_pct"].dropna()
        headline["TX2_mean_saving_vs_default_switching_pct"] = float(part.mean()) if len(part) else float("nan")
    return {"table": df, "headline": headline, "notes": notes}


def section(h: Dict[str, float]) -> str:
    """The RESULTS.md section of this experiment (numbers from the headline dict)."""
    def pct(key: str) -> str:
        v = h.get(key, float("nan"))
        return "n/a" if not np.isfinite(v) else f"{v:.1f} %"

    tx2 = ", ".join(f"{g} {pct(f'TX2_mean_saving_vs_{g}_pct')} (max {pct(f'TX2_max_saving_vs_{g}_pct')})"
                    for g in GOVERNORS)
    a100 = ", ".join(f"{g} {pct(f'A100_mean_saving_vs_{g}_pct')} (max {pct(f'A100_max_saving_vs_{g}_pct')})"
                     for g in A100_GOVERNORS)
    miss = ", ".join(f"{g} {100 * h.get(f'TX2_{g}_meets_every_deadline_share', float('nan')):.0f} %" for g in GOVERNORS)
    switching = (f" With 5 ms (GPU) / 8 ms (EMC) switching paid by both sides the mean saving vs the default "
                 f"governors is {pct('TX2_mean_saving_vs_default_switching_pct')}."
                 if "TX2_mean_saving_vs_default_switching_pct" in h else "")
    return f"""
## Experiment 6: the per-block schedule vs the governors (`exp6_governors.py`)

The device's own governors simulated on the same tables (`dvfskit.governor`, exact steady state: one
decision per inference from the previous period's busy time; definitions in `docs/math/governors.md`),
periods 1.1-3x the fastest latency (A100: 1.1-1.5x), against the per-block schedule (`dvfskit.schedule`,
proven optimal) with the same idle power. Energy saved by the schedule, mean (max) over periods where the
governor meets every deadline, switching free:

| device | saving vs each governor | literature |
|---|---|---|
| TX2 Xception (GPU x EMC, 15 blocks) | {tx2} | up to 21.1 % (GPU) vs the default governor |
| A100 BLOOM / GPT-3 stages (SM clock) | {a100} | up to 21.1 % (GPU) / 43.9 % (CPU) |

Share of periods in which each governor meets every deadline (TX2): {miss}.{switching}

Reading. On the TX2 only the performance governor meets every deadline at every period; the default pair and
schedutil miss the tight periods (1.1-1.25x the fastest latency) on the TX2 because both memory governors
see the EMC busy only for its memory-bound share of each inference (10-65 %, from the fit) and take it to the
lowest of its four levels (1062 MHz), which the GPU at its maximum cannot make up for. At relaxed periods
the default governors are the cheapest of the family (the GPU comes down with the load, the EMC sits at its
lowest level), so the schedule's saving over them is smaller than over the performance governor
(race-to-idle with 1 W idle power), conservative (5 % steps that stop at the first table level whose load
passes 20 %) or the SysScale-style policy (the EMC at its low point, the GPU at its maximum). The savings
are of the order of the literature's 21.1 % GPU figure (same direction: the just-in-time schedule beats
what the device does by itself); the 43.9 % CPU figure needs a CPU inference workload, which the bundled
data do not have. On the A100 every governor meets these periods; at 1.1-1.25x schedutil keeps the top SM
clocks (its 1.25 headroom asks for more than the maximum) and the schedule saves by running just in time,
since 60 W of idle power make finishing early expensive; at 1.5x schedutil comes down and is within a few
percent of the schedule, while ondemand (closest frequency to a linear target) and conservative (stuck at
the maximum: the load never falls below 20 %) are not.

Assumptions: the EMC's busy share is the memory-bound share of a joint_mem_comp fit of the inference latency
(R^2 about 0.999 on the TX2, 10-65 % of the time), the same for every block; the GPU is busy whenever a block
runs; schedutil stands in for the Jetson GPU governor (a devfreq governor on the real board) and for the
A100's driver-managed clocks; SysScale's thresholds (40 % / 30 % memory-busy time) are not public; idle power
1 W (TX2) and 60 W (A100); per-block TX2 latency by MAC share; a sample falling in an overrun is merged into
the next inference's start; PELT's geometric average is replaced by the busy share of the last window.
"""


if __name__ == "__main__":
    a = common.args(__doc__.splitlines()[0])
    run(a.out, a.quick)
