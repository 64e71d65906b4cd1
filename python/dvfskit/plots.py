"""``dvfskit.plots``: matplotlib figures for fits, decision problems, sweeps and schedules.

Every function draws on ``ax`` (a :class:`matplotlib.axes.Axes`) when given, else on a new
figure, and returns the Axes. Units follow the rest of dvfskit: frequencies in MHz, time in ms,
power in W, energy in J (mJ where noted), bandwidth in Hz (drawn in MHz).

- :func:`fit`: measured points and fitted curves over compute frequency, one colour per memory
  frequency (``FitResult.plot`` / ``FitTable.plot``).
- :func:`residuals`: residuals against fitted value or an input column.
- :func:`heatmap`: latency, power or energy over (compute, memory) frequency, with the chosen
  operating point of a :class:`~dvfskit.Solution` marked.
- :func:`pareto`: the device-energy / latency Pareto front of an offloading problem, the plans
  it is made of and the literature's baselines.
- :func:`sweep`: energy (or split, latency ...) against deadline or bandwidth from a sweep
  DataFrame, with baseline energies.
- :func:`schedule`: a per-block frequency schedule as a timeline (``Schedule.plot``).
- :func:`compare`: models side by side from a :func:`dvfskit.compare` table.
- :func:`governor`: a governor run's trace as a timeline (``GovernorResult.plot``).
- :func:`solution`: one offloading decision as a timeline, or on a heatmap (``Solution.plot``).

matplotlib is imported when a function runs, not when dvfskit is imported.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Dict, Hashable, List, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ._fit import FitResult
    from ._fit_table import FitTable
    from ._schedule import BlockTables, Schedule
    from ._solve import Problem, Solution

__all__ = ["fit", "residuals", "heatmap", "pareto", "sweep", "schedule", "solution", "compare", "label"]

_NAMES = {
    "compute_freq_mhz": "compute frequency (MHz)",
    "mem_freq_mhz": "memory frequency (MHz)",
    "cpu_freq_mhz": "CPU frequency (MHz)",
    "dla_freq_mhz": "DLA frequency (MHz)",
    "core_mask": "active CPU cores (mask)",
    "config": "configuration (index)",
    "offload_fraction": "offloaded share",
    "latency_ms": "latency (ms)",
    "power_w": "power (W)",
    "energy_j": "device energy (J)",
    "deadline_ms": "deadline (ms)",
    "bandwidth_hz": "bandwidth (MHz)",
    "split": "split point (blocks run locally)",
    "tx_power_w": "transmit power (W)",
    "gain": "channel gain",
    "noise_w_per_hz": "noise density (W/Hz)",
}
_SUFFIXES = (("_w_per_hz", "W/Hz"), ("_mhz", "MHz"), ("_ghz", "GHz"), ("_khz", "kHz"), ("_hz", "Hz"),
             ("_ms", "ms"), ("_us", "us"), ("_s", "s"), ("_mw", "mW"), ("_w", "W"), ("_mj", "mJ"),
             ("_j", "J"), ("_pct", "%"), ("_bits", "bit"))
_MAX_LEGEND = 20


def label(column: str) -> str:
    """An axis label for a column name with its unit, e.g. ``"latency_ms"`` -> ``"latency (ms)"``,
    ``"bandwidth_hz"`` -> ``"bandwidth (MHz)"`` (bandwidth is drawn in MHz)."""
    if column in _NAMES:
        return _NAMES[column]
    for suffix, unit in _SUFFIXES:
        if column.endswith(suffix) and len(column) > len(suffix):
            return f"{column[:-len(suffix)].replace('_', ' ')} ({unit})"
    return column.replace("_", " ")


def _axes(ax: Optional["Axes"], figsize: Tuple[float, float] = (6.4, 4.4)) -> "Axes":
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def _legend(ax: "Axes", below: bool = False, **kw: Any) -> None:
    """The Axes' legend (when it has 1 .. _MAX_LEGEND entries). ``below``: centred under the x
    axis, clear of its tick labels and label: their depth is measured now, in points, so the
    gap survives the layout engine resizing the Axes."""
    handles, labels = ax.get_legend_handles_labels()
    if not 0 < len(labels) <= _MAX_LEGEND:
        return
    if below:
        from matplotlib.transforms import offset_copy

        fig: Any = ax.figure
        renderer = fig.canvas.get_renderer() if hasattr(fig.canvas, "get_renderer") else fig._get_renderer()
        decorations = ax.xaxis.get_tightbbox(renderer)
        depth = 0.0 if decorations is None else max(0.0, ax.bbox.y0 - decorations.y0) * 72.0 / fig.dpi
        kw = {"loc": "upper center", "bbox_to_anchor": (0.5, 0.0),
              "bbox_transform": offset_copy(ax.transAxes, fig=fig, y=-(depth + 6.0), units="points"), **kw}
    ax.legend(**{"fontsize": "small", **kw})


def _model_quantity(model: Any) -> Tuple[str, str]:
    """("latency", "ms") or ("power", "W") guessed from the model's parameter units, else ("y", "")."""
    units = [str(u) for u in getattr(model, "units", {}).values()]
    if any(u == "W" or u.startswith("W/") for u in units):
        return "power", "W"
    if any(u == "ms" or u.startswith("ms*") for u in units):
        return "latency", "ms"
    return "y", ""


def _y_label(model: Any, ylabel: Optional[str], prefix: str = "") -> str:
    if ylabel:
        return ylabel
    quantity, unit = _model_quantity(model)
    text = f"{prefix}{quantity}" if prefix else quantity
    return f"{text} ({unit})" if unit else text


def _mhz(v: float) -> str:
    return f"{v:.6g} MHz"


# ---------------------------------------------------------------------------------------------
# Fits


def _group_rows(data: Any, by: Sequence[str], key: Hashable) -> pd.DataFrame:
    df = data if isinstance(data, pd.DataFrame) else pd.DataFrame(dict(data))
    values = key if isinstance(key, tuple) and len(by) > 1 else (key,)
    mask = np.ones(len(df), dtype=bool)
    for column, value in zip(by, values):
        mask &= (df[column] == value).to_numpy()
    return df[mask]


def _fit_columns(model: Any, x: Optional[str]) -> Tuple[str, Optional[str], List[str]]:
    """(x-axis input, input drawn as one curve per value or None, other inputs)."""
    inputs = list(model.inputs)
    xcol = x or ("compute_freq_mhz" if "compute_freq_mhz" in inputs else inputs[0])
    gcol = "mem_freq_mhz" if "mem_freq_mhz" in inputs and xcol != "mem_freq_mhz" else None
    return xcol, gcol, [c for c in inputs if c not in (xcol, gcol)]


