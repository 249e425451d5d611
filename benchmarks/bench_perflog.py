"""Reading and writing Windows performance logs (issue 4, Performance).

A wide PDH-CSV like a PerfMon collector's on a busy Hyper-V host (10,000 rows x 1,000
counters, every field quoted, " " for missing, ~100 MB) is generated in a temporary folder.
Each reader then runs in its own Python process, so its peak memory can be read from the
process's resident-set high-water mark (Linux VmHWM, reset just before reading), minus what
the process held before reading:

- ``pandas.read_csv(path, na_values=[" "])`` with the C engine and with the pyarrow engine
  (the anchors: what a user would type without hvlab);
- ``hv.read_perflog(path)``: target at most 1.5x the C engine's time, peak at most 2.5x the
  size of the float64 frame;
- ``hv.read_perflog(path, counters=[5 paths])``: target at least 3x faster than reading all.

Times are the best of three rounds (the readers interleaved, so a busy machine slows all of
them alike); memory is the largest of the rounds.
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

ROWS, COLS = 10_000, 1_000
ROUNDS = 3
MIB = 2**20
ROOT = Path(__file__).resolve().parent.parent

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


def columns() -> list[tuple]:
    """1,000 counters: 50 VMs x 17 Live Migration counters, 50 VHDs x 3 storage counters."""
    cols = [("HV01", "Hyper-V VM Live Migration", f"vm{i:04d}:VM Live Migration", c)
            for i in range(50) for c in _VM_COUNTERS]
    cols += [("HV01", "Hyper-V Virtual Storage Device", f"C:-ClusterStorage-Volume1-vm{i:04d}"
              f"-vm{i:04d}.vhdx", c) for i in range(50) for c in _VSD_COUNTERS]
    return cols[:COLS]


FIVE = [r"\\HV01\Hyper-V VM Live Migration(vm0007:VM Live Migration)\Transfer Pass: Number",
        r"\\HV01\Hyper-V VM Live Migration(vm0007:VM Live Migration)\TCP Transport: Bytes "
        r"Sent/sec",
        r"\\HV01\Hyper-V VM Live Migration(vm0023:VM Live Migration)\Transfer pass: Dirty "
        r"Page Count",
        r"\\HV01\Hyper-V Virtual Storage Device(C:-ClusterStorage-Volume1-vm0031-vm0031.vhdx)"
        r"\Write Bytes/sec",
        r"\\HV01\Hyper-V Virtual Storage Device(C:-ClusterStorage-Volume1-vm0049-vm0049.vhdx)"
        r"\Latency"]


def make_log(path: Path) -> float:
    """Write the big log with hv.write_perflog; return the time it took [s]."""
    import hvlab as hv
    rng = np.random.default_rng(2012)
    values = np.round(rng.lognormal(4.0, 2.5, size=(ROWS, COLS)), 5)
    values[rng.random((ROWS, COLS)) < 0.25] = 0.0
    values[0, ::2] = np.nan           # rate counters have no first sample
    values[rng.random((ROWS, COLS)) < 0.001] = np.nan  # instances that come and go
    index = pd.date_range("2026-01-05 08:00:00.123", periods=ROWS, freq="s",
                          tz="Europe/Berlin")
    df = pd.DataFrame(values, index=index,
                      columns=pd.MultiIndex.from_tuples(columns(),
                                                        names=hv.perflog.vocabulary.LEVELS))
    start = time.perf_counter()
    hv.write_perflog(df, path, timezone="W. Europe Standard Time")
    return time.perf_counter() - start


_CHILD = r"""
import json, resource, sys, time
import pandas as pd
import hvlab as hv
path, kind = sys.argv[1], sys.argv[2]
five = json.loads(sys.argv[3])
small = sys.argv[4]
pd.read_csv(small, na_values=[" "]); hv.read_perflog(small)   # warm up code paths

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
elif kind == "read_perflog":
    df, meta = hv.read_perflog(path)
