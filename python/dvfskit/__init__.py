"""dvfskit: fit DVFS-aware latency and power models to measurements, and choose the compute
frequency, memory frequency, transmit power and DNN split that minimise energy under a deadline.

Units: frequencies in MHz unless a column says otherwise, time in ms, power in W, energy in J.
"""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, List

from . import datasets, models
from ._compare import compare
from ._configs import ConfigSet
from ._core import ExpressionError
from ._fit import FitResult, fit, starting_values
from ._fit_table import FitTable
from ._governor import GovernorResult, governor
from ._measurements import read_measurements
from ._model import Model
from ._schedule import BlockTables, Schedule, block_tables, schedule, schedule_baselines
from ._solve import Channel, Device, Problem, Server, Solution, baselines, solve
from ._output import read_sweep
from ._sweep import sweep
from ._version import __version__

if TYPE_CHECKING:  # pragma: no cover - for type checkers; at run time see __getattr__
    from . import cli, demo, examples, plots, problem_file, workloads

__all__ = [
    "BlockTables",
    "Channel",
    "ConfigSet",
    "Device",
    "ExpressionError",
    "FitResult",
    "FitTable",
    "GovernorResult",
    "Model",
    "Problem",
    "Schedule",
    "Server",
    "Solution",
    "baselines",
    "block_tables",
    "compare",
    "datasets",
    "fit",
    "governor",
    "models",
    "read_measurements",
    "read_sweep",
    "schedule",
    "schedule_baselines",
    "solve",
    "starting_values",
    "sweep",
    "__version__",
]

#: Submodules imported on first use (``dvfskit.plots`` imports matplotlib), keeping
#: ``import dvfskit`` fast.
_LAZY_SUBMODULES = ("cli", "demo", "examples", "plots", "problem_file", "workloads")


def __getattr__(name: str) -> ModuleType:
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f".{name}", __name__)  # also sets it as an attribute
    raise AttributeError(f"module 'dvfskit' has no attribute {name!r}")


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))
