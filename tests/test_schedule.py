"""dvfskit.schedule: brute force (small), MILP (medium), edge cases, baselines, configuration sets
over any knobs (long DataFrames, per-knob switching costs, labels), validation, round trips,
Ctrl-C."""
from __future__ import annotations

import itertools
import json
import math
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dvfskit import BlockTables, Schedule, block_tables, schedule, schedule_baselines
from child_process import interrupt_child
from schedule_reference import milp_optimum, switch_matrix

TOL = 1e-9
ROOT = Path(__file__).resolve().parents[1]
KNOBS = ["cpu_freq_mhz", "compute_freq_mhz", "mem_freq_mhz", "dla_freq_mhz"]
COSTS_MS = {"cpu_freq_mhz": 1.0, "compute_freq_mhz": 5.0, "mem_freq_mhz": 8.0, "dla_freq_mhz": 3.0}


# ------------------------------------------------------------------------------------------------
# Instances and independent references


def dvfs_tables(rng, n, nf, nm, noise=0.1):
    """(N, nF, nM) latency (ms) and energy (J) tables shaped like real DVFS data (array form)."""
    f = np.linspace(400.0, 1300.0, nf)
    m = np.linspace(665.0, 3199.0, nm) if nm > 1 else np.array([3199.0])
    F, M = np.meshgrid(f / f.max(), m / m.max(), indexing="ij")
    work = rng.uniform(1.0, 6.0, (n, 1, 1))
    mem = rng.uniform(0.5, 3.0, (n, 1, 1))
    t = (work / F + mem / M) * rng.uniform(1 - noise, 1 + noise, (n, nf, nm))
    power = 3.0 + 10.0 * F**3 + 3.0 * M**2
    e = power * t / 1000.0 * rng.uniform(1 - noise, 1 + noise, (n, nf, nm))
    return block_tables(t, e, f, m)


def knob_measurements(rng, n, levels, density=1.0, noise=0.1, core_mask=False):
    """A long DataFrame (block, one column per knob, latency_ms, power_w, energy_j) over a dense
    grid of the knobs' levels or a random subset of about ``density`` of it, rows shuffled. With
    ``core_mask``, a label knob of two core masks is added."""
    axes = {KNOBS[j]: np.linspace(300.0, 1800.0, nl) * (1 + 0.1 * j) for j, nl in enumerate(levels)}
    if core_mask:
        axes["core_mask"] = np.array(["1100", "1111"])
    grid = pd.MultiIndex.from_product(list(axes.values()), names=list(axes)).to_frame(index=False)
    keep = max(1, int(round(density * len(grid))))
    grid = grid.iloc[np.sort(rng.permutation(len(grid))[:keep])].reset_index(drop=True)
    rows = []
    for b in range(n):
        work = rng.uniform(0.5, 3.0, len(levels))
        speed = np.ones(len(grid))
        t = np.full(len(grid), 0.2)
        power = np.full(len(grid), 1.5)
        for j, knob in enumerate(list(axes)[: len(levels)]):
            x = grid[knob].to_numpy() / grid[knob].max()
            t = t + work[j] / x
            power = power + 3.0 * x**3
        if core_mask:
            four = (grid["core_mask"] == "1111").to_numpy()
            speed = np.where(four, 1.3, 1.0)
            power = power + np.where(four, 1.0, 0.0)
        t = t / speed * rng.uniform(1 - noise, 1 + noise, len(grid))
        frame = grid.copy()
        frame.insert(0, "block", f"b{b}")
        frame["latency_ms"] = t
        frame["power_w"] = power * rng.uniform(1 - noise, 1 + noise, len(grid))
        frame["energy_j"] = frame["power_w"] * frame["latency_ms"] / 1000.0
        rows.append(frame)
    df = pd.concat(rows, ignore_index=True)
    return df.iloc[rng.permutation(len(df))].reset_index(drop=True)


def brute_force(t, e, deadline, ts, es, initial=None, idle=0.0):
    """Exhaustive over all K^N paths in numpy; returns (best energy or inf, min latency)."""
    n, k = t.shape
    paths = np.array(list(itertools.product(range(k), repeat=n)))
    rows = np.arange(n)
    block_t = t[rows, paths].sum(axis=1)
    lat = block_t + ts[paths[:, :-1], paths[:, 1:]].sum(axis=1)
    en = e[rows, paths].sum(axis=1) + es[paths[:, :-1], paths[:, 1:]].sum(axis=1)
    if initial is not None:
        lat = lat + ts[initial, paths[:, 0]]
        en = en + es[initial, paths[:, 0]]
    en = en + idle * (deadline - block_t) / 1000.0
    ok = lat <= deadline * (1 + TOL)
    return (float(en[ok].min()) if ok.any() else math.inf), float(lat.min())


def random_knob_costs(rng, knobs, scale):
    """Per-knob costs, some knobs free, and the equivalent dict."""
    return {k: (0.0 if rng.random() < 0.2 else float(scale * rng.uniform(0.2, 1.0))) for k in knobs}


# ------------------------------------------------------------------------------------------------
# Exactness


def brute_cases():
    rng = np.random.default_rng(2026)
    for case in range(160):
        n = 2 + case % 5  # 2..6 blocks
        nf, nm = [(2, 1), (2, 2), (3, 1), (1, 3), (4, 1)][case % 5]
        if nf**n * nm**n > 4**6:
            n = 4
        yield case, rng, n, nf, nm


