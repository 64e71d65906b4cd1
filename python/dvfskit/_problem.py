"""``dvfskit.Problem``: one DNN inference on one device with an edge server, on tables over the
device's configurations (measured, or predicted by fitted models) or on continuous models.

Units: frequencies in MHz, time in ms, power in W, energy in J, data in bits, bandwidth in Hz,
noise spectral density in W/Hz, channel gain dimensionless. The offloading semantics (split point,
offloaded share, transmit power) are defined once, in :ref:`math-offloading`.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from . import _core
from ._configs import ConfigSet, is_frequency_knob
from ._data import numeric_column, scalar

if TYPE_CHECKING:  # pragma: no cover
    from ._fit import FitResult
    from ._fit_table import FitTable

_SCENARIO_FIELDS = ("deadline_ms", "bandwidth_hz", "gain", "noise_w_per_hz", "p_max_w", "p_circuit_w", "idle_power_w")
_FREQUENCY_NAMES = {"f": 0, "compute_freq_mhz": 0, "m": 1, "mem_freq_mhz": 1}


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


def _fractions(value: Any) -> Optional[np.ndarray]:
    """The allowed offloaded shares, sorted, or None (no partial offloading)."""
    if value is None:
        return None
    try:
        a = np.array(value, dtype=np.float64, copy=True).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"offload_fractions must be numbers in [0, 1], got {value!r}") from None
    if a.size == 0:
        raise ValueError("offload_fractions must not be empty (None: no partial offloading)")
    for v in a:
        if not (0.0 <= v <= 1.0):
            raise ValueError(f"offload_fractions: {float(v)!r} lies outside [0, 1]")
    a = np.sort(a)
    if np.any(a[1:] == a[:-1]):
        raise ValueError(f"offload_fractions lists {float(a[1:][a[1:] == a[:-1]][0])!r} twice")
    if not np.any(a > 0):
        raise ValueError("offload_fractions needs a share > 0 (rho = 0 alone keeps everything local)")
    a.setflags(write=False)
    return a


def _split_vectors(out_bits: Any, server_latency_ms: Any, L: int) -> Tuple[np.ndarray, np.ndarray]:
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
    return ob, sv


def _describe(configs: ConfigSet, k: int) -> str:
    return ", ".join(f"{n}={v:g}" if isinstance(v, float) else f"{n}={v}" for n, v in configs.label(k).items())


def _check_config_table(a: np.ndarray, name: str, configs: ConfigSet, blocks: Sequence[Any], what: str,
                        positive: bool = False) -> None:
    """Every entry finite and >= 0 (> 0 with ``positive``), else ValueError naming block and configuration."""
    bad = ~np.isfinite(a) | (a <= 0 if positive else a < 0)
    if bad.any():
        i, k = (int(v) for v in np.argwhere(bad)[0])
        raise ValueError(f"{name}: {what} of block {blocks[i]!r} at configuration {k} ({_describe(configs, k)}) is "
                         f"{float(a[i, k])!r}; it must be finite and {'> 0' if positive else '>= 0'}")


class Problem:
    """One DNN inference on one device with an edge server: per-block tables over the device's
    configurations (or continuous per-block models) plus the radio/deadline scenario.

    Constructors: :meth:`from_tables` (a compute x memory frequency grid), :meth:`from_config_tables`
    (any :class:`~dvfskit.ConfigSet`), :meth:`from_measurements` (a long measurement DataFrame),
    :meth:`from_fits` (fitted latency and power models evaluated on a ConfigSet: predicted tables),
    :meth:`from_models` (continuous frequencies). :meth:`with_scenario` derives problems sharing
    the same precomputed tables.

    The C++ object precomputes, once, the cumulative local time/energy for every (split,
    configuration) and per option (split, offloaded share) the Pareto front of the
    configurations, so :func:`dvfskit.solve` only enumerates a few candidates. Offloading
    semantics: :ref:`math-offloading`.
    """

    # from_tables: the (L, nF, nM) grid as given
    block_latency_ms: np.ndarray
    block_power_w: np.ndarray
    compute_freqs_mhz: np.ndarray
    mem_freqs_mhz: np.ndarray
    # table and model problems
    out_bits: np.ndarray
    server_latency_ms: np.ndarray
    # from_models
    device: "Device"
    channel: "Channel"
    server: "Server"
    assumptions: Any
    _configs: ConfigSet
    _latency: np.ndarray
    _power: np.ndarray
    _fractions: Optional[np.ndarray]
    _tables_kind: str
    _blocks: List[Any]
    _cache: Dict[Any, Any]
    _tables: Optional[Any]
    _model: Optional[Any]
    _starts: int
    _scenario: Any

    def __init__(self) -> None:  # pragma: no cover - use the constructors
        raise TypeError("use dvfskit.Problem.from_tables / from_config_tables / from_measurements / from_fits / "
                        "from_models")

    # -- constructors on tables -----------------------------------------------------------------

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
        *,
        offload_fractions: Any = None,
    ) -> "Problem":
        """The problem on measured tables over a compute x memory frequency grid.

        Parameters
        ----------
        block_latency_ms, block_power_w: shape (L, nF, nM): latency (ms) and average power (W)
            of block i at compute frequency ``compute_freqs_mhz[f]`` and memory frequency
            ``mem_freqs_mhz[m]``. Local energy of the first l blocks is
            ``sum_i<l latency * power`` (ms * W = mJ, reported in J). The configurations are
            the grid ``configs`` with knobs ``compute_freq_mhz``, ``mem_freq_mhz``, numbered
            ``k = f * nM + m``.
        compute_freqs_mhz (nF,), mem_freqs_mhz (nM,): positive and distinct, MHz.
        out_bits (L + 1,): bits sent when the first l blocks run locally (``out_bits[0]``: the
            input); ``out_bits[L]`` is never sent.
        server_latency_ms (L + 1,): the server's time for blocks l..L-1, ms; last entry 0.
        bandwidth_hz (Hz), gain (dimensionless), noise_w_per_hz (W/Hz): Shannon uplink
            ``r(p) = B log2(1 + p g / (N0 B))`` bit/s.
        p_max_w: transmit power limit, W (p in (0, p_max]).
        deadline_ms: latency bound, ms.
        p_circuit_w: radio power on top of p while transmitting, W.
        idle_power_w: device power while waiting for the server, W.
        offload_fractions: allowed offloaded shares rho in [0, 1] (partial offloading, e.g.
            ``[0, 0.25, 0.5, 0.75, 1]``); None: rho = 1 whenever a split offloads. Semantics:
            :ref:`math-partial-offloading`.

        Raises ValueError naming the argument on bad shapes or values; inputs are copied.
        """
        lat = _array(block_latency_ms, "block_latency_ms", 3)
        pw = _array(block_power_w, "block_power_w", 3)
        if pw.shape != lat.shape:
            raise ValueError(f"block_power_w has shape {pw.shape}, block_latency_ms {lat.shape}; they must match")
        if np.any(lat < 0):
            raise ValueError("block_latency_ms must be >= 0")
        if np.any(pw < 0):
            raise ValueError("block_power_w must be >= 0")
        L, nf, nm = lat.shape
        fq = _array(compute_freqs_mhz, "compute_freqs_mhz", 1)
        mq = _array(mem_freqs_mhz, "mem_freqs_mhz", 1)
        if fq.shape != (nf,):
            raise ValueError(f"compute_freqs_mhz must have {nf} entries (block_latency_ms.shape[1]), got {fq.size}")
        if mq.shape != (nm,):
            raise ValueError(f"mem_freqs_mhz must have {nm} entries (block_latency_ms.shape[2]), got {mq.size}")
        for name, v in (("compute_freqs_mhz", fq), ("mem_freqs_mhz", mq)):
            if np.any(v <= 0):
                raise ValueError(f"{name} must be positive")
            if np.unique(v).size != v.size:
                raise ValueError(f"{name} lists a frequency twice: {np.sort(v)[1:][np.diff(np.sort(v)) == 0][0]:g}")
        configs = ConfigSet.grid({"compute_freq_mhz": fq, "mem_freq_mhz": mq})
        self = cls._build(configs, lat.reshape(L, nf * nm), pw.reshape(L, nf * nm), out_bits, server_latency_ms,
                          _scenario_dict(locals()), offload_fractions, "measured", None)
        self.block_latency_ms, self.block_power_w = lat, pw
        self.compute_freqs_mhz, self.mem_freqs_mhz = fq, mq
        return self

    @classmethod
    def from_config_tables(
        cls,
        configs: Union[ConfigSet, pd.DataFrame, Mapping[str, Sequence[Any]]],
        block_latency_ms: Any,
        block_power_w: Any,
        out_bits: Any,
        server_latency_ms: Any,
        *,
        bandwidth_hz: float,
        gain: float,
        noise_w_per_hz: float,
        p_max_w: float,
        deadline_ms: float,
        p_circuit_w: float = 0.0,
        idle_power_w: float = 0.0,
        offload_fractions: Any = None,
        tables_kind: str = "measured",
        blocks: Optional[Sequence[Any]] = None,
    ) -> "Problem":
        """The problem on tables over any configuration set.

        ``configs``: a :class:`~dvfskit.ConfigSet` (or a table of knob columns, one row per
        configuration); ``block_latency_ms`` (ms), ``block_power_w`` (W): shape (L, K), column k
        for configuration k; ``blocks``: the block labels (default 0..L-1); ``tables_kind``:
        ``"measured"`` or ``"predicted"``. Everything else as in :meth:`from_tables`.
        """
        if tables_kind not in ("measured", "predicted"):
            raise ValueError(f"tables_kind must be 'measured' or 'predicted', got {tables_kind!r}")
        configs = configs if isinstance(configs, ConfigSet) else ConfigSet(configs)
        K = len(configs)
        try:
            lat = np.array(block_latency_ms, dtype=np.float64, copy=True)
            pw = np.array(block_power_w, dtype=np.float64, copy=True)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"block_latency_ms and block_power_w must be numeric: {exc}") from None
        for name, a in (("block_latency_ms", lat), ("block_power_w", pw)):
            if a.ndim != 2 or a.shape[1] != K or a.shape[0] == 0:
                raise ValueError(f"{name} must have shape (L, K = {K}) with L >= 1, got {a.shape}")
        if pw.shape != lat.shape:
            raise ValueError(f"block_power_w has shape {pw.shape}, block_latency_ms {lat.shape}; they must match")
        labels = list(range(lat.shape[0])) if blocks is None else list(blocks)
        if len(labels) != lat.shape[0]:
            raise ValueError(f"blocks has {len(labels)} labels for {lat.shape[0]} blocks")
        _check_config_table(lat, "block_latency_ms", configs, labels, "latency")
        _check_config_table(pw, "block_power_w", configs, labels, "power")
        return cls._build(configs, lat, pw, out_bits, server_latency_ms, _scenario_dict(locals()), offload_fractions,
                          tables_kind, labels)

    @classmethod
    def from_measurements(
        cls,
        measurements: Any,
        *,
        knobs: Optional[Sequence[str]] = None,
        block: Optional[str] = None,
        blocks: Optional[Sequence[Any]] = None,
        latency: str = "latency_ms",
        power: str = "power_w",
        out_bits: Any,
        server_latency_ms: Any,
        bandwidth_hz: float,
        gain: float,
        noise_w_per_hz: float,
        p_max_w: float,
        deadline_ms: float,
        p_circuit_w: float = 0.0,
        idle_power_w: float = 0.0,
        offload_fractions: Any = None,
    ) -> "Problem":
        """The problem on measured tables from a long DataFrame (as :func:`dvfskit.read_measurements`
        returns it): one row per block x configuration, rows in any order.

        Parameters
        ----------
        measurements: DataFrame (or mapping column -> values); it is not modified.
        knobs: the columns that identify a configuration (default: every ``*_mhz`` column).
            Frequency knobs (``*_mhz``) must be numeric, MHz; others (a core mask, a power mode)
            may be numbers or labels. Configurations are numbered in sorted knob order.
        block: the block column (None: the whole network is one block). ``blocks``: their
            order (default: order of first appearance); it must list exactly the blocks present.
        latency: the latency column (ms, > 0). power: the power column (W, >= 0); when it is
            absent, an ``energy_j`` column (J per block and inference) is accepted instead.
        out_bits, server_latency_ms, scenario, offload_fractions: as in :meth:`from_tables`.

        Every block must have the same configuration set (else ValueError naming the block and a
        missing configuration); a repeated (block, configuration) row is an error too (average
        repeats with ``read_measurements(..., aggregate=...)``). NaN, infinite or non-positive
        latencies raise ValueError naming the row and column.
        """
        df = measurements if isinstance(measurements, pd.DataFrame) else pd.DataFrame(dict(measurements))
        source = str(df.attrs.get("source", "measurements"))  # read_measurements names its file
        if knobs is None:
            knobs = [c for c in df.columns if isinstance(c, str) and is_frequency_knob(c)]
            if not knobs:
                raise ValueError(f"{source}: no *_mhz knob columns; pass knobs=[...] (columns: {list(df.columns)})")
        knobs = list(knobs)
        if len(set(knobs)) != len(knobs):
            raise ValueError(f"knobs lists a column twice: {knobs}")
        energy_column = None
        if power not in df.columns:
            if power == "power_w" and "energy_j" in df.columns:
                energy_column = "energy_j"
            else:
                raise ValueError(f"{source} has no power column {power!r}" +
                                 (" (nor energy_j)" if power == "power_w" else "") + f"; columns: {list(df.columns)}")
        for name, role in [(k, "knob") for k in knobs] + [(latency, "latency")] + \
                ([(block, "block")] if block is not None else []):
            if name not in df.columns:
                raise ValueError(f"{source} has no {role} column {name!r}; columns: {list(df.columns)}")
        if block is not None and block in knobs:
            raise ValueError(f"the block column {block!r} cannot also be a knob")
        if len(df) == 0:
            raise ValueError(f"{source} has no rows")
        t = numeric_column(df[latency], latency, source=source)
        if np.any(t <= 0):
            i = int(np.flatnonzero(t <= 0)[0])
            raise ValueError(f"{source}: row {i}, column {latency!r}: latency {float(t[i])!r} ms must be > 0")
        if energy_column is not None:
            e = numeric_column(df[energy_column], energy_column, source=source)
            if np.any(e < 0):
                i = int(np.flatnonzero(e < 0)[0])
                raise ValueError(f"{source}: row {i}, column {energy_column!r}: energy {float(e[i])!r} J must be >= 0")
            pw = e / t * 1000.0
        else:
            pw = numeric_column(df[power], power, source=source)
            if np.any(pw < 0):
                i = int(np.flatnonzero(pw < 0)[0])
                raise ValueError(f"{source}: row {i}, column {power!r}: power {float(pw[i])!r} W must be >= 0")
        # configurations: the distinct knob tuples, sorted
        knob_frame = df[knobs].reset_index(drop=True)
        for k in knobs:
            if knob_frame[k].isna().any():
                i = int(np.flatnonzero(knob_frame[k].isna().to_numpy())[0])
                raise ValueError(f"{source}: row {i}, knob column {k!r} is missing")
            if is_frequency_knob(k) and knob_frame[k].dtype.kind not in "biuf":
                knob_frame[k] = numeric_column(knob_frame[k], k, source=source)  # raises naming the row
        grouped = knob_frame.groupby(knobs, sort=True, dropna=False)
        config_of_row = grouped.ngroup().to_numpy()
        configs = ConfigSet(grouped.size().reset_index()[knobs], source=source)
        K = len(configs)
        # blocks
        if block is None:
            if blocks is not None:
                raise ValueError("blocks= needs block= (the block column)")
            labels: List[Any] = ["network"]
            block_of_row = np.zeros(len(df), dtype=np.int64)
        else:
            column = df[block].reset_index(drop=True)
            if column.isna().any():
                raise ValueError(f"{source}: row {int(np.flatnonzero(column.isna().to_numpy())[0])}, block column "
                                 f"{block!r} is missing")
            codes, uniques = pd.factorize(column, sort=False)
            present = [v.item() if isinstance(v, np.generic) else v for v in uniques]  # plain labels
            if blocks is None:
                labels = present
                block_of_row = codes.astype(np.int64)
            else:
                labels = list(blocks)
                position = {b: i for i, b in enumerate(labels)}
                if len(position) != len(labels):
                    raise ValueError(f"blocks lists a block twice: {labels}")
                unknown = [b for b in present if b not in position]
                if unknown:
                    raise ValueError(f"{source}: block {unknown[0]!r} is not in blocks={labels}")
                absent = [b for b in labels if b not in set(present)]
                if absent:
                    raise ValueError(f"blocks lists {absent[0]!r}, which has no rows in {source}")
                block_of_row = np.array([position[b] for b in present], dtype=np.int64)[codes]
        L = len(labels)
        cell = block_of_row * K + config_of_row
        count = np.bincount(cell, minlength=L * K)
        if np.any(count > 1):
            c = int(np.flatnonzero(count > 1)[0])
            rows = np.flatnonzero(cell == c)[:2].tolist()
            raise ValueError(f"{source}: rows {rows[0]} and {rows[1]} repeat block {labels[c // K]!r} at configuration "
                             f"({_describe(configs, c % K)}); average repeats first (read_measurements(..., "
                             f"aggregate='mean'))")
        if np.any(count == 0):
            c = int(np.flatnonzero(count == 0)[0])
            raise ValueError(f"{source}: block {labels[c // K]!r} has no row for configuration "
                             f"({_describe(configs, c % K)}), which other blocks have; every block needs the "
                             f"same configuration set")
        lat_table = np.empty(L * K)
        pw_table = np.empty(L * K)
        lat_table[cell] = t
        pw_table[cell] = pw
        return cls._build(configs, lat_table.reshape(L, K), pw_table.reshape(L, K), out_bits, server_latency_ms,
                          _scenario_dict(locals()), offload_fractions, "measured", labels)

    @classmethod
    def from_fits(
        cls,
        latency: Union["FitResult", "FitTable", Sequence["FitResult"]],
        power: Union["FitResult", "FitTable", Sequence["FitResult"]],
        configs: Union[ConfigSet, pd.DataFrame, Mapping[str, Sequence[Any]]],
        *,
        out_bits: Any,
        server_latency_ms: Any,
        bandwidth_hz: float,
        gain: float,
        noise_w_per_hz: float,
        p_max_w: float,
        deadline_ms: float,
        p_circuit_w: float = 0.0,
        idle_power_w: float = 0.0,
        offload_fractions: Any = None,
        block: Optional[str] = None,
        blocks: Optional[Sequence[Any]] = None,
        keys: Optional[Mapping[str, Any]] = None,
    ) -> "Problem":
        """The problem on tables *predicted* by fitted per-block models at every configuration.

        Parameters
        ----------
        latency, power:
            Fitted models of latency (ms) and power (W): a :class:`~dvfskit.FitTable` with one
            group per block, a list of :class:`~dvfskit.FitResult` (one per block), or one
            FitResult (the whole network, or, with the other given per block, the same model for
            every block: e.g. one power fit for the device).
        configs:
            The configurations to predict at (:class:`~dvfskit.ConfigSet` or a table of knob
            columns). The models read their inputs from the knob columns in the units the
            measurements had (``compute_freq_mhz``, ``mem_freq_mhz`` ... in MHz; the catalogue
            models convert to GHz inside their expressions), so fitted parameters are used as
            they are, never copied or converted by hand.
        block, blocks, keys:
            For FitTables: ``block`` names the group column that numbers the blocks (default: the
            only ``by`` column), ``keys`` fixes the other ``by`` columns (e.g. ``{"dnn": "vgg19"}``),
            ``blocks`` selects and orders the blocks (default: the table's order).
        out_bits, server_latency_ms, scenario, offload_fractions: as in :meth:`from_tables`.

        The problem's ``tables_kind`` is ``"predicted"`` (solutions and baselines say so). A
        prediction that is not finite or is negative (latency <= 0) raises ValueError naming the
        model, the block and the configuration.
        """
        configs = configs if isinstance(configs, ConfigSet) else ConfigSet(configs)
        lat_blocks = _per_block_fits(latency, "latency", block, blocks, keys)
        pw_blocks = _per_block_fits(power, "power", block, blocks, keys)
        labels = _match_blocks(lat_blocks, pw_blocks)
        L = len(labels)
        lat = np.empty((L, len(configs)))
        pw = np.empty((L, len(configs)))
        table = configs.table
        for name, fits, out, unit in (("latency", lat_blocks, lat, "ms"), ("power", pw_blocks, pw, "W")):
            model = fits[1]
            missing = [c for c in model.inputs if c not in configs.knobs]
            if missing:
                raise ValueError(f"{name} model {model.name!r} reads {missing[0]!r}, which is not a knob of the "
                                 f"configurations (knobs: {list(configs.knobs)})")
            for i in range(L):
                params = fits[2][0 if len(fits[0]) == 1 else i]
                values = np.asarray(model.evaluate(table, params), dtype=float)
                bad = ~np.isfinite(values) | ((values <= 0) if name == "latency" else (values < 0))
                if bad.any():
                    k = int(np.flatnonzero(bad)[0])
                    raise ValueError(f"{name} model {model.name!r} of block {labels[i]!r} predicts {float(values[k])!r} {unit} "
                                     f"at configuration {k} ({_describe(configs, k)}); predictions must be finite and "
                                     f"{'> 0' if name == 'latency' else '>= 0'}")
                out[i] = values
        return cls._build(configs, lat, pw, out_bits, server_latency_ms, _scenario_dict(locals()), offload_fractions,
                          "predicted", labels)

    @classmethod
    def _build(cls, configs: ConfigSet, latency: np.ndarray, power: np.ndarray, out_bits: Any, server_latency_ms: Any,
               scenario: Dict[str, Any], offload_fractions: Any, tables_kind: str,
               blocks: Optional[List[Any]]) -> "Problem":
        self = object.__new__(cls)
        L = latency.shape[0]
        ob, sv = _split_vectors(out_bits, server_latency_ms, L)
        fractions = _fractions(offload_fractions)
        with np.errstate(over="ignore"):
            if not np.isfinite(latency.max(axis=1).sum()):
                raise ValueError("block_latency_ms: values too large, the total latency overflows (rescale the units)")
            if not np.isfinite((latency * power).max(axis=1).sum()):
                raise ValueError("block_power_w: values too large, latency * power overflows (rescale the units)")
        latency.setflags(write=False)
        power.setflags(write=False)
        self._configs = configs
        self._latency, self._power = latency, power
        self.out_bits, self.server_latency_ms = ob, sv
        self._fractions = fractions
        self._tables_kind = tables_kind
        self._blocks = list(range(L)) if blocks is None else list(blocks)
        self._tables = _core.TableProblem(configs._core, latency, power, ob, sv,
                                          [] if fractions is None else fractions.tolist())
        self._model = None
        self._cache = {}  # baseline subsets and plan tables, shared by with_scenario
        self._set_scenario(scenario)
        return self

    # -- constructor on models ------------------------------------------------------------------

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
        (the same definition as for tables: :ref:`math-partial-offloading`).
        ``out_bits`` (L + 1,) bits; ``starts``: SLSQP starts per split.

        The device's models must be finite and non-negative over the whole frequency ranges: a
        model negative or NaN at a point (checked on a grid here, and at every point the solver
        evaluates) raises ValueError naming the model, the block and the frequencies.
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
        if isinstance(starts, bool) or int(starts) != starts or int(starts) < 1:
            raise ValueError(f"starts must be an integer >= 1, got {starts!r}")
        self.device, self.channel, self.server = device, channel, server
        self.out_bits, self.server_latency_ms = ob, sv
        self._tables = None
        self._starts = int(starts)
        self._model = _core.ModelProblem(
            device._latency, device._latency_coefficients, device._power, device._power_coefficients,
            device.compute_freq_range_mhz, device.mem_freq_range_mhz, ob, sv, bool(partial_offloading),
        )
        self._set_scenario(dict(deadline_ms=deadline_ms, idle_power_w=idle_power_w, **channel._asdict()))
        return self

    # -- scenario ---------------------------------------------------------------------------------

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

    # -- pickling (e.g. to send a problem to Dask workers) ---------------------------------------

    def __getstate__(self) -> Dict[str, Any]:
        if self.__dict__.get("_tables") is None:
            raise TypeError("problems built with Problem.from_models cannot be pickled (table problems can)")
        d = self.__dict__
        state = {"configs": d["_configs"], "latency": d["_latency"], "power": d["_power"], "out_bits": d["out_bits"],
                 "server_latency_ms": d["server_latency_ms"], "scenario": self.scenario,
                 "offload_fractions": d["_fractions"], "tables_kind": d["_tables_kind"], "blocks": d["_blocks"]}
        if "block_latency_ms" in d:
            state["grid"] = {k: d[k] for k in ("block_latency_ms", "block_power_w", "compute_freqs_mhz", "mem_freqs_mhz")}
        if "assumptions" in d:
            state["assumptions"] = d["assumptions"]
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        rebuilt = type(self)._build(state["configs"], np.array(state["latency"]), np.array(state["power"]),
                                    state["out_bits"], state["server_latency_ms"], state["scenario"],
                                    state["offload_fractions"], state["tables_kind"], state["blocks"])
        self.__dict__.update(rebuilt.__dict__)
        self.__dict__.update(state.get("grid", {}))
        if "assumptions" in state:
            self.assumptions = state["assumptions"]

    # -- views --------------------------------------------------------------------------------------

    @property
    def num_blocks(self) -> int:
        """L, the number of blocks (split points 0..L)."""
        return int(self.out_bits.shape[0] - 1)

    def _require_tables(self, what: str) -> None:
        if self.__dict__.get("_tables") is None:
            raise ValueError(f"a problem built with Problem.from_models has continuous frequencies: no {what}")

    @property
    def configs(self) -> ConfigSet:
        """The device's configurations (:class:`dvfskit.ConfigSet`, K rows, one column per knob);
        for :meth:`from_tables` problems the (compute, memory) grid, ``k = a * nM + b``.
        Model problems (continuous frequencies) have none: ``ValueError``."""
        self._require_tables("configuration set")
        return self.__dict__["_configs"]

    @property
    def config_latency_ms(self) -> np.ndarray:
        """(L, K) read-only: latency (ms) of block i at configuration k of :attr:`configs`."""
        self._require_tables("tables")
        return self.__dict__["_latency"]

    @property
    def config_power_w(self) -> np.ndarray:
        """(L, K) read-only: average power (W) of block i at configuration k of :attr:`configs`."""
        self._require_tables("tables")
        return self.__dict__["_power"]

    @property
    def tables_kind(self) -> Optional[str]:
        """``"measured"`` (tables as given or loaded) or ``"predicted"`` (fitted models evaluated
        on the configurations, :meth:`from_fits`); None for model problems (no tables)."""
        return self.__dict__.get("_tables_kind") if self.__dict__.get("_tables") is not None else None

    @property
    def block_names(self) -> List[Any]:
        """The block labels, in order (0..L-1 unless the constructor was given names)."""
        self._require_tables("block labels")
        return list(self.__dict__["_blocks"])

    @property
    def offload_fractions(self) -> Optional[np.ndarray]:
        """The allowed offloaded shares (partial offloading), or None (rho = 1 whenever a split
        offloads). Model problems: None (rho is continuous when partial offloading is on)."""
        return self.__dict__.get("_fractions")

    @property
    def nbytes(self) -> int:
        """Bytes held by the tables: the (L, K) inputs plus the C++ cumulative tables and fronts."""
        self._require_tables("tables")
        assert self._tables is not None
        return int(self._latency.nbytes + self._power.nbytes + self._tables.bytes)

    def __repr__(self) -> str:
        sc = ", ".join(f"{k}={v:.6g}" for k, v in self.scenario.items())
        if self._tables is None:
            d = self.device
            return (f"Problem(L={self.num_blocks} blocks, models: f in {d.compute_freq_range_mhz} MHz, "
                    f"m in {d.mem_freq_range_mhz} MHz, {sc})")
        c = self._configs
        rho = "" if self._fractions is None else f", offload fractions {np.array2string(self._fractions, separator=', ')}"
        return (f"Problem(L={self.num_blocks} blocks, {self._tables_kind} tables over {c._summary()}{rho}, {sc})")


def _scenario_dict(values: Mapping[str, Any]) -> Dict[str, Any]:
    return {k: values[k] for k in _SCENARIO_FIELDS}


# ---------------------------------------------------------------------------------------------
# Fitted models per block (Problem.from_fits, Device.from_fits)

def _per_block_fits(source: Any, name: str, block: Optional[str], blocks: Optional[Sequence[Any]],
                    keys: Optional[Mapping[str, Any]]) -> Tuple[List[Any], Any, np.ndarray]:
    """(block labels, model, parameters (L, P)) of a FitTable, a list of FitResults or one FitResult
    (labels [None]: the same for every block)."""
    from ._fit import FitResult
    from ._fit_table import FitTable

    if isinstance(source, FitResult):
        _check_fit(source.success, source.message, name, "the fit")
        return [None], source.model, source.model.parameter_vector(source.params)[None, :]
    if isinstance(source, FitTable):
        by = list(source.by)
        column = block if block is not None else (by[0] if len(by) == 1 else None)
        if column is None or column not in by:
            raise ValueError(f"the {name} FitTable is grouped by {by}: pass block= naming the block column"
                             + (" and keys= for the others" if len(by) > 1 else ""))
        fixed = dict(keys or {})
        others = [c for c in by if c != column]
        unknown = [c for c in fixed if c not in others]
        if unknown or sorted(fixed) != sorted(others):
            raise ValueError(f"keys= must give a value for exactly the group columns {others} of the {name} FitTable, "
                             f"got {sorted(fixed)}")
        keys_frame = source.keys
        rows = np.ones(len(keys_frame), dtype=bool)
        for c, v in fixed.items():
            rows &= (keys_frame[c] == v).to_numpy()
        if not rows.any():
            raise ValueError(f"the {name} FitTable has no group with {fixed}")
        present = [v.item() if isinstance(v, np.generic) else v for v in keys_frame.loc[rows, column]]
        groups = list(np.flatnonzero(rows))
        if blocks is not None:
            position = dict(zip(present, groups))
            missing = [b for b in blocks if b not in position]
            if missing:
                raise ValueError(f"the {name} FitTable has no group for block {missing[0]!r}")
            present, groups = list(blocks), [position[b] for b in blocks]
        for label, g in zip(present, groups):
            _check_fit(bool(source.success[g]), source.message[g], name, f"the fit of block {label!r}")
        return present, source.model, source.params[groups]
    if isinstance(source, (list, tuple)) and source and all(isinstance(r, FitResult) for r in source):
        model = source[0].model
        for i, r in enumerate(source):
            if (r.model.expr, r.model.inputs, r.model.parameters) != (model.expr, model.inputs, model.parameters):
                raise ValueError(f"the {name} fits of the blocks must use one model: block {i} uses {r.model.name!r}, "
                                 f"block 0 {model.name!r}")
        for i, r in enumerate(source):
            _check_fit(r.success, r.message, name, f"the fit of block {i}")
        labels = list(range(len(source))) if blocks is None else list(blocks)
        if len(labels) != len(source):
            raise ValueError(f"blocks has {len(labels)} labels for {len(source)} {name} fits")
        return labels, model, np.array([model.parameter_vector(r.params) for r in source])
    raise TypeError(f"{name} must be a FitResult, a list of FitResults (one per block) or a FitTable grouped by block, "
                    f"not {type(source).__name__}")


def _check_fit(success: bool, message: str, name: str, what: str) -> None:
    if not success:
        raise ValueError(f"{name}: {what} did not converge ({message}); refit or drop it before planning on it")


def _match_blocks(latency: Tuple[List[Any], Any, np.ndarray], power: Tuple[List[Any], Any, np.ndarray]) -> List[Any]:
    lat_labels, pw_labels = latency[0], power[0]
    if lat_labels == [None] and pw_labels == [None]:
        return ["network"]
    if lat_labels == [None]:
        return list(pw_labels)
    if pw_labels == [None]:
        return list(lat_labels)
    if list(lat_labels) != list(pw_labels):
        raise ValueError(f"the latency and power fits cover different blocks: {list(lat_labels)} vs {list(pw_labels)}")
    return list(lat_labels)


# ---------------------------------------------------------------------------------------------
# Continuous models

class Device:
    """Per-block latency and power models of the device, for :meth:`Problem.from_models`.

    ``latency_ms`` and ``power_w`` are expressions (``dvfskit.Model`` syntax, powers as ``**``)
    in the compute frequency and the memory frequency, **both in MHz** like every frequency in
    dvfskit: named ``f`` and ``m``, or ``compute_freq_mhz`` and ``mem_freq_mhz`` as in the
    catalogue models (whose expressions convert MHz to GHz themselves, so a catalogue expression
    can be used verbatim with its fitted parameters); a model may leave either out. Every other
    name is a per-block coefficient whose values ``coefficients[name]`` (length L; DataFrame or
    mapping) give one row per block. Example: ``Device("W / f + M / m", "p0 + k * f**2", {"W": ...,
    "M": ..., "p0": ..., "k": ...}, (100, 1000), (200, 3200))``. From fitted models (no parameter
    copied or converted by hand): :meth:`from_fits`.
    """

    def __init__(self, latency_ms: str, power_w: str, coefficients: Any, compute_freq_range_mhz: Tuple[float, float],
                 mem_freq_range_mhz: Tuple[float, float]) -> None:
        names = list(coefficients.keys())
        cols = [_array(coefficients[n], f"coefficients[{n!r}]", 1) for n in names]
        if len({c.size for c in cols}) > 1:
            raise ValueError("coefficients must all have one value per block (same length)")
        if not cols:
            raise ValueError("coefficients must give at least one per-block value (one row per block)")
        table = np.column_stack(cols)
        self.coefficients = pd.DataFrame(dict(zip(names, cols)))
        self._latency, self._latency_coefficients = _expression(latency_ms, "latency_ms", names), table
        self._power, self._power_coefficients = _expression(power_w, "power_w", names), table
        self.latency_ms, self.power_w = latency_ms, power_w
        self.compute_freq_range_mhz = _range(compute_freq_range_mhz, "compute_freq_range_mhz")
        self.mem_freq_range_mhz = _range(mem_freq_range_mhz, "mem_freq_range_mhz")

    @classmethod
    def from_fits(cls, latency: Union["FitResult", "FitTable", Sequence["FitResult"]],
                  power: Union["FitResult", "FitTable", Sequence["FitResult"]], compute_freq_range_mhz: Tuple[float, float],
                  mem_freq_range_mhz: Tuple[float, float], *, block: Optional[str] = None,
                  blocks: Optional[Sequence[Any]] = None, keys: Optional[Mapping[str, Any]] = None) -> "Device":
        """The device of fitted per-block models (FitTable by block, list of FitResults, or one
        FitResult as in :meth:`Problem.from_fits`): their expressions and fitted parameters are
        used as they are, the models reading ``compute_freq_mhz`` / ``mem_freq_mhz`` in MHz."""
        self = object.__new__(cls)
        lat = _per_block_fits(latency, "latency", block, blocks, keys)
        pw = _per_block_fits(power, "power", block, blocks, keys)
        labels = _match_blocks(lat, pw)
        L = len(labels)
        parts = []
        for name, (_, model, params) in (("latency", lat), ("power", pw)):
            if not isinstance(model.expr, str):
                raise ValueError(f"Device.from_fits needs expression models; the {name} model {model.name!r} is a "
                                 f"Python callable")
            unknown = [c for c in model.inputs if c not in _FREQUENCY_NAMES]
            if unknown:
                raise ValueError(f"the {name} model {model.name!r} reads {unknown[0]!r}: a device model reads only "
                                 f"compute_freq_mhz and mem_freq_mhz (MHz)")
            coefficients = np.repeat(params, L, axis=0) if params.shape[0] == 1 else np.array(params)
            parts.append((_expression(model.expr, name, list(model.parameters)), coefficients, model))
        (self._latency, self._latency_coefficients, lat_model), (self._power, self._power_coefficients, pw_model) = parts
        self.latency_ms, self.power_w = lat_model.expr, pw_model.expr
        self.coefficients = pd.concat(
            [pd.DataFrame(self._latency_coefficients, columns=[f"latency.{p}" for p in lat_model.parameters]),
             pd.DataFrame(self._power_coefficients, columns=[f"power.{p}" for p in pw_model.parameters])], axis=1)
        self.coefficients.index = pd.Index(labels, name="block")
        self.compute_freq_range_mhz = _range(compute_freq_range_mhz, "compute_freq_range_mhz")
        self.mem_freq_range_mhz = _range(mem_freq_range_mhz, "mem_freq_range_mhz")
        return self

    @property
    def num_blocks(self) -> int:
        return int(self._latency_coefficients.shape[0])

    def __repr__(self) -> str:
        return (f"Device(latency_ms={self.latency_ms!r}, power_w={self.power_w!r}, L={self.num_blocks}, "
                f"f={self.compute_freq_range_mhz} MHz, m={self.mem_freq_range_mhz} MHz)")


def _expression(text: str, name: str, coefficients: List[str]) -> Any:
    """A device model: coefficients as inputs, the frequencies (MHz) as its parameters."""
    expr = _core.Expression(text, coefficients)
    unknown = [p for p in expr.parameters if p not in _FREQUENCY_NAMES]
    if unknown:
        raise ValueError(f"{name}: {unknown[0]!r} is neither a per-block coefficient (coefficients: {coefficients}) "
                         f"nor a frequency (f or compute_freq_mhz, m or mem_freq_mhz, MHz)")
    return expr


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
