"""dvfskit.sweep: equality with solve/baselines, grid/table/problem sources, determinism across
threads, chunk sizes and backends, Parquet/CSV output, interruption, Dask on a LocalCluster."""
from __future__ import annotations

import math
import os
import pickle

import numpy as np
import pandas as pd
import pytest

import dvfskit
from dvfskit._sweep import BASELINES
from child_process import child_env

GRID = {
    "deadline_ms": [0.5, 2.0, 5.0, 15.0, 60.0],
    "bandwidth_hz": [2e5, 1e6, 5e6],
    "p_circuit_w": [0.0, 0.2],
}


def make_problem(seed: int = 0, L: int = 6, nf: int = 4, nm: int = 3, **scenario) -> dvfskit.Problem:
    rng = np.random.default_rng(seed)
    f = np.linspace(200.0, 1000.0, nf)
    m = np.linspace(400.0, 3200.0, nm)
    lat = (rng.uniform(0.5, 3.0, (L, 1, 1)) * 100.0 / f[None, :, None]
           + rng.uniform(0.1, 2.0, (L, 1, 1)) * 200.0 / m[None, None, :]) * rng.uniform(0.9, 1.1, (L, nf, nm))
    pw = (0.8 + 2.5e-6 * f[None, :, None] ** 2 + 3e-4 * m[None, None, :]) * rng.uniform(0.95, 1.05, (L, nf, nm))
    bits = np.r_[1.2e6, rng.uniform(2e5, 3e6, L - 1), 8e3]
    server = np.r_[np.cumsum(rng.uniform(0.2, 1.0, L)[::-1])[::-1], 0.0]
    base = dict(bandwidth_hz=2e6, gain=1e-7, noise_w_per_hz=4e-19, p_max_w=0.5, deadline_ms=20.0, p_circuit_w=0.1,
                idle_power_w=0.3)
    base.update(scenario)
    return dvfskit.Problem.from_tables(lat, pw, f, m, bits, server, **base)


@pytest.fixture(scope="module")
def problem() -> dvfskit.Problem:
    return make_problem()


def same(a, b) -> bool:
    return (a == b) or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def test_rows_match_solve_and_baselines_exactly(problem):
    df = dvfskit.sweep(problem, GRID, progress=False)
    assert len(df) == 5 * 3 * 2 and df.attrs["complete"]
    assert 0 < df["feasible"].sum() < len(df)  # feasible and infeasible rows both checked
    checked = 0
    for i in range(len(df)):
        row = df.iloc[i]
        q = problem.with_scenario(**{k: row[k] for k in GRID})
        s = dvfskit.solve(q)
        assert bool(row["feasible"]) == s.feasible
        for k in ("objective_value", "energy_j", "energy_compute_j", "energy_transmit_j", "energy_idle_j",
                  "latency_ms", "latency_local_ms", "latency_transmit_ms", "latency_server_ms", "min_latency_ms",
                  "compute_freq_mhz", "mem_freq_mhz", "tx_power_w", "offload_fraction"):
            assert same(float(row[k]), float(getattr(s, k))), k
        assert row["split"] == s.split
        b = dvfskit.baselines(q)
        for name in BASELINES:
            assert row[f"{name}_energy_j"] == b.loc[name, "energy_j"], name
            assert row[f"{name}_latency_ms"] == b.loc[name, "latency_ms"], name
            assert bool(row[f"{name}_feasible"]) == b.loc[name, "feasible"], name
            assert same(float(row[f"saving_vs_{name}_pct"]), float(b.loc[name, "saving_pct"])), name
        checked += 1
    assert checked == 30


