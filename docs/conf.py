"""Sphinx configuration for the hvlab documentation.

Build with ``make docs`` (warnings are errors). The workshop notebooks live in ../notebooks and
read sample files from ../data with relative paths; a step below copies both into the
git-ignored ``_generated/`` folder, keeping their relative layout, and myst-nb executes the
copies with each notebook's own folder as the working directory. No page needs the network at
build time (no intersphinx).
"""
from __future__ import annotations

import filecmp
import importlib
import shutil
import sys
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GENERATED = HERE / "_generated"

# Document the working tree's hvlab even when it is not installed in editable mode.
sys.path.insert(0, str(ROOT))

# -- project ------------------------------------------------------------------------------------
project = "hvlab"
author = "hvlab contributors"
copyright = "hvlab contributors, MIT licence"
try:
    release = metadata.version("hvlab")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    release = "0.0"
version = release

# -- extensions ---------------------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",  # MyST Markdown pages and the executed notebooks (includes myst_parser)
    "sphinxcontrib.mermaid",
]

source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "_generated/data/**",  # sample logs copied for the notebooks, not pages
    "**/.ipynb_checkpoints",
]

# MyST: $...$ and $$...$$ math, ::: fences, definition lists; labels like (domain-precopy)=
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# -- autodoc + numpydoc -------------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()
numpydoc_xref_param_type = False

# -- notebooks (myst-nb) ------------------------------------------------------------------------
nb_execution_mode = "force"        # every build runs every notebook against the current hvlab
nb_execution_timeout = 300         # seconds per cell
nb_execution_raise_on_error = True  # a failing cell fails the build
nb_execution_show_tb = True         # ... and prints its traceback
nb_execution_in_temp = False        # run in the notebook's own folder: ../data must resolve
nb_merge_streams = True
nb_execution_excludepatterns: list[str] = []

# -- HTML ---------------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"hvlab {release}"
html_static_path: list[str] = []

# Mermaid diagrams are drawn in the reader's browser by mermaid.js (loaded by the page); nothing
# runs at build time.


# -- the notebooks, copied into the source tree -------------------------------------------------
NOTEBOOK_GLOBS = ("*.ipynb", "exercises/*.ipynb", "solutions/*.ipynb")
DATA_GLOBS = ("*.csv", "*.blg", "cluster/*.csv")


def _sync(src_dir: Path, dst_dir: Path, patterns) -> set[Path]:
    """Copy the files matching `patterns` under `src_dir` to `dst_dir` (same relative paths),
    touching only files whose content changed; return the destination paths."""
    kept = set()
    for pattern in patterns:
        for src in sorted(src_dir.glob(pattern)):
            dst = dst_dir / src.relative_to(src_dir)
            kept.add(dst)
            if dst.exists() and filecmp.cmp(src, dst, shallow=False):
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
    return kept


def _prune(dst_dir: Path, kept: set[Path], suffix: str) -> None:
    """Remove copies whose original is gone (a renamed notebook must not linger)."""
    for path in dst_dir.rglob(f"*{suffix}"):
        if path not in kept:
            path.unlink()


def copy_notebooks() -> None:
    """notebooks/{*,exercises/*,solutions/*}.ipynb -> _generated/notebooks/ and data/*.csv, .blg ->
    _generated/data/, so that "../data/x.csv" (and "../../data/x.csv" from the exercise
    folders) resolve from the copies exactly as from the originals."""
    kept = _sync(ROOT / "notebooks", GENERATED / "notebooks", NOTEBOOK_GLOBS)
    _prune(GENERATED / "notebooks", kept, ".ipynb")
    kept = _sync(ROOT / "data", GENERATED / "data", DATA_GLOBS)
    for suffix in (".csv", ".blg"):
        _prune(GENERATED / "data", kept, suffix)


copy_notebooks()


# -- autodoc: docstrings of public constants re-exported by hvlab -------------------------------
def _attribute_doc(name: str, obj) -> list[str] | None:
    """The ``#:`` / string docstring written where a public constant (``hvlab.WS2012``) is
    defined, whichever hvlab module that is now (the modules under hvlab are being moved, the
    public names stay)."""
    from sphinx.pycode import ModuleAnalyzer

    short = name.rsplit(".", 1)[-1]
    for modname in sorted(m for m in list(sys.modules) if m == "hvlab" or m.startswith("hvlab.")):
        module = sys.modules.get(modname)
        if module is None or getattr(module, short, None) is not obj:
            continue
        try:
            docs = ModuleAnalyzer.for_module(modname).find_attr_docs()
        except Exception:  # noqa: BLE001 - a module without source: look elsewhere
            continue
        if ("", short) in docs:
            return list(docs[("", short)])
    return None


def _constant_docstring(app, what, name, obj, options, lines) -> None:
    """For module-level data documented as ``hvlab.<NAME>``, use the docstring written beside
    its definition instead of the docstring of its type (a `MigrationSettings` preset would
    otherwise repeat the class's whole parameter list)."""
    if what != "data":
        return
    importlib.import_module("hvlab")
    doc = _attribute_doc(name, obj)
    lines[:] = doc if doc is not None else []


def _always_reread(app, env, added, changed, removed):
    """Read every page on every build: the notebooks run against the current hvlab, autodoc
    sees the current docstrings, and a warning from an unchanged page is reported again (so
    ``-W`` fails the same way on an incremental build as on a clean one)."""
    return sorted(env.found_docs - set(added) - set(changed) - set(removed))


def setup(app):
    app.connect("autodoc-process-docstring", _constant_docstring, priority=400)
    app.connect("env-get-outdated", _always_reread)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
