"""The ``dvfskit`` command line: fit, compare, demo (and more as the toolkit grows).

Exit codes: 0 success, 2 bad input (one line on stderr, no traceback), 1 unexpected failure.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import pandas as pd

EXAMPLES = """examples:
  dvfskit fit measurements.csv --model gpu_dvfs --by device,dnn
  dvfskit solve problem.toml --deadline-ms 250
  dvfskit sweep problem.toml --grid deadline_ms=200:900:50 --grid bandwidth_hz=0.5e6,1e6,4e6 --out results.parquet
  dvfskit schedule problem.toml --deadline-ms 400 --switch-time-ms 5
  dvfskit plot sweep results.parquet --x deadline_ms --out energy.png
  dvfskit plot heatmap problem.toml --out heatmap.png
  dvfskit fit tx2.csv --model joint_mem_comp --by size \\
      --columns compute_freq_mhz=gpu_freq,mem_freq_mhz=emc_freq,latency_ms=inference_time,size=size \\
      --units compute_freq_mhz=Hz,mem_freq_mhz=Hz,latency_ms=s --json
  dvfskit compare measurements.csv --model cpu_dvfs,gpu_dvfs,joint_mem_comp --by device,dnn
  dvfskit demo --out dvfskit-demo
"""


class UsageError(Exception):
    """A user mistake: reported in one line, exit code 2."""


def _pairs(text: Optional[str], option: str) -> Dict[str, str]:
    if not text:
        return {}
    out = {}
    for item in text.split(","):
        if "=" not in item:
            raise UsageError(f"{option} takes NAME=VALUE pairs separated by commas, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _names(text: Optional[str]) -> List[str]:
    return [t.strip() for t in text.split(",") if t.strip()] if text else []


def _load(args: argparse.Namespace) -> pd.DataFrame:
    from . import read_measurements

    columns = _pairs(args.columns, "--columns")
    keys = [k for k in _names(args.by) if k not in columns]
    return read_measurements(args.data, columns=columns or None, units=_pairs(args.units, "--units") or None,
                             keys=keys or None, aggregate=args.aggregate)


def _emit(df: pd.DataFrame, args: argparse.Namespace) -> None:
    if args.out:
        path = Path(args.out)
        if path.suffix == ".parquet":
            df.to_parquet(path, index=False)
        else:
            df.to_csv(path, index=False)
        print(f"wrote {len(df)} rows to {path}", file=sys.stderr)
    if args.json:
        print(df.to_json(orient="records", indent=2))
    else:
        with pd.option_context("display.width", 200, "display.max_columns", 40, "display.max_rows", 200):
            print(df.to_string(index=False, float_format=lambda v: f"{v:.6g}"))


def cmd_fit(args: argparse.Namespace) -> None:
    from . import fit

    df = _load(args)
    frames = []
    for name in _names(args.model) or ["gpu_dvfs"]:
        by = _names(args.by)
        if by:
            table = fit(name, df, args.y, by=by, loss=args.loss, max_iterations=args.max_iterations).to_dataframe()
        else:
            table = pd.DataFrame([fit(name, df, args.y, loss=args.loss, max_iterations=args.max_iterations).summary()])
        table.insert(0, "model", name)
        frames.append(table)
    _emit(pd.concat(frames, ignore_index=True), args)


def cmd_compare(args: argparse.Namespace) -> None:
    from . import compare

    df = _load(args)
    _emit(compare(_names(args.model), df, args.y, by=_names(args.by) or None, max_iterations=args.max_iterations), args)


def _problem(args: argparse.Namespace) -> Tuple[Any, Dict[str, Any]]:
    from .problem_file import load_problem

    problem, settings = load_problem(args.problem)
    changes = {k: getattr(args, k) for k in ("deadline_ms", "bandwidth_hz") if getattr(args, k, None) is not None}
    return (problem.with_scenario(**changes) if changes else problem), settings


def cmd_solve(args: argparse.Namespace) -> None:
    from . import baselines, solve

    problem, settings = _problem(args)
    solution = solve(problem, objective=args.objective or settings["objective"])
    table = baselines(problem).reset_index()
    if args.json:
        print(json.dumps({"solution": solution.to_dict(), "baselines": json.loads(table.to_json(orient="records"))},
                         indent=2))
        return
    print(solution)
    print()
    _emit(table[["plan", "energy_j", "latency_ms", "feasible", "saving_pct", "split", "compute_freq_mhz",
                 "mem_freq_mhz", "tx_power_w"]], args)


def _grid(items: Sequence[str]) -> Dict[str, Any]:
    import numpy as np

    grid: Dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise UsageError(f"--grid takes NAME=START:STOP:COUNT or NAME=V1,V2,..., got {item!r}")
        name, spec = item.split("=", 1)
        try:
            if ":" in spec:
                start, stop, count = spec.split(":")
                grid[name.strip()] = np.linspace(float(start), float(stop), int(count))
            else:
                grid[name.strip()] = [float(v) for v in spec.split(",") if v.strip()]
        except ValueError:
            raise UsageError(f"--grid {item!r}: values must be numbers (START:STOP:COUNT or V1,V2,...)") from None
    return grid


def cmd_sweep(args: argparse.Namespace) -> None:
    from . import sweep

    problem, settings = _problem(args)
    grid = _grid(args.grid or [])
    if not grid:
        raise UsageError("sweep needs at least one --grid NAME=...")
    result = sweep(problem, grid=grid, objective=args.objective or settings["objective"],
                   progress=not args.json and sys.stderr.isatty())
    out, args.out = args.out, None
    if out:
        path = Path(out)
        result.to_parquet(path, index=False) if path.suffix == ".parquet" else result.to_csv(path, index=False)
        print(f"wrote {len(result)} scenarios to {path}", file=sys.stderr)
    cols = [c for c in ("deadline_ms", "bandwidth_hz", "gain", "p_max_w") if c in grid] + [
        "feasible", "split", "compute_freq_mhz", "mem_freq_mhz", "tx_power_w", "energy_j", "latency_ms",
        "saving_vs_max_frequency_pct", "saving_vs_all_local_pct"]
    _emit(result[cols], args)


def cmd_schedule(args: argparse.Namespace) -> None:
    from . import block_tables

    problem, settings = _problem(args)
    options = dict(settings["schedule"])
    for key in ("switch_time_ms", "switch_energy_j", "idle_power_w"):
        if getattr(args, key) is not None:
            options[key] = getattr(args, key)
    energy_j = problem.block_latency_ms * problem.block_power_w / 1000.0
    tables = block_tables(problem.block_latency_ms, energy_j, problem.compute_freqs_mhz, problem.mem_freqs_mhz)
    deadline = args.deadline_ms if args.deadline_ms is not None else problem.scenario["deadline_ms"]
    plan = tables.schedule(deadline, **options)
    if args.json:
        print(json.dumps(plan.to_dict(), indent=2))
        return
    print(plan)
    print()
    _emit(plan.baselines.reset_index(), args)


def cmd_plot(args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from . import plots

    if args.kind == "sweep":
        path = Path(args.source)
        df = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
        ax = plots.sweep(df, x=args.x, y=args.y or "energy_j", hue=args.hue)
    elif args.kind in ("heatmap", "pareto"):
        problem, _ = _problem(argparse.Namespace(problem=args.source, deadline_ms=args.deadline_ms, bandwidth_hz=None))
        from . import solve

        ax = (plots.heatmap(problem, solution=solve(problem)) if args.kind == "heatmap" else plots.pareto(problem))
    else:  # fit
        from . import fit

        df = _load(argparse.Namespace(data=args.source, columns=args.columns, units=args.units, by=args.by,
                                      aggregate=args.aggregate))
        by = _names(args.by)
        result = fit((_names(args.model) or ["gpu_dvfs"])[0], df, args.y or "latency_ms", by=by or None)
        ax = plots.fit(result, df)
    from matplotlib.figure import Figure

    figure = ax.figure
    assert isinstance(figure, Figure)
    figure.savefig(args.out, dpi=110, bbox_inches="tight")
    print(f"wrote {args.out}", file=sys.stderr)


def cmd_demo(args: argparse.Namespace) -> None:
    from .demo import run

    run(Path(args.out))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dvfskit",
        description="Fit DVFS-aware latency and power models; solve energy-optimal frequency, transmit power "
                    "and DNN-split problems. Frequencies in MHz, time in ms, power in W, energy in J.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def data_command(name: str, help_text: str, func: Callable[[argparse.Namespace], None]) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("data", help="measurement CSV")
        p.add_argument("--model", default=None, help="built-in model name(s), comma-separated (dvfskit.models)")
        p.add_argument("--y", default="latency_ms", help="column to fit (default latency_ms)")
        p.add_argument("--by", default=None, help="group key columns, comma-separated")
        p.add_argument("--columns", default=None, help="canonical=source column pairs, e.g. latency_ms=time")
        p.add_argument("--units", default=None, help="canonical=unit pairs, e.g. latency_ms=s,compute_freq_mhz=Hz")
        p.add_argument("--aggregate", choices=["mean", "median"], default=None, help="aggregate repeated rows")
        p.add_argument("--max-iterations", type=int, default=1000)
        p.add_argument("--json", action="store_true", help="print JSON records instead of a table")
        p.add_argument("--out", default=None, help="also write the table to a .csv or .parquet file")
        p.set_defaults(func=func)
        return p

    fit_parser = data_command("fit", "fit a model to measurements, optionally per group", cmd_fit)
    fit_parser.add_argument("--loss", default="linear", choices=["linear", "huber", "soft_l1", "cauchy", "arctan"])
    data_command("compare", "rank models per group by AIC/BIC, cross-validated and extrapolation error", cmd_compare)

    def problem_command(name: str, help_text: str, func: Callable[[argparse.Namespace], None]) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, epilog=EXAMPLES + "\nproblem files: see dvfskit.problem_file",
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("problem", help="problem description (TOML, units in key names)")
        p.add_argument("--deadline-ms", type=float, default=None, help="override the deadline (ms)")
        p.add_argument("--objective", default=None, choices=["energy", "latency", "edp"])
        p.add_argument("--json", action="store_true", help="print JSON instead of a table")
        p.add_argument("--out", default=None, help="also write the table to a .csv or .parquet file")
        p.set_defaults(func=func, bandwidth_hz=None)
        return p

    problem_command("solve", "energy-optimal frequencies, transmit power and split, with baselines", cmd_solve)
    sweep_parser = problem_command("sweep", "solve a grid of scenarios (C++ batch, all cores)", cmd_sweep)
    sweep_parser.add_argument("--grid", action="append", metavar="NAME=SPEC",
                              help="scenario field and values: START:STOP:COUNT or V1,V2,... (repeat per field)")
    sched = problem_command("schedule", "per-block frequency schedule against the deadline", cmd_schedule)
    sched.add_argument("--switch-time-ms", type=float, default=None)
    sched.add_argument("--switch-energy-j", type=float, default=None)
    sched.add_argument("--idle-power-w", type=float, default=None)

    plot = sub.add_parser("plot", help="draw a plot to a PNG/PDF/SVG file", epilog=EXAMPLES,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    plot.add_argument("kind", choices=["fit", "sweep", "heatmap", "pareto"])
    plot.add_argument("source", help="measurements CSV (fit), sweep results .parquet/.csv (sweep), problem TOML")
    plot.add_argument("--out", required=True, help="image file to write")
    plot.add_argument("--x", default="deadline_ms", help="sweep: x column")
    plot.add_argument("--y", default=None, help="sweep: y column (default energy_j); fit: fitted column")
    plot.add_argument("--hue", default=None, help="sweep: one line per value of this column")
    plot.add_argument("--model", default=None)
    plot.add_argument("--by", default=None)
    plot.add_argument("--columns", default=None)
    plot.add_argument("--units", default=None)
    plot.add_argument("--aggregate", default=None)
    plot.add_argument("--deadline-ms", type=float, default=None)
    plot.set_defaults(func=cmd_plot)

    demo = sub.add_parser("demo", help="the main job: fit the bundled data, solve, print and plot")
    demo.add_argument("--out", default="dvfskit-demo", help="folder for the plots and tables")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except (UsageError, ValueError, TypeError, KeyError, FileNotFoundError, IsADirectoryError) as err:
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        print(f"dvfskit {args.command}: error: {message}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
