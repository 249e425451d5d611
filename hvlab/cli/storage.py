"""`hvlab storage`, `hvlab shared-nothing` and `hvlab drain`: storage moves and host draining
from the shell. Each prints a summary; ``--plot FILE`` saves the result's figure.

Each command offers only the options its model reads (see `hvlab.cli.options`): a Storage Live
Migration moves no memory, so `hvlab storage` has no memory or pre-copy option, and refuses
them.
"""
from __future__ import annotations

from hvlab.cli.options import (add_array_arguments, add_concurrency_arguments,
                               add_disk_arguments, add_link_arguments, add_plot_argument,
                               add_seed_argument, add_settings_arguments, add_vm_arguments,
                               array_from_args, keyword_default, link_from_args, seed_note,
                               settings_from_args, vm_from_args)
from hvlab.cli.output import print_summary, save_plot
from hvlab.params import GIB

__all__ = ["register", "print_migrations", "STORAGE_OPTIONS", "SHARED_NOTHING_OPTIONS",
           "DRAIN_OPTIONS"]

_ALL_DISK = ("disk_gib", "checkpoint_gib", "smart_paging_gib", "disk_read_mib_s",
             "disk_write_mib_s", "disk_iops")
_PRECOPY = ("transport", "max_passes", "stop_copy_mib", "compression_ratio")
# No command offers --source-capacity-gib: only the target's free space is checked
# (`check_capacity`, `drain_host`'s `_check_target_fits`).
_SOURCE = ("read_mib_s", "write_mib_s", "iops", "latency_ms", "load_frac")
_TARGET = _SOURCE + ("capacity_gib",)

# What each model reads, by option group (the helpers' field names).
# storage_migration: the VM's files (`VM.storage_bytes`) and its disk I/O; both arrays; of the
# settings the version, setup_s, handle_move_s and the copy's I/O settings (from the preset);
# an optional link. No memory.
STORAGE_OPTIONS = {"vm": ("name",), "disk": _ALL_DISK, "source": _SOURCE, "target": _TARGET,
                   "settings": (), "link": ("link_gbps", "nics")}
# shared_nothing_migration: a storage move plus a live migration's pre-copy over one link.
SHARED_NOTHING_OPTIONS = {
    "vm": ("name", "memory_gib", "dirty_rate_mib_s", "working_set_gib", "state_mib"),
    "disk": _ALL_DISK, "source": _SOURCE, "target": _TARGET, "settings": _PRECOPY,
    "link": ("link_gbps", "nics")}
# drain_host: the VMs come from the inventory; every VM runs a pre-copy; the arrays carry the
# local VMs' shared-nothing moves. Their guest latency (--*-latency-ms) appears only in the
# per-VM results, which the command never prints or plots: no latency option.
DRAIN_OPTIONS = {"source": ("read_mib_s", "write_mib_s", "iops", "load_frac"),
                 "target": ("read_mib_s", "write_mib_s", "iops", "load_frac", "capacity_gib"),
                 "settings": _PRECOPY, "link": ("link_gbps", "nics"),
                 "concurrency": ("max_live", "max_storage")}
_LOCAL_VMS = "used by the inventory's VMs with storage=local"


def _run_storage(args) -> int:
    from hvlab.models import storage_migration

    result = storage_migration(vm_from_args(args), array_from_args(args, "source"),
                               array_from_args(args, "target"), settings_from_args(args),
                               link=link_from_args(args), copy_rate_cap_mib_s=args.cap_mib_s,
                               odx=args.odx)
    print_summary(result.summary())
    if args.plot:
        save_plot(result, args.plot)
    return 0


def _run_shared_nothing(args) -> int:
    from hvlab.models import shared_nothing_migration

    # shared nothing: the VM's files are on the source host's own disks
    result = shared_nothing_migration(vm_from_args(args, storage="local"), link_from_args(args),
                                      array_from_args(args, "source"),
                                      array_from_args(args, "target"), settings_from_args(args),
                                      copy_rate_cap_mib_s=args.cap_mib_s, seed=args.seed)
    print_summary(result.summary())
    if args.plot:
        save_plot(result, args.plot)
    return 0


