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


def solution_box(ax: Axes):
    """The outline of the chosen cell on a heatmap (exactly one)."""
    boxes = [p for p in ax.patches if p.get_gid() == "solution"]
    assert len(boxes) == 1
    return boxes[0]


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
    ax = plots.fit(table, df, facets=False)
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
    box = solution_box(ax)
    assert box.get_x() < sol.compute_freq_mhz < box.get_x() + box.get_width()
    assert box.get_y() < sol.mem_freq_mhz < box.get_y() + box.get_height()
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
    assert solution_box(sol.plot(problem))
    assert len([p for p in sol.plot().patches if p.get_gid() == "part"]) == 3
    bt = schedule_instance()
    s = bt.schedule(float(bt.latency_ms.min(axis=1).sum() * 2))
    assert len([p for p in s.plot().patches if p.get_gid() == "block"]) == s.num_blocks
    panels = table.plot(df)  # every group: one panel each
    assert len(panels) == 2 and all(isinstance(a, Axes) for a in panels)


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
    assert not [p for p in ax.patches if p.get_gid() == "solution"] and "offloads everything" in ax.get_title()
    tight = loose.with_scenario(deadline_ms=100.0)
    sol = dvfskit.solve(tight)
    assert not sol.feasible
    ax = plots.heatmap(tight, solution=sol)
    assert "INFEASIBLE" in solution_box(ax).get_label()
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


# --------------------------------------------------------------------------------------------
# Layout, checked on the drawn figure (written to tmp_path as PNG, as a reader would see it)


def render(fig, path) -> "object":
    """Draw ``fig`` (saved as a PNG at ``path``) and return its renderer: extents are final."""
    fig.savefig(path, dpi=100)
    return fig.canvas.get_renderer()


def overlap(a, b) -> bool:
    """Do two display-space boxes share area (touching edges do not count)?"""
    return min(a.x1, b.x1) - max(a.x0, b.x0) > 0.5 and min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5


def clear_of_x_axis(ax: Axes, renderer) -> None:
    """The legend sits below the Axes, clear of the x tick labels and the x label."""
    legend = ax.get_legend().get_window_extent(renderer)
    decorations = ax.xaxis.get_tightbbox(renderer)
    assert ax.xaxis.label.get_window_extent(renderer).y0 > legend.y1
    assert not overlap(legend, decorations)
    assert not overlap(legend, ax.get_window_extent(renderer))


def test_solution_timeline_legend_clears_the_x_label(problem, tmp_path):
    for deadline in (300.0, 500.0):  # all local, and full offload
        ax = plots.solution(dvfskit.solve(problem.with_scenario(deadline_ms=deadline)))
        renderer = render(ax.figure, tmp_path / f"solution_{deadline:g}.png")
        clear_of_x_axis(ax, renderer)
        assert len(ax.get_legend().get_texts()) == 3
    fig, axes = plt.subplots(2, 1, figsize=(6, 5), layout="constrained")  # on given, short Axes
    for ax, deadline in zip(axes, (300.0, 500.0)):
        plots.solution(dvfskit.solve(problem.with_scenario(deadline_ms=deadline)), ax=ax)
    renderer = render(fig, tmp_path / "solutions.png")
    for ax in axes:
        clear_of_x_axis(ax, renderer)
    assert not overlap(axes[0].get_legend().get_window_extent(renderer), axes[1].get_tightbbox(renderer))


