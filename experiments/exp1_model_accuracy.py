"""Experiment 1: latency-model accuracy, CPU-DVFS (t = W/f) vs GPU DVFS-aware (t = a f^-b + c)
vs joint memory + compute models (joint_mem_comp, roofline_smooth).

Measured data only:
- Jetson TX2, Xception, one fit per input size, at the maximum CPU frequency (4 GPU x 4 EMC
  frequencies x 4 core masks = 64 points per fit);
- A100-SXM, one fit per DNN x pipeline stage x instruction (38 SM frequencies; compute
  frequency only, so only cpu_dvfs and gpu_dvfs apply; stages 0-6 are identical, 0 and 7 kept).

Scores (percent): in-sample MAPE, 5-fold cross-validated MAPE, and held-out-frequency MAPE
(fit on the lower 2/3 of the compute frequencies, predict the top 1/3: on the TX2 that is the
highest of its 4 GPU frequencies). Output: model_accuracy.csv / .png.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import common
import matplotlib.pyplot as plt
import pandas as pd

import dvfskit
from dvfskit import datasets

TX2_MODELS = ["cpu_dvfs", "gpu_dvfs", "joint_mem_comp", "roofline_smooth"]
A100_MODELS = ["cpu_dvfs", "gpu_dvfs"]
SCORES = ["mape", "cv_mape", "extrap_mape"]


def run(out: Path, quick: bool = False) -> Dict[str, Any]:
    tx = datasets.tx2_xception()
    tx = tx[tx["cpu_freq_mhz"] == tx["cpu_freq_mhz"].max()]
    if quick:
        tx = tx[tx["input_size"] == "400x400"]
    tx_rank = dvfskit.compare(TX2_MODELS, tx, "latency_ms", by="input_size", max_iterations=10000)
    tx_rank = tx_rank.assign(device="TX2", workload="xception " + tx_rank["input_size"])

    a = datasets.a100_stages()
    a = a[a["block"].isin([0, 7])]
    if quick:
        a = a[(a["dnn"] == "bloom") & (a["instruction"] == "forward")]
    a_rank = dvfskit.compare(A100_MODELS, a, "latency_ms", by=["dnn", "block", "instruction"])
    a_rank = a_rank.assign(device="A100", workload=a_rank["dnn"] + " stage " + a_rank["block"].astype(str)
                           + " " + a_rank["instruction"])

    cols = ["device", "workload", "model", "n"] + SCORES + ["aic", "rank_aic"]
    table = pd.concat([tx_rank[cols], a_rank[cols]], ignore_index=True)
    common.show(table)

    mean = table.groupby(["device", "model"])[SCORES].mean().reset_index()
    print("\nmean over workloads (%):")
    common.show(mean)

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    for ax, device, models in ((axes[0], "TX2", TX2_MODELS), (axes[1], "A100", A100_MODELS)):
        part = table[table["device"] == device]
        piv = part.pivot_table(index="workload", columns="model", values="mape")[models]
        ext = part.pivot_table(index="workload", columns="model", values="extrap_mape")[models]
        x = range(len(piv))
        w = 0.8 / len(models)
        for i, m in enumerate(models):
            pos = [j + (i - (len(models) - 1) / 2) * w for j in x]
            ax.bar(pos, piv[m], w, color=f"C{i}", label=f"{m} (in-sample)")
            ax.scatter(pos, ext[m], marker="_", s=120, color="black", zorder=3,
                       label="held-out top 1/3 frequencies" if i == 0 else None)
        ax.set_xticks(list(x))
        ax.set_xticklabels(piv.index, rotation=30, ha="right", fontsize="small")
        ax.set_yscale("log")
        ax.set_ylabel("latency MAPE (%)")
        ax.set_title(f"{device} (measured): latency model error")
        ax.legend(fontsize="small")
    common.save(fig, table, out, "model_accuracy")

    m = mean.set_index(["device", "model"])
    return {"table": table, "mean": mean,
            "headline": {f"{d}_{mod}_{s}": float(m.loc[(d, mod), s]) for d, mod in m.index for s in SCORES}}


if __name__ == "__main__":
    a = common.args(__doc__.splitlines()[0])
    run(a.out, a.quick)
