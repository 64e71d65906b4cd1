"""dvfskit.governor: hand-computed traces through the public API, the C++ core against an
independent Python reference (tests/governor_reference.py), properties (performance = the
max-frequency baseline, powersave = the minimum, the optimum never above a governor that meets
every deadline), the result's API and bad input."""
from __future__ import annotations

import functools
import json
import math
import pickle

import numpy as np
import pandas as pd
import pytest

import dvfskit
from dvfskit import _core, examples
from dvfskit._governor import GOVERNORS, governor_rows, memory_busy_share

import governor_reference as ref
from child_process import interrupt_child

NO_SERVER = 1e12
CHANNEL = dict(bandwidth_hz=1e6, gain=1e-11, noise_w_per_hz=4e-21, p_max_w=0.5)


def local_problem(lat, pw, f, m, deadline_ms, idle_power_w=0.0):
    """All-local table problem over compute x memory (the server never finishes in time)."""
    lat = np.asarray(lat, dtype=float)
    L = lat.shape[0]
    return dvfskit.Problem.from_tables(lat, pw, f, m, np.zeros(L + 1), np.r_[np.full(L, NO_SERVER), 0.0],
                                       deadline_ms=deadline_ms, idle_power_w=idle_power_w, **CHANNEL)


def one_block(latency, power, f, deadline_ms, idle=0.0):
    """One block over compute frequencies f (memory: one level)."""
    lat = np.asarray(latency, dtype=float)[None, :, None]
    pw = np.asarray(power, dtype=float)[None, :, None]
    return local_problem(lat, pw, f, [1000.0], deadline_ms, idle)


def compute_trace(r):
    return [c["compute_freq_mhz"] for c in r.inferences.apply(lambda row: {"compute_freq_mhz": row["compute_freq_mhz"]},
                                                              axis=1)]


# ---------------------------------------------------------------------------------------------
# Hand-computed traces (the kernel formulas, docs/math/governors.md)


def test_ondemand_trace_by_hand():
    # 2000 MHz: load 15 -> 500000 + 15 * 1500000 // 100 = 725000 kHz, closest 500; 500: load 60 ->
    # 1400000 -> 1000; 1000: load 30 -> 950000 -> 1000 (fixed point).
    p = one_block([60, 30, 15], [1, 2, 4], [500, 1000, 2000], 100, idle=0.5)
    r = dvfskit.governor(p, {"compute_freq_mhz": "ondemand"})
    assert list(r.inferences["compute_freq_mhz"]) == [2000, 500, 1000]
    assert (r.warmup, r.cycle_length) == (2, 1)
    assert r.energy_j == pytest.approx(30 * 2 / 1000 + 0.5 * 70 / 1000)
    assert r.latency_ms == pytest.approx(30)
    assert r.miss_rate == 0


def test_ondemand_threshold_edge_and_two_cycle():
    # load exactly 80 at 2100 MHz: not above up_threshold, 100000 + 80 * 20000 = 1700000 -> 2000;
    # load 84 at 2000: the maximum. A cycle of two inferences.
    p = one_block([1000, 84, 80], [1, 3, 4], [100, 2000, 2100], 100, idle=1.0)
    r = dvfskit.governor(p, {"compute_freq_mhz": "ondemand"})
    assert list(r.inferences["compute_freq_mhz"]) == [2100, 2000]
    assert r.cycle_length == 2
    assert r.energy_j == pytest.approx((80 * 4 + 20 + 84 * 3 + 16) / 2 / 1000)
    # with up_threshold=83 the load of 84 still jumps; with 84 it does not (84 is not > 84)
    r84 = dvfskit.governor(p, {"compute_freq_mhz": "ondemand"}, up_threshold=84)
    assert r84.cycle_configs == [{"compute_freq_mhz": 2000.0, "mem_freq_mhz": 1000.0}]


