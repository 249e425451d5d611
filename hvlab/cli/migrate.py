"""`hvlab live` and `hvlab quick`: run one memory-moving model from the shell and print its
summary.

Each command offers only the options its model reads (see `hvlab.cli.options`): a Quick
Migration saves memory to shared storage, so `hvlab quick` has no link, transport or pre-copy
option, and refuses them.
"""
from __future__ import annotations

from hvlab.cli.options import (add_link_arguments, add_plot_argument, add_seed_argument,
                               add_settings_arguments, add_vm_arguments, field_default,
                               link_from_args, seed_note, settings_from_args, vm_from_args)
from hvlab.cli.output import print_summary, save_plot
from hvlab.params import Storage

__all__ = ["register", "LIVE_OPTIONS", "QUICK_OPTIONS"]

# What each model reads, by option group (the helpers' field names). live_migration and the
# closed form `hvlab.analytic.precopy`: the VM's memory, dirtying and device state; the link
# (`transfer_plan`); the pre-copy settings (`run_precopy`, `transfer_plan`).
LIVE_OPTIONS = {
    "vm": ("name", "memory_gib", "dirty_rate_mib_s", "working_set_gib", "state_mib"),
    "link": ("link_gbps", "nics", "rdma"),
    "settings": ("transport", "max_passes", "stop_copy_mib", "compression_ratio"),
}
# quick_migration: memory and device state are saved to and read back from shared storage;
# of the settings only the version (its memory limit), ownership_move_s and resume_s (from
# the preset). No link, no pre-copy.
QUICK_OPTIONS = {
    "vm": ("name", "memory_gib", "state_mib"),
    "settings": (),
}


def _run_live(args) -> int:
    from hvlab.analytic import precopy
    from hvlab.models import live_migration

    vm, link, settings = vm_from_args(args), link_from_args(args), settings_from_args(args)
    result = (precopy(vm, link, settings) if args.closed_form
              else live_migration(vm, link, settings, seed=args.seed))
    print_summary(result.summary())
    if args.plot:
        save_plot(result, args.plot)
    return 0


def _run_quick(args) -> int:
    from hvlab.models import quick_migration

    storage = Storage(write_mib_s=args.write_mib_s, read_mib_s=args.read_mib_s)
    result = quick_migration(vm_from_args(args), storage, settings_from_args(args))
    print_summary(result.summary())
    if args.plot:
        save_plot(result, args.plot)
    return 0


def register(subparsers) -> None:
    """Add `live` and `quick` to the `hvlab` command."""
    from hvlab.models import live_migration

    live = subparsers.add_parser(
        "live", help="simulate a Live Migration (memory pre-copy)",
        description="Simulate a Live Migration and print its summary.")
    add_vm_arguments(live, LIVE_OPTIONS["vm"])
    add_link_arguments(live.add_argument_group("link"), LIVE_OPTIONS["link"], notes={
        "nics": "one TCP/IP or compression migration uses one of them (all with the preset's "
                "tcp_uses_all_nics), --transport smb all of them",
        "rdma": "used by --transport smb only"})
    add_settings_arguments(live, LIVE_OPTIONS["settings"])
    add_seed_argument(live, live_migration,
                      help=f"random seed of the simulation (not --closed-form); {seed_note()}")
    live.add_argument("--closed-form", action="store_true",
                      help="use the closed form instead of the simulation")
    add_plot_argument(live, "save the figure to FILE (e.g. live.png)")
    live.set_defaults(func=_run_live)

    quick = subparsers.add_parser(
        "quick", help="simulate a Quick Migration (save, move, restore)",
        description="Simulate a Quick Migration through shared storage and print its summary.")
    add_vm_arguments(quick, QUICK_OPTIONS["vm"])
    add_settings_arguments(quick, QUICK_OPTIONS["settings"],
                           preset_help="Hyper-V version preset: a Quick Migration reads its "
                                       "version, ownership_move_s and resume_s")
    g = quick.add_argument_group("shared storage")
    g.add_argument("--write-mib-s", type=float, default=field_default(Storage, "write_mib_s"),
                   help="storage write rate for the save [MiB/s] (default: %(default)s)")
    g.add_argument("--read-mib-s", type=float, default=field_default(Storage, "read_mib_s"),
                   help="storage read rate for the restore [MiB/s] (default: %(default)s)")
    add_plot_argument(quick, "save the figure to FILE (e.g. quick.png)")
    quick.set_defaults(func=_run_quick)
