"""Fits per second of one small fit (t = a f^-b + c, 30 points) with dvfskit.fit, against
scipy.optimize.curve_fit and lmfit in the same process, at the same optimum.

Run by hand: python benchmarks/bench_fit.py [repeats]
"""
from __future__ import annotations

import sys
import time

import lmfit
import numpy as np
import scipy
from scipy.optimize import curve_fit

import dvfskit


def gpu(f, a, b, c):
    return a * f ** -b + c


def main(repeats: int = 300) -> None:
    rng = np.random.default_rng(0)
    f = np.linspace(0.2, 1.4, 30)
    y = gpu(f, 30.0, 0.8, 5.0) * (1 + 0.01 * rng.standard_normal(f.size))
    p0 = [10.0, 1.0, 1.0]
    model = dvfskit.Model("a * f**(-b) + c", inputs=["f"])
    data = {"f": f}
    lm_model = lmfit.Model(gpu, independent_vars=["f"])
    lm_params = lm_model.make_params(a=p0[0], b=p0[1], c=p0[2])

    def run_dvfskit():
        return list(dvfskit.fit(model, data, y, p0=p0).params.values())

    def run_scipy():
        return list(curve_fit(gpu, f, y, p0=p0)[0])

    def run_lmfit():
        return list(lm_model.fit(y, lm_params, f=f).params.valuesdict().values())

    timings = {}
    answers = {}
    for name, fn in (("dvfskit", run_dvfskit), ("scipy.curve_fit", run_scipy), ("lmfit", run_lmfit)):
        answers[name] = np.array(fn())  # warm-up and answer
        start = time.perf_counter()
        for _ in range(repeats):
            fn()
        timings[name] = (time.perf_counter() - start) / repeats

    ref = answers["dvfskit"]
    print(f"one fit of a * f**(-b) + c to 30 points, {repeats} repeats (scipy {scipy.__version__}, lmfit {lmfit.__version__})")
    print(f"{'solver':<16} {'us/fit':>9} {'fits/s':>9} {'dvfskit speed-up':>17} {'max rel diff vs dvfskit':>24}")
    for name, t in timings.items():
        diff = np.max(np.abs(answers[name] - ref) / np.abs(ref))
        print(f"{name:<16} {t * 1e6:9.1f} {1 / t:9.0f} {t / timings['dvfskit']:16.2f}x {diff:24.2e}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
