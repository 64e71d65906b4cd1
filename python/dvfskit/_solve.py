"""``dvfskit.Problem`` / ``dvfskit.solve`` / ``dvfskit.baselines``: energy-optimal compute
frequency, memory frequency, split point and transmit power on measured tables (exact, C++).

Units: frequencies in MHz, time in ms, power in W, energy in J, data in bits, bandwidth in Hz,
noise spectral density in W/Hz, channel gain dimensionless.
"""
from __future__ import annotations

import html
import math
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from . import _core
from ._configs import ConfigSet
from ._data import scalar

ObjectiveSpec = Union[str, Tuple[str, float]]

_KINDS = {"energy": 0, "latency": 1, "weighted": 2, "edp": 3, "energy_delay": 3, "energy-delay": 3}
_KIND_NAMES = ("energy", "latency", "weighted", "edp")
_SCENARIO_FIELDS = ("deadline_ms", "bandwidth_hz", "gain", "noise_w_per_hz", "p_max_w", "p_circuit_w", "idle_power_w")


def _array(value: Any, name: str, ndim: int) -> np.ndarray:
    """A finite float64 copy (never a view of the caller's data) with ``ndim`` dimensions."""
    try:
        a = np.array(value, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from None
    if a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite values")
    a.setflags(write=False)
    return a


class Problem:
    """One DNN inference on one device with an edge server: measured per-block tables plus the
    radio/deadline scenario. Build it with :meth:`from_tables`; derive scenarios sharing the same
    precomputed tables with :meth:`with_scenario`.

    The C++ object (``dvfskit._core.TableProblem``) precomputes, once, the cumulative local
    time/energy for every (split, f, m) and per split the Pareto front of (time, energy), so
    :func:`solve` only enumerates a few candidates.
    """

    # set by the constructors (from_tables: the tables; from_models: device, channel, server)
    block_latency_ms: np.ndarray
    block_power_w: np.ndarray
    compute_freqs_mhz: np.ndarray
    mem_freqs_mhz: np.ndarray
    out_bits: np.ndarray
    server_latency_ms: np.ndarray
    device: "Device"
    channel: "Channel"
    server: "Server"
    assumptions: Any
    _tables: Optional[Any]
    _model: Optional[Any]
    _starts: int
    _scenario: Any

    def __init__(self) -> None:  # pragma: no cover - use the constructors
        raise TypeError("use dvfskit.Problem.from_tables(...)")

    @classmethod
    def from_tables(
        cls,
        block_latency_ms: Any,
        block_power_w: Any,
        compute_freqs_mhz: Any,
        mem_freqs_mhz: Any,
        out_bits: Any,
        server_latency_ms: Any,
        bandwidth_hz: float,
        gain: float,
        noise_w_per_hz: float,
        p_max_w: float,
        deadline_ms: float,
        p_circuit_w: float = 0.0,
        idle_power_w: float = 0.0,
    ) -> "Problem":
        """The problem on measured tables, with no model in between.

        Parameters
        ----------
        block_latency_ms, block_power_w: shape (L, nF, nM): latency (ms) and average power (W)
            of block i at compute frequency ``compute_freqs_mhz[f]`` and memory frequency
            ``mem_freqs_mhz[m]``. Local energy of the first l blocks is
            ``sum_i<l latency * power`` (ms * W = mJ, reported in J).
        compute_freqs_mhz (nF,), mem_freqs_mhz (nM,): positive, MHz.
        out_bits (L + 1,): bits sent when the first l blocks run locally (``out_bits[0]``: the
            input); ``out_bits[L]`` is never sent.
        server_latency_ms (L + 1,): the server's time for blocks l..L-1, ms; last entry 0.
        bandwidth_hz (Hz), gain (dimensionless), noise_w_per_hz (W/Hz): Shannon uplink
            ``r(p) = B log2(1 + p g / (N0 B))`` bit/s.
        p_max_w: transmit power limit, W (p in (0, p_max]).
        deadline_ms: latency bound ``t_local + t_tx + t_server <= deadline``, ms.
        p_circuit_w: radio power on top of p while transmitting, W.
        idle_power_w: device power while waiting for the server, W.

        Raises ValueError naming the argument on bad shapes or values; inputs are copied.
        """
        self = object.__new__(cls)
        lat = _array(block_latency_ms, "block_latency_ms", 3)
        pw = _array(block_power_w, "block_power_w", 3)
        if pw.shape != lat.shape:
            raise ValueError(f"block_power_w has shape {pw.shape}, block_latency_ms {lat.shape}; they must match")
        if np.any(lat < 0):
            raise ValueError("block_latency_ms must be >= 0")
        if np.any(pw < 0):
            raise ValueError("block_power_w must be >= 0")
        with np.errstate(over="ignore"):
            if not np.isfinite(lat.max(axis=(1, 2)).sum()):
                raise ValueError("block_latency_ms: values too large, the total latency overflows (rescale the units)")
            if not np.isfinite((lat * pw).max(axis=(1, 2)).sum()):
                raise ValueError("block_power_w: values too large, latency * power overflows (rescale the units)")
        L, nf, nm = lat.shape
        fq = _array(compute_freqs_mhz, "compute_freqs_mhz", 1)
        mq = _array(mem_freqs_mhz, "mem_freqs_mhz", 1)
        if fq.shape != (nf,):
            raise ValueError(f"compute_freqs_mhz must have {nf} entries (block_latency_ms.shape[1]), got {fq.size}")
        if mq.shape != (nm,):
            raise ValueError(f"mem_freqs_mhz must have {nm} entries (block_latency_ms.shape[2]), got {mq.size}")
        if np.any(fq <= 0):
            raise ValueError("compute_freqs_mhz must be positive")
        if np.any(mq <= 0):
            raise ValueError("mem_freqs_mhz must be positive")
        ob = _array(out_bits, "out_bits", 1)
        sv = _array(server_latency_ms, "server_latency_ms", 1)
        if ob.shape != (L + 1,):
            raise ValueError(f"out_bits must have L + 1 = {L + 1} entries, got {ob.size}")
        if sv.shape != (L + 1,):
            raise ValueError(f"server_latency_ms must have L + 1 = {L + 1} entries, got {sv.size}")
        if np.any(ob < 0):
            raise ValueError("out_bits must be >= 0")
        if np.any(sv < 0):
            raise ValueError("server_latency_ms must be >= 0")
        if sv[-1] != 0:
            raise ValueError("server_latency_ms[L] must be 0 (all blocks local: nothing runs on the server)")
        self.block_latency_ms, self.block_power_w = lat, pw
        self.compute_freqs_mhz, self.mem_freqs_mhz = fq, mq
        self.out_bits, self.server_latency_ms = ob, sv
        self._tables = _core.TableProblem(lat, pw, fq, mq, ob, sv)
        self._model = None
        self._set_scenario(
            dict(
                deadline_ms=deadline_ms,
                bandwidth_hz=bandwidth_hz,
                gain=gain,
                noise_w_per_hz=noise_w_per_hz,
                p_max_w=p_max_w,
                p_circuit_w=p_circuit_w,
                idle_power_w=idle_power_w,
            )
        )
        return self

    def _set_scenario(self, values: Dict[str, Any]) -> None:
        clean = {k: scalar(values[k], k, allow_zero=k in ("p_circuit_w", "idle_power_w")) for k in _SCENARIO_FIELDS}
        # The uplink's SNR at full power, p_max g / (N0 B), must be a finite number (else NaN energies).
        snr = clean["p_max_w"] * clean["gain"] / clean["noise_w_per_hz"] / clean["bandwidth_hz"]
        if not math.isfinite(snr):
            raise ValueError(
                f"gain, noise_w_per_hz, bandwidth_hz and p_max_w give an infinite SNR p_max_w * gain / "
                f"(noise_w_per_hz * bandwidth_hz) (gain={values['gain']!r}, noise_w_per_hz="
                f"{values['noise_w_per_hz']!r}); check their units"
            )
        self._scenario = _core.Scenario(**clean)

    def with_scenario(self, **changes: float) -> "Problem":
        """A problem sharing these tables (no recomputation) with some of ``deadline_ms``,
        ``bandwidth_hz``, ``gain``, ``noise_w_per_hz``, ``p_max_w``, ``p_circuit_w``,
        ``idle_power_w`` changed."""
        unknown = set(changes) - set(_SCENARIO_FIELDS)
        if unknown:
            raise ValueError(f"unknown scenario fields {sorted(unknown)}; expected some of {_SCENARIO_FIELDS}")
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other._set_scenario({**self.scenario, **changes})
        return other

    # Pickling (e.g. to send a problem to Dask workers): the validated input tables and the
    # scenario travel; the C++ TableProblem is rebuilt on unpickling.
    _TABLE_FIELDS = ("block_latency_ms", "block_power_w", "compute_freqs_mhz", "mem_freqs_mhz", "out_bits",
                     "server_latency_ms")

    def __getstate__(self) -> Dict[str, Any]:
        if self.__dict__.get("_tables") is None:
            raise TypeError("only problems built with Problem.from_tables can be pickled")
        return {"tables": {k: self.__dict__[k] for k in self._TABLE_FIELDS}, "scenario": self.scenario}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        rebuilt = type(self).from_tables(**state["tables"], **state["scenario"])
        self.__dict__.update(rebuilt.__dict__)

    @property
    def scenario(self) -> Dict[str, float]:
        """The scenario as a dict: deadline_ms (ms), bandwidth_hz (Hz), gain, noise_w_per_hz
        (W/Hz), p_max_w, p_circuit_w, idle_power_w (W). A copy: use :meth:`with_scenario`."""
        return {k: getattr(self._scenario, k) for k in _SCENARIO_FIELDS}

    def __getattr__(self, name: str) -> Any:
        scenario = self.__dict__.get("_scenario")
        if name in _SCENARIO_FIELDS and scenario is not None:
            return getattr(scenario, name)
        raise AttributeError(name)

    @classmethod
    def from_models(
        cls,
        device: "Device",
        channel: "Channel",
        server: "Server",
        out_bits: Any,
        deadline_ms: float,
        idle_power_w: float = 0.0,
        partial_offloading: bool = True,
        starts: int = 12,
    ) -> "Problem":
        """The problem on per-block models with continuous frequency ranges and, when
        ``partial_offloading``, an offload fraction rho in [0, 1].

        With split l and fraction rho, blocks 0..l-1 run on the device; of the remaining work the
        device keeps the share 1 - rho while, in parallel, rho * out_bits[l] bits are sent and the
        server spends rho * server.latency_ms[l]:
        ``latency = t_local(l) + max((1 - rho) t_rest(l), rho (out_bits[l] / r(p) + t_server(l)))``,
        ``energy = E_local(l) + (1 - rho) E_rest(l) + (p + p_circuit) t_tx + idle_power * rho t_server(l)``
        (the device idles for the server's share; overlap with its own share is not credited).
        ``out_bits`` (L + 1,) bits; ``starts``: SLSQP starts per split.
        """
        self = object.__new__(cls)
        L = device.num_blocks
        ob = _array(out_bits, "out_bits", 1)
        if ob.shape != (L + 1,):
            raise ValueError(f"out_bits must have L + 1 = {L + 1} entries, got {ob.size}")
        if np.any(ob < 0):
            raise ValueError("out_bits must be >= 0")
        sv = server.latency_ms
        if sv.shape != (L + 1,):
            raise ValueError(f"server.latency_ms must have L + 1 = {L + 1} entries, got {sv.size}")
        if int(starts) < 1:
            raise ValueError("starts must be >= 1")
        self.device, self.channel, self.server = device, channel, server
        self.out_bits, self.server_latency_ms = ob, sv
        self._tables = None
        self._starts = int(starts)
        self._model = _core.ModelProblem(
            device._latency, device._power, device._coefficients, device.compute_freq_range_mhz,
            device.mem_freq_range_mhz, ob, sv, bool(partial_offloading),
        )
        self._set_scenario(dict(deadline_ms=deadline_ms, idle_power_w=idle_power_w, **channel._asdict()))
        return self

    @property
    def num_blocks(self) -> int:
        """L, the number of blocks (split points 0..L)."""
        return int(self.out_bits.shape[0] - 1)

    @property
    def configs(self) -> "ConfigSet":
        """The device's configurations (:class:`dvfskit.ConfigSet`, K rows, one column per knob);
        for :meth:`from_tables` problems the (compute, memory) grid, ``k = a * nM + b``.
        Model problems (continuous frequencies) have none: ``ValueError``."""
        configs = self.__dict__.get("_configs")
        if configs is None:
            if self.__dict__.get("_tables") is None:
                raise ValueError("a problem built with Problem.from_models has continuous frequencies, "
                                 "no configuration set")
            configs = ConfigSet.grid({"compute_freq_mhz": self.compute_freqs_mhz, "mem_freq_mhz": self.mem_freqs_mhz})
            self.__dict__["_configs"] = configs
        return configs

    def _config_table(self, name: str) -> np.ndarray:
        if self.__dict__.get("_tables") is None:
            raise ValueError("a problem built with Problem.from_models has no tables")
        a = getattr(self, name)
        out = a.reshape(a.shape[0], -1)
        out.setflags(write=False)
        return out

    @property
    def config_latency_ms(self) -> np.ndarray:
        """(L, K) read-only: latency (ms) of block i at configuration k of :attr:`configs`."""
        return self._config_table("block_latency_ms")

    @property
    def config_power_w(self) -> np.ndarray:
        """(L, K) read-only: average power (W) of block i at configuration k of :attr:`configs`."""
        return self._config_table("block_power_w")

    @property
    def tables_kind(self) -> Optional[str]:
        """``"measured"`` (tables as given: :meth:`from_tables`) or ``"predicted"`` (fitted models
        evaluated on the configurations); None for model problems (no tables)."""
        if self.__dict__.get("_tables") is None:
            return None
        return self.__dict__.get("_tables_kind", "measured")

    def __repr__(self) -> str:
        sc = ", ".join(f"{k}={v:.6g}" for k, v in self.scenario.items())
        if self._tables is None:
            d = self.device
            return (f"Problem(L={self.num_blocks} blocks, models: f in {d.compute_freq_range_mhz} MHz, "
                    f"m in {d.mem_freq_range_mhz} MHz, {sc})")
        L, nf, nm = self.block_latency_ms.shape
        return f"Problem(L={L} blocks, {nf} compute x {nm} memory frequencies, {sc})"


class Device:
    """Per-block latency and power models of the device, for :meth:`Problem.from_models`.

    ``latency_ms`` and ``power_w`` are expressions (``dvfskit.Model`` syntax, powers as ``**``)
    in the compute frequency ``f`` and memory frequency ``m`` (MHz); every other name is a
    per-block coefficient whose values ``coefficients[name]`` (length L; DataFrame or mapping)
    give one row per block. Example: ``Device("W / f + M / m", "p0 + k * f**2", {"W": ..., "M": ...,
    "p0": ..., "k": ...}, (100, 1000), (200, 3200))``.
    """

    def __init__(self, latency_ms: str, power_w: str, coefficients: Any, compute_freq_range_mhz: Tuple[float, float],
                 mem_freq_range_mhz: Tuple[float, float]) -> None:
        names = list(coefficients.keys())
        cols = [_array(coefficients[n], f"coefficients[{n!r}]", 1) for n in names]
        if len({c.size for c in cols}) != 1:
            raise ValueError("coefficients must all have one value per block (same length)")
        self.coefficients = pd.DataFrame(dict(zip(names, cols)))
        self._coefficients = np.column_stack(cols) if cols else np.zeros((0, 0))
        self._latency = _core.Expression(latency_ms, names, ["f", "m"])
        self._power = _core.Expression(power_w, names, ["f", "m"])
        self.latency_ms, self.power_w = latency_ms, power_w
        self.compute_freq_range_mhz = _range(compute_freq_range_mhz, "compute_freq_range_mhz")
        self.mem_freq_range_mhz = _range(mem_freq_range_mhz, "mem_freq_range_mhz")

    @property
    def num_blocks(self) -> int:
        return int(self._coefficients.shape[0])

    def __repr__(self) -> str:
        return (f"Device(latency_ms={self.latency_ms!r}, power_w={self.power_w!r}, L={self.num_blocks}, "
                f"f={self.compute_freq_range_mhz} MHz, m={self.mem_freq_range_mhz} MHz)")


def _range(r: Any, name: str) -> Tuple[float, float]:
    try:
        lo, hi = (float(v) for v in r)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (low, high) pair in MHz") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo <= hi):
        raise ValueError(f"{name} must satisfy 0 < low <= high, got {r!r}")
    return lo, hi


class Channel:
    """Shannon uplink: bandwidth (Hz), channel gain, noise density (W/Hz), power limit and
    circuit power (W)."""

    def __init__(self, bandwidth_hz: float, gain: float, noise_w_per_hz: float, p_max_w: float, p_circuit_w: float = 0.0) -> None:
        self.bandwidth_hz = scalar(bandwidth_hz, "bandwidth_hz", allow_zero=False)
        self.gain = scalar(gain, "gain", allow_zero=False)
        self.noise_w_per_hz = scalar(noise_w_per_hz, "noise_w_per_hz", allow_zero=False)
        self.p_max_w = scalar(p_max_w, "p_max_w", allow_zero=False)
        self.p_circuit_w = scalar(p_circuit_w, "p_circuit_w", allow_zero=True)

    def _asdict(self) -> Dict[str, float]:
        return {k: getattr(self, k) for k in ("bandwidth_hz", "gain", "noise_w_per_hz", "p_max_w", "p_circuit_w")}

    def __repr__(self) -> str:
        return "Channel(" + ", ".join(f"{k}={v:.6g}" for k, v in self._asdict().items()) + ")"


class Server:
    """The edge server: ``latency_ms[l]`` is its time (ms) for blocks l..L-1 (L + 1 entries, last 0)."""

    def __init__(self, latency_ms: Any) -> None:
        sv = _array(latency_ms, "latency_ms", 1)
        if np.any(sv < 0) or sv[-1] != 0:
            raise ValueError("latency_ms must be >= 0 with last entry 0")
        self.latency_ms = sv

    def __repr__(self) -> str:
        return f"Server(L={self.latency_ms.size - 1}, latency_ms={np.array2string(self.latency_ms, precision=4)})"


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
            f"problem must be a dvfskit.Problem (Problem.from_tables or Problem.from_models), "
            f"not {type(problem).__name__}"
        )