def _draw_fit(ax: "Axes", res: "FitResult", data: Any, x: Optional[str], prefix: str, colors: List[int],
              palette: Optional[Dict[Any, Any]] = None) -> None:
    """Measured points and fitted curves of one FitResult; ``colors`` is a shared counter, or
    ``palette`` maps each memory frequency (None: the only curve) to its colour."""
    def color(g: Any) -> Any:
        if palette is not None:
            return palette[g]
        colors[0] += 1
        return f"C{(colors[0] - 1) % 10}"

    model = res.model
    if data is None:  # no inputs: measured vs fitted (parity)
        ax.scatter(res.y, res.prediction, s=14, color=color(None), label=prefix.rstrip(": ") or None, gid="data")
        return
    df = data if isinstance(data, pd.DataFrame) else pd.DataFrame(dict(data))
    if len(df) != res.n:
        raise ValueError(f"data has {len(df)} rows but the fit has {res.n} points: pass the data it was fitted on")
    xcol, gcol, extra = _fit_columns(model, x)
    if xcol not in df:
        raise ValueError(f"data has no column {xcol!r} to draw on the x axis")
    xv = df[xcol].to_numpy(float)
    groups = np.sort(df[gcol].unique()) if gcol else [None]
    for g in groups:
        rows = np.ones(len(df), dtype=bool) if g is None else (df[gcol] == g).to_numpy()
        c = color(g)
        name = prefix + (f"m = {_mhz(g)}" if g is not None else "fit")
        ax.scatter(xv[rows], res.y[rows], s=14, color=c, alpha=0.75, gid="data")
        if extra:  # other inputs vary: fitted values at the measured points
            order = np.argsort(xv[rows], kind="stable")
            ax.plot(xv[rows][order], res.prediction[rows][order], "x", color=c, label=name, gid="fit")
        else:
            grid = np.linspace(xv[rows].min(), xv[rows].max(), 200)
            inputs_grid = {xcol: grid}
            if gcol is not None and g is not None:
                inputs_grid[gcol] = np.full(grid.size, float(g))
            ax.plot(grid, res.predict(inputs_grid), "-", color=c, label=name, gid="fit")


def _parity_line(ax: "Axes") -> None:
    lo, hi = ax.get_xlim()
    lo, hi = min(lo, ax.get_ylim()[0]), max(hi, ax.get_ylim()[1])
    ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="y = x")


_MAX_FACETS = 60


def _fit_facets(table: "FitTable", data: Any, x: Optional[str], ylabel: Optional[str]) -> np.ndarray:
    """One panel per group (at most _MAX_FACETS), x shared, y free, one legend for the figure:
    a colour per memory frequency, the same in every panel."""
    import matplotlib as mpl
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    model = table.model
    keys = list(table)
    shown = keys[:_MAX_FACETS]
    n = len(shown)
    ncols = math.ceil(math.sqrt(n)) if n <= 9 else math.ceil(math.sqrt(1.5 * n))
    nrows = math.ceil(n / ncols)
    width, height = (3.4, 2.6) if n <= 9 else (2.3, 1.9)
    fig, grid = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows + 1.0), layout="constrained",
                             squeeze=False)
    axes = grid.ravel()
    for spare in axes[n:]:
        spare.remove()
    xcol, gcol, extra = _fit_columns(model, x)
    frame = None if data is None else (data if isinstance(data, pd.DataFrame) else pd.DataFrame(dict(data)))
    values: List[Any] = [None]
    if frame is not None and gcol is not None and gcol in frame:
        values = sorted(frame[gcol].unique())
    if len(values) <= 10:
        palette = {v: f"C{i}" for i, v in enumerate(values)}
    else:
        palette = dict(zip(values, mpl.colormaps["viridis"](np.linspace(0.0, 0.9, len(values)))))
    for ax, k in zip(axes, shown):
        res = table[k]
        _draw_fit(ax, res, None if frame is None else _group_rows(frame, table.by, k), x, "", [0], palette)
        if frame is None:
            _parity_line(ax)
        ax.set_title(f"{k}: MAPE {res.mape:.3g} %", fontsize="small")
        ax.tick_params(labelsize="x-small")
    if frame is not None:  # one x range (set here: matplotlib's shared axes get slow with many panels)
        lo, hi = min(a.get_xlim()[0] for a in axes[:n]), max(a.get_xlim()[1] for a in axes[:n])
        for i, ax in enumerate(axes[:n]):
            ax.set_xlim(lo, hi)
            ax.tick_params(labelbottom=i + ncols >= n)  # tick labels under the lowest panel of each column
    yl = _y_label(model, ylabel)
    fig.supxlabel(f"measured {yl}" if frame is None else label(xcol), fontsize="medium")
    fig.supylabel(f"fitted {yl}" if frame is None else yl, fontsize="medium")
    handles = [Line2D([], [], color=palette[v], marker="o", ms=4, label=f"m = {_mhz(v)}")
               for v in values if v is not None and len(values) <= _MAX_LEGEND]
    if frame is None:
        handles.append(Line2D([], [], color="k", ls="--", lw=1, label="fitted = measured"))
    else:
        handles += [Line2D([], [], color="grey", marker="o", ms=4, ls="", label="measured"),
                    Line2D([], [], color="grey", marker="x" if extra else "", ls="" if extra else "-", label="fitted")]
    fig.legend(handles=handles, loc="outside right upper", fontsize="small")
    shown_note = f"; {n} of {len(keys)} groups shown, key= draws any one" if n < len(keys) else ""
    colour_note = f"; colour: memory frequency ({len(values)} values)" if len(values) > _MAX_LEGEND else ""
    fig.suptitle(f"{model.name} per {', '.join(table.by)}{shown_note}{colour_note}")
    return axes[:n]


