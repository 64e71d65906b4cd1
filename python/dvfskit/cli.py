"""The ``dvfskit`` command line: fit, compare, solve, sweep, schedule, plot, demo.

Exit codes:

- 0: done (for ``solve`` and ``schedule``: the plan meets the deadline);
- 1: solved, but infeasible: no plan meets the deadline (``solve``, ``schedule``);
- 2: bad input: a usage error, an unreadable or invalid file, a bad value, a missing optional
  dependency (one line on stderr, no traceback);
- 3: internal error (a bug: the traceback is printed);
- 130: interrupted (Ctrl-C); a ``sweep --out`` keeps its finished chunks (continue with
  ``--resume``).
"""
from __future__ import annotations

import argparse
import decimal
import glob
import json
import math
import os
import re
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, List, NoReturn, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

from ._data import did_you_mean, json_records

EXAMPLES = """examples:
  dvfskit fit measurements.csv --model gpu_dvfs --by device,dnn
  dvfskit fit tx2.csv --model joint_mem_comp --by size \\
      --columns compute_freq_mhz=gpu_freq,mem_freq_mhz=emc_freq,latency_ms=inference_time,size=size \\
      --units compute_freq_mhz=Hz,mem_freq_mhz=Hz,latency_ms=s --json
  dvfskit compare measurements.csv --model cpu_dvfs,gpu_dvfs,joint_mem_comp --by device,dnn --keys stage
  dvfskit fit runs/size-*.csv --model gpu_dvfs --by file --values temp_c
  dvfskit solve problem.toml --deadline-ms 250
  dvfskit solve problem.toml --governor schedutil --governor compute_freq_mhz=ondemand,mem_freq_mhz=performance
  dvfskit sweep problem.toml --grid deadline_ms=200:900:50 --grid bandwidth_hz=0.5e6,1e6,4e6 --out results.parquet
  dvfskit sweep problem.toml --grid deadline_ms=200:900:n15 --grid bandwidth_hz=1e5:1e7:g9 --out big.parquet --resume
  dvfskit schedule problem.toml --deadline-ms 400 --switch-time-ms 5
  dvfskit schedule problem.toml --deadline-ms 400 --governor default --governor ondemand --busy mem_freq_mhz=0.3
  dvfskit plot sweep results.parquet --x deadline_ms --out energy.png
  dvfskit plot heatmap problem.toml --out heatmap.png
  dvfskit plot schedule problem.toml --deadline-ms 400 --out schedule.png
  dvfskit demo --out dvfskit-demo

exit codes: 0 done (plan feasible), 1 solved but infeasible, 2 bad input (one line), 3 internal error
"""

GRID_HELP = (
    "scenario field and its values, repeat per field (a field once). VALUES: V1,V2,... | "
    "START:STOP:STEP, a step as in slices, STOP included when it lies on the grid "
    "(deadline_ms=200:900:50 is 200, 250, ..., 900) | START:STOP:nCOUNT, COUNT values evenly "
    "spaced, both ends included (200:900:n15) | START:STOP:gCOUNT, COUNT values evenly spaced on "
    "a log scale (bandwidth_hz=1e5:1e7:g5); items mix: 100,200:900:50"
)

GOVERNOR_HELP = (
    "add a governor baseline (the device's own DVFS, simulated on the tables with one inference per "
    "deadline, all local), repeat for more: NAME for every frequency knob (schedutil, ondemand, "
    "conservative, performance, powersave, simple_ondemand, sysscale; default: schedutil on compute "
    "knobs, simple_ondemand on memory knobs) or KNOB=NAME,... (other knobs at their maximum); "
    "tunables at the kernel's defaults"
)

BUSY_HELP = (
    "for --governor: the busy share of a knob's domain, KNOB=SHARE,... (0..1 of every block's time; "
    "default for memory knobs: the memory-bound share from a joint_mem_comp fit of the tables)"
)

#: Values one --grid field may have (a typo such as 0:1e9:1 fails at once, not after an hour).
MAX_GRID_VALUES = 10_000_000
#: Scenarios a whole grid may have.
MAX_GRID_SCENARIOS = 10**12
TABLE_SUFFIXES = (".csv", ".parquet")


class UsageError(Exception):
    """A user mistake: reported in one line, exit code 2."""


def _one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped (``\\n``): one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2), as every other bad input."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see {self.prog} --help)\n")


