"""Benchmark and example for dvfskit.schedule (per-block configuration schedule, "punctual laziness").

1. A100 pipeline-stage profiles (measured, zeus/Perseus artifact): the 8 forward stages are the
   blocks, the 38 SM frequencies the configurations. Schedules across deadlines and prints the
   energy saving vs the uniform (best single frequency) and race-to-idle baselines.
2. Jetson-class configuration sets: 100 blocks x 1,848 configurations (12 CPU x 14 GPU x 11 EMC
   frequencies, synthetic tables over TX2-like ranges) with per-knob switching costs (1 / 5 / 8 ms
   and 2 / 10 / 16 mJ per CPU / GPU / EMC change), dense and a sparse 30 % sample of the grid,
   across deadlines; the same problem as a general (K, K) matrix as the peer (ratio).
3. Synthetic N=300, K=300 (20 compute x 15 memory) with scalar and separable switching costs.
4. The exact solver vs a MILP (scipy/HiGHS) on medium instances, and vs a numpy brute force over
   all K^N paths on small ones, in the same run (ratios).

Run:  python3 benchmarks/bench_schedule.py [path/to/stage_profile.csv]  (default: the bundled GPT-3 profile)
Times are wall-clock (and CPU) seconds of one call from Python, on one core.
"""
from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import dvfskit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from schedule_reference import milp_optimum, switch_matrix  # noqa: E402  (shared with the tests)

DATA = dvfskit.datasets.data_dir("a100-stages") / "gpt3-175b+a100_sxm_bf16.csv"  # bundled, measured
KNOB_COSTS_MS = {"cpu_freq_mhz": 1.0, "compute_freq_mhz": 5.0, "mem_freq_mhz": 8.0}  # Orin-class settling times
KNOB_COSTS_J = {"cpu_freq_mhz": 0.002, "compute_freq_mhz": 0.010, "mem_freq_mhz": 0.016}  # assumed


