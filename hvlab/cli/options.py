"""Options shared by the `hvlab` command groups, and the parameter objects built from them.

Every default is read from the parameter object the option sets (`hvlab.params`: `VM`, `Link`,
`Storage`, `MigrationSettings` through the preset) or from the model function's signature
(``seed``, ``order``), never written here by hand, so that every command, `hvlab sweep`
included, starts from the same scenario. The one deliberate exception is
`STORAGE_MOVE_DISK_GIB`.

Options for a preset field (``--transport``, ``--max-passes``, ``--max-live``, ...) default to
None, meaning "the chosen preset's value": a fixed number would override ``--preset``.
"""
from __future__ import annotations

import argparse
import dataclasses
import inspect

from hvlab.params import PRESETS, TRANSPORTS, VM, WS2012, Link, MigrationSettings, Storage

__all__ = ["field_default", "keyword_default", "preset_default_text", "DEFAULT_PRESET",
           "STORAGE_MOVE_DISK_GIB", "add_vm_arguments", "add_disk_arguments",
           "add_link_gbps_argument", "add_nics_argument", "add_link_arguments",
           "add_array_arguments", "add_settings_arguments", "add_concurrency_arguments",
           "add_seed_argument", "add_plot_argument", "vm_from_args", "link_from_args",
           "array_from_args", "settings_from_args"]


def field_default(cls, name: str):
    """The default value of field `name` of the parameter dataclass `cls`.

    Parameters
    ----------
    cls : type
        A dataclass of `hvlab.params` (`VM`, `Link`, `Storage`, `MigrationSettings`, ...).
    name : str
        One of its fields.

    Returns
    -------
    object
        The field's default (its default factory called, if it has one).

    Raises
    ------
    KeyError
        For a name that is not a field of `cls`; the message lists the fields.
    """
    fields = {f.name: f for f in dataclasses.fields(cls)}
    try:
        field = fields[name]
    except KeyError:
        raise KeyError(f"{cls.__name__} has no field {name!r}; its fields are "
                       f"{', '.join(fields)}") from None
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    if field.default is dataclasses.MISSING:
        raise KeyError(f"{cls.__name__}.{name} has no default")
    return field.default


def keyword_default(func, name: str):
    """The default value of the argument `name` of `func` (a model or `hvlab.sweep`).

    Raises
    ------
    KeyError
        When `func` has no argument `name` with a default.
    """
    param = inspect.signature(func).parameters.get(name)
    if param is None or param.default is inspect.Parameter.empty:
        raise KeyError(f"{func.__name__} has no argument {name!r} with a default")
    return param.default


DEFAULT_PRESET: str = next(name for name, value in PRESETS.items() if value is WS2012)
"""Name of the settings preset every command starts from ("WS2012"): the one the models use
when they are given no settings (`hvlab.WS2012`)."""

STORAGE_MOVE_DISK_GIB: float = 100.0
"""Virtual disk size [GiB] of the VM that `hvlab storage`, `hvlab shared-nothing` and
`hvlab sweep storage|shared-nothing` move when ``--disk-gib`` is not given.

`hvlab.VM` defaults to no disk (``disk_gib=0``), which suits the memory-only migrations, but a
storage move of an empty disk copies only the configuration files and shows nothing. 100 GiB
(a system disk with some data) is the size these commands have always used; it is set here
once so that the single commands and the sweeps agree.
"""


def preset_default_text(name: str) -> str:
    """Help text for an option that defaults to the preset's field `name`:
    ``the preset's; WS2012: 10``."""
    return f"the preset's; {DEFAULT_PRESET}: {getattr(PRESETS[DEFAULT_PRESET], name)}"


# --------------------------------------------------------------------------------------------
# the VM
_VM_OPTIONS = ("name", "memory_gib", "dirty_rate_mib_s", "working_set_gib", "state_mib")
_DISK_OPTIONS = ("disk_gib", "checkpoint_gib", "smart_paging_gib", "disk_read_mib_s",
                 "disk_write_mib_s", "disk_iops")


