"""``dvfskit.compare``: rank models per group by information criteria, cross-validated error and
extrapolation to frequencies that were not measured."""
from __future__ import annotations

import inspect
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from ._fit import _fit_inputs, _whole, fit, fit_options, fit_sorted
from ._fit_table import FitTable, group_ids, group_rows
from ._model import Model, as_model
from ._progress import Progress, ProgressOption, check as check_progress

_ALL = "__all__"


class _Groups:
    """The rows of one data set in groups, shared by every fit of a comparison: the data are
    grouped and checked once, each fit then runs on a subset of the rows in group order."""

    def __init__(self, df: pd.DataFrame, y: str, keys: List[str], fit_kwargs: Dict[str, Any]) -> None:
        unknown = sorted(set(fit_kwargs) - set(_FIT_DEFAULTS))
        if unknown:
            raise TypeError(f"compare() got unexpected keyword argument(s) {unknown} (options of dvfskit.fit: "
                            f"{sorted(_FIT_DEFAULTS)})")
        kw = {**_FIT_DEFAULTS, **fit_kwargs}
        self.options = fit_options(kw["loss"], kw["loss_scale"], kw["max_iterations"], kw["tolerance"],
                                   kw["starts"], kw["seed"], kw["retries"], kw["solver"])
        self.threads = _whole(kw["threads"], "threads", 0)
        self.p0, self.bounds, self.fixed = kw["p0"], kw["bounds"], kw["fixed"]
        self.df, self.y_name, self.weights_arg = df, y, kw["weights"]
        self.keys, self.order, self.offsets = group_rows(df, keys)
        self.count = len(self.keys)
        self.codes = np.empty(len(df), dtype=np.int64)
        self.codes[self.order] = group_ids(self.offsets)

    def inputs(self, model: Model) -> Tuple[Tuple[np.ndarray, ...], np.ndarray, Optional[np.ndarray]]:
        return _fit_inputs(model, self.df, self.y_name, self.weights_arg)

    def fit(self, model: Model, data: Tuple[Tuple[np.ndarray, ...], np.ndarray, Optional[np.ndarray]],
            rows: np.ndarray) -> Tuple[Dict[str, Any], List[str]]:
        """The fits of every group on ``rows`` (in group order; a group without rows fails)."""
        columns, y, w = data
        sizes = np.bincount(self.codes[rows], minlength=self.count)
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.uint64)
        return fit_sorted(model, tuple(c[rows] for c in columns), y[rows], None if w is None else w[rows], offsets,
                          self.p0, self.bounds, self.fixed, self.options, self.threads)

    def held_out_mape(self, model: Model, data: Tuple[Tuple[np.ndarray, ...], np.ndarray, Optional[np.ndarray]],
                      test: np.ndarray) -> np.ndarray:
        """MAPE (percent) per group on the rows where ``test`` holds, of the model fitted per
        group on the others; NaN for a group without test rows or whose fit failed."""
        raw, _ = self.fit(model, data, self.order[~test[self.order]])
        rows = np.flatnonzero(test)
        groups = self.codes[rows]
        ok = np.asarray(raw["success"], dtype=bool)[groups]
        rows, groups = rows[ok], groups[ok]
        columns, y, _ = data
        prediction = model.evaluate_rows(tuple(c[rows] for c in columns), np.asarray(raw["params"])[groups])
        with np.errstate(divide="ignore", invalid="ignore"):
            error = 100.0 * np.abs(prediction - y[rows]) / np.abs(y[rows])
            count = np.bincount(groups, minlength=self.count)
            return np.where(count > 0, np.bincount(groups, weights=error, minlength=self.count) / count, np.nan)


_FIT_DEFAULTS = {name: p.default for name, p in inspect.signature(fit).parameters.items()
                 if p.kind is p.KEYWORD_ONLY and name not in ("by", "progress", "backend", "client", "chunk_size")}


def _mean_over(parts: List[np.ndarray]) -> np.ndarray:
    """The mean of the finite values in each position (NaN where there is none)."""
    stacked = np.vstack(parts)
    finite = np.isfinite(stacked)
    count = finite.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, np.where(finite, stacked, 0.0).sum(axis=0) / count, np.nan)