# ---------------------------------------------------------------------------------------------
# Option values
# ---------------------------------------------------------------------------------------------

def _pairs(text: Optional[str], option: str) -> Dict[str, str]:
    if not text:
        return {}
    out: Dict[str, str] = {}
    for item in text.split(","):
        if "=" not in item:
            raise UsageError(f"{option} takes NAME=VALUE pairs separated by commas, got {item!r}")
        k, v = (t.strip() for t in item.split("=", 1))
        if not k or not v:
            raise UsageError(f"{option}: {item!r} needs a name and a value (NAME=VALUE)")
        if k in out:
            raise UsageError(f"{option}: {k!r} is given twice")
        out[k] = v
    return out


def parse_governors(items: Optional[Sequence[str]]) -> List[Any]:
    """``--governor`` values -> governor settings (a name, or a dict knob -> name), checked."""
    from ._governor import GOVERNORS

    settings: List[Any] = []
    for item in items or []:
        setting: Any = _pairs(item, "--governor") if "=" in item else item.strip()
        names = list(setting.values()) if isinstance(setting, dict) else [setting]
        known = sorted(GOVERNORS) + ([] if isinstance(setting, dict) else ["default"])
        for name in names:
            if name not in known:
                raise UsageError(f"--governor: unknown governor {name!r}{did_you_mean(name, known)} "
                                 f"(governors: {', '.join(known)})")
        if setting in settings:
            raise UsageError(f"--governor: {item!r} is given twice")
        settings.append(setting)
    return settings


def governor_options(args: argparse.Namespace, governors: Sequence[Any]) -> Optional[Dict[str, Any]]:
    """The governor simulations' options from ``--busy`` (None when not given)."""
    busy = _pairs(getattr(args, "busy", None), "--busy")
    if not busy:
        return None
    if not governors:
        raise UsageError("--busy sets the busy share of governor simulations; add --governor NAME")
    shares: Dict[str, float] = {}
    for knob, text in busy.items():
        share = float(_decimal(text, f"--busy {knob}"))
        if not 0.0 <= share <= 1.0:
            raise UsageError(f"--busy {knob}={text}: a busy share is between 0 and 1")
        shares[knob] = share
    return {"busy": shares}


def _names(text: Optional[str]) -> List[str]:
    return [t.strip() for t in text.split(",") if t.strip()] if text else []


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _decimal(text: str, what: str) -> decimal.Decimal:
    t = text.strip()
    if not _NUMBER.fullmatch(t):
        raise UsageError(f"{what}: {text.strip()!r} is not a number" if t else f"{what}: a value is empty")
    value = decimal.Decimal(t)
    if not math.isfinite(float(value)):
        raise UsageError(f"{what}: {t!r} is too large (values must be finite)")
    return value


def _count(text: str, what: str) -> int:
    if not re.fullmatch(r"\d{1,9}", text):
        raise UsageError(f"{what}: COUNT must be a whole number, got {text!r}")
    return int(text)


def _range_values(item: str, what: str) -> np.ndarray:
    parts = item.split(":")
    if len(parts) != 3:
        raise UsageError(f"{what}: a range is START:STOP:STEP, START:STOP:nCOUNT or START:STOP:gCOUNT, got {item!r}")
    start, stop = _decimal(parts[0], what), _decimal(parts[1], what)
    third = parts[2].strip()
    if third[:1] in ("n", "g"):
        count = _count(third[1:], what)
        if count < 1 or (count == 1 and start != stop):
            raise UsageError(f"{what}: {item!r} needs COUNT >= 2 (or START = STOP)")
        if count > MAX_GRID_VALUES:
            raise UsageError(f"{what}: COUNT {count} is more than {MAX_GRID_VALUES:,} values")
        if third[0] == "g":
            if start <= 0 or stop <= 0:
                raise UsageError(f"{what}: a log range (gCOUNT) needs START and STOP > 0, got {item!r}")
            return np.geomspace(float(start), float(stop), count)
        return np.linspace(float(start), float(stop), count)
    step = _decimal(third, what)
    if step == 0:
        raise UsageError(f"{what}: STEP must not be 0 in {item!r}")
    if (stop - start) * step < 0:
        sign = "negative" if stop < start else "positive"
        raise UsageError(f"{what}: STEP {third} goes from START {parts[0].strip()} away from STOP {parts[1].strip()}; "
                         f"use a {sign} STEP")
    with decimal.localcontext() as ctx:
        ctx.prec = 60  # exact for any START/STOP/STEP written in a few digits
        steps = (stop - start) / step
        count = int(steps.to_integral_value(rounding=decimal.ROUND_FLOOR)) + 1
        if count > MAX_GRID_VALUES:
            raise UsageError(f"{what}: {item!r} gives {count:,} values, more than {MAX_GRID_VALUES:,}")
        # START + i STEP exactly in decimal, then rounded once to the nearest float (as if typed)
        scale = max(0, -min(int(start.as_tuple().exponent), int(step.as_tuple().exponent)))
        k, s = int(start.scaleb(scale)), int(step.scaleb(scale))
        if scale <= 22 and max(abs(k), abs(s), abs(k + (count - 1) * s)) < 2**53:
            return (k + s * np.arange(count, dtype=np.int64)).astype(np.float64) / float(10**scale)
        return np.array([float(start + i * step) for i in range(count)])