def add_vm_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the "VM" group: name, memory, dirty rate, working set and device state."""
    g = parser.add_argument_group("VM")
    d = lambda name: field_default(VM, name)  # noqa: E731
    g.add_argument("--name", default=d("name"), help="VM name (default: %(default)s)")
    g.add_argument("--memory-gib", type=float, default=d("memory_gib"),
                   help="assigned memory [GiB] (default: %(default)s)")
    g.add_argument("--dirty-rate-mib-s", type=float, default=d("dirty_rate_mib_s"),
                   help="guest memory write rate [MiB/s] (default: %(default)s)")
    g.add_argument("--working-set-gib", type=float, default=d("working_set_gib"),
                   help="writable working set [GiB] (default: all memory)")
    g.add_argument("--state-mib", type=float, default=d("state_mib"),
                   help="device state sent in the blackout [MiB] (default: %(default)s)")


def add_disk_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the "VM storage" group: the VM's files and its own disk I/O.

    ``--disk-gib`` defaults to `STORAGE_MOVE_DISK_GIB`; the others to the `VM` fields.
    """
    g = parser.add_argument_group("VM storage")
    d = lambda name: field_default(VM, name)  # noqa: E731
    g.add_argument("--disk-gib", type=float, default=STORAGE_MOVE_DISK_GIB,
                   help="virtual disks [GiB] (default: %(default)s)")
    g.add_argument("--checkpoint-gib", type=float, default=d("checkpoint_gib"),
                   help="checkpoint disks [GiB] (default: %(default)s)")
    g.add_argument("--smart-paging-gib", type=float, default=d("smart_paging_gib"),
                   help="smart paging file [GiB] (default: %(default)s)")
    g.add_argument("--disk-read-mib-s", type=float, default=d("disk_read_mib_s"),
                   help="guest disk reads [MiB/s] (default: %(default)s)")
    g.add_argument("--disk-write-mib-s", type=float, default=d("disk_write_mib_s"),
                   help="guest disk writes [MiB/s] (default: %(default)s)")
    g.add_argument("--disk-iops", type=float, default=d("disk_iops"),
                   help="guest disk operations [1/s] (default: %(default)s)")


def vm_from_args(args, **fixed) -> VM:
    """The `VM` the parsed options describe; `VM` validates the values.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options; the VM and disk options it lacks take the `VM` defaults.
    **fixed
        Fields the command sets itself, e.g. ``storage="local"``.
    """
    values = {name: getattr(args, name) for name in _VM_OPTIONS + _DISK_OPTIONS
              if hasattr(args, name)}
    return VM(**values, **fixed)


# --------------------------------------------------------------------------------------------
# the link
def add_link_gbps_argument(group, *, optional: bool = False) -> None:
    """Add ``--link-gbps`` [Gbit/s], defaulting to `Link.gbps`.

    With ``optional=True`` it defaults to None: no link, the target is on the same host
    (`hvlab storage`).
    """
    if optional:
        group.add_argument("--link-gbps", type=float, default=None,
                           help="the target is reached over a link of this rate [Gbit/s] "
                                "(default: same host, no link)")
    else:
        group.add_argument("--link-gbps", type=float, default=field_default(Link, "gbps"),
                           help="line rate of one NIC [Gbit/s] (default: %(default)s)")


def add_nics_argument(group, help: str = "NICs between the hosts") -> None:
    """Add ``--nics``, defaulting to `Link.nics`."""
    group.add_argument("--nics", type=int, default=field_default(Link, "nics"),
                       help=f"{help} (default: %(default)s)")


