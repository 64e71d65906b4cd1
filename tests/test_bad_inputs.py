"""Bad inputs everywhere: fit, Problem.from_tables, solve, schedule and read_measurements raise a
clear ValueError/TypeError whose message names the offending argument, and leave the caller's
inputs untouched."""
from __future__ import annotations

import copy
from typing import Any, Callable, Dict

import numpy as np
import pandas as pd
import pytest

import dvfskit

NAN, HUGE = float("nan"), 1e300


def _snapshot(obj: Any) -> Any:
    try:
        return copy.deepcopy(obj)
    except TypeError:  # objects that cannot be copied are compared by identity
        return obj


def _assert_same(before: Any, after: Any) -> None:
    if isinstance(before, pd.DataFrame):
        pd.testing.assert_frame_equal(before, after)
    elif isinstance(before, np.ndarray):
        np.testing.assert_array_equal(before, after)
        assert before.dtype == after.dtype
    elif isinstance(before, dict):
        assert before.keys() == after.keys()
        for k in before:
            _assert_same(before[k], after[k])
    elif isinstance(before, dvfskit.Problem):  # no __eq__: compare what defines it
        assert before.scenario == after.scenario
        for name in ("block_latency_ms", "block_power_w", "compute_freqs_mhz", "mem_freqs_mhz", "out_bits",
                     "server_latency_ms"):
            _assert_same(getattr(before, name), getattr(after, name))
    else:
        assert before == after or (before != before and after != after)


def _raises(func: Callable[..., Any], kwargs: Dict[str, Any], exc: Any, names: str) -> None:
    """``func(**kwargs)`` raises ``exc`` mentioning ``names`` and does not modify ``kwargs``."""
    before = _snapshot(kwargs)
    with pytest.raises(exc) as info:
        func(**kwargs)
    message = str(info.value)
    assert names in message, f"message {message!r} does not name {names!r}"
    for k in kwargs:
        _assert_same(before[k], kwargs[k])


# ---------------------------------------------------------------------------------------------
# fit

def _fit_kwargs(**changes: Any) -> Dict[str, Any]:
    data = pd.DataFrame({"compute_freq_mhz": [500.0, 1000.0, 1500.0, 2000.0], "latency_ms": [4.0, 2.2, 1.6, 1.3]})
    kw: Dict[str, Any] = {"model": "cpu_dvfs_offset", "data": data, "y": "latency_ms"}
    kw.update(changes)
    return kw


