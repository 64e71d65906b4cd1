"""Problem files and the command line over any knobs: per-block measurement CSVs with CPU, GPU and
memory frequency columns (in their own units) and a core mask, partial offloading; `dvfskit solve`
and `dvfskit sweep` print and write every knob, and agree with the Python API."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import List

import numpy as np
import pandas as pd
import pytest

import cli_command
import dvfskit
from dvfskit.problem_file import ProblemFileError, load_problem


@pytest.fixture(scope="module")
def command(tmp_path_factory: pytest.TempPathFactory) -> List[str]:
    return cli_command.find(tmp_path_factory.mktemp("console-script"))


def run(command: List[str], *args: object) -> subprocess.CompletedProcess:
    return subprocess.run([*command, *map(str, args)], capture_output=True, text=True, timeout=600,
                          env=cli_command.env())


PROBLEM = (
    '[device]\nmeasurements = "blocks.csv"\n'
    'columns = { compute_freq_mhz = "gpu", mem_freq_mhz = "emc", cpu_freq_mhz = "cpu", latency_ms = "time" }\n'
    'units = { compute_freq_mhz = "Hz", mem_freq_mhz = "Hz", cpu_freq_mhz = "kHz", latency_ms = "s" }\n'
    'knobs = ["cpu_freq_mhz", "compute_freq_mhz", "mem_freq_mhz", "cores"]\n\n'
    "[workload]\nout_bits = [8e5, 4e5, 2e5, 1e3]\nserver_latency_ms = [3.0, 2.0, 0.5, 0.0]\n"
    "offload_fractions = [0.0, 0.5, 1.0]\n\n"
    "[channel]\nbandwidth_hz = 1e6\ngain = 1e-11\nnoise_w_per_hz = 4e-21\np_max_w = 0.5\n\n"
    "[scenario]\ndeadline_ms = 40.0\n"
)


@pytest.fixture
def problem_toml(tmp_path: Path) -> Path:
    """Three blocks measured on a sparse CPU x GPU x EMC x cores set (a TX2-like file: kHz, Hz, s)."""
    rng = np.random.default_rng(0)
    rows = []
    for cpu in (345600.0, 2035200.0):
        for gpu in (140.25e6, 1300.5e6):
            for emc in (1062.4e6, 1866e6):
                for cores in ("1111", "1100"):
                    if cpu == 345600.0 and gpu == 140.25e6 and emc == 1062.4e6:
                        continue  # never measured
                    for block, work in enumerate((6.0, 3.0, 1.0)):
                        t = work * (1e9 / gpu * 0.4 + 1e6 / cpu * 0.3 * (2 if cores == "1100" else 1) + 1e9 / emc * 0.2)
                        power = 1.0 + 2.0 * (gpu / 1e9) ** 2 + 0.5 * (cpu / 1e6) ** 2 + (0.6 if cores == "1111" else 0.3)
                        rows.append({"block": block, "cpu": cpu, "gpu": gpu, "emc": emc, "cores": cores,
                                     "time": t / 1000 * rng.uniform(0.98, 1.02), "power_w": power})
    pd.DataFrame(rows).to_csv(tmp_path / "blocks.csv", index=False)
    toml = tmp_path / "problem.toml"
    toml.write_text(PROBLEM)
    return toml


def test_problem_file_with_every_knob_and_partial_offloading(problem_toml: Path) -> None:
    problem, _ = load_problem(problem_toml)
    assert problem.configs.knobs == ("cpu_freq_mhz", "compute_freq_mhz", "mem_freq_mhz", "cores")
    assert len(problem.configs) == 14 and problem.num_blocks == 3  # 16 - 2 unmeasured
    assert problem.configs.levels("cpu_freq_mhz").tolist() == [345.6, 2035.2]  # kHz converted
    assert problem.configs.levels("cores").tolist() == [1100, 1111]  # a CSV reads the masks as numbers
    assert problem.offload_fractions.tolist() == [0.0, 0.5, 1.0]
    bad = problem_toml.with_name("bad.toml")
    bad.write_text(PROBLEM.replace('"cores"]', '"cores", "cores"]'))
    with pytest.raises(ProblemFileError, match="knobs lists a name twice"):
        load_problem(bad)


def test_solve_and_sweep_print_and_write_every_knob(command: List[str], problem_toml: Path, tmp_path: Path) -> None:
    problem, _ = load_problem(problem_toml)
    expected = dvfskit.solve(problem)
    proc = run(command, "solve", problem_toml, "--json")
    assert proc.returncode == (0 if expected.feasible else 1), proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["solution"]["config"] == expected.config and set(expected.config) == set(problem.configs.knobs)
    assert payload["solution"]["energy_j"] == pytest.approx(expected.energy_j, rel=1e-12)
    plans = {r["plan"]: r for r in payload["baselines"]}
    assert {"only_cpu_freq_mhz", "only_compute_freq_mhz", "only_mem_freq_mhz", "max_frequency"} <= set(plans)
    assert all(knob in plans["optimal"] for knob in problem.configs.knobs)
    text = run(command, "solve", problem_toml)
    for knob in problem.configs.knobs:
        assert knob in text.stdout  # the solution and the baselines table
    assert "offload_fraction" in text.stdout
    out = tmp_path / "sweep.csv"
    proc = run(command, "sweep", problem_toml, "--grid", "deadline_ms=10:60:10", "--out", out)
    assert proc.returncode == 0, proc.stderr
    df = dvfskit.read_sweep(out)
    assert [c for c in df.columns if c in problem.configs.knobs] == list(problem.configs.knobs)
    ref = dvfskit.sweep(problem, {"deadline_ms": np.arange(10.0, 61.0, 10.0)}, progress=False)
    np.testing.assert_allclose(df["energy_j"], ref["energy_j"], rtol=1e-15)
    assert df["cores"].astype(str).tolist() == ref["cores"].astype(str).tolist()
    printed = run(command, "sweep", problem_toml, "--grid", "deadline_ms=20,40")
    assert printed.returncode == 0 and "cpu_freq_mhz" in printed.stdout and "cores" in printed.stdout


def test_governor_baselines_on_the_command_line(command: List[str], problem_toml: Path, tmp_path: Path) -> None:
    problem, _ = load_problem(problem_toml)
    settings = ["default", {"cpu_freq_mhz": "ondemand", "compute_freq_mhz": "schedutil"}]
    options = {"busy": {"mem_freq_mhz": 0.3}}
    flags = ["--governor", "default", "--governor", "cpu_freq_mhz=ondemand,compute_freq_mhz=schedutil",
             "--busy", "mem_freq_mhz=0.3"]
    expected = dvfskit.baselines(problem, governors=settings, governor_options=options)
    proc = run(command, "solve", problem_toml, "--json", *flags)
    assert proc.returncode == 0, proc.stderr
    plans = {r["plan"]: r for r in json.loads(proc.stdout)["baselines"]}
    for name in ("default", "cpu_freq_mhz=ondemand,compute_freq_mhz=schedutil"):
        assert plans[name]["energy_j"] == pytest.approx(expected.loc[name, "energy_j"], rel=1e-12)
        assert plans[name]["miss_rate"] == expected.loc[name, "miss_rate"]
    assert "miss_rate" in run(command, "solve", problem_toml, *flags).stdout

    out = tmp_path / "governors.csv"
    proc = run(command, "sweep", problem_toml, "--grid", "deadline_ms=6,20,40", "--out", out, *flags)
    assert proc.returncode == 0, proc.stderr
    swept = dvfskit.read_sweep(out)
    ref = dvfskit.sweep(problem, {"deadline_ms": [6.0, 20.0, 40.0]}, progress=False, governor_options=options,
                        baselines=[*dvfskit.baselines(problem).index.drop("optimal"), *settings])
    for column in ("default_energy_j", "default_miss_rate", "saving_vs_default_pct"):
        np.testing.assert_allclose(swept[column], ref[column], rtol=1e-12)
    assert np.isnan(swept["saving_vs_default_pct"][0]) and swept["default_miss_rate"][0] > 0  # 6 ms: it misses

    tables = dvfskit.block_tables(pd.read_csv(problem_toml.with_name("blocks.csv")).rename(columns={
        "gpu": "compute_freq_mhz", "emc": "mem_freq_mhz", "cpu": "cpu_freq_mhz", "time": "latency_ms"}).assign(
        compute_freq_mhz=lambda d: d["compute_freq_mhz"] / 1e6, mem_freq_mhz=lambda d: d["mem_freq_mhz"] / 1e6,
        cpu_freq_mhz=lambda d: d["cpu_freq_mhz"] / 1e3, latency_ms=lambda d: d["latency_ms"] * 1e3),
        knobs=["cpu_freq_mhz", "compute_freq_mhz", "mem_freq_mhz", "cores"], block="block")
    plan = tables.schedule(40.0, governors=settings, governor_options=options)
    proc = run(command, "schedule", problem_toml, "--json", *flags)
    assert proc.returncode == 0, proc.stderr
    rows = {r["baseline"]: r for r in json.loads(proc.stdout)["baselines"]}
    assert set(rows) == set(plan.baselines.index)  # every knob's baselines and the governors
    for name in ("default", "cpu_freq_mhz=ondemand,compute_freq_mhz=schedutil"):
        assert rows[name]["energy_j"] == pytest.approx(plan.baselines.loc[name, "energy_j"], rel=1e-12)

    for bad, message in ((["--governor", "schedutl"], "unknown governor 'schedutl'; did you mean 'schedutil'?"),
                         (["--governor", "default", "--governor", "default"], "'default' is given twice"),
                         (["--governor", "gpu_freq_mhz=schedutil"], "unknown knob 'gpu_freq_mhz'"),
                         (["--busy", "mem_freq_mhz=0.3"], "add --governor"),
                         (["--governor", "default", "--busy", "mem_freq_mhz=2"], "between 0 and 1"),
                         (["--governor", "default"], "command line: --busy mem_freq_mhz=SHARE")):
        for sub in ("solve", "schedule"):
            proc = run(command, sub, problem_toml, *bad)
            assert proc.returncode == 2 and message in proc.stderr and len(proc.stderr.splitlines()) == 1, \
                (sub, bad, proc.stderr)
