"""One fit from Python, dvfskit.fit against scipy.optimize.curve_fit and lmfit in the same process.

Part 1: t = a f^-b + c, 30 points, p0 given (the case of issue 16): us per fit, the same optimum.
Part 2: every built-in model on one group of 10-24 points: dvfskit with its automatic starting
values and bounds, curve_fit (bounded, TRF) and lmfit from starting values near the truth.

Run by hand: python benchmarks/bench_fit.py [repeats]
"""
from __future__ import annotations

import sys
import time
import warnings

import lmfit
import numpy as np
import scipy
from scipy.optimize import OptimizeWarning, curve_fit

import dvfskit
from models_for_bench import FUNCTIONS, bounds_of, make_groups, near_truth, parts


def gpu(f, a, b, c):
    return a * f ** -b + c


def timed(runs, repeats: int, rounds: int = 5):
    """us per call of each (name, fn): the best of interleaved rounds, so that all see one load."""
    best = {name: np.inf for name, _ in runs}
    for _ in range(rounds):
        for name, fn in runs:
            fn()
            t = time.perf_counter()
            for _ in range(repeats):
                fn()
            best[name] = min(best[name], (time.perf_counter() - t) / repeats)
    return best


def part1(repeats: int) -> None:
    rng = np.random.default_rng(0)
    f = np.linspace(0.2, 1.4, 30)
    y = gpu(f, 30.0, 0.8, 5.0) * (1 + 0.01 * rng.standard_normal(f.size))
    p0 = [10.0, 1.0, 1.0]
    model = dvfskit.Model("a * f**(-b) + c", inputs=["f"])
    data = {"f": f}
    lm_model = lmfit.Model(gpu, independent_vars=["f"])
    lm_params = lm_model.make_params(a=p0[0], b=p0[1], c=p0[2])
    runs = [("dvfskit", lambda: dvfskit.fit(model, data, y, p0=p0).params),
            ("scipy.curve_fit", lambda: curve_fit(gpu, f, y, p0=p0)),
            ("lmfit", lambda: lm_model.fit(y, lm_params, f=f))]
    answers = {"dvfskit": np.array(list(dvfskit.fit(model, data, y, p0=p0).params.values())),
               "scipy.curve_fit": curve_fit(gpu, f, y, p0=p0)[0],
               "lmfit": np.array(list(lm_model.fit(y, lm_params, f=f).params.valuesdict().values()))}
    times = timed(runs, repeats)
    ref = answers["dvfskit"]
    print(f"one fit of a * f**(-b) + c to 30 points, p0 given, {repeats} repeats x 5 rounds "
          f"(scipy {scipy.__version__}, lmfit {lmfit.__version__})")
    print(f"{'solver':<16} {'us/fit':>9} {'fits/s':>9} {'dvfskit faster':>15} {'max rel diff vs dvfskit':>24}")
    for name, t in times.items():
        diff = np.max(np.abs(answers[name] - ref) / np.abs(ref))
        print(f"{name:<16} {t * 1e6:9.1f} {1 / t:9.0f} {t / times['dvfskit']:14.2f}x {diff:24.2e}")


def part2(repeats: int) -> None:
    print("\nevery built-in model, one group of 10-24 points (the first group of bench_group_fit's data): dvfskit "
          "with automatic starts and bounds; curve_fit (TRF, bounds) and lmfit from near-truth starts")
    print(f"{'model':<18} {'dvfskit us':>11} {'curve_fit us':>13} {'faster':>7} {'lmfit us':>9} {'faster':>7} "
          f"{'rss dvfskit/curve_fit':>22}")
    for name in ["gpu_dvfs"] + [n for n in FUNCTIONS if n != "gpu_dvfs"]:
        frame, truth = make_groups(name, 1, seed=5)
        f, m, y = parts(frame)[0]
        start = near_truth(name, truth)[0]
        func = FUNCTIONS[name][0]
        lo, hi = bounds_of(name)
        model = dvfskit.models.get(name)
        names = list(model.parameters)
        scope = {"func": func}
        exec(f"def peer(f, m, {', '.join(names)}):\n    return func(f, m, {', '.join(names)})", scope)
        lm_model = lmfit.Model(scope["peer"], independent_vars=["f", "m"])
        lm_params = lm_model.make_params(**{k: dict(value=v, min=a, max=b) for k, v, a, b in zip(names, start, lo, hi)})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            peer = curve_fit(lambda x, *p: func(x[0], x[1], *p), (f, m), y, p0=start, bounds=(lo, hi))[0]
            times = timed([("dvfskit", lambda: dvfskit.fit(model, frame, "y").params),
                           ("curve_fit", lambda: curve_fit(lambda x, *p: func(x[0], x[1], *p), (f, m), y, p0=start,
                                                           bounds=(lo, hi))),
                           ("lmfit", lambda: lm_model.fit(y, lm_params, f=f, m=m))], max(10, repeats // 10), 3)
        ours = dvfskit.fit(model, frame, "y")
        theirs = float(np.sum((y - func(f, m, *peer)) ** 2))
        print(f"{name:<18} {times['dvfskit'] * 1e6:11.1f} {times['curve_fit'] * 1e6:13.1f} "
              f"{times['curve_fit'] / times['dvfskit']:6.1f}x {times['lmfit'] * 1e6:9.1f} "
              f"{times['lmfit'] / times['dvfskit']:6.1f}x {ours.rss / theirs:22.9f}")


def main(repeats: int = 300) -> None:
    part1(repeats)
    part2(repeats)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
