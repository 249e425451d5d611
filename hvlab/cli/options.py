"""Options shared by the `hvlab` command groups, and the parameter objects built from them.

Each ``add_*_arguments`` helper takes the fields the command's model actually reads and adds
only those options: a command does not accept an option it would ignore (argparse refuses it:
"unrecognized arguments", exit status 2). The field names are the option dests
(``"memory_gib"`` for ``--memory-gib``); `VM_FIELDS`, `DISK_FIELDS`, `LINK_FIELDS`,
`ARRAY_FIELDS` and `SETTINGS_FIELDS` list what each helper offers. ``notes`` appends to an
option's help when it applies to one sub-mode only (e.g. ``--rdma``: with ``--transport smb``).

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
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from hvlab.params import PRESETS, TRANSPORTS, VM, WS2012, Link, MigrationSettings, Storage

__all__ = ["field_default", "keyword_default", "preset_default_text", "seed_note",
           "DEFAULT_PRESET", "STORAGE_MOVE_DISK_GIB", "VM_FIELDS", "DISK_FIELDS",
           "LINK_FIELDS", "ARRAY_FIELDS", "SETTINGS_FIELDS", "CONCURRENCY_FIELDS",
           "add_vm_arguments", "add_disk_arguments", "add_link_arguments",
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


def seed_note() -> str:
    """When a seed matters: only the "unique" dirty model draws random numbers. Names the
    presets that use it (none, today: their runs do not depend on the seed)."""
    users = [name for name, value in PRESETS.items()
             if getattr(value, "dirty_model", None) == "unique"]
    return ("only the 'unique' dirty model draws from it (MigrationSettings.dirty_model; "
            f"presets with it: {', '.join(users) or 'none'})")


# --------------------------------------------------------------------------------------------
# the option tables: dest -> how to add it
@dataclass(frozen=True)
class _Option:
    """One option: its flag, help, default and the other `add_argument` keywords.

    `default` is read when the option is added (a callable is called then), so that a
    parameter default is always the current one. `default_text` ends the help as
    "(default: ...)"; None leaves that out (flags)."""

    flag: str
    help: str
    default: object = None
    default_text: str | None = "%(default)s"
    kwargs: Mapping = dataclasses.field(default_factory=dict)


def _add_options(container, table: Mapping[str, _Option], fields: Sequence[str],
                 notes: Mapping[str, str] | None, what: str) -> None:
    """Add the options of `table` named in `fields` to `container`, in the table's order.

    Raises
    ------
    ValueError
        For a field (or a note) the table has no option for: a mistake in the command's list.
    """
    if isinstance(fields, str):
        raise TypeError(f"{what} fields must be a sequence of names, got the string {fields!r}")
    notes = dict(notes or {})
    unknown = [f for f in fields if f not in table]
    unknown += [f for f in notes if f not in fields]
    if unknown:
        raise ValueError(f"no {what} option for {', '.join(map(repr, unknown))} (or a note for "
                         f"an option not added); the {what} options are {', '.join(table)}")
    for dest, option in table.items():
        if dest not in fields:
            continue
        text = option.help + (f"; {notes[dest]}" if dest in notes else "")
        if option.default_text is not None:
            text += f" (default: {option.default_text})"
        default = option.default() if callable(option.default) else option.default
        container.add_argument(option.flag, default=default, help=text, **option.kwargs)


def _vm_table() -> dict[str, _Option]:
    d = lambda name: (lambda: field_default(VM, name))  # noqa: E731
    return {
        "name": _Option("--name", "VM name", d("name")),
        "memory_gib": _Option("--memory-gib", "assigned memory [GiB]", d("memory_gib"),
                              kwargs={"type": float}),
        "dirty_rate_mib_s": _Option("--dirty-rate-mib-s", "guest memory write rate [MiB/s]",
                                    d("dirty_rate_mib_s"), kwargs={"type": float}),
        "working_set_gib": _Option("--working-set-gib", "writable working set [GiB]",
                                   d("working_set_gib"), "all memory", {"type": float}),
        "state_mib": _Option("--state-mib", "device state sent in the blackout [MiB]",
                             d("state_mib"), kwargs={"type": float}),
    }


def _disk_table() -> dict[str, _Option]:
    d = lambda name: (lambda: field_default(VM, name))  # noqa: E731
    number = {"type": float}
    return {
        "disk_gib": _Option("--disk-gib", "virtual disks [GiB]", STORAGE_MOVE_DISK_GIB,
                            kwargs=number),
        "checkpoint_gib": _Option("--checkpoint-gib", "checkpoint disks [GiB]",
                                  d("checkpoint_gib"), kwargs=number),
        "smart_paging_gib": _Option("--smart-paging-gib", "smart paging file [GiB]",
                                    d("smart_paging_gib"), kwargs=number),
        "disk_read_mib_s": _Option("--disk-read-mib-s", "guest disk reads [MiB/s]",
                                   d("disk_read_mib_s"), kwargs=number),
        "disk_write_mib_s": _Option("--disk-write-mib-s", "guest disk writes [MiB/s]",
                                    d("disk_write_mib_s"), kwargs=number),
        "disk_iops": _Option("--disk-iops", "guest disk operations [1/s]", d("disk_iops"),
                             kwargs=number),
    }


def _link_table(optional_gbps: bool) -> dict[str, _Option]:
    if optional_gbps:
        gbps = _Option("--link-gbps", "the target is reached over a link of this rate "
                       "[Gbit/s]", None, "same host, no link", {"type": float})
    else:
        gbps = _Option("--link-gbps", "line rate of one NIC [Gbit/s]",
                       lambda: field_default(Link, "gbps"), kwargs={"type": float})
    return {
        "link_gbps": gbps,
        "nics": _Option("--nics", "NICs between the hosts", lambda: field_default(Link, "nics"),
                        kwargs={"type": int}),
        "rdma": _Option("--rdma", "NICs do RDMA (SMB Direct)",
                        lambda: field_default(Link, "rdma"), None, {"action": "store_true"}),
    }


def _array_table(role: str) -> dict[str, _Option]:
    d = lambda name: (lambda: field_default(Storage, name))  # noqa: E731
    number = {"type": float}
    return {
        "read_mib_s": _Option(f"--{role}-read-mib-s", "sequential read rate [MiB/s]",
                              d("read_mib_s"), kwargs=number),
        "write_mib_s": _Option(f"--{role}-write-mib-s", "sequential write rate [MiB/s]",
                               d("write_mib_s"), kwargs=number),
        "iops": _Option(f"--{role}-iops", "I/O operations per second", d("iops"),
                        kwargs=number),
        "latency_ms": _Option(f"--{role}-latency-ms", "latency of an I/O on the idle array "
                              "[ms]", d("base_latency_ms"), kwargs=number),
        "load_frac": _Option(f"--{role}-load-frac", "utilisation by other workloads "
                             "[fraction]", d("load_frac"), kwargs=number),
        "capacity_gib": _Option(f"--{role}-capacity-gib", "free capacity [GiB]",
                                d("capacity_gib"), "unlimited", number),
    }


def _settings_table() -> dict[str, _Option]:
    return {
        "transport": _Option("--transport", "memory transport", None,
                             preset_default_text("transport"), {"choices": TRANSPORTS}),
        "max_passes": _Option("--max-passes", "pre-copy pass cap", None,
                              preset_default_text("max_passes"), {"type": int}),
        "stop_copy_mib": _Option("--stop-copy-mib", "pause the VM when at most this much is "
                                 "dirty [MiB]", None, preset_default_text("stop_copy_mib"),
                                 {"type": float}),
        "compression_ratio": _Option("--compression-ratio", "uncompressed/compressed bytes for "
                                     "the compression transport", None,
                                     preset_default_text("compression_ratio"),
                                     {"type": float}),
    }


def _concurrency_table() -> dict[str, _Option]:
    return {
        "max_live": _Option("--max-live", "simultaneous live migrations", None,
                            preset_default_text("max_live_migrations"), {"type": int}),
        "max_storage": _Option("--max-storage", "simultaneous storage migrations", None,
                               preset_default_text("max_storage_migrations"), {"type": int}),
    }


VM_FIELDS = tuple(_vm_table())
"""What `add_vm_arguments` can add: ``name``, ``memory_gib``, ``dirty_rate_mib_s``,
``working_set_gib``, ``state_mib`` (the `VM` fields of the same names)."""
DISK_FIELDS = tuple(_disk_table())
"""What `add_disk_arguments` can add: the VM's files and its own disk I/O."""
LINK_FIELDS = ("link_gbps", "nics", "rdma")
"""What `add_link_arguments` can add (`Link.gbps`, `Link.nics`, `Link.rdma`)."""
ARRAY_FIELDS = ("read_mib_s", "write_mib_s", "iops", "latency_ms", "load_frac", "capacity_gib")
"""What `add_array_arguments` can add for an array (``--source-read-mib-s``, ...)."""
SETTINGS_FIELDS = ("transport", "max_passes", "stop_copy_mib", "compression_ratio")
"""Preset overrides `add_settings_arguments` can add beside ``--preset``."""
CONCURRENCY_FIELDS = ("max_live", "max_storage")
"""What `add_concurrency_arguments` can add."""

