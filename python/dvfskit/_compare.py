"""``dvfskit.compare``: rank models per group by information criteria, cross-validated error and
extrapolation to frequencies that were not measured."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import pandas as pd

from ._fit import fit
from ._model import Model, as_model

_ALL = "__all__"


def _held_out_mape(model: Model, train: pd.DataFrame, test: pd.DataFrame, y: str, by: List[str],
                   fit_kwargs: Dict[str, Any]) -> pd.Series:
    """MAPE (percent) per group on ``test`` of the model fitted per group on ``train``; NaN for a
    group absent from ``train`` or whose fit failed."""
    table = fit(model, train, y, by=by, **fit_kwargs)
    ok = {key for key, good in zip(list(table), table.success.tolist()) if good}
    known = pd.Series([(k[0] if len(by) == 1 else tuple(k)) in ok
                       for k in test[by].itertuples(index=False, name=None)], index=test.index)
    test = test[known.to_numpy()]
    if test.empty:
        return pd.Series(dtype=float)
    error = 100.0 * np.abs(table.predict(test) - test[y].to_numpy()) / np.abs(test[y].to_numpy())
    return pd.Series(error, index=test.index).groupby([test[k] for k in by]).mean()


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
    for model in resolved:
        table = fit(model, df, y, by=keys, **fit_kwargs)
        out = table.to_dataframe()[keys + ["aic", "bic", "rmse", "mape", "n", "success"]]
        out.insert(len(keys), "model", model.name)
        cv_parts = [_held_out_mape(model, df[fold != k], df[fold == k], y, keys, fit_kwargs) for k in range(folds)]
        cv = pd.concat(cv_parts, axis=1).mean(axis=1) if cv_parts else pd.Series(dtype=float)
        ex = _held_out_mape(model, df[~held], df[held], y, keys, fit_kwargs)
        index = pd.MultiIndex.from_frame(out[keys]) if len(keys) > 1 else pd.Index(out[keys[0]])
        out["cv_mape"] = cv.reindex(index).to_numpy()
        out["extrap_mape"] = ex.reindex(index).to_numpy()
        frames.append(out)
    result = pd.concat(frames, ignore_index=True)
    grouped = result.groupby(keys, sort=False)
    result["delta_aic"] = result["aic"] - grouped["aic"].transform("min")
    result["rank_aic"] = grouped["aic"].rank(method="min").astype(int)
    result["rank_bic"] = grouped["bic"].rank(method="min").astype(int)
    result = result.sort_values(keys + ["aic"], kind="stable").reset_index(drop=True)
    if _ALL in result.columns:
        result = result.drop(columns=[_ALL])
    return result
