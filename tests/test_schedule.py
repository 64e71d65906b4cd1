"""dvfskit.schedule: brute force (small), MILP (medium), edge cases, baselines, validation."""
from __future__ import annotations

import itertools
import json
import math
import time

import numpy as np
import pytest

from dvfskit import block_tables, schedule, schedule_baselines
from schedule_reference import milp_optimum, switch_matrix

TOL = 1e-9


# ------------------------------------------------------------------------------------------------
# Instances and independent references


def dvfs_tables(rng, n, nf, nm, noise=0.1):
    """(N, nF, nM) latency (ms) and energy (J) tables shaped like real DVFS data."""
    f = np.linspace(400.0, 1300.0, nf)
    m = np.linspace(665.0, 3199.0, nm) if nm > 1 else np.array([3199.0])
    F, M = np.meshgrid(f / f.max(), m / m.max(), indexing="ij")
    work = rng.uniform(1.0, 6.0, (n, 1, 1))
    mem = rng.uniform(0.5, 3.0, (n, 1, 1))
    t = (work / F + mem / M) * rng.uniform(1 - noise, 1 + noise, (n, nf, nm))
    power = 3.0 + 10.0 * F**3 + 3.0 * M**2
    e = power * t / 1000.0 * rng.uniform(1 - noise, 1 + noise, (n, nf, nm))
    return block_tables(t, e, f, m)


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
            tsm = switch_matrix(tb.configs, compute=0.5, memory=0.8)
            esm = switch_matrix(tb.configs, any_=0.001, compute=0.003, memory=0.002)
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


@pytest.mark.parametrize("seed", range(8))
def test_milp_agreement(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(15, 31))
    nf, nm = [(3, 2), (6, 1), (2, 4), (5, 2)][seed % 4]
    tb = dvfs_tables(rng, n, nf, nm, noise=0.15)
    initial = None if seed % 2 else 0
    if seed % 3 == 0:
        st, se = 1.0, 0.004
        tsm, esm = switch_matrix(tb.configs, any_=1.0), switch_matrix(tb.configs, any_=0.004)
    elif seed % 3 == 1:
        st, se = {"compute": 0.5, "memory": 0.8}, {"compute": 0.002, "memory": 0.003}
        tsm = switch_matrix(tb.configs, compute=0.5, memory=0.8)
        esm = switch_matrix(tb.configs, compute=0.002, memory=0.003)
    else:
        k = tb.num_configs
        tsm = rng.uniform(0, 1.0, (k, k)) * (1 - np.eye(k))
        esm = rng.uniform(0, 0.004, (k, k)) * (1 - np.eye(k))
        st, se = tsm, esm
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
    f, m = tb.configs.loc[first, ["f_mhz", "m_mhz"]]
    assert tb.schedule(1e9, switch_energy_j=0.5, initial_config=(f, m)).energy_j == pytest.approx(free.energy_j)


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
    assert a.solver["switching"] == "separable" and b.solver["switching"] == "matrix"
    assert a.energy_j == pytest.approx(b.energy_j, rel=1e-12)


# ------------------------------------------------------------------------------------------------
# Baselines


def test_baselines_race_to_idle_and_savings():
    rng = np.random.default_rng(6)
    tb = dvfs_tables(rng, 12, 5, 2)
    lat = tb.latency_ms.sum(axis=0)
    deadline = float(lat.max())
    s = tb.schedule(deadline, idle_power_w=2.0)
    b = s.baselines
    assert list(b.index) == ["uniform", "race_to_idle", "max_frequency"]
    fastest = int(np.argmin(lat))
    assert b.loc["race_to_idle", "config"] == fastest
    expected = tb.energy_j[:, fastest].sum() + 2.0 * (deadline - lat[fastest]) / 1000.0
    assert b.loc["race_to_idle", "energy_j"] == pytest.approx(expected)
    assert b.loc["max_frequency", "f_mhz"] == tb.configs["f_mhz"].max()
    assert b.loc["max_frequency", "m_mhz"] == tb.configs["m_mhz"].max()
    assert (b["saving_j"] >= -1e-12).all()  # the schedule is never worse than a feasible baseline
    assert b.loc["uniform", "saving_pct"] == pytest.approx(
        100 * (b.loc["uniform", "energy_j"] - s.energy_j) / b.loc["uniform", "energy_j"]
    )
    assert s.energy_j == pytest.approx(s.active_energy_j + s.switch_energy_j + s.idle_energy_j)
    direct = schedule_baselines(tb.latency_ms, tb.energy_j, deadline, configs=tb.configs, idle_power_w=2.0)
    assert direct["energy_j"].to_numpy() == pytest.approx(b["energy_j"].to_numpy())


