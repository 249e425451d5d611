"""`hvlab live` and `hvlab quick`: run one memory-moving model from the shell and print its
summary."""
from __future__ import annotations

from hvlab.cli.options import (add_link_arguments, add_plot_argument, add_seed_argument,
                               add_settings_arguments, add_vm_arguments, field_default,
                               link_from_args, settings_from_args, vm_from_args)
from hvlab.cli.output import print_summary, save_plot
from hvlab.params import Storage

__all__ = ["register"]


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
    add_vm_arguments(live)
    add_link_arguments(live)
    add_settings_arguments(live)
    add_seed_argument(live, live_migration)
    live.add_argument("--closed-form", action="store_true",
                      help="use the closed form instead of the simulation")
    add_plot_argument(live, "save the figure to FILE (e.g. live.png)")
    live.set_defaults(func=_run_live)

    quick = subparsers.add_parser(
        "quick", help="simulate a Quick Migration (save, move, restore)",
        description="Simulate a Quick Migration through shared storage and print its summary.")
    add_vm_arguments(quick)
    add_settings_arguments(quick)
    g = quick.add_argument_group("shared storage")
    g.add_argument("--write-mib-s", type=float, default=field_default(Storage, "write_mib_s"),
                   help="storage write rate for the save [MiB/s] (default: %(default)s)")
    g.add_argument("--read-mib-s", type=float, default=field_default(Storage, "read_mib_s"),
                   help="storage read rate for the restore [MiB/s] (default: %(default)s)")
    add_plot_argument(quick, "save the figure to FILE (e.g. quick.png)")
    quick.set_defaults(func=_run_quick)
