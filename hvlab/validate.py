"""Small argument checks shared by the models, with messages that name the argument."""
from __future__ import annotations

from hvlab.params import MAX_VM_MEMORY_GIB


def check_type(name: str, value, expected: type | tuple) -> None:
    """Raise TypeError naming `name` unless `value` is an instance of `expected`."""
    if not isinstance(value, expected):
        names = (" or ".join(f"hvlab.{t.__name__}" for t in expected)
                 if isinstance(expected, tuple) else f"hvlab.{expected.__name__}")
        raise TypeError(f"{name} must be a {names}, got {type(value).__name__} {value!r:.80}")


def check_choice(name: str, value, choices) -> None:
    """Raise ValueError naming `name` and listing `choices` unless `value` is one of them."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")


def check_seed(seed) -> None:
    """A seed is a non-negative whole number."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise TypeError(f"seed must be a non-negative int, got {seed!r}")


def check_vm_for_version(vm, settings, name: str = "vm") -> None:
    """Refuse a VM with more memory than `settings.version` allows (`MAX_VM_MEMORY_GIB`)."""
    most = MAX_VM_MEMORY_GIB[settings.version]
    if vm.memory_gib > most:
        raise ValueError(
            f"{name} {vm.name!r} has memory_gib={vm.memory_gib:g} but a {settings.version} VM "
            f"can have at most {most:g} GiB; lower memory_gib or use a later version's settings "
            f"(e.g. hvlab.WS2012R2)")


def check_storage_moves_with_vm(vm, model: str, name: str = "vm") -> None:
    """Refuse a memory-only move (live or quick migration) of a VM whose disks are local to the
    source host: the destination could not reach them."""
    if vm.storage == "local":
        raise ValueError(
            f"{name} {vm.name!r} has storage='local': its disks are on the source host, which "
            f"the destination cannot reach, so a {model} cannot move it; use "
            "hvlab.shared_nothing_migration (moves storage and memory), or set storage='shared' "
            "or 'smb' if the disks are on a cluster volume or an SMB 3 share")


FEATURES_SINCE_WS2012 = ("Storage Live Migration", "Shared Nothing Live Migration",
                         "SMB Live Migration")


def check_feature_in_version(feature: str, settings) -> None:
    """Refuse a feature the settings' version does not have: Storage Live Migration, Shared
    Nothing Live Migration and VMs on SMB 3 shares arrived in Windows Server 2012."""
    if feature in FEATURES_SINCE_WS2012 and settings.version == "WS2008R2":
        raise ValueError(
            f"{feature} does not exist in Windows Server 2008 R2 (it arrived in Windows Server "
            "2012); use hvlab.WS2012 or hvlab.WS2012R2 settings")
