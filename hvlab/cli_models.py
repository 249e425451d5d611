"""`hvlab live` and `hvlab quick`: run one model from the shell and print its summary."""
from __future__ import annotations

import argparse
import dataclasses

from hvlab.params import PRESETS, TRANSPORTS, VM, Link, Storage


def add_vm_arguments(parser: argparse.ArgumentParser) -> None:
    """Options describing the VM (shared by the model subcommands)."""
    g = parser.add_argument_group("VM")
    g.add_argument("--name", default="vm1", help="VM name (default: %(default)s)")
    g.add_argument("--memory-gib", type=float, default=4.0,
                   help="assigned memory [GiB] (default: %(default)s)")
    g.add_argument("--dirty-rate-mib-s", type=float, default=0.0,
                   help="guest memory write rate [MiB/s] (default: %(default)s)")
    g.add_argument("--working-set-gib", type=float, default=None,
                   help="writable working set [GiB] (default: all memory)")
    g.add_argument("--state-mib", type=float, default=8.0,
                   help="device state sent in the blackout [MiB] (default: %(default)s)")


def add_link_arguments(parser: argparse.ArgumentParser) -> None:
    """Options describing the migration network."""
    g = parser.add_argument_group("link")
    g.add_argument("--link-gbps", type=float, default=1.0,
                   help="line rate of one NIC [Gbit/s] (default: %(default)s)")
    g.add_argument("--nics", type=int, default=1, help="NICs between the hosts (default: 1)")
    g.add_argument("--rdma", action="store_true", help="NICs do RDMA (SMB Direct)")


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    """Options choosing and adjusting the Hyper-V settings preset."""
    g = parser.add_argument_group("settings")
    g.add_argument("--preset", choices=list(PRESETS), default="WS2012",
                   help="Hyper-V version preset (default: %(default)s)")
    g.add_argument("--transport", choices=TRANSPORTS, default=None,
                   help="memory transport (default: the preset's)")
    g.add_argument("--max-passes", type=int, default=None, help="pre-copy pass cap")
    g.add_argument("--stop-copy-mib", type=float, default=None,
                   help="pause the VM when at most this much is dirty [MiB]")
    g.add_argument("--compression-ratio", type=float, default=None,
                   help="uncompressed/compressed bytes for the compression transport")


def vm_from_args(args) -> VM:
    """Build the VM the options describe (VM validates the values)."""
    return VM(name=args.name, memory_gib=args.memory_gib, dirty_rate_mib_s=args.dirty_rate_mib_s,
              working_set_gib=args.working_set_gib, state_mib=args.state_mib)


def link_from_args(args) -> Link:
    """Build the Link the options describe."""
    return Link(gbps=args.link_gbps, nics=args.nics, rdma=args.rdma)


def settings_from_args(args):
    """The chosen preset with any overrides applied."""
    changes = {k: v for k, v in (("transport", args.transport), ("max_passes", args.max_passes),
                                 ("stop_copy_mib", args.stop_copy_mib),
                                 ("compression_ratio", args.compression_ratio))
               if v is not None}
    return dataclasses.replace(PRESETS[args.preset], **changes)


def print_summary(summary, file=None) -> None:
    """Print a summary Series as an aligned two-column table, sizes in readable units."""
    width = max(len(str(k)) for k in summary.index)
    for key, value in summary.items():
        if key == "explanation":
            continue
        if isinstance(value, float):
            text = f"{value:,.3f}"
        elif isinstance(value, (int,)) and not isinstance(value, bool) and key.endswith("_bytes"):
            text = f"{value:,} ({value / 2**30:,.2f} GiB)"
        else:
            text = str(value)
        print(f"{key:<{width}}  {text}", file=file)
    if summary.get("explanation"):
        print(f"\n{summary['explanation']}", file=file)


def save_plot(result, path: str) -> None:
    """Save result.plot()'s figure to `path` (PNG, SVG or PDF by its extension)."""
    import matplotlib

    matplotlib.use("Agg")
    ax = result.plot()
    ax.figure.savefig(path, dpi=110)
    print(f"figure written to {path}")


def _run_live(args) -> int:
    from hvlab.analytic import precopy
    from hvlab.models.live import live_migration

    vm, link, settings = vm_from_args(args), link_from_args(args), settings_from_args(args)
    result = (precopy(vm, link, settings) if args.closed_form
              else live_migration(vm, link, settings, seed=args.seed))
    print_summary(result.summary())
    if args.plot:
        save_plot(result, args.plot)
    return 0


def _run_quick(args) -> int:
    from hvlab.models.quick import quick_migration

    storage = Storage(write_mib_s=args.write_mib_s, read_mib_s=args.read_mib_s)
    result = quick_migration(vm_from_args(args), storage, settings_from_args(args))
    print_summary(result.summary())
    if args.plot:
        save_plot(result, args.plot)
    return 0


def register(subparsers) -> None:
    """Add `live` and `quick` to the `hvlab` command."""
    live = subparsers.add_parser(
        "live", help="simulate a Live Migration (memory pre-copy)",
        description="Simulate a Live Migration and print its summary.")
    add_vm_arguments(live)
    add_link_arguments(live)
    add_settings_arguments(live)
    live.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    live.add_argument("--closed-form", action="store_true",
                      help="use the closed form instead of the simulation")
    live.add_argument("--plot", metavar="FILE", help="save the figure to FILE (e.g. live.png)")
    live.set_defaults(func=_run_live)

    quick = subparsers.add_parser(
        "quick", help="simulate a Quick Migration (save, move, restore)",
        description="Simulate a Quick Migration through shared storage and print its summary.")
    add_vm_arguments(quick)
    add_settings_arguments(quick)
    g = quick.add_argument_group("shared storage")
    g.add_argument("--write-mib-s", type=float, default=Storage().write_mib_s,
                   help="storage write rate for the save [MiB/s] (default: %(default)s)")
    g.add_argument("--read-mib-s", type=float, default=Storage().read_mib_s,
                   help="storage read rate for the restore [MiB/s] (default: %(default)s)")
    quick.add_argument("--plot", metavar="FILE", help="save the figure to FILE (e.g. quick.png)")
    quick.set_defaults(func=_run_quick)