def test_schedutil_exactly_at_a_table_frequency():
    # P = 128: util = 1024 * 51.25 / 128 = 410, perf = 512, 2000000 * 512 / 1024 = 1000000 kHz exactly.
    p = one_block([205, 102.5, 51.25], [1, 2, 4], [500, 1000, 2000], 128)
    r = dvfskit.governor(p, "schedutil")
    assert r.cycle_configs[0]["compute_freq_mhz"] == 1000
    assert r.assumptions.index.str.startswith("busy compute").any()


def test_simple_ondemand_on_memory_with_given_busy():
    # memory 400/800/1600 MHz; busy 30 ms of 100 at 1600: 30000 * 1.6e9 // 100000 * 100 // 88 =
    # 545454545 Hz -> 800 MHz; at 800 busy 60 ms: the same target.
    lat = np.full((1, 1, 3), 100.0)
    p = local_problem(lat, np.ones_like(lat), [1000.0], [400, 800, 1600], 100)
    r = dvfskit.governor(p, {"mem_freq_mhz": "simple_ondemand"}, busy={"mem_freq_mhz": [0.1, 0.6, 0.3]})
    assert list(r.inferences["mem_freq_mhz"]) == [1600, 800]
    assert "given by the caller" in r.assumptions["busy mem_freq_mhz"]
    # downdifferential=0: the keep band is empty, divisor 90: 30000 * 1.6e9 / 1e5 * 100 / 90 = 533 MHz -> 800
    r0 = dvfskit.governor(p, {"mem_freq_mhz": "simple_ondemand"}, busy={"mem_freq_mhz": [0.1, 0.6, 0.3]},
                          downdifferential=0)
    assert r0.cycle_configs[0]["mem_freq_mhz"] == 800


def test_deadline_miss_and_idle_accounting():
    p = one_block([60, 30], [1, 2], [500, 1000], 50, idle=3.0)
    r = dvfskit.governor(p, "powersave")
    assert r.miss_rate == 1.0 and r.latency_ms == 60 and r.cycle_ms == 60
    assert r.energy_j == pytest.approx(0.06)  # late: no idle time in its cycle
    rows = governor_rows(p, ["powersave", "performance"], 0.05, optimum_latency_ms=30.0)
    assert not rows.loc["powersave", "feasible"] and math.isnan(rows.loc["powersave", "saving_pct"])
    e_perf = 30 * 2 / 1000 + 3.0 * 20 / 1000
    assert rows.loc["performance", "saving_pct"] == pytest.approx(100 * (e_perf - (0.05 + 3.0 * 20 / 1000)) / e_perf)


def test_time_stepped_trace_by_hand():
    # S = P / 2 (the derivation in docs/math/governors.md): from inference 2 on, 50 ms at 1000 MHz
    # then (load 100 at the 50 ms sample) 15 ms at 2000 MHz.
    p = one_block([160, 80, 40], [1, 2, 4], [500, 1000, 2000], 100, idle=0.5)
    r = dvfskit.governor(p, "ondemand", sampling_ms=50)
    assert not r.exact
    assert r.latency_ms == pytest.approx(65)
    assert r.energy_j == pytest.approx((50 * 2 + 15 * 4) / 1000 + 0.5 * 35 / 1000)
    last = r.trace[r.trace["in_cycle"]]
    assert list(last["compute_freq_mhz"]) == [1000, 2000]
    assert list(last["duration_ms"]) == pytest.approx([50, 15])
    assert list(last["time_ms"]) == pytest.approx([200, 250])


