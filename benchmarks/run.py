"""Run every benchmark module and print one table of the figures hvlab promises.

Each ``benchmarks/bench_*.py`` defines ``run() -> list[dict]``; each dict is one figure with the
keys ``group``, ``figure``, ``value``, ``unit`` and optionally ``anchor`` (what it is compared
with), ``anchor_value`` (in the same unit, measured in the same run) and ``target`` (the promise,
as text). Each module runs in its own Python process, so one module's memory or threads cannot
skew another's, and a module that fails, crashes or times out becomes a row of the table instead
of stopping the run.

The table is also written as JSON to ``benchmarks/results/`` (git-ignored): a time-stamped file
and ``latest.json``. ``--compare FILE`` adds the values of an earlier run as a column.

Usage::

    python benchmarks/run.py                  # everything (make bench)
    python benchmarks/run.py --only models    # one module (bench_models.py); repeatable
    python benchmarks/run.py --compare benchmarks/results/latest.json
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"

# the modules whose figures the issues promise; a missing one is shown as a gap in the table
EXPECTED = {
    "models": "issue 2: one live migration (16 GiB, 10 passes) vs the closed form",
    "drain": "issue 3: drain of 100 / 1,000 / 10,000 VMs, growth ratio",
    "perflog": "issues 4, 11: read_perflog vs pandas.read_csv (C, pyarrow) and polars, memory, "
               "counters=, Parquet copy, write_perflog vs to_csv",
    "widgets": "issue 5: each explorer's update callback (median, p95)",
    "sweep": "issue 6: 200 scenarios serially, 2 processes, Dask LocalCluster",
    "blg": "issue 13: .blg (>= 50 MB) per sample vs the same samples from PDH-CSV",
    "planning": "issue 12: plan 16 hosts / 400 VMs (<= 10 s), 64 hosts / 2,000 VMs (<= 60 s)",
}
REQUIRED_KEYS = ("group", "figure", "value", "unit")
OPTIONAL_KEYS = ("anchor", "anchor_value", "target")


# --------------------------------------------------------------------------------------------
# discovery and running
def discover(only: list[str] | None = None) -> dict[str, Path]:
    """bench_*.py modules by short name ("models" for bench_models.py), sorted."""
    found = {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}
    if only:
        wanted = [o.removeprefix("bench_").removesuffix(".py") for o in only]
        unknown = [w for w in wanted if w not in found and w not in EXPECTED]
        if unknown:
            raise SystemExit(f"run.py: no benchmark module {', '.join(unknown)}; available: "
                             f"{', '.join(found) or 'none'}")
        return {w: found.get(w) for w in wanted}
    names = sorted(set(found) | set(EXPECTED))
    return {n: found.get(n) for n in names}


def load_module(path: Path):
    """Import a bench module from its file (the repo root and benchmarks/ on sys.path)."""
    for p in (str(ROOT), str(HERE)):
        if p not in sys.path:
            sys.path.insert(0, p)
    spec = importlib.util.spec_from_file_location(f"hvlab_bench_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_rows(rows) -> list[dict]:
    """Validate what a module's run() returned; raise ValueError saying what is wrong."""
    if not isinstance(rows, list):
        raise ValueError(f"run() must return a list of dicts, got {type(rows).__name__}")
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ValueError(f"row {i} is a {type(row).__name__}, not a dict")
        missing = [k for k in REQUIRED_KEYS if k not in row]
        if missing:
            raise ValueError(f"row {i} ({row.get('figure', '?')!r}) lacks {', '.join(missing)}")
        clean = dict(row)
        for key in ("value", "anchor_value"):
            v = clean.get(key)
            if v is not None and not isinstance(v, (int, float)):
                try:
                    clean[key] = float(v)
                except (TypeError, ValueError):
                    raise ValueError(f"row {i} ({row['figure']!r}): {key} {v!r} is not a "
                                     "number") from None
        out.append(clean)
    return out


def run_worker(path: Path, result_file: Path) -> None:
    """Child process: run one module and write its rows as JSON."""
    rows = check_rows(load_module(path).run())
    result_file.write_text(json.dumps(rows, default=_json_default))


def run_module(name: str, path: Path | None, timeout_s: float, in_process: bool) -> tuple:
    """Run one module; return (rows, info) where failures are rows too."""
    if path is None:
        row = {"group": name, "figure": "benchmark module missing (bench_%s.py)" % name,
               "value": None, "unit": "", "target": EXPECTED.get(name, "")}
        return [row], {"status": "missing", "seconds": 0.0}
    start = time.perf_counter()
    try:
        if in_process:
            rows = check_rows(load_module(path).run())
        else:
            rows = _run_child(path, timeout_s)
        info = {"status": "ok"}
    except Exception as exc:  # noqa: BLE001 - a failing module is a row, not the end
        message = f"{type(exc).__name__}: {exc}".strip()
        rows = [{"group": name, "figure": "FAILED", "value": None, "unit": "",
                 "anchor": _last_line(message), "target": EXPECTED.get(name, "")}]
        info = {"status": "failed", "error": message}
    info["seconds"] = time.perf_counter() - start
    for row in rows:
        row.setdefault("module", name)
    return rows, info


class ChildError(RuntimeError):
    pass


def _run_child(path: Path, timeout_s: float) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        result_file = Path(tmp) / "rows.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(path),
               "--result-file", str(result_file)]
        env = dict(os.environ, MPLBACKEND="Agg",
                   PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                            os.environ.get("PYTHONPATH")])))
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s,
                                  cwd=str(ROOT), env=env)
        except subprocess.TimeoutExpired:
            raise ChildError(f"timed out after {timeout_s:g} s") from None
        if proc.returncode != 0 or not result_file.exists():
            tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-12:]
            raise ChildError(f"exit code {proc.returncode}\n" + "\n".join(tail))
        return json.loads(result_file.read_text())