FIT_CASES = {
    "empty table": (_fit_kwargs(data=pd.DataFrame({"compute_freq_mhz": [], "latency_ms": []})), ValueError, "empty"),
    "nan in y": (_fit_kwargs(y=np.array([4.0, NAN, 1.6, 1.3])), ValueError, "'y'"),
    "nan in data": (_fit_kwargs(data=pd.DataFrame({"compute_freq_mhz": [500.0, NAN, 1.0, 2.0],
                                                   "latency_ms": [1.0, 2.0, 3.0, 4.0]})), ValueError, "compute_freq_mhz"),
    "y wrong length": (_fit_kwargs(y=np.array([1.0, 2.0])), ValueError, "y"),
    "y 2-d": (_fit_kwargs(y=np.ones((4, 2))), ValueError, "'y'"),
    "y not numeric": (_fit_kwargs(y=["a", "b", "c", "d"]), ValueError, "'y'"),
    "y huge": (_fit_kwargs(y=np.full(4, HUGE)), ValueError, "y"),
    "missing input column": (_fit_kwargs(model="joint_mem_comp"), ValueError, "mem_freq_mhz"),
    "unknown model": (_fit_kwargs(model="nope"), ValueError, "nope"),
    "model wrong type": (_fit_kwargs(model=3.5), TypeError, "Model"),
    "weights negative": (_fit_kwargs(weights=np.array([1.0, -1.0, 1.0, 1.0])), ValueError, "weights"),
    "weights nan": (_fit_kwargs(weights=np.array([1.0, NAN, 1.0, 1.0])), ValueError, "weights"),
    "weights wrong length": (_fit_kwargs(weights=np.array([1.0, 1.0])), ValueError, "weights"),
    "bad loss": (_fit_kwargs(loss="l3"), ValueError, "loss"),
    "loss_scale negative": (_fit_kwargs(loss="huber", loss_scale=-1.0), ValueError, "loss_scale"),
    "loss_scale text": (_fit_kwargs(loss_scale="big"), ValueError, "loss_scale"),
    "tolerance nan": (_fit_kwargs(tolerance=NAN), ValueError, "tolerance"),
    "tolerance negative": (_fit_kwargs(tolerance=-1e-9), ValueError, "tolerance"),
    "starts zero": (_fit_kwargs(starts=0), ValueError, "starts"),
    "starts huge": (_fit_kwargs(starts=10**20), ValueError, "starts"),
    "starts fractional": (_fit_kwargs(starts=1.5), ValueError, "starts"),
    "max_iterations negative": (_fit_kwargs(max_iterations=-1), ValueError, "max_iterations"),
    "retries negative": (_fit_kwargs(retries=-1), ValueError, "retries"),
    "seed negative": (_fit_kwargs(seed=-1), ValueError, "seed"),
    "seed text": (_fit_kwargs(seed="0"), ValueError, "seed"),
    "threads negative": (_fit_kwargs(by="compute_freq_mhz", threads=-2), ValueError, "threads"),
    "by missing": (_fit_kwargs(by="device"), ValueError, "device"),
    "p0 nan": (_fit_kwargs(p0={"W": NAN}), ValueError, "'W'"),
    "p0 unknown name": (_fit_kwargs(p0={"Z": 1.0}), ValueError, "Z"),
    "bounds not a pair": (_fit_kwargs(bounds={"W": 5.0}), ValueError, "bounds['W']"),
    "bounds reversed": (_fit_kwargs(bounds={"W": (5.0, 1.0)}), ValueError, "'W'"),
    "bounds wrong type": (_fit_kwargs(bounds=[(0, 1)]), TypeError, "bounds"),
    "fixed unknown": (_fit_kwargs(fixed=["Z"]), ValueError, "Z"),
}


@pytest.mark.parametrize("case", sorted(FIT_CASES))
def test_fit_rejects(case: str) -> None:
    kwargs, exc, names = FIT_CASES[case]
    _raises(dvfskit.fit, kwargs, exc, names)


# ---------------------------------------------------------------------------------------------
# Problem.from_tables and solve

def _tables(**changes: Any) -> Dict[str, Any]:
    L, fq, mq = 3, np.array([400.0, 800.0]), np.array([1600.0])
    kw: Dict[str, Any] = dict(
        block_latency_ms=np.arange(1.0, 1.0 + L * 2).reshape(L, 2, 1),
        block_power_w=np.full((L, 2, 1), 2.0),
        compute_freqs_mhz=fq, mem_freqs_mhz=mq,
        out_bits=np.array([1e6, 5e5, 2e5, 0.0]), server_latency_ms=np.array([3.0, 2.0, 1.0, 0.0]),
        bandwidth_hz=1e7, gain=1e-7, noise_w_per_hz=1e-17, p_max_w=1.0, deadline_ms=50.0,
    )
    kw.update(changes)
    return kw


def _with(name: str, value: Any) -> Dict[str, Any]:
    return _tables(**{name: value})