def test_sysscale_memory_points_and_power_budget():
    # P = 50 ms. Memory busy all of the 25 ms block at the maximum: load 50 % > 40 %: stays high;
    # busy 20 % of the block: load 10 % < 30 %: the low point.
    f, m = [500.0, 1000.0], [400.0, 1600.0]
    lat = np.array([[[60.0, 50.0], [35.0, 25.0]]])  # (1, 2, 2)
    pw = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    p = local_problem(lat, pw, f, m, 50)
    hi = dvfskit.governor(p, "sysscale", busy={"mem_freq_mhz": 1.0})
    assert hi.cycle_configs == [{"compute_freq_mhz": 1000.0, "mem_freq_mhz": 1600.0}]
    lo = dvfskit.governor(p, "sysscale", busy={"mem_freq_mhz": 0.2})
    assert lo.cycle_configs[-1]["mem_freq_mhz"] == 400.0
    # a 3.5 W budget: at (1000, 1600) the mean power is 4 W, (500, 1600) 2 W -> compute lowered
    capped = dvfskit.governor(p, "sysscale", busy={"mem_freq_mhz": 1.0}, power_budget_w=3.5)
    assert capped.cycle_configs[-1] == {"compute_freq_mhz": 500.0, "mem_freq_mhz": 1600.0}
    assert "ASSUMED" in capped.assumptions["sysscale"]


# ---------------------------------------------------------------------------------------------
# C++ against the independent reference


def _random_case(rng, sparse):
    F, M = [300.0, 600.0, 900.0, 1200.0], [400.0, 800.0, 1600.0]
    grid = [(a, b) for a in F for b in M]
    keep = [g for g in grid if not sparse or rng.random() < 0.7 or g == (1200.0, 1600.0)]
    configs = dvfskit.ConfigSet(pd.DataFrame(keep, columns=["compute_freq_mhz", "mem_freq_mhz"]))
    K, L = len(configs), int(rng.integers(1, 6))
    f = configs.table["compute_freq_mhz"].to_numpy()
    m = configs.table["mem_freq_mhz"].to_numpy()
    lat = (2000 / f + 1500 / m)[None, :] * rng.uniform(0.5, 1.5, (L, K)) * 4 / L
    pw = 1 + f[None, :] / 500 + rng.uniform(0, 1, (L, K))
    mbusy = rng.uniform(0, 1, (L, K))
    return configs, lat, pw, mbusy


@pytest.mark.parametrize("seed", range(40))
def test_core_matches_reference(seed):
    rng = np.random.default_rng(seed)
    configs, lat, pw, mbusy = _random_case(rng, sparse=seed % 2 == 1)
    names = ["ondemand", "conservative", "schedutil", "simple_ondemand", "performance", "powersave"]
    cg = names[seed % len(names)]
    mg = ["simple_ondemand", "sysscale_memory", "ondemand", "conservative", "schedutil"][seed % 5]
    tun_c = {"sampling_down_factor": 2} if cg == "ondemand" and seed % 3 == 0 else {}
    kinds = {"ondemand": 4, "conservative": 5, "schedutil": 6, "simple_ondemand": 7, "performance": 1,
             "powersave": 2, "sysscale_memory": 8}
    core_tun = {"sysscale_memory": {"up_threshold": 40, "down_threshold": 30}}
    st, se = list(rng.uniform(0, 3, 2)), list(rng.uniform(0, 0.01, 2))
    sim = _core.GovernorSimulator(configs._core, lat, pw, [None, mbusy], st, se,
                                  [(kinds[cg], tun_c), (kinds[mg], core_tun.get(mg, {}))])
    period = float(rng.uniform(8, 40))
    got = sim.run(period, period, 0.7, True)
    levels = [configs.levels(k) for k in configs.knobs]
    want = ref.steady_state(levels, configs.codes, lat, pw, [None, mbusy], [(cg, tun_c), (mg, {})], period, 0.7, st, se)
    assert (got["warmup"], got["cycle_length"]) == (want["warmup"], want["cycle_length"])
    assert list(got["inferences"]["config"]) == want["configs"]
    assert got["energy_j"] == pytest.approx(want["energy_j"], rel=1e-12)
    assert got["latency_ms"] == pytest.approx(want["latency_ms"], rel=1e-12)
    assert got["miss_rate"] == want["miss_rate"]
    # the time-stepped path with S = P reduces to the steady state
    stepped = sim.run(period, period, 0.7, True, stepped=True)
    assert stepped["energy_j"] == pytest.approx(got["energy_j"], rel=1e-12)
    assert list(stepped["inferences"]["config"]) == list(got["inferences"]["config"])


