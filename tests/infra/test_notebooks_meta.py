"""The workshop notebooks as files: committed without outputs but with a python3 kernelspec,
in the Project Pythia structure (title, Overview, Prerequisites with time, Summary, What's
next), imports at the top, short cells, and links that lead somewhere.

Running them is nbmake's job (`make test` collects notebooks/ with --nbmake)."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
ALL = sorted(p for p in NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
REQUIRED = ["00-start-here", "01-live-migration", "02-quick-vs-live-migration",
            "03-smb3-storage-and-smb-live-migration", "04-storage-live-migration",
            "05-shared-nothing-live-migration", "06-planned-maintenance",
            "07-analysing-perf-logs", "08-planning-maintenance"]
MAX_CODE_LINES = 14  # "no logic longer than a few lines": longer code belongs in hvlab
IMPORT = re.compile(r"^\s*(import\s|from\s+\S+\s+import\s)", re.M)
LINK = re.compile(r"\]\(([^)#\s]+\.ipynb)(#[^)]*)?\)")


def _read(path):
    return nbformat.read(path, as_version=4)


def _ids(paths):
    return [str(p.relative_to(NOTEBOOKS)) for p in paths]


def test_required_notebooks_exist():
    names = {p.stem for p in LESSONS}
    missing = [n for n in REQUIRED if n not in names]
    assert not missing, f"missing notebooks: {missing}"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_valid_without_outputs_with_python3_kernel(path):
    nb = _read(path)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", (
        f"{path.name}: kernelspec must be python3, or JupyterLab asks students to pick a kernel")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i} was committed with outputs"
            assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_title_first_and_imports_at_top(path):
    nb = _read(path)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), (
        f"{path.name}: the first cell must be a markdown title '# ...'")
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert code, f"{path.name} has no code"
    first = code[0].source
    assert IMPORT.search(first), f"{path.name}: the first code cell must hold the imports"
    non_import = [l for l in first.splitlines()
                  if l.strip() and not IMPORT.match(l) and not l.startswith((" ", "#"))]
    assert not non_import, f"{path.name}: first code cell has more than imports: {non_import}"
    for i, cell in enumerate(code[1:], 1):
        assert not IMPORT.search(cell.source), (
            f"{path.name}: import in code cell {i}; move it to the imports at the top")


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_cells_are_short(path):
    for i, cell in enumerate(_read(path).cells):
        if cell.cell_type == "code":
            n = len(cell.source.splitlines())
            assert n <= MAX_CODE_LINES, (
                f"{path.name} code cell {i} has {n} lines; move the logic into hvlab")


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_pythia_sections(path):
    text = "\n".join(c.source for c in _read(path).cells if c.cell_type == "markdown")
    for heading in ("## Overview", "## Prerequisites", "## Summary", "## What's next"):
        assert re.search(rf"^{re.escape(heading)}\s*$", text, re.M), (
            f"{path.name}: missing section '{heading}'")
    assert re.search(r"Time to learn\*?\*?:\s*\d+\s*minutes", text), (
        f"{path.name}: Prerequisites must say the time to learn, in minutes")
    order = [text.index(h) for h in ("## Overview", "## Prerequisites", "## Summary",
                                      "## What's next")]
    assert order == sorted(order), f"{path.name}: sections out of order"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_every_explorer_is_exercised_by_nbmake(path):
    # widget cells carry kernel-side checks (nbmake post_cell_execute) that move an input
    for i, cell in enumerate(_read(path).cells):
        if cell.cell_type == "code" and re.search(r"hv\.widgets\.(\w+_explorer|predict)\(",
                                                  cell.source):
            post = cell.metadata.get("nbmake", {}).get("post_cell_execute", [])
            assert any("assert" in line for line in post), (
                f"{path.name} cell {i} shows an explorer without a post_cell_execute check")


PREDICTING = [p for p in LESSONS if p.name[:2] in ("01", "02", "03", "04", "05", "06", "08")]


@pytest.mark.parametrize("path", PREDICTING, ids=_ids(PREDICTING))
def test_each_lesson_asks_for_a_prediction(path):
    # "predict, then look": one hv.widgets.predict at a key point, whose nbmake check locks a
    # guess in and asserts on the answer the models reveal
    cells = [c for c in _read(path).cells
             if c.cell_type == "code" and "hv.widgets.predict(" in c.source]
    assert cells, f"{path.name} has no hv.widgets.predict cell"
    for cell in cells:
        post = cell.metadata.get("nbmake", {}).get("post_cell_execute", [])
        assert any(".lock_in(" in line for line in post), (
            f"{path.name}: the prediction's check never locks a guess in")
        assert any(line.startswith("assert") and ".answer" in line for line in post), (
            f"{path.name}: the prediction's check does not assert on the revealed answer")


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_links_to_notebooks_resolve(path):
    for cell in _read(path).cells:
        if cell.cell_type != "markdown":
            continue
        for target, _ in LINK.findall(cell.source):
            if "://" in target:
                continue
            assert (path.parent / target).resolve().exists(), (
                f"{path.name}: link to {target} leads nowhere")


def test_start_here_maps_every_lesson_and_the_exercises():
    text = "\n".join(c.source for c in _read(NOTEBOOKS / "00-start-here.ipynb").cells)
    for lesson in LESSONS[1:]:
        assert f"({lesson.name})" in text, f"00-start-here does not link {lesson.name}"
    assert "(exercises/exercises.ipynb)" in text and "(solutions/solutions.ipynb)" in text


def test_lessons_chain_through_whats_next():
    for before, after in zip(LESSONS[:-1], LESSONS[1:]):
        cells = _read(before).cells
        text = cells[-1].source if cells[-1].cell_type == "markdown" else ""
        tail = text[text.find("## What's next"):]
        assert f"({after.name})" in tail, f"{before.name}: What's next should lead to {after.name}"
