"""Grouped fits against scipy and lmfit loops in the same process.

Part 1, gpu_dvfs (t = a f^-b + c, 10-24 points a group, 1 % noise): dvfskit.fit(..., by=) with
its automatic starting values and the model's physical bounds, against a loop of scipy's
MINPACK Levenberg-Marquardt (curve_fit, no bounds) and of bounded curve_fit (TRF), both given
starting values near the truth, and a loop of lmfit; then the residual sums of squares in the
groups where scipy's optimum is physically valid (inside the model's bounds).

Part 2, every built-in model: fits/s and us per fit, dvfskit against bounded curve_fit and lmfit.

Run by hand: python benchmarks/bench_group_fit.py [groups] [peer_groups]
"""
from __future__ import annotations

import os
import sys
import time
import warnings

import lmfit
import numpy as np
import scipy
from scipy.optimize import OptimizeWarning, curve_fit

import dvfskit
from models_for_bench import FUNCTIONS, bounds_of, make_groups, near_truth, parts


def scipy_loop(name, data, p0, bounded: bool):
    func = FUNCTIONS[name][0]
    lo, hi = bounds_of(name)
    out = []
    for (f, m, y), start in zip(data, p0):
        try:
            kw = dict(bounds=(lo, hi)) if bounded else dict(method="lm")
            out.append(curve_fit(lambda x, *p: func(x[0], x[1], *p), (f, m), y, p0=start, **kw)[0])
        except (RuntimeError, ValueError):
            out.append(np.full(len(start), np.nan))
    return np.array(out)


def lmfit_loop(name, data, p0):
    func = FUNCTIONS[name][0]
    model = dvfskit.models.get(name)
    lo, hi = bounds_of(name)
    names = list(model.parameters)
    scope = {"func": func}  # lmfit reads the parameter names from the function's signature
    exec(f"def model(f, m, {', '.join(names)}):\n    return func(f, m, {', '.join(names)})", scope)
    lm = lmfit.Model(scope["model"], independent_vars=["f", "m"])
    out = []
    for (f, m, y), start in zip(data, p0):
        params = lm.make_params(**{k: dict(value=v, min=a, max=b) for k, v, a, b in zip(names, start, lo, hi)})
        out.append(list(lm.fit(y, params, f=f, m=m).params.valuesdict().values()))
    return np.array(out)


def rss(name, data, params):
    func = FUNCTIONS[name][0]
    return np.array([np.sum((y - func(f, m, *p)) ** 2) if np.all(np.isfinite(p)) else np.inf
                     for (f, m, y), p in zip(data, params)])


