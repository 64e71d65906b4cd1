"""dvfskit.Problem / solve / Solution / baselines: API, validation, hand-checked cases."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import dvfskit


def tables(L=4, nf=3, nm=2, seed=0):
    rng = np.random.default_rng(seed)
    f = np.array([300.0, 600.0, 900.0][:nf])
    m = np.array([800.0, 1600.0][:nm])
    lat = rng.uniform(0.5, 1.5, (L, 1, 1)) * (600.0 / f[None, :, None] + 400.0 / m[None, None, :])
    pw = 0.5 + 1e-3 * f[None, :, None] + 2e-4 * m[None, None, :] + 0 * lat
    return dict(
        block_latency_ms=lat,
        block_power_w=pw,
        compute_freqs_mhz=f,
        mem_freqs_mhz=m,
        out_bits=np.linspace(4e5, 1e5, L + 1),
        server_latency_ms=np.r_[np.linspace(4.0, 1.0, L), 0.0],
        bandwidth_hz=1e6,
        gain=1e-7,
        noise_w_per_hz=1e-17,
        p_max_w=1.0,
        deadline_ms=30.0,
    )


def test_solution_fields_and_breakdowns_add_up():
    s = dvfskit.solve(dvfskit.Problem.from_tables(**tables(), p_circuit_w=0.1, idle_power_w=0.05))
    assert s.feasible and s.reason is None
    assert s.energy_j == pytest.approx(sum(s.energy_breakdown.values()), rel=1e-14)
    assert s.latency_ms == pytest.approx(sum(s.latency_breakdown.values()), rel=1e-14)
    assert 0 <= s.split <= 4 and s.latency_ms <= 30.0
    assert s.objective == "energy" and s.objective_value == s.energy_j
    d = s.to_dict()
    json.dumps(d)
    assert d["energy_j"] == s.energy_j and d["split"] == s.split
    assert "Solution(" in repr(s) and "<table>" in s._repr_html_()


def test_all_local_when_nothing_can_be_sent_cheaply():
    t = tables()
    t["out_bits"] = np.full(5, 1e12)
    s = dvfskit.solve(dvfskit.Problem.from_tables(**t))
    assert s.split == 4 and s.tx_power_w == 0 and s.offload_fraction == 0
    # all local: the cheapest (f, m) meeting the deadline, by hand
    e = (t["block_latency_ms"] * t["block_power_w"]).sum(axis=0) * 1e-3
    lat = t["block_latency_ms"].sum(axis=0)
    assert s.energy_j == pytest.approx(e[lat <= 30.0].min(), rel=1e-14)


def test_full_offload_closed_form_power():
    t = tables()
    t["block_power_w"] = t["block_power_w"] * 1e4  # local compute far too expensive
    t["out_bits"] = np.full(5, 4e4)
    s = dvfskit.solve(dvfskit.Problem.from_tables(**t))
    assert s.split == 0 and math.isnan(s.compute_freq_mhz) and s.offload_fraction == 1
    tau = (30.0 - 4.0) * 1e-3  # no circuit power: spend the whole slack transmitting
    p = (2 ** (4e4 / (1e6 * tau)) - 1) * 1e-17 * 1e6 / 1e-7
    assert s.tx_power_w == pytest.approx(p, rel=1e-12)
    assert s.latency_ms == pytest.approx(30.0, rel=1e-12)


def test_circuit_power_interior_optimum_is_stationary():
    t = tables()
    t["block_power_w"] = t["block_power_w"] * 1e4
    t["deadline_ms"] = 1e4
    s = dvfskit.solve(dvfskit.Problem.from_tables(**t, p_circuit_w=0.2))
    a, pc = 1e-7 / (1e-17 * 1e6), 0.2
    x = a * s.tx_power_w  # stationarity of (p + pc) / log(1 + a p): (1+x) ln(1+x) - x = a pc
    assert (1 + x) * math.log1p(x) - x == pytest.approx(a * pc, rel=1e-10)
    assert s.latency_ms < 1e4


def test_infeasible_returns_reason_and_min_latency():
    p = dvfskit.Problem.from_tables(**{**tables(), "deadline_ms": 0.01})
    s = dvfskit.solve(p)
    assert not s.feasible and "deadline" in s.reason
    fastest = dvfskit.solve(p.with_scenario(deadline_ms=1e6), "latency")
    assert s.min_latency_ms == pytest.approx(fastest.latency_ms, rel=1e-12)
    assert s.latency_ms == pytest.approx(s.min_latency_ms, rel=1e-12)
    assert "INFEASIBLE" in repr(s)
    assert dvfskit.solve(p.with_scenario(deadline_ms=s.min_latency_ms)).feasible


def test_objectives():
    p = dvfskit.Problem.from_tables(**tables())
    e, lat = dvfskit.solve(p), dvfskit.solve(p, "latency")
    w0 = dvfskit.solve(p, ("weighted", 0.0))
    assert w0.energy_j == pytest.approx(e.energy_j, rel=1e-12)
    assert lat.latency_ms <= e.latency_ms and lat.energy_j >= e.energy_j
    big = dvfskit.solve(p, objective="weighted", weight=1e6)
    assert big.latency_ms == pytest.approx(lat.latency_ms, rel=1e-6)
    edp = dvfskit.solve(p, "edp")
    assert edp.objective_value == pytest.approx(edp.energy_j * edp.latency_ms * 1e-3)
    assert edp.objective_value <= e.energy_j * e.latency_ms * 1e-3 * (1 + 1e-12)
    assert dvfskit.solve(p, "energy_delay").objective_value == edp.objective_value
    for bad in ["power", ("weighted",), ("edp", 1.0), 3]:
        with pytest.raises(ValueError, match="objective"):
            dvfskit.solve(p, bad)
    with pytest.raises(ValueError, match="weight"):
        dvfskit.solve(p, "weighted")
    with pytest.raises(ValueError, match="weight"):
        dvfskit.solve(p, ("weighted", -1.0))


def test_with_scenario_shares_tables_and_validates():
    p = dvfskit.Problem.from_tables(**tables())
    q = p.with_scenario(deadline_ms=100.0, bandwidth_hz=2e6)
    assert q._tables is p._tables and q.deadline_ms == 100.0 and p.deadline_ms == 30.0
    assert q.bandwidth_hz == 2e6 and "Problem(L=4" in repr(q)
    with pytest.raises(ValueError, match="deadline_ms"):
        p.with_scenario(deadline_ms=0.0)
    with pytest.raises(ValueError, match="unknown"):
        p.with_scenario(deadline=1.0)


@pytest.mark.parametrize(
    "change, name",
    [
        (dict(block_power_w=np.ones((4, 3, 1))), "block_power_w"),
        (dict(block_latency_ms=np.ones((4, 3))), "block_latency_ms"),
        (dict(compute_freqs_mhz=[1.0, 2.0]), "compute_freqs_mhz"),
        (dict(compute_freqs_mhz=[0.0, 2.0, 3.0]), "compute_freqs_mhz"),
        (dict(mem_freqs_mhz=[-1.0, 2.0]), "mem_freqs_mhz"),
        (dict(out_bits=np.ones(4)), "out_bits"),
        (dict(server_latency_ms=np.ones(5)), "server_latency_ms"),
        (dict(bandwidth_hz=-1.0), "bandwidth_hz"),
        (dict(gain=math.nan), "gain"),
        (dict(noise_w_per_hz=0.0), "noise_w_per_hz"),
        (dict(p_max_w=0.0), "p_max_w"),
        (dict(deadline_ms=0.0), "deadline_ms"),
        (dict(deadline_ms=-5.0), "deadline_ms"),
        (dict(p_circuit_w=-0.1), "p_circuit_w"),
        (dict(idle_power_w=math.inf), "idle_power_w"),
    ],
)
def test_bad_input_raises_value_error_naming_argument(change, name):
    with pytest.raises(ValueError, match=name):
        dvfskit.Problem.from_tables(**{**tables(), **change})


def test_nan_in_tables_raises_and_inputs_are_not_modified():
    t = tables()
    lat = t["block_latency_ms"].copy()
    lat[1, 1, 1] = np.nan
    with pytest.raises(ValueError, match="block_latency_ms"):
        dvfskit.Problem.from_tables(**{**t, "block_latency_ms": lat})
    t = tables()
    before = {k: np.array(v, copy=True) for k, v in t.items()}
    p = dvfskit.Problem.from_tables(**t)
    dvfskit.solve(p)
    dvfskit.baselines(p)
    for k, v in t.items():
        np.testing.assert_array_equal(np.asarray(v), before[k])
    t["block_latency_ms"][:] = 1e9  # the problem holds its own copy
    assert dvfskit.solve(p).feasible


def test_baselines():
    p = dvfskit.Problem.from_tables(**tables(), p_circuit_w=0.05, idle_power_w=0.02)
    df = dvfskit.baselines(p)
    assert isinstance(df, pd.DataFrame)
    assert list(df.index) == ["optimal", "max_frequency", "only_compute_freq_mhz", "only_mem_freq_mhz",
                              "compute_dvfs_only", "cpu_dvfs_model", "all_local", "full_offload", "fixed_max_power"]
    # the alias is the same plan as the knob's own baseline
    assert df.loc["compute_dvfs_only", "energy_j"] == df.loc["only_compute_freq_mhz", "energy_j"]
    for col in ["energy_j", "latency_ms", "feasible", "saving_pct", "split", "compute_freq_mhz", "mem_freq_mhz", "tx_power_w", "description"]:
        assert col in df.columns
    opt = df.loc["optimal"]
    assert opt.saving_pct == 0 and opt.energy_j == dvfskit.solve(p).energy_j
    feas = df[df.feasible]
    assert (feas.energy_j >= opt.energy_j * (1 - 1e-12)).all() and (feas.saving_pct >= -1e-9).all()
    assert df.loc["max_frequency", "compute_freq_mhz"] in (900.0,) or df.loc["max_frequency", "split"] == 0
    assert df.loc["all_local", "split"] == 4 and df.loc["full_offload", "split"] == 0
    assert df.loc["fixed_max_power", "tx_power_w"] in (0.0, 1.0)
    assert df.loc["compute_dvfs_only", "mem_freq_mhz"] in (1600.0,) or df.loc["compute_dvfs_only", "split"] == 0


def test_cpu_dvfs_model_plan_can_miss_the_deadline():
    # Latency with a large frequency-independent part: t = W/f (through the origin) predicts
    # 3.8 ms per block at 400 MHz where 5.5 ms are measured, so the model's plan (400 MHz, cheaper)
    # misses a deadline that only 800 MHz meets.
    f = np.array([200.0, 400.0, 800.0])
    m = np.array([1000.0])
    lat = np.tile((5.0 + 200.0 / f)[None, :, None], (3, 1, 1))  # big constant part
    pw = np.tile((0.2 + 3e-6 * f**2)[None, :, None], (3, 1, 1))
    p = dvfskit.Problem.from_tables(lat, pw, f, m, [1e9] * 4, [3.0, 2.0, 1.0, 0.0], bandwidth_hz=1e6, gain=1e-7,
                                    noise_w_per_hz=1e-17, p_max_w=1.0, deadline_ms=16.0)
    df = dvfskit.baselines(p)
    assert df.loc["optimal", "feasible"]
    assert not df.loc["cpu_dvfs_model", "feasible"]
    assert df.loc["cpu_dvfs_model", "compute_freq_mhz"] == 400.0 and df.loc["optimal", "compute_freq_mhz"] == 800.0
    assert df.loc["cpu_dvfs_model", "latency_ms"] == pytest.approx(16.5)


def _same_dicts(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert a[k] == b[k], k


@pytest.mark.parametrize("case", ["feasible", "infeasible", "full_offload", "model", "labels"])
def test_solution_pickles_and_round_trips_to_dict(case):
    """Issue 15.10: every result type pickles and round-trips to_dict / from_dict."""
    import pickle

    t = tables()
    if case == "model":
        dev = dvfskit.Device("W / f + M / m", "p0 + k * f**2", {"W": [200.0, 100.0], "M": [300.0, 200.0],
                             "p0": [0.5, 0.4], "k": [2e-6, 1e-6]}, (200.0, 1000.0), (400.0, 1600.0))
        problem = dvfskit.Problem.from_models(dev, dvfskit.Channel(1e6, 1e-7, 1e-17, 1.0, 0.1),
                                              dvfskit.Server([2.0, 1.0, 0.0]), [3e5, 2e5, 0.0], 3.0, starts=4)
    elif case == "labels":
        configs = pd.DataFrame({"cpu_freq_mhz": [345.6, 2035.2, 2035.2], "core_mask": ["1111", "1111", "1100"]})
        problem = dvfskit.Problem.from_config_tables(configs, [[3.0, 1.0, 1.5], [2.0, 0.8, 1.0]],
                                                     [[1.0, 3.0, 2.0], [1.0, 3.0, 2.0]], [1e9, 1e9, 0.0],
                                                     [2.0, 1.0, 0.0], bandwidth_hz=1e6, gain=1e-7,
                                                     noise_w_per_hz=1e-17, p_max_w=1.0, deadline_ms=4.0)
    else:
        if case == "full_offload":
            t["block_power_w"] = t["block_power_w"] * 1e4
            t["out_bits"] = np.full(5, 4e4)
        if case == "infeasible":
            t["deadline_ms"] = 0.01
        problem = dvfskit.Problem.from_tables(**t, p_circuit_w=0.1)
    sol = dvfskit.solve(problem, "edp" if case == "labels" else "energy")
    d = sol.to_dict()
    json.dumps(d)
    again = dvfskit.Solution.from_dict(json.loads(json.dumps(d)))
    _same_dicts(again.to_dict(), d)
    assert repr(again) == repr(sol)
    unpickled = pickle.loads(pickle.dumps(sol))
    _same_dicts(unpickled.to_dict(), d)
    assert repr(unpickled) == repr(sol) and unpickled.config == sol.config
    if case == "full_offload":
        assert sol.config is None and d["config"] is None and sol.config_index is None
    if case == "labels":
        assert list(sol.config) == ["cpu_freq_mhz", "core_mask"]
        assert sol.config == problem.configs.label(sol.config_index)
        assert "core_mask=" in repr(sol) and "cpu_freq_mhz=" in repr(sol)
        assert math.isnan(sol.compute_freq_mhz) and d["compute_freq_mhz"] is None  # no such knob
    if case == "model":
        assert set(sol.config) == {"compute_freq_mhz", "mem_freq_mhz"} and sol.config_index is None
    if case == "infeasible":
        assert not again.feasible and again.reason == sol.reason


def test_predicted_tables_say_so_in_results():
    rng = np.random.default_rng(1)
    f = np.repeat([300.0, 600.0, 900.0], 2)
    m = np.tile([800.0, 1600.0], 3)
    df = pd.DataFrame({"block": np.repeat([0, 1], 6), "compute_freq_mhz": np.tile(f, 2), "mem_freq_mhz": np.tile(m, 2)})
    df["latency_ms"] = (np.where(df.block == 0, 30.0, 12.0) * (df.compute_freq_mhz / 1000) ** -1.0 + 2.0
                        + 3.0 * (df.mem_freq_mhz / 1000) ** -0.7) * rng.normal(1, 1e-3, len(df))
    df["power_w"] = 1.0 + 2.0 * (df.compute_freq_mhz / 1000) ** 2.5 + 0.3 * (df.mem_freq_mhz / 1000)
    lat = dvfskit.fit("joint_mem_comp", df, "latency_ms", by="block", max_iterations=5000)
    pw = dvfskit.fit("cmos", df, "power_w", max_iterations=5000)
    configs = dvfskit.ConfigSet.grid({"compute_freq_mhz": [300.0, 450.0, 600.0, 900.0], "mem_freq_mhz": [800.0, 1600.0]})
    p = dvfskit.Problem.from_fits(lat, pw, configs, out_bits=[2e5, 1e5, 0.0], server_latency_ms=[3.0, 1.0, 0.0],
                                  bandwidth_hz=1e6, gain=1e-7, noise_w_per_hz=1e-17, p_max_w=1.0, deadline_ms=200.0)
    assert p.tables_kind == "predicted" and p.block_names == [0, 1]
    # the tables are the fitted models at every configuration (450 MHz was never measured)
    table = configs.table
    np.testing.assert_allclose(p.config_latency_ms[1], lat[1].predict(table), rtol=1e-14)
    np.testing.assert_allclose(p.config_power_w[0], pw.predict(table), rtol=1e-14)
    sol = dvfskit.solve(p)
    assert sol.tables_kind == "predicted" and "predicted" in repr(sol)
    assert dvfskit.baselines(p).attrs["tables_kind"] == "predicted"
    assert dvfskit.sweep(p, {"deadline_ms": [100.0, 200.0]}, progress=False).attrs["tables_kind"] == "predicted"
    assert "predicted tables" in repr(p)
    # a model predicting a negative latency somewhere is refused, naming model, block and configuration
    low = dvfskit.ConfigSet.grid({"compute_freq_mhz": [300.0, 1e5], "mem_freq_mhz": [800.0]})
    bad = dvfskit.fit(dvfskit.Model("a - b * compute_freq_mhz", ["compute_freq_mhz"]), df[df.block == 0],
                      "latency_ms")
    with pytest.raises(ValueError, match=r"latency model .* of block 'network' predicts .* at configuration 1"):
        dvfskit.Problem.from_fits(bad, pw, low, out_bits=[2e5, 0.0], server_latency_ms=[3.0, 0.0], bandwidth_hz=1e6,
                                  gain=1e-7, noise_w_per_hz=1e-17, p_max_w=1.0, deadline_ms=200.0)
    with pytest.raises(ValueError, match="reads 'mem_freq_mhz', which is not a knob"):
        dvfskit.Problem.from_fits(lat, pw, dvfskit.ConfigSet({"compute_freq_mhz": [300.0]}), out_bits=[2e5, 1e5, 0.0],
                                  server_latency_ms=[3.0, 1.0, 0.0], bandwidth_hz=1e6, gain=1e-7,
                                  noise_w_per_hz=1e-17, p_max_w=1.0, deadline_ms=200.0)