# option dest -> MigrationSettings field it overrides
_SETTINGS_OPTIONS = {"transport": "transport", "max_passes": "max_passes",
                     "stop_copy_mib": "stop_copy_mib", "compression_ratio": "compression_ratio",
                     "max_live": "max_live_migrations",
                     "max_storage": "max_storage_migrations"}


# --------------------------------------------------------------------------------------------
# the VM
def add_vm_arguments(parser: argparse.ArgumentParser, fields: Sequence[str], *,
                     notes: Mapping[str, str] | None = None) -> None:
    """Add the "VM" group with the options of `fields` (some of `VM_FIELDS`): name, memory,
    dirty rate, working set, device state."""
    _add_options(parser.add_argument_group("VM"), _vm_table(), fields, notes, "VM")


def add_disk_arguments(parser: argparse.ArgumentParser, fields: Sequence[str], *,
                       notes: Mapping[str, str] | None = None) -> None:
    """Add the "VM storage" group with the options of `fields` (some of `DISK_FIELDS`): the
    VM's files and its own disk I/O.

    ``--disk-gib`` defaults to `STORAGE_MOVE_DISK_GIB`; the others to the `VM` fields.
    """
    _add_options(parser.add_argument_group("VM storage"), _disk_table(), fields, notes,
                 "VM storage")


