"""Continuous frequencies and partial offloading (NLopt) against fine zoomed grids in numpy,
and against the exact table solver where the two problems coincide."""
from __future__ import annotations

import math

import numpy as np
import pytest

import dvfskit

LAT = "W / f + M / m"
POW = "p0 + k * f**2 + q * m"


def make(rng, L=2, partial=True, idle=0.0, pc=0.05, deadline=None):
    co = {
        "W": rng.uniform(50, 300, L),
        "M": rng.uniform(100, 800, L),
        "p0": rng.uniform(0.2, 0.8, L),
        "k": rng.uniform(0.5e-6, 4e-6, L),
        "q": rng.uniform(0.5e-4, 3e-4, L),
    }
    dev = dvfskit.Device(LAT, POW, co, (100.0, 1000.0), (200.0, 3200.0))
    ch = dvfskit.Channel(float(rng.uniform(5e5, 5e6)), 1e-7, 1e-17, float(rng.uniform(0.2, 1.5)), pc)
    srv = dvfskit.Server(np.r_[np.sort(rng.uniform(0.1, 1.0, L))[::-1], 0.0])
    bits = np.r_[rng.uniform(1e4, 2e5, L), 0.0]
    local_fast = (co["W"] / 1000 + co["M"] / 3200).sum()
    T = deadline if deadline is not None else local_fast * float(rng.uniform(0.7, 2.0))
    return co, dev, ch, srv, bits, dvfskit.Problem.from_models(dev, ch, srv, bits, T, idle_power_w=idle, partial_offloading=partial)


def grid_energy(co, ch, srv, bits, T, idle, partial):
    """Minimum energy over (split, f, m, rho, p) by a 4-D grid zoomed around the best point."""
    L = len(co["W"])
    best = math.inf
    n = 17
    for l in range(L + 1):
        lo = np.array([100.0, 200.0, 0.0 if partial else 1.0, math.log(ch.p_max_w * 1e-9)])
        hi = np.array([1000.0, 3200.0, 1.0, math.log(ch.p_max_w)])
        if l == L:
            lo[2] = hi[2] = 0.0
        for _ in range(6):
            axes = [np.linspace(lo[d], hi[d], n) if hi[d] > lo[d] else np.array([lo[d]]) for d in range(4)]
            f, m, rho, lp = np.meshgrid(*axes, indexing="ij")
            p = np.exp(lp)
            t = [co["W"][i] / f + co["M"][i] / m for i in range(L)]
            pw = [co["p0"][i] + co["k"][i] * f**2 + co["q"][i] * m for i in range(L)]
            t_loc = sum(t[:l]) if l else 0.0
            e_loc = sum(t[i] * pw[i] for i in range(l)) if l else 0.0
            t_rest = sum(t[l:]) if l < L else 0.0
            e_rest = sum(t[i] * pw[i] for i in range(l, L)) if l < L else 0.0
            D = bits[l] if l < L else 0.0
            r = ch.bandwidth_hz * np.log2(1 + p * ch.gain / (ch.noise_w_per_hz * ch.bandwidth_hz))
            s = rho * D / r
            lat = t_loc + np.maximum((1 - rho) * t_rest, s * 1e3 + rho * srv.latency_ms[l])
            e = (e_loc + (1 - rho) * e_rest) * 1e-3 + (p + ch.p_circuit_w) * s + idle * rho * srv.latency_ms[l] * 1e-3
            e = np.where(lat <= T * (1 + 1e-9), e, np.inf)
            j = np.unravel_index(np.argmin(e), e.shape)
            if not np.isfinite(e[j]):
                break
            best = min(best, float(e[j]))
            for d in range(4):  # zoom: two grid steps around the best point
                if hi[d] > lo[d]:
                    step = (hi[d] - lo[d]) / (n - 1)
                    c = axes[d][j[d]]
                    lo[d], hi[d] = max(lo[d], c - 2 * step), min(hi[d], c + 2 * step)
    return best


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("partial", [True, False])
def test_continuous_matches_fine_grid(seed, partial):
    rng = np.random.default_rng(seed)
    idle = 0.1 if seed % 2 else 0.0
    co, dev, ch, srv, bits, problem = make(rng, partial=partial, idle=idle)
    sol = dvfskit.solve(problem)
    ref = grid_energy(co, ch, srv, bits, problem.deadline_ms, idle, partial)
    assert sol.feasible == math.isfinite(ref)
    if sol.feasible:
        assert sol.latency_ms <= problem.deadline_ms * (1 + 1e-6)
        assert sol.energy_j <= ref * (1 + 1e-6), (sol, ref)  # never worse than the grid
        assert sol.energy_j == pytest.approx(ref, rel=1e-3)
        assert 0.0 <= sol.offload_fraction <= 1.0
        if not partial:
            assert sol.offload_fraction in (0.0, 1.0)