def solve(problem: Problem, objective: ObjectiveSpec = "energy", *, weight: Optional[float] = None) -> "Solution":
    """The exact optimum of ``problem`` over split point, compute/memory frequency (tables) and
    transmit power, subject to ``latency <= deadline`` (relative tolerance 1e-9).

    Objectives
    ----------
    ``"energy"`` (default): device energy, J.
    ``"latency"``: end-to-end latency, ms (ties broken by energy; transmits at p_max).
    ``("weighted", w)`` or ``objective="weighted", weight=w``: ``energy_j + w * latency_s``,
        w in W (joules per second of latency), w >= 0.
    ``"edp"`` (alias ``"energy_delay"``): ``energy_j * latency_s``, J s.

    Infeasible problems never raise: the Solution has ``feasible=False``, a ``reason`` and
    ``min_latency_ms``, and its decisions are those of the fastest plan.

    Problems built with :meth:`Problem.from_models` (continuous frequencies, partial offloading)
    are solved per split point by NLopt SLSQP from several deterministic starts (a local
    method: no optimality certificate; ``min_latency_ms`` is NaN when feasible).
    """
    _check_problem(problem)
    if objective == "energy" and weight is None:
        kind, w = 0, 0.0
    else:
        kind, w = _parse_objective(objective, weight)
    tables = problem._tables
    if tables is not None:
        return Solution(_core.solve_table(tables, problem._scenario, kind, w), _KIND_NAMES[kind], w)
    assert problem._model is not None
    return Solution(_core.solve_model(problem._model, problem._scenario, kind, w, problem._starts), _KIND_NAMES[kind], w)


