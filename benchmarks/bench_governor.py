"""Governor simulation speed: the steady state (one decision per inference) on 20 blocks x 1,848
configurations (a TX2-like CPU 12 x GPU 14 x EMC 11 grid, schedutil on CPU and GPU, simple_ondemand
on the EMC), and governor baselines for sweeps (one steady state per scenario's period, 2 threads),
each against the independent pure-Python/numpy reference simulation of tests/governor_reference.py
in the same run (same results checked). Ratios are printed; nothing is asserted.

Run: PYTHONPATH=python python3 benchmarks/bench_governor.py [--scenarios 200000] [--threads 2]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import dvfskit
from dvfskit import _core
from dvfskit._governor import governor_batch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import governor_reference as ref  # noqa: E402

CPU = np.linspace(345.6, 2035.2, 12)
GPU = np.linspace(114.75, 1300.5, 14)
EMC = np.linspace(40.8, 1866.0, 11)


def tx2_like(L: int = 20, seed: int = 3):
    """ConfigSet (1,848) and (L, K) latency / power tables from a CPU + GPU + memory time model."""
    rng = np.random.default_rng(seed)
    configs = dvfskit.ConfigSet.grid({"cpu_freq_mhz": CPU, "compute_freq_mhz": GPU, "mem_freq_mhz": EMC})
    t = configs.table
    c, g, m = (t[k].to_numpy() / 1000 for k in ("cpu_freq_mhz", "compute_freq_mhz", "mem_freq_mhz"))
    w = rng.uniform(0.5, 1.5, (L, 3))
    lat = w[:, :1] * 0.4 / c + w[:, 1:2] * 4.0 / g + w[:, 2:] * 1.5 * m ** -0.6
    pw = 1.0 + 0.8 * c ** 2.5 + 3.0 * g ** 2.5 + 0.6 * m
    return configs, lat, np.broadcast_to(pw, lat.shape).copy(), rng.uniform(0.1, 0.6, lat.shape)


def best(fn, repeat: int):
    times = []
    value = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    return value, min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=int, default=200_000)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    configs, lat, pw, mbusy = tx2_like()
    specs = [(6, {}), (6, {}), (7, {})]
    period, idle = 1.5 * float(lat.sum(axis=0).min()) * 4, 1.0
    sim = _core.GovernorSimulator(configs._core, lat, pw, [None, None, mbusy], [1.0, 5.0, 8.0], [0.0, 0.0, 0.0], specs)
    got, t_core = best(lambda: sim.run(period, period, idle), 200)
    _, t_build = best(lambda: _core.GovernorSimulator(configs._core, lat, pw, [None, None, mbusy], [1.0, 5.0, 8.0],
                                                      [0.0, 0.0, 0.0], specs), 20)
    levels = [configs.levels(k) for k in configs.knobs]
    govs = [("schedutil", {}), ("schedutil", {}), ("simple_ondemand", {})]
    want, t_ref = best(lambda: ref.steady_state(levels, configs.codes, lat, pw, [None, None, mbusy], govs, period, idle,
                                                [1.0, 5.0, 8.0], [0.0, 0.0, 0.0]), 3)
    assert abs(got["energy_j"] - want["energy_j"]) <= 1e-12 * want["energy_j"], (got, want)
    print(f"steady state, {lat.shape[0]} blocks x {len(configs)} configurations (schedutil CPU+GPU, simple_ondemand EMC; "
          f"warm-up {got['warmup']}, cycle {got['cycle_length']}):")
    print(f"  C++ run          {1e3 * t_core:8.3f} ms")
    print(f"  C++ build + run  {1e3 * (t_build + t_core):8.3f} ms (tables validated, per-configuration totals)")
    print(f"  Python reference {1e3 * t_ref:8.3f} ms   -> {t_ref / t_core:.0f}x (run), "
          f"{t_ref / (t_build + t_core):.0f}x (build + run)")

    # The public call on a problem (20 x 1,848 tables, memory busy given: no model fit).
    problem = dvfskit.Problem.from_tables(lat.reshape(20, 12 * 14, 11), pw.reshape(20, 12 * 14, 11),
                                          np.arange(1, 169, dtype=float), EMC, np.zeros(21),
                                          np.r_[np.full(20, 1e12), 0.0], 1e6, 1e-11, 4e-21, 0.5, period,
                                          idle_power_w=idle)
    _, t_api = best(lambda: dvfskit.governor(problem, "default", busy={"mem_freq_mhz": 0.3}), 5)
    print(f"  dvfskit.governor(problem, 'default') end to end (trace DataFrames included): {1e3 * t_api:.2f} ms")

    # Sweeps: one steady state per scenario period (the bench_sweep problem: 20 x 13 x 7).
    from bench_solve import make_problem  # same directory

    sweep_problem = make_problem()
    rng = np.random.default_rng(1)
    periods = rng.uniform(5.0, 80.0, args.scenarios)
    batch, t_batch = best(lambda: governor_batch(sweep_problem, "default", periods, busy={"mem_freq_mhz": 0.3},
                                                 threads=args.threads), 3)
    n_ref = 300
    c2, l2, p2 = sweep_problem.configs, np.asarray(sweep_problem.config_latency_ms), np.asarray(sweep_problem.config_power_w)
    lv2 = [c2.levels(k) for k in c2.knobs]
    b2 = np.full(l2.shape, 0.3)
    t0 = time.perf_counter()
    energies = [ref.steady_state(lv2, c2.codes, l2, p2, [None, b2], [("schedutil", {}), ("simple_ondemand", {})],
                                 float(P), sweep_problem.idle_power_w)["energy_j"] for P in periods[:n_ref]]
    t_ref_each = (time.perf_counter() - t0) / n_ref
    assert np.allclose(energies, batch["energy_j"].to_numpy()[:n_ref], rtol=1e-12)
    rate = args.scenarios / t_batch
    print(f"\ngovernor baselines for sweeps ({args.scenarios:,} periods, 20 blocks x {len(c2)} configurations, "
          f"{args.threads} threads):")
    print(f"  C++ batch        {t_batch:8.3f} s  = {rate:,.0f} scenarios/s")
    print(f"  Python reference {t_ref_each * 1e3:8.3f} ms per scenario = {1 / t_ref_each:,.0f} scenarios/s "
          f"-> {rate * t_ref_each:.0f}x")
    print(pd.Series({"converged": bool(batch["converged"].all()), "mean miss rate": float(batch["miss_rate"].mean())}))

    # The same through dvfskit.sweep: the optimum alone, then with the default governors' baseline.
    table = pd.DataFrame({"deadline_ms": periods})
    _, t_opt = best(lambda: dvfskit.sweep(sweep_problem, table=table, baselines=False, threads=args.threads,
                                          progress=False), 3)
    swept, t_gov = best(lambda: dvfskit.sweep(sweep_problem, table=table, baselines=["default"], threads=args.threads,
                                                progress=False), 3)
    print(f"  dvfskit.sweep, optimum only            {args.scenarios / t_opt:12,.0f} scenarios/s")
    print(f"  dvfskit.sweep, optimum + 'default'     {args.scenarios / t_gov:12,.0f} scenarios/s "
          f"(governor part alone: {args.scenarios / max(t_gov - t_opt, 1e-9):,.0f} scenarios/s; memory busy share "
          f"from the joint_mem_comp fit)")
    assert np.isfinite(swept["default_energy_j"]).all()


if __name__ == "__main__":
    main()
