"""Single-solve time from Python: dvfskit.solve (C++, precomputed tables) vs a vectorised numpy
brute force over every (split, f, m) with the closed-form transmit power, in the same process.

Problem: L = 20 blocks, 13 compute x 7 memory frequencies (TX1-like GPU table, Orin-like memory).
Run: PYTHONPATH=python python3 benchmarks/bench_solve.py
"""
from __future__ import annotations

import time

import numpy as np

import dvfskit


def make_problem(seed: int = 0, p_circuit_w: float = 0.1) -> dvfskit.Problem:
    rng = np.random.default_rng(seed)
    L, nf, nm = 20, 13, 7
    f = np.linspace(76.8, 998.4, nf)
    m = np.array([204.0, 408.0, 665.6, 1065.6, 1600.0, 2133.0, 3199.0])
    work = rng.uniform(0.5, 3.0, (L, 1, 1))
    mem = rng.uniform(0.1, 2.0, (L, 1, 1))
    lat = (work * 100.0 / f[None, :, None] + mem * 200.0 / m[None, None, :]) * rng.uniform(0.9, 1.1, (L, nf, nm))
    pw = (0.8 + 2.5e-6 * f[None, :, None] ** 2 + 3e-4 * m[None, None, :]) * rng.uniform(0.95, 1.05, (L, nf, nm))
    bits = np.r_[1.2e6, rng.uniform(2e5, 3e6, L - 1), 8e3]
    server = np.r_[np.cumsum(rng.uniform(0.2, 1.0, L)[::-1])[::-1], 0.0]
    return dvfskit.Problem.from_tables(lat, pw, f, m, bits, server, bandwidth_hz=2e7, gain=1e-7,
                                       noise_w_per_hz=4e-21, p_max_w=0.5, deadline_ms=40.0,
                                       p_circuit_w=p_circuit_w, idle_power_w=0.3)


def numpy_brute_force(pr: dvfskit.Problem) -> float:
    """Minimum energy (J) by enumerating all (l, f, m) in numpy with the closed-form p."""
    lat, pw = pr.block_latency_ms, pr.block_power_w
    L = lat.shape[0]
    t = np.concatenate([np.zeros((1,) + lat.shape[1:]), np.cumsum(lat, axis=0)]).reshape(L + 1, -1)
    e = np.concatenate([np.zeros((1,) + lat.shape[1:]), np.cumsum(lat * pw, axis=0)]).reshape(L + 1, -1) * 1e-3
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


def timeit(fn, repeat: int) -> float:
    best = np.inf
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - t0) / repeat)
    return best


def main() -> None:
    base = make_problem()
    cases = [
        ("fast uplink, p_circuit 0.1 W", base),
        ("fast uplink, no circuit power", base.with_scenario(p_circuit_w=0.0)),
        ("slow uplink (2 MHz)", base.with_scenario(bandwidth_hz=2e6)),
        ("slow uplink, tight deadline", base.with_scenario(bandwidth_hz=2e6, deadline_ms=12.0)),
        ("weak channel (gain 1e-11)", base.with_scenario(gain=1e-11)),
        ("infeasible deadline", base.with_scenario(deadline_ms=1.0)),
    ]
    print("L=20 blocks, 13 compute x 7 memory frequencies (1911 (split, f, m) candidates)")
    print(f"{'scenario':34s} {'split':>5s} {'cand.':>5s} {'dvfskit us':>10s} {'numpy us':>9s} {'ratio':>7s}")
    for name, pr in cases:
        sol = dvfskit.solve(pr)
        ref = numpy_brute_force(pr)
        if sol.feasible:
            assert abs(sol.energy_j - ref) <= 1e-9 * ref, (sol.energy_j, ref)
        else:
            assert not np.isfinite(ref)
        t_cpp = timeit(lambda: dvfskit.solve(pr), 20000)
        t_np = timeit(lambda: numpy_brute_force(pr), 200)
        split = str(sol.split) if sol.feasible else "-"
        print(f"{name:34s} {split:>5s} {sol.evaluated:5d} {t_cpp * 1e6:10.2f} {t_np * 1e6:9.1f} {t_np / t_cpp:6.0f}x")


if __name__ == "__main__":
    main()