def timed(f, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    out = f(*args, **kwargs)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def a100_example(path: Path) -> None:
    raw = pd.read_csv(path)
    fwd = raw[raw["instruction"] == "forward"]
    long = pd.DataFrame({"block": fwd["stage"], "compute_freq_mhz": fwd["frequency"].astype(float),
                         "latency_ms": fwd["time"] * 1000.0, "energy_j": fwd["energy"]})  # s -> ms
    tables = dvfskit.block_tables(long)
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
            s, wall, _ = timed(tables.schedule, deadline, **kw)
            b = s.baselines
            if not s.feasible:
                print(f"{deadline:12.2f} infeasible ({s.reason})")
                continue
            print(
                f"{deadline:12.2f} {s.energy_j:10.2f} {b.loc['uniform', 'energy_j']:10.2f}"
                f" {b.loc['uniform', 'saving_pct']:7.2f} {b.loc['race_to_idle', 'energy_j']:10.2f}"
                f" {b.loc['race_to_idle', 'saving_pct']:7.2f} {s.num_switches:8d} {100 * s.gap_rel:6.3f}"
                f" {1000 * wall:6.1f}"
            )


def jetson_measurements(rng: np.random.Generator, n: int, density: float = 1.0, noise: float = 0.05) -> pd.DataFrame:
    """A long DataFrame (block, cpu/compute/mem_freq_mhz, latency_ms, power_w) over a 12 x 14 x 11
    grid or a random ``density`` share of it. Each block has its own CPU, GPU and memory work."""
    cpu = np.linspace(345.6, 2035.2, 12)
    gpu = np.linspace(114.75, 1300.5, 14)
    emc = np.linspace(204.0, 1866.0, 11)
    grid = pd.MultiIndex.from_product([cpu, gpu, emc], names=list(KNOB_COSTS_MS)).to_frame(index=False)
    if density < 1.0:
        grid = grid.sample(frac=density, random_state=int(rng.integers(2**31))).reset_index(drop=True)
    c, g, m = (grid[k].to_numpy() / grid[k].max() for k in KNOB_COSTS_MS)
    frames = []
    for b in range(n):
        w_cpu, w_gpu, w_mem = rng.uniform(0.1, 0.6), rng.uniform(0.5, 3.0), rng.uniform(0.2, 1.5)
        t = (0.05 + w_cpu / c + w_gpu / g + w_mem / m) * rng.uniform(1 - noise, 1 + noise, len(grid))
        power = (1.2 + 1.0 * c**3 + 4.0 * g**3 + 1.5 * m**2) * rng.uniform(1 - noise, 1 + noise, len(grid))
        frames.append(grid.assign(block=b, latency_ms=t, power_w=power))
    return pd.concat(frames, ignore_index=True)


def jetson() -> None:
    rng = np.random.default_rng(0)
    print("\n== Jetson-class sets: 100 blocks, CPU x GPU x EMC (12 x 14 x 11), per-knob switching "
          "1 / 5 / 8 ms + 2 / 10 / 16 mJ")
    for density in (1.0, 0.3):
        df = jetson_measurements(rng, 100, density)
        tables, wall, _ = timed(dvfskit.block_tables, df)
        print(f"-- {tables!r}; block_tables from {len(df):,} rows: {wall:.2f} s")
        kw = dict(switch_time_ms=KNOB_COSTS_MS, switch_energy_j=KNOB_COSTS_J)
        fastest = tables.schedule(1e9, **kw).min_latency_ms
        print(f"{'deadline':>9} {'wall s':>7} {'cpu s':>6} {'optimal':>7} {'gap %':>8} {'switches':>8} {'labels':>9}"
              f" {'vs uniform %':>12} {'vs max freq %':>13}")
        worst = 0.0
        for factor in (1.02, 1.05, 1.1, 1.2, 1.3, 1.5, 2.0):
            s, wall, cpu = timed(tables.schedule, fastest * factor, **kw)
            worst = max(worst, wall)
            b = s.baselines
            print(f"{factor:9.2f} {wall:7.3f} {cpu:6.3f} {str(s.optimal):>7} {100 * s.gap_rel:8.5f} {s.num_switches:8d}"
                  f" {s.solver['labels']:9d} {b.loc['uniform', 'saving_pct']:12.2f}"
                  f" {b.loc['max_frequency', 'saving_pct']:13.2f}")
        print(f"   slowest: {worst:.3f} s (target: at most 1 s, proven optimal or certified gap <= 0.1 %)")
        # Peer: the same costs as a general (K, K) matrix (O(K^2) per block and DP pass).
        k = tables.num_configs
        tsm = switch_matrix(tables.config_set, knobs=KNOB_COSTS_MS)
        esm = switch_matrix(tables.config_set, knobs=KNOB_COSTS_J)
        deadline = fastest * 1.2
        s, wall, _ = timed(tables.schedule, deadline, **kw)
        m, wall_m, _ = timed(tables.schedule, deadline, switch_time_ms=tsm, switch_energy_j=esm)
        print(f"   as a ({k}, {k}) matrix at 1.2x: {wall_m:.2f} s vs {wall:.3f} s per-knob = {wall_m / wall:.0f}x; "
              f"energies {m.energy_j:.9g} vs {s.energy_j:.9g} J (gap {100 * m.gap_rel:.3g} %)")


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
        "per-knob": dict(switch_time_ms={"compute": 5.0, "memory": 8.0}, switch_energy_j={"compute": 0.01, "memory": 0.02}),
    }
    for name, kw in forms.items():
        for factor in (1.05, 1.1, 1.3, 1.8):
            s, dt, _ = timed(tables.schedule, fastest * factor, **kw)
            print(f"{name:>10} {factor:9.2f} {dt:7.3f} {str(s.optimal):>7} {100 * s.gap_rel:7.4f}"
                  f" {s.num_switches:8d} {s.solver['labels']:9d}")
    for nf, nm in ((12, 5), (20, 15)):
        tb = synthetic(rng, 300, nf, nm)
        fast = tb.schedule(1e9, switch_time_ms=1.0).min_latency_ms
        tsm, esm = switch_matrix(tb.configs, any_=1.0), switch_matrix(tb.configs, any_=0.005)
        s, dt, _ = timed(tb.schedule, fast * 1.3, switch_time_ms=tsm, switch_energy_j=esm)
        print(f"{'matrix':>10} {1.3:9.2f} {dt:7.3f} {str(s.optimal):>7} {100 * s.gap_rel:7.4f}"
              f" {s.num_switches:8d} {s.solver['labels']:9d}   (general (K, K) matrix, K={tb.num_configs}:"
              f" O(N K^2) per DP pass)")


