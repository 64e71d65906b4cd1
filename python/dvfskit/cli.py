"""The ``dvfskit`` command line: fit, compare, demo (and more as the toolkit grows).

Exit codes: 0 success, 2 bad input (one line on stderr, no traceback), 1 unexpected failure.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

import pandas as pd

EXAMPLES = """examples:
  dvfskit fit measurements.csv --model gpu_dvfs --by device,dnn
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

    demo = sub.add_parser("demo", help="the main job: fit the bundled data, solve, print and plot")
    demo.add_argument("--out", default="dvfskit-demo", help="folder for the plots and tables")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except (UsageError, ValueError, KeyError, FileNotFoundError, IsADirectoryError) as err:
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        print(f"dvfskit {args.command}: error: {message}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
