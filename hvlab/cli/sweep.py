"""`hvlab sweep`: run a model over a grid of inputs from the shell.

Examples::

    hvlab sweep live --grid vm.dirty_rate_mib_s=0:400:20 --link-gbps 1,10 --out sweep.csv
    hvlab sweep live inventory.csv --link-gbps 1          # every VM of an inventory
    hvlab sweep drain inventory.csv --max-live 1,2,4,8    # one drain per concurrency
    hvlab sweep live --list-fields                        # what --grid can address

VALUES is a comma list (``1,10`` or ``tcpip,smb``) or an inclusive range ``start:stop:step``
(``0:400:20`` gives 0, 20, ..., 400).

Each MODEL offers only the shortcuts (and --seed) its model reads: hvlab sweep MODEL --help.

An input that is not swept keeps the value the single commands use: the hvlab.VM, hvlab.Link
field, the preset's setting; storage and shared-nothing move a VM with the disk of
`hvlab storage` (--disk-gib). A sweep whose every scenario fails exits with status 1.
"""
from __future__ import annotations

import argparse
import math
import sys

from hvlab.cli.options import (DEFAULT_PRESET, STORAGE_MOVE_DISK_GIB, add_seed_argument,
                               field_default, keyword_default, preset_default_text, seed_note)
from hvlab.models import ORDERS, drain_host
from hvlab.params import PRESETS, TRANSPORTS, VM, Link

__all__ = ["register", "parse_values", "parse_grid_item", "build_sweep", "compact",
           "SHORTCUTS", "MODEL_SHORTCUTS", "SEEDED_MODELS", "STORAGE_MOVES"]

# option dest -> (flag, grid field it sweeps, help)
SHORTCUTS = {
    "memory_gib": ("--memory-gib", "vm.memory_gib", "VM memory [GiB]"),
    "dirty_rate_mib_s": ("--dirty-rate-mib-s", "vm.dirty_rate_mib_s",
                         "guest memory write rate [MiB/s]"),
    "working_set_gib": ("--working-set-gib", "vm.working_set_gib", "writable working set [GiB]"),
    "link_gbps": ("--link-gbps", "link.gbps", "line rate of one NIC [Gbit/s]"),
    "nics": ("--nics", "link.nics", "NICs between the hosts"),
    "transport": ("--transport", "settings.transport",
                  f"memory transport ({', '.join(TRANSPORTS)})"),
    "max_passes": ("--max-passes", "settings.max_passes", "pre-copy pass cap"),
    "max_live": ("--max-live", "settings.max_live_migrations",
                 "simultaneous live migrations (drain)"),
    "max_storage": ("--max-storage", "settings.max_storage_migrations",
                    "simultaneous storage migrations (drain)"),
    "order": ("--order", "order", f"drain order policy ({', '.join(ORDERS)})"),
}

_PRECOPY_SHORTCUTS = ("memory_gib", "dirty_rate_mib_s", "working_set_gib", "link_gbps", "nics",
                      "transport", "max_passes")
# model function (`hvlab.sweeps.MODEL_NAMES` values) -> the shortcuts whose field it reads;
# `hvlab sweep MODEL` offers only these. A model missing here gets none (only --grid).
MODEL_SHORTCUTS = {
    # a pre-copy over a link: the VM's memory and dirtying, the link, the pre-copy settings
    "live_migration": _PRECOPY_SHORTCUTS,
    "analytic.precopy": _PRECOPY_SHORTCUTS,
    "smb_live_migration": _PRECOPY_SHORTCUTS,
    "shared_nothing_migration": _PRECOPY_SHORTCUTS,
    # saves memory to shared storage: no link, no pre-copy
    "quick_migration": ("memory_gib",),
    # moves files, no memory; a link only when one is swept
    "storage_migration": ("link_gbps", "nics"),
    # the VMs come from the inventory (no vm.* field); concurrency and order are its own
    "drain_host": ("link_gbps", "nics", "transport", "max_passes", "max_live", "max_storage",
                   "order"),
}
SEEDED_MODELS = ("live_migration", "smb_live_migration", "shared_nothing_migration",
                 "drain_host")
"""Models that seed a random stream with their ``seed`` (the others are deterministic or take
no seed): only their sweeps offer ``--seed``."""

# models that move the VM's disks: they start from a VM of STORAGE_MOVE_DISK_GIB, as
# `hvlab storage` and `hvlab shared-nothing` do
STORAGE_MOVES = ("storage", "shared_nothing", "shared-nothing")

KEY_COLUMNS = ("total_s", "downtime_s", "downtime_max_s", "passes", "converged", "not_converged",
               "network_bytes")


