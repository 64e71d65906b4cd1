"""Property-based tests (hypothesis): fits recover the parameters of every built-in model from
noiseless data, the offloading optimum beats every feasible baseline, a per-block schedule beats
the best uniform setting, unit conversions round-trip, and results survive pickle/JSON."""
from __future__ import annotations

import json
import math
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import dvfskit
from dvfskit import models

PROPS = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)

F_MHZ = np.linspace(300.0, 1500.0, 9)
M_MHZ = np.linspace(400.0, 1900.0, 5)


def _grid(model: dvfskit.Model) -> pd.DataFrame:
    if "mem_freq_mhz" in model.inputs:
        f, m = np.meshgrid(F_MHZ, M_MHZ, indexing="ij")
        return pd.DataFrame({"compute_freq_mhz": f.ravel(), "mem_freq_mhz": m.ravel()})
    return pd.DataFrame({"compute_freq_mhz": F_MHZ})


def pos(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Log-uniform in [lo, hi]: physically sensible magnitudes."""
    return st.floats(math.log(lo), math.log(hi)).map(math.exp)


# Physically sensible, identifiable parameter ranges (ms, W, GHz-based units as in models.py).
TRUE_PARAMS = {
    "cpu_dvfs": {"W": pos(1.0, 1000.0)},
    "cpu_dvfs_offset": {"W": pos(1.0, 1000.0), "t0": pos(0.5, 50.0)},
    "gpu_dvfs": {"a": pos(5.0, 500.0), "b": st.floats(0.5, 2.5), "c": pos(0.5, 20.0)},
    "joint_mem_comp": {"l": pos(5.0, 200.0), "beta": st.floats(0.5, 2.0), "u": pos(5.0, 200.0),
                       "gamma": st.floats(0.5, 2.0), "c": pos(0.5, 10.0)},
    "joint_mem_comp_nc": {"l": pos(5.0, 200.0), "beta": st.floats(0.5, 2.0), "u": pos(5.0, 200.0),
                          "gamma": st.floats(0.5, 2.0)},
    "roofline_smooth": {"W": pos(5.0, 100.0), "Q": pos(5.0, 100.0), "k": st.floats(1.5, 4.0), "c": pos(0.5, 10.0)},
    "cmos": {"Ps": pos(0.5, 20.0), "kf": pos(0.5, 20.0), "alpha": st.floats(1.5, 3.5), "km": pos(0.5, 10.0),
             "delta": st.floats(1.0, 3.0)},
    "cmos_compute": {"Ps": pos(0.5, 20.0), "kf": pos(0.5, 20.0), "alpha": st.floats(1.5, 3.5)},
    "cubic": {"Ps": pos(0.5, 20.0), "kappa": pos(0.1, 20.0)},
}


def test_every_builtin_model_is_covered() -> None:
    assert set(TRUE_PARAMS) == set(models.available())


@pytest.mark.parametrize("name", sorted(TRUE_PARAMS))
def test_fit_recovers_parameters_from_noiseless_data(name: str) -> None:
    model = models.get(name)

    @PROPS
    @given(st.fixed_dictionaries(TRUE_PARAMS[name]))
    def check(true: dict) -> None:
        data = _grid(model)
        y = model.evaluate(data, true)
        res = dvfskit.fit(model, data, y, max_iterations=5000)
        np.testing.assert_allclose(res.prediction, y, rtol=1e-6, atol=1e-9 * float(np.max(np.abs(y))))
        for p, v in true.items():
            assert res.params[p] == pytest.approx(v, rel=1e-3, abs=1e-6), (p, res.params, true)

    check()


# ---------------------------------------------------------------------------------------------
# Offloading solver vs baselines on small random tables

@st.composite
def table_problems(draw):  # type: ignore[no-untyped-def]
    L = draw(st.integers(1, 4))
    nf = draw(st.integers(1, 3))
    nm = draw(st.integers(1, 2))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    fq = np.sort(rng.uniform(200, 1500, nf))
    mq = np.sort(rng.uniform(400, 1900, nm))
    # latency falls and power rises with frequency, with random per-block work
    work = rng.uniform(1, 30, L)
    lat = work[:, None, None] * (1000 / fq)[None, :, None] * (0.7 + 0.3 * 1000 / mq)[None, None, :]
    pw = rng.uniform(0.5, 3, L)[:, None, None] + 2e-9 * fq[None, :, None] ** 3 + 1e-3 * mq[None, None, :]
    out_bits = rng.uniform(1e4, 1e7, L + 1)
    server = np.append(np.sort(rng.uniform(0.1, 10, L))[::-1], 0.0)
    deadline = draw(st.floats(1.0, 400.0))
    return dvfskit.Problem.from_tables(
        lat, pw, fq, mq, out_bits, server,
        bandwidth_hz=draw(pos(1e5, 1e8)), gain=draw(pos(1e-9, 1e-5)), noise_w_per_hz=1e-17,
        p_max_w=draw(st.floats(0.1, 2.0)), deadline_ms=deadline,
        p_circuit_w=draw(st.floats(0.0, 0.5)), idle_power_w=draw(st.floats(0.0, 0.5)),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(table_problems())
def test_optimum_beats_every_feasible_baseline(problem) -> None:  # type: ignore[no-untyped-def]
    sol = dvfskit.solve(problem)
    base = dvfskit.baselines(problem)
    feasible = base[base["feasible"]]
    assert sol.feasible == (len(feasible) > 0)
    if sol.feasible:
        assert sol.latency_ms <= problem.deadline_ms * (1 + 1e-9)
        assert np.isfinite(sol.energy_j)
        for plan, row in feasible.iterrows():
            assert sol.energy_j <= row["energy_j"] * (1 + 1e-9) + 1e-12, plan
    else:
        assert sol.min_latency_ms > problem.deadline_ms


# ---------------------------------------------------------------------------------------------
# Schedule vs uniform DVFS

@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(n=st.integers(1, 6), k=st.integers(1, 5), seed=st.integers(0, 2**32 - 1), slack=st.floats(0.9, 2.0),
       switch_t=st.sampled_from([0.0, 0.1, 1.0]), switch_e=st.sampled_from([0.0, 0.001, 0.05]))
def test_schedule_beats_best_uniform_setting(n, k, seed, slack, switch_t, switch_e) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    t = rng.uniform(0.5, 20, (n, k))
    e = rng.uniform(0.01, 2, (n, k))
    deadline = slack * float(t.min(axis=1).sum()) + (n - 1) * switch_t
    assume(deadline > 0)
    s = dvfskit.schedule(t, e, deadline, switch_t, switch_e)
    base = dvfskit.schedule_baselines(t, e, deadline, switch_t, switch_e)
    uniform = base.loc["uniform"] if "uniform" in base.index else base[base["config"].notna()].iloc[0]
    if bool(uniform["feasible"]):
        assert s.feasible
        assert s.energy_j <= float(uniform["energy_j"]) * (1 + 1e-9) + 1e-12
    if s.feasible:
        assert s.latency_ms <= deadline * (1 + 1e-9)
        assert s.lower_bound_j <= s.energy_j + 1e-12


# ---------------------------------------------------------------------------------------------
# Units in read_measurements

FREQ = {"Hz": 1e-6, "kHz": 1e-3, "MHz": 1.0, "GHz": 1e3}
TIME = {"s": 1e3, "ms": 1.0, "us": 1e-3}
POWER = {"W": 1.0, "mW": 1e-3}
ENERGY = {"J": 1.0, "mJ": 1e-3}


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(fu=st.sampled_from(sorted(FREQ)), tu=st.sampled_from(sorted(TIME)), pu=st.sampled_from(sorted(POWER)),
       eu=st.sampled_from(sorted(ENERGY)), energy=st.booleans(), csv=st.booleans(),
       f=st.lists(pos(100.0, 2000.0), min_size=1, max_size=5, unique=True),
       t=pos(0.01, 1000.0), p=pos(0.01, 100.0))
def test_unit_conversions_round_trip(tmp_path_factory, fu, tu, pu, eu, energy, csv, f, t, p) -> None:  # type: ignore[no-untyped-def]
    f_mhz = np.array(f)
    t_ms = np.full(f_mhz.size, t) * np.linspace(1, 2, f_mhz.size)
    p_w = np.full(f_mhz.size, p)
    e_j = p_w * t_ms / 1000
    src = pd.DataFrame({"f": f_mhz / FREQ[fu], "t": t_ms / TIME[tu]})
    if energy:
        src["x"] = e_j / ENERGY[eu]
        mapping, units = {"energy_j": "x"}, {"energy_j": eu}
    else:
        src["x"] = p_w / POWER[pu]
        mapping, units = {"power_w": "x"}, {"power_w": pu}
    kwargs = dict(columns={"compute_freq_mhz": "f", "latency_ms": "t", **mapping},
                  units={"compute_freq_mhz": fu, "latency_ms": tu, **units})
    if csv:
        path = tmp_path_factory.mktemp("u") / "m.csv"
        src.to_csv(path, index=False, float_format="%.17g")
        df = dvfskit.read_measurements(path, **kwargs)
    else:
        before = src.copy()
        df = dvfskit.read_measurements(src, **kwargs)
        pd.testing.assert_frame_equal(src, before)
    np.testing.assert_allclose(df["compute_freq_mhz"], f_mhz, rtol=1e-12)
    np.testing.assert_allclose(df["latency_ms"], t_ms, rtol=1e-12)
    np.testing.assert_allclose(df["power_w"], p_w, rtol=1e-12)
    np.testing.assert_allclose(df["energy_j"], e_j, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# Serialisation round-trips

def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    assert json.dumps(a, sort_keys=True, allow_nan=False) == json.dumps(b, sort_keys=True, allow_nan=False)


@PROPS
@given(name=st.sampled_from(["gpu_dvfs", "cpu_dvfs_offset", "cubic"]), seed=st.integers(0, 2**32 - 1))
def test_fit_result_and_table_round_trips(name, seed) -> None:  # type: ignore[no-untyped-def]
    model = models.get(name)
    rng = np.random.default_rng(seed)
    data = pd.concat([_grid(model).assign(dev=d) for d in ("a", "b")], ignore_index=True)
    y = model.evaluate(data, rng.uniform(0.5, 3.0, len(model.parameters))) * rng.uniform(0.95, 1.05, len(data))
    res = dvfskit.fit(model, data, y)
    d = res.to_dict()
    text = json.dumps(d, allow_nan=False)  # JSON-safe
    back = dvfskit.FitResult.from_dict(json.loads(text))
    _same(back.to_dict(), d)
    _same(pickle.loads(pickle.dumps(res)).to_dict(), d)
    np.testing.assert_array_equal(back.predict(data), res.predict(data))

    table = dvfskit.fit(model, data, y, by="dev")
    td = table.to_dict()
    tback = dvfskit.FitTable.from_dict(json.loads(json.dumps(td, allow_nan=False)))
    _same(tback.to_dict(), td)
    _same(pickle.loads(pickle.dumps(table)).to_dict(), td)
    for key in table:
        _same(tback[key].to_dict(), table[key].to_dict())


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(problem=table_problems(), seed=st.integers(0, 2**32 - 1))
def test_solution_and_schedule_round_trips(problem, seed) -> None:  # type: ignore[no-untyped-def]
    sol = dvfskit.solve(problem)
    d = sol.to_dict()
    _same(json.loads(json.dumps(d, allow_nan=False)), d)
    _same(pickle.loads(pickle.dumps(d)), d)  # (a Solution object itself wraps a C++ result: not picklable)

    rng = np.random.default_rng(seed)
    t, e = rng.uniform(1, 5, (4, 3)), rng.uniform(0.1, 1, (4, 3))
    s = dvfskit.schedule(t, e, float(t.mean(axis=1).sum()), 0.1, 0.01)
    sd = s.to_dict()
    _same(json.loads(json.dumps(sd, allow_nan=False)), sd)
    _same(pickle.loads(pickle.dumps(s)).to_dict(), sd)