def test_grid_order_defaults_and_columns(problem):
    df = dvfskit.sweep(problem, GRID, baselines=["all_local"], progress=False)
    # cartesian product, last key fastest; other fields from the problem's own scenario
    expected = pd.MultiIndex.from_product(GRID.values(), names=list(GRID)).to_frame(index=False)
    pd.testing.assert_frame_equal(df[list(GRID)], expected)
    assert (df["gain"] == problem.gain).all() and (df["idle_power_w"] == problem.idle_power_w).all()
    assert [c for c in df.columns if "all_local" in c] == [
        "all_local_energy_j", "all_local_latency_ms", "all_local_feasible", "saving_vs_all_local_pct"]
    assert df["split"].dtype == np.int32 and df["feasible"].dtype == bool
    none = dvfskit.sweep(problem, GRID, baselines=False, progress=False)
    assert not any(c.startswith("saving_vs") for c in none.columns)
    pd.testing.assert_frame_equal(none, df[none.columns])


def test_table_input_equals_grid(problem):
    g = dvfskit.sweep(problem, GRID, progress=False)
    table = g[list(GRID)].sample(frac=1.0, random_state=1)
    t = dvfskit.sweep(problem, table=table, progress=False)
    pd.testing.assert_frame_equal(t, g.loc[table.index].reset_index(drop=True), check_exact=True)


def test_objectives_match_solve(problem):
    for objective in ("latency", ("weighted", 0.5), "edp"):
        df = dvfskit.sweep(problem, {"deadline_ms": [8.0, 30.0]}, objective=objective, baselines=False, progress=False)
        for i, d in enumerate([8.0, 30.0]):
            s = dvfskit.solve(problem.with_scenario(deadline_ms=d), objective)
            assert df["objective_value"][i] == s.objective_value and df["energy_j"][i] == s.energy_j
        assert df.attrs["objective"] == (objective[0] if isinstance(objective, tuple) else objective)


def test_mapping_of_problems_swept_as_problem_column():
    probs = {"tx1": make_problem(0), "orin": make_problem(1, L=4, nf=3, nm=2, idle_power_w=0.1)}
    df = dvfskit.sweep(probs, {"deadline_ms": [10.0, 40.0]}, progress=False)
    assert list(df["problem"]) == ["tx1", "tx1", "orin", "orin"]
    assert list(df["idle_power_w"]) == [0.3, 0.3, 0.1, 0.1]  # each problem's own defaults
    for name, sub in df.groupby("problem", observed=True):
        single = dvfskit.sweep(probs[name], {"deadline_ms": [10.0, 40.0]}, progress=False)
        pd.testing.assert_frame_equal(sub.drop(columns="problem").reset_index(drop=True), single)
    sel = dvfskit.sweep(probs, {"problem": ["orin"], "deadline_ms": [10.0]}, progress=False)
    assert list(sel["problem"]) == ["orin"]
    table = pd.DataFrame({"problem": ["orin", "tx1", "orin"], "deadline_ms": [40.0, 10.0, 10.0]})
    t = dvfskit.sweep(probs, table=table, progress=False)
    assert t["energy_j"].tolist() == df["energy_j"].iloc[[3, 0, 2]].tolist()
    with pytest.raises(ValueError, match="problem"):
        dvfskit.sweep(probs, table=table.drop(columns="problem"))
    with pytest.raises(ValueError, match="not in the mapping"):
        dvfskit.sweep(probs, {"problem": ["nano"], "deadline_ms": [10.0]})


def test_factory_called_once_per_key():
    calls = []

    def factory(device, dnn):
        calls.append((device, dnn))
        return make_problem(seed=device * 10 + len(dnn))

    df = dvfskit.sweep(factory, {"device": [0, 1], "dnn": ["vgg", "resnet"], "deadline_ms": [10.0, 40.0]},
                       progress=False)
    assert sorted(calls) == [(0, "resnet"), (0, "vgg"), (1, "resnet"), (1, "vgg")]
    assert len(df) == 8 and list(df.columns[:3]) == ["device", "dnn", "deadline_ms"]
    row = df.iloc[5]  # device 1, vgg, 40 ms
    assert (row["device"], row["dnn"], row["deadline_ms"]) == (1, "vgg", 40.0)
    assert row["energy_j"] == dvfskit.solve(make_problem(seed=13).with_scenario(deadline_ms=40.0)).energy_j
    t = dvfskit.sweep(factory, table=df[["dnn", "device", "deadline_ms"]].iloc[::-1], progress=False)
    assert t["energy_j"].tolist() == df["energy_j"].iloc[::-1].tolist()
    assert t["device"].tolist() == df["device"].iloc[::-1].tolist()