def test_below_axes_legends_clear_rotated_tick_labels(problem, tmp_path):
    """Heatmap (9 compute frequencies: rotated tick labels), Pareto front and schedule."""
    f = np.linspace(100.0, 1300.0, 9)
    m = np.array([800.0, 1600.0, 3200.0])
    F, M = np.meshgrid(f / 1300, m / 3200, indexing="ij")
    t = np.stack([10 / F + 3 / M] * 3)
    power = 1 + 3 * F**2 + M
    p = dvfskit.Problem.from_tables(t, np.broadcast_to(power, t.shape), f, m, [1e6, 5e5, 1e5, 1e3],
                                    [3.0, 2.0, 1.0, 0.0], deadline_ms=80.0, bandwidth_hz=1e6, gain=1e-11,
                                    noise_w_per_hz=4e-21, p_max_w=0.5, p_circuit_w=0.1)
    sol = dvfskit.solve(p)
    assert sol.split > 0
    bt = schedule_instance()
    figures = {"heatmap": plots.heatmap(p, solution=sol), "pareto": plots.pareto(problem, num_deadlines=10),
               "schedule": plots.schedule(bt.schedule(float(bt.latency_ms.min(axis=1).sum() * 1.5), switch_time_ms=0.2))}
    assert figures["heatmap"].get_xticklabels()[0].get_rotation() == 45
    for name, ax in figures.items():
        clear_of_x_axis(ax, render(ax.figure, tmp_path / f"{name}.png"))


def test_heatmap_value_of_the_chosen_cell_stays_readable(problem, tmp_path):
    sol = dvfskit.solve(problem)
    ax = plots.heatmap(problem, quantity="energy", solution=sol)
    renderer = render(ax.figure, tmp_path / "heatmap.png")
    chosen = [t for t in ax.texts if t.get_gid() == "chosen_value"]
    assert len(chosen) == 1
    text = chosen[0]
    assert text.get_position() == (pytest.approx(sol.compute_freq_mhz), pytest.approx(sol.mem_freq_mhz))
    assert text.get_text() == f"{sol.energy_compute_j:.3g}" and text.get_visible()
    assert text.get_fontweight() == "bold"
    # the mark is an unfilled outline around the text, drawn under it; no marker covers the text
    box = solution_box(ax)
    assert not box.get_fill() and box.get_zorder() < text.get_zorder()
    extent = text.get_window_extent(renderer)
    outline = box.get_window_extent(renderer)
    assert outline.x0 < extent.x0 and extent.x1 < outline.x1 and outline.y0 < extent.y0 and extent.y1 < outline.y1
    covering = [ln for ln in ax.lines if ln.get_marker() not in (None, "None", "", " ")
                and overlap(ln.get_window_extent(renderer), extent)]
    assert not covering
    assert sum(t.get_gid() == "value" for t in ax.texts) == problem.compute_freqs_mhz.size * problem.mem_freqs_mhz.size - 1
    with pytest.raises(ValueError, match="not a cell of this frequency grid"):  # another problem's solution
        plots.heatmap((np.ones((2, 2)), np.ones((2, 2)), [1.0, 2.0], [3.0, 4.0]), solution=sol)


def grouped(n: int) -> pd.DataFrame:
    """``n`` devices, 6 compute x 3 memory frequencies each, different speeds."""
    frames = []
    for i in range(n):
        d = synthetic(i)
        d = d[d.device == "a"].assign(device=f"d{i:02d}")
        frames.append(d.assign(latency_ms=d.latency_ms * (1 + i / 10)))
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("n", [4, 12])  # 2 x 2 panels; 12: the compact grid used from 10 groups on
def test_fit_table_facets_one_panel_per_group_and_a_shared_legend(n, tmp_path):
    df = grouped(n)
    table = dvfskit.fit("joint_mem_comp", df, "latency_ms", by="device")
    panels = table.plot(df)
    assert len(panels) == n
    fig = panels[0].figure
    renderer = render(fig, tmp_path / f"facets_{n}.png")
    assert [a.get_title() for a in panels] == [f"{k}: MAPE {table[k].mape:.3g} %" for k in table]
    for a, k in zip(panels, table):
        assert points(a) == (df.device == k).sum()
        assert len(lines(a, "fit")) == 3
        assert a.get_legend() is None
    # one colour per memory frequency, the same in every panel
    colours = {tuple(ln.get_color() if isinstance(ln.get_color(), tuple) else [ln.get_color()]) for a in panels
               for ln in lines(a, "fit")}
    assert len(colours) == 3
    assert len(fig.legends) == 1
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["m = 800 MHz", "m = 1600 MHz", "m = 3200 MHz",
                                                          "measured", "fitted"]
    box = legend.get_window_extent(renderer)
    extents = [a.get_tightbbox(renderer) for a in panels]  # with tick labels and titles
    assert not any(overlap(box, e) for e in extents)
    for text in (fig._suptitle, fig._supxlabel, fig._supylabel):
        assert not overlap(box, text.get_window_extent(renderer))
    assert not any(overlap(extents[i], extents[j]) for i in range(n) for j in range(i + 1, n))