PROBLEM_CASES = {
    "empty tables": (_tables(block_latency_ms=np.empty((0, 2, 1)), block_power_w=np.empty((0, 2, 1)),
                             out_bits=np.array([0.0]), server_latency_ms=np.array([0.0])), ValueError, "block_latency_ms"),
    "latency 2-d": (_with("block_latency_ms", np.ones((3, 2))), ValueError, "block_latency_ms"),
    "power shape mismatch": (_with("block_power_w", np.ones((3, 3, 1))), ValueError, "block_power_w"),
    "latency nan": (_with("block_latency_ms", np.full((3, 2, 1), NAN)), ValueError, "block_latency_ms"),
    "latency negative": (_with("block_latency_ms", -np.ones((3, 2, 1))), ValueError, "block_latency_ms"),
    "latency huge": (_with("block_latency_ms", np.full((3, 2, 1), 1e308)), ValueError, "block_latency_ms"),
    "power huge": (_with("block_power_w", np.full((3, 2, 1), 1e308)), ValueError, "block_power_w"),
    "latency text": (_with("block_latency_ms", "fast"), ValueError, "block_latency_ms"),
    "power nan": (_with("block_power_w", np.full((3, 2, 1), NAN)), ValueError, "block_power_w"),
    "freqs wrong length": (_with("compute_freqs_mhz", np.array([400.0])), ValueError, "compute_freqs_mhz"),
    "freqs zero": (_with("compute_freqs_mhz", np.array([0.0, 800.0])), ValueError, "compute_freqs_mhz"),
    "mem freqs nan": (_with("mem_freqs_mhz", np.array([NAN])), ValueError, "mem_freqs_mhz"),
    "out_bits wrong length": (_with("out_bits", np.ones(3)), ValueError, "out_bits"),
    "out_bits negative": (_with("out_bits", np.array([1.0, -1.0, 1.0, 0.0])), ValueError, "out_bits"),
    "server last not 0": (_with("server_latency_ms", np.ones(4)), ValueError, "server_latency_ms"),
    "negative bandwidth": (_with("bandwidth_hz", -1e6), ValueError, "bandwidth_hz"),
    "zero gain": (_with("gain", 0.0), ValueError, "gain"),
    "huge gain": (_with("gain", HUGE), ValueError, "gain"),
    "huge p_max": (_with("p_max_w", HUGE), ValueError, "p_max_w"),
    "nan noise": (_with("noise_w_per_hz", NAN), ValueError, "noise_w_per_hz"),
    "deadline zero": (_with("deadline_ms", 0.0), ValueError, "deadline_ms"),
    "deadline negative": (_with("deadline_ms", -5.0), ValueError, "deadline_ms"),
    "deadline inf": (_with("deadline_ms", float("inf")), ValueError, "deadline_ms"),
    "deadline text": (_with("deadline_ms", "50"), ValueError, "deadline_ms"),
    "deadline bool": (_with("deadline_ms", True), ValueError, "deadline_ms"),
    "deadline None": (_with("deadline_ms", None), ValueError, "deadline_ms"),
    "idle negative": (_with("idle_power_w", -1.0), ValueError, "idle_power_w"),
}


@pytest.mark.parametrize("case", sorted(PROBLEM_CASES))
def test_problem_from_tables_rejects(case: str) -> None:
    kwargs, exc, names = PROBLEM_CASES[case]
    _raises(dvfskit.Problem.from_tables, kwargs, exc, names)


def test_from_tables_copies_its_inputs() -> None:
    kw = _tables()
    before = _snapshot(kw)
    problem = dvfskit.Problem.from_tables(**kw)
    kw["block_latency_ms"][:] = 1e9  # the caller changing its arrays afterwards changes nothing
    dvfskit.solve(problem)
    assert problem.block_latency_ms[0, 0, 0] == before["block_latency_ms"][0, 0, 0]


def test_solve_rejects() -> None:
    problem = dvfskit.Problem.from_tables(**_tables())
    for bad, exc, names in [
        ({"problem": None}, TypeError, "problem"),
        ({"problem": _tables()}, TypeError, "problem"),
        ({"problem": problem, "objective": "speed"}, ValueError, "objective"),
        ({"problem": problem, "objective": "weighted"}, ValueError, "weight"),
        ({"problem": problem, "objective": ("weighted", -1.0)}, ValueError, "weight"),
        ({"problem": problem, "objective": "energy", "weight": 1.0}, ValueError, "weight"),
    ]:
        _raises(dvfskit.solve, bad, exc, names)
    _raises(dvfskit.baselines, {"problem": "p"}, TypeError, "problem")
    with pytest.raises(ValueError, match="deadline_ms"):
        problem.with_scenario(deadline_ms=-1)
    with pytest.raises(ValueError, match="unknown scenario"):
        problem.with_scenario(deadline=1)


