"""Grouped fits: one fit per group of rows (device x DNN x block ...), in C++ on all cores."""
from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from ._data import json_list
from ._model import Model

if TYPE_CHECKING:
    from ._fit import FitResult

STAT_FIELDS = ("rss", "rmse", "r2", "mape", "aic", "bic")
Key = Union[Any, Tuple[Any, ...]]
_MISSING = object()  # a missing key value (NaN, None, NA) in the lookup of a FitTable


def _normal(value: Any) -> Any:
    """A key value, or _MISSING for a missing one (NaN != NaN would never match)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return _MISSING
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return _MISSING
    return value


def group_ids(offsets: Any) -> np.ndarray:
    """The group of every row for groups of rows [offsets[g], offsets[g + 1])."""
    bounds = np.asarray(offsets, dtype=np.int64)
    sizes: np.ndarray = bounds[1:] - bounds[:-1]
    return np.repeat(np.arange(len(sizes)), sizes)


def group_rows(data: pd.DataFrame, by: Sequence[str]) -> Tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Sorted group keys (one row per group), the row order that makes groups contiguous, and
    the offsets of each group in that order (length groups + 1)."""
    missing = [k for k in by if k not in data.columns]
    if missing:
        raise ValueError(f"data has no column {missing[0]!r} (named in by=); columns are {list(data.columns)}")
    grouped = data.groupby(list(by), sort=True, dropna=False, observed=True)
    codes = grouped.ngroup().to_numpy()
    keys = grouped.size().reset_index()[list(by)]
    order = np.argsort(codes, kind="stable")
    offsets = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=len(keys)))]).astype(np.uint64)
    return keys, order, offsets