# ---------------------------------------------------------------------------------------------
# Properties


@functools.lru_cache(maxsize=1)
def _tx2_tables():
    return examples.tx2_tables("400x400")


def _tx2(deadline_ms=300.0, idle=1.0):
    lat, pw, f, m = _tx2_tables()
    return local_problem(lat[None], pw[None], f, m, deadline_ms, idle), lat, pw, f, m


def test_performance_is_the_max_frequency_baseline():
    p, lat, pw, f, m = _tx2()
    r = dvfskit.governor(p, "performance")
    base = dvfskit.baselines(p).loc["max_frequency"]
    assert r.latency_ms == pytest.approx(base["latency_ms"])
    assert r.energy_j == pytest.approx(base["energy_j"] + 1.0 * (300 - base["latency_ms"]) / 1000)
    assert (r.warmup, r.cycle_length, r.miss_rate) == (0, 1, 0.0)


def test_powersave_is_the_minimum():
    p, lat, pw, f, m = _tx2(deadline_ms=2000.0)
    r = dvfskit.governor(p, "powersave")
    a, b = int(np.argmin(f)), int(np.argmin(m))
    assert r.latency_ms == pytest.approx(lat[a, b])
    assert r.energy_j == pytest.approx(lat[a, b] * pw[a, b] / 1000 + 1.0 * (2000 - lat[a, b]) / 1000)


@pytest.mark.parametrize("seed", range(12))
def test_optimum_never_above_a_governor_that_meets_every_deadline(seed):
    rng = np.random.default_rng(100 + seed)
    L, nf, nm = int(rng.integers(1, 5)), 4, 3
    f, m = np.array([300.0, 600, 900, 1200]), np.array([400.0, 800, 1600])
    lat = (2000 / f[:, None] + 1500 / m[None, :])[None] * rng.uniform(0.5, 1.5, (L, nf, nm)) * 4 / L
    pw = 1 + f[None, :, None] / 500 + rng.uniform(0, 1, (L, nf, nm))
    idle = float(rng.uniform(0, 2))
    deadline = float(lat.sum(axis=0).min() * rng.uniform(1.05, 3))
    p = local_problem(lat, pw, f, m, deadline, idle)
    tables = dvfskit.block_tables(lat, lat * pw / 1000, f, m)
    best = tables.schedule(deadline, idle_power_w=idle)
    assert best.optimal
    checked = 0
    for g in ["performance", "ondemand", "conservative", "schedutil", "default", "sysscale"]:
        r = dvfskit.governor(p, g, busy={"mem_freq_mhz": 0.4})
        if r.miss_rate == 0:
            checked += 1
            assert best.energy_j <= r.energy_j * (1 + 1e-9), g
    assert checked >= 1  # performance meets the deadline (deadline >= the fastest latency)


# ---------------------------------------------------------------------------------------------
# The result


def test_result_api_dict_pickle_repr_plot():
    import matplotlib

    matplotlib.use("Agg")
    p, *_ = _tx2()
    r = dvfskit.governor(p, "default", sampling_ms=60)
    d = r.to_dict()
    json.dumps(d)
    assert d["governors"] == {"compute_freq_mhz": "schedutil", "mem_freq_mhz": "simple_ondemand"}
    assert d["tunables"]["mem_freq_mhz"] == {"upthreshold": 90, "downdifferential": 5}
    back = pickle.loads(pickle.dumps(r))
    assert back.energy_j == r.energy_j and back.trace.equals(r.trace) and back.configs == r.configs
    assert {"inference", "block", "start_ms", "time_ms", "duration_ms", "config", "compute_freq_mhz",
            "mem_freq_mhz", "in_cycle"} <= set(r.trace.columns)
    assert r.trace["in_cycle"].any() and len(r.inferences) == r.warmup + r.cycle_length
    assert "GovernorResult(default" in repr(r) and "assumption" in repr(r)
    assert "<table>" in r._repr_html_()
    ax = r.plot()
    assert len([b for b in ax.patches if b.get_gid() == "block"]) == len(r.trace)
    # knob sums: the blocks of each inference add up to its latency minus switching stalls
    per = r.trace.groupby("inference")["duration_ms"].sum()
    assert np.all(per.to_numpy() <= r.inferences["latency_ms"].to_numpy() + 1e-9)