def fit(
    result_or_table: Union["FitResult", "FitTable"],
    data: Any = None,
    *,
    key: Optional[Hashable] = None,
    x: Optional[str] = None,
    ylabel: Optional[str] = None,
    facets: Optional[bool] = None,
    ax: Optional["Axes"] = None,
) -> Any:
    """Measured (markers) vs fitted (lines) latency or power over compute frequency.

    Parameters
    ----------
    result_or_table:
        A :class:`~dvfskit.FitResult`, or a :class:`~dvfskit.FitTable` of grouped fits.
    data:
        The DataFrame (or mapping) the fit was made on, holding the model inputs
        (``compute_freq_mhz`` in MHz, ``mem_freq_mhz`` in MHz ...). For a FitTable, the whole
        grouped DataFrame (rows of each group are picked by the ``by`` columns). Without
        ``data`` the inputs are unknown and a parity plot (fitted vs measured) is drawn.
    key:
        For a FitTable: the one group to draw; None draws every group.
    x:
        The input on the x axis (default ``compute_freq_mhz``, else the model's first input).
        One curve is drawn per memory frequency when the model has ``mem_freq_mhz``; when
        other inputs vary, fitted values are drawn at the measured points (crosses).
    ylabel:
        y-axis label; default from the model's parameter units ("latency (ms)", "power (W)").
    facets:
        For every group of a FitTable: one panel per group (small multiples: shared x axis,
        each its own y range, titled with its key and MAPE; one legend for the figure, a colour
        per memory frequency; at most 60 panels, the title says when groups are left out).
        Default: facets when there are several groups and no ``ax``. ``facets=False`` overlays
        the groups on one Axes (legend outside on the right, up to 20 curves).
    ax:
        Axes to draw on; default a new figure.

    Returns
    -------
    The Axes, or for facets a 1-D array of Axes, one per group drawn.
    """
    from ._fit_table import FitTable

    if isinstance(result_or_table, FitTable) and key is None:
        if facets is None:
            facets = ax is None and len(result_or_table) > 1
        if facets:
            if ax is not None:
                raise ValueError("facets draw a figure of their own: pass facets=False to draw on ax")
            return _fit_facets(result_or_table, data, x, ylabel)
    ax = _axes(ax)
    colors = [0]
    overlay = False
    if isinstance(result_or_table, FitTable):
        table = result_or_table
        model = table.model
        keys = [key] if key is not None else list(table)
        overlay = key is None
        for k in keys:
            part = None if data is None else _group_rows(data, table.by, k)
            prefix = "" if key is not None else f"{k}: "
            _draw_fit(ax, table[k], part, x, prefix, colors)
        title = f"{model.name}" + (f" ({', '.join(table.by)} = {key})" if key is not None else f" per {', '.join(table.by)}")
    else:
        model = result_or_table.model
        _draw_fit(ax, result_or_table, data, x, "", colors)
        title = f"{model.name}: R2 = {result_or_table.r2:.4f}, MAPE = {result_or_table.mape:.3g} %"
    yl = _y_label(model, ylabel)
    if data is None:
        _parity_line(ax)
        ax.set_xlabel(f"measured {yl}")
        ax.set_ylabel(f"fitted {yl}")
        title += "\nfitted vs measured"
    else:
        ax.set_xlabel(label(_fit_columns(model, x)[0]))
        ax.set_ylabel(yl)
        title += "\nmarkers: measured, lines: fitted"
    curves = len(ax.get_legend_handles_labels()[1])
    if overlay and curves > _MAX_LEGEND:
        title += f"\n({curves} curves, no legend: facets=True)"
    ax.set_title(title)
    if overlay:
        _legend(ax, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    else:
        _legend(ax)
    return ax


def residuals(
    result: Union["FitResult", "FitTable"],
    data: Any = None,
    *,
    x: str = "fitted",
    key: Optional[Hashable] = None,
    ylabel: Optional[str] = None,
    ax: Optional["Axes"] = None,
) -> "Axes":
    """Residuals ``measured - fitted`` (units of y: ms or W) against the fitted value
    (``x="fitted"``) or against an input column of ``data`` (e.g. ``x="compute_freq_mhz"``).

    A FitTable draws one colour per group (or only group ``key``); ``data`` is then the grouped
    DataFrame. A dashed line marks zero.
    """
    from ._fit_table import FitTable

    ax = _axes(ax)
    if isinstance(result, FitTable):
        items = [(k, result[k]) for k in ([key] if key is not None else list(result))]
        by: Optional[List[str]] = result.by
        model = result.model
    else:
        items, by, model = [(None, result)], None, result.model
    for i, (k, res) in enumerate(items):
        if x == "fitted":
            xv = res.prediction
        else:
            if data is None:
                raise ValueError(f"residuals against {x!r} need the data the fit was made on")
            part = _group_rows(data, by, k) if by is not None else data
            if len(part) != res.n:
                raise ValueError(f"data has {len(part)} rows but the fit has {res.n} points")
            xv = np.asarray(part[x], dtype=float)
        ax.scatter(xv, res.residuals, s=14, color=f"C{i % 10}", alpha=0.8, gid="data",
                   label=None if k is None else str(k))
    ax.axhline(0.0, color="k", ls="--", lw=1)
    ax.set_xlabel(_y_label(model, None, "fitted ") if x == "fitted" else label(x))
    ax.set_ylabel(_y_label(model, ylabel, "residual ") if not ylabel else ylabel)
    if len(items) == 1:
        res = items[0][1]
        ax.set_title(f"{model.name} residuals: RMSE = {res.rmse:.4g}, n = {res.n}")
    else:
        ax.set_title(f"{model.name} residuals per {', '.join(by or [])}")
    _legend(ax)
    return ax


# ---------------------------------------------------------------------------------------------
# Heatmap over two knobs (compute and memory frequency by default)

_QUANTITIES = ("latency", "power", "energy")


class _Grid:
    """A heatmap's cells: x and y levels (numbers or labels), latency (ms) and energy (J) of shape
    (len(x), len(y)) with NaN where no configuration was measured, and labels."""

    def __init__(self, x: np.ndarray, y: np.ndarray, latency: np.ndarray, energy: np.ndarray, what: str,
                 x_knob: str = "compute_freq_mhz", y_knob: Optional[str] = "mem_freq_mhz",
                 fixed: Optional[Dict[str, Any]] = None) -> None:
        self.x, self.y, self.latency, self.energy, self.what = x, y, latency, energy, what
        self.x_knob, self.y_knob = x_knob, y_knob
        self.fixed = fixed or {}  # the other knobs' values in this slice


def _default_axes(configs: Any) -> Tuple[str, Optional[str]]:
    """The two frequency knobs with most levels (then other knobs), in knob order for ties."""
    knobs = list(configs.knobs)
    ranked = sorted(knobs, key=lambda k: (not k.endswith("_mhz"), -configs.levels(k).size, knobs.index(k)))
    return ranked[0], (ranked[1] if len(ranked) > 1 else None)


def _problem_grid(problem: "Problem", split: Optional[int], x: Optional[str], y: Optional[str],
                  fixed: Optional[Dict[str, Any]], reference: Optional[Dict[str, Any]]) -> _Grid:
    configs = problem.configs
    if x is None and y is None:
        x, y = _default_axes(configs)
    elif x is None or (y is None and len(configs.knobs) > 1 and fixed is None):
        raise ValueError("give both x= and y= (knobs), or neither for the two frequency knobs with most levels")
    for knob in (x, y):
        if knob is not None and knob not in configs.knobs:
            raise ValueError(f"unknown knob {knob!r}; knobs are {list(configs.knobs)}")
    if x == y:
        raise ValueError("x and y must be different knobs")
    others = [k for k in configs.knobs if k not in (x, y)]
    values: Dict[str, Any] = {}
    for k in others:  # given, else the reference configuration's (the optimum's), else the maximum
        if fixed and k in fixed:
            values[k] = fixed[k]
        elif reference is not None:
            values[k] = reference[k]
        else:
            values[k] = configs.levels(k)[-1]
    unknown = [k for k in (fixed or {}) if k not in others]
    if unknown:
        raise ValueError(f"fixed= names {unknown}, which are not knobs other than x and y ({others})")
    rows = configs.where(**values)
    if rows.size == 0:
        raise ValueError(f"no configuration has {values}")
    L = problem.num_blocks
    blocks = L if split is None or split <= 0 else int(split)
    lat_all = problem.config_latency_ms[:blocks]
    lat = lat_all.sum(axis=0)[rows]
    energy = (lat_all * problem.config_power_w[:blocks]).sum(axis=0)[rows] / 1000.0
    xs = configs.levels(x)
    xi = np.searchsorted(xs, configs.column(x)[rows].astype(xs.dtype))
    if y is None:
        ys, yi = np.array([0.0]), np.zeros(rows.size, dtype=int)
    else:
        ys = configs.levels(y)
        yi = np.searchsorted(ys, configs.column(y)[rows].astype(ys.dtype))
    t = np.full((xs.size, ys.size), np.nan)
    e = np.full((xs.size, ys.size), np.nan)
    t[xi, yi], e[xi, yi] = lat, energy
    what = f"local part: blocks 1..{blocks} of {L}"
    if values:
        what += "; " + ", ".join(f"{k} = {v:g}" if isinstance(v, (float, int, np.number)) else f"{k} = {v}"
                                 for k, v in values.items())
    if problem.tables_kind == "predicted":
        what += " (predicted)"
    return _Grid(xs, ys, t, e, what, x, y, values)


def _frequency_grid(obj: Any, split: Optional[int], x: Optional[str] = None, y: Optional[str] = None,
                    fixed: Optional[Dict[str, Any]] = None, reference: Optional[Dict[str, Any]] = None) -> _Grid:
    from ._schedule import BlockTables
    from ._solve import Problem

    if isinstance(obj, Problem):
        if obj._tables is None:
            raise ValueError("heatmap needs a problem with tables (discrete configurations), not Problem.from_models")
        return _problem_grid(obj, split, x, y, fixed, reference)
    if isinstance(obj, BlockTables):
        cfg = obj.configs
        frame = pd.DataFrame({"f": cfg["f_mhz"].to_numpy(), "m": cfg["m_mhz"].fillna(0.0).to_numpy(),
                              "t": obj.latency_ms.sum(axis=0), "e": obj.energy_j.sum(axis=0)})
        t = frame.pivot_table(index="f", columns="m", values="t")
        e = frame.pivot_table(index="f", columns="m", values="e")
        return _Grid(t.index.to_numpy(float), t.columns.to_numpy(float), t.to_numpy(), e.to_numpy(),
                     f"all {obj.num_blocks} blocks")
    if isinstance(obj, pd.DataFrame):
        need = {"compute_freq_mhz", "mem_freq_mhz", "latency_ms"}
        if not need <= set(obj.columns) or not ({"power_w", "energy_j"} & set(obj.columns)):
            raise ValueError("a measurement DataFrame needs compute_freq_mhz, mem_freq_mhz, latency_ms and "
                             "power_w or energy_j")
        df = obj.assign(_e=obj["energy_j"] if "energy_j" in obj else obj["power_w"] * obj["latency_ms"] / 1000.0)
        t = df.pivot_table(index="compute_freq_mhz", columns="mem_freq_mhz", values="latency_ms", aggfunc="mean")
        e = df.pivot_table(index="compute_freq_mhz", columns="mem_freq_mhz", values="_e", aggfunc="mean")
        what = "measured" + (" (mean over the other columns)" if len(df) > t.size else "")
        return _Grid(t.index.to_numpy(float), t.columns.to_numpy(float), t.to_numpy(), e.to_numpy(), what)
    if isinstance(obj, tuple) and len(obj) == 4:  # examples.tx2_tables(): latency, power, f, m
        lat, power, fq, mq = (np.asarray(v, dtype=float) for v in obj)
        return _Grid(fq, mq, lat, lat * power / 1000.0, "whole model")
    raise TypeError("heatmap takes a Problem with tables, BlockTables, a measurement DataFrame or "
                    "a (latency_ms, power_w, compute_freqs_mhz, mem_freqs_mhz) tuple")


def _edges(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    if v.size == 1:
        half = 0.05 * abs(v[0]) or 0.5
        return np.array([v[0] - half, v[0] + half])
    mid = (v[1:] + v[:-1]) / 2
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])