def print_migrations(migrations, file=None) -> None:
    """Print one line per VM of a drain: when it ran, its blackout and what it sent.

    Parameters
    ----------
    migrations : pandas.DataFrame
        ``DrainResult.migrations``.
    file : file-like, optional
        Where to print (default: standard output).
    """
    cols = f"{'vm':<14}{'kind':<16}{'start_s':>10}{'end_s':>10}{'blackout_s':>11}" \
           f"{'passes':>7}{'converged':>10}{'network_GiB':>12}"
    print(cols, file=file)
    for row in migrations.itertuples(index=False):
        print(f"{row.vm:<14}{row.kind:<16}{row.start_s:>10.1f}{row.end_s:>10.1f}"
              f"{row.downtime_s:>11.3f}{row.passes:>7d}{str(bool(row.converged)):>10}"
              f"{row.network_bytes / GIB:>12.1f}", file=file)


def _run_drain(args) -> int:
    from hvlab.inventory import read_inventory
    from hvlab.models import drain_host

    vms = read_inventory(args.inventory)
    result = drain_host(vms, link_from_args(args), settings_from_args(args),
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
    from hvlab.models import ORDERS, drain_host, shared_nothing_migration

    st = subparsers.add_parser(
        "storage", help="simulate a Storage Live Migration",
        description="Simulate moving a running VM's files to other storage (mirror + "
                    "single-pass copy) and print its summary, guest latency included.")
    opts = STORAGE_OPTIONS
    add_vm_arguments(st, opts["vm"])
    add_disk_arguments(st, opts["disk"])
    add_array_arguments(st, "source", opts["source"])
    add_array_arguments(st, "target", opts["target"])
    add_settings_arguments(st, opts["settings"],
                           preset_help="Hyper-V version preset: a Storage Live Migration reads "
                                       "its version, setup_s, handle_move_s and copy I/O "
                                       "settings")
    g = st.add_argument_group("copy")
    add_link_arguments(g, opts["link"], optional_gbps=True,
                       notes={"nics": "of that link, with --link-gbps only"})
    g.add_argument("--cap-mib-s", type=float, default=None,
                   help="throttle the copy [MiB/s] (default: no throttle)")
    g.add_argument("--odx", action="store_true", help="offloaded copy inside the array (ODX)")
    add_plot_argument(st, "save the figure to FILE (e.g. storage.png)")
    st.set_defaults(func=_run_storage)

    sn = subparsers.add_parser(
        "shared-nothing", help="simulate a Shared Nothing Live Migration",
        description="Simulate moving a running VM and its files between hosts that share "
                    "only a network, and print its summary.")
    opts = SHARED_NOTHING_OPTIONS
    add_vm_arguments(sn, opts["vm"])
    add_disk_arguments(sn, opts["disk"])
    add_array_arguments(sn, "source", opts["source"])
    add_array_arguments(sn, "target", opts["target"])
    add_settings_arguments(sn, opts["settings"])
    g = sn.add_argument_group("link")
    add_link_arguments(g, opts["link"])
    g.add_argument("--cap-mib-s", type=float, default=None,
                   help="throttle the storage copy [MiB/s] (default: no throttle)")
    add_seed_argument(sn, shared_nothing_migration, help=f"random seed; {seed_note()}")
    add_plot_argument(sn, "save the figure to FILE")
    sn.set_defaults(func=_run_shared_nothing)

    dr = subparsers.add_parser(
        "drain", help="simulate draining a host (every VM in an inventory CSV)",
        description="Move every VM of an inventory off the host over one link, with Hyper-V's "
                    "limits on simultaneous migrations; print the totals and one line per VM.")
    opts = DRAIN_OPTIONS
    dr.add_argument("inventory", help="inventory CSV (see hvlab.read_inventory)")
    g = dr.add_argument_group("drain")
    add_link_arguments(g, opts["link"])
    add_concurrency_arguments(g, opts["concurrency"], notes={
        "max_storage": "each VM with storage=local holds one"})
    g.add_argument("--order", choices=ORDERS, default=keyword_default(drain_host, "order"),
                   help="queue order (default: %(default)s)")
    g.add_argument("--cap-mib-s", type=float, default=None,
                   help=f"throttle each storage copy [MiB/s]; {_LOCAL_VMS} "
                        "(default: no throttle)")
    add_seed_argument(g, drain_host, help=f"random seed; {seed_note()}")
    for role in ("source", "target"):
        add_array_arguments(dr, role, opts[role], description=f"The {role} host's own disks, "
                            "used by the inventory's VMs with storage=local (shared-nothing "
                            "moves).")
    add_settings_arguments(dr, opts["settings"], notes={
        "transport": "of every VM's memory pre-copy"})
    add_plot_argument(dr, "save the Gantt chart to FILE")
    dr.set_defaults(func=_run_drain)
