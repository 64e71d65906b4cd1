"""Single-solve time from Python: dvfskit.solve (C++, precomputed per-option Pareto fronts) vs a
vectorised numpy brute force over every (split, configuration) with the closed-form transmit
power, in the same process; construction time; memory of a large problem.

Problem: L = 20 blocks, 1,848 configurations = 12 CPU x 14 GPU x 11 EMC frequencies (a Jetson
TX2-sized grid). Memory: 200 blocks x 10,000 configurations (10 x 10 x 10 x 10 knobs).
The machine may be shared: every timing is the best of several rounds; compare the ratios.

Run: PYTHONPATH=python python3 benchmarks/bench_solve.py
"""
from __future__ import annotations

import resource
import time

import numpy as np

import dvfskit

AXES = {"cpu_freq_mhz": np.linspace(345.6, 2035.2, 12), "compute_freq_mhz": np.linspace(114.75, 1300.5, 14),
        "mem_freq_mhz": np.linspace(40.8, 1866.0, 11)}


def tables(configs: dvfskit.ConfigSet, L: int, rng: np.random.Generator):
    """(L, K) latency (ms) and power (W): every frequency knob speeds a block up by its own share."""
    K = len(configs)
    lat = np.zeros((L, K))
    pw = np.full((L, K), 0.8)
    for i, knob in enumerate(configs.knobs):
        f = configs.column(knob)
        lat += rng.uniform(0.1, 3.0, (L, 1)) * (100.0 + 100.0 * i) / f[None, :]
        pw += rng.uniform(0.5e-6, 2.5e-6) * f[None, :] ** 2
    return lat * rng.uniform(0.95, 1.05, (L, K)), pw * rng.uniform(0.97, 1.03, (L, K))


def make_problem(seed: int = 0, p_circuit_w: float = 0.1, L: int = 20, axes=None) -> dvfskit.Problem:
    rng = np.random.default_rng(seed)
    configs = dvfskit.ConfigSet.grid(AXES if axes is None else axes)
    lat, pw = tables(configs, L, rng)
    bits = np.r_[1.2e6, rng.uniform(2e5, 3e6, L - 1), 8e3]
    server = np.r_[np.cumsum(rng.uniform(0.2, 1.0, L)[::-1])[::-1], 0.0]
    return dvfskit.Problem.from_config_tables(configs, lat, pw, bits, server, bandwidth_hz=2e7, gain=1e-7,
                                              noise_w_per_hz=4e-21, p_max_w=0.5, deadline_ms=40.0,
                                              p_circuit_w=p_circuit_w, idle_power_w=0.3)


def numpy_brute_force(pr: dvfskit.Problem) -> float:
    """Minimum energy (J) by enumerating all (l, k) in numpy with the closed-form p."""
    lat, pw = pr.config_latency_ms, pr.config_power_w
    L, K = lat.shape
    t = np.concatenate([np.zeros((1, K)), np.cumsum(lat, axis=0)])
    e = np.concatenate([np.zeros((1, K)), np.cumsum(lat * pw, axis=0)]) * 1e-3
    B, g, N0, pmax, pc = pr.bandwidth_hz, pr.gain, pr.noise_w_per_hz, pr.p_max_w, pr.p_circuit_w
    a = g / (N0 * B)
    bits = np.r_[pr.out_bits[:L], 0.0][:, None]
    srv = pr.server_latency_ms[:, None]
    tau = (pr.deadline_ms - t - srv) * 1e-3
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        p_need = np.expm1(np.log(2) * bits / (B * tau)) / a
        # energy-optimal p with circuit power: root of (1+x)ln(1+x) - x = a pc by Newton
        x = np.sqrt(2 * a * pc) * 4 + 1.0
        for _ in range(60):
            x = x - ((1 + x) * np.log1p(x) - x - a * pc) / np.log1p(x)
        p = np.clip(np.maximum(p_need, x / a if pc > 0 else 0.0), None, pmax)
        s = np.where(bits > 0, bits / (B * np.log2(1 + a * p)), 0.0)
        energy = e + (p + pc) * s * (bits > 0) + pr.idle_power_w * srv * 1e-3
        ok = (tau > 0) & (p_need <= pmax) | ((bits == 0) & (tau >= 0))
    return float(np.min(np.where(ok, energy, np.inf)))


