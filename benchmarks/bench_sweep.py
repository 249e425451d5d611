"""hv.sweep over 200 live-migration scenarios: serially, with 2 worker processes, and on a Dask
LocalCluster of 2 worker processes (issue 6). Every back end must give the identical frame.

Grid: an 8 GiB VM, dirty rate 0, 10, ..., 190 MiB/s (20 values) x link 1, 2, ..., 10 Gbps
(10 values), WS2012.
"""
from __future__ import annotations

import time

import pandas as pd

import hvlab as hv

GRID = {"vm.dirty_rate_mib_s": list(range(0, 200, 10)), "link.gbps": list(range(1, 11))}
BASE = {"vm": hv.VM(name="bench8", memory_gib=8), "settings": hv.WS2012}


def timed(call):
    start = time.perf_counter()
    out = call()
    return time.perf_counter() - start, out


def same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    try:
        pd.testing.assert_frame_equal(a, b)
    except AssertionError:
        return False
    return True


def run() -> list[dict]:
    group = "sweep, 200 live migrations"
    n = len(GRID["vm.dirty_rate_mib_s"]) * len(GRID["link.gbps"])
    serial_s, serial = timed(lambda: hv.sweep("live", GRID, base=BASE, progress=False))
    assert len(serial) == n and serial["error"].isna().all()
    pool_s, pooled = timed(lambda: hv.sweep("live", GRID, base=BASE, n_jobs=2, progress=False))
    rows = [
        {"group": group, "figure": "serial (n_jobs=1)", "value": serial_s, "unit": "s",
         "target": "the anchor of the two below"},
        {"group": group, "figure": "serial, per scenario", "value": serial_s / n * 1e3,
         "unit": "ms"},
        {"group": group, "figure": "2 processes (n_jobs=2)", "value": pool_s, "unit": "s",
         "anchor": "serial", "anchor_value": serial_s, "target": "about 0.5x serial on 2 cores"},
        {"group": group, "figure": "2 processes: frame identical to serial",
         "value": same(pooled, serial), "unit": "bool", "target": "yes"},
    ]

    from distributed import Client, LocalCluster

    start_s, cluster = timed(lambda: LocalCluster(n_workers=2, threads_per_worker=1,
                                                  processes=True, dashboard_address=None))
    with cluster, Client(cluster) as client:
        cold_s, cold = timed(lambda: hv.sweep("live", GRID, base=BASE, client=client,
                                              progress=False))
        warm_s, warm = timed(lambda: hv.sweep("live", GRID, base=BASE, client=client,
                                              progress=False))
    rows += [
        {"group": group, "figure": "Dask LocalCluster, 2 workers (warm)", "value": warm_s,
         "unit": "s", "anchor": "serial", "anchor_value": serial_s,
         "target": "about 0.5x serial on 2 cores"},
        {"group": group, "figure": "Dask, first sweep (workers import hvlab)", "value": cold_s,
         "unit": "s", "anchor": "serial", "anchor_value": serial_s},
        {"group": group, "figure": "Dask LocalCluster start-up", "value": start_s, "unit": "s"},
        {"group": group, "figure": "Dask: frame identical to serial",
         "value": same(warm, serial) and same(cold, serial), "unit": "bool", "target": "yes"},
    ]
    return rows + drain_rows()


def drain_rows() -> list[dict]:
    """hvlab sweep drain ... --max-live 1,2,4,8 on 40 VMs over 10 GbE: compute time, and each
    concurrency's drain time beside the one-at-a-time drain."""
    group = "sweep, drain 40 VMs at max-live 1,2,4,8"
    if not hasattr(hv, "drain_host"):
        return [{"group": group, "figure": "hv.drain_host not available in this hvlab",
                 "value": None, "unit": ""}]
    vms = [hv.VM(name=f"vm{i:02d}", memory_gib=2 + i % 7 * 2, dirty_rate_mib_s=i % 5 * 15)
           for i in range(40)]
    levels = [1, 2, 4, 8]
    took, frame = timed(lambda: hv.sweep("drain", {"settings.max_live_migrations": levels},
                                         base={"vms": vms, "link": hv.Link(gbps=10)},
                                         progress=False))
    rows = [{"group": group, "figure": "compute, 4 drains (serial)", "value": took,
             "unit": "s"}]
    if frame["error"].notna().any():
        rows.append({"group": group, "figure": "FAILED scenario", "value": None, "unit": "",
                     "anchor": str(frame["error"].dropna().iloc[0])[:160]})
        return rows
    one = float(frame.loc[0, "total_s"])
    for level, total in zip(levels, frame["total_s"]):
        rows.append({"group": group, "figure": f"drain time, max-live {level}",
                     "value": float(total), "unit": "s", "anchor": "max-live 1",
                     "anchor_value": one})
    return rows


if __name__ == "__main__":
    for r in run():
        print(r)