def test_solve_never_returns_nan_for_extreme_but_valid_inputs() -> None:
    for kw in (_with("bandwidth_hz", HUGE), _with("noise_w_per_hz", 1e-300), _with("deadline_ms", HUGE),
               _with("out_bits", np.array([HUGE, HUGE, HUGE, 0.0])), _with("gain", 1e-300),
               _with("compute_freqs_mhz", np.array([1e-300, 1e-299])),
               _with("compute_freqs_mhz", np.array([1e299, 1e300]))):
        problem = dvfskit.Problem.from_tables(**kw)
        sol = dvfskit.solve(problem)
        if sol.feasible:
            assert np.isfinite(sol.energy_j) and np.isfinite(sol.latency_ms)
        base = dvfskit.baselines(problem)
        feasible = base[base["feasible"]]
        assert np.all(np.isfinite(feasible["energy_j"])) and np.all(np.isfinite(feasible["latency_ms"]))


# ---------------------------------------------------------------------------------------------
# schedule

def _sched(**changes: Any) -> Dict[str, Any]:
    kw: Dict[str, Any] = dict(block_latency_ms=np.array([[1.0, 2.0], [2.0, 3.0], [1.5, 2.5]]),
                              block_energy_j=np.array([[0.5, 0.3], [0.6, 0.4], [0.5, 0.2]]), deadline_ms=7.0)
    kw.update(changes)
    return kw


SCHEDULE_CASES = {
    "empty": (_sched(block_latency_ms=np.empty((0, 2)), block_energy_j=np.empty((0, 2))), ValueError, "block_latency_ms"),
    "no configs": (_sched(block_latency_ms=np.empty((3, 0)), block_energy_j=np.empty((3, 0))), ValueError, "block_latency_ms"),
    "1-d": (_sched(block_latency_ms=np.ones(3)), ValueError, "block_latency_ms"),
    "shape mismatch": (_sched(block_energy_j=np.ones((3, 3))), ValueError, "block_energy_j"),
    "nan latency": (_sched(block_latency_ms=np.full((3, 2), NAN)), ValueError, "block_latency_ms"),
    "negative energy": (_sched(block_energy_j=-np.ones((3, 2))), ValueError, "block_energy_j"),
    "huge latency": (_sched(block_latency_ms=np.full((3, 2), 1e308)), ValueError, "block_latency_ms"),
    "huge energy": (_sched(block_energy_j=np.full((3, 2), 1e308)), ValueError, "block_energy_j"),
    "huge idle": (_sched(idle_power_w=1e308, deadline_ms=1e300), ValueError, "idle_power_w"),
    "huge switching": (_sched(switch_time_ms=1e308), ValueError, "switch_time_ms"),
    "text table": (_sched(block_latency_ms="slow"), ValueError, "block_latency_ms"),
    "deadline zero": (_sched(deadline_ms=0.0), ValueError, "deadline_ms"),
    "deadline negative": (_sched(deadline_ms=-1.0), ValueError, "deadline_ms"),
    "deadline nan": (_sched(deadline_ms=NAN), ValueError, "deadline_ms"),
    "deadline text": (_sched(deadline_ms="7"), ValueError, "deadline_ms"),
    "switch negative": (_sched(switch_time_ms=-1.0), ValueError, "switch_time_ms"),
    "switch matrix shape": (_sched(switch_energy_j=np.ones((3, 3))), ValueError, "switch_energy_j"),
    "idle nan": (_sched(idle_power_w=NAN), ValueError, "idle_power_w"),
    "initial out of range": (_sched(initial_config=5), ValueError, "initial_config"),
    "configs wrong length": (_sched(configs=np.array([[500.0, 800.0]])), ValueError, "configs"),
    "label budget negative": (_sched(label_budget=-1), ValueError, "label_budget"),
    "label budget huge": (_sched(label_budget=10**30), ValueError, "label_budget"),
    "labels per cell text": (_sched(max_labels_per_cell="many"), ValueError, "max_labels_per_cell"),
}


@pytest.mark.parametrize("case", sorted(SCHEDULE_CASES))
def test_schedule_rejects(case: str) -> None:
    kwargs, exc, names = SCHEDULE_CASES[case]
    _raises(dvfskit.schedule, kwargs, exc, names)
    kwargs = {k: v for k, v in kwargs.items() if k not in ("label_budget", "max_labels_per_cell")}
    if case not in ("label budget negative", "label budget huge", "labels per cell text"):
        _raises(dvfskit.schedule_baselines, kwargs, exc, names)