def test_deterministic_across_threads_and_chunks(problem):
    grid = {"deadline_ms": np.linspace(2.0, 60.0, 37), "bandwidth_hz": np.geomspace(1e5, 1e7, 23),
            "gain": [1e-8, 1e-7]}
    ref = dvfskit.sweep(problem, grid, threads=1, progress=False)
    for threads, chunk in ((2, None), (2, 7), (3, 1000), (1, 250)):
        df = dvfskit.sweep(problem, grid, threads=threads, chunk_size=chunk, progress=False)
        pd.testing.assert_frame_equal(df, ref, check_exact=True)


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".PARQUET", ".Csv"])
def test_out_streams_chunks_to_disk(problem, tmp_path, suffix):
    ref = dvfskit.sweep(problem, GRID, progress=False)
    path = tmp_path / f"sweep{suffix}"
    got = dvfskit.sweep(problem, GRID, chunk_size=7, progress=False, out=str(path))
    assert got == path and path.is_dir()
    kind = suffix.lower()[1:]
    assert sorted(p.name for p in path.iterdir()) == ["_manifest.json"] + [f"part-{i:06d}.{kind}" for i in range(5)]
    back = dvfskit.read_sweep(path)
    assert back.attrs["complete"] and back.attrs["rows_total"] == 30
    if kind == "parquet":
        pd.testing.assert_frame_equal(back, ref, check_exact=True)
        pd.testing.assert_frame_equal(pd.read_parquet(path), ref, check_exact=True)  # pandas reads the folder
    else:  # CSV: the same values (round-trip floats), plain dtypes (no categoricals)
        pd.testing.assert_frame_equal(back, ref, check_dtype=False, check_exact=True)


def test_keyboard_interrupt_keeps_finished_chunks(problem, tmp_path):
    seen = []

    def stop_after_two(done, total):
        seen.append((done, total))
        if len(seen) == 2:
            raise KeyboardInterrupt

    ref = dvfskit.sweep(problem, GRID, progress=False)
    with pytest.warns(RuntimeWarning, match="interrupted: 8 of 30"):
        df = dvfskit.sweep(problem, GRID, chunk_size=4, progress=stop_after_two)
    assert seen == [(4, 30), (8, 30)]
    assert not df.attrs["complete"] and df.attrs["rows_done"] == 8 and df.attrs["rows_total"] == 30
    pd.testing.assert_frame_equal(df, ref.iloc[:8], check_exact=True)
    seen.clear()
    path = tmp_path / "partial.parquet"
    with pytest.warns(RuntimeWarning, match="interrupted.*resume=True"):
        got = dvfskit.sweep(problem, GRID, chunk_size=4, progress=stop_after_two, out=path)
    back = dvfskit.read_sweep(got)
    assert not back.attrs["complete"] and back.attrs["rows_done"] == 8
    pd.testing.assert_frame_equal(back, ref.iloc[:8], check_exact=True)


def test_progress_bar_runs(problem, capsys):
    df = dvfskit.sweep(problem, GRID, chunk_size=5, progress=True)
    assert len(df) == 30