class FitTable:
    """The fits of one model to every group of a DataFrame (``dvfskit.fit(..., by=[...])``).

    ``to_dataframe()`` gives one row per group with its keys, parameters, standard errors
    (``stderr_<name>``) and statistics; ``table[key]`` gives that group's :class:`FitResult`
    (``key`` is a value for one key column, else a tuple); ``predict(df)`` evaluates each row of
    ``df`` with its own group's parameters. A group that could not be fitted (too few points,
    ...) has ``success`` False and the reason in ``message``; the other groups are unaffected.
    """

    def __init__(
        self,
        model: Model,
        keys: pd.DataFrame,
        raw: Mapping[str, Any],
        *,
        fixed: Sequence[str],
        y: np.ndarray,
        offsets: np.ndarray,
    ) -> None:
        self.model = model
        self.keys = keys.reset_index(drop=True)
        self.by: List[str] = list(keys.columns)
        self.params = np.asarray(raw["params"], dtype=float)
        self.stderr = np.asarray(raw["stderr"], dtype=float)
        self.covariance = np.asarray(raw["covariance"], dtype=float)
        self.at_bound = np.asarray(raw["at_bound"], dtype=bool)
        self.stats = {k: np.asarray(raw[k], dtype=float) for k in STAT_FIELDS}
        self.n = np.asarray(raw["n"], dtype=np.int64)
        self.dof = np.asarray(raw["dof"], dtype=np.int64)
        self.success = np.asarray(raw["success"], dtype=bool)
        self.iterations = np.asarray(raw["iterations"], dtype=np.int64)
        self.message: List[str] = list(raw["message"])
        self.fixed = list(fixed)
        self.y = np.asarray(y, dtype=float)  # in group order
        self.prediction = np.asarray(raw["prediction"], dtype=float)
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self._lookup: Optional[Dict[Key, int]] = None  # built when first needed

    def _key_of(self, row: Tuple[Any, ...]) -> Key:
        return row[0] if len(self.by) == 1 else tuple(row)

    def __len__(self) -> int:
        return len(self.keys)

    def __iter__(self) -> Iterator[Key]:
        """The group keys, in table order (a missing key value is NaN, as in ``keys``)."""
        return (self._key_of(row) for row in self.keys.itertuples(index=False, name=None))

    def _index(self) -> Dict[Key, int]:
        """Group position by key, missing values (NaN, None, NA) as one sentinel: NaN != NaN."""
        if self._lookup is None:
            columns = []
            for k in self.by:
                values = self.keys[k].to_numpy(dtype=object)
                missing = self.keys[k].isna().to_numpy()
                if missing.any():
                    values = values.copy()
                    values[missing] = _MISSING
                columns.append(values)
            keys = columns[0] if len(self.by) == 1 else zip(*columns)
            self._lookup = {key: g for g, key in enumerate(keys)}
        return self._lookup

    def group_index(self, key: Key) -> int:
        """Position of the group ``key`` in the table (a missing key value may be given as NaN,
        None or pd.NA)."""
        normal = tuple(map(_normal, key)) if isinstance(key, tuple) else _normal(key)
        try:
            return self._index()[normal]
        except (KeyError, TypeError):
            raise KeyError(f"no group {key!r}; groups are keyed by {self.by}") from None

    def _row_groups(self, data: pd.DataFrame) -> np.ndarray:
        """The table position of each row's group in ``data`` (the ``by`` columns), -1 where the
        table has no such group."""
        missing = [k for k in self.by if k not in data.columns]
        if missing:
            raise ValueError(f"data has no column {missing[0]!r} (a key of this table); columns are "
                             f"{list(data.columns)}")
        numbered = self.keys.assign(__dvfskit_group__=np.arange(len(self)))
        merged = data[self.by].reset_index(drop=True).merge(numbered, how="left", on=self.by, sort=False)
        return merged["__dvfskit_group__"].fillna(-1).to_numpy(dtype=np.int64)

    def __getitem__(self, key: Key) -> "FitResult":
        from ._fit import FitResult

        g = self.group_index(key)
        names = list(self.model.parameters)
        rows = slice(int(self.offsets[g]), int(self.offsets[g + 1]))
        return FitResult(
            self.model,
            dict(zip(names, map(float, self.params[g]))),
            dict(zip(names, map(float, self.stderr[g]))),
            self.covariance[g],
            {k: v[g] for k, v in self.stats.items()},
            n=int(self.n[g]),
            dof=int(self.dof[g]),
            success=bool(self.success[g]),
            message=self.message[g],
            iterations=int(self.iterations[g]),
            at_bound=[p for p, b in zip(names, self.at_bound[g]) if b],
            fixed=self.fixed,
            y=self.y[rows],
            prediction=self.prediction[rows],
        )

    def to_dataframe(self) -> pd.DataFrame:
        """One row per group: keys, parameters, ``stderr_<name>``, statistics, n, dof, success,
        message (mape in percent; units of the parameters as in ``model.units``)."""
        names = list(self.model.parameters)
        columns: Dict[str, Any] = {k: self.keys[k].to_numpy() for k in self.by}
        columns.update({p: self.params[:, j] for j, p in enumerate(names)})
        columns.update({f"stderr_{p}": self.stderr[:, j] for j, p in enumerate(names)})
        columns.update(self.stats)
        columns.update(n=self.n, dof=self.dof, success=self.success, message=self.message)
        return pd.DataFrame(columns)

    @property
    def failed(self) -> pd.DataFrame:
        """Keys and messages of the groups that did not converge."""
        df = self.keys.copy()
        df["message"] = self.message
        return df[~self.success].reset_index(drop=True)

    def predict(self, data: pd.DataFrame) -> np.ndarray:
        """Each row of ``data`` evaluated with its own group's fitted parameters (the ``by``
        columns must be present; a row of a group that was not fitted raises ``KeyError``)."""
        groups = self._row_groups(data)
        unknown = groups < 0
        if unknown.any():
            row = data[self.by].iloc[int(np.argmax(unknown))]
            raise KeyError(f"no group {self._key_of(tuple(row))!r}; groups are keyed by {self.by}")
        return self.model.evaluate_rows(self.model.columns(data), self.params[groups])

    def to_dict(self) -> Dict[str, Any]:
        """A JSON-safe dict (NaN and inf become None); see :meth:`from_dict`."""
        from ._fit import model_to_dict

        raw: Dict[str, Any] = {k: json_list(getattr(self, k)) for k in ("params", "stderr", "covariance", "prediction")}
        raw.update({k: json_list(v) for k, v in self.stats.items()})
        raw.update({k: getattr(self, k).tolist() for k in ("at_bound", "n", "dof", "success", "iterations")})
        raw["message"] = list(self.message)
        return {
            "model": model_to_dict(self.model),
            "by": self.by,
            "keys": {k: self.keys[k].tolist() for k in self.by},
            "raw": raw,
            "fixed": list(self.fixed),
            "y": self.y.tolist(),
            "offsets": self.offsets.tolist(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "FitTable":
        """Rebuild a FitTable written by :meth:`to_dict`."""
        from ._fit import model_from_dict

        raw = dict(d["raw"])
        for k in ("params", "stderr", "covariance", "prediction", *STAT_FIELDS):
            raw[k] = np.array(raw[k], dtype=float)  # None -> NaN
        keys = pd.DataFrame(d["keys"])[list(d["by"])]
        return cls(model_from_dict(d["model"]), keys, raw, fixed=d["fixed"], y=np.asarray(d["y"], dtype=float),
                   offsets=np.asarray(d["offsets"]))

    def __repr__(self) -> str:
        ok = int(self.success.sum())
        lines = [f"FitTable({self.model.name!r}, {len(self)} groups by {self.by}, {ok} converged)"]
        shown = self.to_dataframe().drop(columns=["message"])
        lines.append(shown.head(10).to_string(index=False, float_format=lambda v: f"{v:.5g}"))
        if len(self) > 10:
            lines.append(f"... {len(self) - 10} more groups")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = (f"<b>FitTable</b> {html.escape(self.model.name)} &mdash; {len(self)} groups by "
                f"{html.escape(str(self.by))}, {int(self.success.sum())} converged")
        table = self.to_dataframe().head(50).to_html(index=False, float_format=lambda v: f"{v:.5g}", na_rep="n/a")
        return f"<div>{head}{table}</div>"

    def plot(self, data: Any = None, **kw: Any) -> Any:
        """Measured vs fitted per group (``dvfskit.plots.fit``: one panel per group, an array of
        Axes; ``key=`` for one group, ``facets=False`` or ``ax=`` to overlay them on one Axes)."""
        from .plots import fit as _plot
        return _plot(self, data, **kw)
