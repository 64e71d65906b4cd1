"""``dvfskit.compare``: rank models per group by information criteria, cross-validated error and
extrapolation to frequencies that were not measured."""
from __future__ import annotations

import time
from typing import Any, Dict, List, Sequence, Union

import numpy as np
import pandas as pd

from ._fit import fit
from ._model import Model, as_model
from ._progress import Progress, ProgressOption, check as check_progress

_ALL = "__all__"


def _held_out_mape(model: Model, train: pd.DataFrame, test: pd.DataFrame, y: str, by: List[str],
                   fit_kwargs: Dict[str, Any]) -> pd.Series:
    """MAPE (percent) per group on ``test`` of the model fitted per group on ``train``; NaN for a
    group absent from ``train`` or whose fit failed."""
    table = fit(model, train, y, by=by, progress=False, **fit_kwargs)
    groups = table._row_groups(test)
    known = groups >= 0
    known[known] = table.success[groups[known]]
    test = test[known]
    if test.empty:
        return pd.Series(dtype=float)
    error = 100.0 * np.abs(table.predict(test) - test[y].to_numpy()) / np.abs(test[y].to_numpy())
    return pd.Series(error, index=test.index).groupby([test[k] for k in by], dropna=False).mean()


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

    frames = []
    fits_per_model = folds + 2
    with Progress(check_progress(progress), len(resolved) * fits_per_model, "compare", "fit") as bar:
        for m, model in enumerate(resolved):
            start = time.perf_counter()
            table = fit(model, df, y, by=keys, progress=False, **fit_kwargs)
            out = table.to_dataframe()[keys + ["aic", "bic", "rmse", "mape", "n", "success"]]
            out.insert(len(keys), "model", model.name)
            done = m * fits_per_model + 1
            bar.update(done)
            cv_parts = []
            for k in range(folds):
                cv_parts.append(_held_out_mape(model, df[fold != k], df[fold == k], y, keys, fit_kwargs))
                bar.update(done + k + 1)
            cv = pd.concat(cv_parts, axis=1).mean(axis=1) if cv_parts else pd.Series(dtype=float)
            ex = _held_out_mape(model, df[~held], df[held], y, keys, fit_kwargs)
            bar.update((m + 1) * fits_per_model)
            index = pd.MultiIndex.from_frame(out[keys]) if len(keys) > 1 else pd.Index(out[keys[0]])
            out["cv_mape"] = cv.reindex(index).to_numpy()
            out["extrap_mape"] = ex.reindex(index).to_numpy()
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
