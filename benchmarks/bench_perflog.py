"""Reading and writing Windows performance logs (issues 4 and 11).

Two PDH-CSV logs like a PerfMon collector's are generated in a temporary folder by
``hv.write_perflog`` (every field quoted, " " for missing, CRLF):

- wide: 10,000 rows x 1,000 counters (a busy Hyper-V host's collector, ~90 MiB);
- day: 86,400 rows x 200 counters (a day at a 1 s interval, ~157 MiB).

Engines compared on each (the table of docs/perflogs.md), each read in its own Python process:

- ``pandas.read_csv(path, na_values=[" "])``, C engine and pyarrow engine;
- ``polars.read_csv(path, null_values=[" "]).to_pandas()`` (a pandas frame, as hvlab returns);
- ``hv.read_perflog(path)``: target at most 0.8x the C engine's time, peak memory at most 2.5x
  the float64 frame;
- ``hv.read_perflog`` of the Parquet copy ``hv.perflog.convert_to_parquet`` made.

Peak memory is the child process's peak resident set (Linux VmHWM, reset through
/proc/self/clear_refs just before the read) minus its resident set before the read: it counts
what polars and pyarrow allocate outside Python's heap, which tracemalloc would not see.

Times are the best of five rounds (the readers interleaved, so a busy machine slows all of
them alike); memory is the largest of the rounds. The writer (``hv.write_perflog`` against
``DataFrame.to_csv`` on the wide frame, target at most 1.5x) and the Parquet conversion run
in this process, best of two.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROUNDS = 5
MIB = 2**20
ROOT = Path(__file__).resolve().parent.parent
FILES = {"wide": (10_000, 1_000), "day": (86_400, 200)}

_VM_COUNTERS = ["Transfer Pass: Number", "Transfer pass: Dirty Page Count",
                "Transfer Pass: Is blackout", "Transfer pass: CPU Cap",
                "TCP Transport: Bytes Sent/sec", "TCP Transport: Bytes Received/sec",
                "TCP Transport: Bytes Pending Send", "Memory Walker: Uncompressed Bytes Sent",
                "Memory Walker: Uncompressed Bytes Sent/sec", "Memory Walker: Bytes Read/sec",
                "Compressor: Compressed Bytes Sent", "Compressor: Compressed Bytes Sent/sec",
                "Compressor: Bytes to be Compressed", "SMB Transport: Bytes Sent",
                "SMB Transport: Bytes Sent/sec", "Receiver: Bytes Written/sec",
                "Receiver: Decompressed Bytes/sec"]
_VSD_COUNTERS = ["Read Bytes/sec", "Write Bytes/sec", "Latency"]


def columns(n: int) -> list[tuple]:
    """`n` counters: VMs x 17 Live Migration counters, VHDs x 3 storage counters."""
    vms = max(n // 20, 1)
    cols = [("HV01", "Hyper-V VM Live Migration", f"vm{i:04d}:VM Live Migration", c)
            for i in range(vms) for c in _VM_COUNTERS]
    cols += [("HV01", "Hyper-V Virtual Storage Device", f"C:-ClusterStorage-Volume1-vm{i:04d}"
              f"-vm{i:04d}.vhdx", c) for i in range(vms) for c in _VSD_COUNTERS]
    return cols[:n]


FIVE = [r"\\HV01\Hyper-V VM Live Migration(vm0007:VM Live Migration)\Transfer Pass: Number",
        r"\\HV01\Hyper-V VM Live Migration(vm0007:VM Live Migration)\TCP Transport: Bytes "
        r"Sent/sec",
        r"\\HV01\Hyper-V VM Live Migration(vm0023:VM Live Migration)\Transfer pass: Dirty "
        r"Page Count",
        r"\\HV01\Hyper-V Virtual Storage Device(C:-ClusterStorage-Volume1-vm0031-vm0031.vhdx)"
        r"\Write Bytes/sec",
        r"\\HV01\Hyper-V Virtual Storage Device(C:-ClusterStorage-Volume1-vm0049-vm0049.vhdx)"
        r"\Latency"]


def frame(rows: int, cols: int, seed: int = 2012) -> pd.DataFrame:
    """Counter values as a busy host logs them: lognormal rates with 5 decimals, a quarter
    zeros, rate counters missing in the first sample, instances that come and go."""
    import hvlab as hv
    rng = np.random.default_rng(seed)
    values = np.round(rng.lognormal(4.0, 2.5, size=(rows, cols)), 5)
    values[rng.random((rows, cols)) < 0.25] = 0.0
    values[0, ::2] = np.nan
    values[rng.random((rows, cols)) < 0.001] = np.nan
    index = pd.date_range("2026-01-05 08:00:00.123", periods=rows, freq="s",
                          tz="Europe/Berlin")
    return pd.DataFrame(values, index=index, columns=pd.MultiIndex.from_tuples(
        columns(cols), names=hv.perflog.vocabulary.LEVELS))


def best_of(n: int, fn) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


_CHILD = r"""
import json, sys, time
import pandas as pd
import polars as pl
import hvlab as hv
path, kind, small = sys.argv[1], sys.argv[2], sys.argv[4]
five = json.loads(sys.argv[3])
pd.read_csv(small, na_values=[" "]); pd.read_csv(small, na_values=[" "], engine="pyarrow")
pl.read_csv(small, null_values=[" "]).to_pandas(); hv.read_perflog(small)  # warm up
hv.read_perflog(small + ".parquet")

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])  # kB
# ru_maxrss survives exec (it would be the parent's peak): reset the kernel's high-water
# mark to the current resident size and read VmHWM afterwards
base = status("VmRSS")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
start = time.perf_counter()
if kind == "pandas-c":
    df = pd.read_csv(path, na_values=[" "])