def grid_values(spec: str, name: str = "VALUES") -> np.ndarray:
    """The values of one ``--grid NAME=VALUES`` (see :data:`GRID_HELP`); UsageError saying what
    is wrong otherwise."""
    what = f"--grid {name}"
    if not spec.strip():
        raise UsageError(f"{what}: no values")
    values: List[np.ndarray] = []
    for item in spec.split(","):
        if not item.strip():
            raise UsageError(f"{what}: an empty value in {spec!r} (two commas, or one at an end)")
        values.append(_range_values(item, what) if ":" in item else np.array([float(_decimal(item, what))]))
    out = np.concatenate(values)
    if out.size > MAX_GRID_VALUES:
        raise UsageError(f"{what}: {out.size:,} values, more than {MAX_GRID_VALUES:,}")
    if not np.all(np.isfinite(out)):
        raise UsageError(f"{what}: values must be finite (a number overflows)")
    return out


def parse_grid(items: Sequence[str]) -> Dict[str, np.ndarray]:
    """``--grid`` options as a sweep grid; each scenario field at most once."""
    from ._solve import _SCENARIO_FIELDS

    grid: Dict[str, np.ndarray] = {}
    for item in items:
        if "=" not in item:
            raise UsageError(f"--grid takes NAME=VALUES (e.g. deadline_ms=200:900:50), got {item!r}")
        name, spec = (t.strip() for t in item.split("=", 1))
        if name not in _SCENARIO_FIELDS:
            raise UsageError(f"--grid: unknown scenario field {name!r}{did_you_mean(name, _SCENARIO_FIELDS)} "
                             f"(fields: {', '.join(_SCENARIO_FIELDS)})")
        if name in grid:
            raise UsageError(f"--grid {name} is given twice; give its values once (V1,V2,... or ranges mixed)")
        grid[name] = grid_values(spec, name)
    total = math.prod(v.size for v in grid.values())
    if total > MAX_GRID_SCENARIOS:
        raise UsageError(f"--grid: {total:.3g} scenarios, more than {MAX_GRID_SCENARIOS:.0e}")
    return grid


def _check_out(out: Optional[str], suffixes: Sequence[str], what: str = "--out") -> Optional[Path]:
    """An output path: a known suffix (any case) and an existing folder, checked before any work."""
    if out is None:
        return None
    path = Path(out)
    if path.suffix.lower() not in suffixes:
        raise UsageError(f"{what} {out!r}: unknown format; use {' or '.join(suffixes)}")
    if not path.parent.is_dir():
        raise UsageError(f"{what} {out!r}: folder {str(path.parent)!r} does not exist")
    if path.suffix.lower() == ".parquet":
        from ._data import require

        require("pyarrow.parquet", f"{what} {out!r} (Parquet)", "pyarrow")
    return path


# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------

def _load(args: argparse.Namespace) -> pd.DataFrame:
    from . import read_measurements

    columns = _pairs(args.columns, "--columns")
    constants = _pairs(args.constants, "--constants")
    keys = _names(args.keys)
    sources = [args.data] if isinstance(args.data, str) else list(args.data)
    made = {"file"} if len(sources) > 1 or any(glob.has_magic(x) for x in sources) else set()  # the file key column
    keys += [k for k in _names(args.by) if k not in columns and k not in constants and k not in keys and k not in made]
    return read_measurements(sources[0] if len(sources) == 1 else sources, columns=columns or None,
                             units=_pairs(args.units, "--units") or None, keys=keys or None,
                             values=_names(args.values) or None, ignore=_names(args.ignore) or None,
                             constants=constants or None, aggregate=args.aggregate)