def test_fit_table_overlay_and_limits(tmp_path, monkeypatch):
    df = grouped(7)
    table = dvfskit.fit("joint_mem_comp", df, "latency_ms", by="device")
    ax = table.plot(df, facets=False)  # 21 curves: no legend, and the title says why
    assert ax.get_legend() is None and "21 curves, no legend: facets=True" in ax.get_title()
    small = grouped(3)
    t3 = dvfskit.fit("joint_mem_comp", small, "latency_ms", by="device")
    ax = t3.plot(small, facets=False)  # 9 curves: legend outside on the right
    renderer = render(ax.figure, tmp_path / "overlay.png")
    assert len(ax.get_legend().get_texts()) == 9
    assert ax.get_legend().get_window_extent(renderer).x0 > ax.get_window_extent(renderer).x1
    fig, given = plt.subplots()
    assert t3.plot(small, ax=given) is given  # on a given Axes: overlay
    with pytest.raises(ValueError, match="facets=False"):
        t3.plot(small, ax=given, facets=True)
    parity = t3.plot()  # no data: one parity panel per group
    assert len(parity) == 3 and parity[0].get_xlabel() == "" and points(parity[1]) == (small.device == "d01").sum()
    monkeypatch.setattr(plots, "_MAX_FACETS", 5)  # (60 panels by default)
    panels = table.plot(df)
    assert len(panels) == 5 and "5 of 7 groups shown" in panels[0].figure._suptitle.get_text()
    assert [a.get_title().split(":")[0] for a in panels] == list(table)[:5]


def test_demo_figure_titles_do_not_overlap(problem, tmp_path):
    from dvfskit import datasets, demo

    tx = datasets.tx2_xception()
    tx = tx[(tx.cpu_freq_mhz == tx.cpu_freq_mhz.max()) & (tx.input_size == "400x400")]
    swept = dvfskit.sweep(problem, grid={"deadline_ms": np.linspace(220.0, 900.0, 8), "bandwidth_hz": [1e6, 4e6]},
                          progress=False)
    tables = demo.a100_forward_tables(datasets.a100_stages())
    fig = demo.figure(tx, problem, swept, tables, 1.2 * float(tables.latency_ms.sum(axis=0).min()))
    renderer = render(fig, tmp_path / "demo.png")
    axes = [a for a in fig.axes if a.get_title()]
    assert len(axes) == 4
    titles = [a.title.get_window_extent(renderer) for a in axes]
    assert not any(overlap(titles[i], titles[j]) for i in range(4) for j in range(i + 1, 4))
    for i, a in enumerate(axes):  # a title clears every other panel (and its colour bar)
        for other in fig.axes:
            if other is not a:
                assert not overlap(titles[i], other.get_tightbbox(renderer))
        assert titles[i].x0 >= 0 and titles[i].x1 <= fig.bbox.x1  # inside the figure
    heat = axes[1]
    clear_of_x_axis(heat, renderer)
    plt.close(fig)


