"""Packaging: one version number, the self-contained wheel and the sdist.

- The version is written once, in pyproject.toml: ``dvfskit.__version__`` comes from the
  distribution metadata when installed, from the checkout's pyproject.toml when imported in place.
- ``make wheel``'s repaired wheel (``dist/dvfskit-*-manylinux_*.whl``) is installed into a plain
  venv (no system site-packages; its dependencies from PyPI) and runs a fit, a solve
  and a sweep to Parquet from a folder outside the source tree, with the same answers as the
  dvfskit under test; the extension's libraries resolve inside the wheel's ``dvfskit.libs``
  (ELF NEEDED and RUNPATH, ``ldd``, and the libraries the smoke run mapped).
- ``make sdist``'s ``dist/dvfskit-*.tar.gz`` holds the sources and nothing private or built, and
  a wheel builds from it (through ccache, so the objects of build/wheel are reused).

The wheel and sdist tests need those files: without them (or when they are older than the
sources) they are skipped, unless DVFSKIT_PACKAGING_TESTS=required (``make test`` builds them
first and sets it), which turns a missing or stale file into a failure.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Dict, List, Set

import pandas as pd
import pytest

import dvfskit

ROOT = Path(__file__).resolve().parents[1]
DIST = Path(os.environ.get("DVFSKIT_DIST", ROOT / "dist"))
REQUIRED = os.environ.get("DVFSKIT_PACKAGING_TESTS") == "required"
SMOKE = Path(__file__).resolve().parent / "packaging_smoke.py"
# System libraries a manylinux wheel may need (the glibc/libstdc++/libgcc_s part of the policy).
SYSTEM_LIBS = {"libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "libpthread.so.0", "libdl.so.2",
               "librt.so.1", "ld-linux-x86-64.so.2", "linux-vdso.so.1"}
# The libraries the extension links besides those (Ceres itself is linked statically).
MUST_BUNDLE = ("libglog", "libgflags", "libnlopt", "libcholmod", "libcxsparse", "liblapack")
# auditwheel's bundled copies: <name>-<8 hex digits>.so[.version]
BUNDLED_NAME = re.compile(r"^(lib[^/]*?)-[0-9a-f]{8}\.so(\.[0-9.]+)?$")


def _pyproject_version() -> str:
    tomllib = pytest.importorskip("tomllib")
    with open(ROOT / "pyproject.toml", "rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def _artifact(pattern: str, make_target: str) -> Path:
    found = sorted(DIST.glob(pattern))
    problem = None
    if len(found) != 1:
        problem = f"expected one {pattern} in {DIST} (make {make_target}), found {[p.name for p in found]}"
    else:
        newest_source = max(p.stat().st_mtime for p in (ROOT / "python" / "dvfskit").glob("*.py"))
        if found[0].stat().st_mtime < newest_source:
            problem = f"{found[0].name} is older than python/dvfskit/ (make {make_target})"
    if problem is not None:
        if REQUIRED:
            pytest.fail(problem)
        pytest.skip(problem)
    return found[0]


def _run(cmd: List[str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc


def _clean_env(**extra: str) -> Dict[str, str]:
    """The environment without anything that points Python or the loader at the checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "LD_LIBRARY_PATH", "LD_PRELOAD", "VIRTUAL_ENV")}
    env.update(PYTHONNOUSERSITE="1", MPLBACKEND="Agg", **extra)
    return env


def _source_files() -> Dict[str, bytes]:
    """The files the wheel must carry, by their path inside it: the package and the data."""
    files = {f"dvfskit/{p.name}": p.read_bytes() for p in (ROOT / "python" / "dvfskit").iterdir()
             if p.is_file() and (p.suffix in (".py", ".pyi") or p.name == "py.typed")}
    files.update({f"dvfskit/data/{p.relative_to(ROOT / 'data').as_posix()}": p.read_bytes()
                  for p in (ROOT / "data").rglob("*") if p.is_file()})
    return files


