"""`hvlab plan`: a rolling maintenance plan for a cluster, from its hosts and VMs files.

    hvlab plan hosts.csv vms.csv --blackout-limit 2 --report plan.html
"""
from __future__ import annotations

import warnings

from hvlab.cli.options import keyword_default
from hvlab.cli.output import print_summary
from hvlab.params import PRESETS

__all__ = ["register"]


def _run(args) -> int:
    from hvlab.planning import plan_maintenance, read_cluster

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hosts, vms = read_cluster(args.hosts, args.vms, perflogs=args.perflogs)
    for w in caught:
        print(f"note: {w.message}")
    plan = plan_maintenance(hosts, vms, PRESETS[args.preset],
                            blackout_limit_s=args.blackout_limit, window_s=args.window_s,
                            patch_s=args.patch_s, n_jobs=args.jobs, seed=args.seed,
                            progress=not args.no_progress)
    print_summary(plan.summary())
    print()
    for note in plan.notes:
        print(f"- {note}")
    if len(plan.flags):
        print(f"\nflagged VMs ({len(plan.flags)}):")
        cols = ["vm", "host", "predicted_downtime_s", "blackout_limit_s",
                "downtime_after_fix_s", "fix"]
        print(plan.flags[cols].to_string(index=False, float_format=lambda x: f"{x:.2f}",
                                         max_colwidth=90))
    if args.steps:
        plan.steps.to_csv(args.steps, index=False)
        print(f"\nmoves written to {args.steps}")
    if args.report:
        plan.to_html(args.report)
        print(f"report written to {args.report}")
    return 0


def register(subparsers) -> None:
    """Add `plan` to the `hvlab` command."""
    from hvlab.planning import plan_maintenance

    p = subparsers.add_parser(
        "plan", help="plan a rolling maintenance of a cluster (drain, patch, return each host)",
        description="Read the hosts and VMs files (see hvlab.read_cluster), search the host "
                    "order, placement, transport and concurrency that make the whole cycle "
                    "shortest, and print it beside the default policy, with the VMs whose "
                    "blackout exceeds their limit and the fix the model predicts works.")
    p.add_argument("hosts", help="hosts CSV (name, memory_gib, cores, link_gbps, ...)")
    p.add_argument("vms", help="VMs CSV (the inventory columns plus host, blackout_limit_s)")
    default = next(n for n, v in PRESETS.items()
                   if v is keyword_default(plan_maintenance, "settings"))
    p.add_argument("--preset", choices=list(PRESETS), default=default,
                   help="the hosts' Windows Server version (default: %(default)s)")
    p.add_argument("--blackout-limit", type=float, default=None, metavar="S",
                   help="blackout limit [s] of VMs without their own (default: none)")
    p.add_argument("--window-s", type=float, default=None,
                   help="maintenance window [s] (default: none)")
    p.add_argument("--patch-s", type=float, default=keyword_default(plan_maintenance, "patch_s"),
                   help="time each host is down for patching [s] (default: %(default)s, an "
                        "assumption)")
    p.add_argument("--perflogs", default=None, metavar="PATH",
                   help="performance logs (folder, glob or file) to estimate empty dirty "
                        "rates from")
    p.add_argument("--jobs", "-j", type=int, default=keyword_default(plan_maintenance, "n_jobs"),
                   help="worker processes for the simulations (-1: every core; default: "
                        "%(default)s)")
    p.add_argument("--seed", type=int, default=keyword_default(plan_maintenance, "seed"),
                   help="seed of the simulations (default: %(default)s)")
    p.add_argument("--report", default=None, metavar="HTML",
                   help="write a self-contained HTML report (figures embedded)")
    p.add_argument("--steps", default=None, metavar="CSV", help="write the moves as CSV")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)