def knob_problem():
    """A sparse CPU x GPU x EMC x core-mask set: 3 x 4 x 2 x 2 grid with some configurations unmeasured."""
    axes = {"cpu_freq_mhz": [345.6, 1190.4, 2035.2], "compute_freq_mhz": [140.25, 497.25, 943.5, 1300.5],
            "mem_freq_mhz": [1062.4, 1866.0], "core_mask": ["1111", "1100"]}
    grid = pd.MultiIndex.from_product(axes.values(), names=list(axes)).to_frame(index=False)
    drop = (grid["compute_freq_mhz"] == 497.25) & (grid["mem_freq_mhz"] == 1062.4)  # never measured
    configs = grid[~drop].reset_index(drop=True)
    f, c, m = (configs[k].to_numpy() for k in ("compute_freq_mhz", "cpu_freq_mhz", "mem_freq_mhz"))
    cores = configs["core_mask"].str.count("1").to_numpy()
    lat = np.vstack([60 / f * 100 + 20 / c * 100 * 4 / cores + 30 / m * 100, 30 / f * 100 + 10 / c * 100])
    pw = np.vstack([1 + 2e-6 * f**2 + 4e-7 * c**2 + 0.2 * cores] * 2)
    return dvfskit.Problem.from_config_tables(configs, lat, pw, [1e9, 1e9, 0.0], [5.0, 2.0, 0.0], bandwidth_hz=1e6,
                                              gain=1e-7, noise_w_per_hz=1e-17, p_max_w=1.0, deadline_ms=200.0)


def test_heatmap_over_knobs_blank_where_unmeasured():
    p = knob_problem()
    sol = dvfskit.solve(p)
    ax = plots.heatmap(p, quantity="latency", solution=sol)
    # the two frequency knobs with most levels, the others at the optimum's values
    assert ax.get_xlabel() == "compute frequency (MHz)" and ax.get_ylabel() == "CPU frequency (MHz)"
    z = np.ma.masked_invalid(np.asarray(ax.collections[0].get_array())).reshape(3, 4)
    assert z.mask.sum() == (0 if sol.config["mem_freq_mhz"] == 1866.0 else 3)  # the unmeasured column, blank
    assert f"core_mask = {sol.config['core_mask']}" in ax.get_title()
    assert f"mem_freq_mhz = {sol.config['mem_freq_mhz']:g}" in ax.get_title()
    box = solution_box(ax)
    assert box.get_x() < sol.config["compute_freq_mhz"] < box.get_x() + box.get_width()
    assert box.get_y() < sol.config["cpu_freq_mhz"] < box.get_y() + box.get_height()
    assert "core_mask" in box.get_label() and "cpu_freq_mhz" in box.get_label()
    # a label knob on an axis, the memory frequency fixed where a column is missing
    ax = plots.heatmap(p, quantity="latency", x="compute_freq_mhz", y="core_mask",
                       fixed={"mem_freq_mhz": 1062.4, "cpu_freq_mhz": 345.6})
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1100", "1111"]
    z = np.ma.masked_invalid(np.asarray(ax.collections[0].get_array())).reshape(2, 4)
    assert z.mask[:, 1].all() and not z.mask[:, [0, 2, 3]].any()
    lat = p.config_latency_ms.sum(axis=0)
    k = p.configs.index(cpu_freq_mhz=345.6, compute_freq_mhz=1300.5, mem_freq_mhz=1062.4, core_mask="1100")
    assert z[0, 3] == pytest.approx(lat[k])
    with pytest.raises(ValueError, match="unknown knob"):
        plots.heatmap(p, x="gpu_mhz", y="core_mask")
    # a solution outside the slice shown is not marked
    other = 345.6 if sol.config["cpu_freq_mhz"] != 345.6 else 2035.2
    ax = plots.heatmap(p, solution=sol, x="compute_freq_mhz", y="mem_freq_mhz", fixed={"cpu_freq_mhz": other})
    assert not [q for q in ax.patches if q.get_gid() == "solution"] and "not in this slice" in ax.get_title()


def test_solution_and_pareto_over_knobs():
    p = knob_problem()
    sol = dvfskit.solve(p)
    title = plots.solution(sol).get_title()
    for knob, value in sol.config.items():
        assert knob in title
    ax = plots.pareto(p, num_deadlines=8)
    assert points(ax, "plans") == 1 + p.num_blocks * len(p.configs)
