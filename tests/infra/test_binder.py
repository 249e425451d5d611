"""The Binder environment: binder/runtime.txt and binder/requirements.txt.

repo2docker reads binder/ instead of the repository root, so the root pyproject.toml is not seen
there: requirements.txt must install hvlab itself (``-e .``) and pin (``==``) what it needs.

`test_repo2docker_accepts_config` runs ``jupyter-repo2docker --no-build --debug .``, which checks
the configuration and prints the Dockerfile without Docker. The slow check (a fresh virtual
environment built from binder/requirements.txt, then hvlab imported and a model run in it) runs
only under ``make test-binder`` (HVLAB_TEST_BINDER=1).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"
REPO2DOCKER = Path(sys.executable).with_name("jupyter-repo2docker")


def _requirements() -> tuple[list[str], dict[str, Requirement]]:
    """(local install lines, {canonical name: Requirement}) of binder/requirements.txt."""
    local, pinned = [], {}
    for number, raw in enumerate((BINDER / "requirements.txt").read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line in ("-e .", "."):
            local.append(line)
            continue
        req = Requirement(line)
        pinned[canonicalize_name(req.name)] = (req, number)
    return local, pinned


def test_runtime_is_python_312():
    # repo2docker's form is "python-X.Y" (not "python3.12"); without it Binder uses 3.10
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.12"


def test_requirements_install_hvlab_and_pin_everything():
    local, pinned = _requirements()
    assert local == ["-e ."], "binder/requirements.txt must install hvlab itself once: '-e .'"
    assert pinned, "binder/requirements.txt pins nothing"
    for name, (req, number) in pinned.items():
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", (
            f"binder/requirements.txt line {number}: {req} is not pinned with '=='")


def test_pins_cover_and_satisfy_pyproject_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    _, pinned = _requirements()
    for dep in project["dependencies"]:
        req = Requirement(dep)
        name = canonicalize_name(req.name)
        assert name in pinned, f"pyproject dependency {req.name} is not pinned for Binder"
        version = next(iter(pinned[name][0].specifier)).version
        assert req.specifier.contains(version, prereleases=True), (
            f"binder pin {req.name}=={version} violates pyproject's {req}")


def test_workshop_extras_pinned():
    # the notebooks use ipympl when asked to, and `make dashboard` serves them with Voila
    _, pinned = _requirements()
    for name in ("ipympl", "voila", "jupyterlab-widgets"):
        assert name in pinned, f"{name} missing from binder/requirements.txt"


def test_no_environment_yml_overrides_requirements():
    # with an environment.yml present repo2docker silently ignores requirements.txt
    for folder in (ROOT, BINDER):
        for name in ("environment.yml", "environment.yaml", "Pipfile", "setup.py"):
            assert not (folder / name).exists(), f"{folder / name} would change what Binder builds"


def test_setuptools_finds_every_package_and_nothing_else():
    # with binder/ beside hvlab/, setuptools' automatic discovery refuses to choose: the
    # pyproject names an include pattern, which must find every hvlab package
    from setuptools import find_packages

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    include = config["packages"]["find"]["include"]
    found = set(find_packages(where=str(ROOT), include=include))
    expected = {".".join(init.parent.relative_to(ROOT).parts)
                for init in (ROOT / "hvlab").rglob("__init__.py")}
    assert found == expected, (sorted(found ^ expected), include)


def test_repo2docker_accepts_config(tmp_path):
    assert REPO2DOCKER.exists(), f"{REPO2DOCKER} missing: pip install -e '.[dev]'"
    proc = subprocess.run([str(REPO2DOCKER), "--no-build", "--debug", str(ROOT)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "python=3.12" in out, "repo2docker did not pick up binder/runtime.txt"
    # the requirements are installed after the whole repository is copied (needed by "-e .")
    copy_all = out.find("COPY --chown=0:0 src/ ${REPO_DIR}/")
    install = out.find('pip install --no-cache-dir -r "binder/requirements.txt"')
    assert copy_all != -1 and install != -1, out[-3000:]
    assert copy_all < install


def _python312() -> str | None:
    """A working Python 3.12 (what binder/runtime.txt asks for), if this machine has one."""
    import glob

    candidates = [shutil.which("python3.12"),
                  *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12")))]
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "import sys, venv; print(sys.version_info[:2])"],
                               capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.strip() == "(3, 12)":
            return candidate
    return None


@pytest.mark.skipif(os.environ.get("HVLAB_TEST_BINDER") != "1",
                    reason="slow (downloads every pinned package): run `make test-binder`")
def test_fresh_venv_installs_binder_requirements(tmp_path):
    """Build the Binder environment in a fresh venv, then use it: versions as pinned, hvlab
    importable and a model runs."""
    python = _python312() or sys.executable
    venv = tmp_path / "venv"
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    vpy = venv / "bin" / "python"
    proc = subprocess.run([str(vpy), "-m", "pip", "install", "-q", "-r",
                           str(BINDER / "requirements.txt")],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    _, pinned = _requirements()
    code = ("import importlib.metadata as m, json, sys; "
            "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))")
    names = [req.name for req, _ in pinned.values()]
    out = subprocess.run([str(vpy), "-c", code, *names], capture_output=True, text=True,
                         check=True).stdout
    import json
    installed = json.loads(out)
    for req, _ in pinned.values():
        assert req.specifier.contains(installed[req.name], prereleases=True), (req, installed)
    check = ("import hvlab as hv, hvlab.widgets; "
             "r = hv.live_migration(hv.VM(memory_gib=1), hv.Link(gbps=1)); "
             "print(r.total_s)")
    total = subprocess.run([str(vpy), "-c", check], cwd=tmp_path, capture_output=True,
                           text=True, check=True).stdout
    # 1 GiB at 118.7 MB/s takes about 9 s; the total is larger, and finite
    assert re.fullmatch(r"\d+\.\d+\s*", total) and float(total) > 1 * 2**30 / 118.7e6