def _emit(df: pd.DataFrame, args: argparse.Namespace, out: Optional[Path] = None) -> None:
    if out is not None:
        if out.suffix.lower() == ".parquet":
            df.to_parquet(out, index=False)
        else:
            df.to_csv(out, index=False)
        print(f"wrote {len(df)} rows to {out}", file=sys.stderr)
    if args.json:
        print(json.dumps(json_records(df), indent=2))
    else:
        with pd.option_context("display.width", 200, "display.max_columns", 40, "display.max_rows", 200):
            print(df.to_string(index=False, float_format=lambda v: f"{v:.6g}", na_rep="n/a"))


def _fit_table(model: str, df: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    from . import fit

    by = _names(args.by)
    options = dict(loss=args.loss, max_iterations=args.max_iterations)
    if by:
        return fit(model, df, args.y, by=by, **options).to_dataframe()
    return pd.DataFrame([fit(model, df, args.y, **options).summary()])


def cmd_fit(args: argparse.Namespace) -> int:
    out = _check_out(args.out, TABLE_SUFFIXES)
    df = _load(args)
    frames = []
    for name in _names(args.model) or ["gpu_dvfs"]:
        table = _fit_table(name, df, args)
        table.insert(0, "model", name)
        frames.append(table)
    _emit(pd.concat(frames, ignore_index=True), args, out)
    return 0


def _compare(args: argparse.Namespace) -> pd.DataFrame:
    from . import compare

    models = _names(args.model)
    if not models:
        raise UsageError("compare needs --model NAME1,NAME2,... (dvfskit.models)")
    df = _load(args)
    return compare(models, df, args.y, by=_names(args.by) or None, max_iterations=args.max_iterations)


def cmd_compare(args: argparse.Namespace) -> int:
    out = _check_out(args.out, TABLE_SUFFIXES)
    _emit(_compare(args), args, out)
    return 0


def _problem_file(args: argparse.Namespace) -> Any:
    from .problem_file import read_problem_file

    return read_problem_file(args.problem, allow_outside_paths=getattr(args, "allow_outside_paths", False))


def _problem(args: argparse.Namespace) -> Tuple[Any, Any]:
    pf = _problem_file(args)
    problem = pf.problem()
    changes = {k: getattr(args, k) for k in ("deadline_ms",) if getattr(args, k, None) is not None}
    return (problem.with_scenario(**changes) if changes else problem), pf


def cmd_solve(args: argparse.Namespace) -> int:
    from . import baselines, solve

    out = _check_out(args.out, TABLE_SUFFIXES)
    problem, pf = _problem(args)
    governors = parse_governors(args.governor)
    options = governor_options(args, governors)
    solution = solve(problem, objective=args.objective or pf.objective)
    table = baselines(problem, governors=governors or None, governor_options=options).reset_index()
    if args.json:
        print(json.dumps({"solution": solution.to_dict(), "baselines": json_records(table)},
                         indent=2))
    else:
        print(solution)
        print()
        partial = ["offload_fraction"] if problem.offload_fractions is not None else []
        _emit(table[["plan", "energy_j", "latency_ms", "feasible", "saving_pct", "split", *problem.configs.knobs,
                     *partial, "tx_power_w", *(["miss_rate"] if governors else [])]], args, out)
    return 0 if solution.feasible else 1


def _summary(result: pd.DataFrame) -> Dict[str, Any]:
    feasible = result["feasible"].to_numpy(bool)
    energy = result["energy_j"].to_numpy(float)[feasible] if "energy_j" in result else np.zeros(0)
    return {"scenarios": int(len(result)), "feasible": int(feasible.sum()),
            "energy_j_min": float(energy.min()) if energy.size else None,
            "energy_j_max": float(energy.max()) if energy.size else None}


def cmd_sweep(args: argparse.Namespace) -> int:
    from . import read_sweep, sweep

    out = _check_out(args.out, (".parquet", ".csv"))
    if args.resume and out is None:
        raise UsageError("--resume continues a sweep written with --out; give --out")
    grid = parse_grid(args.grid or [])
    if not grid:
        raise UsageError("sweep needs at least one --grid NAME=VALUES")
    governors = parse_governors(args.governor)
    options = governor_options(args, governors)
    problem, pf = _problem(args)
    chosen: Any = True
    if governors:
        from ._baselines import baseline_names

        chosen = [*baseline_names(problem), *governors]
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="sweep interrupted", category=RuntimeWarning)  # said below
        result = sweep(problem, grid=grid, objective=args.objective or pf.objective, baselines=chosen,
                       governor_options=options, progress=not args.json and sys.stderr.isatty(), out=out, resume=args.resume)
    seconds = time.perf_counter() - start
    if out is None:
        assert isinstance(result, pd.DataFrame)
        cols = [c for c in ("deadline_ms", "bandwidth_hz", "gain", "noise_w_per_hz", "p_max_w", "p_circuit_w",
                            "idle_power_w") if c in grid] + [
            "feasible", "split", *problem.configs.knobs] + (["offload_fraction"] if problem.offload_fractions is not None
                                                             else []) + [
            "tx_power_w", "energy_j", "latency_ms", "saving_vs_max_frequency_pct", "saving_vs_all_local_pct"] + [
            f"saving_vs_{c[:-len('_miss_rate')]}_pct" for c in result.columns if c.endswith("_miss_rate")]
        _emit(result[cols], args)
        complete, done, total = result.attrs["complete"], result.attrs["rows_done"], result.attrs["rows_total"]
    else:
        back = read_sweep(out, columns=["feasible", "energy_j"])
        complete, done, total = back.attrs["complete"], len(back), back.attrs["rows_total"]
        summary = {"out": str(out), **_summary(back), "scenarios_total": total, "complete": complete,
                   "seconds": round(seconds, 3)}
        if args.json:
            print(json.dumps(summary, indent=2))
        else:
            energy = (f"; energy of the feasible ones {summary['energy_j_min']:.6g} .. {summary['energy_j_max']:.6g} J"
                      if summary["feasible"] else "")
            print(f"wrote {done:,} of {total:,} scenarios to {out} ({summary['feasible']:,} feasible{energy}) "
                  f"in {seconds:.3g} s; read it with dvfskit.read_sweep({str(out)!r})")
    if not complete:
        print(f"dvfskit sweep: interrupted after {done:,} of {total:,} scenarios"
              + ("; continue with the same command and --resume" if out is not None else ""), file=sys.stderr)
        return 130
    return 0


