"""Make the example cluster in data/cluster/ (``make data``): 16 Windows Server 2012 R2 Hyper-V
hosts and their VMs, for `hv.read_cluster` and `hv.plan_maintenance`.

Illustrative figures for a mid-size 2013 site, not an inventory of a real one. The draw is
seeded, so running this again gives the same bytes (tests/planning/test_cluster.py checks it):

- hosts hv01-hv16: 256 or 384 GiB; hv01-hv12 on 10 GbE live-migration NICs, hv13-hv16 (an
  older rack) on two 1 GbE NICs; local arrays of SSD (hv01-hv08) or 10K SAS disks;
- about 20 VMs per host, roles with typical sizes: memory 2-64 GiB, dirty rates from idle
  domain controllers (1-3 MiB/s) to busy SQL Servers (60-250 MiB/s); 70 % on the cluster's
  shared volumes, 15 % on the SMB 3 file server, 15 % on the host's own disks; SQL and
  Exchange VMs have a 2 s blackout limit, some RDS hosts 5 s;
- sql01 and app02 are the VMs of the sample logs data/sql01_live_1gbe_ws2012.csv and
  data/app02_shared_nothing_1gbps.csv: `vms_logs.csv` is `vms.csv` with their dirty rates left
  empty, for `hv.read_cluster(..., perflogs=...)` to estimate.

    python data/make_cluster.py            # write into data/cluster/
    python data/make_cluster.py --out DIR  # somewhere else
"""
from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent / "cluster"
HOSTS = 16
SEED = 2013

# role: (share of VMs, memory choices [GiB], dirty rate range [MiB/s], disk [GiB], limit [s])
ROLES = {
    "sql": (0.10, (16, 24, 32, 48, 64), (60, 250), 200, 2.0),
    "exch": (0.06, (16, 24, 32), (30, 90), 300, 2.0),
    "sp": (0.06, (8, 12, 16), (10, 40), 80, None),
    "rds": (0.12, (8, 12, 16), (15, 60), 60, 5.0),
    "app": (0.26, (4, 6, 8), (3, 30), 60, None),
    "web": (0.22, (2, 4), (2, 15), 40, None),
    "file": (0.08, (4, 8), (1, 10), 500, None),
    "dc": (0.10, (2, 4), (1, 3), 40, None),
}
HOST_HEADER = ["name", "memory_gib", "cores", "link_gbps", "nics", "rdma", "reserve_gib",
               "storage_name", "storage_read_mib_s", "storage_write_mib_s", "storage_iops"]
VM_HEADER = ["name", "host", "memory_gib", "dirty_rate_mib_s", "disk_gib", "storage",
             "disk_read_mib_s", "disk_write_mib_s", "disk_iops", "blackout_limit_s"]
FROM_LOGS = {"sql01": "data/sql01_live_1gbe_ws2012.csv",
             "app02": "data/app02_shared_nothing_1gbps.csv"}


def hosts_rows() -> list[list]:
    rows = []
    for i in range(1, HOSTS + 1):
        ssd = i <= 8
        old = i > 12
        rows.append([f"hv{i:02d}", 384 if i % 4 == 1 else 256, 32 if old else 40,
                     1 if old else 10, 2 if old else 1, "no", 8,
                     f"hv{i:02d}-{'ssd' if ssd else 'sas'}",
                     1500 if ssd else 450, 1000 if ssd else 350, 60000 if ssd else 6000])
    return rows


def vms_rows(hosts: list[list]) -> list[list]:
    rng = np.random.default_rng(SEED)
    roles = list(ROLES)
    share = np.array([ROLES[r][0] for r in roles])
    counts = {r: 0 for r in roles}
    rows = []
    for host in hosts:
        name, memory = host[0], host[1]
        budget = 0.62 * (memory - host[6])  # fill to about 62 % of the memory for VMs
        used = 0.0
        while True:
            role = roles[rng.choice(len(roles), p=share / share.sum())]
            _, sizes, (lo, hi), disk, limit = ROLES[role]
            mem = float(rng.choice(sizes))
            if used + mem > budget:
                break
            counts[role] += 1
            vm = f"{role}{counts[role]:02d}"
            dirty = round(float(np.exp(rng.uniform(np.log(lo), np.log(hi)))), 1)
            where = rng.choice(["shared", "smb", "local"], p=[0.70, 0.15, 0.15])
            disk_gib = round(float(disk * rng.uniform(0.5, 1.5)))
            reads = round(float(rng.uniform(1, 20)), 1)
            writes = round(float(rng.uniform(0.5, 10)), 1)
            if vm == "sql01":  # the VM of data/sql01_live_1gbe_ws2012.csv
                mem, dirty, where = 16.0, 45.0, "shared"
            if vm == "app02":  # the VM of data/app02_shared_nothing_1gbps.csv
                mem, dirty, where, disk_gib, reads, writes = 6.0, 20.0, "local", 30, 4.0, 2.0
            rows.append([vm, name, f"{mem:g}", f"{dirty:g}", disk_gib, where, reads, writes,
                         round(reads * 10 + writes * 10), "" if limit is None else f"{limit:g}"])
            used += mem
    return rows


def _csv(header: list, rows: list, comment: str) -> bytes:
    buf = io.StringIO(newline="")
    buf.write(comment)
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def make(out: Path = HERE) -> dict:
    """Write hosts.csv, vms.csv and vms_logs.csv into `out`; returns {name: bytes}."""
    out.mkdir(parents=True, exist_ok=True)
    hosts = hosts_rows()
    vms = vms_rows(hosts)
    note = "# Example cluster made by data/make_cluster.py (illustrative, not measurements).\n"
    files = {"hosts.csv": _csv(HOST_HEADER, hosts, note),
             "vms.csv": _csv(VM_HEADER, vms, note)}
    blank = [[*r[:3], "" if r[0] in FROM_LOGS else r[3], *r[4:]] for r in vms]
    files["vms_logs.csv"] = _csv(
        VM_HEADER, blank, note + "# sql01 and app02 have no dirty rate: read_cluster(..., "
        "perflogs=...) estimates it from their sample logs in data/.\n")
    for name, data in files.items():
        (out / name).write_bytes(data)
    return files


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder (default: data/cluster/)")
    args = parser.parse_args(argv)
    for name, data in make(args.out).items():
        lines = data.count(b"\n")
        print(f"{name}: {lines} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