def test_brute_force_agreement():
    """Array form: scalar, {compute, memory} and matrix switching costs."""
    agree = 0
    for case, rng, n, nf, nm in brute_cases():
        tb = dvfs_tables(rng, n, nf, nm, noise=0.3)
        kind = case % 4
        initial = None if case % 3 else int(rng.integers(tb.num_configs))
        idle = 0.0 if case % 5 else 1.5
        if kind == 0:
            st, se, tsm, esm = 0.0, 0.0, switch_matrix(tb.configs), switch_matrix(tb.configs)
        elif kind == 1:
            st, se = 0.8, 0.004
            tsm, esm = switch_matrix(tb.configs, any_=0.8), switch_matrix(tb.configs, any_=0.004)
        elif kind == 2:
            st, se = {"compute": 0.5, "memory": 0.8}, {"compute": 0.003, "memory": 0.002, "any": 0.001}
            if nm == 1:  # no memory knob: only the compute costs exist
                st, se = {"compute": 0.5}, {"compute": 0.003, "any": 0.001}
            tsm = switch_matrix(tb.configs, compute=0.5, memory=0.8 if nm > 1 else 0.0)
            esm = switch_matrix(tb.configs, any_=0.001, compute=0.003, memory=0.002 if nm > 1 else 0.0)
        else:
            k = tb.num_configs
            tsm = rng.uniform(0, 1.0, (k, k)) * (1 - np.eye(k))
            esm = rng.uniform(0, 0.005, (k, k)) * (1 - np.eye(k))
            st, se = tsm, esm
        _, fastest = brute_force(tb.latency_ms, tb.energy_j, 1e9, tsm, esm, initial)
        deadline = fastest * rng.uniform(0.9, 1.7)
        best, _ = brute_force(tb.latency_ms, tb.energy_j, deadline, tsm, esm, initial, idle)
        s = schedule(tb.latency_ms, tb.energy_j, deadline, st, se, initial, configs=tb.configs, idle_power_w=idle)
        assert s.feasible == math.isfinite(best), case
        if s.feasible:
            assert s.energy_j == pytest.approx(best, rel=1e-10, abs=1e-12), case
            assert s.optimal and s.gap_j == 0.0
            assert s.latency_ms <= deadline * (1 + TOL)
            assert s.lower_bound_j <= best + 1e-12
        else:
            assert s.min_latency_ms == pytest.approx(fastest, rel=1e-12)
            assert s.latency_ms == pytest.approx(fastest, rel=1e-12)
            assert "below the smallest reachable latency" in s.reason
        agree += 1
    assert agree == 160


def test_per_knob_costs_against_brute_force():
    """1 to 4 knobs (and a label knob), dense and sparse sets (down to 30 % of the grid), per-knob
    time and energy costs, with and without an initial configuration and idle power."""
    rng = np.random.default_rng(77)
    shapes = [(3,), (2, 2), (3, 2), (2, 2, 2), (3, 2, 2), (2, 2, 2, 2), (2, 2)]
    feasible = infeasible = 0
    for case in range(84):
        levels = shapes[case % len(shapes)]
        density = (1.0, 0.6, 0.3)[case % 3]
        df = knob_measurements(rng, 1, levels, density, noise=0.3, core_mask=case % len(shapes) == 6)
        k = df["block"].size
        n = 2
        while n < 6 and k ** (n + 1) <= 6000:
            n += 1
        df = knob_measurements(rng, n, levels, density, noise=0.3, core_mask=case % len(shapes) == 6)
        tb = block_tables(df, knobs=[c for c in df.columns if c.endswith("_mhz") or c == "core_mask"])
        knobs = list(tb.knobs)
        assert knobs == [c for c in KNOBS[: len(levels)]] + (["core_mask"] if case % len(shapes) == 6 else [])
        ct = random_knob_costs(rng, knobs, 1.0)
        ce = random_knob_costs(rng, knobs, 0.004)
        st = {**ct, "any": 0.1} if case % 4 == 0 else ct
        tsm = switch_matrix(tb.configs, any_=st.get("any", 0.0), knobs=ct)
        esm = switch_matrix(tb.configs, knobs=ce)
        initial = None if case % 2 else int(rng.integers(tb.num_configs))
        idle = 0.0 if case % 5 else 1.0
        _, fastest = brute_force(tb.latency_ms, tb.energy_j, 1e9, tsm, esm, initial)
        deadline = fastest * rng.uniform(0.95, 1.6)
        best, _ = brute_force(tb.latency_ms, tb.energy_j, deadline, tsm, esm, initial, idle)
        s = tb.schedule(deadline, switch_time_ms=st, switch_energy_j=ce, initial_config=initial, idle_power_w=idle)
        assert s.feasible == math.isfinite(best), case
        if s.feasible:
            feasible += 1
            assert s.solver["switching"] == "per-knob"
            assert s.energy_j == pytest.approx(best, rel=1e-10, abs=1e-12), case
            assert s.optimal and s.latency_ms <= deadline * (1 + TOL)
            # the reported totals are those of the reported path, recomputed here from the tables
            rows = np.arange(n)
            prev = np.concatenate([[initial if initial is not None else s.configs[0]], s.configs[:-1]])
            sw_t = tsm[prev, s.configs] * (1 if initial is not None else np.r_[0, np.ones(n - 1)])
            assert s.latency_ms == pytest.approx(tb.latency_ms[rows, s.configs].sum() + sw_t.sum(), rel=1e-12)
        else:
            infeasible += 1
            assert s.min_latency_ms == pytest.approx(fastest, rel=1e-12)
    assert feasible > 40 and infeasible > 0


