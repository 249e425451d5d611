"""`hvlab storage`, `hvlab shared-nothing` and `hvlab drain`: storage moves and host draining
from the shell. Each prints a summary; ``--plot FILE`` saves the result's figure."""
from __future__ import annotations

import argparse

from hvlab.cli_models import (add_settings_arguments, add_vm_arguments, print_summary,
                              save_plot, settings_from_args)
from hvlab.params import GIB, VM, Link, Storage

_ARRAY = Storage()


def add_disk_arguments(parser: argparse.ArgumentParser) -> None:
    """Options describing the VM's files and its disk I/O."""
    g = parser.add_argument_group("VM storage")
    g.add_argument("--disk-gib", type=float, default=100.0,
                   help="virtual disks [GiB] (default: %(default)s)")
    g.add_argument("--checkpoint-gib", type=float, default=0.0,
                   help="checkpoint disks [GiB] (default: %(default)s)")
    g.add_argument("--smart-paging-gib", type=float, default=0.0,
                   help="smart paging file [GiB] (default: %(default)s)")
    g.add_argument("--disk-read-mib-s", type=float, default=0.0,
                   help="guest disk reads [MiB/s] (default: %(default)s)")
    g.add_argument("--disk-write-mib-s", type=float, default=0.0,
                   help="guest disk writes [MiB/s] (default: %(default)s)")
    g.add_argument("--disk-iops", type=float, default=0.0,
                   help="guest disk operations [1/s] (default: %(default)s)")


def add_array_arguments(parser: argparse.ArgumentParser, role: str) -> None:
    """Options describing the source or target array (`role` "source" or "target")."""
    g = parser.add_argument_group(f"{role} storage")
    g.add_argument(f"--{role}-read-mib-s", type=float, default=_ARRAY.read_mib_s,
                   help="sequential read rate [MiB/s] (default: %(default)s)")
    g.add_argument(f"--{role}-write-mib-s", type=float, default=_ARRAY.write_mib_s,
                   help="sequential write rate [MiB/s] (default: %(default)s)")
    g.add_argument(f"--{role}-iops", type=float, default=_ARRAY.iops,
                   help="I/O operations per second (default: %(default)s)")
    g.add_argument(f"--{role}-latency-ms", type=float, default=_ARRAY.base_latency_ms,
                   help="latency of an I/O on the idle array [ms] (default: %(default)s)")
    g.add_argument(f"--{role}-load-frac", type=float, default=0.0,
                   help="utilisation by other workloads [fraction] (default: %(default)s)")
    g.add_argument(f"--{role}-capacity-gib", type=float, default=None,
                   help="free capacity [GiB] (default: unlimited)")


def array_from_args(args, role: str) -> Storage:
    """Build the source or target Storage from its options."""
    get = lambda name: getattr(args, f"{role}_{name}")  # noqa: E731
    return Storage(name=role, read_mib_s=get("read_mib_s"), write_mib_s=get("write_mib_s"),
                   iops=get("iops"), base_latency_ms=get("latency_ms"),
                   load_frac=get("load_frac"), capacity_gib=get("capacity_gib"))


def vm_from_args(args, storage: str = "local") -> VM:
    """The VM the options describe, with its files and disk I/O."""
    return VM(name=args.name, memory_gib=args.memory_gib, dirty_rate_mib_s=args.dirty_rate_mib_s,
              working_set_gib=args.working_set_gib, state_mib=args.state_mib,
              disk_gib=args.disk_gib, checkpoint_gib=args.checkpoint_gib,
              smart_paging_gib=args.smart_paging_gib, disk_read_mib_s=args.disk_read_mib_s,
              disk_write_mib_s=args.disk_write_mib_s, disk_iops=args.disk_iops,
              storage=storage)


def _link(args) -> Link | None:
    return None if args.link_gbps is None else Link(gbps=args.link_gbps, nics=args.nics)


def _run_storage(args) -> int:
    from hvlab.models.storage_migration import storage_migration

    result = storage_migration(vm_from_args(args, "shared"), array_from_args(args, "source"),
                               array_from_args(args, "target"), settings_from_args(args),
                               link=_link(args), copy_rate_cap_mib_s=args.cap_mib_s,
                               odx=args.odx)
    print_summary(result.summary())
    if args.plot:
        save_plot(result, args.plot)
    return 0


def _run_shared_nothing(args) -> int:
    from hvlab.models.shared_nothing import shared_nothing_migration

    result = shared_nothing_migration(vm_from_args(args), _link(args),
                                      array_from_args(args, "source"),
                                      array_from_args(args, "target"), settings_from_args(args),
                                      copy_rate_cap_mib_s=args.cap_mib_s, seed=args.seed)
    print_summary(result.summary())
    if args.plot:
        save_plot(result, args.plot)
    return 0