def test_memory_busy_share_recovers_an_exact_joint_model():
    F, M = np.array([300.0, 600, 900, 1200]), np.array([400.0, 800, 1600, 2133])
    configs = dvfskit.ConfigSet.grid({"compute_freq_mhz": F, "mem_freq_mhz": M})
    f = configs.table["compute_freq_mhz"].to_numpy() / 1000
    m = configs.table["mem_freq_mhz"].to_numpy() / 1000
    mem, comp = 40 * m ** -0.7, 90 * f ** -1.1
    lat = np.vstack([0.3 * (mem + comp), 0.7 * (mem + comp)])
    share, note = memory_busy_share(configs, lat)
    assert share == pytest.approx(mem / (mem + comp), rel=1e-4)
    assert "ASSUMED" in note


def test_inputs_are_not_modified_and_names_are_validated():
    p, *_ = _tx2()
    busy = np.full(16, 0.3)
    before = busy.copy()
    dvfskit.governor(p, "default", busy={"mem_freq_mhz": busy})
    assert np.array_equal(busy, before)
    assert set(GOVERNORS) >= {"schedutil", "ondemand", "conservative", "simple_ondemand", "sysscale"}


@pytest.mark.parametrize("kwargs, message", [
    (dict(name="turbo"), "unknown governor 'turbo'"),
    (dict(name={"gpu_mhz": "ondemand"}), "unknown knob 'gpu_mhz'"),
    (dict(name="ondemand", up_treshold=90), "unknown tunable"),
    (dict(name="ondemand", up_threshold=80.5), "whole number"),
    (dict(name="ondemand", up_threshold=0), "up_threshold"),
    (dict(name="conservative", down_threshold=85), "down_threshold"),
    (dict(name="userspace"), "setspeed_mhz"),
    (dict(name="schedutil", frequency_invariant=1), "True or False"),
    (dict(name="ondemand", sampling_ms=400), "must not exceed period_ms"),
    (dict(name="ondemand", period_ms=-1), "period_ms"),
    (dict(name="default", busy={"mem_freq_mhz": 1.5}), "[0, 1]"),
    (dict(name="default", busy={"mem_freq_mhz": np.ones(5)}), "shape"),
    (dict(name="default", busy={"core": 0.5}), "unknown knob"),
    (dict(name="ondemand", switch_time_ms=-1), "switch_time_ms"),
    (dict(name=3), "governor name"),
])
def test_bad_input_names_the_parameter(kwargs, message):
    p, *_ = _tx2()
    name = kwargs.pop("name")
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        dvfskit.governor(p, name, **kwargs)


def test_bad_problem_types():
    with pytest.raises(TypeError, match="dvfskit.Problem"):
        dvfskit.governor({"a": 1}, "ondemand")


def test_model_problems_have_no_tables():
    d = dvfskit.Device("W / f + M / m", "p0 + k * f**2 + q * m", {"W": [1.0], "M": [1.0], "p0": [0.1], "k": [1e-7], "q": [1e-4]},
                       (100, 1000), (200, 3200))
    p = dvfskit.Problem.from_models(d, dvfskit.Channel(1e6, 1e-11, 4e-21, 0.5), dvfskit.Server([1.0, 0.0]),
                                    [1e3, 0], deadline_ms=10)
    with pytest.raises(ValueError, match="from_models"):
        dvfskit.governor(p, "ondemand")