@pytest.mark.parametrize("seed", range(8))
def test_milp_agreement(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(15, 31))
    initial = None if seed % 2 else 0
    if seed < 4:  # array form: scalar, compute/memory, matrix
        nf, nm = [(3, 2), (6, 1), (2, 4), (5, 2)][seed % 4]
        tb = dvfs_tables(rng, n, nf, nm, noise=0.15)
        if seed % 3 == 0:
            st, se = 1.0, 0.004
            tsm, esm = switch_matrix(tb.configs, any_=1.0), switch_matrix(tb.configs, any_=0.004)
        elif seed % 3 == 1:
            st, se = {"compute": 0.5}, {"compute": 0.002}
            tsm, esm = switch_matrix(tb.configs, compute=0.5), switch_matrix(tb.configs, compute=0.002)
        else:
            k = tb.num_configs
            tsm = rng.uniform(0, 1.0, (k, k)) * (1 - np.eye(k))
            esm = rng.uniform(0, 0.004, (k, k)) * (1 - np.eye(k))
            st, se = tsm, esm
    else:  # per-knob costs over 2 to 4 knobs, dense and sparse
        levels, density = [((3, 3, 2), 1.0), ((4, 4, 3), 0.3), ((2, 2, 2, 2), 0.8), ((4, 5), 0.5)][seed - 4]
        tb = block_tables(knob_measurements(rng, n, levels, density, noise=0.15))
        st = {k: COSTS_MS[k] * 0.2 for k in tb.knobs}
        se = {k: COSTS_MS[k] * 0.001 for k in tb.knobs}
        tsm, esm = switch_matrix(tb.configs, knobs=st), switch_matrix(tb.configs, knobs=se)
    loose = schedule(tb.latency_ms, tb.energy_j, 1e9, st, se, initial, configs=tb.configs)
    fastest = loose.min_latency_ms
    deadline = fastest + rng.uniform(0.1, 0.6) * (loose.latency_ms - fastest)
    s = schedule(tb.latency_ms, tb.energy_j, deadline, st, se, initial, configs=tb.configs)
    ref = milp_optimum(tb.latency_ms, tb.energy_j, deadline, tsm, esm, initial)
    assert ref is not None, "MILP did not finish"
    assert s.feasible and math.isfinite(ref)
    slack = 1e-6 * abs(ref)  # HiGHS feasibility/optimality tolerances
    assert abs(s.energy_j - ref) <= s.gap_j + slack
    assert ref >= s.lower_bound_j - slack
    assert s.energy_j <= ref + slack  # ours is at least as good as the MILP (exact)


# ------------------------------------------------------------------------------------------------
# Edge cases


def test_infeasible_and_tight_deadline():
    rng = np.random.default_rng(1)
    tb = dvfs_tables(rng, 10, 4, 2)
    fast = tb.schedule(1e9, switch_time_ms=0.5).min_latency_ms
    s = tb.schedule(fast * 0.999, switch_time_ms=0.5)
    assert not s.feasible and math.isnan(s.lower_bound_j) and math.isnan(s.gap_j)
    assert s.min_latency_ms == pytest.approx(fast)
    assert s.slack_ms < 0
    assert "INFEASIBLE" in repr(s)
    assert not s.baselines["feasible"].any()
    tight = tb.schedule(fast, switch_time_ms=0.5)
    assert tight.feasible and tight.latency_ms <= fast * (1 + TOL)


def test_zero_switching_is_per_block_choice_and_loose_deadline_is_per_block_minimum():
    rng = np.random.default_rng(2)
    tb = dvfs_tables(rng, 40, 5, 3)
    s = tb.schedule(1e9)
    assert s.energy_j == pytest.approx(tb.energy_j.min(axis=1).sum(), rel=1e-12)
    assert s.optimal


def test_huge_switching_cost_gives_uniform_schedule():
    rng = np.random.default_rng(3)
    tb = dvfs_tables(rng, 25, 4, 3)
    lat = tb.latency_ms.sum(axis=0)
    deadline = float(np.sort(lat)[3]) * 1.01
    s = tb.schedule(deadline, switch_time_ms=0.0, switch_energy_j=1e6)
    assert s.num_switches == 0
    assert s.energy_j == pytest.approx(s.baselines.loc["uniform", "energy_j"], rel=1e-12)
    assert s.baselines.loc["uniform", "saving_j"] == pytest.approx(0.0, abs=1e-9)
    s2 = tb.schedule(deadline, switch_time_ms=1e6)  # a switch can never fit
    assert s2.num_switches == 0


def test_free_knob_switches_for_free():
    """A knob without a cost changes freely: with a huge cost on every other knob, the schedule
    keeps those fixed and picks the free knob per block (compared with brute force over it)."""
    rng = np.random.default_rng(12)
    tb = block_tables(knob_measurements(rng, 6, (3, 3), 1.0, noise=0.3))
    s = tb.schedule(1e9, switch_energy_j={"cpu_freq_mhz": 1e6})
    cpu = s.knob_values["cpu_freq_mhz"].to_numpy()
    assert (cpu == cpu[0]).all()
    k_of = tb.configs.reset_index()
    best = min(
        sum(tb.energy_j[i, k_of.index[k_of.cpu_freq_mhz == c]].min() for i in range(tb.num_blocks))
        for c in k_of.cpu_freq_mhz.unique()
    )
    assert s.energy_j == pytest.approx(best, rel=1e-12)


