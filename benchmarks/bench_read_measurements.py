"""Loading speed: dvfskit.read_measurements on tables where every configuration is measured
twice (the repeats check sees every row), against the pandas operations a hand-written loader
would run on the same table (read_csv, drop_duplicates / groupby-mean), in the same process.

Run: PYTHONPATH=python python3 benchmarks/bench_read_measurements.py [rows ...]
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from typing import Callable

import numpy as np
import pandas as pd

import dvfskit


def table(n: int, seed: int = 0) -> pd.DataFrame:
    """n rows: n / 2 configurations (device x compute x memory frequency), each twice, shuffled."""
    rng = np.random.default_rng(seed)
    k = np.repeat(np.arange(n // 2), 2)
    rng.shuffle(k)
    f = 100.0 + (k % 997)
    m = 200.0 + (k // 997 % 1009)
    return pd.DataFrame({
        "device": np.where(k // (997 * 1009) % 2 == 0, "TX2", "Orin"),
        "compute_freq_mhz": f,
        "mem_freq_mhz": m,
        "latency_ms": 1e4 / f + 3e4 / m,
        "power_w": 1.0 + 1e-3 * f + 5e-4 * m,
    })


def seconds(fn: Callable[[], object], repeat: int = 3) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [200_000, 1_000_000]
    keys = ["device", "compute_freq_mhz", "mem_freq_mhz"]
    print(f"{'rows':>9} {'case':<28} {'dvfskit s':>10} {'rows/s':>12} {'pandas s':>9} {'ratio':>6}")
    for n in sizes:
        df = table(n)
        noisy = df.assign(latency_ms=df["latency_ms"] * np.random.default_rng(1).uniform(0.99, 1.01, n))
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "m.csv")
            df.to_csv(path, index=False)
            cases = [
                ("DataFrame, exact repeats", lambda: dvfskit.read_measurements(df),
                 lambda: df.drop_duplicates(keys)),
                ("DataFrame, aggregate='mean'", lambda: dvfskit.read_measurements(noisy, aggregate="mean"),
                 lambda: noisy.groupby(keys, sort=False).mean().reset_index()),
                ("CSV file, exact repeats", lambda: dvfskit.read_measurements(path),
                 lambda: pd.read_csv(path).drop_duplicates(keys)),
            ]
            for label, ours, peer in cases:
                assert len(ours()) == n // 2  # type: ignore[arg-type]
                a, b = seconds(ours), seconds(peer)
                print(f"{n:>9} {label:<28} {a:>10.3f} {n / a:>12,.0f} {b:>9.3f} {a / b:>6.2f}")


if __name__ == "__main__":
    main()
