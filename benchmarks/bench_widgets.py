"""Each explorer's update callback: what a slider change costs from the new value to the new
figure in its widget (issue 5: under 100 ms at default sizes; costly runs behind a Run button).

For every explorer its main slider is moved one notch at a time (each a new model run; the
figure's round axes mostly stay, so only the data is redrawn on the saved background), then
in jumps across its range (new axes: a full draw), then over the first values again (model
results served by `hvlab.memo.cached`). Update times are reported as median and 95th
percentile, wall clock and process CPU time (on a busy shared machine the wall clock also
counts waiting for a core). The anchor is the floor of a full figure update here: a bare
two-axes figure drawn with Agg and encoded to PNG.

Also measured: `import hvlab` with and without the widgets (why hv.widgets loads lazily), and
the perf-log explorer on a day-long 1 s log (86,400 rows).
"""
from __future__ import annotations

import io
import statistics
import subprocess
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TARGET = "< 100 ms per update (issue 5)"

# explorer -> control moved: one slider notch at a time (what a key press or a short drag
# does) and jumps across the slider's range in a shuffled order (a long drag, a click)
CONTROLS = {
    "live_migration_explorer": "memory_gib",
    "quick_vs_live_explorer": "memory_gib",
    "smb_explorer": "checkpoint_count",
    "storage_migration_explorer": "disk_gib",
    "shared_nothing_explorer": "disk_gib",
}
STEPS = 16


def notches(control) -> list:
    """`STEPS` values one slider step apart, upwards from the current value."""
    return [control.value + control.step * (i + 1) for i in range(STEPS)]


def jumps(control) -> list:
    """`STEPS` values spread over the slider's range, shuffled (seeded)."""
    grid = np.linspace(control.min, control.max, STEPS + 2)[1:-1]
    values = np.round(grid / control.step) * control.step
    return list(np.random.default_rng(5).permutation(values).astype(type(control.value)))


def _pct(values, q):
    return float(np.percentile(values, q))


def _timed_updates(explorer, control, values):
    wall, cpu = [], []
    for value in values:
        w, c = time.perf_counter(), time.process_time()
        explorer.controls[control].value = value
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
        assert explorer.error is None, explorer.error
    return np.array(wall) * 1000, np.array(cpu) * 1000


def floor_ms(repeats: int = 15) -> float:
    """Median time to draw and PNG-encode a bare two-axes figure [ms]."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.8), dpi=80)
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(1, 2)
    ax1.plot(np.arange(20), np.random.default_rng(0).random(20), drawstyle="steps-post")
    ax2.bar(range(6), np.arange(6))
    for ax in (ax1, ax2):
        ax.set_title("title")
        ax.set_xlabel("x [s]")
        ax.set_ylabel("y [MiB/s]")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fig.canvas.draw()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _row(figure, value, unit="ms", target=TARGET, anchor=None, anchor_value=None):
    row = {"group": "widgets", "figure": figure, "value": round(float(value), 1), "unit": unit,
           "target": target}
    if anchor is not None:
        row["anchor"] = anchor
        row["anchor_value"] = round(float(anchor_value), 1)
    return row


def slider_rows(floor: float) -> list[dict]:
    import hvlab as hv

    rows = []
    anchor = "bare 2-axes figure: Agg draw + PNG"
    for name, control in CONTROLS.items():
        explorer = getattr(hv.widgets, name)()
        slider = explorer.controls[control]
        steps = notches(slider)
        notch_wall, notch_cpu = _timed_updates(explorer, control, steps)
        jump_wall, jump_cpu = _timed_updates(explorer, control, jumps(slider))
        again_wall, _ = _timed_updates(explorer, control, steps)
        rows += [
            _row(f"{name}: {control} one notch, median", np.median(notch_wall),
                 anchor=anchor, anchor_value=floor),
            _row(f"{name}: {control} one notch, p95", _pct(notch_wall, 95)),
            _row(f"{name}: {control} one notch, CPU median", np.median(notch_cpu)),
            _row(f"{name}: {control} jumps, median", np.median(jump_wall)),
            _row(f"{name}: {control} jumps, p95", _pct(jump_wall, 95)),
            _row(f"{name}: {control} jumps, CPU median", np.median(jump_cpu)),
            _row(f"{name}: values seen before (cached runs), median", np.median(again_wall)),
        ]
    return rows


def drain_rows() -> list[dict]:
    import hvlab as hv

    explorer = hv.widgets.drain_explorer()
    wall = []
    for n in range(6, 14):
        explorer.controls["n_vms"].value = n
        start = time.perf_counter()
        explorer.run_button.click()
        wall.append(time.perf_counter() - start)
        assert explorer.error is None, explorer.error
    wall = np.array(wall) * 1000
    target = "behind a Run button (7 drains per run: 1 + a 6-point concurrency sweep)"
    return [_row("drain_explorer: Run, median", np.median(wall), target=target),
            _row("drain_explorer: Run, p95", _pct(wall, 95), target=target)]


def day_log() -> pd.DataFrame:
    """The sample live-migration log, placed in a day of 1 s samples (86,400 rows)."""
    import hvlab as hv

    sample, _ = hv.read_perflog(ROOT / "data" / "sql01_live_1gbe_ws2012.csv")
    start = sample.index[0].floor("D") + pd.Timedelta(hours=12)
    index = pd.date_range(start - pd.Timedelta(hours=12), periods=86_400, freq="1s",
                          tz=sample.index.tz, name=sample.index.name)
    frame = pd.DataFrame(np.nan, index=index, columns=sample.columns)
    at = index.get_indexer(sample.index.round("1s"))
    frame.iloc[at] = sample.to_numpy()
    return frame.fillna({c: 0.0 for c in frame.columns if "Bytes" in c[-1]})


def perflog_rows() -> list[dict]:
    import hvlab as hv

    log = day_log()
    start = time.perf_counter()
    explorer = hv.widgets.perflog_explorer(log)
    create = (time.perf_counter() - start) * 1000
    wall = []
    n = len(explorer.controls["counter"].options)
    for i in list(range(n)) * 2:
        t = time.perf_counter()
        explorer.controls["counter"].value = i
        wall.append(time.perf_counter() - t)
    zoom = time.perf_counter()
    explorer.controls["migration"].value = 0
    zoom = (time.perf_counter() - zoom) * 1000
    wall = np.array(wall) * 1000
    return [
        _row("perflog_explorer, 86,400-row log: create (incl. find_migrations)", create,
             target="once per log"),
        _row("perflog_explorer, 86,400-row log: counter change, median", np.median(wall)),
        _row("perflog_explorer, 86,400-row log: counter change, p95", _pct(wall, 95)),
        _row("perflog_explorer, 86,400-row log: zoom to a migration", zoom),
    ]


def import_rows() -> list[dict]:
    def cost(code):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
            times.append(time.perf_counter() - start)
        return min(times) * 1000

    bare = cost("pass")
    plain = cost("import hvlab")
    full = cost("import hvlab, hvlab.widgets")
    return [_row("python -c 'import hvlab' (widgets load lazily)", plain, target="light",
                 anchor="python -c pass", anchor_value=bare),
            _row("python -c 'import hvlab, hvlab.widgets'", full,
                 target="paid once, on first hv.widgets use", anchor="import hvlab",
                 anchor_value=plain)]


def run() -> list[dict]:
    floor = floor_ms()
    return slider_rows(floor) + drain_rows() + perflog_rows() + import_rows()


if __name__ == "__main__":
    for r in run():
        print(r)