def test_initial_config_costs_a_switch():
    rng = np.random.default_rng(4)
    tb = dvfs_tables(rng, 5, 3, 1)
    free = tb.schedule(1e9, switch_energy_j=0.5)
    first = int(free.configs[0])
    other = (first + 1) % tb.num_configs
    paid = tb.schedule(1e9, switch_energy_j=0.5, initial_config=other)
    assert paid.energy_j >= free.energy_j
    assert paid.num_switches >= 1 or (paid.configs == other).all()  # switch once, or stay put
    same = tb.schedule(1e9, switch_energy_j=0.5, initial_config=first)
    assert same.energy_j == pytest.approx(free.energy_j)
    f, m = tb.configs.loc[first, ["f_mhz", "m_mhz"]]  # the (f_mhz, NaN) pair of earlier versions
    assert tb.schedule(1e9, switch_energy_j=0.5, initial_config=(f, m)).energy_j == pytest.approx(free.energy_j)
    by_name = {"compute_freq_mhz": f, "mem_freq_mhz": m}
    assert tb.schedule(1e9, switch_energy_j=0.5, initial_config=by_name).energy_j == pytest.approx(free.energy_j)
    with pytest.raises(ValueError, match="initial_config .* missing \\['mem_freq_mhz'\\]"):
        tb.schedule(1e9, initial_config={"compute_freq_mhz": f})


def test_separable_costs_match_matrix_form():
    rng = np.random.default_rng(5)
    tb = dvfs_tables(rng, 40, 4, 3)
    fast = tb.schedule(1e9, switch_time_ms={"compute": 5.0, "memory": 8.0}).min_latency_ms
    kw = dict(initial_config=0, configs=tb.configs)
    a = schedule(tb.latency_ms, tb.energy_j, fast * 1.2, {"compute": 5.0, "memory": 8.0}, {"compute": 0.01, "memory": 0.02}, **kw)
    b = schedule(
        tb.latency_ms, tb.energy_j, fast * 1.2,
        switch_matrix(tb.configs, compute=5.0, memory=8.0), switch_matrix(tb.configs, compute=0.01, memory=0.02), **kw,
    )
    c = tb.schedule(fast * 1.2, switch_time_ms={"compute_freq_mhz": 5.0, "mem_freq_mhz": 8.0},
                    switch_energy_j={"compute_freq_mhz": 0.01, "mem_freq_mhz": 0.02}, initial_config=0)
    assert a.solver["switching"] == "per-knob" and b.solver["switching"] == "matrix"
    assert a.solver["predecessor_groups"] == 3 and b.solver["predecessor_groups"] == 0
    assert a.energy_j == pytest.approx(b.energy_j, rel=1e-12)
    assert c.energy_j == a.energy_j and (c.configs == a.configs).all()


# ------------------------------------------------------------------------------------------------
# Baselines


def test_baselines_race_to_idle_and_savings():
    rng = np.random.default_rng(6)
    tb = dvfs_tables(rng, 12, 5, 2)
    lat = tb.latency_ms.sum(axis=0)
    deadline = float(lat.max())
    s = tb.schedule(deadline, idle_power_w=2.0)
    b = s.baselines
    assert list(b.index) == ["uniform", "race_to_idle", "max_frequency", "only_compute_freq_mhz",
                             "only_mem_freq_mhz"]
    fastest = int(np.argmin(lat))
    assert b.loc["race_to_idle", "config"] == fastest
    expected = tb.energy_j[:, fastest].sum() + 2.0 * (deadline - lat[fastest]) / 1000.0
    assert b.loc["race_to_idle", "energy_j"] == pytest.approx(expected)
    assert b.loc["max_frequency", "f_mhz"] == tb.configs["f_mhz"].max()
    assert b.loc["max_frequency", "m_mhz"] == tb.configs["m_mhz"].max()
    assert b.loc["max_frequency", "compute_freq_mhz"] == tb.configs["compute_freq_mhz"].max()
    assert (b["saving_j"] >= -1e-12).all()  # the schedule is never worse than a feasible baseline
    assert b.loc["uniform", "saving_pct"] == pytest.approx(
        100 * (b.loc["uniform", "energy_j"] - s.energy_j) / b.loc["uniform", "energy_j"]
    )
    assert s.energy_j == pytest.approx(s.active_energy_j + s.switch_energy_j + s.idle_energy_j)
    direct = schedule_baselines(tb.latency_ms, tb.energy_j, deadline, configs=tb.configs, idle_power_w=2.0)
    assert direct["energy_j"].to_numpy() == pytest.approx(b["energy_j"].to_numpy())


@pytest.mark.parametrize("density", [1.0, 0.5])
def test_baselines_over_knobs(density):
    """max_frequency and only_<knob> over three frequency knobs and a core mask, against numpy."""
    rng = np.random.default_rng(21)
    tb = block_tables(knob_measurements(rng, 5, (4, 3, 3), density, core_mask=True),
                      knobs=["cpu_freq_mhz", "compute_freq_mhz", "mem_freq_mhz", "core_mask"])
    cfg = tb.configs
    lat, en = tb.latency_ms.sum(axis=0), tb.energy_j.sum(axis=0)
    deadline = float(np.quantile(lat, 0.4))
    b = tb.schedule(deadline).baselines
    freq = ["cpu_freq_mhz", "compute_freq_mhz", "mem_freq_mhz"]
    assert list(b.columns[:6]) == ["config", *freq, "core_mask", "f_mhz"]
    ok = lat <= deadline * (1 + TOL)
    at_max = (cfg[freq] == cfg[freq].max()).all(axis=1).to_numpy()
    if at_max.any():  # every frequency at its maximum, the fastest core mask
        cand = np.flatnonzero(at_max)
        assert b.loc["max_frequency", "config"] == cand[np.argmin(lat[cand])]
    for knob in freq:
        others = [k for k in freq if k != knob]
        cand = np.flatnonzero((cfg[others] == cfg[others].max()).all(axis=1).to_numpy())
        name = f"only_{knob}"
        if cand.size == 0:
            assert name not in b.index
            continue
        good = cand[ok[cand]]
        expected = good[np.argmin(en[good])] if good.size else cand[np.lexsort((en[cand], lat[cand]))[0]]
        assert b.loc[name, "config"] == expected, name
        assert b.loc[name, "energy_j"] == pytest.approx(en[expected])
        for k in others:
            assert b.loc[name, k] == cfg[k].max()
    good = np.flatnonzero(ok)
    assert b.loc["uniform", "energy_j"] == pytest.approx(en[good].min())
    assert b.loc["race_to_idle", "latency_ms"] == pytest.approx(lat.min())
    assert set(b.loc["uniform", ["core_mask"]]) <= {"1100", "1111"}


