"""Benchmark and example for dvfskit.schedule (per-block frequency schedule, "punctual laziness").

1. A100 pipeline-stage profiles (measured, zeus/Perseus artifact): the 8 forward stages are the
   blocks, the 38 SM frequencies the configurations. Schedules across deadlines and prints the
   energy saving vs the uniform (best single frequency) and race-to-idle baselines.
2. Synthetic N=300, K=300 (20 compute x 15 memory frequencies) timings with scalar and separable
   switching costs, and the exact solver vs a MILP (scipy/HiGHS) on smaller instances.

Run:  python3 benchmarks/bench_schedule.py [path/to/stage_profile.csv]  (default: the bundled GPT-3 profile)
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import dvfskit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from schedule_reference import milp_optimum, switch_matrix  # noqa: E402  (shared with the tests)

DATA = dvfskit.datasets.data_dir("a100-stages") / "gpt3-175b+a100_sxm_bf16.csv"  # bundled, measured


def a100_example(path: Path) -> None:
    raw = pd.read_csv(path)
    fwd = raw[raw["instruction"] == "forward"]
    lat = fwd.pivot(index="stage", columns="frequency", values="time") * 1000.0  # s -> ms
    en = fwd.pivot(index="stage", columns="frequency", values="energy")  # J
    freqs = lat.columns.to_numpy(dtype=float)
    tables = dvfskit.block_tables(lat.to_numpy(), en.to_numpy(), freqs)
    print(f"== A100 forward stages: {path.name} (measured; {tables!r})")
    uniform_lat = tables.latency_ms.sum(axis=0)
    fastest = float(uniform_lat.min())
    settings = [
        ("free switching, idle 0 W", dict()),
        # Assumptions, not measurements: a 1 ms switch drawing ~300 J/s, 60 W idle.
        ("switch 1 ms / 0.3 J, idle 60 W", dict(switch_time_ms=1.0, switch_energy_j=0.3, idle_power_w=60.0)),
    ]
    for title, kw in settings:
        print(f"-- {title}")
        print(
            f"{'deadline ms':>12} {'energy J':>10} {'uniform J':>10} {'save %':>7} {'race J':>10} {'save %':>7}"
            f" {'switches':>8} {'gap %':>6} {'ms':>6}"
        )
        for factor in (1.0, 1.01, 1.02, 1.05, 1.1, 1.2, 1.3, 1.5):
            deadline = fastest * factor
            t0 = time.perf_counter()
            s = tables.schedule(deadline, **kw)
            ms = 1000 * (time.perf_counter() - t0)
            b = s.baselines
            if not s.feasible:
                print(f"{deadline:12.2f} infeasible ({s.reason})")
                continue
            print(
                f"{deadline:12.2f} {s.energy_j:10.2f} {b.loc['uniform', 'energy_j']:10.2f}"
                f" {b.loc['uniform', 'saving_pct']:7.2f} {b.loc['race_to_idle', 'energy_j']:10.2f}"
                f" {b.loc['race_to_idle', 'saving_pct']:7.2f} {s.num_switches:8d} {100 * s.gap_rel:6.3f} {ms:6.1f}"
            )


def synthetic(rng: np.random.Generator, n: int, nf: int, nm: int, noise: float = 0.03) -> dvfskit.BlockTables:
    f = np.linspace(306.0, 1300.0, nf)
    m = np.linspace(204.0, 3199.0, nm)
    F, M = np.meshgrid(f / f.max(), m / m.max(), indexing="ij")
    work = rng.uniform(0.5, 1.5, (n, 1, 1))
    mem = rng.uniform(0.2, 1.0, (n, 1, 1))
    t = (work / F + mem / M) * rng.uniform(1 - noise, 1 + noise, (n, nf, nm))
    power = 2.0 + 6.0 * F**3 + 2.0 * M**2
    return dvfskit.block_tables(t, power * t / 1000.0, f, m)


def timings() -> None:
    rng = np.random.default_rng(0)
    tables = synthetic(rng, 300, 20, 15)
    fastest = tables.schedule(1e9, switch_time_ms={"compute": 5.0, "memory": 8.0}).min_latency_ms
    print("\n== synthetic N=300 blocks, K=300 configs (20 compute x 15 memory)")
    print(f"{'switching':>10} {'deadline':>9} {'time s':>7} {'optimal':>7} {'gap %':>7} {'switches':>8} {'labels':>9}")
    forms = {
        "scalar": dict(switch_time_ms=1.0, switch_energy_j=0.005),
        "separable": dict(switch_time_ms={"compute": 5.0, "memory": 8.0}, switch_energy_j={"compute": 0.01, "memory": 0.02}),
    }
    for name, kw in forms.items():
        for factor in (1.05, 1.1, 1.3, 1.8):
            t0 = time.perf_counter()
            s = tables.schedule(fastest * factor, **kw)
            dt = time.perf_counter() - t0
            print(f"{name:>10} {factor:9.2f} {dt:7.3f} {str(s.optimal):>7} {100 * s.gap_rel:7.4f}"
                  f" {s.num_switches:8d} {s.solver['labels']:9d}")
    for nf, nm in ((12, 5), (20, 15)):
        tb = synthetic(rng, 300, nf, nm)
        fast = tb.schedule(1e9, switch_time_ms=1.0).min_latency_ms
        tsm, esm = switch_matrix(tb.configs, any_=1.0), switch_matrix(tb.configs, any_=0.005)
        t0 = time.perf_counter()
        s = tb.schedule(fast * 1.3, switch_time_ms=tsm, switch_energy_j=esm)
        print(f"{'matrix':>10} {1.3:9.2f} {time.perf_counter() - t0:7.3f} {str(s.optimal):>7} {100 * s.gap_rel:7.4f}"
              f" {s.num_switches:8d} {s.solver['labels']:9d}   (general (K, K) matrix, K={tb.num_configs}:"
              f" O(N K^2) per DP pass)")

    print("\n== exact solver vs MILP (scipy.optimize.milp / HiGHS, transition variables)")
    print(f"{'N':>4} {'K':>4} {'ours s':>8} {'MILP s':>8} {'ratio':>8} {'ours J':>10} {'MILP J':>10}")
    for n, nf, nm in ((20, 4, 2), (30, 5, 2), (40, 4, 4)):
        tb = synthetic(rng, n, nf, nm, noise=0.1)
        fast = tb.schedule(1e9, switch_time_ms=0.3).min_latency_ms
        deadline = fast * 1.15
        t0 = time.perf_counter()
        s = tb.schedule(deadline, switch_time_ms=0.3, switch_energy_j=0.002)
        ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        ref = milp_optimum(tb.latency_ms, tb.energy_j, deadline, switch_matrix(tb.configs, any_=0.3),
                           switch_matrix(tb.configs, any_=0.002), time_limit_s=300.0)
        ref = float("nan") if ref is None else ref
        ref_t = time.perf_counter() - t0
        print(f"{n:4d} {tb.num_configs:4d} {ours:8.4f} {ref_t:8.3f} {ref_t / ours:8.0f}x {s.energy_j:10.6f} {ref:10.6f}")


if __name__ == "__main__":
    a100_example(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA)
    timings()
