"""Maintenance planning (issue 12): `hv.plan_maintenance` on clusters of 16 hosts / 400 VMs and
64 hosts / 2,000 VMs on 1 and 2 processes (and a local Dask cluster), and how the time grows
with VMs and with hosts.

The clusters are the example cluster's hosts and VMs (data/cluster/) cycled: host i is like
example host i mod 16 with 512 GiB, and VM j like example VM j mod 265, renamed, on host
j mod n_hosts, so every size has the same mix of sizes, dirty rates and storage.
"""
from __future__ import annotations

import dataclasses
import os
import resource
import time
from pathlib import Path

import hvlab as hv

ROOT = Path(__file__).resolve().parents[1]


def cluster(n_hosts: int, n_vms: int) -> tuple[list, list]:
    hosts0, vms0 = hv.read_cluster(ROOT / "data/cluster/hosts.csv",
                                   ROOT / "data/cluster/vms.csv")
    hosts = [dataclasses.replace(hosts0[i % len(hosts0)], name=f"hv{i + 1:03d}",
                                 memory_gib=512.0,
                                 storage=dataclasses.replace(hosts0[i % len(hosts0)].storage,
                                                             name=f"hv{i + 1:03d}-disk"))
             for i in range(n_hosts)]
    vms = [dataclasses.replace(vms0[j % len(vms0)], name=f"vm{j:05d}",
                               host=hosts[j % n_hosts].name) for j in range(n_vms)]
    return hosts, vms


def _cpu_s() -> float:
    """CPU time of this process and of its reaped worker processes [s]."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


CPU: dict = {}  # (n_hosts, n_vms, how) -> CPU seconds of the run, workers included


def timed_plan(n_hosts, n_vms, **kw) -> tuple[float, object]:
    """Wall-clock time of one plan [s] (its CPU time, workers included, goes to `CPU`: the
    machine is shared, and the CPU time shows the work whatever else runs)."""
    hosts, vms = cluster(n_hosts, n_vms)
    start, cpu = time.perf_counter(), _cpu_s()
    plan = hv.plan_maintenance(hosts, vms, hv.WS2012R2, blackout_limit_s=2.0, **kw)
    how = "Dask (this process only)" if "client" in kw else f"{kw.get('n_jobs', 1)} process(es)"
    CPU[(n_hosts, n_vms, how)] = _cpu_s() - cpu
    return time.perf_counter() - start, plan


def run() -> list[dict]:
    rows = []
    t1, plan = timed_plan(16, 400, n_jobs=1)
    t2, _ = timed_plan(16, 400, n_jobs=2)
    rows += [
        {"group": "plan 16 hosts / 400 VMs", "figure": "1 process", "value": t1, "unit": "s"},
        {"group": "plan 16 hosts / 400 VMs", "figure": "2 processes", "value": t2, "unit": "s",
         "anchor": "1 process", "anchor_value": t1, "target": "<= 10 s (issue 12)"},
        {"group": "plan 16 hosts / 400 VMs", "figure": "gain over the default policy",
         "value": 100 * plan.gain_s / plan.baseline_total_s, "unit": "%"},
        {"group": "plan 16 hosts / 400 VMs", "figure": "phase simulations",
         "value": float(plan.simulations), "unit": "drains"},
    ]
    try:
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as lc, Client(lc) as client:
            client.submit(sum, [1]).result()  # workers up before the clock starts
            td, _ = timed_plan(16, 400, client=client)
        rows.append({"group": "plan 16 hosts / 400 VMs", "figure": "Dask LocalCluster, 2 workers",
                     "value": td, "unit": "s", "anchor": "2 processes", "anchor_value": t2})
    except ImportError:  # pragma: no cover - dask is a dev dependency
        pass
    t64, _ = timed_plan(64, 2000, n_jobs=2)
    rows.append({"group": "plan 64 hosts / 2,000 VMs", "figure": "2 processes", "value": t64,
                 "unit": "s", "target": "<= 60 s (issue 12)"})
    # growth: VMs at 16 hosts, hosts at 400 VMs (2 processes)
    t200, _ = timed_plan(16, 200, n_jobs=2)
    t32, _ = timed_plan(32, 400, n_jobs=2)
    rows += [
        {"group": "growth (2 processes)", "figure": "16 hosts / 200 VMs", "value": t200,
         "unit": "s", "anchor": "16 hosts / 400 VMs", "anchor_value": t2},
        {"group": "growth (2 processes)", "figure": "32 hosts / 400 VMs", "value": t32,
         "unit": "s", "anchor": "16 hosts / 400 VMs", "anchor_value": t2},
    ]
    rows += [{"group": "CPU time, workers included", "figure": f"{h} hosts / {v} VMs, {how}",
              "value": cpu, "unit": "s"} for (h, v, how), cpu in CPU.items()]
    rows.append({"group": "machine", "figure": "load average (1 min) at the end",
                 "value": os.getloadavg()[0], "unit": "", "anchor": "cores",
                 "anchor_value": float(os.cpu_count() or 1)})
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