def _positions(levels: np.ndarray) -> Tuple[np.ndarray, List[str]]:
    """Axis coordinates of a knob's levels (the values, or 0..n-1 for labels) and tick labels."""
    if levels.dtype.kind in "fiu":
        v = levels.astype(float)
        return v, [f"{x:.5g}" for x in v]
    return np.arange(levels.size, dtype=float), [str(x) for x in levels]


def heatmap(
    problem_or_tables: Any,
    *,
    quantity: str = "energy",
    solution: Optional["Solution"] = None,
    x: Optional[str] = None,
    y: Optional[str] = None,
    fixed: Optional[Dict[str, Any]] = None,
    annotate: Optional[bool] = None,
    cmap: str = "viridis",
    ax: Optional["Axes"] = None,
) -> "Axes":
    """Latency (ms), average power (W) or energy (J, or mJ when below 0.1 J) over two knobs, with
    the chosen operating point marked; configurations that were not measured (sparse sets) are
    blank.

    Parameters
    ----------
    problem_or_tables:
        A :class:`~dvfskit.Problem` with tables (the local part: the first ``solution.split``
        blocks when a solution is given, else all blocks), a :class:`~dvfskit.BlockTables` (all
        blocks), a measurement DataFrame with ``compute_freq_mhz``, ``mem_freq_mhz``,
        ``latency_ms`` and ``power_w`` or ``energy_j`` (mean over the other columns), or the
        ``(latency_ms, power_w, compute_freqs_mhz, mem_freqs_mhz)`` tuple of
        :func:`dvfskit.examples.tx2_tables`.
    quantity:
        ``"latency"``, ``"power"`` (energy / latency) or ``"energy"``.
    solution:
        A :class:`~dvfskit.Solution`; the cell of its configuration is outlined in red and
        its value written in bold (nothing is marked when it runs nothing locally).
    x, y, fixed:
        For a Problem: the knobs on the axes (default: the two frequency knobs with most levels)
        and the values of the other knobs (default: the solution's, else the energy optimum's,
        else their maxima).
    annotate:
        Write the value in each cell (default: when the grid has at most 64 cells).
    """
    from ._solve import Problem, solve

    if quantity not in _QUANTITIES:
        raise ValueError(f"quantity must be one of {_QUANTITIES}, got {quantity!r}")
    split = None if solution is None else int(solution.split)
    reference = None
    if isinstance(problem_or_tables, Problem) and problem_or_tables._tables is not None:
        reference = (solution if solution is not None else solve(problem_or_tables)).config
    grid = _frequency_grid(problem_or_tables, split, x, y, fixed, reference)
    ax = _axes(ax)
    xs, x_ticks = _positions(grid.x)
    ys, y_ticks = _positions(grid.y)
    fi, mi = np.argsort(xs), np.argsort(ys)
    xs, ys = xs[fi], ys[mi]
    x_ticks, y_ticks = [x_ticks[i] for i in fi], [y_ticks[i] for i in mi]
    lat, energy = grid.latency[np.ix_(fi, mi)], grid.energy[np.ix_(fi, mi)]
    if quantity == "latency":
        z, unit = lat, "ms"
    elif quantity == "power":
        z, unit = energy / lat * 1000.0, "W"
    else:
        z, unit = energy, "J"
        if np.nanmax(np.abs(z)) < 0.1:
            z, unit = z * 1000.0, "mJ"
    x_edges, y_edges = _edges(xs), _edges(ys)
    mesh = ax.pcolormesh(x_edges, y_edges, np.ma.masked_invalid(z.T), cmap=cmap, shading="flat")
    ax.figure.colorbar(mesh, ax=ax, label=f"{quantity} ({unit})")
    if annotate is None:
        annotate = z.size <= 64
    chosen = None
    config = solution.config if solution is not None else None
    in_slice = config is not None and all(config.get(k) == v for k, v in grid.fixed.items())
    if in_slice and config is not None and grid.x_knob in config and (grid.y_knob is None or grid.y_knob in config):
        on_x = np.flatnonzero(np.isclose(xs, _position_of(grid.x, config[grid.x_knob]), rtol=1e-9, atol=0.0))
        on_y = [0] if grid.y_knob is None else \
            np.flatnonzero(np.isclose(ys, _position_of(grid.y, config[grid.y_knob]), rtol=1e-9, atol=0.0))
        if len(on_x) == 0 or len(on_y) == 0:
            raise ValueError(f"the solution's configuration ({config}) is not a cell of this frequency grid")
        chosen = (int(on_x[0]), int(on_y[0]))
    if annotate:
        lo, hi = np.nanmin(z), np.nanmax(z)
        for a, fv in enumerate(xs):
            for b, mv in enumerate(ys):
                if not np.isfinite(z[a, b]):
                    continue
                light = (z[a, b] - lo) < 0.5 * (hi - lo)
                ax.text(fv, mv, f"{z[a, b]:.3g}", ha="center", va="center", fontsize="x-small",
                        color="white" if light else "black", zorder=3,
                        fontweight="bold" if chosen == (a, b) else "normal",
                        gid="chosen_value" if chosen == (a, b) else "value")
    ax.set_xticks(xs)
    ax.set_xticklabels(x_ticks, rotation=45 if xs.size > 6 else 0)
    if grid.y_knob is not None and (ys.size > 1 or ys[0] != 0):
        ax.set_yticks(ys)
        ax.set_yticklabels(y_ticks)
    else:
        ax.set_yticks([])
    ax.set_xlabel(label(grid.x_knob))
    ax.set_ylabel(label(grid.y_knob) if grid.y_knob is not None else "")
    title = f"{quantity} ({unit}), {grid.what}"
    if solution is not None:
        if chosen is not None:  # outline the cell, leaving its value readable
            from matplotlib.patches import Rectangle

            a, b = chosen
            assert config is not None
            text = ", ".join(f"{k} = {v:.5g}" if isinstance(v, float) else f"{k} = {v}" for k, v in config.items())
            ax.add_patch(Rectangle((x_edges[a], y_edges[b]), x_edges[a + 1] - x_edges[a], y_edges[b + 1] - y_edges[b],
                                   fill=False, edgecolor="red", lw=2.5, zorder=2, gid="solution",
                                   label=f"chosen: {text}, split = {solution.split}"
                                   + ("" if solution.feasible else " (INFEASIBLE: fastest plan)")))
            _legend(ax, below=True)
        elif config is not None:
            title += "\n(the solution's configuration is not in this slice: other fixed= values)"
        else:
            title += "\n(the solution offloads everything: no local operating point)"
    ax.set_title(title)
    return ax


