"""A cluster's hosts and VMs for maintenance planning: `read_cluster` reads them from two CSV
files, `check_cluster` checks lists built in code.

Hosts file (one host per row; header row, any order, case-insensitive):

=======================  ========  ===================================================
column                   required  meaning
=======================  ========  ===================================================
name                     yes       host name (unique)
memory_gib               yes       physical memory [GiB]
cores                    yes       logical processors [cores]
link_gbps                yes       live-migration NIC line rate [Gbit/s]
nics                     no        live-migration NICs (default 1)
rdma                     no        the NICs do RDMA: yes/no, true/false, 1/0 (default no)
reserve_gib              no        memory kept for the parent partition [GiB] (default 8)
storage_name             no        the host's local array's name (default "<host>-local")
storage_read_mib_s       no        local array sequential reads [MiB/s]
storage_write_mib_s      no        local array sequential writes [MiB/s]
storage_iops             no        local array I/O operations [1/s]
storage_latency_ms       no        local array service latency [ms]
=======================  ========  ===================================================

VMs file: the columns of `hvlab.read_inventory` plus ``host`` (required: the host the VM runs
on now) and ``blackout_limit_s`` (optional: the longest blackout it may suffer [s]). An empty
``dirty_rate_mib_s`` is allowed when performance logs are given: the VM then takes the dirty
rate `hvlab.perflog.estimate` fits to its migrations in the logs.

Every error names the file, the line (as a text editor numbers it) and the column.
"""
from __future__ import annotations

import warnings
from typing import Sequence

from hvlab.inventory import (OPTIONAL, REQUIRED, InventoryError, number_cell, read_table,
                             vm_from_cells)
from hvlab.params import VM, Host, Link, Storage
from hvlab.physics.storage_io import guest_demand_frac

HOST_REQUIRED = ("name", "memory_gib", "cores", "link_gbps")
HOST_OPTIONAL = ("nics", "rdma", "reserve_gib", "storage_name", "storage_read_mib_s",
                 "storage_write_mib_s", "storage_iops", "storage_latency_ms")
VM_REQUIRED = REQUIRED + ("host",)
VM_OPTIONAL = OPTIONAL + ("blackout_limit_s",)
_STORAGE_FIELDS = {"storage_read_mib_s": "read_mib_s", "storage_write_mib_s": "write_mib_s",
                   "storage_iops": "iops", "storage_latency_ms": "base_latency_ms"}
_TRUE, _FALSE = ("yes", "true", "1", "y"), ("no", "false", "0", "n")


class ClusterError(ValueError):
    """A cluster that cannot be planned: a bad file (the message names file, line and column)
    or hosts and VMs that do not fit together (the message names the VM or host)."""


def read_cluster(hosts_csv, vms_csv, *, perflogs=None) -> tuple[list[Host], list[VM]]:
    """Read a cluster's hosts and VMs (see the module notes for the columns).

    Parameters
    ----------
    hosts_csv, vms_csv : str, os.PathLike or file-like
        The two CSV files (UTF-8).
    perflogs : str, os.PathLike or list, optional
        Performance logs (a folder, a glob or files, as `hvlab.read_perflogs` takes them).
        VMs with an empty ``dirty_rate_mib_s`` take the highest dirty rate
        `hvlab.perflog.estimate` fits to their live migrations in these logs (the busiest
        hour seen is the safe one to plan with). A `UserWarning` says which VMs took a rate
        from which log and how many files could not be read.

    Returns
    -------
    (list of Host, list of VM)
        In file order; each VM's ``host`` names one of the hosts.

    Raises
    ------
    ClusterError (a ValueError)
        Anything `hvlab.read_inventory` refuses, and: a bad host row, duplicate host names, a
        VM on an unknown host, an empty dirty rate with no logs (or no migration of that VM
        in them), a VM larger than every host, hosts that do not hold their VMs now. The
        message names the file, the line and the column.
    """
    try:
        hsource, hrows = read_table(hosts_csv, HOST_REQUIRED, HOST_OPTIONAL, what="hosts")
        hosts, host_line = _hosts_from_rows(hsource, hrows)
        vsource, vrows = read_table(vms_csv, VM_REQUIRED, VM_OPTIONAL, what="VMs")
    except InventoryError as exc:
        raise ClusterError(str(exc)) from None
    first_line: dict[str, int] = {}
    vms: list[VM] = []
    missing_rate: dict[str, int] = {}
    for line, cells in vrows:
        where = f"{vsource} line {line}"
        if cells.get("host", "") and cells["host"] not in host_line:
            raise ClusterError(f"{where}, column host: unknown host {cells['host']!r}; the hosts "
                               f"file ({hsource}) names {', '.join(host_line)}")
        if not cells.get("dirty_rate_mib_s", "") and cells.get("name", ""):
            if perflogs is None:
                raise ClusterError(f"{where}, column dirty_rate_mib_s: empty; give the VM's "
                                   "memory dirty rate [MiB/s], or pass perflogs=... (CLI: "
                                   "--perflogs) so that it is estimated from its migrations")
            missing_rate[cells["name"]] = line
        try:
            vms.append(vm_from_cells(cells, vsource, line, first_line,
                                     may_be_empty=("dirty_rate_mib_s",),
                                     text_columns=("name", "storage", "host")))
        except InventoryError as exc:
            raise ClusterError(str(exc)) from None
    if missing_rate:
        vms = _rates_from_logs(vms, missing_rate, perflogs, vsource)
    check_cluster(hosts, vms, where={vm.name: f"{vsource} line {first_line[vm.name]}"
                                     for vm in vms})
    return hosts, vms


