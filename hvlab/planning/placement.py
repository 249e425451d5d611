"""Where each VM of a drained host goes, with memory never over-committed.

Memory is counted conservatively, so that no timing can over-commit a host: a moving VM holds
its memory on both hosts for the whole move (the destination reserves it when the move starts,
the source frees it when the move ends: docs/domain.md#domain-live-migration), and while a
patched host's VMs come back beside the next host's drain, every VM of the returning host
still counts on the host it waited on.

Policies:

A VM with local disks also loads its destination's array with its own I/O: it goes only where
the array's utilisation by the local VMs on it stays at most `ARRAY_UTIL_MAX`.

- "first_fit" (the default policy, as an administrator without a planner would pick): VMs in
  the given order, each on the first host in the cluster's order with room;
- "spread": the largest VM first; a VM with local disks on the host whose array is least
  loaded by this drain's copies relative to its write rate, any other VM on the host with the
  most free memory (which keeps room everywhere for the next overlap).
"""
from __future__ import annotations

from typing import Sequence

from hvlab.params import VM, Host
from hvlab.physics.storage_io import guest_demand_frac

POLICIES = ("first_fit", "spread")
ARRAY_UTIL_MAX = 0.8
"""Most utilisation a host's array may have from the local VMs' own I/O after placement
[fraction]. Assumption: the storage copy and the mirrored writes need headroom, and at 80 %
a processor-sharing array already answers 5 times slower than idle (1 / (1 - 0.8));
docs/planning.md#planning-assumptions."""


class PlacementError(ValueError):
    """No host has room for a VM of a drained host."""


def place(vms: Sequence[VM], room: dict, candidates: Sequence[Host],
          policy: str) -> dict[str, str]:
    """Choose a destination for each VM.

    Parameters
    ----------
    vms : sequence of VM
        The drained host's VMs.
    room : dict
        {host name: [free memory for VMs [GiB], free array utilisation [fraction]]}
        (`room_on`; updated in place).
    candidates : sequence of Host
        The hosts that may receive VMs, in the cluster's order.
    policy : str
        "first_fit" or "spread".

    Returns
    -------
    dict
        {VM name: destination host name}.

    Raises
    ------
    PlacementError
        When a VM fits on no candidate; the message names the VM and the most free memory.
    """
    if policy not in POLICIES:
        raise ValueError(f"placement policy must be one of {', '.join(POLICIES)}, got {policy!r}")
    placed: dict[str, str] = {}
    queue = list(vms) if policy == "first_fit" else sorted(vms, key=lambda v: -v.assigned_gib)
    copy_load = {h.name: 0.0 for h in candidates}
    for vm in queue:
        need = vm.assigned_gib
        local = vm.storage == "local"

        def load(h):
            return guest_demand_frac(vm, h.storage) if local else 0.0

        fits = [h for h in candidates if room[h.name][0] + 1e-9 >= need
                and room[h.name][1] + 1e-12 >= load(h)]
        if not fits:
            most = max((room[h.name][0] for h in candidates), default=0.0)
            raise PlacementError(
                f"VM {vm.name!r} ({need:g} GiB{', local disks' if local else ''}) fits on none "
                f"of {', '.join(h.name for h in candidates) or 'no host'} (most free memory: "
                f"{most:g} GiB" + (f"; local VMs go only where the array stays at most "
                                   f"{ARRAY_UTIL_MAX:.0%} busy" if local else "") + ")")
        if policy == "first_fit":
            dest = fits[0]
        elif local:
            dest = min(fits, key=lambda h: (copy_load[h.name] + vm.storage_bytes)
                       / h.storage.write_mib_s)
        else:
            dest = max(fits, key=lambda h: room[h.name][0])
        placed[vm.name] = dest.name
        room[dest.name][0] -= need
        room[dest.name][1] -= load(dest)
        if local:
            copy_load[dest.name] += vm.storage_bytes
    return placed


def room_on(hosts: Sequence[Host], resident: dict[str, list]) -> dict[str, list]:
    """{host name: [free memory for VMs [GiB], free array utilisation [fraction]]} with the
    VMs in `resident` on each host (its own, and any waiting on it): memory for VMs less
    theirs, `ARRAY_UTIL_MAX` less what the local ones' I/O asks of the host's array."""
    out = {}
    for h in hosts:
        on = resident.get(h.name, ())
        out[h.name] = [h.vm_memory_gib - sum(vm.assigned_gib for vm in on),
                       ARRAY_UTIL_MAX - sum(guest_demand_frac(vm, h.storage) for vm in on
                                            if vm.storage == "local")]
    return out


__all__ = ["place", "room_on", "PlacementError", "POLICIES", "ARRAY_UTIL_MAX"]
