"""``dvfskit.Solution``: the outcome of one solve, labelled with the chosen configuration.

Units: frequencies in MHz, time in ms, power in W, energy in J.
"""
from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Tuple

from . import _core

if TYPE_CHECKING:  # pragma: no cover
    from ._configs import ConfigSet
    from ._problem import Problem

_FLOATS = ("min_latency_ms", "objective_value", "energy_j", "energy_compute_j", "energy_transmit_j", "energy_idle_j",
           "latency_ms", "latency_local_ms", "latency_transmit_ms", "latency_server_ms")
_DECISIONS = ("compute_freq_mhz", "mem_freq_mhz", "tx_power_w", "offload_fraction")


def _none_if_nan(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _nan_if_none(v: Any) -> float:
    return math.nan if v is None else float(v)


class Solution:
    """The outcome of :func:`dvfskit.solve`.

    Attributes
    ----------
    feasible: whether the deadline is met; reason: why not (None when feasible);
    min_latency_ms: the smallest latency reachable (ms);
    energy_j = energy_compute_j + energy_transmit_j + energy_idle_j (J);
    latency_ms (ms): with the breakdown latency_local_ms (when the device finishes its own work),
    latency_transmit_ms, latency_server_ms; their sum without partial offloading, else
    ``max(local, serial local part + transmit + server)`` (:ref:`math-partial-offloading`);
    split: the first ``split`` blocks run on the device (0 = full offload, L = all local);
    config: the chosen configuration as a dict knob -> value (None when nothing runs locally;
    for model problems the continuous frequencies); config_index: its index k in the problem's
    :class:`~dvfskit.ConfigSet` (None when nothing runs locally or without tables);
    compute_freq_mhz, mem_freq_mhz: those knobs' values, MHz (NaN where the configuration has no
    such knob or nothing runs locally);
    tx_power_w: W (0 when nothing is sent); offload_fraction: share of the post-split work sent
    to the server (1 when split < L without partial offloading, 0 when all local);
    objective, weight, objective_value: what was minimised and its value;
    tables_kind: ``"measured"`` or ``"predicted"`` tables (None for model problems).

    Solutions pickle, and ``Solution.from_dict(s.to_dict())`` rebuilds one (JSON-safe dict).
    """

    __slots__ = ("_raw", "objective", "weight", "tables_kind", "_configs", "_config")

    _FIELDS = (
        "feasible", "reason", "objective", "objective_value", "energy_j", "energy_compute_j",
        "energy_transmit_j", "energy_idle_j", "latency_ms", "latency_local_ms", "latency_transmit_ms",
        "latency_server_ms", "min_latency_ms", "split", "compute_freq_mhz", "mem_freq_mhz",
        "tx_power_w", "offload_fraction",
    )

    def __init__(self, raw: Any, objective: str = "energy", weight: float = 0.0,
                 configs: Optional["ConfigSet"] = None, tables_kind: Optional[str] = None,
                 config: Optional[Dict[str, Any]] = None) -> None:
        self._raw = raw
        self.objective = objective
        self.weight = weight
        self.tables_kind = tables_kind
        self._configs = configs  # labels of a table problem (config computed on demand)
        self._config = config    # or the labels themselves (model problems, from_dict, unpickled)

    @classmethod
    def _of_model(cls, raw: Any, objective: str, weight: float) -> "Solution":
        f, m = raw.compute_freq_mhz, raw.mem_freq_mhz
        config = {"compute_freq_mhz": f, "mem_freq_mhz": m} if math.isfinite(f) else None
        return cls(raw, objective, weight, None, None, config)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._raw, name)

    @property
    def reason(self) -> Optional[str]:
        return self._raw.reason or None

    @property
    def config(self) -> Optional[Dict[str, Any]]:
        """The chosen configuration, knob -> value (frequencies in MHz); None when nothing runs
        locally (full offload)."""
        if self._configs is None:
            return None if self._config is None else dict(self._config)
        k = self._raw.config
        return None if k < 0 else self._configs.label(k)

    @property
    def config_index(self) -> Optional[int]:
        """k, the chosen configuration's row in the problem's ConfigSet (None when nothing runs
        locally, or for model problems)."""
        k = self._raw.config
        return None if k < 0 else int(k)

    @property
    def energy_breakdown(self) -> Dict[str, float]:
        """J: compute, transmit, idle."""
        r = self._raw
        return {"compute": r.energy_compute_j, "transmit": r.energy_transmit_j, "idle": r.energy_idle_j}

    @property
    def latency_breakdown(self) -> Dict[str, float]:
        """ms: local, transmit, server."""
        r = self._raw
        return {"local": r.latency_local_ms, "transmit": r.latency_transmit_ms, "server": r.latency_server_ms}

    # -- serialisation ---------------------------------------------------------------------------

    def to_dict(self) -> Dict[str, Any]:
        """A plain dict (JSON-safe: NaN becomes None), with ``config`` (knob -> value or None),
        ``config_index``, ``weight``, ``tables_kind`` and ``evaluated``; see :meth:`from_dict`."""
        out: Dict[str, Any] = {k: _none_if_nan(getattr(self, k)) for k in self._FIELDS}
        out["weight"] = self.weight
        config = self.config
        out["config"] = None if config is None else {k: _none_if_nan(v) for k, v in config.items()}
        out["config_index"] = self.config_index
        out["tables_kind"] = self.tables_kind
        out["evaluated"] = int(self._raw.evaluated)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Solution":
        """Rebuild a Solution written by :meth:`to_dict` (None read back as NaN)."""
        state: Any = (bool(d["feasible"]), d.get("reason") or "", *(_nan_if_none(d[k]) for k in _FLOATS),
                 int(d["split"]), -1 if d.get("config_index") is None else int(d["config_index"]),
                 *(_nan_if_none(d[k]) for k in _DECISIONS), int(d.get("evaluated", 0)))
        config = d.get("config")
        config = None if config is None else {k: (math.nan if v is None else v) for k, v in config.items()}
        return cls(_core.OffloadSolution.from_state(state), d["objective"], float(d.get("weight", 0.0)), None,
                   d.get("tables_kind"), config)

    def __getstate__(self) -> Tuple[Any, ...]:
        return (self._raw.state(), self.objective, self.weight, self.tables_kind, self.config)

    def __setstate__(self, state: Tuple[Any, ...]) -> None:
        raw, objective, weight, kind, config = state
        for name, value in (("_raw", _core.OffloadSolution.from_state(raw)), ("objective", objective),
                            ("weight", weight), ("tables_kind", kind), ("_configs", None), ("_config", config)):
            object.__setattr__(self, name, value)

    # -- reprs ------------------------------------------------------------------------------------

    def _objective_text(self) -> str:
        return f"weighted (w={self.weight:g} W)" if self.objective == "weighted" else self.objective

    def _status(self) -> str:
        status = "feasible" if self.feasible else f"INFEASIBLE: {self.reason}"
        return status + (", on predicted tables" if self.tables_kind == "predicted" else "")

    def _config_text(self) -> str:
        config = self.config
        if config is None:
            return "nothing runs locally"
        return ", ".join(f"{k}={v:.6g}" + (" MHz" if k.endswith("_mhz") else "") if isinstance(v, float) else f"{k}={v}"
                         for k, v in config.items())

    def __repr__(self) -> str:
        r = self._raw
        return "\n".join(
            [
                f"Solution(objective={self._objective_text()}, {self._status()})",
                f"  split={r.split} (first {r.split} blocks local), {self._config_text()}, "
                f"tx_power={r.tx_power_w:.6g} W, offload_fraction={r.offload_fraction:g}",
                f"  energy  = {r.energy_j:.6g} J  (compute {r.energy_compute_j:.6g}, transmit {r.energy_transmit_j:.6g}, "
                f"idle {r.energy_idle_j:.6g})",
                f"  latency = {r.latency_ms:.6g} ms (local {r.latency_local_ms:.6g}, transmit {r.latency_transmit_ms:.6g}, "
                f"server {r.latency_server_ms:.6g})" + (f"; min reachable {r.min_latency_ms:.6g} ms" if math.isfinite(r.min_latency_ms) else ""),
            ]
        )

    def _repr_html_(self) -> str:
        items = [(k, getattr(self, k)) for k in self._FIELDS]
        items += [(f"config: {k}", v) for k, v in (self.config or {}).items()]
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(_fmt(v))}</td></tr>"
            for k, v in items
        )
        return (
            f"<div><b>Solution</b> &mdash; {html.escape(self._objective_text())}, {html.escape(self._status())}"
            f"<table>{rows}</table><p>Units: MHz, ms, W, J.</p></div>"
        )

    def plot(self, problem: Optional["Problem"] = None, **kw: Any) -> Any:
        """Timeline of the latency breakdown, or with ``problem`` a heatmap with the chosen
        configuration marked (``dvfskit.plots.solution``); returns the Axes."""
        from .plots import solution as _plot
        return _plot(self, problem, **kw)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return "" if v is None else str(v)
