"""Decoding PerfMon binary logs (issue 13, Performance).

A .blg shaped like a busy Hyper-V host's Data Collector Set (real-shaped records: wildcard
counters whose samples carry every instance's name, as Windows writes them) is written with
`write_blg` in a temporary folder, at least 50 MB: 50 VMs x 17 Live Migration counters, 50
virtual disks x 3 storage counters, 16 logical processors, 4 NICs x 2, 8 Memory counters
(1,024 columns, samples split over two events as Windows splits large ones). The same samples
are written as PDH-CSV with `write_perflog`, and both are read with `hv.read_perflog`:

- decoding the .blg, per sample, against reading the PDH-CSV of the same samples, per sample
  (target: no slower);
- ``counters=`` with 5 paths on the .blg (the rest is never gathered or cooked).

Times are the best of three rounds, the readers interleaved, in this process.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_perflog import _VM_COUNTERS as VM_COUNTERS  # the same 17 counters

ROUNDS = 3
MIB = 2**20
TARGET_MIB = 50
QPC = 10_000_000
STEP = 15  # [s]
FIVE = [r"\\HV01\Hyper-V VM Live Migration(vm0007:VM Live Migration)\Transfer Pass: Number",
        r"\\HV01\Hyper-V VM Live Migration(vm0023:VM Live Migration)\Memory Walker: Bytes "
        r"Read/sec",
        r"\\HV01\Processor(3)\% Processor Time", r"\\HV01\Memory\Available MBytes",
        r"\\HV01\Network Interface(nic2)\Bytes Sent/sec"]


def counters(n: int, rng):
    """The raw counters of `n` samples."""
    from hvlab.perflog.blg import RawCounter

    k = np.arange(n, dtype=np.int64)[:, None]
    perf = 5_000_000 + k[:, 0] * STEP * QPC
    t100 = 131_000_000_000_000_000 + k[:, 0] * STEP * 10**7

    def rising(width, rate):  # cumulative counts with random per-interval increments
        return np.cumsum(rng.integers(0, rate * STEP, size=(n, width)), axis=0)

    vms = [f"vm{i:04d}:VM Live Migration" for i in range(50)]
    vhds = [f"C:-ClusterStorage-Volume1-vm{i:04d}-vm{i:04d}.vhdx" for i in range(50)]
    out = []
    for name in VM_COUNTERS:
        rate = name.endswith("/sec")
        out.append(RawCounter(
            rf"\\HV01\Hyper-V VM Live Migration(*)\{name}",
            "PERF_COUNTER_BULK_COUNT" if rate else "PERF_COUNTER_LARGE_RAWCOUNT",
            first=rising(50, 10**8) if rate else rng.integers(0, 10, size=(n, 50)),
            second=perf, time_base=QPC, instances=vms))
    for name in ("Read Bytes/sec", "Write Bytes/sec"):
        out.append(RawCounter(rf"\\HV01\Hyper-V Virtual Storage Device(*)\{name}",
                              "PERF_COUNTER_BULK_COUNT", first=rising(50, 10**7), second=perf,
                              time_base=QPC, instances=vhds))
    ops = rising(50, 500)
    out.append(RawCounter(r"\\HV01\Hyper-V Virtual Storage Device(*)\Latency",
                          "PERF_AVERAGE_TIMER", first=ops * rng.integers(1000, 90000),
                          second=ops, time_base=QPC, instances=vhds))
    out.append(RawCounter(r"\\HV01\Processor(*)\% Processor Time", "PERF_100NSEC_TIMER_INV",
                          first=rising(16, 10**7), second=t100,
                          instances=[str(i) for i in range(15)] + ["_Total"]))
    for name in ("Bytes Sent/sec", "Bytes Received/sec"):
        out.append(RawCounter(rf"\\HV01\Network Interface(*)\{name}", "PERF_COUNTER_BULK_COUNT",
                              first=rising(4, 10**8), second=perf, time_base=QPC,
                              instances=[f"nic{i}" for i in range(4)]))
    for name in ("Available MBytes", "Committed Bytes", "Cache Bytes", "Pool Paged Bytes",
                 "Pool Nonpaged Bytes", "Free System Page Table Entries", "Modified Page List "
                 "Bytes", "Standby Cache Normal Priority Bytes"):
        out.append(RawCounter(rf"\\HV01\Memory\{name}", "PERF_COUNTER_LARGE_RAWCOUNT",
                              first=rng.integers(10**6, 10**9, size=n)))
    return out


def make_logs(folder: Path) -> tuple[Path, Path, int, float]:
    """(blg, csv, samples, seconds write_blg took) with a .blg of at least 50 MB."""
    import hvlab as hv
    from hvlab.perflog.blg import write_blg

    rng = np.random.default_rng(2012)
    probe = folder / "probe.blg"
    write_blg(probe, pd.date_range("2026-01-05 08:00", periods=20, freq=f"{STEP}s"),
              counters(20, rng))
    per_sample = (probe.stat().st_size - 65536) / 20
    n = int(TARGET_MIB * 1e6 / per_sample) + 50
    times = pd.date_range("2026-01-05 08:00", periods=n, freq=f"{STEP}s")
    blg = folder / "DataCollector01.blg"
    start = time.perf_counter()
    write_blg(blg, times, counters(n, rng), timezone="W. Europe Standard Time", bias_min=-60)
    write_s = time.perf_counter() - start
    df, _ = hv.read_perflog(blg)
    csv = folder / "DataCollector01.csv"
    hv.write_perflog(df, csv)
    return blg, csv, n, write_s


def run() -> list[dict]:
    import hvlab as hv

    with tempfile.TemporaryDirectory(prefix="hvlab-bench-blg-") as tmp:
        blg, csv, n, write_s = make_logs(Path(tmp))
        blg_mb, csv_mb = blg.stat().st_size / 1e6, csv.stat().st_size / 1e6
        t = {"blg": [], "csv": [], "blg-5": []}
        for _ in range(ROUNDS):
            for kind in t:
                start = time.perf_counter()
                if kind == "blg":
                    df, meta = hv.read_perflog(blg)
                elif kind == "csv":
                    ref, _ = hv.read_perflog(csv)
                else:
                    five, _ = hv.read_perflog(blg, counters=FIVE)
                t[kind].append(time.perf_counter() - start)
        assert df.shape == ref.shape and five.shape[1] == 5
        np.testing.assert_allclose(df.to_numpy(), ref.to_numpy(), rtol=1e-12)
    best = {k: min(v) for k, v in t.items()}
    per = {k: v / n * 1e3 for k, v in best.items()}
    case = f"{n:,} samples x {df.shape[1]:,} counters: .blg {blg_mb:.0f} MB, PDH-CSV {csv_mb:.0f} MB"
    return [
        dict(group="blg", figure=f"hv.read_perflog(.blg) ({case})", value=best["blg"], unit="s"),
        dict(group="blg", figure="per sample, .blg", value=per["blg"], unit="ms",
             anchor="per sample, same samples from PDH-CSV", anchor_value=per["csv"],
             target="<= the PDH-CSV's"),
        dict(group="blg", figure=".blg time / PDH-CSV time", value=best["blg"] / best["csv"],
             unit="x", target="<= 1"),
        dict(group="blg", figure=".blg decoding rate", value=blg_mb / best["blg"], unit="MB/s"),
        dict(group="blg", figure="hv.read_perflog(.blg, counters= 5 paths)",
             value=best["blg-5"], unit="s", anchor="all counters", anchor_value=best["blg"]),
        dict(group="blg", figure="write_blg, same samples", value=write_s, unit="s"),
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