def vm_from_args(args, **fixed) -> VM:
    """The `VM` the parsed options describe; `VM` validates the values.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options; the VM and disk fields the command has no option for take the `VM`
        defaults.
    **fixed
        Fields the command sets itself, e.g. ``storage="local"``.
    """
    values = {name: getattr(args, name) for name in VM_FIELDS + DISK_FIELDS
              if hasattr(args, name)}
    return VM(**values, **fixed)


# --------------------------------------------------------------------------------------------
# the link
def add_link_arguments(container, fields: Sequence[str], *, optional_gbps: bool = False,
                       notes: Mapping[str, str] | None = None) -> None:
    """Add the link options of `fields` (some of `LINK_FIELDS`) to `container` (a parser or an
    argument group): ``--link-gbps`` [Gbit/s], ``--nics``, ``--rdma``, defaulting to the
    `Link` fields.

    With ``optional_gbps=True`` ``--link-gbps`` defaults to None: no link, the target is on
    the same host (`hvlab storage`).
    """
    _add_options(container, _link_table(optional_gbps), fields, notes, "link")


def link_from_args(args) -> Link | None:
    """The `Link` the options describe, or None when ``--link-gbps`` is None (no link).

    Link fields the command has no option for take the `Link` defaults.
    """
    if args.link_gbps is None:
        return None
    values = {"gbps": args.link_gbps}
    for dest, field in (("nics", "nics"), ("rdma", "rdma")):
        if hasattr(args, dest):
            values[field] = getattr(args, dest)
    return Link(**values)


# --------------------------------------------------------------------------------------------
# storage arrays
def add_array_arguments(parser: argparse.ArgumentParser, role: str, fields: Sequence[str], *,
                        description: str | None = None,
                        notes: Mapping[str, str] | None = None) -> None:
    """Add the "source storage" or "target storage" group (`role` "source" or "target") with
    the options of `fields` (some of `ARRAY_FIELDS`), defaulting to the `Storage` fields;
    `description` says when the group applies."""
    group = parser.add_argument_group(f"{role} storage", description)
    _add_options(group, _array_table(role), fields, notes, f"{role} storage")


def array_from_args(args, role: str) -> Storage:
    """The source or target `Storage` (named `role`) from its options; fields the command has
    no option for take the `Storage` defaults."""
    names = {"read_mib_s": "read_mib_s", "write_mib_s": "write_mib_s", "iops": "iops",
             "latency_ms": "base_latency_ms", "load_frac": "load_frac",
             "capacity_gib": "capacity_gib"}
    values = {field: getattr(args, f"{role}_{opt}") for opt, field in names.items()
              if hasattr(args, f"{role}_{opt}")}
    return Storage(name=role, **values)


# --------------------------------------------------------------------------------------------
# settings
def add_settings_arguments(parser: argparse.ArgumentParser, fields: Sequence[str], *,
                           preset_help: str = "Hyper-V version preset",
                           notes: Mapping[str, str] | None = None) -> None:
    """Add the "settings" group: ``--preset`` and the overrides of its fields named in
    `fields` (some of `SETTINGS_FIELDS`; none for a model that reads no such field)."""
    g = parser.add_argument_group("settings")
    g.add_argument("--preset", choices=list(PRESETS), default=DEFAULT_PRESET,
                   help=f"{preset_help} (default: %(default)s)")
    _add_options(g, _settings_table(), fields, notes, "settings")


def add_concurrency_arguments(group, fields: Sequence[str] = CONCURRENCY_FIELDS, *,
                              notes: Mapping[str, str] | None = None) -> None:
    """Add ``--max-live`` and/or ``--max-storage`` (simultaneous migrations; the preset's)."""
    _add_options(group, _concurrency_table(), fields, notes, "concurrency")


def settings_from_args(args) -> MigrationSettings:
    """The chosen preset with the overrides given on the command line applied."""
    changes = {field: getattr(args, dest) for dest, field in _SETTINGS_OPTIONS.items()
               if getattr(args, dest, None) is not None}
    return dataclasses.replace(PRESETS[args.preset], **changes)


# --------------------------------------------------------------------------------------------
# running and output
def add_seed_argument(group, func: Callable, help: str = "random seed") -> None:
    """Add ``--seed``, defaulting to `func`'s own ``seed`` default."""
    group.add_argument("--seed", type=int, default=keyword_default(func, "seed"),
                       help=f"{help} (default: %(default)s)")


def add_plot_argument(parser: argparse.ArgumentParser, help: str) -> None:
    """Add ``--plot FILE``."""
    parser.add_argument("--plot", metavar="FILE", help=help)