# ------------------------------------------------------------------------------------------------
# Configuration sets from long DataFrames


def test_block_tables_from_measurements_any_order_and_power():
    rng = np.random.default_rng(31)
    df = knob_measurements(rng, 4, (3, 2, 2), 0.7, core_mask=True)
    before = df.copy()
    freq = ("cpu_freq_mhz", "compute_freq_mhz", "mem_freq_mhz")
    assert block_tables(df[df["core_mask"] == "1111"]).knobs == freq  # default: the *_mhz columns
    with pytest.raises(ValueError, match="block 'b.' has 2 rows .* differ between them: \\['core_mask'\\]"):
        block_tables(df)  # two core masks per frequency tuple
    with pytest.raises(ValueError, match="block 'b.' has \\d rows .* \\['mem_freq_mhz', 'core_mask'\\]"):
        block_tables(df.drop(columns="energy_j"), knobs=["cpu_freq_mhz", "compute_freq_mhz"])
    tb = block_tables(df, knobs=[*freq, "core_mask"])
    pd.testing.assert_frame_equal(df, before)  # not modified
    assert tb.num_blocks == 4 and tb.blocks == list(pd.unique(df["block"]))
    # one cell against the rows directly
    for _ in range(10):
        r = df.iloc[int(rng.integers(len(df)))]
        i = tb.blocks.index(r["block"])
        k = tb.config_set.index({c: r[c] for c in tb.knobs})
        assert tb.latency_ms[i, k] == r["latency_ms"] and tb.energy_j[i, k] == r["energy_j"]
    # rows in another order and power instead of energy give the same tables
    other = block_tables(df.iloc[::-1].drop(columns="energy_j"), knobs=list(tb.knobs), blocks=tb.blocks)
    assert other.config_set == tb.config_set
    np.testing.assert_allclose(other.energy_j, tb.energy_j, rtol=1e-15)
    np.testing.assert_array_equal(other.latency_ms, tb.latency_ms)
    order = list(reversed(tb.blocks))
    np.testing.assert_array_equal(block_tables(df, knobs=list(tb.knobs), blocks=order).latency_ms,
                                  tb.latency_ms[::-1])
    # configurations sorted by knob value; labels in configs and in the schedule
    cfg = tb.configs
    assert list(cfg.columns) == [*tb.knobs, "f_mhz", "m_mhz"]
    assert (cfg["f_mhz"] == cfg["compute_freq_mhz"]).all() and (cfg["m_mhz"] == cfg["mem_freq_mhz"]).all()
    keys = list(cfg[list(tb.knobs)].itertuples(index=False))
    assert keys == sorted(keys)
    # a whole-network table (no block column) is one block
    one = block_tables(df[df["block"] == "b0"].drop(columns="block"), knobs=list(tb.knobs))
    assert one.num_blocks == 1


def test_block_tables_reject_bad_measurements():
    rng = np.random.default_rng(32)
    df = knob_measurements(rng, 3, (3, 2), 1.0)
    snapshot = df.copy()

    def bad(frame, match, **kw):
        with pytest.raises(ValueError, match=match):
            block_tables(frame, **kw)

    bad(df.iloc[1:], r"block 'b.' has no measurement at configuration \(cpu_freq_mhz=.*compute_freq_mhz=")
    bad(pd.concat([df, df.iloc[[4]]]), r"block 'b.' has 2 rows")
    bad(df.drop(columns="latency_ms"), "latency")
    bad(df.drop(columns=["energy_j", "power_w"]), "energy_j or power_w")
    bad(df, "no knob column 'gpu_freq_mhz'; did you mean 'cpu_freq_mhz'", knobs=["gpu_freq_mhz"])
    bad(df, "no block column 'stage'", block="stage")
    bad(df.drop(columns=["cpu_freq_mhz", "compute_freq_mhz"]), r"no knob columns \(\*_mhz\)")
    for col, value, match in (
        ("latency_ms", np.nan, "latency_ms must be a finite number > 0"),
        ("latency_ms", np.inf, "latency_ms must be a finite number > 0"),
        ("latency_ms", -1.0, "latency_ms must be a finite number > 0"),
        ("latency_ms", 0.0, "latency_ms must be a finite number > 0"),
        ("energy_j", -0.5, "energy_j must be a finite number >= 0"),
        ("energy_j", np.nan, "energy_j must be a finite number >= 0"),
        ("cpu_freq_mhz", np.nan, "cpu_freq_mhz is missing"),
        ("cpu_freq_mhz", -300.0, "frequency knob 'cpu_freq_mhz' must be finite and > 0"),
    ):
        frame = df.copy()
        frame.loc[5, col] = value
        bad(frame, rf"row 6 \(block 'b.', cpu_freq_mhz=.*\): {match}")
    frame = df.astype({"compute_freq_mhz": object})
    frame.loc[7, "compute_freq_mhz"] = "fast"
    bad(frame, "row 8: frequency knob 'compute_freq_mhz' must be numeric \\(MHz\\), got 'fast'")
    bad(df, "block 'b9' has no measurements", blocks=["b0", "b1", "b9"])
    bad(df, "leaves out", blocks=["b0", "b1"])
    bad(df, "repeated", blocks=["b0", "b1", "b1"])
    bad(df, "cannot be a knob", knobs=["cpu_freq_mhz", "latency_ms"])
    bad(df.iloc[:0], "empty")
    with pytest.raises(ValueError, match="knobs=, block= and blocks= only"):
        block_tables(df, np.ones(3))
    with pytest.raises(ValueError, match="need a DataFrame"):
        block_tables(np.ones((2, 2, 1)), np.ones((2, 2, 1)), [1, 2], knobs=["cpu_freq_mhz"])
    pd.testing.assert_frame_equal(df, snapshot)