def test_batch_equals_single_runs():
    from dvfskit._governor import governor_batch

    p, *_ = _tx2()
    periods = np.array([150.0, 230.0, 300.0, 800.0])
    idle = np.array([0.0, 1.0, 2.0, 0.5])
    batch = governor_batch(p, "default", periods, idle, threads=2)
    for i in range(periods.size):
        one = dvfskit.governor(p.with_scenario(deadline_ms=periods[i], idle_power_w=idle[i]), "default")
        assert batch["energy_j"][i] == pytest.approx(one.energy_j, rel=1e-12)
        assert batch["miss_rate"][i] == one.miss_rate
    assert batch["converged"].all()


def test_schedule_takes_governors_into_its_baselines():
    p, lat, pw, f, m = _tx2(deadline_ms=350.0, idle=1.0)
    tables = dvfskit.block_tables(lat[None], (lat * pw / 1000)[None], f, m)
    switch = {"compute_freq_mhz": 5.0, "mem_freq_mhz": 8.0}
    options = {"busy": {"mem_freq_mhz": 0.3}}
    plan = tables.schedule(350.0, switch_time_ms=switch, idle_power_w=1.0, governors=["default", "ondemand"],
                           governor_options=options)
    alone = dvfskit.schedule_baselines(tables.latency_ms, tables.energy_j, 350.0, switch_time_ms=switch,
                                       configs=tables.configs, idle_power_w=1.0, schedule_energy_j=plan.energy_j,
                                       governors=["default", "ondemand"], governor_options=options)
    pd.testing.assert_frame_equal(plan.baselines, alone)
    for g in ("default", "ondemand"):
        one = dvfskit.governor(p, g, busy={"mem_freq_mhz": 0.3}, switch_time_ms=switch)
        assert plan.baselines.loc[g, "energy_j"] == pytest.approx(one.energy_j, rel=1e-12)
    assert "default:" in repr(plan)
    back = dvfskit.Schedule.from_dict(json.loads(json.dumps(plan.to_dict())))
    pd.testing.assert_frame_equal(back.baselines, plan.baselines, check_dtype=False)
    # a wrong setting fails before the solve, naming the governor
    with pytest.raises(ValueError, match="unknown governor 'schedutl'"):
        tables.schedule(350.0, governors=["schedutl"])
    with pytest.raises(ValueError, match="unknown knob 'gpu_freq_mhz'"):
        tables.schedule(350.0, governors=[{"gpu_freq_mhz": "schedutil"}])


def test_schedule_baselines_governor_rows_equal_governor_on_the_same_problem():
    p, lat, pw, f, m = _tx2(deadline_ms=350.0, idle=1.0)
    tables = dvfskit.block_tables(lat[None], (lat * pw / 1000)[None], f, m)
    switch = {"compute_freq_mhz": 5.0, "mem_freq_mhz": 8.0}
    plan = tables.schedule(350.0, switch_time_ms=switch, idle_power_w=1.0)
    rows = dvfskit.schedule_baselines(tables.latency_ms, tables.energy_j, 350.0, switch_time_ms=switch,
                                      configs=tables.configs, idle_power_w=1.0, schedule_energy_j=plan.energy_j,
                                      governors=["default", "performance"],
                                      governor_options={"busy": {"mem_freq_mhz": 0.3}})
    assert {"uniform", "race_to_idle", "max_frequency", "default", "performance"} <= set(rows.index)
    for g in ("default", "performance"):
        one = dvfskit.governor(p, g, busy={"mem_freq_mhz": 0.3}, switch_time_ms=switch)
        assert rows.loc[g, "energy_j"] == pytest.approx(one.energy_j, rel=1e-12)
        assert rows.loc[g, "miss_rate"] == one.miss_rate
        if rows.loc[g, "feasible"]:
            assert rows.loc[g, "saving_j"] >= -1e-12  # the proven-optimal schedule is never above it
    # performance is race-to-idle at the maximum frequencies: the same row
    for c in ("config", "energy_j", "latency_ms"):
        assert rows.loc["performance", c] == pytest.approx(rows.loc["max_frequency", c])
    with pytest.raises(ValueError, match="matrix"):
        dvfskit.schedule_baselines(tables.latency_ms, tables.energy_j, 350.0,
                                   switch_time_ms=np.zeros((16, 16)), configs=tables.configs, governors=["default"])
    # a cost per change of configuration ("any") is paid once per change, whatever changed
    from dvfskit._governor import governor_on_tables

    r = governor_on_tables(p.config_latency_ms, p.config_power_w, p.configs, "default", period_ms=350.0,
                           idle_power_w=1.0, busy={"mem_freq_mhz": 0.3}, switch_any=(5.0, 0.02))
    changed = r.inferences[r.inferences["switches"] > 0]
    assert len(changed) > 0
    blocks = p.config_latency_ms.sum(axis=0)[changed["config"].to_numpy()]
    assert changed["latency_ms"].to_numpy() == pytest.approx(blocks + 5.0)


