"""dvfskit.compare of the four latency models (cpu_dvfs, gpu_dvfs, joint_mem_comp,
roofline_smooth) with 5-fold cross-validation and extrapolation to the top GPU frequency, on the
bundled Jetson TX2 grid (192 groups: input size x CPU frequency x core mask, 16 points each),
against one grouped gpu_dvfs fit of the same groups, in the same process.

Run by hand: python benchmarks/bench_compare.py [rounds]
"""
from __future__ import annotations

import sys
import time

import numpy as np

import dvfskit
from dvfskit import datasets

MODELS = ["cpu_dvfs", "gpu_dvfs", "joint_mem_comp", "roofline_smooth"]
BY = ["input_size", "cpu_freq_mhz", "core_mask"]


def main(rounds: int = 3) -> None:
    tx2 = datasets.tx2_xception()
    groups = tx2.groupby(BY).ngroups
    one = whole = np.inf
    result = None
    for _ in range(rounds):  # interleaved: both see the same load of the machine
        t = time.perf_counter()
        dvfskit.fit("gpu_dvfs", tx2, "latency_ms", by=BY, progress=False)
        one = min(one, time.perf_counter() - t)
        t = time.perf_counter()
        result = dvfskit.compare(MODELS, tx2, "latency_ms", by=BY, progress=False)
        whole = min(whole, time.perf_counter() - t)
    assert result is not None
    print(f"Jetson TX2 grid: {groups} groups, {len(tx2)} rows; best of {rounds} rounds")
    print(f"one grouped gpu_dvfs fit      {one * 1e3:9.1f} ms  ({one / groups * 1e6:.1f} us per group)")
    print(f"compare of {len(MODELS)} models, 5 folds + extrapolation {whole * 1e3:9.1f} ms  = {whole / one:.1f}x "
          f"one grouped fit ({len(MODELS) * 7} grouped fits and the held-out scores)")
    per_model = result.groupby("model", sort=False).time_s.first()
    print("time per model (s): " + ", ".join(f"{name} {t:.3f}" for name, t in per_model.items()))
    wins = result[result.rank_aic == 1].model.value_counts()
    print("best model by AIC: " + ", ".join(f"{name} in {n} groups" for name, n in wins.items()))
    print("median cv / extrapolation MAPE (%): " + ", ".join(
        f"{name} {g.cv_mape.median():.2f} / {g.extrap_mape.median():.2f}" for name, g in result.groupby("model")))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
