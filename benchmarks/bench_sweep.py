"""Sweep throughput: dvfskit.sweep on 1,000,000 random scenarios (deadline, bandwidth) of one
table problem (L = 20 blocks, 1,848 configurations = 12 CPU x 14 GPU x 11 EMC frequencies, the
bench_solve.py problem), against a vectorised numpy brute force over every (split, configuration)
per scenario, with every baseline (max frequency, one only_<knob> per knob, the CPU-DVFS model,
all local, full offload, fixed power), plus the memory of the result and the Dask overhead on a
LocalCluster. Ratios are printed; nothing is asserted.

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


def numpy_energies(pr: dvfskit.Problem, table: pd.DataFrame, batch: int = 20) -> np.ndarray:
    """Minimum energy (J, inf when infeasible) per scenario: every (l, k) in numpy, closed-form p,
    vectorised over `batch` scenarios at a time."""
    lat, pw = pr.config_latency_ms, pr.config_power_w
    L, K = lat.shape
    t = np.concatenate([np.zeros((1, K)), np.cumsum(lat, axis=0)])
    e = np.concatenate([np.zeros((1, K)), np.cumsum(lat * pw, axis=0)]) * 1e-3
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


def cpu_timed(fn):
    """(value, wall seconds, CPU seconds of this process over all its threads)."""
    c0 = time.process_time()
    value, wall = timed(fn)
    return value, wall, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenarios", type=int, default=1_000_000)
    ap.add_argument("--numpy-scenarios", type=int, default=2_000)
    ap.add_argument("--dask-scenarios", type=int, default=200_000)
    ap.add_argument("--baseline-scenarios", type=int, default=300_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    pr = make_problem()
    n = args.scenarios
    table = scenarios(n)
    print(f"problem: L=20 blocks, {len(pr.configs):,} configurations (12 x 14 x 11); {n:,} scenarios (deadline U(5, 80) ms, "
          f"bandwidth log-U(1e5, 5e7) Hz); {args.threads} threads, {os.cpu_count()} cores visible")

    # Other processes may share the cores: every timing is the best of `--repeat` runs, and the
    # ratios compare runs made back to back.
    def sweep(tab, **kw):
        return dvfskit.sweep(pr, table=tab, progress=False, threads=args.threads, **kw)

    # On a shared machine the wall time depends on the other sessions' load; CPU time does not.
    # The C++ batch (threads in parallel) and the Python around it (one thread) are timed apart,
    # so the rate on `threads` otherwise idle cores is estimated as n / (python + C++ / threads).
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    from dvfskit import _baselines, _core
    from dvfskit._sweep import _baseline_specs

    scen = np.tile([pr.scenario[f] for f in ("deadline_ms", "bandwidth_hz", "gain", "noise_w_per_hz", "p_max_w",
                                             "p_circuit_w", "idle_power_w")], (n, 1))
    scen[:, 0], scen[:, 1] = table["deadline_ms"], table["bandwidth_hz"]

    def measure(rows, with_baselines):
        specs = _baseline_specs(pr, _baselines.baseline_names(pr))[0] if with_baselines else []
        wall = cpu = batch = np.inf
        for _ in range(args.repeat):
            df, dt, c = cpu_timed(lambda: sweep(table.iloc[:rows], baselines=with_baselines))
            wall, cpu = min(wall, dt), min(cpu, c)
            _, _, c = cpu_timed(lambda: _core.solve_batch(pr._tables, scen[:rows], 0, 0.0, specs, args.threads))
            batch = min(batch, c)
        python = max(cpu - batch, 0.0)
        idle = rows / (python + batch / args.threads)
        return df, wall, f"{rows / wall:12,.0f} scenarios/s wall; CPU per scenario {batch / rows * 1e6:.2f} us C++ + " \
                         f"{python / rows * 1e6:.2f} us Python -> about {idle:,.0f} scenarios/s on {args.threads} idle cores"

    sweep(table.iloc[:10_000], baselines=False)  # warm-up
    opt, dt_opt, text = measure(n, False)
    print(f"optimum only:   {dt_opt:7.2f} s {text} (feasible {opt['feasible'].mean():.1%})")
    nb = min(args.baseline_scenarios, n)
    full, dt_full, text = measure(nb, True)
    names = dvfskit.baselines(pr).index[1:].tolist()
    print(f"with baselines: {dt_full:7.2f} s {text}; on {nb:,} scenarios ({len(names)} baselines per scenario: "
          f"{', '.join(names)}; compute_dvfs_only is an alias, solved once)")
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
    print(f"numpy brute force (all 21 x {len(pr.configs)} (split, configuration) per scenario, vectorised over 20 scenarios at a time) "
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
