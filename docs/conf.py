"""Sphinx configuration of the dvfskit documentation (``make docs`` -> build/docs/html).

Warnings are errors (``-W --keep-going -n`` in the Makefile). dvfskit must be importable: the
installed package (``make docs`` runs scripts/setup.sh first) or a checkout's ``python/`` with the
extension built in place (``PYTHONPATH=python``). The API reference and the executed notebooks
are generated into ``docs/generated/`` by ``_ext/dvfskit_docs.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

import dvfskit  # noqa: E402

project = "dvfskit"
author = "the dvfskit authors"
copyright = "the dvfskit authors"  # noqa: A001 (Sphinx's name)
release = dvfskit.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax copied into _static: the site renders formulas offline
    "numpydoc",
    "myst_nb",
    "sphinxarg.ext",
    "dvfskit_docs",
]

root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "_ext", "_templates"]
templates_path = ["_templates"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}

# -- API reference -----------------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
python_use_unqualified_type_names = True
python_maximum_signature_line_length = 96
add_module_names = False

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_attributes_as_param_list = True

# Nitpicky: every reference to a dvfskit object must resolve. There is no network for
# intersphinx, so names from the standard library, numpy, pandas, matplotlib, Dask and the
# typing module (as they appear in signatures) are accepted unresolved.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(typing|typing_extensions|collections\.abc|os|pathlib|argparse|numbers|enum|types)\..*"),
    (r"py:.*", r"(np|numpy|pd|pandas|matplotlib|mpl|plt|dask|distributed|pyarrow|tqdm|numpy\.typing)(\..*)?"),
    (r"py:class", r"(None|Any|Callable|Optional|Union|Sequence|Mapping|Dict|List|Tuple|Iterator|Iterable|Path|PathLike)"),
    (r"py:class", r"(int|float|str|bool|bytes|object|dict|list|tuple|set|frozenset|type|complex|slice)"),
    (r"py:class", r"(ArrayLike|NDArray|DataFrame|Series|Axes|Figure|Client)"),
    (r"py:(class|exc)", r"(Exception|ValueError|TypeError|KeyError|RuntimeError|FileNotFoundError|KeyboardInterrupt)"),
    (r"py:class", r"pybind11_(builtins\.)?pybind11_object"),
    # private classes in public signatures (dvfskit._core.Expression, dvfskit._schedule._Problem)
    (r"py:.*", r"dvfskit\.(\w+\.)*_\w+(\.\w+)*"),
]

# -- Notebooks (executed by dvfskit_docs before the build, rendered with their outputs) ---------
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
dvfskit_execute_notebooks = True

# -- HTML --------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"dvfskit {release}"
html_static_path: list = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_show_sourcelink = False
