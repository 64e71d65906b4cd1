"""The documentation helpers (docs/_ext/dvfskit_docs.py) and the docs set-up.

``make docs`` (part of ``make test``) builds the site with warnings as errors; these tests pin
the pieces that decide what the site contains: the API pages cover every public name, the
docstring rewriting keeps numpydoc from misreading or dropping text, the command-line reference
comes from the real parser, and every Sphinx extension is installed by the ``docs`` extra.
"""
from __future__ import annotations

import argparse
import re
import runpy
import sys
from importlib import metadata
from pathlib import Path

import pytest

import dvfskit

pytest.importorskip("sphinx")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import dvfskit_docs  # noqa: E402


def test_api_pages_cover_every_public_name_and_module(tmp_path: Path) -> None:
    dvfskit_docs.write_api_pages(dvfskit, tmp_path)
    index = (tmp_path / "index.rst").read_text()
    listed = set(re.findall(r"^   (\w+)$", index, re.M))
    public = {n for n in dvfskit.__all__ if not n.startswith("__")}
    modules = set(dvfskit_docs.public_modules(dvfskit))
    assert public - modules <= listed and modules <= listed, sorted((public | modules) - listed)
    assert {"models", "datasets", "workloads", "plots", "examples", "problem_file", "cli"} <= modules
    assert not any(m.startswith("_") for m in modules)
    for m in modules:
        page = (tmp_path / f"dvfskit.{m}.rst").read_text()
        assert f".. automodule:: dvfskit.{m}\n" in page


def test_a_new_public_name_appears_without_editing_pages(tmp_path: Path) -> None:
    fake = type(sys)("fakepkg")
    fake.__path__ = []  # a package without submodules

    class GovernorResult:
        pass

    def governor() -> None:
        pass

    fake.GovernorResult, fake.governor, fake.__all__ = GovernorResult, governor, ["GovernorResult", "governor"]
    dvfskit_docs.write_api_pages(fake, tmp_path)
    index = (tmp_path / "index.rst").read_text()
    assert re.search(r"Classes\n-+\n\n\.\. autosummary::\n(   .*\n)*\n   GovernorResult\n", index)
    assert re.search(r"Functions\n-+\n\n\.\. autosummary::\n(   .*\n)*\n   governor\n", index)


@pytest.mark.parametrize("before, after", [
    # "name: description" -> name + description; "name : type" is left alone
    ("Parameters\n----------\ngrid: dict of values\n    more\nx : int\n    fine\n",
     "Parameters\n----------\ngrid\n    dict of values\n    more\nx : int\n    fine\n"),
    ("Attributes\n----------\na, b: arrays (ms)\nc:\n    text\n",
     "Attributes\n----------\na, b\n    arrays (ms)\nc\n    text\n"),
    # an unknown section becomes a rubric, moved before the first known section
    ("Summary.\n\nParameters\n----------\nx : int\n    one\n\nObjectives\n----------\n- a\n- b\n",
     "Summary.\n\n.. rubric:: Objectives\n\n- a\n- b\n\nParameters\n----------\nx : int\n    one\n\n"),
    # Returns and prose are untouched, colons and all
    ("Returns\n-------\nWithout ``out``: a DataFrame\n", "Returns\n-------\nWithout ``out``: a DataFrame\n"),
    ("Text: with a colon.\n", "Text: with a colon.\n"),
])
def test_normalise_docstring(before: str, after: str) -> None:
    lines = before.splitlines()
    dvfskit_docs.normalise_docstring(lines)
    assert "\n".join(lines) + "\n" == after


def test_cli_reference_is_the_real_parser_with_literal_examples() -> None:
    from dvfskit import cli

    real, documented = cli.build_parser(), dvfskit_docs.cli_parser()
    names = [p.prog for p in dvfskit_docs._parsers(documented)]
    assert names == [p.prog for p in dvfskit_docs._parsers(real)]
    assert {"dvfskit fit", "dvfskit solve", "dvfskit sweep"} <= set(names)
    for p, q in zip(dvfskit_docs._parsers(real), dvfskit_docs._parsers(documented)):
        assert [a.option_strings for a in p._actions] == [a.option_strings for a in q._actions]
        if p.epilog:
            assert q.epilog.startswith("::\n\n   ") and p.epilog.strip().splitlines()[0] in q.epilog


def test_every_sphinx_extension_is_in_the_docs_extra() -> None:
    tomllib = pytest.importorskip("tomllib")
    conf = runpy.run_path(str(ROOT / "docs" / "conf.py"))
    with open(ROOT / "pyproject.toml", "rb") as f:
        extra = tomllib.load(f)["project"]["optional-dependencies"]["docs"]
    wanted = {re.split(r"[<>=!~\[ ;]", r, maxsplit=1)[0].lower().replace("_", "-") for r in extra}
    providers = metadata.packages_distributions()
    local = {p.stem for p in (ROOT / "docs" / "_ext").glob("*.py")}
    modules = [e.split(".")[0] for e in conf["extensions"]] + [conf["html_theme"]]
    for module in modules:
        if module in ("sphinx", *local):
            continue
        dists = {d.lower().replace("_", "-") for d in providers.get(module, [])}
        assert dists & wanted, f"{module} (from {sorted(dists)}) is not in the docs extra {sorted(wanted)}"