# ------------------------------------------------------------------------------------------------
# Result object, helper, validation


def test_result_views_and_block_tables():
    rng = np.random.default_rng(7)
    lat = rng.uniform(1, 2, (6, 3, 2))
    en = rng.uniform(0.01, 0.02, (6, 3, 2))
    tb = block_tables(lat, en, [500, 800, 1100], [665.6, 3199])
    assert tb.latency_ms.shape == (6, 6)
    assert tb.latency_ms[2, 1 * 2 + 1] == lat[2, 1, 1]
    assert tuple(tb.configs.loc[3]) == (800.0, 3199.0, 800.0, 3199.0)  # knobs, then the f/m aliases
    assert tb.knobs == ("compute_freq_mhz", "mem_freq_mhz")
    s = tb.schedule(10.0, switch_time_ms=0.2, switch_energy_j=0.001)
    df = s.to_dataframe()
    assert list(df.columns) == [
        "config", "compute_freq_mhz", "mem_freq_mhz", "f_mhz", "m_mhz", "switch_time_ms", "switch_energy_j",
        "start_ms", "end_ms", "latency_ms", "energy_j",
    ]
    assert len(df) == 6 and df["end_ms"].iloc[-1] == pytest.approx(s.latency_ms)
    assert (df["f_mhz"].to_numpy() == tb.configs["f_mhz"].to_numpy()[s.configs]).all()
    assert (s.knob_values["mem_freq_mhz"].to_numpy() == tb.configs["mem_freq_mhz"].to_numpy()[s.configs]).all()
    d = s.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["configs"] == [int(k) for k in s.configs] and d["feasible"]
    assert d["knobs"] == ["compute_freq_mhz", "mem_freq_mhz"]
    assert d["blocks"]["mem_freq_mhz"] == [float(v) for v in df["mem_freq_mhz"]]
    assert "Schedule(N=6 blocks, K=6 configs" in repr(s) and "uniform" in repr(s)
    assert "configs (compute_freq_mhz/mem_freq_mhz)" in repr(s)
    assert "<b>Schedule</b>" in s._repr_html_()
    plain = schedule(tb.latency_ms, tb.energy_j, 10.0)  # no labels
    assert np.isnan(plain.f_mhz).all() and "config index" in repr(plain) and plain.knobs == ()
    one = block_tables(lat[:, :, 0], en[:, :, 0], [500, 800, 1100])
    assert one.latency_ms.shape == (6, 3) and one.configs["m_mhz"].isna().all() and one.knobs == ("compute_freq_mhz",)
    assert "K=6 configurations over 2 knob(s)" in repr(tb)
    # the old label forms: (K, 2) arrays and f_mhz/m_mhz columns name the same knobs
    ref = schedule(tb.latency_ms, tb.energy_j, 10.0, {"compute_freq_mhz": 0.2}, 0.001, configs=tb.config_set)
    pairs = tb.configs[["f_mhz", "m_mhz"]]
    for labels in (pairs, pairs.to_numpy(), tb.configs, dict(pairs)):
        again = schedule(tb.latency_ms, tb.energy_j, 10.0, {"compute": 0.2}, 0.001, configs=labels)
        assert again.knobs == tb.knobs
        assert again.to_dict() == ref.to_dict()
    with pytest.raises(ValueError, match="'f_mhz' \\(an alias of 'compute_freq_mhz'\\) differs"):
        schedule(tb.latency_ms, tb.energy_j, 10.0, configs=tb.configs.assign(f_mhz=1.0))


def test_multi_knob_labels_in_schedule():
    rng = np.random.default_rng(8)
    tb = block_tables(knob_measurements(rng, 8, (3, 3, 2), 0.6, core_mask=True),
                      knobs=["cpu_freq_mhz", "compute_freq_mhz", "mem_freq_mhz", "core_mask"])
    st = {k: COSTS_MS.get(k, 2.0) for k in tb.knobs}  # core_mask: 2 ms
    fast = tb.schedule(1e9, switch_time_ms=st).min_latency_ms
    s = tb.schedule(fast * 1.15, switch_time_ms=st, switch_energy_j={k: 0.001 * v for k, v in st.items()})
    df = s.to_dataframe()
    assert list(df.columns[:7]) == ["config", *tb.knobs, "f_mhz", "m_mhz"]
    cfg = tb.configs
    for knob in tb.knobs:
        assert list(df[knob]) == list(cfg[knob].iloc[s.configs])
    assert set(df["core_mask"]) <= {"1100", "1111"}
    text = repr(s)
    assert "configs (cpu_freq_mhz/compute_freq_mhz/mem_freq_mhz/core_mask)" in text
    first = "/".join(f"{v:g}" if isinstance(v, float) else v for v in df.loc[0, list(tb.knobs)])
    assert first in text
    # per-block switching paid is the sum over the knobs that changed
    changed = df[list(tb.knobs)].ne(df[list(tb.knobs)].shift()).iloc[1:]
    expected = sum(changed[k] * st[k] for k in tb.knobs)
    np.testing.assert_allclose(df["switch_time_ms"].iloc[1:], expected.to_numpy(dtype=float))