def _last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return (lines[-1] if lines else text)[:160]


def _json_default(obj):
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    return str(obj)


# --------------------------------------------------------------------------------------------
# the table
def fmt(value) -> str:
    """A number for the table: 4 significant digits, thousands separated, '-' for none."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else str(value)
    if isinstance(value, int) or (abs(value) >= 1000 and float(value).is_integer()):
        return f"{int(value):,}"
    if abs(value) >= 10000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def ratio(row) -> str:
    """value / anchor_value, when both are numbers."""
    v, a = row.get("value"), row.get("anchor_value")
    if (isinstance(v, (int, float)) and isinstance(a, (int, float)) and not isinstance(v, bool)
            and a not in (0, None) and math.isfinite(a) and math.isfinite(v)):
        r = v / a
        # near 1 the agreement itself is the point: show it to 1e-5
        return f"{r:.5f}x" if 0.99 < r < 1.01 else f"{r:.3g}x"
    return ""


def table(rows: list[dict], previous: dict | None = None) -> str:
    """The rows as an aligned text table."""
    headers = ["group", "figure", "value", "unit", "anchor", "anchor value", "vs anchor",
               "target"]
    if previous is not None:
        headers.insert(4, "previous")
    lines = []
    for row in rows:
        cells = [str(row.get("group", "")), str(row.get("figure", "")), fmt(row.get("value")),
                 str(row.get("unit", "")), str(row.get("anchor") or ""),
                 fmt(row.get("anchor_value")) if row.get("anchor") or
                 row.get("anchor_value") is not None else "",
                 ratio(row), str(row.get("target") or "")]
        if previous is not None:
            prev = previous.get((row.get("module"), row.get("group"), row.get("figure")))
            cells.insert(4, fmt(prev) if prev is not None else "")
        lines.append(cells)
    widths = [max(len(h), *(len(c[i]) for c in lines)) if lines else len(h)
              for i, h in enumerate(headers)]
    right = {"value", "anchor value", "vs anchor", "previous"}

    def render(cells):
        return "  ".join(c.rjust(w) if h in right else c.ljust(w)
                         for c, w, h in zip(cells, widths, headers)).rstrip()

    out = [render(headers), render(["-" * w for w in widths])]
    last_group = None
    for row, cells in zip(rows, lines):
        key = (row.get("module"), row.get("group"))
        if last_group is not None and key != last_group:
            out.append("")
        last_group = key
        out.append(render(cells))
    return "\n".join(out)


def machine() -> dict:
    """Where the run happened."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, cwd=str(ROOT), timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    try:
        load = round(os.getloadavg()[0], 2)
    except OSError:  # not available on this platform
        load = None
    return {"python": platform.python_version(), "platform": platform.platform(),
            "machine": platform.machine(), "cpus": os.cpu_count(), "git_commit": commit,
            "load_avg_1min": load}


def load_previous(path: str) -> dict:
    data = json.loads(Path(path).read_text())
    return {(r.get("module"), r.get("group"), r.get("figure")): r.get("value")
            for r in data.get("rows", [])}


def write_json(rows, modules, started, out: Path | None) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    doc = {"created": started.isoformat(timespec="seconds"), **machine(), "modules": modules,
           "rows": [{k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                     for k, v in r.items()} for r in rows]}
    text = json.dumps(doc, indent=1, default=_json_default)
    path = out or RESULTS / f"bench-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    (RESULTS / "latest.json").write_text(text)
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only bench_NAME.py (repeatable)")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="seconds one module may take (default: %(default)s)")
    parser.add_argument("--in-process", action="store_true",
                        help="run modules in this process (for debugging)")
    parser.add_argument("--json", type=Path, default=None, help="write the JSON here too")
    parser.add_argument("--compare", metavar="FILE",
                        help="show the values of an earlier run's JSON beside these")
    parser.add_argument("--strict", action="store_true",
                        help="exit with 1 when a module failed or is missing")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        run_worker(args.worker, args.result_file)
        return 0

    previous = load_previous(args.compare) if args.compare else None
    started = dt.datetime.now()
    rows, modules = [], {}
    load_before = machine()["load_avg_1min"]
    for name, path in discover(args.only).items():
        print(f"[bench] {name} ...", end=" ", file=sys.stderr, flush=True)
        mod_rows, info = run_module(name, path, args.timeout, args.in_process)
        print(f"{info['status']} ({info['seconds']:.1f} s)", file=sys.stderr, flush=True)
        rows.extend(mod_rows)
        modules[name] = info
    info = machine()
    print(f"\nhvlab benchmarks, {started:%Y-%m-%d %H:%M}, Python {info['python']}, "
          f"{info['cpus']} CPUs, commit {info['git_commit'] or '?'}, load average "
          f"{load_before} before / {info['load_avg_1min']} after")
    busy = max(load_before or 0, 0) > 0.5 * (info["cpus"] or 1)
    print("(the machine was busy before the run: timings, parallel ones most, are noisy)\n"
          if busy else "")
    print(table(rows, previous))
    path = write_json(rows, modules, started, args.json)
    failed = [n for n, i in modules.items() if i["status"] != "ok"]
    for name in failed:
        if modules[name].get("error"):
            print(f"\n{name} failed:\n{modules[name]['error']}", file=sys.stderr)
    print(f"\n(table written to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path})")
    return 1 if (args.strict and failed) else 0


if __name__ == "__main__":
    sys.exit(main())