def test_baselines_and_sweep_carry_governor_rows():
    p, *_ = _tx2(deadline_ms=300.0, idle=1.0)
    rows = dvfskit.baselines(p, governors=["default", "performance"])
    opt = rows.loc["optimal"]
    perf = rows.loc["performance"]
    assert perf["energy_j"] == pytest.approx(rows.loc["max_frequency", "energy_j"] + 1.0 * (300 - perf["latency_ms"]) / 1000)
    periodic_opt = opt["energy_j"] + 1.0 * (300 - opt["latency_ms"]) / 1000
    assert perf["saving_pct"] == pytest.approx(100 * (perf["energy_j"] - periodic_opt) / perf["energy_j"])
    assert perf["split"] == p.num_blocks and perf["miss_rate"] == 0
    assert rows.loc["default", "energy_j"] == pytest.approx(dvfskit.governor(p, "default").energy_j)
    df = dvfskit.sweep(p, grid={"deadline_ms": [230.0, 300.0, 600.0], "idle_power_w": [0.0, 2.0]},
                       baselines=["max_frequency", "default"])
    for _, row in df.iterrows():
        q = p.with_scenario(deadline_ms=row["deadline_ms"], idle_power_w=row["idle_power_w"])
        one = dvfskit.governor(q, "default")
        assert row["default_energy_j"] == pytest.approx(one.energy_j, rel=1e-12)
        assert row["default_miss_rate"] == one.miss_rate
        if one.miss_rate == 0 and row["feasible"]:
            e_opt = row["energy_j"] + row["idle_power_w"] * (row["deadline_ms"] - row["latency_ms"]) / 1000
            assert row["saving_vs_default_pct"] == pytest.approx(100 * (one.energy_j - e_opt) / one.energy_j)
    with pytest.raises(ValueError, match="unknown baselines"):
        dvfskit.sweep(p, grid={"deadline_ms": [300.0]}, baselines=["turbo"])



def test_sweep_governor_options_and_resume_fingerprint(tmp_path):
    p, *_ = _tx2(deadline_ms=300.0, idle=1.0)
    options = {"busy": {"mem_freq_mhz": 0.25}, "up_threshold": 60}
    grid = {"deadline_ms": [230.0, 300.0, 600.0]}
    df = dvfskit.sweep(p, grid=grid, baselines=["ondemand"], governor_options=options, progress=False)
    for _, row in df.iterrows():
        one = dvfskit.governor(p.with_scenario(deadline_ms=row["deadline_ms"]), "ondemand", **options)
        assert row["ondemand_energy_j"] == pytest.approx(one.energy_j, rel=1e-12)
    plain = dvfskit.sweep(p, grid=grid, baselines=["ondemand"], progress=False)
    assert not np.allclose(plain["ondemand_energy_j"], df["ondemand_energy_j"])  # the options took effect
    # settings and options are checked before any work
    with pytest.raises(ValueError, match="unknown tunable"):
        dvfskit.sweep(p, grid=grid, baselines=["ondemand"], governor_options={"upthreshold": 60}, progress=False)
    with pytest.raises(ValueError, match="names no governor"):
        dvfskit.sweep(p, grid=grid, baselines=["max_frequency"], governor_options=options, progress=False)
    # a folder written with one governor setting does not resume another
    out = tmp_path / "s.parquet"
    dvfskit.sweep(p, grid=grid, baselines=["ondemand"], progress=False, out=out)
    for other in ({"baselines": ["default"]}, {"baselines": ["ondemand"], "governor_options": options}):
        with pytest.raises(ValueError, match="different sweep"):
            dvfskit.sweep(p, grid=grid, progress=False, out=out, resume=True, **other)


