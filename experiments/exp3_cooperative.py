"""Experiment 3: cooperative (device + edge server) inference. Energy saved by the joint optimum
(split point, GPU and EMC frequency, transmit power) vs all-local, full offload, fixed (maximum)
transmit power and maximum frequency, across uplink rates and deadlines.

Measured: the TX2 Xception 400x400 latency and power tables. SYNTHETIC (labelled, see
``examples.tx2_offloading_problem(...).assumptions``): per-block spread by MAC share, an edge
server 8x faster than the TX2, 0.1 W radio circuit power, 1 W idle power while waiting, and the
channel. Channel: Shannon rate r(p) = B log2(1 + p g / (N0 B)), N0 = -174 dBm/Hz, p_max = 0.5 W.
The gain is scaled with the bandwidth so that the SNR at p_max is fixed at 2^10 - 1 (30.1 dB):
then r(p_max) = 10 bit/s/Hz x B, and B = 50 kHz ... 10 MHz gives 0.5 ... 100 Mbit/s.
Output: cooperative.csv / .png.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import common
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import dvfskit
from dvfskit import examples

BASELINES = ["all_local", "full_offload", "fixed_max_power", "max_frequency"]
SNR_AT_PMAX = 2.0**10 - 1  # r(p_max) = 10 bit/s/Hz * B


def channel_for_rate(rate_mbps: float, p_max_w: float, noise_w_per_hz: float) -> Dict[str, float]:
    """bandwidth_hz and gain such that the Shannon rate at p_max is ``rate_mbps`` (SNR 30.1 dB)."""
    b = rate_mbps * 1e6 / np.log2(1 + SNR_AT_PMAX)
    return {"bandwidth_hz": b, "gain": SNR_AT_PMAX * noise_w_per_hz * b / p_max_w}


def run(out: Path, quick: bool = False) -> Dict[str, Any]:
    problem = examples.tx2_offloading_problem("400x400")
    print("assumptions:\n" + problem.assumptions.to_string())
    rates = [0.5, 5.0, 50.0] if quick else [0.5, 1, 2, 4, 8, 16, 32, 64, 100]
    deadlines = np.linspace(100, 1000, 4 if quick else 46)
    sc = problem.scenario
    table = pd.DataFrame([{"deadline_ms": d, **channel_for_rate(r, sc["p_max_w"], sc["noise_w_per_hz"])}
                          for r in rates for d in deadlines])
    df = dvfskit.sweep(problem, table=table, baselines=BASELINES, progress=False)
    df.insert(0, "rate_at_pmax_mbps", np.repeat(rates, len(deadlines)))

    rows = []
    for b in BASELINES:
        both = df["feasible"] & df[f"{b}_feasible"]
        rows.append({"baseline": b, "mean_saving_pct": df.loc[both, f"saving_vs_{b}_pct"].mean(),
                     "max_saving_pct": df.loc[both, f"saving_vs_{b}_pct"].max(),
                     "scenarios_both_feasible": int(both.sum()),
                     "only_optimum_feasible": int((df["feasible"] & ~df[f"{b}_feasible"]).sum())})
    summary = pd.DataFrame(rows)
    print(f"\n{len(df)} scenarios, optimum feasible in {int(df['feasible'].sum())}; energy saved by the joint optimum:")
    common.show(summary)
    by_rate = df.groupby("rate_at_pmax_mbps")[[f"saving_vs_{b}_pct" for b in BASELINES]].mean()
    print("\nmean saving (%) per uplink rate at p_max (Mbit/s):")
    print(by_rate.round(2).to_string())

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    for i, b in enumerate(BASELINES):
        axes[0].plot(by_rate.index, by_rate[f"saving_vs_{b}_pct"], "-o", color=f"C{i}", label=f"vs {b}")
    axes[0].set_xscale("log")
    axes[0].set_xlabel("uplink rate at p_max (Mbit/s, synthetic channel)")
    axes[0].set_ylabel("mean energy saved by joint optimum (%)")
    axes[0].set_title("TX2 Xception 400x400 + edge server: saving vs baselines")
    axes[0].legend(fontsize="small")
    piv = df.pivot_table(index="rate_at_pmax_mbps", columns="deadline_ms", values="split")
    im = axes[1].imshow(piv.to_numpy(), aspect="auto", origin="lower", cmap="viridis",
                        extent=[deadlines[0], deadlines[-1], -0.5, len(rates) - 0.5])
    axes[1].set_yticks(range(len(rates)))
    axes[1].set_yticklabels([f"{r:g}" for r in rates])
    axes[1].set_xlabel("deadline (ms)")
    axes[1].set_ylabel("uplink rate at p_max (Mbit/s)")
    axes[1].set_title("optimal split (blocks on the device; 0 = full offload)")
    fig.colorbar(im, ax=axes[1])
    common.save(fig, df, out, "cooperative")

    s = summary.set_index("baseline")
    return {"table": df, "summary": summary, "headline": {
        **{f"mean_saving_vs_{b}_pct": float(s.loc[b, "mean_saving_pct"]) for b in BASELINES},
        "mean_saving_vs_baselines_pct": float(s["mean_saving_pct"].mean()),
        "feasible_fraction": float(df["feasible"].mean()),
    }}


if __name__ == "__main__":
    a = common.args(__doc__.splitlines()[0])
    run(a.out, a.quick)
