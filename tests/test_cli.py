"""The dvfskit command line, run as the installed ``dvfskit`` command (tests/cli_command.py):
exit codes (0 done, 1 infeasible, 2 bad input in one line), --grid syntax, streamed sweeps,
schedule-only problem files, problem-file checks and data-path policy, plots, the README's
command-line examples, and the demo."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import List

import numpy as np
import pandas as pd
import pytest

import cli_command
import dvfskit
from dvfskit.cli import main, parse_grid


@pytest.fixture(scope="session")
def command(tmp_path_factory: pytest.TempPathFactory) -> List[str]:
    return cli_command.find(tmp_path_factory.mktemp("console-script"))


def run(command: List[str], *args: str, cwd: Path = None, env: dict = None) -> subprocess.CompletedProcess:
    return subprocess.run([*command, *map(str, args)], capture_output=True, text=True, timeout=600, cwd=cwd,
                          env=env or cli_command.env())


def one_line_error(proc: subprocess.CompletedProcess, command: str, *needles: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"dvfskit {command}: error:"), proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


# ------------------------------------------------------------------------------- fixtures

@pytest.fixture
def csv(tmp_path: Path) -> Path:
    rows = []
    for net, (a, c) in {"vgg": (50.0, 30.0), "res": (28.0, 25.0)}.items():
        for stage, k in (("conv", 1.0), ("fc", 0.5)):
            for f in (100e6, 300e6, 600e6, 900e6, 1200e6):
                rows.append({"net": net, "stage": stage, "freq": f, "time": k * (a * (f / 1e9) ** -0.95 + c) / 1000})
    path = tmp_path / "m.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def write_blocks(folder: Path, memory: bool = True) -> None:
    rows = []
    for block, work in enumerate((4.0, 6.0, 2.0)):
        for f in (400.0, 800.0, 1200.0):
            for m in ((800.0, 1600.0) if memory else (None,)):
                t_ms = work * 1000 / f + (0.5 * 1000 / m if m else 0.3)
                row = {"block": block, "f": f, "time": t_ms / 1000, "power_w": 2 + (f / 1000) ** 3}
                if m:
                    row["m"] = m
                rows.append(row)
    pd.DataFrame(rows).to_csv(folder / "blocks.csv", index=False)


PROBLEM = (
    '[device]\nmeasurements = "blocks.csv"\n'
    'columns = { compute_freq_mhz = "f", mem_freq_mhz = "m", latency_ms = "time" }\n'
    'units = { latency_ms = "s" }\n\n'
    "[workload]\nout_bits = [8e5, 4e5, 2e5, 1e3]\nserver_latency_ms = [3.0, 2.0, 0.5, 0.0]\n\n"
    "[channel]\nbandwidth_hz = 1e6\ngain = 1e-11\nnoise_w_per_hz = 4e-21\np_max_w = 0.5\n\n"
    "[scenario]\ndeadline_ms = 30.0\n"
)


@pytest.fixture
def problem_toml(tmp_path: Path) -> Path:
    """A 3-block problem from per-block measurements in a CSV (seconds and watts)."""
    write_blocks(tmp_path)
    toml = tmp_path / "problem.toml"
    toml.write_text(PROBLEM)
    return toml


SCHEDULE_ONLY = (
    '[device]\nmeasurements = "blocks.csv"\n'
    'columns = { compute_freq_mhz = "f", latency_ms = "time" }\nunits = { latency_ms = "s" }\n\n'
    "[scenario]\ndeadline_ms = 20.0\nidle_power_w = 1.5\n\n[schedule]\nswitch_time_ms = 0.5\n"
)


@pytest.fixture
def schedule_toml(tmp_path: Path) -> Path:
    """A schedule-only problem file: no [workload], no [channel], no memory column."""
    folder = tmp_path / "schedule-only"
    folder.mkdir()
    write_blocks(folder, memory=False)
    toml = folder / "schedule.toml"
    toml.write_text(SCHEDULE_ONLY)
    return toml


# ------------------------------------------------------------------------------- entry points

def test_installed_command_version_help_and_python_m(command: List[str]) -> None:
    version = run(command, "--version")
    assert version.returncode == 0 and version.stdout.strip() == f"dvfskit {dvfskit.__version__}"
    helped = run(command, "--help")
    assert helped.returncode == 0 and "examples:" in helped.stdout and "exit codes: 0 done" in helped.stdout
    grid_help = run(command, "sweep", "--help").stdout
    assert "START:STOP:STEP" in grid_help and "START:STOP:nCOUNT" in grid_help and "--resume" in grid_help
    module = subprocess.run([sys.executable, "-m", "dvfskit", "--version"], capture_output=True, text=True,
                            timeout=120, env=cli_command.env())
    assert module.returncode == 0 and module.stdout == version.stdout


# ------------------------------------------------------------------------------- fit, compare

def test_fit_with_keys_and_constants(csv: Path, capsys: pytest.CaptureFixture) -> None:
    args = [str(csv), "--model", "gpu_dvfs", "--by", "device,dnn,stage", "--keys", "stage", "--constants", "device=TX2",
            "--columns", "compute_freq_mhz=freq,latency_ms=time,dnn=net", "--units", "compute_freq_mhz=Hz,latency_ms=s"]
    assert main(["fit", *args]) == 0
    assert "gpu_dvfs" in capsys.readouterr().out
    assert main(["fit", *args, "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {(r["dnn"], r["stage"]) for r in records} == {(n, s) for n in ("vgg", "res") for s in ("conv", "fc")}
    assert all(r["b"] == pytest.approx(0.95, rel=1e-6) for r in records)
    # the same as Python with keys= and constants=
    df = dvfskit.read_measurements(csv, columns={"compute_freq_mhz": "freq", "latency_ms": "time", "dnn": "net"},
                                   units={"compute_freq_mhz": "Hz", "latency_ms": "s"}, keys=["stage"],
                                   constants={"device": "TX2"})
    expected = dvfskit.fit("gpu_dvfs", df, "latency_ms", by=["device", "dnn", "stage"]).to_dataframe()
    assert [r["a"] for r in records] == pytest.approx(expected["a"].tolist(), rel=1e-9)  # JSON keeps 10 digits
    assert {r["device"] for r in records} == {"TX2"}
    # without --keys the stage rows are repeats with different values: an error, exit 2
    assert main(["fit", str(csv), "--by", "dnn", "--columns", "compute_freq_mhz=freq,latency_ms=time,dnn=net",
                 "--units", "compute_freq_mhz=Hz,latency_ms=s"]) == 2
    assert "repeat" in capsys.readouterr().err


def test_compare_with_keys(csv: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["compare", str(csv), "--model", "gpu_dvfs,cpu_dvfs", "--by", "dnn", "--keys", "stage",
                 "--columns", "compute_freq_mhz=freq,latency_ms=time,dnn=net",
                 "--units", "compute_freq_mhz=Hz,latency_ms=s", "--aggregate", "mean", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {r["model"] for r in records} == {"gpu_dvfs", "cpu_dvfs"} and len(records) == 4
    assert main(["compare", str(csv)]) == 2
    assert "compare needs --model" in capsys.readouterr().err


def test_bad_input_exits_2_with_one_line(command: List[str], csv: Path, tmp_path: Path) -> None:
    one_line_error(run(command, "fit", csv, "--columns", "compute_freq_mhz=nope,latency_ms=time"), "fit", "nope")
    one_line_error(run(command, "fit", f"{csv}.missing"), "fit", "m.csv.missing")
    one_line_error(run(command, "fit", csv, "--columns", "oops"), "fit", "NAME=VALUE")
    one_line_error(run(command, "fit", tmp_path), "fit")  # a folder: unreadable as a file
    one_line_error(run(command, "fit", csv, "--out", tmp_path / "t.xlsx"), "fit", "unknown format", ".csv or .parquet")
    one_line_error(run(command, "fit", csv, "--out", tmp_path / "no" / "t.csv"), "fit", "does not exist")
    usage = run(command, "fit", csv, "--max-iterations", "many")  # argparse's own errors: one line too
    assert usage.returncode == 2 and len(usage.stderr.strip().splitlines()) == 1 and "invalid int" in usage.stderr
    assert run(command, "frobnicate").returncode == 2


def test_known_suffixes_in_any_case(csv: Path, tmp_path: Path) -> None:
    args = ["fit", str(csv), "--columns", "compute_freq_mhz=freq,latency_ms=time,dnn=net", "--by", "dnn",
            "--keys", "stage", "--aggregate", "mean", "--units", "compute_freq_mhz=Hz,latency_ms=s"]
    assert main([*args, "--out", str(tmp_path / "t.PARQUET")]) == 0
    assert len(pd.read_parquet(tmp_path / "t.PARQUET")) == 2  # Parquet, not CSV text
    assert main([*args, "--out", str(tmp_path / "t.CSV")]) == 0
    assert len(pd.read_csv(tmp_path / "t.CSV")) == 2


def test_missing_optional_dependency_exits_2(command: List[str], problem_toml: Path, tmp_path: Path) -> None:
    fake = tmp_path / "no-pyarrow"
    (fake / "pyarrow").mkdir(parents=True)
    (fake / "pyarrow" / "__init__.py").write_text("raise ImportError('pyarrow is not installed (test)')\n")
    env = cli_command.env()
    env["PYTHONPATH"] = f"{fake}:{env['PYTHONPATH']}"
    proc = run(command, "sweep", problem_toml, "--grid", "deadline_ms=10,20", "--out", tmp_path / "s.parquet", env=env)
    one_line_error(proc, "sweep", "needs pyarrow: pip install pyarrow")
    assert not (tmp_path / "s.parquet").exists()


# ------------------------------------------------------------------------------- solve

def test_solve_matches_the_api_and_exit_1_when_infeasible(command: List[str], problem_toml: Path) -> None:
    from dvfskit.problem_file import load_problem

    proc = run(command, "solve", problem_toml, "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    problem, _ = load_problem(problem_toml)
    assert problem.config_latency_ms.shape == (3, 3 * 2) and problem.configs.knobs == ("compute_freq_mhz", "mem_freq_mhz")
    k = problem.configs.index(compute_freq_mhz=400.0, mem_freq_mhz=800.0)
    assert problem.config_latency_ms[1, k] == pytest.approx(6.0 * 1000 / 400 + 0.5 * 1000 / 800)
    expected = dvfskit.solve(problem)
    assert payload["solution"]["energy_j"] == pytest.approx(expected.energy_j, rel=1e-12)
    assert {r["plan"] for r in payload["baselines"]} >= {"optimal", "max_frequency", "all_local"}
    tight = run(command, "solve", problem_toml, "--deadline-ms", "0.01")
    assert not dvfskit.solve(problem.with_scenario(deadline_ms=0.01)).feasible
    assert tight.returncode == 1 and "INFEASIBLE" in tight.stdout.upper() and tight.stderr == ""
    one_line_error(run(command, "solve", problem_toml, "--deadline-ms", "-5"), "solve", "deadline_ms")


# ------------------------------------------------------------------------------- sweep

def test_grid_syntax() -> None:
    assert parse_grid(["deadline_ms=200:900:50"])["deadline_ms"].tolist() == list(range(200, 901, 50))
    assert parse_grid(["deadline_ms=200:900:14.5"])["deadline_ms"].tolist() == [200 + 14.5 * i for i in range(49)]
    assert parse_grid(["deadline_ms=0.1:0.3:0.1"])["deadline_ms"].tolist() == [0.1, 0.2, 0.3]  # decimal, no drift
    assert parse_grid(["deadline_ms=900:200:-350"])["deadline_ms"].tolist() == [900.0, 550.0, 200.0]
    assert parse_grid(["deadline_ms=200:900:n15"])["deadline_ms"].tolist() == np.linspace(200, 900, 15).tolist()
    assert parse_grid(["bandwidth_hz=1e5:1e7:g3"])["bandwidth_hz"].tolist() == pytest.approx([1e5, 1e6, 1e7])
    assert parse_grid(["deadline_ms=5, 100:300:100 ,1e3"])["deadline_ms"].tolist() == [5, 100, 200, 300, 1000]
    assert parse_grid(["p_max_w=0.5"])["p_max_w"].tolist() == [0.5]


@pytest.mark.parametrize("items, needle", [
    (["deadline_ms=1:2:-1"], "STEP -1 goes from START 1 away from STOP 2; use a positive STEP"),
    (["deadline_ms=2:1:1"], "use a negative STEP"),
    (["deadline_ms=1:2:0"], "STEP must not be 0"),
    (["deadline_ms=1:2"], "a range is START:STOP:STEP"),
    (["deadline_ms=a:b:c"], "'a' is not a number"),
    (["deadline_ms=1,,2"], "an empty value"),
    (["deadline_ms=nan"], "'nan' is not a number"),
    (["deadline_ms=1:2:nX"], "COUNT must be a whole number"),
    (["deadline_ms=1:2:n1"], "COUNT >= 2"),
    (["bandwidth_hz=0:1e6:g4"], "START and STOP > 0"),
    (["deadline_ms=0:1e9:1"], "more than 10,000,000"),
    (["deadline_ms=10", "deadline_ms=20"], "given twice"),
    (["deadline=10"], "did you mean 'deadline_ms'?"),
    (["deadline_ms"], "NAME=VALUES"),
    (["deadline_ms=1e999"], "finite"),
])
def test_bad_grid_specs_say_what_is_wrong(items: List[str], needle: str, problem_toml: Path,
                                          capsys: pytest.CaptureFixture) -> None:
    argv = ["sweep", str(problem_toml)]
    for item in items:
        argv += ["--grid", item]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0], err


def test_sweep_streams_to_out_and_prints_a_summary(command: List[str], problem_toml: Path, tmp_path: Path) -> None:
    out = tmp_path / "sweep.parquet"
    proc = run(command, "sweep", problem_toml, "--grid", "deadline_ms=10:60:5", "--grid", "bandwidth_hz=0.5e6,2e6",
               "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.strip().splitlines()) == 1 and proc.stdout.startswith("wrote 22 of 22 scenarios")
    back = dvfskit.read_sweep(out)
    problem, _ = dvfskit.problem_file.load_problem(problem_toml)
    expected = dvfskit.sweep(problem, {"deadline_ms": np.arange(10.0, 61.0, 5.0), "bandwidth_hz": [0.5e6, 2e6]},
                             progress=False)
    pd.testing.assert_frame_equal(back, expected, check_exact=True)
    assert f"{int(expected.feasible.sum())} feasible" in proc.stdout
    again = run(command, "sweep", problem_toml, "--grid", "deadline_ms=10:60:5", "--grid", "bandwidth_hz=0.5e6,2e6",
                "--out", out, "--resume", "--json")
    summary = json.loads(again.stdout)
    assert again.returncode == 0 and summary["complete"] and summary["scenarios"] == 22
    other = run(command, "sweep", problem_toml, "--grid", "deadline_ms=10:60:10", "--out", out, "--resume")
    one_line_error(other, "sweep", "different sweep")
    one_line_error(run(command, "sweep", problem_toml, "--grid", "deadline_ms=10", "--resume"), "sweep", "give --out")
    one_line_error(run(command, "sweep", problem_toml, "--grid", "deadline_ms=10", "--out", tmp_path / "x.xlsx"),
                   "sweep", "unknown format")


def test_sweep_without_out_prints_rows(problem_toml: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["sweep", str(problem_toml), "--grid", "deadline_ms=10:30:10", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["deadline_ms"] for r in rows] == [10.0, 20.0, 30.0]
    assert main(["sweep", str(problem_toml)]) == 2


# ------------------------------------------------------------------------------- schedule

def test_schedule_only_problem_file(command: List[str], schedule_toml: Path) -> None:
    proc = run(command, "schedule", schedule_toml, "--json")
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert plan["feasible"] and plan["latency_ms"] <= 20.0 + 1e-9
    assert plan["m_mhz"] == [None, None, None]  # no memory axis: no memory label, not "1"
    # the same as Python with [scenario] idle_power_w and [schedule] switch_time_ms
    pf = dvfskit.problem_file.read_problem_file(schedule_toml)
    tables = pf.block_tables()
    assert tables.configs["m_mhz"].isna().all() and tables.num_configs == 3
    expected = tables.schedule(20.0, switch_time_ms=0.5, idle_power_w=1.5)
    assert plan["energy_j"] == pytest.approx(expected.energy_j, rel=1e-12)
    assert plan["idle_energy_j"] > 0 and expected.energy_j != tables.schedule(20.0, switch_time_ms=0.5).energy_j
    text = run(command, "schedule", schedule_toml)
    assert text.returncode == 0 and "configs (compute_freq_mhz)" in text.stdout and "mem_freq_mhz" not in text.stdout
    assert run(command, "schedule", schedule_toml, "--idle-power-w", "0", "--json").returncode == 0
    infeasible = run(command, "schedule", schedule_toml, "--deadline-ms", "1")
    assert infeasible.returncode == 1 and "INFEASIBLE" in infeasible.stdout
    one_line_error(run(command, "solve", schedule_toml), "solve", "needs [workload] out_bits", "[channel] bandwidth_hz")


def test_schedule_of_a_full_problem_file(problem_toml: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["schedule", str(problem_toml), "--deadline-ms", "40", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["feasible"] and plan["latency_ms"] <= 40.0 + 1e-9 and None not in plan["m_mhz"]


# ------------------------------------------------------------------------------- problem files

@pytest.mark.parametrize("change, needle", [
    (("deadline_ms = 30.0", "deadline_ms = true"), "[scenario] deadline_ms must be a number, got True"),
    (("deadline_ms = 30.0", 'deadline_ms = "5"'), "[scenario] deadline_ms must be a number, got '5'"),
    (("deadline_ms = 30.0", 'deadline_ms = "abc"'), "[scenario] deadline_ms must be a number, got 'abc'"),
    (("deadline_ms = 30.0", "deadline_ms = -1"), "[scenario] deadline_ms must be finite and > 0"),
    (("deadline_ms = 30.0", "deadlin_ms = 30.0"), "unknown key 'deadlin_ms'; did you mean 'deadline_ms'?"),
    (("[scenario]", "[scenari]"), "unknown section 'scenari'; did you mean 'scenario'?"),
    (("[device]", 'objective = "latncy"\n[device]'), "objective = 'latncy' is not one of"),
    (("[device]", 'objective = "latncy"\n[device]'), "did you mean 'latency'?"),
    (("[device]", "deadline_ms = 5\n[device]"), "unknown key 'deadline_ms'; it belongs in [scenario]"),
    (("gain = 1e-11", 'gain = "1e-11"'), "[channel] gain must be a number"),
    (("out_bits = [8e5,", 'out_bits = ["8e5",'), "[workload] out_bits[0] must be a number, got '8e5'"),
    (('units = { latency_ms = "s" }', "units = { latency_ms = 1 }"), "[device] units.latency_ms must be a non-empty string"),
    (("[scenario]", "[schedule]\nswitch_time_ms = { compute = 1, memry = 2 }\n[scenario]"), "did you mean 'memory'?"),
    (("[device]", "[example]\nname = 'tx2_offloading'\n[device]"), "either [example] or [device]"),
])
def test_problem_file_values_are_checked(change, needle, problem_toml: Path, capsys: pytest.CaptureFixture) -> None:
    old, new = change
    assert old in PROBLEM
    problem_toml.write_text(PROBLEM.replace(old, new, 1))
    assert main(["solve", str(problem_toml)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(problem_toml) in err[0] and needle in err[0], err


def test_problem_file_errors_exit_2(problem_toml: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    gaps = tmp_path / "gaps.toml"
    pd.read_csv(tmp_path / "blocks.csv").iloc[:-1].to_csv(tmp_path / "blocks2.csv", index=False)
    gaps.write_text(PROBLEM.replace("blocks.csv", "blocks2.csv"))
    assert main(["solve", str(gaps)]) == 2
    assert "blocks2.csv: block 2 has no row for configuration (compute_freq_mhz=1200, mem_freq_mhz=1600)" \
        in capsys.readouterr().err
    assert main(["solve", str(tmp_path)]) == 2  # a folder
    assert "not a regular file" in capsys.readouterr().err
    assert main(["solve", str(tmp_path / "none.toml")]) == 2
    assert "no such problem file" in capsys.readouterr().err


def test_data_paths_stay_in_the_problem_files_folder(command: List[str], tmp_path: Path) -> None:
    inside = tmp_path / "project"
    inside.mkdir()
    write_blocks(tmp_path)  # blocks.csv one folder up
    toml = inside / "problem.toml"
    toml.write_text(PROBLEM.replace('"blocks.csv"', '"../blocks.csv"'))
    one_line_error(run(command, "solve", toml), "solve", "outside the problem file's folder", "--allow-outside-paths")
    assert run(command, "solve", toml, "--allow-outside-paths").returncode == 0
    toml.write_text(PROBLEM.replace('"blocks.csv"', f'"{tmp_path / "blocks.csv"}"'))  # absolute
    one_line_error(run(command, "solve", toml), "solve", "outside the problem file's folder")
    (inside / "link.csv").symlink_to(tmp_path / "blocks.csv")  # a link out of the folder
    toml.write_text(PROBLEM.replace('"blocks.csv"', '"link.csv"'))
    one_line_error(run(command, "solve", toml), "solve", "outside the problem file's folder")
    from dvfskit.problem_file import load_problem

    problem, _ = load_problem(toml, allow_outside_paths=True)
    assert problem.num_blocks == 3


def test_errors_do_not_echo_file_contents(command: List[str], tmp_path: Path) -> None:
    secret = tmp_path / "secret.toml"
    secret.write_text("root:hunter2:0:0:/root:/bin/bash\napi_key = sk-hunter2\n")
    proc = run(command, "solve", secret)
    one_line_error(proc, "solve", "not valid TOML")
    assert "hunter2" not in proc.stderr
    binary = tmp_path / "b.toml"
    binary.write_bytes(b"\xff\xfe hunter2")
    proc = run(command, "schedule", binary)
    one_line_error(proc, "schedule", "not UTF-8")
    assert "hunter2" not in proc.stderr


# ------------------------------------------------------------------------------- plots

def test_plot_kinds(command: List[str], problem_toml: Path, schedule_toml: Path, csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "sweep.csv"
    assert main(["sweep", str(problem_toml), "--grid", "deadline_ms=10:60:10", "--grid", "bandwidth_hz=0.5e6,2e6",
                 "--out", str(out)]) == 0
    data = ["--columns", "compute_freq_mhz=freq,latency_ms=time,dnn=net", "--units", "compute_freq_mhz=Hz,latency_ms=s",
            "--by", "dnn", "--keys", "stage", "--aggregate", "mean"]
    for args in (["sweep", out, "--hue", "bandwidth_hz"], ["heatmap", problem_toml], ["pareto", problem_toml],
                 ["schedule", schedule_toml], ["schedule", problem_toml, "--deadline-ms", "40"],
                 ["compare", csv, "--model", "gpu_dvfs,cpu_dvfs", *data, "--metric", "extrap_mape"],
                 ["fit", csv, "--model", "gpu_dvfs", *data]):
        png = tmp_path / f"{args[0]}.png"
        png.unlink(missing_ok=True)
        proc = run(command, "plot", *args, "--out", png)
        assert proc.returncode == 0, (args, proc.stderr)
        assert png.stat().st_size > 5_000, args
    one_line_error(run(command, "plot", "sweep", out, "--out", tmp_path / "x.txt"), "plot", "unknown format")


# ------------------------------------------------------------------------------- README, demo

def readme_cli_examples() -> List[str]:
    text = (cli_command.REPO / "README.md").read_text()
    section = text.split("## Command line", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README's Command line section has no bash block"
    lines = block.group(1).replace("\\\n", " ").splitlines()
    return [line.split("#")[0].strip() for line in lines if line.strip().startswith("dvfskit ")]


def test_readme_command_line_examples_run(command: List[str], tmp_path: Path) -> None:
    """Every `dvfskit ...` line of the README's Command line section, in order, on files made to
    match it (a Jetson-style measurement CSV in Hz and s, a problem file)."""
    rng = np.random.default_rng(0)
    rows = []
    for device in ("tx2", "orin"):
        for dnn, a in (("vgg", 50.0), ("res", 28.0)):
            for f in (300e6, 600e6, 900e6, 1300e6):
                for m in (800e6, 1600e6):
                    t = (a * (f / 1e9) ** -0.9 + 8.0 * (m / 1e9) ** -1.0) / 1000 * (1 + 0.01 * rng.standard_normal())
                    rows.append({"device": device, "dnn": dnn, "gpu_freq": f, "emc_freq": m, "time": t})
    pd.DataFrame(rows).to_csv(tmp_path / "measurements.csv", index=False)
    write_blocks(tmp_path)
    (tmp_path / "problem.toml").write_text(PROBLEM.replace("deadline_ms = 30.0", "deadline_ms = 300.0"))
    examples = readme_cli_examples()
    assert len(examples) >= 5
    for line in examples:
        proc = run(command, *line.split()[1:], cwd=tmp_path)
        assert proc.returncode == 0, (line, proc.stderr)


def test_demo_runs_and_writes_its_plot(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for heading in ("1. Model fits", "3. Energy-optimal", "4. Per-block frequency schedule"):
        assert heading in out
    assert (tmp_path / "dvfskit-demo.png").stat().st_size > 10_000
    ranking = pd.read_csv(tmp_path / "model_ranking.csv")
    assert set(ranking[ranking.rank_aic == 1].model) <= {"roofline_smooth", "joint_mem_comp"}


def test_fit_reads_several_files_a_glob_values_and_ignore(command: List[str], tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    for size, work in (("224", 30.0), ("400", 80.0)):
        f = np.linspace(200.0, 1300.0, 8)
        pd.DataFrame({"compute_freq_mhz": f, "latency_ms": work / (f / 1000) ** 0.9 * (1 + 0.01 * rng.standard_normal(8)),
                      "temp_c": rng.uniform(40, 60, 8), "run": 1}).to_csv(tmp_path / f"size-{size}.csv", index=False)
    files = [str(tmp_path / "size-224.csv"), str(tmp_path / "size-400.csv")]
    expected = dvfskit.fit("gpu_dvfs", dvfskit.read_measurements(files), "latency_ms", by="file").to_dataframe()
    for sources in (files, [str(tmp_path / "size-*.csv")]):  # a list, and a glob pattern the shell did not expand
        proc = run(command, "fit", *sources, "--model", "gpu_dvfs", "--by", "file", "--values", "temp_c",
                   "--ignore", "run", "--json", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        rows = json.loads(proc.stdout)
        assert [r["file"] for r in rows] == files
        np.testing.assert_allclose([r["a"] for r in rows], expected["a"], rtol=1e-12)  # JSON keeps full precision
    one_line_error(run(command, "fit", files[0], "--model", "gpu_dvfs", "--values", "nope"), "fit", "nope")
