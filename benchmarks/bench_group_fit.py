"""Grouped fits: 10,000 groups of t = a f^-b + c (10-40 points each) with dvfskit.fit(..., by=...)
against a loop of scipy.optimize.curve_fit and a loop of lmfit in the same process, at the same
optimum. Run by hand: python benchmarks/bench_group_fit.py [groups] [lmfit_groups]
"""
from __future__ import annotations

import os
import sys
import time

import lmfit
import numpy as np
import pandas as pd
from scipy.optimize import curve_fit

import dvfskit


def gpu(f, a, b, c):
    return a * (f / 1000.0) ** -b + c


def make_groups(groups: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(10, 41, groups)
    gid = np.repeat(np.arange(groups), sizes)
    a = rng.uniform(5, 50, groups)[gid]
    b = rng.uniform(0.5, 2.0, groups)[gid]
    c = rng.uniform(1, 10, groups)[gid]
    f = rng.uniform(100, 1400, gid.size)
    y = gpu(f, a, b, c) * (1 + 0.01 * rng.standard_normal(gid.size))
    return pd.DataFrame({"group": gid, "compute_freq_mhz": f, "latency_ms": y})


def main(groups: int = 10_000, lmfit_groups: int = 1_000) -> None:
    df = make_groups(groups)
    p0 = [10.0, 1.0, 1.0]
    bounds = {"a": (0, np.inf), "b": (0, 4), "c": (0, np.inf)}
    parts = [(g["compute_freq_mhz"].to_numpy(), g["latency_ms"].to_numpy()) for _, g in df.groupby("group")]
    print(f"{groups} groups, {len(df)} rows, {os.cpu_count()} cores")

    t = time.perf_counter()
    shared = dvfskit.fit(dvfskit.models.gpu_dvfs, df, "latency_ms", by="group", p0=p0, bounds=bounds)
    t_shared = time.perf_counter() - t
    t = time.perf_counter()
    guessed = dvfskit.fit(dvfskit.models.gpu_dvfs, df, "latency_ms", by="group")
    t_guess = time.perf_counter() - t
    t = time.perf_counter()
    single = dvfskit.fit(dvfskit.models.gpu_dvfs, df, "latency_ms", by="group", p0=p0, bounds=bounds, threads=1)
    t_single = time.perf_counter() - t

    unbounded = dvfskit.Model("a * (compute_freq_mhz / 1000)**(-b) + c", ["compute_freq_mhz"], name="gpu_dvfs_unbounded")
    t = time.perf_counter()
    free = dvfskit.fit(unbounded, df, "latency_ms", by="group", p0=p0)
    t_free = time.perf_counter() - t
    t = time.perf_counter()
    for f, y in parts:
        try:
            curve_fit(gpu, f, y, p0=p0)  # Levenberg-Marquardt (MINPACK), no bounds
        except RuntimeError:
            pass
    t_scipy_free = time.perf_counter() - t

    lo, hi = [0, 0, 0], [np.inf, 4, np.inf]
    t = time.perf_counter()
    scipy_params = []
    for f, y in parts:
        try:
            scipy_params.append(curve_fit(gpu, f, y, p0=p0, bounds=(lo, hi))[0])
        except RuntimeError:
            scipy_params.append(np.full(3, np.nan))
    t_scipy = time.perf_counter() - t
    scipy_params = np.array(scipy_params)

    model = lmfit.Model(gpu, independent_vars=["f"])
    params = model.make_params(a=dict(value=p0[0], min=0), b=dict(value=p0[1], min=0, max=4), c=dict(value=p0[2], min=0))
    t = time.perf_counter()
    lm_params = np.array([list(model.fit(y, params, f=f).params.valuesdict().values()) for f, y in parts[:lmfit_groups]])
    t_lmfit = (time.perf_counter() - t) * groups / lmfit_groups

    def rss_of(p: np.ndarray) -> np.ndarray:
        return np.array([np.sum((y - gpu(f, *q)) ** 2) for (f, y), q in zip(parts, p)])

    dv_rss = rss_of(shared.params)

    def agree(p: np.ndarray, n: int) -> str:
        scale = np.maximum(np.abs(shared.params[:n]), 1e-9)
        same = np.all(np.abs(p - shared.params[:n]) <= 1e-6 * scale + 1e-9, axis=1)
        peer_rss = rss_of(p)
        better = peer_rss < dv_rss[:n] * (1 - 1e-9)
        worse = peer_rss > dv_rss[:n] * (1 + 1e-9)
        return (f"{same.sum()}/{n} groups at the same parameters (1e-6 relative); where not: "
                f"dvfskit lower rss in {int((worse & ~same).sum())}, peer lower in {int((better & ~same).sum())}, "
                f"equal rss (flat optimum) in {int((~same & ~better & ~worse).sum())}")

    print(f"{'solver':<44} {'s':>8} {'fits/s':>9} {'speed-up of dvfskit':>20}")
    rows = [
        ("dvfskit by=, shared p0, all cores", t_shared),
        ("dvfskit by=, per-group C++ guess, all cores", t_guess),
        ("dvfskit by=, shared p0, 1 thread", t_single),
        ("scipy.optimize.curve_fit loop", t_scipy),
        (f"lmfit loop (timed on {lmfit_groups}, scaled)", t_lmfit),
    ]
    for name, seconds in rows:
        print(f"{name:<44} {seconds:8.3f} {groups / seconds:9.0f} {seconds / t_shared:19.1f}x")
    print("without bounds (MINPACK LM in scipy):")
    print(f"{'dvfskit by=, shared p0, all cores':<44} {t_free:8.3f} {groups / t_free:9.0f} {1.0:19.1f}x")
    print(f"{'scipy.optimize.curve_fit loop (lm)':<44} {t_scipy_free:8.3f} {groups / t_scipy_free:9.0f} "
          f"{t_scipy_free / t_free:19.1f}x   (converged groups: dvfskit {int(free.success.sum())})")
    print(f"scipy vs dvfskit: {agree(scipy_params, groups)}")
    print(f"lmfit vs dvfskit: {agree(lm_params, lmfit_groups)}")
    print(f"dvfskit per-group guess vs shared p0: {agree(guessed.params, groups)}")
    print(f"dvfskit converged: shared p0 {shared.success.sum()}/{groups}, guess {guessed.success.sum()}/{groups}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