def test_pickle_and_dict_round_trips():
    rng = np.random.default_rng(9)
    tb = block_tables(knob_measurements(rng, 5, (3, 2), 0.8, core_mask=True),
                      knobs=["cpu_freq_mhz", "compute_freq_mhz", "core_mask"])
    for s in (tb.schedule(1e9, switch_time_ms={"core_mask": 1.0}, idle_power_w=0.5),
              tb.schedule(1e-3),  # infeasible: NaN bounds
              schedule(tb.latency_ms, tb.energy_j, 20.0, 0.1)):  # unlabelled
        d = s.to_dict()
        text = json.dumps(d, allow_nan=False)
        back = Schedule.from_dict(json.loads(text))
        assert back.to_dict() == d
        assert repr(back) == repr(s)
        pd.testing.assert_frame_equal(back.to_dataframe(), s.to_dataframe(), check_dtype=False)
        clone = pickle.loads(pickle.dumps(s))
        assert clone.to_dict() == d and repr(clone) == repr(s)
    d = tb.to_dict()
    back = BlockTables.from_dict(json.loads(json.dumps(d, allow_nan=False)))
    assert back == tb and back.to_dict() == d
    assert pickle.loads(pickle.dumps(tb)) == tb
    assert repr(back) == repr(tb)
    with pytest.raises(ValueError, match="Schedule.from_dict"):
        Schedule.from_dict({"knobs": []})


def test_bad_input_raises_value_error_naming_the_argument():
    rng = np.random.default_rng(8)
    t = rng.uniform(1, 2, (4, 3))
    e = rng.uniform(0.01, 0.02, (4, 3))
    t0, e0 = t.copy(), e.copy()
    cases = [
        (dict(block_latency_ms=t[:, :2]), "differ in shape"),
        (dict(block_latency_ms=np.where(t > 1.5, np.nan, t)), "block_latency_ms"),
        (dict(block_latency_ms=np.where(t > 1.5, np.inf, t)), "block_latency_ms contains NaN or infinite"),
        (dict(block_energy_j=-e), "block_energy_j must be >= 0 \\(block 0, configuration 0"),
        (dict(block_latency_ms=-t), "block_latency_ms"),
        (dict(block_latency_ms=t.astype(str)), r"block_latency_ms\[0, 0\] must be a number"),
        (dict(deadline_ms=0.0), "deadline_ms"),
        (dict(deadline_ms=-1.0), "deadline_ms"),
        (dict(deadline_ms=math.nan), "deadline_ms"),
        (dict(deadline_ms="10"), "deadline_ms must be a number"),
        (dict(initial_config=3), "initial_config"),
        (dict(initial_config=-1), "initial_config"),
        (dict(initial_config="fast"), "initial_config"),
        (dict(switch_time_ms=-1.0), "switch_time_ms"),
        (dict(switch_time_ms="5"), "switch_time_ms must be a number, a dict"),
        (dict(switch_time_ms=True), "switch_time_ms must be a number, a dict"),
        (dict(switch_energy_j=math.nan), "switch_energy_j must be finite"),
        (dict(switch_time_ms=np.array(["1", "2"])), r"switch_time_ms(\[0\])? must be a number"),
        (dict(switch_energy_j=np.ones((2, 2))), "switch_energy_j"),
        (dict(switch_time_ms={"compute": 5.0}), "switch_time_ms\\['compute'\\]: per-knob switching costs need"),
        (dict(switch_time_ms={"gpu": 5.0}), "switch_time_ms"),
        (dict(switch_time_ms={"any": "5"}), "switch_time_ms\\['any'\\] must be a number"),
        (dict(idle_power_w=-1.0), "idle_power_w"),
        (dict(block_latency_ms=t[0]), "block_latency_ms"),
    ]
    for change, word in cases:
        kw = dict(block_latency_ms=t, block_energy_j=e, deadline_ms=10.0)
        kw.update(change)
        with pytest.raises(ValueError, match=word):
            schedule(**kw)
    with pytest.raises(ValueError, match="configs"):
        schedule(t, e, 10.0, configs=[[1, 2], [3, 4]])
    with pytest.raises(ValueError, match="latency_ms"):
        block_tables(np.ones((2, 3, 2)), np.ones((2, 3, 2)), [1, 2], [1, 2])
    with pytest.raises(ValueError, match="initial_config"):
        schedule(t, e, 10.0, initial_config=(1.0, 2.0), configs=[[1, 1], [2, 1], [3, 1]])
    with pytest.raises(ValueError, match="configurations 0 and 1 are the same"):
        schedule(t, e, 10.0, configs=[[1, 1], [1, 1], [3, 1]])
    assert np.array_equal(t, t0) and np.array_equal(e, e0)  # inputs never modified