def _unswept_text(field: str, function: str = "") -> str:
    """Help text for the value a shortcut's field keeps when it is not swept by `function`."""
    obj, _, name = field.partition(".")
    if obj == "vm":
        value = field_default(VM, name)
        return "all memory" if value is None and name == "working_set_gib" else str(value)
    if obj == "link":
        # storage_migration has no link unless one is swept, as `hvlab storage`
        if function == "storage_migration":
            return "no link"
        return f"{field_default(Link, name)}"
    if obj == "settings":
        return preset_default_text(name)
    return str(keyword_default(drain_host, field))


def _scalar(text: str):
    """'4' -> 4, '2.5' -> 2.5, 'true' -> True, 'none' -> None, anything else stays a string."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return text.strip()
    return value


def parse_values(text: str) -> list:
    """Parse VALUES: ``a,b,c`` or the inclusive range ``start:stop:step``.

    Raises
    ------
    argparse.ArgumentTypeError
        For an empty list, a malformed range or a step that is not positive.
    """
    text = text.strip()
    if not text:
        raise argparse.ArgumentTypeError("empty value list")
    if ":" in text and "," not in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise argparse.ArgumentTypeError(
                f"range {text!r} must be start:stop:step, e.g. 0:400:20")
        try:
            start, stop, step = (float(p) for p in parts)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"range {text!r} must have numbers: start:stop:step, e.g. 0:400:20") from None
        if not step > 0 or not math.isfinite(step):
            raise argparse.ArgumentTypeError(f"range {text!r}: step must be > 0, got {parts[2]}")
        if stop < start:
            raise argparse.ArgumentTypeError(f"range {text!r}: stop {parts[1]} is below start")
        count = int(math.floor((stop - start) / step + 1e-9)) + 1
        values = [start + k * step for k in range(count)]
        if all(float(p).is_integer() for p in parts):
            return [int(round(v)) for v in values]
        return [round(v, 12) for v in values]
    values = [_scalar(t) for t in text.split(",")]
    if any(v == "" for v in values):
        raise argparse.ArgumentTypeError(f"empty item in {text!r}")
    return values


def parse_grid_item(text: str) -> tuple[str, list]:
    """Parse one ``--grid FIELD=VALUES``."""
    field, sep, values = text.partition("=")
    if not sep or not field.strip():
        raise argparse.ArgumentTypeError(
            f"--grid {text!r} must be FIELD=VALUES, e.g. vm.dirty_rate_mib_s=0:400:20")
    return field.strip(), parse_values(values)


def build_sweep(args) -> tuple:
    """``(model, grid, base)`` from the parsed arguments.

    Raises
    ------
    ValueError
        For a field given twice, or ``sweep drain`` without an inventory.
    """
    from hvlab.inventory import read_inventory

    model = args.model
    grid: dict = {}
    for field, values in args.grid or []:
        if field in grid:
            raise ValueError(f"--grid gives {field} twice")
        grid[field] = values
    for dest, (flag, field, _) in SHORTCUTS.items():
        values = getattr(args, dest, None)
        if values is not None:
            if field in grid:
                raise ValueError(f"{field} is given by both --grid and {flag}")
            grid[field] = values
    base: dict = {"settings": PRESETS[args.preset]}
    if model in STORAGE_MOVES:
        base["vm"] = VM(disk_gib=STORAGE_MOVE_DISK_GIB)
    if args.inventory:
        vms = read_inventory(args.inventory)
        if model == "drain":
            base["vms"] = vms
        else:
            # each VM of the inventory is a scenario, crossed with the rest of the grid
            grid = {"vm": list(vms), **grid}
    elif model == "drain":
        raise ValueError("hvlab sweep drain needs an inventory CSV: hvlab sweep drain "
                         "inventory.csv --max-live 1,2,4,8")
    return model, grid, base


def _client(args):
    if not (args.scheduler or args.dask_workers):
        return None, None
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ValueError("--scheduler/--dask-workers need Dask: pip install 'hvlab[dask]'") \
            from None
    if args.scheduler:
        return Client(args.scheduler), None
    cluster = LocalCluster(n_workers=args.dask_workers, threads_per_worker=1,
                           dashboard_address=None)
    return Client(cluster), cluster


def compact(frame, input_columns) -> "object":
    """The columns worth printing: inputs, key results, and errors if any."""
    cols = list(input_columns) + [c for c in KEY_COLUMNS if c in frame.columns]
    if "error" in frame.columns and frame["error"].notna().any():
        cols.append("error")
    return frame[cols]


def _run_sweep(args) -> int:
    from hvlab.sweeps import sweep, valid_fields

    model, grid, base = build_sweep(args)
    if args.list_fields:
        print("\n".join(valid_fields(model, base)))
        return 0
    client, cluster = _client(args)
    try:
        seed = getattr(args, "seed", keyword_default(sweep, "seed"))
        frame = sweep(model, grid, base=base, seed=seed, n_jobs=args.jobs, client=client,
                      progress=not args.no_progress)
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    inputs = [c for c in frame.columns if c in grid or c == "vm"]
    if args.out:
        out = str(args.out)
        if out.endswith(".parquet"):
            frame.to_parquet(out)
        elif out.endswith(".json"):
            frame.to_json(out, orient="records", indent=1)
        else:
            frame.to_csv(out)
        print(f"{len(frame)} scenarios written to {out}")
    if not args.quiet:
        import pandas as pd

        with pd.option_context("display.width", 200, "display.max_colwidth", 80):
            print(compact(frame, inputs).to_string())
    errors = frame["error"].dropna()
    if len(errors) == len(frame):
        print(f"hvlab sweep: error: all {len(frame)} scenarios failed; the first, scenario "
              f"{errors.index[0]}: {errors.iloc[0]}\nFix that input (hvlab sweep {model} "
              "--list-fields shows what --grid can set) and run the sweep again.",
              file=sys.stderr)
        return 1
    if len(errors):
        print(f"{len(errors)} of {len(frame)} scenarios failed (see the error column)",
              file=sys.stderr)
    return 0


def _model_parsers() -> dict[str, list[str]]:
    """Model function -> the names `hvlab sweep` accepts for it (first one: the command, the
    others its aliases), in `hvlab.sweeps.MODEL_NAMES` order, the closed form last."""
    from hvlab.sweeps import MODEL_NAMES

    names: dict[str, list[str]] = {}
    for name, function in MODEL_NAMES.items():
        names.setdefault(function, []).append(name)
    return dict(sorted(names.items(), key=lambda item: item[0] == "analytic.precopy"))


def _add_model_parser(models, function: str, names: list[str]) -> None:
    from hvlab.sweeps import sweep

    primary, *aliases = names
    p = models.add_parser(
        primary, aliases=aliases, help=f"sweep {function}",
        description=f"Run {function} over a grid of inputs (hvlab sweep --help shows "
                    "examples). VALUES is a comma list (1,10 or tcpip,smb) or an inclusive "
                    "range start:stop:step. The shortcuts are the ones this model reads.")
    p.add_argument("inventory", nargs="?", default=None,
                   help="inventory CSV: the VMs to drain (drain) or one scenario per VM (others)")
    p.add_argument("--grid", action="append", type=parse_grid_item, metavar="FIELD=VALUES",
                   help="sweep a field, e.g. vm.dirty_rate_mib_s=0:400:20 or link.gbps=1,10 "
                        "(repeatable; see --list-fields)")
    shortcuts = MODEL_SHORTCUTS.get(function, ())
    if shortcuts:
        g = p.add_argument_group("shortcuts (VALUES each)")
        for dest, (flag, field, text) in SHORTCUTS.items():
            if dest in shortcuts:
                g.add_argument(flag, dest=dest, type=parse_values, default=None,
                               metavar="VALUES",
                               help=f"{text}: same as --grid {field}=VALUES "
                                    f"(default: {_unswept_text(field, function)})")
    p.add_argument("--preset", choices=list(PRESETS), default=DEFAULT_PRESET,
                   help="Hyper-V settings the grid starts from (default: %(default)s)")
    if function in SEEDED_MODELS:
        add_seed_argument(p, sweep, help="root seed, one seed per scenario spawned from it; "
                                          f"{seed_note()}")
    run = p.add_argument_group("where to run")
    run.add_argument("--jobs", "-j", type=int, default=keyword_default(sweep, "n_jobs"),
                     help="worker processes; -1 = every core (default: %(default)s)")
    run.add_argument("--scheduler", metavar="ADDRESS",
                     help="run on this Dask scheduler (tcp://host:8786)")
    run.add_argument("--dask-workers", type=int, default=0, metavar="N",
                     help="run on a local Dask cluster of N worker processes")
    p.add_argument("--out", metavar="FILE", help="write every column to FILE (.csv, .parquet, "
                                                 ".json)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--quiet", "-q", action="store_true", help="do not print the table")
    p.add_argument("--list-fields", action="store_true",
                   help="print the fields --grid can address for MODEL and exit")
    p.set_defaults(func=_run_sweep)


def register(subparsers) -> None:
    """Add `sweep` to the `hvlab` command: one sub-command per model, each with the shortcuts
    its model reads (`MODEL_SHORTCUTS`)."""
    p = subparsers.add_parser(
        "sweep", help="run a model over a grid of inputs",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    models = p.add_subparsers(dest="model", metavar="MODEL", help="the model to sweep")
    models.required = True
    for function, names in _model_parsers().items():
        _add_model_parser(models, function, names)