elif kind == "pandas-pyarrow":
    df = pd.read_csv(path, na_values=[" "], engine="pyarrow")
elif kind == "polars":
    df = pl.read_csv(path, null_values=[" "]).to_pandas()
elif kind == "read_perflog":
    df, meta = hv.read_perflog(path)
elif kind == "read_perflog-5":
    df, meta = hv.read_perflog(path, counters=five)
elif kind == "parquet":
    df, meta = hv.read_perflog(path + ".parquet")
else:
    raise SystemExit("unknown reader " + kind)
seconds = time.perf_counter() - start
peak = status("VmHWM")
print(json.dumps({"s": seconds, "peak_mib": (peak - base) / 1024, "shape": list(df.shape)}))
"""


def measure(path: Path, small: Path, kind: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path), kind, json.dumps(FIVE),
                          str(small)], capture_output=True, text=True, env=env, timeout=900)
    if out.returncode:
        raise RuntimeError(f"{kind} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run() -> list[dict]:
    import hvlab as hv
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="hvlab-bench-perflog-") as tmp:
        paths, frames = {}, {}
        for name, (n, k) in FILES.items():
            paths[name] = Path(tmp) / f"{name}.csv"
            df = frame(n, k)
            if name == "wide":  # the writer against pandas on the same frame
                write_s = best_of(2, lambda: hv.write_perflog(
                    df, paths["wide"], timezone="W. Europe Standard Time"))
                to_csv_s = best_of(2, lambda: df.to_csv(Path(tmp) / "pandas.csv"))
                csv_mib = (Path(tmp) / "pandas.csv").stat().st_size / MIB
            else:
                hv.write_perflog(df, paths[name], timezone="W. Europe Standard Time")
            frames[name] = df.shape
            del df
        convert_s = {name: best_of(2, lambda p=p: hv.perflog.convert_to_parquet(
            p, str(p) + ".parquet")) for name, p in paths.items()}
        small = Path(tmp) / "small.csv"
        df, _ = hv.read_perflog(paths["wide"], counters=FIVE[:2])
        hv.write_perflog(df.iloc[:20], small)
        hv.perflog.convert_to_parquet(small, str(small) + ".parquet")
        kinds = {"wide": ["pandas-c", "pandas-pyarrow", "polars", "read_perflog",
                          "read_perflog-5", "parquet"],
                 "day": ["pandas-c", "pandas-pyarrow", "polars", "read_perflog", "parquet"]}
        times = {(f, k): [] for f in kinds for k in kinds[f]}
        peaks = {(f, k): [] for f in kinds for k in kinds[f]}
        for _ in range(ROUNDS):
            for f, ks in kinds.items():
                for kind in ks:
                    r = measure(paths[f], small, kind)
                    times[f, kind].append(r["s"])
                    peaks[f, kind].append(r["peak_mib"])
                    if kind in ("read_perflog", "parquet"):
                        assert tuple(r["shape"]) == frames[f], (kind, r["shape"])
                    if kind == "read_perflog-5":
                        assert tuple(r["shape"]) == (frames[f][0], 5), r["shape"]
        sizes = {f: p.stat().st_size / MIB for f, p in paths.items()}
        parquet_mib = {f: Path(str(p) + ".parquet").stat().st_size / MIB
                       for f, p in paths.items()}
    t = {key: min(v) for key, v in times.items()}
    m = {key: max(v) for key, v in peaks.items()}
    for f in kinds:
        n, k = frames[f]
        frame_mib = n * k * 8 / MIB
        case = f"{f}: {n:,} x {k:,} PDH-CSV, {sizes[f]:.0f} MiB"
        c = t[f, "pandas-c"]
        rows += [
            dict(group="perflog", figure=f"pandas.read_csv C engine ({case})", value=c,
                 unit="s"),
            dict(group="perflog", figure=f"{f}: pandas.read_csv pyarrow engine",
                 value=t[f, "pandas-pyarrow"], unit="s", anchor="pandas C engine",
                 anchor_value=c),
            dict(group="perflog", figure=f"{f}: polars.read_csv + to_pandas",
                 value=t[f, "polars"], unit="s", anchor="pandas C engine", anchor_value=c),
            dict(group="perflog", figure=f"{f}: hv.read_perflog", value=t[f, "read_perflog"],
                 unit="s", anchor="pandas C engine", anchor_value=c,
                 target="<= 0.8x the C engine"),
            dict(group="perflog", figure=f"{f}: hv.read_perflog peak memory",
                 value=m[f, "read_perflog"], unit="MiB", anchor="float64 frame",
                 anchor_value=frame_mib, target="<= 2.5x the frame"),
            dict(group="perflog", figure=f"{f}: pandas C / pyarrow / polars peak memory",
                 value=m[f, "pandas-c"], unit="MiB", anchor="float64 frame",
                 anchor_value=frame_mib,
                 target=f"pyarrow {m[f, 'pandas-pyarrow']:.0f}, polars "
                        f"{m[f, 'polars']:.0f} MiB"),
            dict(group="perflog", figure=f"{f}: hv.perflog.convert_to_parquet (once)",
                 value=convert_s[f], unit="s", anchor="hv.read_perflog",
                 anchor_value=t[f, "read_perflog"],
                 target=f"writes {parquet_mib[f]:.0f} MiB"),
            dict(group="perflog", figure=f"{f}: hv.read_perflog of the Parquet copy",
                 value=t[f, "parquet"], unit="s", anchor="hv.read_perflog of the CSV",
                 anchor_value=t[f, "read_perflog"], target="a fraction of a second"),
        ]
        if f == "wide":
            rows += [
                dict(group="perflog", figure="wide: hv.read_perflog, counters= 5 paths",
                     value=t[f, "read_perflog-5"], unit="s",
                     anchor="hv.read_perflog, all counters",
                     anchor_value=t[f, "read_perflog"], target="<= 1/3 of all counters"),
            ]
    rows.append(dict(group="perflog", figure=f"hv.write_perflog (wide frame, "
                                             f"{sizes['wide']:.0f} MiB)",
                     value=write_s, unit="s", anchor=f"DataFrame.to_csv ({csv_mib:.0f} MiB)",
                     anchor_value=to_csv_s, target="<= 1.5x to_csv"))
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
