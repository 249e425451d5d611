"""The package's shape: the import-linter contracts of pyproject.toml hold, no module imports
another module's underscore name, no import cycle exists (imports inside functions included),
and no public name hides a module of the same name."""
import ast
import importlib
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

import hvlab

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "hvlab"


def _modules():
    for info in pkgutil.walk_packages(hvlab.__path__, "hvlab."):
        yield info.name


def test_import_linter_contracts_hold():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "lint-imports is not installed: `make test` installs the dev extra"
    run = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]


def _private_name_imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hvlab"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    yield node.lineno, node.module, alias.name


def test_no_module_imports_another_modules_underscore_name():
    found = [f"{path.relative_to(ROOT)}:{line}: from {module} import {name}"
             for path in sorted(PACKAGE.rglob("*.py"))
             for line, module, name in _private_name_imports(path)
             # a private helper *module* of the same package may be imported by name
             if not (PACKAGE / Path(*module.split(".")[1:]) / f"{name}.py").exists()]
    assert not found, "\n".join(found)


def test_the_private_name_check_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from hvlab.results import _call_layer_above\n", encoding="utf-8")
    assert list(_private_name_imports(bad)) == [(1, "hvlab.results", "_call_layer_above")]


def _cycles(graph, modules):
    """Every module that can reach itself through the import graph."""
    imports = {m: graph.find_modules_directly_imported_by(m) for m in modules}
    cyclic = []
    for start in modules:
        seen, stack = set(), list(imports[start])
        while stack:
            m = stack.pop()
            if m == start:
                cyclic.append(start)
                break
            if m in seen or m not in imports:
                continue
            seen.add(m)
            stack.extend(imports[m])
    return cyclic


def test_no_import_cycle_between_modules():
    graph = grimp.build_graph("hvlab", cache_dir=None)
    modules = sorted(graph.modules)
    # a package's __init__ re-exporting its children is not a cycle unless a child imports
    # the package back: the graph holds both directions only in that case
    cyclic = _cycles(graph, modules)
    details = []
    for m in cyclic[:5]:
        back = [n for n in graph.find_modules_directly_imported_by(m)
                if graph.find_shortest_chain(importer=n, imported=m)]
        details.append(f"{m} <- {back[:3]}")
    assert not cyclic, "modules on an import cycle: " + "; ".join(details)


def test_the_cycle_check_can_fail():
    graph = grimp.ImportGraph()
    for name in ("p", "p.a", "p.b", "p.c"):
        graph.add_module(name)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.a")
    graph.add_import(importer="p.c", imported="p.a")
    assert sorted(_cycles(graph, sorted(graph.modules))) == ["p.a", "p.b"]


@pytest.mark.parametrize("module_name", sorted(m for m in set(_modules())
                                                 if not m.endswith(".__main__")))
def test_no_public_name_hides_a_module(module_name):
    parent_name, _, leaf = module_name.rpartition(".")
    parent = importlib.import_module(parent_name)
    module = importlib.import_module(module_name)
    attribute = getattr(parent, leaf, module)
    assert attribute is module, (
        f"{parent_name}.{leaf} is {type(attribute).__name__} {attribute!r:.60}, hiding the "
        f"module {module_name}")