def _position_of(levels: np.ndarray, value: Any) -> float:
    if levels.dtype.kind in "fiu":
        return float(value)
    return float(np.flatnonzero(levels.astype(str) == str(value))[0])


# ---------------------------------------------------------------------------------------------
# Offloading: Pareto front, single solution


def _front(points: np.ndarray) -> np.ndarray:
    """Indices of the non-dominated (latency, energy) points, by increasing latency."""
    order = np.lexsort((points[:, 1], points[:, 0]))
    keep: List[int] = []
    best = math.inf
    for i in order:
        if not keep or points[i, 1] < best - 1e-12 * max(1.0, abs(best)):
            keep.append(i)
            best = points[i, 1]
    return np.array(keep, dtype=int)


def pareto(
    problem: "Problem",
    *,
    baselines: bool = True,
    plans: bool = True,
    num_deadlines: int = 60,
    zoom: bool = True,
    ax: Optional["Axes"] = None,
) -> "Axes":
    """Device energy (J) against end-to-end latency (ms) of an offloading problem.

    - Pareto front: :func:`dvfskit.solve` (energy objective) for ``num_deadlines`` deadlines
      spread geometrically from the smallest reachable latency to the latency of the
      least-energy plan; the non-dominated (latency, energy) pairs are joined by a step line.
    - ``plans``: every (split, configuration) plan of a table problem transmitting at ``p_max_w``
      (with partial offloading: every allowed offloaded share too), coloured by split point
      (grey cloud).
    - ``baselines``: the plans of :func:`dvfskit.baselines` at the problem's deadline (filled
      marker: meets it; hollow: misses it), and the deadline as a vertical line.
    - ``zoom``: limit the axes to the front, the baselines and the deadline (plans far
      outside, e.g. slow uplinks of large feature maps, are cut off).
    """
    from . import _core
    from ._solve import baselines as _baselines
    from ._solve import solve

    ax = _axes(ax)
    fastest = solve(problem, "latency")
    t_min = float(fastest.min_latency_ms if math.isfinite(fastest.min_latency_ms) else fastest.latency_ms)
    free = solve(problem.with_scenario(deadline_ms=max(1e9, 1e3 * t_min)))
    t_max = max(float(free.latency_ms), t_min * (1 + 1e-6))
    deadlines = np.unique(np.concatenate([np.geomspace(t_min, t_max, max(int(num_deadlines), 2)), [t_max]]))
    pts = []
    for d in deadlines:
        s = solve(problem.with_scenario(deadline_ms=float(d) * (1 + 1e-9)))
        if s.feasible:
            pts.append((s.latency_ms, s.energy_j, s.split))
    pts_a = np.array(pts, dtype=float).reshape(-1, 3)
    tables = getattr(problem, "_tables", None)
    if plans and tables is not None:
        sc = problem._scenario
        K = len(problem.configs)
        L = problem.num_blocks
        cloud = []
        for split, fraction in tables.options():
            nothing_local = split == 0 and fraction == 1.0
            for k in range(1 if nothing_local else K):
                r = _core.evaluate_table(tables, sc, split, k, sc.p_max_w, fraction)
                cloud.append((r.latency_ms, r.energy_j, split))
        cl = np.array(cloud, dtype=float)
        from matplotlib.colors import LinearSegmentedColormap

        greys = LinearSegmentedColormap.from_list("dvfskit_greys", ["#d9d9d9", "#252525"])
        sc_art = ax.scatter(cl[:, 0], cl[:, 1], c=cl[:, 2], cmap=greys, vmin=0, vmax=L, s=10, alpha=0.7,
                            gid="plans", label="plans (split, configuration) at p_max")
        ax.figure.colorbar(sc_art, ax=ax, label="split point (blocks run locally)")
    if len(pts_a):
        front = pts_a[_front(pts_a[:, :2])]
        ax.plot(front[:, 0], front[:, 1], "-o", color="C0", ms=4, drawstyle="steps-post", gid="front",
                label="Pareto front (solve over deadlines)")
    bl = None
    if baselines and tables is not None:
        df = bl = _baselines(problem)
        markers = "s^vDPXph"
        for i, (name, row) in enumerate(df.iterrows()):
            ok = bool(row["feasible"])
            ax.plot([row["latency_ms"]], [row["energy_j"]], ls="", marker=markers[i % len(markers)], ms=9,
                    color=f"C{(i + 1) % 10}", mfc=f"C{(i + 1) % 10}" if ok else "none", mew=1.5, gid="baseline",
                    label=f"{name} (split {int(row['split'])})" + ("" if ok else ", misses deadline"))
        ax.axvline(problem.deadline_ms, color="red", ls="--", lw=1, label=f"deadline {problem.deadline_ms:.4g} ms")
    if zoom and len(pts_a):
        xs = [float(pts_a[:, 0].max()), float(problem.deadline_ms)] + ([float(v) for v in bl["latency_ms"]] if bl is not None else [])
        ys = [float(pts_a[:, 1].max())] + ([float(v) for v in bl["energy_j"]] if bl is not None else [])
        ax.set_xlim(0, 1.25 * max(xs))
        ax.set_ylim(0, 1.25 * max(ys))
    ax.set_xlabel("end-to-end latency (ms)")
    ax.set_ylabel(label("energy_j"))
    ax.set_title("energy vs latency over split, configuration and transmit power"
                 + (" (predicted tables)" if problem.tables_kind == "predicted" else ""))
    _legend(ax, below=True, ncol=2)
    return ax