def test_validation(problem):
    with pytest.raises(ValueError, match="exactly one"):
        dvfskit.sweep(problem)
    with pytest.raises(ValueError, match="unknown grid keys"):
        dvfskit.sweep(problem, {"deadline": [1.0]})
    with pytest.raises(ValueError, match="bandwidth_hz"):
        dvfskit.sweep(problem, {"bandwidth_hz": [1e6, -1.0]})
    with pytest.raises(ValueError, match="deadline_ms"):
        dvfskit.sweep(problem, table=pd.DataFrame({"deadline_ms": [1.0, np.nan]}))
    with pytest.raises(ValueError, match="unknown baselines"):
        dvfskit.sweep(problem, GRID, baselines=["race_to_idle"])
    with pytest.raises(ValueError, match="backend"):
        dvfskit.sweep(problem, GRID, backend="mpi")
    for out in ("x.json", "x.xlsx", "x"):
        with pytest.raises(ValueError, match="parquet or .csv"):
            dvfskit.sweep(problem, GRID, out=out)
    with pytest.raises(TypeError, match="from_tables"):
        dvfskit.sweep(lambda device: "no problem", {"device": [1], "deadline_ms": [1.0]})
    assert len(dvfskit.sweep(problem, {}, progress=False)) == 1  # the problem's own scenario


def test_problem_pickles_and_rebuilds_tables(problem):
    q = pickle.loads(pickle.dumps(problem.with_scenario(deadline_ms=12.5)))
    assert q.scenario == problem.with_scenario(deadline_ms=12.5).scenario
    assert dvfskit.solve(q).energy_j == dvfskit.solve(problem.with_scenario(deadline_ms=12.5)).energy_j
    np.testing.assert_array_equal(q.block_latency_ms, problem.block_latency_ms)


# ------------------------------------------------------------------------------------ Dask

@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("dask.distributed")
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = child_env()["PYTHONPATH"]  # spawned workers import dvfskit
    try:
        cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0")
        client = distributed.Client(cluster)
    finally:
        if old is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = old
    yield client
    client.close()
    cluster.close()


def test_dask_backend_identical_to_threads(problem, dask_client):
    probs = {"a": problem, "b": make_problem(3)}
    grid = {"deadline_ms": np.linspace(2.0, 60.0, 19), "bandwidth_hz": np.geomspace(1e5, 1e7, 11)}
    ref = dvfskit.sweep(probs, grid, progress=False)
    df = dvfskit.sweep(probs, grid, backend="dask", client=dask_client, chunk_size=50, progress=False)
    pd.testing.assert_frame_equal(df, ref, check_exact=True)
    table = ref[["problem", "deadline_ms"]].iloc[::3].astype({"problem": object})
    t_ref = dvfskit.sweep(probs, table=table, progress=False)
    t = dvfskit.sweep(probs, table=table, backend="dask", client=dask_client.scheduler.address, progress=False)
    pd.testing.assert_frame_equal(t, t_ref, check_exact=True)


def test_dask_interrupt_and_parquet(problem, dask_client, tmp_path):
    ref = dvfskit.sweep(problem, GRID, progress=False)

    def stop(done, total):
        if done >= 10:
            raise KeyboardInterrupt

    with pytest.warns(RuntimeWarning, match="interrupted: 10 of 30"):
        df = dvfskit.sweep(problem, GRID, backend="dask", client=dask_client, chunk_size=5, progress=stop)
    pd.testing.assert_frame_equal(df, ref.iloc[:10], check_exact=True)
    path = dvfskit.sweep(problem, GRID, backend="dask", client=dask_client, chunk_size=4, progress=False,
                         out=tmp_path / "d.parquet")
    pd.testing.assert_frame_equal(dvfskit.read_sweep(path), ref, check_exact=True)
    # interrupted on Dask, resumed on threads: the same rows
    with pytest.warns(RuntimeWarning, match="interrupted: 10 of 30"):
        dvfskit.sweep(problem, GRID, backend="dask", client=dask_client, chunk_size=5, progress=stop,
                      out=tmp_path / "r.csv")
    dvfskit.sweep(problem, GRID, progress=False, out=tmp_path / "r.csv", resume=True)
    pd.testing.assert_frame_equal(dvfskit.read_sweep(tmp_path / "r.csv"), ref, check_dtype=False, check_exact=True)