def _schedule(args: argparse.Namespace) -> Any:
    pf = _problem_file(args)
    options = pf.schedule_options
    for key in ("switch_time_ms", "switch_energy_j", "idle_power_w"):
        if getattr(args, key, None) is not None:
            options[key] = getattr(args, key)
    deadline = args.deadline_ms if args.deadline_ms is not None else pf.deadline_ms
    if deadline is None:
        raise UsageError(f"{args.problem}: a schedule needs a deadline: [scenario] deadline_ms or --deadline-ms")
    governors = parse_governors(getattr(args, "governor", None))
    return pf.block_tables().schedule(deadline, **options, governors=governors or None,
                                      governor_options=governor_options(args, governors))


def cmd_schedule(args: argparse.Namespace) -> int:
    out = _check_out(args.out, TABLE_SUFFIXES)
    plan = _schedule(args)
    if args.json:
        print(json.dumps(plan.to_dict(), indent=2))
    else:
        print(plan)
        print()
        table = plan.baselines.reset_index()
        _emit(table.drop(columns=["m_mhz"]) if table["m_mhz"].isna().all() else table, args, out)
    return 0 if plan.feasible else 1


def _image_suffixes() -> Tuple[str, ...]:
    from matplotlib.figure import Figure

    return tuple(sorted("." + s for s in Figure().canvas.get_supported_filetypes()))