def solution(
    sol: "Solution",
    problem: Optional["Problem"] = None,
    *,
    quantity: str = "energy",
    ax: Optional["Axes"] = None,
) -> "Axes":
    """One offloading decision. Without ``problem``: a timeline of its latency breakdown (local
    compute, transmission, server, ms) labelled with the energy of each part (J), the title
    giving every knob of the chosen configuration. With a table ``problem``: :func:`heatmap` of
    the local part with the chosen configuration marked."""
    if problem is not None:
        return heatmap(problem, quantity=quantity, solution=sol, ax=ax)
    ax = _axes(ax, figsize=(6.4, 2.8))
    parts = [("local compute", sol.latency_local_ms, sol.energy_compute_j, "C0"),
             ("transmit", sol.latency_transmit_ms, sol.energy_transmit_j, "C1"),
             ("server", sol.latency_server_ms, sol.energy_idle_j, "C2")]
    start = 0.0
    for name, t, e, color in parts:
        ax.barh([0], [t], left=[start], color=color, height=0.5, gid="part",
                label=f"{name}: {t:.4g} ms, {e:.4g} J" + (" (idle)" if name == "server" else ""))
        start += t
    ax.set_yticks([])
    ax.set_xlabel("time (ms)")
    config = sol.config
    where = (sol._config_text() + ", " if config is not None else "") + f"p = {sol.tx_power_w:.3g} W"
    rho = float(sol.offload_fraction)
    if sol.split == 0 and config is None:
        plan = " (full offload)"
    elif rho == 0:
        plan = " (all local)"
    else:
        plan = f" (offload fraction {rho:.3g})" if rho < 1 else ""
    ax.set_title(f"split {sol.split}{plan}, {where}\n{sol.energy_j:.4g} J, {sol.latency_ms:.4g} ms"
                 + ("" if sol.feasible else " (INFEASIBLE)") + (" (predicted tables)" if sol.tables_kind == "predicted" else ""))
    _legend(ax, below=True)
    return ax


# ---------------------------------------------------------------------------------------------
# Sweeps