LONG_SIMULATION = """
import numpy as np
import dvfskit
from dvfskit import _core

# A time-stepped run of minutes: 1 ms sampling over a 200 s period, 20 blocks x 1,848 configurations.
configs = dvfskit.ConfigSet.grid({"cpu_freq_mhz": np.linspace(300, 2000, 12), "compute_freq_mhz":
                                  np.linspace(100, 1300, 14), "mem_freq_mhz": np.linspace(40, 1866, 11)})
K = len(configs)
lat = np.random.default_rng(0).uniform(1.0, 5.0, (20, K))
sim = _core.GovernorSimulator(configs._core, lat, lat * 0 + 2.0, [None, None, None], [], [],
                              [(4, {}), (6, {}), (5, {})])
work = lambda: sim.run(2e5, 1e-3, 0.5)
"""


def test_ctrl_c_interrupts_a_long_simulation():
    delay, where = interrupt_child(LONG_SIMULATION)
    assert "sim.run(" in where, where  # raised by the C++ call
    assert delay < 10.0, delay


def test_sparse_configuration_set_with_a_label_knob():
    rng = np.random.default_rng(0)
    rows = [(c, g, m, mask) for c in (800., 1600., 2000.) for g in (300., 900., 1300.) for m in (800., 1600.)
            for mask in ("1100", "1111")]
    keep = sorted(set([r for r in rows if rng.random() < 0.6] + [(2000., 1300., 1600., "1111")]))
    cs = dvfskit.ConfigSet(pd.DataFrame(keep, columns=["cpu_freq_mhz", "compute_freq_mhz", "mem_freq_mhz", "core_mask"]))
    t = cs.table
    lat = (4 / (t["cpu_freq_mhz"] / 1000) + 60 / (t["compute_freq_mhz"] / 1000) + 20 / (t["mem_freq_mhz"] / 1000))
    lat = (lat * np.where(t["core_mask"] == "1111", 1.0, 1.2)).to_numpy()
    L = 3
    p = dvfskit.Problem.from_config_tables(
        cs, np.tile(lat / L, (L, 1)), np.tile(1 + t["compute_freq_mhz"].to_numpy() / 500, (L, 1)), np.zeros(L + 1),
        np.r_[np.full(L, 1e12), 0.0], bandwidth_hz=1e6, gain=1e-11, noise_w_per_hz=4e-21, p_max_w=0.5,
        deadline_ms=float(lat.min() * 1.6), idle_power_w=0.5)
    r = dvfskit.governor(p, "default")
    assert set(r.governors) == {"cpu_freq_mhz", "compute_freq_mhz", "mem_freq_mhz"}
    assert all(c["core_mask"] == "1111" for c in r.cycle_configs)  # no governor: the last label
    assert "compute_freq_mhz" in r.assumptions["busy mem_freq_mhz"]
    # every configuration visited is a measured one, and the trace's knob columns are its labels
    assert set(r.trace["config"]) <= set(range(len(cs)))
    labels = cs.table.iloc[r.trace["config"].to_numpy()].reset_index(drop=True)
    assert r.trace[list(cs.knobs)].reset_index(drop=True).equals(labels)
    rows_df = dvfskit.baselines(p, governors=["default"])
    assert rows_df.loc["default", "core_mask"] == "1111" and rows_df.loc["default", "miss_rate"] == r.miss_rate