class Solution:
    """The outcome of :func:`solve`.

    Attributes
    ----------
    feasible: whether the deadline is met; reason: why not (None when feasible);
    min_latency_ms: the smallest latency reachable (ms);
    energy_j = energy_compute_j + energy_transmit_j + energy_idle_j (J);
    latency_ms = latency_local_ms + latency_transmit_ms + latency_server_ms (ms);
    split: the first ``split`` blocks run on the device (0 = full offload, L = all local);
    compute_freq_mhz, mem_freq_mhz: MHz (NaN when split == 0: nothing runs locally);
    tx_power_w: W (0 when nothing is sent); offload_fraction: share of the post-split work sent
    to the server (1 when split < L, 0 when all local, on tables);
    objective, weight, objective_value: what was minimised and its value.
    """

    __slots__ = ("_raw", "objective", "weight")

    _FIELDS = (
        "feasible", "reason", "objective", "objective_value", "energy_j", "energy_compute_j",
        "energy_transmit_j", "energy_idle_j", "latency_ms", "latency_local_ms", "latency_transmit_ms",
        "latency_server_ms", "min_latency_ms", "split", "compute_freq_mhz", "mem_freq_mhz",
        "tx_power_w", "offload_fraction",
    )

    def __init__(self, raw: Any, objective: str = "energy", weight: float = 0.0) -> None:
        self._raw = raw
        self.objective = objective
        self.weight = weight

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._raw, name)

    @property
    def reason(self) -> Optional[str]:
        return self._raw.reason or None

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

    def to_dict(self) -> Dict[str, Any]:
        """A plain dict (JSON-safe: NaN becomes None)."""
        out: Dict[str, Any] = {}
        for k in self._FIELDS:
            v = getattr(self, k)
            if isinstance(v, float) and not math.isfinite(v):
                v = None
            out[k] = v
        out["weight"] = self.weight
        return out

    def _objective_text(self) -> str:
        return f"weighted (w={self.weight:g} W)" if self.objective == "weighted" else self.objective

    def _status(self) -> str:
        return "feasible" if self.feasible else f"INFEASIBLE: {self.reason}"

    def __repr__(self) -> str:
        r = self._raw
        return "\n".join(
            [
                f"Solution(objective={self._objective_text()}, {self._status()})",
                f"  split={r.split} (first {r.split} blocks local), "
                + (f"compute={r.compute_freq_mhz:.6g} MHz, memory={r.mem_freq_mhz:.6g} MHz, "
                   if math.isfinite(r.compute_freq_mhz) else "nothing runs locally, ")
                + f"tx_power={r.tx_power_w:.6g} W, offload_fraction={r.offload_fraction:g}",
                f"  energy  = {r.energy_j:.6g} J  (compute {r.energy_compute_j:.6g}, transmit {r.energy_transmit_j:.6g}, "
                f"idle {r.energy_idle_j:.6g})",
                f"  latency = {r.latency_ms:.6g} ms (local {r.latency_local_ms:.6g}, transmit {r.latency_transmit_ms:.6g}, "
                f"server {r.latency_server_ms:.6g})" + (f"; min reachable {r.min_latency_ms:.6g} ms" if math.isfinite(r.min_latency_ms) else ""),
            ]
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(_fmt(getattr(self, k)))}</td></tr>"
            for k in self._FIELDS
        )
        return (
            f"<div><b>Solution</b> &mdash; {html.escape(self._objective_text())}, {html.escape(self._status())}"
            f"<table>{rows}</table><p>Units: MHz, ms, W, J.</p></div>"
        )

    def plot(self, problem: Optional[Problem] = None, **kw: Any) -> Any:
        """Timeline of the latency breakdown, or with ``problem`` a heatmap with the chosen (f, m)
        marked (``dvfskit.plots.solution``); returns the Axes."""
        from .plots import solution as _plot
        return _plot(self, problem, **kw)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return "" if v is None else str(v)


