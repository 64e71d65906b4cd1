"""Thread safety: concurrent fit, grouped fit, solve and schedule calls from Python threads give
exactly the results of the same calls made one after the other."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

import dvfskit
from dvfskit import models

WORKERS = 8


def _fit_data(i: int) -> pd.DataFrame:
    rng = np.random.default_rng(i)
    f, m = np.meshgrid(np.linspace(300, 1500, 8), np.linspace(400, 1900, 4), indexing="ij")
    data = pd.DataFrame({"compute_freq_mhz": f.ravel(), "mem_freq_mhz": m.ravel()})
    data["dev"] = np.repeat(["a", "b", "c", "d"], len(data) // 4)
    true = {"l": 20 + i, "beta": 0.8, "u": 50 + 2 * i, "gamma": 1.1, "c": 2.0}
    data["latency_ms"] = models.joint_mem_comp.evaluate(data, true) * rng.uniform(0.97, 1.03, len(data))
    return data


def _fit(i: int) -> str:
    res = dvfskit.fit("joint_mem_comp", _fit_data(i), "latency_ms", starts=2)
    return json.dumps(res.to_dict(), sort_keys=True)


def _group_fit(i: int) -> str:
    table = dvfskit.fit("gpu_dvfs", _fit_data(i), "latency_ms", by="dev", threads=2)
    return json.dumps(table.to_dict(), sort_keys=True)


def _problem(i: int) -> dvfskit.Problem:
    rng = np.random.default_rng(100 + i)
    L, fq, mq = 5, np.array([400.0, 800.0, 1200.0]), np.array([800.0, 1600.0])
    lat = rng.uniform(1, 10, L)[:, None, None] * (1000 / fq)[None, :, None] * (1 + 500 / mq)[None, None, :]
    pw = 1 + 1e-9 * fq[None, :, None] ** 3 + 1e-3 * mq[None, None, :] + np.zeros((L, 1, 1))
    return dvfskit.Problem.from_tables(
        lat, pw, fq, mq, rng.uniform(1e4, 1e6, L + 1), np.append(np.linspace(8, 1, L), 0.0),
        bandwidth_hz=1e7, gain=1e-7, noise_w_per_hz=1e-17, p_max_w=1.0, deadline_ms=60.0 + 5 * i,
    )


def _solve(i: int) -> str:
    p = _problem(i)
    parts = [dvfskit.solve(p).to_dict(), dvfskit.solve(p, "edp").to_dict(),
             dvfskit.baselines(p).to_dict(orient="index")]
    return json.dumps(parts, sort_keys=True, default=str)


def _schedule(i: int) -> str:
    rng = np.random.default_rng(200 + i)
    t, e = rng.uniform(1, 5, (12, 6)), rng.uniform(0.1, 1, (12, 6))
    s = dvfskit.schedule(t, e, float(t.mean(axis=1).sum()), 0.2, 0.02, label_budget=20000)
    return json.dumps(s.to_dict(), sort_keys=True, default=str)


def _check(func, n: int = 16) -> None:  # type: ignore[no-untyped-def]
    expected = [func(i) for i in range(n)]
    jobs = list(range(n)) * 3  # every call three times, interleaved across threads
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        got = list(pool.map(func, jobs))
    assert got == [expected[i] for i in jobs]


def test_concurrent_fits_equal_sequential() -> None:
    _check(_fit)


def test_concurrent_grouped_fits_equal_sequential() -> None:
    _check(_group_fit, n=8)


def test_concurrent_solves_equal_sequential() -> None:
    _check(_solve)


def test_concurrent_schedules_equal_sequential() -> None:
    _check(_schedule)


def test_shared_problem_solved_from_many_threads() -> None:
    p = _problem(0)
    expected = json.dumps(dvfskit.solve(p).to_dict(), sort_keys=True)
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        got = list(pool.map(lambda _: json.dumps(dvfskit.solve(p).to_dict(), sort_keys=True), range(64)))
    assert set(got) == {expected}


def test_mixed_workload_in_parallel() -> None:
    funcs = [_fit, _group_fit, _solve, _schedule]
    expected = {(k, i): funcs[k](i) for k in range(4) for i in range(4)}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = [(key, pool.submit(funcs[key[0]], key[1])) for key in list(expected) * 2]
        for key, future in futures:
            assert future.result() == expected[key], key