elif kind == "read_perflog-5":
    df, meta = hv.read_perflog(path, counters=five)
else:
    raise SystemExit("unknown reader " + kind)
seconds = time.perf_counter() - start
peak = status("VmHWM")
print(json.dumps({"s": seconds, "peak_mib": (peak - base) / 1024, "shape": list(df.shape)}))
"""


def measure(path: Path, small: Path, kind: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path), kind, json.dumps(FIVE),
                          str(small)], capture_output=True, text=True, env=env, timeout=600)
    if out.returncode:
        raise RuntimeError(f"{kind} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run() -> list[dict]:
    kinds = ["pandas-c", "pandas-pyarrow", "read_perflog", "read_perflog-5"]
    with tempfile.TemporaryDirectory(prefix="hvlab-bench-perflog-") as tmp:
        path, small = Path(tmp) / "DataCollector01.csv", Path(tmp) / "small.csv"
        write_s = make_log(path)
        size_mib = path.stat().st_size / MIB
        import hvlab as hv
        df, _ = hv.read_perflog(path, counters=FIVE[:2])
        hv.write_perflog(df.iloc[:20], small)
        times = {k: [] for k in kinds}
        peaks = {k: [] for k in kinds}
        for _ in range(ROUNDS):
            for kind in kinds:
                r = measure(path, small, kind)
                times[kind].append(r["s"])
                peaks[kind].append(r["peak_mib"])
                if kind == "read_perflog":
                    assert tuple(r["shape"]) == (ROWS, COLS), r["shape"]
                if kind == "read_perflog-5":
                    assert tuple(r["shape"]) == (ROWS, 5), r["shape"]
    t = {k: min(v) for k, v in times.items()}
    m = {k: max(v) for k, v in peaks.items()}
    frame_mib = ROWS * COLS * 8 / MIB
    case = f"{ROWS:,} x {COLS:,} PDH-CSV, {size_mib:.0f} MiB"
    return [
        dict(group="perflog", figure=f"pandas.read_csv C engine ({case})", value=t["pandas-c"],
             unit="s"),
        dict(group="perflog", figure="pandas.read_csv pyarrow engine", value=t["pandas-pyarrow"],
             unit="s", anchor="pandas C engine", anchor_value=t["pandas-c"]),
        dict(group="perflog", figure="hv.read_perflog, all counters", value=t["read_perflog"],
             unit="s", anchor="pandas C engine", anchor_value=t["pandas-c"],
             target="<= 1.5x the C engine"),
        dict(group="perflog", figure="hv.read_perflog time / pandas C engine",
             value=t["read_perflog"] / t["pandas-c"], unit="x", target="<= 1.5"),
        dict(group="perflog", figure="hv.read_perflog peak memory", value=m["read_perflog"],
             unit="MiB", anchor="float64 frame", anchor_value=frame_mib,
             target=f"<= 2.5x the frame ({2.5 * frame_mib:.0f} MiB)"),
        dict(group="perflog", figure="pandas.read_csv C engine peak memory",
             value=m["pandas-c"], unit="MiB", anchor="float64 frame", anchor_value=frame_mib),
        dict(group="perflog", figure="pandas.read_csv pyarrow engine peak memory",
             value=m["pandas-pyarrow"], unit="MiB", anchor="float64 frame",
             anchor_value=frame_mib),
        dict(group="perflog", figure="hv.read_perflog, counters= 5 paths",
             value=t["read_perflog-5"], unit="s", anchor="hv.read_perflog, all counters",
             anchor_value=t["read_perflog"]),
        dict(group="perflog", figure="speed-up of counters= 5 over all counters",
             value=t["read_perflog"] / t["read_perflog-5"], unit="x", target=">= 3"),
        dict(group="perflog", figure="hv.write_perflog, same frame", value=write_s, unit="s"),
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