def test_grouped_fit_on_dask_equals_threads(dask_client):
    from dvfskit import models

    rng = np.random.default_rng(0)
    rows = []
    for g in range(30):
        f = np.sort(rng.uniform(100, 1400, rng.integers(8, 25)))
        y = (rng.uniform(5, 50) * (f / 1000) ** -rng.uniform(0.5, 2.0) + 3.0) * (1 + 0.01 * rng.standard_normal(f.size))
        rows.append(pd.DataFrame({"device": f"dev{g % 4}", "dnn": f"dnn{g}", "compute_freq_mhz": f, "latency_ms": y}))
    df = pd.concat(rows, ignore_index=True).sample(frac=1.0, random_state=0).reset_index(drop=True)
    ref = dvfskit.fit(models.gpu_dvfs, df, "latency_ms", by=["device", "dnn"])
    got = dvfskit.fit(models.gpu_dvfs, df, df["latency_ms"].to_numpy(), by=["device", "dnn"], backend="dask",
                      client=dask_client, chunk_size=7)
    pd.testing.assert_frame_equal(got.to_dataframe(), ref.to_dataframe(), check_exact=True)
    np.testing.assert_array_equal(got.prediction, ref.prediction)
    np.testing.assert_array_equal(got.offsets, ref.offsets)
    np.testing.assert_array_equal(got.predict(df), ref.predict(df))
    assert got[("dev1", "dnn5")].params == ref[("dev1", "dnn5")].params
    with pytest.raises(ValueError, match="by="):
        dvfskit.fit(models.gpu_dvfs, df, "latency_ms", backend="dask", client=dask_client)


def test_sigint_during_a_write_keeps_that_chunk(problem, tmp_path, monkeypatch):
    import signal

    from dvfskit import _output

    real_write = _output.FolderSink.write
    calls = []

    def write_then_sigint(self, df):
        calls.append(len(df))
        if len(calls) == 3:
            signal.raise_signal(signal.SIGINT)  # Ctrl-C in the middle of writing the third chunk
        real_write(self, df)

    monkeypatch.setattr(_output.FolderSink, "write", write_then_sigint)
    ref = dvfskit.sweep(problem, GRID, progress=False)
    calls.clear()
    with pytest.warns(RuntimeWarning, match="interrupted: 12 of 30"):
        path = dvfskit.sweep(problem, GRID, chunk_size=4, progress=False, out=tmp_path / "s.csv")
    back = dvfskit.read_sweep(path)
    pd.testing.assert_frame_equal(back, ref.iloc[:12], check_dtype=False, check_exact=True)


# ------------------------------------------------------------------- configuration sets

def knob_problem(seed: int = 5, fractions=(0.0, 0.5, 1.0), with_label: bool = True) -> dvfskit.Problem:
    rng = np.random.default_rng(seed)
    axes = {"cpu_freq_mhz": [345.6, 1190.4, 2035.2], "compute_freq_mhz": [140.25, 497.25, 943.5, 1300.5]}
    if with_label:
        axes["core_mask"] = ["1111", "1100"]
    grid = pd.MultiIndex.from_product(axes.values(), names=list(axes)).to_frame(index=False)
    configs = grid[rng.random(len(grid)) < 0.6].reset_index(drop=True)  # a sparse measured set
    L = 4
    cores = configs["core_mask"].str.count("1").to_numpy() if with_label else np.full(len(configs), 4)
    lat = (rng.uniform(20, 80, (L, 1)) / configs["compute_freq_mhz"].to_numpy() * 100
           + rng.uniform(5, 30, (L, 1)) / configs["cpu_freq_mhz"].to_numpy() * 100 * (4 / cores))
    pw = 1.0 + 2e-6 * configs["compute_freq_mhz"].to_numpy() ** 2 + 5e-7 * configs["cpu_freq_mhz"].to_numpy() ** 2 \
        + 0.2 * cores + 0 * lat
    return dvfskit.Problem.from_config_tables(
        configs, lat, pw, np.r_[1.2e6, rng.uniform(2e5, 3e6, L - 1), 8e3],
        np.r_[np.cumsum(rng.uniform(0.2, 1.0, L)[::-1])[::-1], 0.0], bandwidth_hz=2e6, gain=1e-7,
        noise_w_per_hz=4e-19, p_max_w=0.5, deadline_ms=20.0, p_circuit_w=0.1, idle_power_w=0.3,
        offload_fractions=None if fractions is None else list(fractions))