def test_schedule_leaves_inputs_untouched() -> None:
    kw = _sched(switch_time_ms=np.full((2, 2), 0.1), idle_power_w=0.1)
    before = _snapshot(kw)
    s = dvfskit.schedule(**kw)
    assert s.feasible and np.isfinite(s.energy_j)
    for k in kw:
        _assert_same(before[k], kw[k])


# ---------------------------------------------------------------------------------------------
# read_measurements

def _frame() -> pd.DataFrame:
    return pd.DataFrame({"gpu": [500.0, 1000.0], "t": [2.0, 1.0], "p": [3.0, 5.0]})


def _rm(**changes: Any) -> Dict[str, Any]:
    kw: Dict[str, Any] = {"source": _frame(), "columns": {"compute_freq_mhz": "gpu", "latency_ms": "t", "power_w": "p"}}
    kw.update(changes)
    return kw


def _frame_with(col: str, values: Any) -> pd.DataFrame:
    df = _frame()
    df[col] = values
    return df


READ_CASES = {
    "empty frame": (_rm(source=_frame().iloc[:0]), ValueError, "no data rows"),
    "no columns": (_rm(source=pd.DataFrame()), ValueError, "no columns"),
    "nan latency": (_rm(source=_frame_with("t", [NAN, 1.0])), ValueError, "'t'"),
    "text frequency": (_rm(source=_frame_with("gpu", ["fast", "1000"])), ValueError, "'gpu'"),
    "negative frequency": (_rm(source=_frame_with("gpu", [-500.0, 1000.0])), ValueError, "'gpu'"),
    "negative power": (_rm(source=_frame_with("p", [-1.0, 1.0])), ValueError, "'p'"),
    "huge overflow on conversion": (_rm(source=_frame_with("gpu", [1e308, 1.0]), units={"compute_freq_mhz": "GHz"}),
                                    ValueError, "'gpu'"),
    "huge energy from power": (_rm(source=_frame_with("p", [HUGE, 1.0]).assign(t=[HUGE, 1.0])), ValueError, "energy_j"),
    "missing column": (_rm(columns={"compute_freq_mhz": "cpu", "latency_ms": "t"}), ValueError, "'cpu'"),
    "unknown unit": (_rm(units={"compute_freq_mhz": "THz"}), ValueError, "'compute_freq_mhz'"),
    "unit wrong type": (_rm(units={"latency_ms": ["ms"]}), ValueError, "'latency_ms'"),
    "columns wrong type": (_rm(columns=["gpu", "t"]), TypeError, "columns"),
    "units wrong type": (_rm(units="GHz"), TypeError, "units"),
    "constants wrong type": (_rm(constants=["TX2"]), TypeError, "constants"),
    "keys wrong type": (_rm(keys=7), TypeError, "keys"),
    "bad aggregate": (_rm(aggregate="max"), ValueError, "aggregate"),
    "source wrong type": (_rm(source=42), TypeError, "source"),
    "source None": (_rm(source=None), TypeError, "source"),
    "conflicting repeats": (_rm(source=_frame_with("gpu", [500.0, 500.0])), ValueError, "aggregate"),
}


@pytest.mark.parametrize("case", sorted(READ_CASES))
def test_read_measurements_rejects(case: str) -> None:
    kwargs, exc, names = READ_CASES[case]
    _raises(dvfskit.read_measurements, kwargs, exc, names)


def test_read_measurements_bad_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="no such file"):
        dvfskit.read_measurements(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match="directory"):
        dvfskit.read_measurements(tmp_path)
    for content in (b"", b"compute_freq_mhz,latency_ms\n", b"\xff\xfe\x00garbage", b"compute_freq_mhz,latency_ms\n1,2,3,4\n",
                    b"compute_freq_mhz,latency_ms\n1e999,1\n", b"compute_freq_mhz,latency_ms\n500,nan\n"):
        path = tmp_path / "bad.csv"
        path.write_bytes(content)
        with pytest.raises(ValueError, match="bad.csv"):
            dvfskit.read_measurements(path)
        assert path.read_bytes() == content
    path = tmp_path / "huge.csv"
    path.write_text("compute_freq_mhz,latency_ms\n1,1.7e308\n1,1.7e308\n")
    with pytest.raises(ValueError, match="latency_ms"):
        dvfskit.read_measurements(path, aggregate="mean")
