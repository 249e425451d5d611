"""Shared Nothing Live Migration (Windows Server 2012): move a running VM and its storage
between hosts that share nothing but a network.

Sequence (Microsoft's WS2012 descriptions; docs/domain.md), run by the fragment
`hvlab.sim.copy_then_precopy.run_shared_nothing`:

1. setup: connection, target files created on the destination's storage (`setup_s`);
2. storage_copy: a Storage Live Migration over the link (mirror + skipping single-pass copy,
   `hvlab.sim.storage_copy`);
3. memory: the memory pre-copy of a Live Migration (`hvlab.sim.precopy`) while the mirror keeps
   the disks in sync: mirrored guest writes go on crossing the link and take their part of it;
4. blackout: the VM is paused (no more guest writes: the mirror is in sync), the last dirty
   pages and device state are sent, the VM resumes on the destination, its I/O on the
   destination's storage;
5. delete_source: the source files are deleted.

Everything crosses the one link: the copy, the mirrored writes and the memory. Over 1 Gbps a
VM's disks (tens to hundreds of GiB) take far longer than its memory.
"""
from __future__ import annotations

import numpy as np
import salabim as sim

from hvlab.params import WS2012, VM, Link, MigrationSettings, Storage
from hvlab.physics.dirtying import Dirtier
from hvlab.physics.transfer import transfer_plan
from hvlab.results import MigrationResult
from hvlab.sim.copy_then_precopy import run_shared_nothing, shared_nothing_result
from hvlab.sim.environment import new_environment
from hvlab.sim.records import MigrationRecord
from hvlab.sim.sharing import SharedResources, duplex
from hvlab.sim.storage_copy import (StorageMove, add_array_load, array_keys, array_resources,
                                    check_capacity, check_rate_cap, host_paths, path_resources)
from hvlab.validate import (check_feature_in_version, check_seed, check_type,
                            check_vm_for_version)


def shared_nothing_migration(vm: VM, link: Link, source: Storage, target: Storage,
                             settings: MigrationSettings | None = None, *,
                             copy_rate_cap_mib_s: float | None = None,
                             seed: int = 0) -> MigrationResult:
    """Simulate a Shared Nothing Live Migration of `vm` over `link`, its files moving from the
    source host's `source` storage to the destination's `target` storage.

    Parameters
    ----------
    vm : VM
        Memory and dirtying as for a live migration; `VM.storage_bytes` is copied; its disk
        I/O loads the arrays and its writes are mirrored over the link.
    link : Link
        The network between the hosts: the copy, the mirror and the memory all cross it.
    source, target : Storage
        The source host's and the destination host's storage.
    settings : MigrationSettings, optional
        As for a live migration. Default `hvlab.WS2012`.
    copy_rate_cap_mib_s : float, optional
        Throttle on the storage copy [MiB/s].
    seed : int
        Seed of the run's own random stream (``dirty_model="unique"``).

    Returns
    -------
    MigrationResult
        kind "shared_nothing"; phases setup, storage_copy, memory, blackout, delete_source;
        `network_bytes` = copy + mirrored writes + memory (wire); storage bytes and guest
        latency details as `storage_migration`, plus storage_phase_s and memory_phase_s.

    Raises
    ------
    ValueError
        When the VM's files do not fit `target.capacity_gib`, under WS2008R2 settings (Shared
        Nothing Live Migration arrived in 2012), for more memory than the version allows, or
        when an array's open load reaches its capacity.
    """
    settings = WS2012 if settings is None else settings
    check_type("vm", vm, VM)
    check_type("link", link, Link)
    check_type("source", source, Storage)
    check_type("target", target, Storage)
    check_type("settings", settings, MigrationSettings)
    check_feature_in_version("Shared Nothing Live Migration", settings)
    check_vm_for_version(vm, settings)
    check_seed(seed)
    cap = check_rate_cap(copy_rate_cap_mib_s)
    check_capacity(vm, target)
    if source == target:
        # two hosts' local storage are two arrays even when described alike
        target = Storage(**{**target.__dict__, "name": f"{target.name} (destination)"})

    plan = transfer_plan(link, settings)
    env = new_environment()
    links = duplex("link", plan.link_capacity_bytes_s)
    links.update(path_resources(source, target))
    pool = SharedResources(env, links, arrays=array_resources(source, target),
                           default="link.out")
    src_key, tgt_key = array_keys(source, target)
    src_path, tgt_path = host_paths(source, target)
    # everything leaves the source host on the link; on the destination the writes go to its
    # own storage, where the guest's I/O runs after the switch
    move = StorageMove(pool, vm, source=source, target=target, src_key=src_key,
                       tgt_key=tgt_key, source_paths=src_path, target_paths=("link",) + tgt_path,
                       before_paths=src_path, after_paths=tgt_path,
                       fabric_paths=("source_path", "target_path"), cap_bytes_s=cap,
                       population=settings.copy_outstanding_ios,
                       io_bytes=settings.copy_io_bytes)
    add_array_load(pool, source, target)
    move.guest_on_source()
    dirtier = Dirtier(vm, settings.dirty_model, np.random.default_rng(seed))
    record = MigrationRecord()

    class Migration(sim.Component):
        def process(self):
            yield self.hold(settings.setup_s)
            yield from run_shared_nothing(self, vm, pool, plan, settings, dirtier, move,
                                          record)

    Migration(env=env, name="shared_nothing_migration")
    env.run()
    notes = [f"The copy was throttled to {copy_rate_cap_mib_s:g} MiB/s."] if cap < np.inf \
        else []
    return shared_nothing_result(vm, settings, plan, pool, move, record, extra_notes=notes)


__all__ = ["shared_nothing_migration"]