def _cpu_dvfs_latency(problem: Problem) -> np.ndarray:
    """Latency table of the CPU-DVFS model t_i(f, m) = W_i / f, W_i fitted by least squares on
    the measured latencies at the maximum memory frequency (memory frequency ignored)."""
    m_max = int(np.argmax(problem.mem_freqs_mhz))
    f = problem.compute_freqs_mhz / problem.compute_freqs_mhz.max()  # scale-free: no under/overflow
    t = problem.block_latency_ms[:, :, m_max]
    work = (t / f).sum(axis=1) / (1.0 / f**2).sum()
    model = work[:, None] / f[None, :]
    return np.repeat(model[:, :, None], problem.mem_freqs_mhz.size, axis=2)


_BASELINE_NOTES = {
    "optimal": "exact joint optimum (split, f, m, p)",
    "max_frequency": "compute and memory at their maximum (performance governor); split and p optimised",
    "compute_dvfs_only": "memory at its maximum; split, compute frequency and p optimised",
    "cpu_dvfs_model": "planned with t = W/f fitted at max memory frequency (memory at max), "
    "plan evaluated on the measured tables",
    "all_local": "split = L (nothing sent); f and m optimised",
    "full_offload": "split = 0 (input sent); p optimised",
    "fixed_max_power": "transmit at p_max; split, f and m optimised",
}