def compare(
    models: Sequence[Union[Model, str]],
    data: pd.DataFrame,
    y: str = "latency_ms",
    by: Union[None, str, Sequence[str]] = None,
    *,
    folds: int = 5,
    holdout: str = "high",
    holdout_fraction: float = 1 / 3,
    holdout_column: str = "compute_freq_mhz",
    seed: int = 0,
    progress: ProgressOption = None,
    **fit_kwargs: Any,
) -> pd.DataFrame:
    """Compare models on the same data, per group.

    Every model is fitted to every group (``by`` columns; all rows form one group when None)
    and scored by:

    - ``aic``, ``bic`` (lower is better), ``delta_aic`` against the group's best model, and
      ``rank_aic`` / ``rank_bic`` (1 = best);
    - ``rmse`` (units of ``y``) and ``mape`` (percent) in sample;
    - ``cv_mape``: ``folds``-fold cross-validated MAPE (rows assigned to folds at random, from
      ``seed``);
    - ``extrap_mape``: fit on the rows whose ``holdout_column`` lies in the lower (``holdout=
      "high"``) or upper (``"low"``) ``1 - holdout_fraction`` of its distinct values, predict the
      rest: what a researcher who measured few frequencies can expect when extrapolating.

    ``time_s`` is the time spent on the model (seconds, every fit it needs for all groups).
    ``progress``: ``True`` shows a ``tqdm.auto`` bar over the fits (each model is fitted
    ``folds + 2`` times), ``None`` (default) one only when the comparison runs longer than a
    second, ``False`` none; a callable ``progress(done, total)`` is called instead.

    Extra keyword arguments go to :func:`dvfskit.fit`. Returns one row per (group, model),
    sorted by group and AIC.
    """
    if isinstance(models, (str, Model)):
        models = [models]
    resolved = [as_model(m) for m in models]
    if not resolved:
        raise ValueError("compare needs at least one model")
    if holdout not in ("high", "low"):
        raise ValueError(f"holdout must be 'high' or 'low', got {holdout!r}")
    if not 0 < holdout_fraction < 1:
        raise ValueError(f"holdout_fraction must lie in (0, 1), got {holdout_fraction}")
    if folds < 2:
        raise ValueError(f"folds must be at least 2, got {folds}")
    keys = [by] if isinstance(by, str) else list(by or [])
    df = data if keys else data.assign(**{_ALL: "all"})
    keys = keys or [_ALL]
    if holdout_column not in df.columns:
        raise ValueError(f"data has no column {holdout_column!r} (holdout_column)")

    fold = np.random.default_rng(seed).permutation(len(df)) % folds
    values = np.sort(df[holdout_column].unique())
    if len(values) < 2:
        raise ValueError(f"extrapolation needs at least 2 distinct values of {holdout_column!r}")
    n_held = min(len(values) - 1, max(1, int(round(len(values) * holdout_fraction))))
    held = df[holdout_column].isin(values[-n_held:] if holdout == "high" else values[:n_held]).to_numpy()

    groups = _Groups(df, y, keys, fit_kwargs)
    frames = []
    fits_per_model = folds + 2
    with Progress(check_progress(progress), len(resolved) * fits_per_model, "compare", "fit") as bar:
        for m, model in enumerate(resolved):
            start = time.perf_counter()
            data = groups.inputs(model)
            raw, fixed = groups.fit(model, data, groups.order)
            table = FitTable(model, groups.keys, raw, fixed=fixed, y=data[1][groups.order], offsets=groups.offsets)
            out = table.to_dataframe()[keys + ["aic", "bic", "rmse", "mape", "n", "success"]]
            out.insert(len(keys), "model", model.name)
            done = m * fits_per_model + 1
            bar.update(done)
            cv_parts = []
            for k in range(folds):
                cv_parts.append(groups.held_out_mape(model, data, fold == k))
                bar.update(done + k + 1)
            out["cv_mape"] = _mean_over(cv_parts)
            out["extrap_mape"] = groups.held_out_mape(model, data, held)
            bar.update((m + 1) * fits_per_model)
            out["time_s"] = time.perf_counter() - start
            frames.append(out)
    result = pd.concat(frames, ignore_index=True)
    grouped = result.groupby(keys, sort=False, dropna=False)
    result["delta_aic"] = result["aic"] - grouped["aic"].transform("min")
    result["rank_aic"] = grouped["aic"].rank(method="min").astype(int)
    result["rank_bic"] = grouped["bic"].rank(method="min").astype(int)
    result = result.sort_values(keys + ["aic"], kind="stable").reset_index(drop=True)
    if _ALL in result.columns:
        result = result.drop(columns=[_ALL])
    return result
