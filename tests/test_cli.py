"""The dvfskit command line: exit codes, output formats, and the demo (the README's main job)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dvfskit.cli import main


@pytest.fixture
def csv(tmp_path: Path) -> Path:
    rows = []
    for net, (a, c) in {"vgg": (50.0, 30.0), "res": (28.0, 25.0)}.items():
        for f in (100e6, 300e6, 600e6, 900e6, 1200e6):
            rows.append({"net": net, "freq": f, "time": (a * (f / 1e9) ** -0.95 + c) / 1000})
    path = tmp_path / "m.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_fit_prints_a_table_and_json(csv: Path, capsys: pytest.CaptureFixture) -> None:
    args = [str(csv), "--model", "gpu_dvfs", "--by", "dnn", "--columns",
            "compute_freq_mhz=freq,latency_ms=time,dnn=net", "--units", "compute_freq_mhz=Hz,latency_ms=s"]
    assert main(["fit", *args]) == 0
    assert "gpu_dvfs" in capsys.readouterr().out
    assert main(["fit", *args, "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {r["dnn"] for r in records} == {"vgg", "res"}
    assert all(r["b"] == pytest.approx(0.95, rel=1e-6) for r in records)


def test_bad_input_exits_2_with_one_line(csv: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["fit", str(csv), "--columns", "compute_freq_mhz=nope,latency_ms=time"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dvfskit fit: error:") and "nope" in err[0]
    assert main(["fit", str(csv) + ".missing"]) == 2
    assert main(["fit", str(csv), "--columns", "oops"]) == 2


def test_console_entry_point_help() -> None:
    run = subprocess.run([sys.executable, "-m", "dvfskit", "--help"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and "examples:" in run.stdout


def test_demo_runs_and_writes_its_plot(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for heading in ("1. Model fits", "3. Energy-optimal", "4. Per-block frequency schedule"):
        assert heading in out
    assert (tmp_path / "dvfskit-demo.png").stat().st_size > 10_000
    ranking = pd.read_csv(tmp_path / "model_ranking.csv")
    assert set(ranking[ranking.rank_aic == 1].model) <= {"roofline_smooth", "joint_mem_comp"}


@pytest.fixture
def problem_toml(tmp_path: Path) -> Path:
    """A 3-block problem from per-block measurements in a CSV (seconds and watts)."""
    rows = []
    for block, work in enumerate((4.0, 6.0, 2.0)):
        for f in (400.0, 800.0, 1200.0):
            for m in (800.0, 1600.0):
                t_ms = work * 1000 / f + 0.5 * 1000 / m
                rows.append({"block": block, "f": f, "m": m, "time": t_ms / 1000, "power_w": 2 + (f / 1000) ** 3})
    pd.DataFrame(rows).to_csv(tmp_path / "blocks.csv", index=False)
    toml = tmp_path / "problem.toml"
    toml.write_text(
        '[device]\nmeasurements = "blocks.csv"\n'
        'columns = { compute_freq_mhz = "f", mem_freq_mhz = "m", latency_ms = "time" }\n'
        'units = { latency_ms = "s" }\n\n'
        "[workload]\nout_bits = [8e5, 4e5, 2e5, 1e3]\nserver_latency_ms = [3.0, 2.0, 0.5, 0.0]\n\n"
        "[channel]\nbandwidth_hz = 1e6\ngain = 1e-11\nnoise_w_per_hz = 4e-21\np_max_w = 0.5\n\n"
        "[scenario]\ndeadline_ms = 30.0\n"
    )
    return toml


def test_solve_from_a_problem_file_matches_the_api(problem_toml: Path, capsys: pytest.CaptureFixture) -> None:
    import dvfskit
    from dvfskit.problem_file import load_problem

    assert main(["solve", str(problem_toml), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    problem, _ = load_problem(problem_toml)
    assert problem.block_latency_ms.shape == (3, 3, 2)
    assert problem.block_latency_ms[1, 0, 0] == pytest.approx(6.0 * 1000 / 400 + 0.5 * 1000 / 800)
    expected = dvfskit.solve(problem)
    assert payload["solution"]["energy_j"] == pytest.approx(expected.energy_j, rel=1e-12)
    assert {r["plan"] for r in payload["baselines"]} >= {"optimal", "max_frequency", "all_local"}


def test_sweep_schedule_and_plot_commands(problem_toml: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "sweep.parquet"
    assert main(["sweep", str(problem_toml), "--grid", "deadline_ms=10:60:6", "--grid", "bandwidth_hz=0.5e6,2e6",
                 "--out", str(out)]) == 0
    assert len(pd.read_parquet(out)) == 12
    capsys.readouterr()
    assert main(["schedule", str(problem_toml), "--deadline-ms", "40", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["feasible"] and plan["latency_ms"] <= 40.0 + 1e-9
    png = tmp_path / "sweep.png"
    assert main(["plot", "sweep", str(out), "--hue", "bandwidth_hz", "--out", str(png)]) == 0
    assert png.stat().st_size > 5_000
    assert main(["plot", "heatmap", str(problem_toml), "--out", str(tmp_path / "h.png")]) == 0


def test_problem_file_errors_exit_2(problem_toml: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(problem_toml.read_text().replace("[scenario]", "[scenari]"))
    assert main(["solve", str(bad)]) == 2
    assert "unknown section(s) ['scenari']" in capsys.readouterr().err
    gaps = tmp_path / "gaps.toml"
    pd.read_csv(tmp_path / "blocks.csv").iloc[:-1].to_csv(tmp_path / "blocks2.csv", index=False)
    gaps.write_text(problem_toml.read_text().replace("blocks.csv", "blocks2.csv"))
    assert main(["solve", str(gaps)]) == 2
    assert "block 2 has no measurement at compute 1200 MHz, memory 1600 MHz" in capsys.readouterr().err
    assert main(["sweep", str(problem_toml)]) == 2
    assert main(["sweep", str(problem_toml), "--grid", "deadline_ms=a:b:c"]) == 2
