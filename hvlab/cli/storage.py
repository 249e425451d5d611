"""`hvlab storage`, `hvlab shared-nothing` and `hvlab drain`: storage moves and host draining
from the shell. Each prints a summary; ``--plot FILE`` saves the result's figure."""
from __future__ import annotations

from hvlab.cli.options import (add_array_arguments, add_concurrency_arguments,
                               add_disk_arguments, add_link_gbps_argument, add_nics_argument,
                               add_plot_argument, add_seed_argument, add_settings_arguments,
                               add_vm_arguments, array_from_args, keyword_default,
                               link_from_args, settings_from_args, vm_from_args)
from hvlab.cli.output import print_summary, save_plot
from hvlab.params import GIB

__all__ = ["register", "print_migrations"]


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
    add_vm_arguments(st)
    add_disk_arguments(st)
    add_array_arguments(st, "source")
    add_array_arguments(st, "target")
    add_settings_arguments(st)
    g = st.add_argument_group("copy")
    add_link_gbps_argument(g, optional=True)
    add_nics_argument(g, help="NICs of that link")
    g.add_argument("--cap-mib-s", type=float, default=None,
                   help="throttle the copy [MiB/s] (default: no throttle)")
    g.add_argument("--odx", action="store_true", help="offloaded copy inside the array (ODX)")
    add_plot_argument(st, "save the figure to FILE (e.g. storage.png)")
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
    add_link_gbps_argument(g)
    add_nics_argument(g)
    g.add_argument("--cap-mib-s", type=float, default=None,
                   help="throttle the storage copy [MiB/s] (default: no throttle)")
    add_seed_argument(sn, shared_nothing_migration)
    add_plot_argument(sn, "save the figure to FILE")
    sn.set_defaults(func=_run_shared_nothing)

    dr = subparsers.add_parser(
        "drain", help="simulate draining a host (every VM in an inventory CSV)",
        description="Move every VM of an inventory off the host over one link, with Hyper-V's "
                    "limits on simultaneous migrations; print the totals and one line per VM.")
    dr.add_argument("inventory", help="inventory CSV (see hvlab.read_inventory)")
    g = dr.add_argument_group("drain")
    add_link_gbps_argument(g)
    add_nics_argument(g)
    add_concurrency_arguments(g)
    g.add_argument("--order", choices=ORDERS, default=keyword_default(drain_host, "order"),
                   help="queue order (default: %(default)s)")
    g.add_argument("--cap-mib-s", type=float, default=None,
                   help="throttle each storage copy [MiB/s] (default: no throttle)")
    add_seed_argument(g, drain_host)
    add_array_arguments(dr, "source")
    add_array_arguments(dr, "target")
    add_settings_arguments(dr)
    add_plot_argument(dr, "save the Gantt chart to FILE")
    dr.set_defaults(func=_run_drain)
