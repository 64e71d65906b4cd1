"""Sweep throughput: dvfskit.sweep on 1,000,000 random scenarios (deadline, bandwidth) of one
table problem (L = 20 blocks, 13 compute x 7 memory frequencies, the bench_solve.py problem),
against a vectorised numpy brute force over every (split, f, m) per scenario, plus the memory of
the result and the Dask overhead on a LocalCluster. Ratios are printed; nothing is asserted.

Run: PYTHONPATH=python python3 benchmarks/bench_sweep.py [--scenarios 1000000] [--threads 2]
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

import dvfskit
from bench_solve import make_problem  # same directory


def scenarios(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"deadline_ms": rng.uniform(5.0, 80.0, n), "bandwidth_hz": 10 ** rng.uniform(5.0, 7.7, n)})


def numpy_energies(pr: dvfskit.Problem, table: pd.DataFrame, batch: int = 250) -> np.ndarray:
    """Minimum energy (J, inf when infeasible) per scenario: every (l, f, m) in numpy, closed-form p,
    vectorised over `batch` scenarios at a time."""
    lat, pw = pr.block_latency_ms, pr.block_power_w
    L = lat.shape[0]
    t = np.concatenate([np.zeros((1,) + lat.shape[1:]), np.cumsum(lat, axis=0)]).reshape(L + 1, -1)
    e = np.concatenate([np.zeros((1,) + lat.shape[1:]), np.cumsum(lat * pw, axis=0)]).reshape(L + 1, -1) * 1e-3
    g, N0, pmax, pc, idle = pr.gain, pr.noise_w_per_hz, pr.p_max_w, pr.p_circuit_w, pr.idle_power_w
    bits = np.r_[pr.out_bits[:L], 0.0][:, None]
    srv = pr.server_latency_ms[:, None]
    out = np.empty(len(table))
    T_all, B_all = table["deadline_ms"].to_numpy(), table["bandwidth_hz"].to_numpy()
    for a0 in range(0, len(table), batch):
        T = T_all[a0:a0 + batch, None, None]
        B = B_all[a0:a0 + batch, None, None]
        a = g / (N0 * B)
        tau = (T - t - srv) * 1e-3
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            p_need = np.expm1(np.log(2) * bits / (B * tau)) / a
            x = np.sqrt(2 * a * pc) * 4 + 1.0  # energy-optimal p with circuit power: Newton on x = a p
            for _ in range(60):
                x = x - ((1 + x) * np.log1p(x) - x - a * pc) / np.log1p(x)
            p = np.clip(np.maximum(p_need, x / a if pc > 0 else 0.0), None, pmax)
            s = np.where(bits > 0, bits / (B * np.log2(1 + a * p)), 0.0)
            energy = e + (p + pc) * s * (bits > 0) + idle * srv * 1e-3
            ok = (tau > 0) & (p_need <= pmax) | ((bits == 0) & (tau >= 0))
        out[a0:a0 + batch] = np.where(ok, energy, np.inf).reshape(energy.shape[0], -1).min(axis=1)
    return out


def timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenarios", type=int, default=1_000_000)
    ap.add_argument("--numpy-scenarios", type=int, default=20_000)
    ap.add_argument("--dask-scenarios", type=int, default=200_000)
    ap.add_argument("--baseline-scenarios", type=int, default=1_000_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    pr = make_problem()
    n = args.scenarios
    table = scenarios(n)
    print(f"problem: L=20 blocks, 13 x 7 frequencies; {n:,} scenarios (deadline U(5, 80) ms, "
          f"bandwidth log-U(1e5, 5e7) Hz); {args.threads} threads, {os.cpu_count()} cores visible")

    # Other processes may share the cores: every timing is the best of `--repeat` runs, and the
    # ratios compare runs made back to back.
    def sweep(tab, **kw):
        return dvfskit.sweep(pr, table=tab, progress=False, threads=args.threads, **kw)

    sweep(table.iloc[:10_000], baselines=False)  # warm-up
    dt_opt = np.inf
    for _ in range(args.repeat):
        opt, dt = timed(lambda: sweep(table, baselines=False))
        dt_opt = min(dt_opt, dt)
    print(f"optimum only:   {dt_opt:7.2f} s  {n / dt_opt:12,.0f} scenarios/s  (feasible {opt['feasible'].mean():.1%})")
    nb = min(args.baseline_scenarios, n)
    full, dt_full = timed(lambda: sweep(table.iloc[:nb], baselines=True))
    print(f"with baselines: {dt_full:7.2f} s  {nb / dt_full:12,.0f} scenarios/s  on {nb:,} scenarios "
          f"(6 baselines per scenario: 6 restricted solves + 1 plan evaluation on top of the optimum)")
    mem_opt = opt.memory_usage(deep=True).sum() * 1e6 / n
    mem_full = full.memory_usage(deep=True).sum() * 1e6 / nb
    print(f"result DataFrame memory per million scenarios: {mem_opt / 1e6:.0f} MB optimum only "
          f"({opt.shape[1]} columns), {mem_full / 1e6:.0f} MB with baselines ({full.shape[1]} columns)")
    assert (opt["energy_j"].to_numpy()[:nb] == full["energy_j"].to_numpy()).all()
    del full

    m = min(args.numpy_scenarios, n)
    sub = table.iloc[:m]
    dt_np = dt_sub = np.inf
    for _ in range(args.repeat):
        ref, dt = timed(lambda: numpy_energies(pr, sub))
        dt_np = min(dt_np, dt)
        _, dt = timed(lambda: sweep(sub, baselines=False))
        dt_sub = min(dt_sub, dt)
    got = np.where(opt["feasible"].to_numpy()[:m], opt["energy_j"].to_numpy()[:m], np.inf)
    fin = np.isfinite(ref)
    agree = np.array_equal(fin, np.isfinite(got)) and np.allclose(got[fin], ref[fin], rtol=1e-9, atol=0)
    np_rate = m / dt_np
    print(f"numpy brute force (all 21 x 91 (split, f, m) per scenario, vectorised over 250 scenarios at a time) "
          f"on the first {m:,} scenarios: {np_rate:,.0f} scenarios/s, i.e. {n / np_rate:.0f} s scaled to {n:,}; "
          f"same optimum energies: {agree}")
    print(f"ratio sweep / numpy: {dt_np / dt_sub:.1f}x on the same {m:,} scenarios back to back; "
          f"{(n / dt_opt) / np_rate:.1f}x with the {n:,}-scenario sweep rate")

    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        print("dask.distributed not importable: Dask overhead not measured")
        return
    k = min(args.dask_scenarios, n)
    sub = table.iloc[:k]
    os.environ["PYTHONPATH"] = str(Path(dvfskit.__file__).resolve().parent.parent) + os.pathsep + os.environ.get("PYTHONPATH", "")
    (cluster, client), dt_start = timed(lambda: (lambda c: (c, Client(c)))(
        LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0")))
    try:
        dvfskit.sweep(pr, table=sub.iloc[:1000], baselines=False, backend="dask", client=client, progress=False)
        dt_local = dt_dask = np.inf
        for _ in range(args.repeat):
            local, dt = timed(lambda: dvfskit.sweep(pr, table=sub, baselines=False, progress=False, threads=args.threads))
            dt_local = min(dt_local, dt)
            dist, dt = timed(lambda: dvfskit.sweep(pr, table=sub, baselines=False, backend="dask", client=client,
                                                    progress=False))
            dt_dask = min(dt_dask, dt)
        same = local.equals(dist)
        print(f"Dask LocalCluster (2 workers x 1 thread, processes) on {k:,} scenarios (optimum only): "
              f"{dt_dask:.2f} s vs threads {dt_local:.2f} s: overhead ratio {dt_dask / dt_local:.2f}x "
              f"(cluster start-up {dt_start:.1f} s not included); identical results: {same}")
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