def print_migrations(migrations, file=None) -> None:
    """One line per VM of a drain: when it ran, its blackout and what it sent."""
    cols = f"{'vm':<14}{'kind':<16}{'start_s':>10}{'end_s':>10}{'blackout_s':>11}" \
           f"{'passes':>7}{'converged':>10}{'network_GiB':>12}"
    print(cols, file=file)
    for row in migrations.itertuples(index=False):
        print(f"{row.vm:<14}{row.kind:<16}{row.start_s:>10.1f}{row.end_s:>10.1f}"
              f"{row.downtime_s:>11.3f}{row.passes:>7d}{str(bool(row.converged)):>10}"
              f"{row.network_bytes / GIB:>12.1f}", file=file)


def _run_drain(args) -> int:
    import dataclasses

    from hvlab.inventory import read_inventory
    from hvlab.models.drain import drain_host

    vms = read_inventory(args.inventory)
    settings = settings_from_args(args)
    changes = {k: v for k, v in (("max_live_migrations", args.max_live),
                                 ("max_storage_migrations", args.max_storage)) if v is not None}
    settings = dataclasses.replace(settings, **changes)
    result = drain_host(vms, Link(gbps=args.link_gbps, nics=args.nics), settings,
                        order=args.order, seed=args.seed, source=array_from_args(args, "source"),
                        target=array_from_args(args, "target"),
                        copy_rate_cap_mib_s=args.cap_mib_s)
    print_summary(result.summary())
    print()
    print_migrations(result.migrations)
    if args.plot:
        save_plot(result, args.plot)
    return 0


def register(subparsers) -> None:
    """Add `storage`, `shared-nothing` and `drain` to the `hvlab` command."""
    from hvlab.models.drain import ORDERS

    st = subparsers.add_parser(
        "storage", help="simulate a Storage Live Migration",
        description="Simulate moving a running VM's files to other storage (mirror + "
                    "single-pass copy) and print its summary, guest latency included.")
    add_vm_arguments(st)
    add_disk_arguments(st)
    add_array_arguments(st, "source")
    add_array_arguments(st, "target")
    add_settings_arguments(st)
    g = st.add_argument_group("copy")
    g.add_argument("--link-gbps", type=float, default=None,
                   help="the target is reached over a link of this rate [Gbit/s] "
                        "(default: same host, no link)")
    g.add_argument("--nics", type=int, default=1, help="NICs of that link (default: 1)")
    g.add_argument("--cap-mib-s", type=float, default=None,
                   help="throttle the copy [MiB/s] (default: no throttle)")
    g.add_argument("--odx", action="store_true", help="offloaded copy inside the array (ODX)")
    st.add_argument("--plot", metavar="FILE", help="save the figure to FILE (e.g. storage.png)")
    st.set_defaults(func=_run_storage)

    sn = subparsers.add_parser(
        "shared-nothing", help="simulate a Shared Nothing Live Migration",
        description="Simulate moving a running VM and its files between hosts that share "
                    "only a network, and print its summary.")
    add_vm_arguments(sn)
    add_disk_arguments(sn)
    add_array_arguments(sn, "source")
    add_array_arguments(sn, "target")
    add_settings_arguments(sn)
    g = sn.add_argument_group("link")
    g.add_argument("--link-gbps", type=float, default=1.0,
                   help="line rate of one NIC [Gbit/s] (default: %(default)s)")
    g.add_argument("--nics", type=int, default=1, help="NICs between the hosts (default: 1)")
    g.add_argument("--cap-mib-s", type=float, default=None,
                   help="throttle the storage copy [MiB/s] (default: no throttle)")
    sn.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    sn.add_argument("--plot", metavar="FILE", help="save the figure to FILE")
    sn.set_defaults(func=_run_shared_nothing)

    dr = subparsers.add_parser(
        "drain", help="simulate draining a host (every VM in an inventory CSV)",
        description="Move every VM of an inventory off the host over one link, with Hyper-V's "
                    "limits on simultaneous migrations; print the totals and one line per VM.")
    dr.add_argument("inventory", help="inventory CSV (see hvlab.read_inventory)")
    g = dr.add_argument_group("drain")
    g.add_argument("--link-gbps", type=float, default=10.0,
                   help="line rate of one NIC [Gbit/s] (default: %(default)s)")
    g.add_argument("--nics", type=int, default=1, help="NICs between the hosts (default: 1)")
    g.add_argument("--max-live", type=int, default=None,
                   help="simultaneous live migrations (default: the preset's)")
    g.add_argument("--max-storage", type=int, default=None,
                   help="simultaneous storage migrations (default: the preset's)")
    g.add_argument("--order", choices=ORDERS, default="given",
                   help="queue order (default: %(default)s)")
    g.add_argument("--cap-mib-s", type=float, default=None,
                   help="throttle each storage copy [MiB/s] (default: no throttle)")
    g.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    add_array_arguments(dr, "source")
    add_array_arguments(dr, "target")
    add_settings_arguments(dr)
    dr.add_argument("--plot", metavar="FILE", help="save the Gantt chart to FILE")
    dr.set_defaults(func=_run_drain)


__all__ = ["register", "print_migrations", "array_from_args"]
