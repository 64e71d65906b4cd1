"""
dvfskit C++ core: expression models, least-squares fitting (Ceres), solvers.
"""
from __future__ import annotations
import collections.abc
import numpy
import numpy.typing
import typing
__all__: list[str] = ['ConfigSet', 'ConfigSubset', 'Expression', 'ExpressionError', 'FitOptions', 'GovernorSimulator', 'GridGuess', 'ModelProblem', 'OffloadSolution', 'ParameterSpec', 'Scenario', 'TableProblem', 'evaluate_table', 'fit_callable', 'fit_expression', 'fit_expression_groups', 'fit_expression_quick', 'grid_guess', 'linear_parameters', 'solve_batch', 'solve_model', 'solve_schedule', 'solve_table']
class ConfigSet:
    """
    K configurations over d knobs (values K x d), any subset of the knobs' grid. Immutable.
    """
    def __init__(self, knobs: collections.abc.Sequence[str], values: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> None:
        ...
    def find(self, values: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex]) -> int | None:
        """
        Index of the configuration with exactly these knob values, or None.
        """
    def knob_levels(self, knob: typing.SupportsInt | typing.SupportsIndex) -> list[float]:
        """
        The distinct values of knob j, ascending.
        """
    @property
    def knobs(self) -> list[str]:
        ...
    @property
    def levels(self) -> numpy.typing.NDArray[numpy.int32]:
        """
        Level of each knob value among that knob's distinct values, ascending (K, d).
        """
    @property
    def size(self) -> int:
        ...
    @property
    def values(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        Knob values (K, d).
        """
class ExpressionError(ValueError):
    pass
class ParameterSpec:
    """
    Names, initial values, bounds and fixed flags.
    """
    def __init__(self, names: collections.abc.Sequence[str], initial: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], lower: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], upper: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], fixed: collections.abc.Sequence[bool], given: collections.abc.Sequence[bool] = []) -> None:
        ...
    @property
    def fixed(self) -> list[bool]:
        ...
    @property
    def given(self) -> list[bool]:
        ...
    @property
    def initial(self) -> list[float]:
        ...
    @property
    def lower(self) -> list[float]:
        ...
    @property
    def names(self) -> list[str]:
        ...
    @property
    def upper(self) -> list[float]:
        ...
class FitOptions:
    """
    Solver settings for one fit.
    """
    def __init__(self, loss: str = 'linear', loss_scale: typing.SupportsFloat | typing.SupportsIndex = 1.0, max_iterations: typing.SupportsInt | typing.SupportsIndex = 1000, ftol: typing.SupportsFloat | typing.SupportsIndex = 1e-15, gtol: typing.SupportsFloat | typing.SupportsIndex = 1e-15, xtol: typing.SupportsFloat | typing.SupportsIndex = 1e-15, starts: typing.SupportsInt | typing.SupportsIndex = 1, seed: typing.SupportsInt | typing.SupportsIndex = 0, retries: typing.SupportsInt | typing.SupportsIndex = 8, solver: str = 'auto') -> None:
        ...
    @property
    def loss_scale(self) -> float:
        ...
    @property
    def max_iterations(self) -> int:
        ...
    @property
    def retries(self) -> int:
        ...
    @property
    def starts(self) -> int:
        ...
class GovernorSimulator:
    """
    Periodic inference under per-knob governors on (L, K) tables (cpp/include/dvfskit/governor_sim.hpp).
    """
    def __init__(self, configs: ConfigSet, latency_ms: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], power_w: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], busy: collections.abc.Sequence[typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None], switch_time_ms: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], switch_energy_j: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], governors: collections.abc.Sequence[tuple], switch_any_ms: typing.SupportsFloat | typing.SupportsIndex = 0.0, switch_any_j: typing.SupportsFloat | typing.SupportsIndex = 0.0) -> None:
        ...
    def run(self, period_ms: typing.SupportsFloat | typing.SupportsIndex, sampling_ms: typing.SupportsFloat | typing.SupportsIndex, idle_power_w: typing.SupportsFloat | typing.SupportsIndex, record: bool = False, max_inferences: typing.SupportsInt | typing.SupportsIndex = 100000, stepped: bool = False) -> dict:
        """
        Steady state (sampling_ms == period_ms) or time-stepped simulation; stepped=True forces the time-stepped path. A dict of means, cycle, and (record) per-inference and per-segment arrays.
        """
    def snap(self, levels: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex]) -> int:
        """
        The measured configuration nearest to the knobs' levels (one per knob).
        """
    def steady_batch(self, period_ms: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], idle_power_w: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], threads: typing.SupportsInt | typing.SupportsIndex = 0) -> dict:
        """
        Steady states for many (period, idle power) pairs, multi-threaded: a dict of arrays.
        """
    @property
    def initial_config(self) -> int:
        ...
    @property
    def num_blocks(self) -> int:
        ...
class GridGuess:
    """
    Starting values: a grid over `searched` parameters, `linear` ones by bounded least squares.
    """
    def __init__(self, linear: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], searched: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], grids: collections.abc.Sequence[collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex]]) -> None:
        ...
    @property
    def grids(self) -> list[list[float]]:
        ...
    @property
    def linear(self) -> list[int]:
        ...
    @property
    def searched(self) -> list[int]:
        ...
class Expression:
    """
    A parsed model expression over named inputs and parameters.
    """
    def __init__(self, text: str, inputs: collections.abc.Sequence[str], parameters: collections.abc.Sequence[str] | None = None, *, allow_unused_parameters: bool = False) -> None:
        ...
    def evaluate(self, columns: collections.abc.Sequence[typing.Annotated[numpy.typing.ArrayLike, numpy.float64]], params: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> numpy.typing.NDArray[numpy.float64]:
        """
        Values at every point (one array per input).
        """
    def jacobian(self, columns: collections.abc.Sequence[typing.Annotated[numpy.typing.ArrayLike, numpy.float64]], params: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> numpy.typing.NDArray[numpy.float64]:
        """
        d value / d parameter at every point, shape (n, P).
        """
    def evaluate_rows(self, columns: collections.abc.Sequence[typing.Annotated[numpy.typing.ArrayLike, numpy.float64]], params: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> numpy.typing.NDArray[numpy.float64]:
        """
        Values at every point, point i with the parameters params[i].
        """
    @property
    def inputs(self) -> list[str]:
        ...
    @property
    def parameters(self) -> list[str]:
        ...
    @property
    def text(self) -> str:
        ...
class Scenario:
    """
    Radio/time parameters of one solve (ms, Hz, W/Hz, W).
    """
    def __init__(self, deadline_ms: typing.SupportsFloat | typing.SupportsIndex, bandwidth_hz: typing.SupportsFloat | typing.SupportsIndex, gain: typing.SupportsFloat | typing.SupportsIndex, noise_w_per_hz: typing.SupportsFloat | typing.SupportsIndex, p_max_w: typing.SupportsFloat | typing.SupportsIndex, p_circuit_w: typing.SupportsFloat | typing.SupportsIndex = 0.0, idle_power_w: typing.SupportsFloat | typing.SupportsIndex = 0.0) -> None:
        ...
    @property
    def bandwidth_hz(self) -> float:
        ...
    @property
    def deadline_ms(self) -> float:
        ...
    @property
    def gain(self) -> float:
        ...
    @property
    def idle_power_w(self) -> float:
        ...
    @property
    def noise_w_per_hz(self) -> float:
        ...
    @property
    def p_circuit_w(self) -> float:
        ...
    @property
    def p_max_w(self) -> float:
        ...
class TableProblem:
    """
    Per-block tables over a configuration set, precomputed into cumulative local time/energy and per-option Pareto fronts. Immutable.
    """
    def __init__(self, configs: ConfigSet, block_latency_ms: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], block_power_w: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], out_bits: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], server_latency_ms: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], offload_fractions: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex] = []) -> None:
        """
        Tables (L, K) over `configs`; offload_fractions: allowed shares rho in [0, 1] (empty: 1 only).
        """
    def front_sizes(self) -> list[int]:
        """
        Number of Pareto-front configurations of each option.
        """
    def local_energy_mj(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        Cumulative local energy (L + 1, K), mJ.
        """
    def local_time_ms(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        Cumulative local time (L + 1, K), ms.
        """
    def options(self) -> list[tuple[int, float]]:
        """
        The options (split, offload fraction), in solver order.
        """
    @property
    def bytes(self) -> int:
        """
        Bytes held by the tables, fronts and labels.
        """
    @property
    def configs(self) -> ConfigSet:
        ...
    @property
    def num_blocks(self) -> int:
        ...
    @property
    def num_configs(self) -> int:
        ...
    @property
    def offload_fractions(self) -> list[float]:
        ...
class ConfigSubset:
    """
    A subset of a TableProblem's configurations with its own per-option fronts. Immutable.
    """
    def __init__(self, problem: TableProblem, configs: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex]) -> None:
        ...
    @property
    def configs(self) -> list[int]:
        ...
class OffloadSolution:
    @staticmethod
    def from_state(state: tuple[bool, str, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsInt | typing.SupportsIndex, typing.SupportsInt | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsInt | typing.SupportsIndex]) -> OffloadSolution:
        ...
    def __getstate__(self) -> tuple[bool, str, float, float, float, float, float, float, float, float, float, float, int, int, float, float, float, float, int]:
        ...
    def __setstate__(self, arg0: tuple[bool, str, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsInt | typing.SupportsIndex, typing.SupportsInt | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex, typing.SupportsInt | typing.SupportsIndex]) -> None:
        ...
    def state(self) -> tuple[bool, str, float, float, float, float, float, float, float, float, float, float, int, int, float, float, float, float, int]:
        """
        Every field as a tuple (OffloadSolution.from_state rebuilds it).
        """
    @property
    def compute_freq_mhz(self) -> float:
        ...
    @property
    def config(self) -> int:
        ...
    @property
    def energy_compute_j(self) -> float:
        ...
    @property
    def energy_idle_j(self) -> float:
        ...
    @property
    def energy_j(self) -> float:
        ...
    @property
    def energy_transmit_j(self) -> float:
        ...
    @property
    def evaluated(self) -> int:
        ...
    @property
    def feasible(self) -> bool:
        ...
    @property
    def latency_local_ms(self) -> float:
        ...
    @property
    def latency_ms(self) -> float:
        ...
    @property
    def latency_server_ms(self) -> float:
        ...
    @property
    def latency_transmit_ms(self) -> float:
        ...
    @property
    def mem_freq_mhz(self) -> float:
        ...
    @property
    def min_latency_ms(self) -> float:
        ...
    @property
    def objective_value(self) -> float:
        ...
    @property
    def offload_fraction(self) -> float:
        ...
    @property
    def reason(self) -> str:
        ...
    @property
    def split(self) -> int:
        ...
    @property
    def tx_power_w(self) -> float:
        ...
class ModelProblem:
    """
    Per-block latency/power expressions in the compute frequency (f or compute_freq_mhz) and memory frequency (m or mem_freq_mhz), MHz, with per-block coefficients, continuous frequency ranges, optional partial offloading. Immutable.
    """
    def __init__(self, latency_ms: Expression, latency_coefficients: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], power_w: Expression, power_coefficients: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], compute_freq_range_mhz: tuple[typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex], mem_freq_range_mhz: tuple[typing.SupportsFloat | typing.SupportsIndex, typing.SupportsFloat | typing.SupportsIndex], out_bits: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], server_latency_ms: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], partial_offloading: bool = True) -> None:
        ...
    def block(self, arg0: typing.SupportsInt | typing.SupportsIndex, arg1: typing.SupportsFloat | typing.SupportsIndex, arg2: typing.SupportsFloat | typing.SupportsIndex) -> tuple[float, float]:
        ...
    @property
    def num_blocks(self) -> int:
        ...
def evaluate_table(problem: TableProblem, scenario: Scenario, split: typing.SupportsInt | typing.SupportsIndex, config: typing.SupportsInt | typing.SupportsIndex, tx_power_w: typing.SupportsFloat | typing.SupportsIndex, fraction: typing.SupportsFloat | typing.SupportsIndex = -1.0) -> OffloadSolution:
    ...
def fit_callable(function: collections.abc.Callable, y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], weights: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, spec: ParameterSpec, options: FitOptions, guess: GridGuess | None = None) -> dict:
    """
    Least-squares fit of a Python callable f(params) -> predictions (numeric derivatives).
    """
def fit_expression(expression: Expression, columns: collections.abc.Sequence[typing.Annotated[numpy.typing.ArrayLike, numpy.float64]], y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], weights: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, spec: ParameterSpec, options: FitOptions, guess: GridGuess | None = None) -> dict:
    """
    Least-squares fit of an expression model; returns a dict of results.
    """
def fit_expression_groups(expression: Expression, columns: collections.abc.Sequence[typing.Annotated[numpy.typing.ArrayLike, numpy.float64]], y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], weights: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, offsets: typing.Annotated[numpy.typing.ArrayLike, numpy.uint64], spec: ParameterSpec, initial: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, options: FitOptions, guess: GridGuess | None = None, threads: typing.SupportsInt | typing.SupportsIndex = 0) -> dict:
    """
    Fits every group of rows [offsets[g], offsets[g+1]) on a thread pool (starting values: the rows of `initial`, else spec's; then the grid guess); returns stacked arrays.
    """
def fit_expression_quick(expression: Expression, columns: collections.abc.Sequence[typing.Any], y: typing.Any, p0: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], lower: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], upper: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], options: FitOptions) -> typing.Any:
    """
    fit_expression for float64 arrays and starting values for every parameter, or None when the input needs the full checks.
    """
def grid_guess(expression: Expression, columns: collections.abc.Sequence[typing.Annotated[numpy.typing.ArrayLike, numpy.float64]], y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], weights: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, spec: ParameterSpec, guess: GridGuess) -> list[float]:
    """
    Starting values of an expression model from its grid guess.
    """
def linear_parameters(expression: Expression) -> list[int]:
    """
    Indices of the parameters the expression is jointly affine in (solved by variable projection).
    """
def solve_batch(problem: TableProblem, scenarios: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], kind: typing.SupportsInt | typing.SupportsIndex = 0, weight: typing.SupportsFloat | typing.SupportsIndex = 0.0, baselines: list = [], threads: typing.SupportsInt | typing.SupportsIndex = 0) -> dict:
    """
    Solve every row of scenarios (n, 7) and each baseline (split, fraction, configs, fixed_max_power, plan_on) on `threads` threads (0 = all cores), GIL released, Ctrl-C raising KeyboardInterrupt. Returns a dict of numpy columns (feasible as uint8) and 'baselines', a list of dicts (energy_j, latency_ms, feasible).
    """
def solve_model(problem: ModelProblem, scenario: Scenario, kind: typing.SupportsInt | typing.SupportsIndex = 0, weight: typing.SupportsFloat | typing.SupportsIndex = 0.0, starts: typing.SupportsInt | typing.SupportsIndex = 12, max_evaluations: typing.SupportsInt | typing.SupportsIndex = 400) -> OffloadSolution:
    """
    Model solve (NLopt SLSQP per split); Ctrl-C raises KeyboardInterrupt.
    """
def solve_schedule(latency: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], energy: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], deadline: typing.SupportsFloat | typing.SupportsIndex, switch_time_any: typing.SupportsFloat | typing.SupportsIndex = 0.0, switch_energy_any: typing.SupportsFloat | typing.SupportsIndex = 0.0, configs: ConfigSet | None = None, switch_time_knobs: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex] = [], switch_energy_knobs: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex] = [], switch_time_matrix: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None, switch_energy_matrix: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None, initial_config: typing.SupportsInt | typing.SupportsIndex | None = None, max_labels_per_cell: typing.SupportsInt | typing.SupportsIndex = 4096, label_budget: typing.SupportsInt | typing.SupportsIndex = 3000000) -> dict:
    """
    Energy-optimal per-block schedule under a deadline (ms, J); returns a dict. A switch costs switch_*_any plus switch_*_knobs[j] for every knob j of `configs` that changes, or the K x K matrices. Ctrl-C raises KeyboardInterrupt.
    """
def solve_table(problem: TableProblem, scenario: Scenario, kind: typing.SupportsInt | typing.SupportsIndex = 0, weight: typing.SupportsFloat | typing.SupportsIndex = 0.0, split: typing.SupportsInt | typing.SupportsIndex = -1, fraction: typing.SupportsFloat | typing.SupportsIndex = -1.0, configs: ConfigSubset | None = None, fixed_max_power: bool = False) -> OffloadSolution:
    """
    Exact solve; kind 0 energy, 1 latency, 2 weighted (energy_j + weight * latency_s), 3 energy-delay. Restrictions: split (-1 free), offload fraction (-1 free), configs (a ConfigSubset of the problem).
    """