def test_degenerate_ranges_equal_the_exact_table_solver():
    rng = np.random.default_rng(3)
    for _ in range(10):
        L = 3
        co = {"W": rng.uniform(50, 300, L), "M": rng.uniform(100, 800, L), "p0": rng.uniform(0.2, 0.8, L),
              "k": np.full(L, 2e-6), "q": np.full(L, 1e-4)}
        f0, m0 = 600.0, 1600.0
        dev = dvfskit.Device(LAT, POW, co, (f0, f0), (m0, m0))
        pc = float(rng.choice([0.0, 0.2]))
        ch = dvfskit.Channel(2e6, 1e-7, 1e-17, 1.0, pc)
        srv = dvfskit.Server([2.0, 1.5, 0.7, 0.0])
        bits = rng.uniform(1e4, 3e5, L + 1)
        T = float(rng.uniform(0.5, 3.0))
        mp = dvfskit.Problem.from_models(dev, ch, srv, bits, T, idle_power_w=0.05, partial_offloading=False)
        lat = (co["W"] / f0 + co["M"] / m0)[:, None, None]
        pw = (co["p0"] + co["k"] * f0**2 + co["q"] * m0)[:, None, None]
        tp = dvfskit.Problem.from_tables(lat, pw, [f0], [m0], bits, srv.latency_ms, 2e6, 1e-7, 1e-17, 1.0, T,
                                         p_circuit_w=pc, idle_power_w=0.05)
        a, b = dvfskit.solve(mp), dvfskit.solve(tp)
        assert a.feasible == b.feasible
        if b.feasible:
            assert a.energy_j == pytest.approx(b.energy_j, rel=1e-6)
        else:
            assert a.min_latency_ms == pytest.approx(b.min_latency_ms, rel=1e-6)


def test_partial_offloading_never_worse_and_infeasible_reports():
    rng = np.random.default_rng(11)
    co, dev, ch, srv, bits, problem = make(rng, L=3, partial=True)
    whole = dvfskit.Problem.from_models(dev, ch, srv, bits, problem.deadline_ms, partial_offloading=False)
    assert dvfskit.solve(problem).energy_j <= dvfskit.solve(whole).energy_j * (1 + 1e-6)
    bad = dvfskit.solve(problem.with_scenario(deadline_ms=1e-4))
    assert not bad.feasible and bad.min_latency_ms > 1e-4 and "deadline" in bad.reason
    assert dvfskit.solve(problem, "latency").latency_ms == pytest.approx(bad.min_latency_ms, rel=1e-4)
    with pytest.raises(ValueError, match="from_tables"):
        dvfskit.baselines(problem)
    with pytest.raises(ValueError, match="compute_freq_range_mhz"):
        dvfskit.Device(LAT, POW, co, (0.0, 100.0), (200.0, 3200.0))
    with pytest.raises(ValueError, match="out_bits"):
        dvfskit.Problem.from_models(dev, ch, srv, bits[:-1], 1.0)