def part1(groups: int, peer_groups: int, rounds: int = 3) -> None:
    name = "gpu_dvfs"
    frame, truth = make_groups(name, groups)
    data = parts(frame)
    p0 = near_truth(name, truth)
    model = dvfskit.models.gpu_dvfs
    print(f"gpu_dvfs: {groups} groups of 10-24 points ({len(frame)} rows), {os.cpu_count()} cores, "
          f"scipy {scipy.__version__}, lmfit {lmfit.__version__}; each timing the best of {rounds} interleaved rounds")
    fitted = dvfskit.fit(model, frame, "y", by="group", progress=False)
    n = min(peer_groups, groups)
    k = min(n, max(200, n // 5))
    best = dict(dv=np.inf, dv1=np.inf, lm=np.inf, trf=np.inf, lmfit=np.inf)
    for _ in range(rounds):  # interleaved, so that every solver sees the same load of the machine
        for key, run, count in (("dv", lambda: dvfskit.fit(model, frame, "y", by="group", progress=False), groups),
                                ("dv1", lambda: dvfskit.fit(model, frame, "y", by="group", threads=1, progress=False),
                                 groups),
                                ("lm", lambda: scipy_loop(name, data[:n], p0[:n], bounded=False), n),
                                ("trf", lambda: scipy_loop(name, data[:k], p0[:k], bounded=True), k),
                                ("lmfit", lambda: lmfit_loop(name, data[:k], p0[:k]), k)):
            t = time.perf_counter()
            run()
            best[key] = min(best[key], (time.perf_counter() - t) / count)
    lm = scipy_loop(name, data[:n], p0[:n], bounded=False)
    trf = scipy_loop(name, data[:n], p0[:n], bounded=True)
    lmf = lmfit_loop(name, data[:k], p0[:k])
    per_fit = best["dv"]
    print(f"{'solver':<58} {'us/fit':>9} {'fits/s':>10} {'dvfskit faster':>15}")
    for label, seconds in ((f"dvfskit by=, automatic starts, bounds, {os.cpu_count()} threads", per_fit),
                           ("dvfskit by=, automatic starts, bounds, 1 thread", best["dv1"]),
                           (f"scipy curve_fit lm (MINPACK), near-truth p0, no bounds ({n})", best["lm"]),
                           (f"scipy curve_fit trf, near-truth p0, bounds ({k})", best["trf"]),
                           (f"lmfit leastsq, near-truth p0, bounds ({k})", best["lmfit"])):
        print(f"{label:<58} {seconds * 1e6:9.2f} {1 / seconds:10.0f} {seconds / per_fit:14.1f}x")
    lo, hi = bounds_of(name)
    ours = fitted.stats["rss"][:n]
    for label, peer in (("scipy lm", lm), ("scipy trf", trf), ("lmfit", lmf)):
        m = len(peer)
        valid = np.all(np.isfinite(peer), axis=1) & np.all((peer >= lo) & (peer <= hi), axis=1)
        theirs = rss(name, data[:m], peer)
        ok = ours[:m] <= theirs * (1 + 1e-9) + 1e-300
        better = ours[:m] < theirs * (1 - 1e-9)
        print(f"  vs {label:<10}: optimum physically valid in {int(valid.sum())}/{m} groups; dvfskit rss equal or "
              f"lower in {100 * ok[valid].mean():.2f} % of them (lower by > 1e-9 in {int(better[valid].sum())}); "
              f"worse in {int((~ok & valid).sum())}; where the peer left the bounds dvfskit is worse in "
              f"{int((~ok & ~valid).sum())} (physically invalid optimum excluded by the bounds)")
    print(f"  dvfskit: {int(fitted.success.sum())}/{groups} converged")


def part2(groups: int, peer_groups: int) -> None:
    print(f"\nevery built-in model: {groups} groups of 10-24 points (peers timed on {peer_groups}), automatic starts "
          "for dvfskit, near-truth starts and the model's bounds for the peers")
    print(f"{'model':<18} {'dvfskit us/fit':>14} {'fits/s':>9} {'x gpu_dvfs':>10} {'curve_fit us':>13} "
          f"{'faster':>7} {'lmfit us':>9} {'faster':>7} {'rss <= curve_fit':>17}")
    reference = None
    for name in ["gpu_dvfs"] + [n for n in FUNCTIONS if n != "gpu_dvfs"]:
        frame, truth = make_groups(name, groups, seed=3)
        data = parts(frame)
        p0 = near_truth(name, truth)
        model = dvfskit.models.get(name)
        fitted = dvfskit.fit(model, frame, "y", by="group", progress=False)
        n = min(peer_groups, groups)
        k = max(50, n // 5)
        per_fit = t_trf = t_lmf = np.inf
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            trf = scipy_loop(name, data[:n], p0[:n], bounded=True)
            for _ in range(2):  # interleaved rounds, the best of each
                t = time.perf_counter()
                dvfskit.fit(model, frame, "y", by="group", progress=False)
                per_fit = min(per_fit, (time.perf_counter() - t) / groups)
                t = time.perf_counter()
                scipy_loop(name, data[:k], p0[:k], bounded=True)
                t_trf = min(t_trf, (time.perf_counter() - t) / k)
                t = time.perf_counter()
                lmfit_loop(name, data[:k], p0[:k])
                t_lmf = min(t_lmf, (time.perf_counter() - t) / k)
        if name == "gpu_dvfs":
            reference = per_fit
        ok = fitted.stats["rss"][:n] <= rss(name, data[:n], trf) * (1 + 1e-9) + 1e-300
        ratio = f"{per_fit / reference:10.1f}" if reference else f"{'':>10}"
        print(f"{name:<18} {per_fit * 1e6:14.2f} {1 / per_fit:9.0f} {ratio} {t_trf * 1e6:13.1f} "
              f"{t_trf / per_fit:6.0f}x {t_lmf * 1e6:9.1f} {t_lmf / per_fit:6.0f}x {100 * ok.mean():16.1f}%")


def main(groups: int = 10_000, peer_groups: int = 2_000) -> None:
    part1(groups, peer_groups)
    part2(max(1000, groups // 5), max(200, peer_groups // 5))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