def test_per_knob_cost_errors_name_the_key_and_nearest_knob():
    rng = np.random.default_rng(10)
    tb = block_tables(knob_measurements(rng, 3, (2, 2, 2), 1.0))
    costs = {"cpu_freq_mhz": 1.0, "gpu_freq_mhz": 5.0}
    before = dict(costs)
    with pytest.raises(ValueError, match="unknown knob 'gpu_freq_mhz'; did you mean 'cpu_freq_mhz'"):
        tb.schedule(100.0, switch_time_ms=costs)
    assert costs == before
    with pytest.raises(ValueError, match="unknown knob 'mem_freq'; did you mean 'mem_freq_mhz'"):
        tb.schedule(100.0, switch_energy_j={"mem_freq": 0.1})
    for value, match in (("1", "must be a number"), (None, "must be a number"), (True, "must be a number"),
                         (math.nan, "must be finite"), (-1.0, "must be finite and >= 0"),
                         (math.inf, "must be finite")):
        with pytest.raises(ValueError, match=rf"switch_time_ms\['mem_freq_mhz'\] {match}"):
            tb.schedule(100.0, switch_time_ms={"mem_freq_mhz": value})
    with pytest.raises(ValueError, match="given twice"):
        tb.schedule(100.0, switch_time_ms={"compute": 1.0, "compute_freq_mhz": 2.0})
    only_cpu = block_tables(knob_measurements(rng, 3, (3,), 1.0))
    with pytest.raises(ValueError, match="'memory' means 'mem_freq_mhz'"):
        only_cpu.schedule(100.0, switch_time_ms={"memory": 8.0})
    configs = tb.config_set
    snapshot = configs.table
    tb.schedule(100.0, switch_time_ms={"cpu_freq_mhz": 1.0})
    pd.testing.assert_frame_equal(configs.table, snapshot)


def test_large_instance_is_within_the_certified_gap():
    """100 blocks x 1,848 configurations (12 x 14 x 11), per-knob costs: proven optimal or within
    a 0.1 % certified gap (timed in benchmarks/bench_schedule.py, not here)."""
    rng = np.random.default_rng(11)
    df = knob_measurements(rng, 100, (12, 14, 11), 1.0, noise=0.05)
    tb = block_tables(df)
    assert tb.num_configs == 1848
    st = {k: COSTS_MS[k] for k in tb.knobs}
    se = {k: 0.002 * COSTS_MS[k] for k in tb.knobs}
    fast = tb.schedule(1e9, switch_time_ms=st).min_latency_ms
    for factor in (1.05, 1.3):
        s = tb.schedule(fast * factor, switch_time_ms=st, switch_energy_j=se)
        assert s.feasible and s.gap_rel <= 1e-3
        assert s.latency_ms <= fast * factor * (1 + TOL)
        assert s.energy_j <= s.baselines["energy_j"][s.baselines["feasible"]].min() * (1 + 1e-12)


def test_certificate_holds_when_the_label_budget_runs_out():
    """With no room for labels the result is the best Lagrangian path: still feasible, and the
    certified interval [lower_bound_j, energy_j] must contain the true optimum."""
    exhausted = 0
    for case, rng, n, nf, nm in brute_cases():
        if case >= 60:
            break
        tb = dvfs_tables(rng, n, nf, nm, noise=0.3)
        tsm, esm = switch_matrix(tb.configs, any_=0.6), switch_matrix(tb.configs, any_=0.003)
        _, fastest = brute_force(tb.latency_ms, tb.energy_j, 1e9, tsm, esm)
        deadline = fastest * rng.uniform(1.0, 1.5)
        best, _ = brute_force(tb.latency_ms, tb.energy_j, deadline, tsm, esm)
        s = tb.schedule(deadline, switch_time_ms=0.6, switch_energy_j=0.003, label_budget=0, max_labels_per_cell=1)
        assert s.feasible
        assert s.lower_bound_j <= best + 1e-12 <= s.energy_j + 2e-12
        assert s.gap_j == pytest.approx(s.energy_j - s.lower_bound_j)
        exhausted += s.solver["budget_exhausted"]
    assert exhausted > 0


def test_concurrent_calls_agree():
    """The C++ solve releases the GIL and shares no state: threads give identical results."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(10)
    tb = dvfs_tables(rng, 60, 6, 4)
    fast = tb.schedule(1e9, switch_time_ms=0.5).min_latency_ms
    deadlines = [fast * f for f in np.linspace(1.0, 1.6, 8)]

    def run(d):
        return tb.schedule(d, switch_time_ms={"compute": 0.5, "memory": 0.3}, switch_energy_j=0.002).energy_j

    serial = [run(d) for d in deadlines]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(run, deadlines))
    assert parallel == serial


LONG_SCHEDULE = """
import numpy as np
import dvfskit

# A schedule that runs for minutes: 5,000 blocks x 800 configurations with a general switching
# matrix (every DP step is O(K^2)) and a binding deadline.
rng = np.random.default_rng(0)
n, k = 5000, 800
speed = np.linspace(0.3, 1.0, k)
t = rng.uniform(1.0, 2.0, (n, 1)) / speed
e = t * (0.5 + speed**3) / 1000.0
matrix = np.full((k, k), 0.05) - 0.05 * np.eye(k)
deadline = float(t.sum(axis=0).min() * 1.5)
work = lambda: dvfskit.schedule(t, e, deadline, matrix, matrix * 0.001)
"""


def test_ctrl_c_interrupts_a_long_schedule():
    delay, where = interrupt_child(LONG_SCHEDULE, after_s=1.5)  # well inside the C++ solve
    assert where.startswith("schedule") and "_core.solve_schedule(" in where, where  # raised by the C++ call
    # A generous bound: the solve polls for Ctrl-C every 20 ms and checks per block, and an
    # uninterrupted run takes minutes; the child also exits its interpreter in this time.
    assert delay < 10.0, delay
