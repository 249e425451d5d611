"""Make the sample performance logs in data/ from the hvlab models (``make data``).

Every file is what the model says a Windows Server 2012 Hyper-V host would have logged: PDH-CSV
4.0, every field quoted, CRLF, cp1252, a time-zone header. The runs are deterministic (fixed
parameters, fixed start times, seeded NIC background traffic), so running this again gives the
same bytes; tests/perflog/test_perflog_analysis.py checks that it does and that the logs hold
what data/README.md says.

    python data/make_samples.py            # write every sample into data/
    python data/make_samples.py --out DIR  # somewhere else
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import hvlab as hv
from hvlab.perflog import simulate

HERE = Path(__file__).resolve().parent


def busy_sql_live(path: Path) -> dict:
    """A busy SQL Server VM live-migrating over 1 GbE between WS2012 cluster nodes."""
    vm = hv.VM(name="sql01", memory_gib=16, dirty_rate_mib_s=45)
    result = hv.live_migration(vm, hv.Link(gbps=1), hv.WS2012)
    simulate.result_to_perflog(
        result, path, host="HV01", start=pd.Timestamp("2013-03-12 21:30:00"),
        interval_s=1.0, destination="HV02", lead_s=30, tail_s=30, background_mib_s=3.0,
        noise_frac=0.5, seed=1, timezone="W. Europe Standard Time", bias_min=-60)
    return {"vm": vm, "result": result}


def struggling_storage(path: Path) -> dict:
    """A storage live migration off an array that is already 73% busy (WS2012)."""
    vm = hv.VM(name="sql02", memory_gib=12, disk_gib=40, disk_read_mib_s=10,
               disk_write_mib_s=6, disk_iops=300)
    old = hv.Storage(name="old-array", read_mib_s=160, write_mib_s=120, iops=2500,
                     base_latency_ms=6, load_frac=0.5)
    new = hv.Storage(name="new-array", read_mib_s=600, write_mib_s=500, iops=40000,
                     base_latency_ms=2)
    result = hv.storage_migration(vm, old, new, hv.WS2012)
    simulate.result_to_perflog(
        result, path, host="HV03", start=pd.Timestamp("2013-04-02 10:15:00"), interval_s=5.0,
        lead_s=300, tail_s=300, vhd=r"C:\ClusterStorage\Volume1\sql02\sql02.vhdx",
        source_disk="3 E:", target_disk="5 G:", timezone="Eastern Standard Time", bias_min=300)
    return {"vm": vm, "result": result}


def shared_nothing(path: Path) -> dict:
    """A Shared Nothing Live Migration between two stand-alone hosts over 1 Gbps."""
    vm = hv.VM(name="app02", memory_gib=6, dirty_rate_mib_s=20, disk_gib=30,
               disk_read_mib_s=4, disk_write_mib_s=2, disk_iops=150, storage="local")
    local = hv.Storage(name="hv04-d", read_mib_s=300, write_mib_s=250, iops=5000)
    remote = hv.Storage(name="hv05-d", read_mib_s=300, write_mib_s=250, iops=5000)
    result = hv.shared_nothing_migration(vm, hv.Link(gbps=1), local, remote, hv.WS2012)
    simulate.result_to_perflog(
        result, path, host="HV04", start=pd.Timestamp("2013-05-20 18:00:00"), interval_s=1.0,
        destination="HV05", lead_s=20, tail_s=20, background_mib_s=1.0, noise_frac=0.5,
        seed=2, timezone="GMT Standard Time", bias_min=0)
    return {"vm": vm, "result": result}


def drain(path: Path) -> dict:
    """Draining HV01 of five VMs for maintenance, two at a time, to HV02 and HV03 (WS2012)."""
    vms = [hv.VM(name="sql01", memory_gib=16, dirty_rate_mib_s=45),
           hv.VM(name="web01", memory_gib=4, dirty_rate_mib_s=8),
           hv.VM(name="web02", memory_gib=4, dirty_rate_mib_s=8),
           hv.VM(name="app01", memory_gib=8, dirty_rate_mib_s=25),
           hv.VM(name="dc01", memory_gib=2, dirty_rate_mib_s=2)]
    result = hv.drain_host(vms, hv.Link(gbps=1), hv.WS2012)
    simulate.multihost_drain_to_perflog(
        result, path, source="HV01", destinations=["HV02", "HV03"],
        start=pd.Timestamp("2013-03-16 02:00:00"), interval_s=1.0, lead_s=30, tail_s=30,
        background_mib_s=2.0, noise_frac=0.5, seed=3, timezone="W. Europe Standard Time",
        bias_min=-60)
    return {"vms": vms, "result": result}


QPC = 10_000_000  # the performance-counter frequency written for the .blg sample [1/s]


def busy_sql_live_blg(path: Path) -> dict:
    """The busy SQL VM's live migration again, as the binary log (.blg) a Data Collector Set
    writes by default: the same model run as sql01_live_1gbe_ws2012.csv, its counters turned
    back into PDH raw values. A ``/sec`` counter becomes PERF_COUNTER_BULK_COUNT (a running
    byte count, rounded to whole bytes, and the performance-counter time), any other
    PERF_COUNTER_LARGE_RAWCOUNT; the migration's instance is left out of the samples where the
    model has none, as PDH logs an instance that comes and goes."""
    from hvlab.perflog.blg import RawCounter, write_blg

    csv = path.with_name(path.stem + "-frame.csv")
    info = busy_sql_live(csv)
    df, meta = hv.read_perflog(csv)
    csv.unlink()
    seconds = (df.index - df.index[0]).total_seconds().to_numpy()
    perf_time = (seconds * QPC).round().astype("int64") + 5 * QPC
    counters = []
    for (host, obj, counter), cols in df.T.groupby(level=[0, 1, 3], sort=False):
        block = df[list(cols.index)]
        values = block.to_numpy()
        present = ~block.isna().to_numpy()
        if counter.endswith("/sec"):
            # a rate is missing in the sample where its instance appears (no previous value),
            # though the instance is there: present where it or the next sample has a value
            following = np.vstack([values[1:], np.full((1, values.shape[1]), np.nan)])
            present = ~np.isnan(values) | ~np.isnan(following)
            steps = np.diff(seconds, prepend=seconds[0])[:, None]
            first = np.round(np.nancumsum(np.nan_to_num(values) * steps, axis=0))
            kind, second = "PERF_COUNTER_BULK_COUNT", perf_time
        else:
            first, kind, second = np.round(np.nan_to_num(values)), \
                "PERF_COUNTER_LARGE_RAWCOUNT", 0
        instances = [c[2] for c in cols.index]
        counters.append(RawCounter(
            rf"\\{host}\{obj}(*)\{counter}", kind, first=first.astype("int64"),
            second=second if np.ndim(second) == 0 else second[:, None], time_base=QPC,
            instances=instances, present=present))
    write_blg(path, df.index, counters, timezone=meta["timezone"], bias_min=meta["bias_min"],
              host_os="6.2.9200", perf_freq=QPC)
    return info


SAMPLES = {
    "sql01_live_1gbe_ws2012.csv": busy_sql_live,
    "sql02_storage_struggling_array.csv": struggling_storage,
    "app02_shared_nothing_1gbps.csv": shared_nothing,
    "hv01_drain_multihost.csv": drain,
    "sql01_live_1gbe_ws2012.blg": busy_sql_live_blg,
}


def make(out: Path = HERE, names=None) -> dict:
    """Write the samples (all, or those in `names`) into `out`; returns {name: info}."""
    out.mkdir(parents=True, exist_ok=True)
    done = {}
    for name, maker in SAMPLES.items():
        if names is not None and name not in names:
            continue
        done[name] = maker(out / name)
    return done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder (default: data/)")
    args = parser.parse_args(argv)
    for name in make(args.out):
        size = (args.out / name).stat().st_size
        print(f"{name}: {size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
