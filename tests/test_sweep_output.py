"""Crash-safe sweep output (dvfskit._output): a folder of finished chunks plus a manifest.

A real ``kill -9`` of a child process running a sweep, at two moments (between chunks, and
inside a chunk's write after its temporary file is on disk but before its rename), must leave a
folder holding exactly the finished chunks, readable; ``resume=True`` then continues it to the
same rows, in the same order, as an uninterrupted run. The child signals readiness on a pipe and
blocks, so the kill lands at a known point (no sleeps)."""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import dvfskit
from child_process import child_env
from test_sweep import GRID, make_problem

TESTS = Path(__file__).resolve().parent

CHILD = textwrap.dedent("""
    import sys, threading
    sys.path.insert(0, {tests!r})
    import dvfskit
    from dvfskit import _output
    from test_sweep import GRID, make_problem

    out, where, chunks = sys.argv[1], sys.argv[2], int(sys.argv[3])

    def ready():
        print("ready", flush=True)
        threading.Event().wait()  # blocks until killed

    def progress(done, total):
        if where == "between" and done == 4 * chunks:
            ready()

    real_replace = _output.os.replace
    renamed = []

    def replace(src, dst):
        if where == "in_write" and _output.Path(dst).name.startswith("part-"):
            if len(renamed) == chunks:  # chunk `chunks` is in its temporary file, not yet renamed
                ready()
            renamed.append(dst)
        return real_replace(src, dst)

    _output.os.replace = replace
    dvfskit.sweep(make_problem(), GRID, chunk_size=4, progress=progress, out=out)
    print("finished", flush=True)
""").format(tests=str(TESTS))


def kill_sweep_child(out: Path, where: str, chunks: int) -> None:
    env = child_env()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(out), where, str(chunks)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        readable, _, _ = select.select([proc.stdout], [], [], 300)
        line = proc.stdout.readline() if readable else "(timeout)"
        assert line == "ready\n", f"child said {line!r}: {proc.stderr.read() if proc.poll() is not None else ''}"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return dvfskit.sweep(make_problem(), GRID, progress=False)


def same_rows(back: pd.DataFrame, ref: pd.DataFrame, kind: str) -> None:
    # CSV holds the same values (floats round-trip) with plain dtypes (no categoricals)
    pd.testing.assert_frame_equal(back, ref, check_exact=True, check_dtype=kind == "parquet")


@pytest.mark.parametrize("kind", ["parquet", "csv"])
@pytest.mark.parametrize("where", ["between", "in_write"])
def test_sigkill_leaves_finished_chunks_and_resume_completes(tmp_path, reference, kind, where):
    out = tmp_path / f"s.{kind}"
    kill_sweep_child(out, where, chunks=3)
    names = sorted(p.name for p in out.iterdir())
    parts = [n for n in names if n.startswith("part-")]
    assert parts == [f"part-{i:06d}.{kind}" for i in range(3)]
    if where == "in_write":
        assert f".part-000003.{kind}.tmp" in names  # the torn chunk is hidden, not a part
    manifest = json.loads((out / "_manifest.json").read_text())
    assert manifest["complete"] is False and manifest["rows_total"] == 30 and manifest["chunk_size"] == 4
    back = dvfskit.read_sweep(out)
    assert not back.attrs["complete"] and back.attrs["rows_done"] == 12
    same_rows(back, reference.iloc[:12], kind)
    if kind == "parquet":  # pandas/pyarrow read the folder too, skipping the manifest and the temporary file
        pd.testing.assert_frame_equal(pd.read_parquet(out), reference.iloc[:12], check_exact=True)
    else:  # every part is a CSV file of its own, with its header
        assert list(pd.read_csv(out / parts[-1]).columns) == list(reference.columns)

    with pytest.raises(ValueError, match="different sweep"):
        dvfskit.sweep(make_problem(), {**GRID, "deadline_ms": [0.5, 2.0]}, chunk_size=4, progress=False, out=out,
                      resume=True)
    with pytest.raises(ValueError, match="different sweep"):
        dvfskit.sweep(make_problem(), GRID, objective="latency", progress=False, out=out, resume=True)
    with pytest.raises(ValueError, match="different sweep"):
        dvfskit.sweep(make_problem(seed=1), GRID, progress=False, out=out, resume=True)
    with pytest.raises(ValueError, match="chunks of 4 rows"):
        dvfskit.sweep(make_problem(), GRID, chunk_size=5, progress=False, out=out, resume=True)

    seen = []
    got = dvfskit.sweep(make_problem(), GRID, progress=lambda done, total: seen.append(done), out=out, resume=True)
    assert seen == [16, 20, 24, 28, 30]  # the 12 finished scenarios are skipped; chunk size from the manifest
    assert not any(n.endswith(".tmp") for n in os.listdir(out))
    back = dvfskit.read_sweep(got)
    assert back.attrs["complete"]
    same_rows(back, reference, kind)
    seen.clear()
    dvfskit.sweep(make_problem(), GRID, progress=lambda done, total: seen.append(done), out=out, resume=True)
    assert seen == []  # complete: nothing to do
    same_rows(dvfskit.read_sweep(out), reference, kind)