def _assert_carries_sources(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for name, content in _source_files().items():
        assert name in names, f"{name} missing from the wheel"
        assert wheel.read(name) == content, f"{name} in the wheel differs from the source tree (stale wheel?)"
    assert any(re.fullmatch(r"dvfskit/_core\.[^/]*\.so", n) for n in names), "no extension in the wheel"


# ---------------------------------------------------------------------------------------------
# Version


def _load_version_module(path: Path):
    spec = importlib.util.spec_from_file_location(f"_dvfskit_version_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_version_is_the_pyproject_version() -> None:
    assert dvfskit.__version__ == _pyproject_version()
    assert "__version__" in dvfskit.__all__


def test_version_is_written_once() -> None:
    version = _pyproject_version()
    literal = re.compile(r"(?<![\w.])" + re.escape(version) + r"(?![\w.])")
    for path in [ROOT / "CMakeLists.txt", *sorted((ROOT / "python" / "dvfskit").glob("*.py"))]:
        assert not literal.search(path.read_text(encoding="utf-8")), f"{path.name} repeats the version {version}"


@pytest.mark.parametrize("pyproject, expected", [
    ('[project]\nname = "dvfskit"\nversion = "9.8.7rc1"\n', "9.8.7rc1"),
    ('[build-system]\nversion = "1.0"\n\n[project]\nname = "dvfskit"\nversion = "2.0.0"\n', "2.0.0"),
    ('[project]\nname = "dvfskit"\ndynamic = ["version"]\n\n[tool.x]\nversion = "1.0"\n', "0+unknown"),
    (None, "0+unknown"),
])
def test_version_of_a_checkout_imported_in_place(tmp_path: Path, pyproject, expected: str) -> None:
    """A checkout reads its own pyproject.toml, whatever dvfskit is installed in the environment."""
    package = tmp_path / "python" / "dvfskit"
    package.mkdir(parents=True)
    shutil.copy(ROOT / "python" / "dvfskit" / "_version.py", package / "_version.py")
    (package / "__init__.py").write_text("")
    if pyproject is not None:
        (tmp_path / "pyproject.toml").write_text(pyproject)
    assert _load_version_module(package / "_version.py").__version__ == expected


def test_changelog_has_unreleased_and_this_version() -> None:
    """An "Unreleased" section first, and one for the version in pyproject.toml unless that is a
    development version (whose changes are the unreleased ones)."""
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[?([^\]\s]+)\]?", text, re.M)
    assert headings and headings[0] == "Unreleased", headings
    version = _pyproject_version()
    if ".dev" not in version:
        assert version in headings, f"CHANGELOG.md has no section for {version}"


# ---------------------------------------------------------------------------------------------
# The repaired wheel


def _elf_dynamic(path: Path):
    elffile = pytest.importorskip("elftools.elf.elffile")
    with open(path, "rb") as f:
        dynamic = elffile.ELFFile(f).get_section_by_name(".dynamic")
        needed = [t.needed for t in dynamic.iter_tags() if t.entry.d_tag == "DT_NEEDED"]
        runpath = [t.runpath for t in dynamic.iter_tags() if t.entry.d_tag == "DT_RUNPATH"]
        runpath += [t.rpath for t in dynamic.iter_tags() if t.entry.d_tag == "DT_RPATH"]
    return needed, runpath


def _bundled_base(name: str) -> str:
    match = BUNDLED_NAME.match(name)
    assert match, f"{name}: not an auditwheel-renamed library"
    return match.group(1)


def test_wheel_is_manylinux_and_carries_the_sources() -> None:
    wheel = _artifact("dvfskit-*.whl", "wheel")
    assert re.search(r"-manylinux_2_\d+_x86_64\.whl$", wheel.name), wheel.name
    with zipfile.ZipFile(wheel) as zf:
        _assert_carries_sources(zf)
        libs = [n.split("/", 1)[1] for n in zf.namelist() if n.startswith("dvfskit.libs/") and not n.endswith("/")]
        assert not any(n.startswith(("tests/", "build/", ".ci/", "cpp/")) for n in zf.namelist())
    bases = {_bundled_base(n) for n in libs}
    for lib in MUST_BUNDLE:
        assert any(b.startswith(lib) for b in bases), f"{lib} not bundled: {sorted(bases)}"


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plain venv with the repaired wheel and the dependencies it declares (from PyPI)."""
    wheel = _artifact("dvfskit-*.whl", "wheel")
    venv = tmp_path_factory.mktemp("wheel-venv") / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], timeout=300, env=_clean_env())
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
         timeout=1200, env=_clean_env())
    return venv


def _site_packages(python: Path) -> Path:
    out = _run([str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
               timeout=60, env=_clean_env())
    return Path(out.stdout.strip())


def test_wheel_extension_resolves_its_libraries_inside_the_wheel(wheel_venv: Path) -> None:
    python = wheel_venv / "bin" / "python"
    site = _site_packages(python)
    (core,) = (site / "dvfskit").glob("_core.*.so")
    libs_dir = site / "dvfskit.libs"
    bundled = {p.name for p in libs_dir.iterdir()}

    # NEEDED and RUNPATH: every library the extension (or a bundled library) needs is a system
    # library of the manylinux policy or one of the bundled copies, found through $ORIGIN.
    needed, runpath = _elf_dynamic(core)
    assert runpath and all("$ORIGIN" in r for r in runpath), runpath
    assert (core.parent / runpath[0].split(":")[0].replace("$ORIGIN", ".")).resolve() == libs_dir.resolve()
    for path in [core, *sorted(libs_dir.iterdir())]:
        lib_needed, _ = _elf_dynamic(path)
        outside = [n for n in lib_needed if n not in SYSTEM_LIBS and n not in bundled]
        assert not outside, f"{path.name} needs {outside}, neither bundled nor a manylinux system library"
    assert {_bundled_base(n) for n in needed if n in bundled} >= {"libglog", "libnlopt_cxx", "libcholmod"}

    # ldd: the loader resolves every non-system dependency inside dvfskit.libs.
    ldd = _run(["ldd", str(core)], timeout=60, env=_clean_env()).stdout
    resolved = dict(re.findall(r"^\s*(\S+) => (\S+)", ldd, re.M))
    assert "not found" not in ldd, ldd
    for name, path in resolved.items():
        if name not in SYSTEM_LIBS:
            assert Path(path).resolve().parent == libs_dir.resolve(), f"{name} resolves to {path}:\n{ldd}"
    assert {n for n in resolved if n not in SYSTEM_LIBS} == bundled, ldd


def test_wheel_runs_outside_the_source_tree(wheel_venv: Path, tmp_path: Path) -> None:
    python = wheel_venv / "bin" / "python"
    site = _site_packages(python)
    work = tmp_path / "elsewhere"
    work.mkdir()
    script = shutil.copy(SMOKE, work / "smoke.py")
    proc = _run([str(python), "-I", str(script), str(work)], timeout=600, cwd=work, env=_clean_env())
    got = json.loads(proc.stdout.strip().splitlines()[-1])

    # imported from the venv, never from the checkout
    assert Path(got["file"]).resolve() == (site / "dvfskit" / "__init__.py").resolve()
    assert not any(str(ROOT) in p for p in got["sys_path"]), got["sys_path"]
    assert got["version"] == got["metadata_version"] == _pyproject_version()
    # the console script of the wheel
    cli = _run([str(wheel_venv / "bin" / "dvfskit"), "--version"], timeout=120, cwd=work, env=_clean_env())
    assert cli.stdout.strip() == f"dvfskit {_pyproject_version()}", cli.stdout

    # every library that importing and running dvfskit mapped is inside the venv (the wheel's
    # dvfskit.libs, the extension) or a manylinux system library: nothing from the system's
    # Ceres, glog, gflags, SuiteSparse, NLopt, BLAS/LAPACK
    venv_root = wheel_venv.resolve()
    libs_dir = (site / "dvfskit.libs").resolve()
    foreign = [p for p in got["new_libraries"]
               if venv_root not in Path(p).resolve().parents and Path(p).name not in SYSTEM_LIBS]
    assert not foreign, f"dvfskit mapped libraries from outside the wheel: {foreign}"
    from_wheel = {_bundled_base(Path(p).name) for p in got["new_libraries"] if Path(p).resolve().parent == libs_dir}
    assert from_wheel >= {"libglog", "libnlopt_cxx", "libcholmod"}, got["new_libraries"]

    # the same answers as the dvfskit under test
    import packaging_smoke

    expected = packaging_smoke.fit_solve_sweep(dvfskit, None)
    assert got["fit"].keys() == expected["fit"].keys()
    for size, params in expected["fit"].items():
        assert got["fit"][size] == pytest.approx(params, rel=1e-9, abs=1e-12), size
    for key, value in expected["solution"].items():
        assert got["solution"][key] == pytest.approx(value, rel=1e-12), key
    assert got["solution"]["feasible"] is True
    swept = pd.read_parquet(got["sweep_path"])
    assert Path(got["sweep_path"]).parent == work
    assert len(swept) == got["sweep_rows"] == len(packaging_smoke.GRID["deadline_ms"]) * len(packaging_smoke.GRID["bandwidth_hz"])
    pd.testing.assert_frame_equal(swept, expected["sweep"], check_exact=False, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# The sdist


def _tracked(folder: str) -> Set[str]:
    if shutil.which("git") and (ROOT / ".git").exists():
        out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "--", folder], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip():
            return set(out.stdout.split("\n")) - {""}
    return {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*") if p.is_file()
            and "__pycache__" not in p.parts and p.suffix != ".so"}


def test_sdist_holds_the_sources_and_nothing_private() -> None:
    sdist = _artifact("dvfskit-*.tar.gz", "sdist")
    prefix = f"dvfskit-{_pyproject_version()}/"
    with tarfile.open(sdist) as tf:
        members = {m.name: m for m in tf.getmembers() if m.isfile()}
    assert all(n.startswith(prefix) for n in members), "every member under dvfskit-<version>/"
    names = {n[len(prefix):] for n in members}
    needed = {"pyproject.toml", "CMakeLists.txt", "README.md", "CHANGELOG.md", "PKG-INFO"}
    for folder in ("cpp", "python", "data", "tests", "docs", "notebooks"):
        needed |= _tracked(folder)
    assert not needed - names, f"missing from the sdist: {sorted(needed - names)}"
    private = [n for n in names if n.split("/")[0] in (".ci", ".git", "build", "dist", "dvfskit-demo")
               or n.startswith(("experiments/results/", "docs/generated/"))
               or n.endswith((".so", ".pyc", ".whl"))]
    assert not private, f"built or private files in the sdist: {private}"
    big = [(n, m.size) for n, m in members.items() if m.size > 1_000_000]
    assert not big, f"large files in the sdist: {big}"
    assert sdist.stat().st_size < 5_000_000, f"sdist is {sdist.stat().st_size} bytes"


def test_wheel_builds_from_the_sdist() -> None:
    sdist = _artifact("dvfskit-*.tar.gz", "sdist")
    # Unpacked inside the checkout (build/sdist-test) so that ccache, with CCACHE_BASEDIR at the
    # checkout, sees the same relative paths as in build/wheel and reuses its objects.
    work = ROOT / "build" / "sdist-test"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    with tarfile.open(sdist) as tf:
        tf.extractall(work, filter="data") if hasattr(tarfile, "data_filter") else tf.extractall(work)
    (source,) = work.glob("dvfskit-*")
    env = _clean_env(DVFSKIT_BUILD_TESTS="OFF", CCACHE_BASEDIR=str(ROOT),
                     CMAKE_BUILD_PARALLEL_LEVEL=str(os.cpu_count() or 2))
    if shutil.which("ccache"):
        env.setdefault("CMAKE_CXX_COMPILER_LAUNCHER", "ccache")
    _run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
          "--disable-pip-version-check", "-w", str(work / "wheel")], timeout=3600, cwd=work, env=env)
    (wheel,) = (work / "wheel").glob("dvfskit-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        _assert_carries_sources(zf)
        zf.extractall(work / "unpacked")
    # the wheel built from the sdist imports and fits (system libraries: it is not repaired)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import dvfskit; from dvfskit import examples; "
            "assert dvfskit.__file__.startswith(sys.argv[1]), dvfskit.__file__; "
            "print(dvfskit.solve(examples.tx2_offloading_problem('400x400', deadline_ms=300)).feasible)")
    out = _run([sys.executable, "-I", "-c", code, str(work / "unpacked")], timeout=300, cwd=work, env=_clean_env())
    assert out.stdout.strip().endswith("True"), out.stdout