def _flag(text: str, source: str, line: int, column: str) -> bool:
    low = text.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ClusterError(f"{source} line {line}, column {column}: {text!r} is not yes or no; "
                       "write yes/no, true/false or 1/0")


def _hosts_from_rows(source: str, rows: list) -> tuple[list[Host], dict[str, int]]:
    hosts: list[Host] = []
    first: dict[str, int] = {}
    for line, cells in rows:
        where = f"{source} line {line}"
        for col in HOST_REQUIRED:
            if not cells.get(col, ""):
                raise ClusterError(f"{where}, column {col}: empty; {col} is required")
        name = cells["name"]
        if name in first:
            raise ClusterError(f"{where}, column name: duplicate host name {name!r} (first on "
                               f"line {first[name]}); host names must be unique")
        num = {col: number_cell(cells[col], source, line, col) for col in cells
               if cells[col] and col not in ("name", "rdma", "storage_name")}
        column = "link_gbps"
        try:
            link = Link(gbps=num["link_gbps"], nics=int(num.get("nics", 1)),
                        rdma=_flag(cells["rdma"], source, line, "rdma")
                        if cells.get("rdma") else False)
            column = "storage"
            storage = Storage(name=cells.get("storage_name") or f"{name}-local",
                              **{field: num[col] for col, field in _STORAGE_FIELDS.items()
                                 if col in num})
            column = None
            host = Host(name=name, memory_gib=num["memory_gib"], cores=int(num["cores"]),
                        link=link, storage=storage,
                        **({"reserve_gib": num["reserve_gib"]} if "reserve_gib" in num else {}))
        except InventoryError as exc:
            raise ClusterError(str(exc)) from None
        except (ValueError, TypeError) as exc:
            field = str(exc).split(" ", 1)[0]
            column = column or field.split(".")[-1]
            raise ClusterError(f"{where}, column {column}: {exc}") from None
        if not float(num["cores"]).is_integer():
            raise ClusterError(f"{where}, column cores: {cells['cores']!r} is not a whole number")
        hosts.append(host)
        first[name] = line
    return hosts, first


def _rates_from_logs(vms: list[VM], missing: dict[str, int], perflogs, source: str) -> list[VM]:
    """Fill the empty dirty rates from the VMs' migrations in the logs."""
    import dataclasses

    from hvlab.perflog import estimate, find_migrations, read_perflog
    from hvlab.perflog.multi import expand_paths

    files = expand_paths(perflogs)
    if not files:
        raise ClusterError(f"perflogs={perflogs!r} names no .csv or .tsv file; give a folder, "
                           "a glob or the files of the hosts' performance logs")
    found: dict[str, tuple[float, str]] = {}
    unreadable: list[str] = []
    for path in files:
        try:
            df, _ = read_perflog(path)
            migrations = find_migrations(df)
        except (ValueError, OSError) as exc:
            unreadable.append(f"{path} ({type(exc).__name__}: {str(exc)[:80]})")
            continue
        for i in range(len(migrations)):
            row = migrations.iloc[i]
            name = str(row.get("vm"))
            if name not in missing or row.get("source") != "counters":
                continue
            try:
                rate = float(estimate(df, row).dirty_rate_mib_s)
            except ValueError:
                continue
            if rate == rate and rate > found.get(name, (-1.0, ""))[0]:
                found[name] = (rate, str(path))
    lost = [name for name in missing if name not in found]
    if lost:
        name = lost[0]
        raise ClusterError(
            f"{source} line {missing[name]}, column dirty_rate_mib_s: empty, and the "
            f"{len(files)} log file(s) hold no live migration of VM {name!r} whose dirty rate "
            f"could be estimated ({len(lost)} such VM(s): {', '.join(lost[:5])}); give the "
            "rate, or logs of a migration of the VM (the source host's Hyper-V VM Live "
            "Migration counters)"
            + (f"; {len(unreadable)} file(s) could not be read: {'; '.join(unreadable[:3])}"
               if unreadable else ""))
    took = ", ".join(f"{n} {r:.1f} MiB/s ({p})" for n, (r, p) in found.items())
    warnings.warn(f"dirty rates estimated from performance logs: {took}"
                  + (f"; {len(unreadable)} of {len(files)} file(s) could not be read: "
                     f"{'; '.join(unreadable)}" if unreadable else ""), UserWarning,
                  stacklevel=3)
    return [dataclasses.replace(vm, dirty_rate_mib_s=found[vm.name][0])
            if vm.name in found else vm for vm in vms]


