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