def add_link_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the "link" group: line rate, NICs and RDMA."""
    g = parser.add_argument_group("link")
    add_link_gbps_argument(g)
    add_nics_argument(g)
    g.add_argument("--rdma", action="store_true", default=field_default(Link, "rdma"),
                   help="NICs do RDMA (SMB Direct)")


def link_from_args(args) -> Link | None:
    """The `Link` the options describe, or None when ``--link-gbps`` is None (no link).

    Link fields without an option (``--rdma`` exists only for `hvlab live`) take the `Link`
    defaults.
    """
    if args.link_gbps is None:
        return None
    values = {"gbps": args.link_gbps, "nics": args.nics}
    if hasattr(args, "rdma"):
        values["rdma"] = args.rdma
    return Link(**values)


# --------------------------------------------------------------------------------------------
# storage arrays
def add_array_arguments(parser: argparse.ArgumentParser, role: str) -> None:
    """Add the options of the source or target array (`role` "source" or "target"), defaulting
    to the `Storage` fields."""
    g = parser.add_argument_group(f"{role} storage")
    d = lambda name: field_default(Storage, name)  # noqa: E731
    g.add_argument(f"--{role}-read-mib-s", type=float, default=d("read_mib_s"),
                   help="sequential read rate [MiB/s] (default: %(default)s)")
    g.add_argument(f"--{role}-write-mib-s", type=float, default=d("write_mib_s"),
                   help="sequential write rate [MiB/s] (default: %(default)s)")
    g.add_argument(f"--{role}-iops", type=float, default=d("iops"),
                   help="I/O operations per second (default: %(default)s)")
    g.add_argument(f"--{role}-latency-ms", type=float, default=d("base_latency_ms"),
                   help="latency of an I/O on the idle array [ms] (default: %(default)s)")
    g.add_argument(f"--{role}-load-frac", type=float, default=d("load_frac"),
                   help="utilisation by other workloads [fraction] (default: %(default)s)")
    g.add_argument(f"--{role}-capacity-gib", type=float, default=d("capacity_gib"),
                   help="free capacity [GiB] (default: unlimited)")


def array_from_args(args, role: str) -> Storage:
    """The source or target `Storage` (named `role`) from its options."""
    get = lambda name: getattr(args, f"{role}_{name}")  # noqa: E731
    return Storage(name=role, read_mib_s=get("read_mib_s"), write_mib_s=get("write_mib_s"),
                   iops=get("iops"), base_latency_ms=get("latency_ms"),
                   load_frac=get("load_frac"), capacity_gib=get("capacity_gib"))


# --------------------------------------------------------------------------------------------
# settings
# option dest -> MigrationSettings field it overrides
_SETTINGS_OPTIONS = {"transport": "transport", "max_passes": "max_passes",
                     "stop_copy_mib": "stop_copy_mib", "compression_ratio": "compression_ratio",
                     "max_live": "max_live_migrations",
                     "max_storage": "max_storage_migrations"}


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the "settings" group: the preset and the overrides of its fields."""
    g = parser.add_argument_group("settings")
    g.add_argument("--preset", choices=list(PRESETS), default=DEFAULT_PRESET,
                   help="Hyper-V version preset (default: %(default)s)")
    g.add_argument("--transport", choices=TRANSPORTS, default=None,
                   help=f"memory transport (default: {preset_default_text('transport')})")
    g.add_argument("--max-passes", type=int, default=None,
                   help=f"pre-copy pass cap (default: {preset_default_text('max_passes')})")
    g.add_argument("--stop-copy-mib", type=float, default=None,
                   help="pause the VM when at most this much is dirty [MiB] "
                        f"(default: {preset_default_text('stop_copy_mib')})")
    g.add_argument("--compression-ratio", type=float, default=None,
                   help="uncompressed/compressed bytes for the compression transport "
                        f"(default: {preset_default_text('compression_ratio')})")


def add_concurrency_arguments(group) -> None:
    """Add ``--max-live`` and ``--max-storage`` (simultaneous migrations; the preset's)."""
    group.add_argument("--max-live", type=int, default=None,
                       help="simultaneous live migrations "
                            f"(default: {preset_default_text('max_live_migrations')})")
    group.add_argument("--max-storage", type=int, default=None,
                       help="simultaneous storage migrations "
                            f"(default: {preset_default_text('max_storage_migrations')})")


def settings_from_args(args) -> MigrationSettings:
    """The chosen preset with the overrides given on the command line applied."""
    changes = {field: getattr(args, dest) for dest, field in _SETTINGS_OPTIONS.items()
               if getattr(args, dest, None) is not None}
    return dataclasses.replace(PRESETS[args.preset], **changes)


# --------------------------------------------------------------------------------------------
# running and output
def add_seed_argument(group, func, help: str = "random seed") -> None:
    """Add ``--seed``, defaulting to `func`'s own ``seed`` default."""
    group.add_argument("--seed", type=int, default=keyword_default(func, "seed"),
                       help=f"{help} (default: %(default)s)")


def add_plot_argument(parser: argparse.ArgumentParser, help: str) -> None:
    """Add ``--plot FILE``."""
    parser.add_argument("--plot", metavar="FILE", help=help)