def best_of(fn, repeat: int, rounds: int = 7) -> float:
    best = np.inf
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - t0) / repeat)
    return best


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    base = make_problem()
    K = len(base.configs)
    construct = best_of(lambda: make_problem(), 1, 5)
    rng_tables = best_of(lambda: tables(dvfskit.ConfigSet.grid(AXES), 20, np.random.default_rng(0)), 1, 5)
    print(f"L=20 blocks, K={K} configurations (12 CPU x 14 GPU x 11 EMC): {21 * K:,} (split, configuration) pairs")
    print(f"construction (Problem.from_config_tables, fronts included): {(construct - rng_tables) * 1e3:.1f} ms "
          f"(plus {rng_tables * 1e3:.1f} ms making the random tables)")
    cases = [
        ("fast uplink (20 MHz), p_circuit 0.1 W", base),
        ("fast uplink, no circuit power", base.with_scenario(p_circuit_w=0.0)),
        ("2 MHz uplink, 30 ms: split 7", base.with_scenario(bandwidth_hz=2e6, deadline_ms=30.0)),
        ("0.5 MHz uplink, 60 ms: split 7", base.with_scenario(bandwidth_hz=5e5, deadline_ms=60.0)),
        ("0.5 MHz uplink, 20 ms: all local", base.with_scenario(bandwidth_hz=5e5, deadline_ms=20.0)),
        ("weak channel (gain 1e-11)", base.with_scenario(gain=1e-11)),
        ("infeasible deadline", base.with_scenario(deadline_ms=1.0)),
    ]
    print(f"{'scenario':38s} {'split':>5s} {'cand.':>5s} {'dvfskit us':>10s} {'numpy us':>9s} {'ratio':>7s}")
    for name, pr in cases:
        sol = dvfskit.solve(pr)
        ref = numpy_brute_force(pr)
        if sol.feasible:
            assert abs(sol.energy_j - ref) <= 1e-9 * ref, (sol.energy_j, ref)
        else:
            assert not np.isfinite(ref)
        t_cpp = best_of(lambda: dvfskit.solve(pr), 5000)
        t_np = best_of(lambda: numpy_brute_force(pr), 20)
        split = str(sol.split) if sol.feasible else "-"
        print(f"{name:38s} {split:>5s} {sol.evaluated:5d} {t_cpp * 1e6:10.2f} {t_np * 1e6:9.0f} {t_np / t_cpp:6.0f}x")
    fronts = base._tables.front_sizes()
    print(f"Pareto front sizes per split: min {min(fronts)}, median {int(np.median(fronts))}, max {max(fronts)} "
          f"of {K}")
    partial = dvfskit.Problem.from_config_tables(base.configs, base.config_latency_ms, base.config_power_w,
                                                 base.out_bits, base.server_latency_ms,
                                                 offload_fractions=[0, 0.25, 0.5, 0.75, 1], **base.scenario)
    t_partial = best_of(lambda: dvfskit.solve(partial), 2000)
    print(f"with offload_fractions [0, .25, .5, .75, 1] ({len(partial._tables.options())} options): "
          f"{t_partial * 1e6:.2f} us per solve")

    # memory: 200 blocks x 10,000 configurations (4 knobs x 10 levels)
    before = rss_mb()
    axes = {f"k{i}_mhz": np.linspace(200.0, 2000.0, 10) for i in range(4)}
    big = make_problem(L=200, axes=axes)
    after = rss_mb()
    cells = big.num_blocks * len(big.configs)
    print(f"200 blocks x {len(big.configs):,} configurations: problem holds {big.nbytes / 2**20:.0f} MiB "
          f"({big.nbytes / cells:.0f} bytes per block x configuration, "
          f"{big.nbytes / len(big.configs) / 1024:.1f} KiB per configuration); peak RSS grew by "
          f"{after - before:.0f} MiB while building it (limit 1024 MiB)")


if __name__ == "__main__":
    main()