def test_resume_without_output_starts_and_overwrite_replaces(tmp_path, reference):
    out = tmp_path / "s.parquet"
    dvfskit.sweep(make_problem(), GRID, chunk_size=7, progress=False, out=out, resume=True)
    pd.testing.assert_frame_equal(dvfskit.read_sweep(out), reference, check_exact=True)
    small = {"deadline_ms": [5.0, 15.0]}
    dvfskit.sweep(make_problem(), small, progress=False, out=out)  # resume=False: replaced
    assert sorted(p.name for p in out.iterdir()) == ["_manifest.json", "part-000000.parquet"]
    pd.testing.assert_frame_equal(dvfskit.read_sweep(out), dvfskit.sweep(make_problem(), small, progress=False),
                                  check_exact=True)


def test_outputs_that_are_not_ours_are_never_touched(tmp_path):
    problem = make_problem()
    folder = tmp_path / "mine.csv"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not a dvfskit sweep output"):
        dvfskit.sweep(problem, GRID, progress=False, out=folder)
    assert (folder / "notes.txt").read_text() == "keep me"
    file = tmp_path / "old.parquet"
    file.write_bytes(b"PAR1 my data")
    for resume in (False, True):
        with pytest.raises(ValueError, match="not a sweep output folder"):
            dvfskit.sweep(problem, GRID, progress=False, out=file, resume=resume)
    assert file.read_bytes() == b"PAR1 my data"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        dvfskit.sweep(problem, GRID, progress=False, out=tmp_path / "missing" / "x.parquet")
    empty = tmp_path / "empty.parquet"
    empty.mkdir()  # an empty folder is fine
    assert len(dvfskit.read_sweep(dvfskit.sweep(problem, GRID, progress=False, out=empty))) == 30


def test_missing_optional_dependencies_fail_before_any_work(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)  # import fails as if pyarrow were missing
    with pytest.raises(ImportError, match=r"needs pyarrow: pip install pyarrow$"):
        dvfskit.sweep(make_problem(), GRID, progress=lambda d, t: calls.append(d), out=tmp_path / "x.parquet")
    assert calls == [] and not (tmp_path / "x.parquet").exists()
    dvfskit.sweep(make_problem(), GRID, chunk_size=4, progress=False, out=tmp_path / "x.csv")  # CSV needs no pyarrow
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(ImportError, match="progress=False.*pip install tqdm"):
        dvfskit.sweep(make_problem(), GRID, progress=True)
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(ImportError, match=r"backend='dask' needs dask: pip install 'dask\[distributed\]'"):
        dvfskit.sweep(make_problem(), GRID, progress=False, backend="dask")


def test_empty_table_writes_its_columns(tmp_path):
    out = dvfskit.sweep(make_problem(), table=pd.DataFrame({"deadline_ms": []}), progress=False,
                        out=tmp_path / "e.parquet")
    back = dvfskit.read_sweep(out)
    assert len(back) == 0 and "energy_j" in back.columns and back.attrs["complete"]


@pytest.mark.parametrize("options, match", [
    (dict(chunk_size="abc"), "chunk_size must be a whole number >= 1, got 'abc'"),
    (dict(chunk_size=2.5), "chunk_size must be a whole number >= 1, got 2.5"),
    (dict(chunk_size=0), "chunk_size must be a whole number >= 1"),
    (dict(threads="x"), "threads must be a whole number >= 0, got 'x'"),
    (dict(threads=2.7), "threads must be a whole number >= 0, got 2.7"),
    (dict(threads=True), "threads must be a whole number"),
    (dict(grid={"deadline_ms": ["abc"]}), r"grid\['deadline_ms'\]\[0\] must be a number, got 'abc'"),
    (dict(grid={"deadline_ms": [5.0, "5"]}), r"grid\['deadline_ms'\]\[1\] must be a number, got '5'"),
    (dict(grid={"deadline_ms": [True]}), r"grid\['deadline_ms'\]\[0\] must be a number, got True"),
    (dict(grid=None, table=pd.DataFrame({"deadline_ms": [5.0, "7"]})),
     r"table\['deadline_ms'\]\[1\] must be a number, got '7'"),
    (dict(progress="yes"), "progress must be True, False or a callable"),
    (dict(resume=True), "give out"),
    (dict(resume="yes", out="x.csv"), "resume must be True or False"),
])
def test_options_are_checked_strictly(options, match):
    kwargs = {"grid": GRID, "progress": False, **options}
    with pytest.raises((ValueError, TypeError), match=match):
        dvfskit.sweep(make_problem(), **kwargs)


def test_whole_float_options_are_taken(reference):
    got = dvfskit.sweep(make_problem(), GRID, chunk_size=1e1, threads=2.0, progress=False)
    pd.testing.assert_frame_equal(got, reference, check_exact=True)