def cmd_plot(args: argparse.Namespace) -> int:
    from ._data import require

    require("matplotlib", "dvfskit plot", "matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    out = _check_out(args.out, _image_suffixes())
    from . import plots

    if args.kind == "sweep":
        from . import read_sweep

        ax = plots.sweep(read_sweep(args.source), x=args.x, y=args.y or "energy_j", hue=args.hue)
    elif args.kind in ("heatmap", "pareto"):
        from . import solve

        problem, _ = _problem(argparse.Namespace(problem=args.source, deadline_ms=args.deadline_ms,
                                                 allow_outside_paths=args.allow_outside_paths))
        ax = plots.heatmap(problem, solution=solve(problem)) if args.kind == "heatmap" else plots.pareto(problem)
    elif args.kind == "schedule":
        ax = plots.schedule(_schedule(argparse.Namespace(
            problem=args.source, deadline_ms=args.deadline_ms, allow_outside_paths=args.allow_outside_paths)))
    elif args.kind == "compare":
        ax = plots.compare(_compare(args), metric=args.metric)
    else:  # fit
        from . import fit

        df = _load(args)
        by = _names(args.by)
        result = fit((_names(args.model) or ["gpu_dvfs"])[0], df, args.y or "latency_ms", by=by or None)
        ax = plots.fit(result, df)
    from matplotlib.figure import Figure

    # plots.fit of several groups draws one panel per group and returns an array of Axes
    first = ax.flat[0] if hasattr(ax, "flat") else ax
    figure = first.figure
    assert isinstance(figure, Figure) and out is not None
    figure.savefig(out, dpi=110, bbox_inches="tight")
    print(f"wrote {out}", file=sys.stderr)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run

    path = Path(args.out)
    if not path.parent.is_dir():
        raise UsageError(f"--out {args.out!r}: folder {str(path.parent)!r} does not exist")
    run(path)
    return 0


# ---------------------------------------------------------------------------------------------
# Parser
# ---------------------------------------------------------------------------------------------

def _data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--by", default=None, help="group key columns, comma-separated")
    p.add_argument("--columns", default=None, help="canonical=source column pairs, e.g. latency_ms=time")
    p.add_argument("--units", default=None, help="canonical=unit pairs, e.g. latency_ms=s,compute_freq_mhz=Hz")
    p.add_argument("--keys", default=None,
                   help="source columns kept as key columns under their own name, comma-separated (e.g. size,stage)")
    p.add_argument("--constants", default=None,
                   help="constant key columns added to every row, NAME=TEXT pairs (e.g. device=TX2)")
    p.add_argument("--values", default=None,
                   help="measured source columns carried along that are not keys, comma-separated (e.g. temp_c)")
    p.add_argument("--ignore", default=None,
                   help="source columns to leave out, comma-separated (e.g. a run id whose rows are true repeats)")
    p.add_argument("--aggregate", choices=["mean", "median"], default=None,
                   help="average true repeats (rows equal in every selected and key column)")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(
        prog="dvfskit",
        description="Fit DVFS-aware latency and power models; solve energy-optimal frequency, transmit power "
                    "and DNN-split problems. Frequencies in MHz, time in ms, power in W, energy in J.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"dvfskit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def data_command(name: str, help_text: str, func: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("data", nargs="+", help="measurement CSV file(s): several files, or a quoted glob pattern "
                                                "('runs/*.csv'), load as one table with a file key column")
        p.add_argument("--model", default=None, help="built-in model name(s), comma-separated (dvfskit.models)")
        p.add_argument("--y", default="latency_ms", help="column to fit (default latency_ms)")
        _data_options(p)
        p.add_argument("--max-iterations", type=int, default=1000)
        p.add_argument("--json", action="store_true", help="print JSON records instead of a table")
        p.add_argument("--out", default=None, help="also write the table to a .csv or .parquet file")
        p.set_defaults(func=func)
        return p

    fit_parser = data_command("fit", "fit a model to measurements, optionally per group", cmd_fit)
    fit_parser.add_argument("--loss", default="linear", choices=["linear", "huber", "soft_l1", "cauchy", "arctan"])
    data_command("compare", "rank models per group by AIC/BIC, cross-validated and extrapolation error", cmd_compare)

    def problem_command(name: str, help_text: str, func: Callable[[argparse.Namespace], int], *,
                        objective: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, epilog=EXAMPLES + "\nproblem files: see dvfskit.problem_file",
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("problem", help="problem description (TOML, units in key names)")
        p.add_argument("--deadline-ms", type=float, default=None, help="override the deadline (ms)")
        if objective:
            p.add_argument("--objective", default=None, choices=["energy", "latency", "edp"])
        p.add_argument("--json", action="store_true", help="print JSON instead of a table")
        p.add_argument("--allow-outside-paths", action="store_true",
                       help="let the problem file read data files outside its own folder")
        p.set_defaults(func=func)
        return p

    solve_parser = problem_command("solve", "energy-optimal frequencies, transmit power and split, with baselines",
                                   cmd_solve)
    solve_parser.add_argument("--out", default=None, help="also write the baselines table to a .csv or .parquet file")
    solve_parser.add_argument("--governor", action="append", metavar="SETTING", help=GOVERNOR_HELP)
    solve_parser.add_argument("--busy", default=None, metavar="KNOB=SHARE", help=BUSY_HELP)
    sweep_parser = problem_command("sweep", "solve a grid of scenarios (C++ batch, all cores)", cmd_sweep)
    sweep_parser.add_argument("--grid", action="append", metavar="NAME=VALUES", help=GRID_HELP)
    sweep_parser.add_argument("--governor", action="append", metavar="SETTING", help=GOVERNOR_HELP)
    sweep_parser.add_argument("--busy", default=None, metavar="KNOB=SHARE", help=BUSY_HELP)
    sweep_parser.add_argument("--out", default=None,
                              help="stream the results to a crash-safe output folder NAME.parquet or NAME.csv "
                                   "(one file per chunk; read with dvfskit.read_sweep) and print a summary "
                                   "instead of the rows")
    sweep_parser.add_argument("--resume", action="store_true",
                              help="continue an interrupted sweep in --out (the same problem, grid and objective)")
    sched = problem_command("schedule", "per-block frequency schedule against the deadline", cmd_schedule,
                            objective=False)
    sched.add_argument("--switch-time-ms", type=float, default=None)
    sched.add_argument("--switch-energy-j", type=float, default=None)
    sched.add_argument("--idle-power-w", type=float, default=None)
    sched.add_argument("--governor", action="append", metavar="SETTING", help=GOVERNOR_HELP)
    sched.add_argument("--busy", default=None, metavar="KNOB=SHARE", help=BUSY_HELP)
    sched.add_argument("--out", default=None, help="also write the baselines table to a .csv or .parquet file")

    plot = sub.add_parser("plot", help="draw a plot to a PNG/PDF/SVG file", epilog=EXAMPLES,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    plot.add_argument("kind", choices=["fit", "compare", "sweep", "heatmap", "pareto", "schedule"])
    plot.add_argument("source", help="measurements CSV (fit, compare), sweep output (sweep), problem TOML "
                                     "(heatmap, pareto, schedule)")
    plot.add_argument("--out", required=True, help="image file to write (.png, .pdf, .svg, ...)")
    plot.add_argument("--x", default="deadline_ms", help="sweep: x column")
    plot.add_argument("--y", default=None, help="sweep: y column (default energy_j); fit, compare: fitted column")
    plot.add_argument("--hue", default=None, help="sweep: one line per value of this column")
    plot.add_argument("--model", default=None, help="fit: the model; compare: the models, comma-separated")
    plot.add_argument("--metric", default="cv_mape", help="compare: the column drawn (default cv_mape)")
    _data_options(plot)
    plot.add_argument("--max-iterations", type=int, default=1000)
    plot.add_argument("--deadline-ms", type=float, default=None)
    plot.add_argument("--allow-outside-paths", action="store_true",
                      help="let the problem file read data files outside its own folder")
    plot.set_defaults(func=cmd_plot, data=None)

    demo = sub.add_parser("demo", help="the main job: fit the bundled data, solve, print and plot")
    demo.add_argument("--out", default="dvfskit-demo", help="folder for the plots and tables")
    demo.set_defaults(func=cmd_demo)
    return parser


def _message(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror and err.filename:
        return f"{err.filename}: {err.strerror}"
    if isinstance(err, KeyError) and err.args:
        return f"missing {err.args[0]!r}"
    lines = [line for line in str(err).splitlines() if line.strip()]
    return lines[0] if lines else type(err).__name__


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit code
    (see the module docstring; argparse usage errors exit 2 via SystemExit)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "plot":
        args.data = args.source
        if args.y is None and args.kind in ("fit", "compare"):
            args.y = "latency_ms"
    try:
        return int(args.func(args))
    except BrokenPipeError:  # e.g. `dvfskit sweep ... | head`: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except (UsageError, ValueError, TypeError, KeyError, OSError, ImportError) as err:
        print(f"dvfskit {args.command}: error: {_one_line(_message(err))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"dvfskit {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception:  # a bug: keep the traceback
        traceback.print_exc()
        print(f"dvfskit {args.command}: internal error (a bug; please report it with the traceback above)",
              file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
