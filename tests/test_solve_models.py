"""Continuous frequencies and partial offloading (NLopt) against fine zoomed grids in numpy,
and against the exact table solver where the two problems coincide."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
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


def test_tables_with_a_fine_fraction_grid_approach_the_continuous_model():
    """One definition of partial offloading for both paths: with the frequencies fixed, the
    table solver over a fine grid of offloaded shares reaches the model solver's energy."""
    rng = np.random.default_rng(21)
    for _ in range(6):
        L = 3
        co = {"W": rng.uniform(50, 300, L), "M": rng.uniform(100, 800, L), "p0": rng.uniform(0.2, 0.8, L),
              "k": np.full(L, 2e-6), "q": np.full(L, 1e-4)}
        f0, m0 = 700.0, 1600.0
        dev = dvfskit.Device(LAT, POW, co, (f0, f0), (m0, m0))
        ch = dvfskit.Channel(2e6, 1e-7, 1e-17, 1.0, 0.1)
        srv = dvfskit.Server(np.r_[np.sort(rng.uniform(0.1, 0.6, L))[::-1], 0.0])
        bits = rng.uniform(1e4, 2e5, L + 1)
        T = float((co["W"] / f0 + co["M"] / m0).sum()) * float(rng.uniform(0.6, 1.2))
        mp = dvfskit.Problem.from_models(dev, ch, srv, bits, T, idle_power_w=0.05, partial_offloading=True, starts=24)
        lat = (co["W"] / f0 + co["M"] / m0)[:, None, None]
        pw = (co["p0"] + co["k"] * f0**2 + co["q"] * m0)[:, None, None]
        tp = dvfskit.Problem.from_tables(lat, pw, [f0], [m0], bits, srv.latency_ms, 2e6, 1e-7, 1e-17, 1.0, T,
                                         p_circuit_w=0.1, idle_power_w=0.05, offload_fractions=np.linspace(0, 1, 401))
        a, b = dvfskit.solve(mp), dvfskit.solve(tp)
        assert a.feasible == b.feasible
        if b.feasible:
            assert b.energy_j == pytest.approx(a.energy_j, rel=5e-3)
            assert b.energy_j >= a.energy_j * (1 - 1e-6) or abs(b.offload_fraction - a.offload_fraction) < 0.01


def test_device_expressions_in_catalogue_names_and_from_fits():
    """Issue 14.8: the catalogue models take MHz and convert to GHz inside; a Device takes their
    expressions and fitted parameters as they are (no hand conversion), and leaves out m freely."""
    rng = np.random.default_rng(4)
    f = np.tile(np.linspace(300.0, 1300.0, 6), 3)
    m = np.repeat([800.0, 1600.0, 3200.0], 6)
    frames = []
    for block, (a, b, c) in enumerate([(40.0, 1.1, 2.0), (25.0, 0.9, 1.0)]):
        lat = a * (f / 1000) ** -b + c + 5.0 * (m / 1000) ** -0.5
        frames.append(pd.DataFrame({"block": block, "compute_freq_mhz": f, "mem_freq_mhz": m,
                                    "latency_ms": lat * rng.normal(1, 1e-3, f.size),
                                    "power_w": 1.5 + 2.0 * (f / 1000) ** 3 * rng.normal(1, 1e-3, f.size)}))
    df = pd.concat(frames, ignore_index=True)
    lat_fits = dvfskit.fit("joint_mem_comp", df, "latency_ms", by="block", max_iterations=5000)
    pw_fit = dvfskit.fit("cubic", df, "power_w")  # one power model for the device, f only
    dev = dvfskit.Device.from_fits(lat_fits, pw_fit, (300.0, 1300.0), (800.0, 3200.0))
    assert dev.num_blocks == 2 and list(dev.coefficients.index) == [0, 1]
    mp = dvfskit.Problem.from_models(dev, dvfskit.Channel(2e6, 1e-7, 1e-17, 1.0), dvfskit.Server([1.0, 0.5, 0.0]),
                                     [2e5, 1e5, 0.0], 200.0)
    for i in range(2):  # the device evaluates each block's fitted model at MHz inputs
        t, p = mp._model.block(i, 943.5, 1600.0)
        point = pd.DataFrame({"compute_freq_mhz": [943.5], "mem_freq_mhz": [1600.0]})
        assert t == pytest.approx(float(lat_fits[i].predict(point)[0]), rel=1e-12)
        assert p == pytest.approx(float(pw_fit.predict(point)[0]), rel=1e-12)
    # the same expression written by hand with the catalogue's names, a power model without m
    co = {k: lat_fits.to_dataframe()[k].to_numpy() for k in ("l", "beta", "u", "gamma", "c")}
    co.update(Ps=np.full(2, pw_fit.params["Ps"]), kappa=np.full(2, pw_fit.params["kappa"]))
    by_hand = dvfskit.Device(dvfskit.models.joint_mem_comp.expr, "Ps + kappa * (f / 1000)**3", co,
                             (300.0, 1300.0), (800.0, 3200.0))
    mp2 = dvfskit.Problem.from_models(by_hand, dvfskit.Channel(2e6, 1e-7, 1e-17, 1.0), dvfskit.Server([1.0, 0.5, 0.0]),
                                      [2e5, 1e5, 0.0], 200.0)
    assert mp2._model.block(1, 943.5, 1600.0) == pytest.approx(mp._model.block(1, 943.5, 1600.0), rel=1e-12)
    with pytest.raises(ValueError, match="'g' is neither a per-block coefficient"):
        dvfskit.Device("W / g", "1 + 0 * f", {"W": [1.0]}, (1, 2), (1, 2))


@pytest.mark.parametrize("latency, power, where", [
    ("W / f - 0.5", "p0 + 0 * m", "latency model"),           # negative above f = 2 W
    ("W / f", "p0 * log(f - 400)", "power model"),              # NaN below 400 MHz, negative below 401
    ("W / f", "p0 - 1e-3 * f", "power model"),                  # negative above 1000 p0 MHz
])
def test_models_negative_or_nan_in_the_range_are_refused(latency, power, where):
    """Issue 15.3: a model negative or NaN somewhere in the frequency range used to give a feasible
    plan with negative energy; now a ValueError names the model, the block and the frequency."""
    co = {"W": np.array([400.0, 300.0]), "p0": np.array([0.8, 0.5])}
    dev = dvfskit.Device(latency, power, co, (100.0, 1000.0), (800.0, 1600.0))
    with pytest.raises(ValueError) as info:
        dvfskit.Problem.from_models(dev, dvfskit.Channel(2e6, 1e-7, 1e-17, 1.0), dvfskit.Server([1.0, 0.5, 0.0]),
                                    [2e5, 1e5, 0.0], 10.0)
    text = str(info.value)
    assert where in text and "block" in text and "MHz" in text


def test_model_problem_negative_between_grid_points_fails_at_solve():
    # latency dips below 0 only around 156.25 MHz, between the construction grid's points
    dev = dvfskit.Device("W / f - 100 * max(0, 1 - abs(f - 156.25) / 5)", "p0 + 0 * m",
                         {"W": np.array([2000.0]), "p0": np.array([1.0])}, (100.0, 1000.0), (800.0, 800.0))
    problem = dvfskit.Problem.from_models(dev, dvfskit.Channel(2e6, 1e-7, 1e-17, 1.0), dvfskit.Server([1.0, 0.0]),
                                          [2e5, 0.0], 100.0)
    with pytest.raises(ValueError, match=r"latency model .* of block 0 is -\S+ ms at compute frequency 156.25 MHz"):
        dvfskit.solve(problem)