def _x_values(df: pd.DataFrame, x: str) -> Tuple[np.ndarray, str]:
    values = df[x].to_numpy(float)
    if x.endswith("_hz") and not x.endswith(("_mhz", "_khz", "_ghz", "_w_per_hz")):
        return values / 1e6, f"{x[:-3].replace('_', ' ')} (MHz)"
    return values, label(x)


def _hue_name(hue: str, value: Any) -> str:
    if hue.endswith("_hz") and not hue.endswith(("_mhz", "_khz", "_ghz", "_w_per_hz")):
        return f"{hue[:-3].replace('_', ' ')} = {value / 1e6:g} MHz"
    if isinstance(value, (int, float, np.number)):
        return f"{label(hue)} = {value:g}"
    return f"{hue} = {value}"


def sweep(
    df: pd.DataFrame,
    x: str = "deadline_ms",
    y: str = "energy_j",
    *,
    hue: Optional[str] = None,
    baselines: bool = True,
    show_split: bool = False,
    ax: Optional["Axes"] = None,
) -> "Axes":
    """``y`` (default device energy, J) against a scenario input (``deadline_ms`` in ms,
    ``bandwidth_hz`` drawn in MHz ...) from a sweep DataFrame, one row per scenario.

    Columns read: ``x``, ``y``, ``feasible`` (infeasible scenarios are left out of the line and
    marked with red crosses), ``split``, and the baseline energies ``<name>_energy_j``.

    Parameters
    ----------
    hue:
        A column: one line per value (e.g. ``"bandwidth_hz"`` when ``x="deadline_ms"``).
    baselines:
        With ``y="energy_j"`` and no ``hue``: draw every ``<name>_energy_j`` column dashed.
    show_split:
        Draw the split point on a twin y axis (steps, grey); ``y="split"`` draws it alone.
        The twin Axes is stored as ``ax.dvfskit_twin``.
    """
    for column in (x, y) + ((hue,) if hue else ()):
        if column not in df.columns:
            raise ValueError(f"the sweep DataFrame has no column {column!r}; columns are {list(df.columns)}")
    ax = _axes(ax)
    data = df.sort_values(x, kind="stable")
    step: Dict[str, Any] = {"drawstyle": "steps-mid"} if y == "split" else {}
    feasible = data["feasible"].to_numpy(bool) if "feasible" in data else np.ones(len(data), dtype=bool)
    groups: List[Tuple[Optional[Any], pd.DataFrame, np.ndarray]]
    if hue:
        groups = [(v, data[(data[hue] == v).to_numpy()], feasible[(data[hue] == v).to_numpy()])
                  for v in sorted(data[hue].unique())]
    else:
        groups = [(None, data, feasible)]
    any_infeasible = False
    for i, (value, part, ok) in enumerate(groups):
        xv, xl = _x_values(part, x)
        yv = part[y].to_numpy(float)
        name = "optimal" if value is None else _hue_name(hue or "", value)
        ax.plot(xv, np.where(ok, yv, np.nan), "-o", ms=3, color=f"C{i % 10}", label=name, gid="sweep", **step)
        if (~ok).any():
            any_infeasible = True
            ax.plot(xv[~ok], yv[~ok], "x", color="red", ms=6, gid="infeasible")
    if any_infeasible:
        ax.plot([], [], "x", color="red", label="infeasible (fastest plan)")
    if baselines and y == "energy_j" and not hue:
        xv, _ = _x_values(data, x)
        cols = [c for c in data.columns if c.endswith("_energy_j") and c != "energy_j"]
        for j, c in enumerate(cols):
            name = c[: -len("_energy_j")]
            yv = data[c].to_numpy(float)
            if f"{name}_feasible" in data:
                yv = np.where(data[f"{name}_feasible"].to_numpy(bool), yv, np.nan)
            ax.plot(xv, yv, "--", lw=1.2, color=f"C{(j + 1) % 10}", label=name, gid="baseline")
    xv, xl = _x_values(data, x)
    ax.set_xlabel(xl)
    ax.set_ylabel(label(y))
    if y == "split":
        from matplotlib.ticker import MaxNLocator

        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if show_split and y != "split" and "split" in data:
        twin = ax.twinx()
        for i, (value, part, ok) in enumerate(groups):
            px, _ = _x_values(part, x)
            twin.plot(px, part["split"].to_numpy(float), ":", color="grey" if value is None else f"C{i % 10}",
                      drawstyle="steps-mid", gid="split", label="split (right axis)" if i == 0 else None)
        twin.set_ylabel(label("split"))
        from matplotlib.ticker import MaxNLocator

        twin.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.dvfskit_twin = twin  # type: ignore[attr-defined]
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = twin.get_legend_handles_labels()
        if len(l1) + len(l2) <= _MAX_LEGEND:
            ax.legend(h1 + h2, l1 + l2, fontsize="small")
    else:
        _legend(ax)
    ax.set_title(f"{label(y)} vs {xl}")
    return ax


# ---------------------------------------------------------------------------------------------
# Per-block schedule