def baselines(problem: Problem, *, governors: Optional[Sequence[Any]] = None,
              governor_options: Optional[Dict[str, Any]] = None) -> pd.DataFrame:
    """The energy optimum and the literature's baselines on the same problem, all evaluated on
    the measured tables. One row per plan (index ``plan``):

    - ``optimal``: :func:`solve` with the energy objective.
    - ``max_frequency``: f and m at their maxima, split and transmit power optimised.
    - ``compute_dvfs_only``: memory frequency at its maximum, everything else optimised.
    - ``cpu_dvfs_model``: a CPU-DVFS latency model ``t_i = W_i / f`` is fitted by least squares
      to the measured latencies at the maximum memory frequency (``W_i = sum_f t_i(f)/f /
      sum_f 1/f^2``); the plan optimal under that model (memory at max, measured power) is then
      evaluated on the measured tables; it may miss the deadline.
    - ``all_local``: split = L, f and m optimised.
    - ``full_offload``: split = 0, transmit power optimised.
    - ``fixed_max_power``: transmit power fixed at p_max, the rest optimised.

    Columns: energy_j (J), latency_ms (ms), feasible, saving_pct (energy the optimum saves
    relative to this plan, ``100 (E_plan - E_opt) / E_plan``; NaN when the optimum or this
    plan is infeasible: a plan that misses the deadline saves nothing comparable), split, compute_freq_mhz, mem_freq_mhz, tx_power_w, description. An infeasible
    restricted baseline shows its fastest plan.

    ``governors``: also one row per governor setting (``"schedutil"``, ``"default"``, a dict knob
    -> name, ...): the device's own governors, all local, one inference per period = the
    deadline (:func:`dvfskit.governor`), their energy including idle power to the period's end and
    the saving against the optimum's energy plus idle power to the period's end; a ``miss_rate``
    column (0 for the other rows' plans: NaN). ``governor_options`` go to :func:`dvfskit.governor`.
    """
    _check_problem(problem)
    tp, sc = problem._tables, problem._scenario
    if tp is None:
        raise ValueError("baselines needs a problem built with Problem.from_tables")
    f_max = int(np.argmax(problem.compute_freqs_mhz))
    m_max = int(np.argmax(problem.mem_freqs_mhz))
    L = problem.num_blocks
    plans = {
        "optimal": _core.solve_table(tp, sc),
        "max_frequency": _core.solve_table(tp, sc, compute_index=f_max, mem_index=m_max),
        "compute_dvfs_only": _core.solve_table(tp, sc, mem_index=m_max),
    }
    model = _core.TableProblem(
        _cpu_dvfs_latency(problem), problem.block_power_w, problem.compute_freqs_mhz, problem.mem_freqs_mhz,
        problem.out_bits, problem.server_latency_ms,
    )
    planned = _core.solve_table(model, sc, mem_index=m_max)
    p_plan = planned.tx_power_w if planned.tx_power_w > 0 else sc.p_max_w
    plans["cpu_dvfs_model"] = _core.evaluate_table(
        tp, sc, planned.split, max(planned.compute_index, 0), max(planned.mem_index, 0), p_plan
    )
    plans["all_local"] = _core.solve_table(tp, sc, split=L)
    plans["full_offload"] = _core.solve_table(tp, sc, split=0)
    plans["fixed_max_power"] = _core.solve_table(tp, sc, fixed_max_power=True)
    e_opt = plans["optimal"].energy_j if plans["optimal"].feasible else math.nan
    rows = []
    for name, s in plans.items():
        rows.append(
            {
                "plan": name,
                "energy_j": s.energy_j,
                "latency_ms": s.latency_ms,
                "feasible": bool(s.feasible),
                "saving_pct": 100.0 * (s.energy_j - e_opt) / s.energy_j if s.energy_j > 0 and s.feasible else math.nan,
                "split": s.split,
                "compute_freq_mhz": s.compute_freq_mhz,
                "mem_freq_mhz": s.mem_freq_mhz,
                "tx_power_w": s.tx_power_w,
                "description": _BASELINE_NOTES[name],
            }
        )
    df = pd.DataFrame(rows).set_index("plan")
    if governors:  # the governors' rows (dvfskit._governor)
        from ._governor import governor_rows

        opt = plans["optimal"]
        df = pd.concat([df, governor_rows(problem, governors, opt.energy_j if opt.feasible else None,
                                          optimum_latency_ms=opt.latency_ms, **dict(governor_options or {}))])
    return df