def test_sweep_over_knobs_with_partial_offloading_matches_solve_and_baselines():
    p = knob_problem()
    names = dvfskit.baselines(p).index[1:].tolist()
    assert names == ["max_frequency", "only_cpu_freq_mhz", "only_compute_freq_mhz", "compute_dvfs_only",
                     "cpu_dvfs_model", "all_local", "full_offload", "fixed_max_power"]
    df = dvfskit.sweep(p, {"deadline_ms": [1.0, 6.0, 12.0, 30.0, 80.0], "bandwidth_hz": [3e5, 2e6, 2e7]},
                       progress=False)
    assert [c for c in df.columns if c in p.configs.knobs] == list(p.configs.knobs)
    assert isinstance(df["core_mask"].dtype, pd.CategoricalDtype) and df["config"].dtype == np.int32
    assert 0 < df["feasible"].sum() < len(df) and (df["offload_fraction"].isin([0.0, 0.5, 1.0])).all()
    assert ((df["offload_fraction"] > 0) & (df["offload_fraction"] < 1)).any()
    for i in range(len(df)):
        row = df.iloc[i]
        q = p.with_scenario(deadline_ms=row["deadline_ms"], bandwidth_hz=row["bandwidth_hz"])
        s = dvfskit.solve(q)
        assert row["energy_j"] == s.energy_j and row["offload_fraction"] == s.offload_fraction
        assert row["config"] == (-1 if s.config is None else s.config_index)
        for knob in p.configs.knobs:
            if s.config is None:
                assert pd.isna(row[knob])
            else:
                assert row[knob] == s.config[knob]
        b = dvfskit.baselines(q)
        for name in names:
            assert row[f"{name}_energy_j"] == b.loc[name, "energy_j"], name
            assert bool(row[f"{name}_feasible"]) == b.loc[name, "feasible"], name


def test_sweep_of_problems_with_different_knobs_has_the_union_of_columns():
    probs = {"jetson": knob_problem(), "grid": make_problem(2)}
    df = dvfskit.sweep(probs, {"deadline_ms": [10.0, 40.0]}, progress=False)
    jetson, grid = df[df["problem"] == "jetson"], df[df["problem"] == "grid"]
    for knob in ("cpu_freq_mhz", "core_mask"):  # knobs the grid problem does not have
        assert grid[knob].isna().all() and jetson[knob].notna().any()
    assert jetson["mem_freq_mhz"].isna().all() and grid["mem_freq_mhz"].notna().all()
    assert grid["only_cpu_freq_mhz_energy_j"].isna().all() and not grid["only_cpu_freq_mhz_feasible"].any()
    assert jetson["only_mem_freq_mhz_energy_j"].isna().all()
    for name, sub in df.groupby("problem", observed=True):
        alone = dvfskit.sweep(probs[name], {"deadline_ms": [10.0, 40.0]}, progress=False)
        pd.testing.assert_series_equal(sub["energy_j"].reset_index(drop=True), alone["energy_j"])
    with pytest.raises(ValueError, match="only_mem_freq_mhz"):
        dvfskit.sweep(probs, {"deadline_ms": [10.0]}, baselines=["only_mem_freq_mhz"], progress=False)