def check_cluster(hosts: Sequence[Host], vms: Sequence[VM], *, where: dict | None = None
                  ) -> None:
    """Check that hosts and VMs make a cluster that can be planned.

    Parameters
    ----------
    hosts : sequence of Host
        At least two, unique names.
    vms : sequence of VM
        Unique names, each with ``host`` naming one of `hosts`.
    where : dict, optional
        {VM name: "file line N"} to put in messages (`read_cluster`).

    Raises
    ------
    ClusterError (a ValueError)
        Duplicate names, a VM without a host or on an unknown host, a VM larger than every
        host's memory for VMs, a VM that fits on no host but its own (it could never be
        drained), a host whose VMs already take more than its memory for VMs, or whose local
        VMs' I/O already asks more than all of its array's time.
    TypeError
        For items that are not `Host` or `VM`.
    """
    where = where or {}
    hosts, vms = list(hosts), list(vms)
    for i, h in enumerate(hosts):
        if not isinstance(h, Host):
            raise TypeError(f"hosts[{i}] must be a hvlab.Host, got {type(h).__name__} {h!r:.60}")
    if len(hosts) < 2:
        raise ClusterError(f"a cluster needs at least two hosts to drain one, got {len(hosts)}")
    seen: dict[str, int] = {}
    for i, h in enumerate(hosts):
        if h.name in seen:
            raise ClusterError(f"hosts[{i}] and hosts[{seen[h.name]}] are both named "
                               f"{h.name!r}; host names must be unique")
        seen[h.name] = i
    by_name = {h.name: h for h in hosts}
    biggest = max(h.vm_memory_gib for h in hosts)
    used = {h.name: 0.0 for h in hosts}
    array = {h.name: 0.0 for h in hosts}
    vm_seen: dict[str, int] = {}
    for i, vm in enumerate(vms):
        if not isinstance(vm, VM):
            raise TypeError(f"vms[{i}] must be a hvlab.VM, got {type(vm).__name__} {vm!r:.60}")
        at = where.get(vm.name, f"vms[{i}]")
        if vm.name in vm_seen:
            raise ClusterError(f"{at}: vms[{i}] and vms[{vm_seen[vm.name]}] are both named "
                               f"{vm.name!r}; VM names must be unique in the cluster")
        vm_seen[vm.name] = i
        if vm.host is None:
            raise ClusterError(f"{at}: VM {vm.name!r} has no host; set VM.host to the host it "
                               "runs on now")
        if vm.host not in by_name:
            raise ClusterError(f"{at}: VM {vm.name!r} is on unknown host {vm.host!r}; the hosts "
                               f"are {', '.join(by_name)}")
        if vm.assigned_gib > biggest:
            raise ClusterError(
                f"{at}: VM {vm.name!r} needs {vm.assigned_gib:g} GiB but the largest host has "
                f"{biggest:g} GiB for VMs (memory_gib less reserve_gib); no host can hold it")
        others = max(h.vm_memory_gib for h in hosts if h.name != vm.host)
        if vm.assigned_gib > others:
            raise ClusterError(
                f"{at}: VM {vm.name!r} needs {vm.assigned_gib:g} GiB but no host other than "
                f"{vm.host!r} has that much for VMs (at most {others:g} GiB): draining "
                f"{vm.host!r} would have nowhere to put it; add memory or shrink the VM")
        used[vm.host] += vm.assigned_gib
        if vm.storage == "local":
            array[vm.host] += guest_demand_frac(vm, by_name[vm.host].storage)
    for h in hosts:
        if array[h.name] >= 1.0:
            raise ClusterError(
                f"host {h.name!r}: its local VMs' own I/O asks {array[h.name]:.0%} of its "
                f"array {h.storage.name!r}'s time; an array cannot serve more than 100 %: "
                "check the VMs' disk_iops and disk_*_mib_s and the host's storage_* columns")
        if used[h.name] > h.vm_memory_gib + 1e-9:
            raise ClusterError(
                f"host {h.name!r} holds {used[h.name]:g} GiB of VMs but has only "
                f"{h.vm_memory_gib:g} GiB for VMs (memory_gib {h.memory_gib:g} less reserve_gib "
                f"{h.reserve_gib:g}); check the VMs' host column and the host's memory")


__all__ = ["read_cluster", "check_cluster", "ClusterError", "HOST_REQUIRED", "HOST_OPTIONAL",
           "VM_REQUIRED", "VM_OPTIONAL"]