# ------------------------------------------------------------------------------------------------
# Result object, helper, validation


def test_result_views_and_block_tables():
    rng = np.random.default_rng(7)
    lat = rng.uniform(1, 2, (6, 3, 2))
    en = rng.uniform(0.01, 0.02, (6, 3, 2))
    tb = block_tables(lat, en, [500, 800, 1100], [665.6, 3199])
    assert tb.latency_ms.shape == (6, 6)
    assert tb.latency_ms[2, 1 * 2 + 1] == lat[2, 1, 1]
    assert tuple(tb.configs.loc[3]) == (800.0, 3199.0)
    s = tb.schedule(10.0, switch_time_ms=0.2, switch_energy_j=0.001)
    df = s.to_dataframe()
    assert list(df.columns) == [
        "config", "f_mhz", "m_mhz", "switch_time_ms", "switch_energy_j", "start_ms", "end_ms", "latency_ms", "energy_j",
    ]
    assert len(df) == 6 and df["end_ms"].iloc[-1] == pytest.approx(s.latency_ms)
    assert (df["f_mhz"].to_numpy() == tb.configs["f_mhz"].to_numpy()[s.configs]).all()
    d = s.to_dict()
    json.dumps(d)
    assert d["configs"] == [int(k) for k in s.configs] and d["feasible"]
    assert "Schedule(N=6 blocks, K=6 configs" in repr(s) and "uniform" in repr(s)
    assert "<b>Schedule</b>" in s._repr_html_()
    plain = schedule(tb.latency_ms, tb.energy_j, 10.0)  # no labels
    assert np.isnan(plain.f_mhz).all() and "config index" in repr(plain)
    one = block_tables(lat[:, :, 0], en[:, :, 0], [500, 800, 1100])
    assert one.latency_ms.shape == (6, 3) and one.configs["m_mhz"].isna().all()


def test_bad_input_raises_value_error_naming_the_argument():
    rng = np.random.default_rng(8)
    t = rng.uniform(1, 2, (4, 3))
    e = rng.uniform(0.01, 0.02, (4, 3))
    t0, e0 = t.copy(), e.copy()
    cases = [
        (dict(block_latency_ms=t[:, :2]), "differ in shape"),
        (dict(block_latency_ms=np.where(t > 1.5, np.nan, t)), "block_latency_ms"),
        (dict(block_energy_j=-e), "block_energy_j"),
        (dict(block_latency_ms=-t), "block_latency_ms"),
        (dict(deadline_ms=0.0), "deadline_ms"),
        (dict(deadline_ms=-1.0), "deadline_ms"),
        (dict(deadline_ms=math.nan), "deadline_ms"),
        (dict(initial_config=3), "initial_config"),
        (dict(initial_config=-1), "initial_config"),
        (dict(initial_config="fast"), "initial_config"),
        (dict(switch_time_ms=-1.0), "switch_time_ms"),
        (dict(switch_energy_j=np.ones((2, 2))), "switch_energy_j"),
        (dict(switch_time_ms={"compute": 5.0}), "switch_time_ms"),  # needs labels
        (dict(switch_time_ms={"gpu": 5.0}), "switch_time_ms"),
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
    assert np.array_equal(t, t0) and np.array_equal(e, e0)  # inputs never modified


def test_large_instance_is_interactive():
    rng = np.random.default_rng(9)
    tb = dvfs_tables(rng, 300, 20, 15, noise=0.03)
    fast = tb.schedule(1e9, switch_time_ms=1.0).min_latency_ms
    for st, se in ((1.0, 0.005), ({"compute": 5.0, "memory": 8.0}, {"compute": 0.01, "memory": 0.02})):
        t0 = time.perf_counter()
        s = tb.schedule(fast * 1.3, switch_time_ms=st, switch_energy_j=se)
        elapsed = time.perf_counter() - t0
        assert s.feasible and s.gap_rel <= 0.01
        assert elapsed < 5.0  # about 1 s or less on one core; generous for CI


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
