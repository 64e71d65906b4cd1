"""dvfskit.plots: every function returns an Axes with labelled axes and the right artists."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

import dvfskit  # noqa: E402
from dvfskit import examples, plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def synthetic(seed: int = 0) -> pd.DataFrame:
    """Latency (ms) and power (W) over 6 compute x 3 memory frequencies (MHz), two devices."""
    rng = np.random.default_rng(seed)
    f = np.linspace(300.0, 1300.0, 6)
    m = np.array([800.0, 1600.0, 3200.0])
    F, M = (a.ravel() for a in np.meshgrid(f, m, indexing="ij"))
    frames = []
    for device, scale in (("a", 1.0), ("b", 2.0)):
        lat = scale * (40.0 * (F / 1000) ** -1.2 + 10.0 * (M / 1000) ** -0.8 + 3.0) * rng.normal(1, 0.01, F.size)
        pw = 2.0 + 3.0 * (F / 1000) ** 2.5 + 0.5 * (M / 1000) ** 1.5 + rng.normal(0, 0.01, F.size)
        frames.append(pd.DataFrame({"device": device, "compute_freq_mhz": F, "mem_freq_mhz": M,
                                    "latency_ms": lat, "power_w": pw}))
    return pd.concat(frames, ignore_index=True)


def points(ax: Axes, gid: str = "data") -> int:
    """Number of scatter points drawn with this gid."""
    return sum(len(c.get_offsets()) for c in ax.collections if c.get_gid() == gid)


def lines(ax: Axes, gid: str):
    return [ln for ln in ax.lines if ln.get_gid() == gid]


@pytest.fixture(scope="module")
def problem():
    return examples.tx2_offloading_problem("400x400", deadline_ms=300.0)


@pytest.fixture(scope="module")
def sweep_df(problem):
    rows = []
    for d in np.linspace(150.0, 600.0, 12):
        q = problem.with_scenario(deadline_ms=float(d))
        s = dvfskit.solve(q)
        b = dvfskit.baselines(q)
        row = {"deadline_ms": d, "bandwidth_hz": q.bandwidth_hz, "energy_j": s.energy_j, "latency_ms": s.latency_ms,
               "split": s.split, "feasible": s.feasible}
        for name in b.index.drop("optimal"):
            row[f"{name}_energy_j"] = b.loc[name, "energy_j"]
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------


def test_label_units():
    assert plots.label("latency_ms") == "latency (ms)"
    assert plots.label("compute_freq_mhz") == "compute frequency (MHz)"
    assert plots.label("bandwidth_hz") == "bandwidth (MHz)"
    assert plots.label("max_frequency_energy_j") == "max frequency energy (J)"
    assert plots.label("noise_w_per_hz") == "noise density (W/Hz)"


def test_fit_result_one_curve_per_memory_frequency():
    df = synthetic()
    d = df[df.device == "a"]
    res = dvfskit.fit("joint_mem_comp", d, "latency_ms")
    ax = plots.fit(res, d)
    assert isinstance(ax, Axes)
    assert ax.get_xlabel() == "compute frequency (MHz)"
    assert ax.get_ylabel() == "latency (ms)"
    assert points(ax) == len(d)
    fitted = lines(ax, "fit")
    assert len(fitted) == d.mem_freq_mhz.nunique()
    # the drawn curve is the model's prediction
    ln = fitted[0]
    x = np.asarray(ln.get_xdata())
    expect = res.predict({"compute_freq_mhz": x, "mem_freq_mhz": np.full(x.size, 800.0)})
    np.testing.assert_allclose(ln.get_ydata(), expect)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"m = {m:g} MHz" for m in (800, 1600, 3200)]
    # the measured points are the data
    offsets = np.concatenate([c.get_offsets() for c in ax.collections if c.get_gid() == "data"])
    np.testing.assert_allclose(np.sort(offsets[:, 1]), np.sort(d.latency_ms.to_numpy()))


def test_fit_power_labels_and_parity_without_data():
    d = synthetic()
    d = d[d.device == "a"]
    res = dvfskit.fit("cmos", d, "power_w")
    ax = plots.fit(res, d)
    assert ax.get_ylabel() == "power (W)"
    ax = plots.fit(res)  # no inputs: fitted vs measured
    assert ax.get_xlabel() == "measured power (W)"
    assert ax.get_ylabel() == "fitted power (W)"
    assert points(ax) == len(d)
    with pytest.raises(ValueError, match="rows"):
        plots.fit(res, d.iloc[:5])


def test_fit_compute_only_model_single_curve():
    d = synthetic()
    d = d[(d.device == "a") & (d.mem_freq_mhz == 3200)]
    res = dvfskit.fit("gpu_dvfs", d, "latency_ms")
    ax = plots.fit(res, d)
    assert len(lines(ax, "fit")) == 1
    assert points(ax) == len(d)


def test_fit_table_all_groups_and_one_key():
    df = synthetic()
    table = dvfskit.fit("joint_mem_comp", df, "latency_ms", by="device")
    ax = plots.fit(table, df)
    assert points(ax) == len(df)
    assert len(lines(ax, "fit")) == 2 * 3
    assert "per device" in ax.get_title()
    ax = plots.fit(table, df, key="b")
    assert points(ax) == (df.device == "b").sum()
    assert len(lines(ax, "fit")) == 3
    # curves of group b use group b's parameters
    ln = lines(ax, "fit")[0]
    x = np.asarray(ln.get_xdata())
    np.testing.assert_allclose(ln.get_ydata(), table["b"].predict({"compute_freq_mhz": x,
                                                                   "mem_freq_mhz": np.full(x.size, 800.0)}))


def test_residuals_vs_fitted_and_frequency():
    df = synthetic()
    d = df[df.device == "a"]
    res = dvfskit.fit("joint_mem_comp", d, "latency_ms")
    ax = plots.residuals(res)
    assert ax.get_xlabel() == "fitted latency (ms)"
    assert ax.get_ylabel() == "residual latency (ms)"
    offsets = ax.collections[0].get_offsets()
    np.testing.assert_allclose(offsets[:, 0], res.prediction)
    np.testing.assert_allclose(offsets[:, 1], res.residuals)
    ax = plots.residuals(res, d, x="compute_freq_mhz")
    assert ax.get_xlabel() == "compute frequency (MHz)"
    np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 0], d.compute_freq_mhz)
    table = dvfskit.fit("joint_mem_comp", df, "latency_ms", by="device")
    ax = plots.residuals(table, df, x="mem_freq_mhz")
    assert points(ax) == len(df)
    with pytest.raises(ValueError, match="need the data"):
        plots.residuals(res, x="compute_freq_mhz")


@pytest.mark.parametrize("quantity,unit", [("latency", "ms"), ("power", "W"), ("energy", "J")])
def test_heatmap_marks_the_solution(problem, quantity, unit):
    sol = dvfskit.solve(problem)
    assert sol.split > 0
    ax = plots.heatmap(problem, quantity=quantity, solution=sol)
    assert ax.get_xlabel() == "compute frequency (MHz)"
    assert ax.get_ylabel() == "memory frequency (MHz)"
    assert ax.get_title().startswith(f"{quantity} ({unit})")
    mesh = ax.collections[0]
    nf, nm = problem.compute_freqs_mhz.size, problem.mem_freqs_mhz.size
    assert mesh.get_array().size == nf * nm
    marker = lines(ax, "solution")
    assert len(marker) == 1
    assert marker[0].get_xdata()[0] == pytest.approx(sol.compute_freq_mhz)
    assert marker[0].get_ydata()[0] == pytest.approx(sol.mem_freq_mhz)
    # the value in the marked cell is the local part of the solution
    a = int(np.flatnonzero(problem.compute_freqs_mhz == sol.compute_freq_mhz)[0])
    b = int(np.flatnonzero(problem.mem_freqs_mhz == sol.mem_freq_mhz)[0])
    z = np.asarray(mesh.get_array()).reshape(nm, nf)
    if quantity == "latency":
        assert z[b, a] == pytest.approx(sol.latency_local_ms)
    if quantity == "energy":
        assert z[b, a] == pytest.approx(sol.energy_compute_j)


def test_heatmap_other_inputs():
    lat, pw, fq, mq = examples.tx2_tables("200x200")
    ax = plots.heatmap((lat, pw, fq, mq), quantity="latency")
    np.testing.assert_allclose(np.sort(np.asarray(ax.collections[0].get_array()).ravel()), np.sort(lat.ravel()))
    df = synthetic()
    ax = plots.heatmap(df[df.device == "a"], quantity="power")
    assert ax.collections[0].get_array().size == 18
    bt = dvfskit.block_tables(np.ones((2, 3, 2)), np.full((2, 3, 2), 0.001), [100, 200, 300], [400, 800])
    ax = plots.heatmap(bt, quantity="energy")
    assert "(mJ)" in ax.get_title()
    np.testing.assert_allclose(np.asarray(ax.collections[0].get_array()), 2.0)
    with pytest.raises(ValueError, match="quantity"):
        plots.heatmap(bt, quantity="speed")
    with pytest.raises(TypeError):
        plots.heatmap(42)


def test_pareto(problem):
    ax = plots.pareto(problem, num_deadlines=20)
    assert ax.get_xlabel() == "end-to-end latency (ms)"
    assert ax.get_ylabel() == "device energy (J)"
    L, nf, nm = problem.block_latency_ms.shape
    assert points(ax, "plans") == 1 + L * nf * nm
    front = lines(ax, "front")[0]
    x, y = np.asarray(front.get_xdata()), np.asarray(front.get_ydata())
    assert len(x) >= 2 and np.all(np.diff(x) > 0) and np.all(np.diff(y) < 0)  # non-dominated
    base = dvfskit.baselines(problem)
    marks = lines(ax, "baseline")
    assert len(marks) == len(base)
    opt = dvfskit.solve(problem)
    # the optimum at the problem's deadline lies on the front
    assert np.any(np.isclose(x, opt.latency_ms) & np.isclose(y, opt.energy_j))
    assert marks[0].get_xdata()[0] == pytest.approx(opt.latency_ms)
    ax = plots.pareto(problem, baselines=False, plans=False, num_deadlines=5)
    assert not lines(ax, "baseline") and points(ax, "plans") == 0


def test_sweep(sweep_df):
    ax = plots.sweep(sweep_df)
    assert ax.get_xlabel() == "deadline (ms)"
    assert ax.get_ylabel() == "device energy (J)"
    main = lines(ax, "sweep")[0]
    ok = sweep_df.feasible.to_numpy()
    assert np.count_nonzero(np.isfinite(main.get_ydata())) == ok.sum()
    assert len(lines(ax, "baseline")) == sum(c.endswith("_energy_j") and c != "energy_j" for c in sweep_df.columns)
    if (~ok).any():
        assert len(lines(ax, "infeasible")[0].get_xdata()) == (~ok).sum()
    ax = plots.sweep(sweep_df, show_split=True)
    twin = ax.dvfskit_twin
    assert twin.get_ylabel() == "split point (blocks run locally)"
    np.testing.assert_array_equal(twin.lines[0].get_ydata(), sweep_df.sort_values("deadline_ms").split)
    ax = plots.sweep(sweep_df, y="split")
    assert ax.get_ylabel() == "split point (blocks run locally)"
    # bandwidth drawn in MHz, one line per hue value
    df = pd.concat([sweep_df.assign(bandwidth_hz=b) for b in (1e6, 5e6)], ignore_index=True)
    ax = plots.sweep(df, x="bandwidth_hz", hue="deadline_ms")
    assert ax.get_xlabel() == "bandwidth (MHz)"
    assert len(lines(ax, "sweep")) == sweep_df.deadline_ms.nunique()
    np.testing.assert_allclose(lines(ax, "sweep")[0].get_xdata(), [1.0, 5.0])
    with pytest.raises(ValueError, match="no column"):
        plots.sweep(sweep_df, x="gain_db")


def schedule_instance():
    rng = np.random.default_rng(3)
    f = np.array([400.0, 800.0, 1200.0])
    m = np.array([1600.0, 3200.0])
    F, M = np.meshgrid(f / 1200, m / 3200, indexing="ij")
    t = rng.uniform(1, 4, (6, 1, 1)) / F + rng.uniform(0.5, 1, (6, 1, 1)) / M
    e = (2 + 8 * F**3 + 2 * M**2) * t / 1000
    return dvfskit.block_tables(t, e, f, m)


def test_schedule_timeline():
    bt = schedule_instance()
    deadline = float(bt.latency_ms.min(axis=1).sum() * 1.5)
    s = bt.schedule(deadline, switch_time_ms=0.2)
    ax = plots.schedule(s)
    assert ax.get_xlabel() == "time (ms)"
    assert ax.get_ylabel() == "compute frequency (MHz)"
    blocks = [p for p in ax.patches if p.get_gid() == "block"]
    assert len(blocks) == s.num_blocks
    df = s.to_dataframe()
    np.testing.assert_allclose([p.get_x() for p in blocks], df.start_ms)
    np.testing.assert_allclose([p.get_width() for p in blocks], df.latency_ms)
    np.testing.assert_allclose([p.get_height() for p in blocks], df.f_mhz)
    assert len([p for p in ax.patches if p.get_gid() == "switch"]) == int((df.switch_time_ms > 0).sum())
    deadline_lines = [ln for ln in ax.lines if ln.get_label().startswith("deadline")]
    assert deadline_lines[0].get_xdata()[0] == pytest.approx(deadline)
    # configurations in the legend, one each
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sum(t.startswith("f = ") for t in legend) == df.config.nunique()


def test_schedule_unlabelled():
    s = dvfskit.schedule(np.array([[1.0, 2.0], [1.0, 3.0]]), np.array([[2.0, 1.0], [2.0, 1.0]]), 10.0)
    ax = plots.schedule(s)
    assert ax.get_ylabel() == "block"
    assert len([p for p in ax.patches if p.get_gid() == "block"]) == 2


def test_solution_timeline(problem):
    sol = dvfskit.solve(problem.with_scenario(deadline_ms=500.0))
    ax = plots.solution(sol)
    parts = [p for p in ax.patches if p.get_gid() == "part"]
    assert len(parts) == 3
    np.testing.assert_allclose(sum(p.get_width() for p in parts), sol.latency_ms)
    assert ax.get_xlabel() == "time (ms)"


def test_plot_methods(problem):
    df = synthetic()
    d = df[df.device == "a"]
    res = dvfskit.fit("joint_mem_comp", d, "latency_ms")
    assert points(res.plot(d)) == len(d)
    table = dvfskit.fit("joint_mem_comp", df, "latency_ms", by="device")
    assert points(table.plot(df, key="a")) == len(d)
    sol = dvfskit.solve(problem)
    assert lines(sol.plot(problem), "solution")
    assert len([p for p in sol.plot().patches if p.get_gid() == "part"]) == 3
    bt = schedule_instance()
    s = bt.schedule(float(bt.latency_ms.min(axis=1).sum() * 2))
    assert len([p for p in s.plot().patches if p.get_gid() == "block"]) == s.num_blocks


def test_draws_on_given_axes(problem):
    fig, axes = plt.subplots(1, 2)
    out = plots.heatmap(problem, ax=axes[0])
    assert out is axes[0]
    bt = schedule_instance()
    s = bt.schedule(float(bt.latency_ms.min(axis=1).sum() * 2))
    assert plots.schedule(s, ax=axes[1]) is axes[1]


def test_heatmap_full_offload_and_infeasible():
    loose = examples.tx2_offloading_problem("400x400", deadline_ms=600.0)
    sol = dvfskit.solve(loose)
    assert sol.split == 0
    ax = plots.heatmap(loose, solution=sol)
    assert not lines(ax, "solution") and "offloads everything" in ax.get_title()
    tight = loose.with_scenario(deadline_ms=100.0)
    sol = dvfskit.solve(tight)
    assert not sol.feasible
    ax = plots.heatmap(tight, solution=sol)
    assert "INFEASIBLE" in lines(ax, "solution")[0].get_label()
    assert "INFEASIBLE" in plots.solution(sol).get_title()


def test_pareto_model_problem_front_only():
    dev = dvfskit.Device("W / f + M / m", "p0 + k * f**2 + q * m", {"W": [100.0, 200.0], "M": [300.0, 100.0], "q": [1e-4, 1e-4],
                                                            "p0": [0.5, 0.5], "k": [2e-6, 2e-6]},
                         (100.0, 1000.0), (200.0, 3200.0))
    ch = dvfskit.Channel(1e6, 1e-7, 1e-17, 1.0, 0.05)
    p = dvfskit.Problem.from_models(dev, ch, dvfskit.Server([0.5, 0.2, 0.0]), [1e5, 5e4, 0.0], 1.0,
                                    partial_offloading=False)
    ax = plots.pareto(p, num_deadlines=8)
    assert [ln.get_gid() for ln in ax.lines] == ["front"]
    assert points(ax, "plans") == 0
