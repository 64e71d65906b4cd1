"""``dvfskit.solve`` and ``dvfskit.baselines``: the energy-optimal configuration (any knobs), split
point, offloaded share and transmit power, exact on tables (C++), NLopt on continuous models.

Units: frequencies in MHz, time in ms, power in W, energy in J, data in bits, bandwidth in Hz,
noise spectral density in W/Hz, channel gain dimensionless. Offloading semantics:
:ref:`math-offloading`. The problem is :class:`dvfskit.Problem` (``_problem.py``), the
result :class:`dvfskit.Solution` (``_solution.py``), the baselines ``_baselines.py``.
"""
from __future__ import annotations

from typing import Any, Optional, Tuple, Union

from . import _core
from ._baselines import baselines
from ._data import scalar
from ._problem import _SCENARIO_FIELDS as _SCENARIO_FIELDS  # noqa: F401 (re-exported)
from ._problem import Channel, Device, Problem, Server
from ._solution import Solution

__all__ = ["Channel", "Device", "Problem", "Server", "Solution", "baselines", "solve"]

ObjectiveSpec = Union[str, Tuple[str, float]]

_KINDS = {"energy": 0, "latency": 1, "weighted": 2, "edp": 3, "energy_delay": 3, "energy-delay": 3}
_KIND_NAMES = ("energy", "latency", "weighted", "edp")


def _parse_objective(objective: ObjectiveSpec, weight: Optional[float]) -> Tuple[int, float]:
    if isinstance(objective, tuple):
        if len(objective) != 2 or objective[0] != "weighted":
            raise ValueError(f"objective tuple must be ('weighted', w), got {objective!r}")
        if weight is not None:
            raise ValueError("give the weight either in the objective tuple or as weight=, not both")
        objective, weight = "weighted", float(objective[1])
    kind = _KINDS.get(objective) if isinstance(objective, str) else None
    if kind is None:
        raise ValueError(f"objective must be one of 'energy', 'latency', ('weighted', w), 'edp'; got {objective!r}")
    if kind == 2:
        if weight is None:
            raise ValueError("the weighted objective needs a weight: objective=('weighted', w), w in W (J/s)")
        return kind, scalar(weight, "weight", allow_zero=True)
    if weight is not None:
        raise ValueError("weight is only used with objective='weighted'")
    return kind, 0.0


def _check_problem(problem: Any) -> None:
    if not isinstance(problem, Problem):
        raise TypeError(
            f"problem must be a dvfskit.Problem (Problem.from_tables, from_measurements, from_fits, from_models ...), "
            f"not {type(problem).__name__}"
        )


def solve(problem: Problem, objective: ObjectiveSpec = "energy", *, weight: Optional[float] = None) -> Solution:
    """The exact optimum of ``problem`` over split point, configuration (tables: every knob),
    offloaded share (when the problem allows partial offloading) and transmit power, subject to
    ``latency <= deadline`` (relative tolerance 1e-9). Semantics: :ref:`math-offloading`.

    Objectives
    ----------
    - ``"energy"`` (default): device energy, J.
    - ``"latency"``: end-to-end latency, ms (ties broken by energy; transmits at p_max).
    - ``("weighted", w)`` or ``objective="weighted", weight=w``: ``energy_j + w * latency_s``,
      w in W (joules per second of latency), w >= 0.
    - ``"edp"`` (alias ``"energy_delay"``): ``energy_j * latency_s``, J s.

    Infeasible problems never raise: the Solution has ``feasible=False``, a ``reason`` and
    ``min_latency_ms``, and its decisions are those of the fastest plan.

    Problems built with :meth:`Problem.from_models` (continuous frequencies, partial offloading)
    are solved per split point by NLopt SLSQP from several deterministic starts (a local
    method: no optimality certificate; ``min_latency_ms`` is NaN when feasible); Ctrl-C stops
    them (KeyboardInterrupt), and a model negative or not finite at a point the solver visits
    raises ValueError naming the model, block and frequencies.
    """
    _check_problem(problem)
    if objective == "energy" and weight is None:
        kind, w = 0, 0.0
    else:
        kind, w = _parse_objective(objective, weight)
    tables = problem._tables
    if tables is not None:
        return Solution(_core.solve_table(tables, problem._scenario, kind, w), _KIND_NAMES[kind], w,
                        problem._configs, problem._tables_kind)
    assert problem._model is not None
    return Solution._of_model(_core.solve_model(problem._model, problem._scenario, kind, w, problem._starts),
                              _KIND_NAMES[kind], w)