def schedule(sched: "Schedule", *, annotate: Optional[bool] = None, ax: Optional["Axes"] = None) -> "Axes":
    """A per-block schedule as a timeline: one bar per block from its start to its end (ms), as
    high as its compute frequency (else its first frequency knob; MHz; 1 when configurations are
    unlabelled or have no frequency knob), coloured by its configuration, which the legend labels
    with every knob (``f``/``m``: compute/memory frequency); switching time is hatched grey, the
    slack before the deadline shaded, the deadline a red dashed line. ``annotate`` writes block
    numbers (default: up to 40 blocks)."""
    def knob_text(name: str, value: Any) -> str:  # "f = 1300 MHz", "cpu = 2035 MHz", "core_mask = 1111"
        if name.endswith("_mhz"):
            short = {"compute_freq_mhz": "f", "mem_freq_mhz": "m"}.get(name, name[: -len("_mhz")].replace("_freq", ""))
            return f"{short} = {float(value):.5g} MHz"
        return f"{name} = {value}"

    ax = _axes(ax)
    df = sched.to_dataframe()
    knobs = list(sched.knobs)
    frequencies = [k for k in knobs if k.endswith("_mhz")]
    height_knob = "compute_freq_mhz" if "compute_freq_mhz" in frequencies else (frequencies[0] if frequencies else None)
    heights = df[height_knob].to_numpy(float) if height_knob else np.ones(len(df))
    configs = list(dict.fromkeys(df["config"].tolist()))
    first = {k: df.index[df["config"] == k][0] for k in configs}
    order = sorted(configs, key=lambda k: (-heights[first[k]], k))
    import matplotlib as mpl

    cmap = mpl.colormaps["tab10" if len(order) <= 10 else "tab20"]
    color_of = {k: cmap(i % cmap.N) for i, k in enumerate(order)}
    bars = ax.bar(df["start_ms"], heights, width=df["latency_ms"], align="edge",
                  color=[color_of[k] for k in df["config"]], edgecolor="black", linewidth=0.4)
    for patch in bars.patches:
        patch.set_gid("block")
    switching = df["switch_time_ms"].to_numpy(float) > 0
    if switching.any():
        sw = ax.bar(df["start_ms"][switching] - df["switch_time_ms"][switching], heights[switching],
                    width=df["switch_time_ms"][switching], align="edge", color="lightgrey", hatch="//",
                    edgecolor="grey", linewidth=0.4, label="switching")
        for patch in sw.patches:
            patch.set_gid("switch")
    for k in order:
        row = df.loc[first[k]]
        text = ", ".join(knob_text(name, row[name]) for name in knobs) if knobs else f"config {k}"
        ax.bar([0], [0], width=0, color=color_of[k], label=text)
    if annotate is None:
        annotate = len(df) <= 40
    if annotate:
        for i, r in df.iterrows():
            ax.text(r["start_ms"] + r["latency_ms"] / 2, heights[int(i)] / 2, str(i), ha="center", va="center",
                    fontsize="xx-small")
    if sched.deadline_ms > sched.latency_ms:
        ax.axvspan(sched.latency_ms, sched.deadline_ms, color="green", alpha=0.08, label="slack")
    ax.axvline(sched.deadline_ms, color="red", ls="--", lw=1.2, label=f"deadline {sched.deadline_ms:.4g} ms")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(label(height_knob) if height_knob else "block")
    if not height_knob:
        ax.set_yticks([])
    status = "" if sched.feasible else " (INFEASIBLE)"
    ax.set_title(f"per-block schedule: {sched.energy_j:.4g} J, {sched.latency_ms:.4g} of {sched.deadline_ms:.4g} ms, "
                 f"{sched.num_switches} switch{'' if sched.num_switches == 1 else 'es'}{status}")
    _legend(ax, below=True, ncol=2)
    return ax


def compare(table: pd.DataFrame, metric: str = "cv_mape", *, ax: Optional["Axes"] = None) -> "Axes":
    """Models side by side from a :func:`dvfskit.compare` table: ``metric`` (``cv_mape``,
    ``extrap_mape``, ``mape`` in %, ``rmse``, ``delta_aic`` ...; lower is better) per model, one
    bar group per data group (up to 20 groups), else a box over the groups per model."""
    if metric not in table.columns:
        raise ValueError(f"compare table has no column {metric!r}; choose among "
                         f"{[c for c in table.columns if c not in ('model', 'n', 'success')]}")
    ax = _axes(ax)
    models = list(dict.fromkeys(table["model"]))
    keys = [c for c in table.columns[: list(table.columns).index("model")]]
    groups = list(dict.fromkeys(map(tuple, table[keys].to_numpy()))) if keys else [()]
    if len(groups) <= _MAX_LEGEND:
        width = 0.8 / len(groups)
        for j, g in enumerate(groups):
            rows = table[(table[keys] == list(g)).all(axis=1)] if keys else table
            values = rows.set_index("model")[metric].reindex(models).to_numpy(float)
            name = ", ".join(map(str, g)) if g else "all data"
            ax.bar(np.arange(len(models)) + (j - (len(groups) - 1) / 2) * width, values, width=width, label=name)
    else:
        ax.boxplot([table.loc[table["model"] == m, metric].dropna().to_numpy(float) for m in models],
                   positions=np.arange(len(models)))
    ax.set_xticks(np.arange(len(models)), models, rotation=20, ha="right")
    ax.set_ylabel(label(metric.replace("mape", "mape_pct")) if metric.endswith("mape") else label(metric))
    ax.set_title(f"model comparison: {metric} per model" + (f" ({len(groups)} groups)" if keys else ""))
    if keys and len(groups) <= _MAX_LEGEND:
        ax.legend(title=", ".join(keys), fontsize="small")
    return ax


if TYPE_CHECKING:  # pragma: no cover
    from ._governor import GovernorResult


def governor(result: "GovernorResult", *, knob: Optional[str] = None, ax: Optional["Axes"] = None) -> "Axes":
    """A governor run (:func:`dvfskit.governor`) as a timeline: each block part as a bar from its
    start to its end (ms from the simulation's start), as high as ``knob``'s frequency (MHz;
    default: the first governed knob), coloured by configuration; warm-up inferences hatched,
    period boundaries dotted, missed inferences marked red."""
    ax = _axes(ax, figsize=(9.0, 4.4))
    knob = knob or next(iter(result.governors))
    if knob not in result.configs.knobs:
        raise ValueError(f"unknown knob {knob!r}; knobs are {list(result.configs.knobs)}")
    tr = result.trace
    import matplotlib as mpl

    configs = sorted(dict.fromkeys(tr["config"].tolist()))
    cmap = mpl.colormaps["tab10" if len(configs) <= 10 else "tab20"]
    color_of = {k: cmap(i % cmap.N) for i, k in enumerate(configs)}
    heights = tr[knob].to_numpy(float)
    bars = ax.bar(tr["time_ms"], heights, width=tr["duration_ms"], align="edge",
                  color=[color_of[k] for k in tr["config"]], edgecolor="black", linewidth=0.3)
    for patch, warm in zip(bars.patches, ~tr["in_cycle"].to_numpy()):
        patch.set_gid("block")
        if warm:
            patch.set_hatch("//")
    inf = result.inferences
    for start, missed in zip(inf["start_ms"], inf["missed"]):
        ax.axvline(start, color="red" if missed else "grey", ls=":", lw=0.8)
    for k in configs:
        text = ", ".join(f"{n}={v:g}" if isinstance(v, float) else f"{n}={v}" for n, v in result.configs.label(k).items())
        ax.bar([0], [0], width=0, color=color_of[k], label=text)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(label(knob))
    status = "" if result.converged else " (NOT converged)"
    ax.set_title(f"{result.name}: {result.energy_j:.4g} J / inference, {result.latency_ms:.4g} ms, "
                 f"miss {100 * result.miss_rate:.3g} % (period {result.period_ms:g} ms){status}")
    _legend(ax, below=True, ncol=2, fontsize="x-small")
    return ax