def small_knob_tables(rng: np.random.Generator, n: int, density: float) -> dvfskit.BlockTables:
    df = jetson_measurements(rng, n, 1.0, noise=0.1)
    keep = {k: np.unique(df[k])[::s] for k, s in zip(KNOB_COSTS_MS, (4, 5, 4))}  # 3 x 3 x 3 of the grid
    df = df[np.logical_and.reduce([df[k].isin(v) for k, v in keep.items()])]
    configs = df[list(KNOB_COSTS_MS)].drop_duplicates()
    kept = configs.sample(frac=density, random_state=int(rng.integers(2**31)))
    return dvfskit.block_tables(df.merge(kept))


def references() -> None:
    rng = np.random.default_rng(1)
    print("\n== exact solver vs MILP (scipy.optimize.milp / HiGHS, transition variables)")
    print(f"{'N':>4} {'K':>4} {'costs':>9} {'ours s':>8} {'MILP s':>8} {'ratio':>8} {'ours J':>12} {'MILP J':>12}")
    cases = [(20, 4, 2, "scalar"), (30, 5, 2, "scalar"), (40, 4, 4, "scalar"),
             (20, None, 1.0, "per-knob"), (30, None, 0.6, "per-knob"), (40, None, 0.3, "per-knob")]
    for n, nf, nm, kind in cases:
        if kind == "scalar":
            tb = synthetic(rng, n, nf, int(nm), noise=0.1)
            st, se = 0.3, 0.002
            tsm, esm = switch_matrix(tb.configs, any_=0.3), switch_matrix(tb.configs, any_=0.002)
        else:
            tb = small_knob_tables(rng, n, nm)
            st = {k: 0.2 * v for k, v in KNOB_COSTS_MS.items()}
            se = KNOB_COSTS_J
            tsm, esm = switch_matrix(tb.config_set, knobs=st), switch_matrix(tb.config_set, knobs=se)
        fast = tb.schedule(1e9, switch_time_ms=st).min_latency_ms
        deadline = fast * 1.15
        s, ours, _ = timed(tb.schedule, deadline, switch_time_ms=st, switch_energy_j=se)
        ref, ref_t, _ = timed(milp_optimum, tb.latency_ms, tb.energy_j, deadline, tsm, esm, time_limit_s=300.0)
        ref = float("nan") if ref is None else ref
        print(f"{n:4d} {tb.num_configs:4d} {kind:>9} {ours:8.4f} {ref_t:8.3f} {ref_t / ours:7.0f}x"
              f" {s.energy_j:12.8f} {ref:12.8f}")

    print("\n== exact solver vs numpy brute force over all K^N paths (per-knob costs, 3 knobs)")
    print(f"{'N':>4} {'K':>4} {'paths':>9} {'ours s':>8} {'brute s':>8} {'ratio':>8} {'ours J':>12} {'brute J':>12}")
    for n, density in ((4, 1.0), (5, 0.4), (6, 0.3)):
        tb = small_knob_tables(rng, n, density)
        tsm = switch_matrix(tb.config_set, knobs=KNOB_COSTS_MS)
        esm = switch_matrix(tb.config_set, knobs=KNOB_COSTS_J)
        fast = tb.schedule(1e9, switch_time_ms=KNOB_COSTS_MS).min_latency_ms
        deadline = fast * 1.2
        s, ours, _ = timed(tb.schedule, deadline, switch_time_ms=KNOB_COSTS_MS, switch_energy_j=KNOB_COSTS_J)
        (best, paths), brute, _ = timed(brute_force, tb.latency_ms, tb.energy_j, deadline, tsm, esm)
        print(f"{n:4d} {tb.num_configs:4d} {paths:9d} {ours:8.4f} {brute:8.3f} {brute / ours:7.0f}x"
              f" {s.energy_j:12.8f} {best:12.8f}")


def brute_force(t, e, deadline, ts, es, chunk=200_000):
    """Best energy over all K^N paths within the deadline (vectorised numpy, in chunks)."""
    n, k = t.shape
    best, count = np.inf, 0
    rows = np.arange(n)
    paths = itertools.product(range(k), repeat=n)
    while True:
        block = np.array(list(itertools.islice(paths, chunk)), dtype=np.int64).reshape(-1, n)
        if block.size == 0:
            return best, count
        count += len(block)
        lat = t[rows, block].sum(axis=1) + ts[block[:, :-1], block[:, 1:]].sum(axis=1)
        en = e[rows, block].sum(axis=1) + es[block[:, :-1], block[:, 1:]].sum(axis=1)
        ok = lat <= deadline * (1 + 1e-9)
        if ok.any():
            best = min(best, float(en[ok].min()))


if __name__ == "__main__":
    a100_example(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA)
    jetson()
    timings()
    references()
