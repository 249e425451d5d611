"""Shared Nothing Live Migration (Windows Server 2012): move a running VM and its storage
between hosts that share nothing but a network.

Sequence (the seed; Microsoft's WS2012 descriptions; DOMAIN.md):

1. setup: connection, target files created on the destination's storage (`setup_s`);
2. storage_copy: a Storage Live Migration over the link (mirror + skipping single-pass copy,
   `hvlab.models.storage_migration`);
3. memory: the memory pre-copy of a Live Migration (`hvlab.models.live`) while the mirror keeps
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
import pandas as pd

from hvlab.models._des import new_environment
from hvlab.models.live import Dirtier, precopy_notes, run_precopy, transfer_plan
from hvlab.models.smb import on_blackout_start
from hvlab.models.storage import MIN_COPY_FRAC, SharedResources, fast_passes_frame
from hvlab.models.storage_migration import (DELETE_SOURCE_S, StorageMove, _array_keys,
                                            add_array_load, array_resources, check_capacity,
                                            check_rate_cap)
from hvlab.params import MIB, VM, Link, MigrationSettings, Storage
from hvlab.results import MigrationResult
from hvlab.validate import check_seed, check_type

import salabim as sim


def run_shared_nothing(component: sim.Component, vm: VM, pool: SharedResources, plan,
                       settings: MigrationSettings, dirtier: Dirtier, move: StorageMove,
                       log: dict):
    """The storage copy, memory pre-copy, blackout and switch of a Shared Nothing Live
    Migration, as a process fragment (after setup): ``yield from run_shared_nothing(...)``.

    Fills `log` as `run_precopy` does plus "storage_start_s", "storage_end_s", "end_s"
    (after the source is deleted)."""
    env = component.env
    log["storage_start_s"] = env.now()
    yield from move.copy(component)
    log["storage_end_s"] = env.now()
    yield from on_blackout_start(run_precopy(component, vm, pool, plan, settings, dirtier, log),
                                 log, move.pause)
    move.switch()
    yield component.hold(DELETE_SOURCE_S)
    log["end_s"] = env.now()


def shared_nothing_result(vm: VM, settings: MigrationSettings, plan, pool: SharedResources,
                          move: StorageMove, log: dict, *, start_s: float = 0.0,
                          extra_notes=()) -> MigrationResult:
    """Build a Shared Nothing Live Migration's result (also used by `drain_host`); times are
    made relative to `start_s`."""
    end = log["end_s"]
    mlog = move.log
    passes = fast_passes_frame(log["passes"], start_s)
    timeline, details = move.build(
        end, start_s=start_s, memory_tag=vm.name, during=(mlog["copy_start_s"], mlog["switch_s"]),
        pass_starts=[r[1] for r in log["passes"]],
        blackout=(log["blackout_start_s"], log["blackout_end_s"]))
    black0, black1 = log["blackout_start_s"] - start_s, log["blackout_end_s"] - start_s
    marks = [0.0, log["storage_start_s"] - start_s, log["storage_end_s"] - start_s, black0,
             black1, end - start_s]
    phases = pd.DataFrame({"phase": ["setup", "storage_copy", "memory", "blackout",
                                     "delete_source"],
                           "start_s": marks[:-1], "end_s": marks[1:]})
    details["storage_phase_s"] = marks[2] - marks[1]
    details["memory_phase_s"] = marks[3] - marks[2]
    details["memory_rate_mib_s"] = plan.memory_rate_bytes_s / MIB
    copied, mirrored = mlog["copied"], mlog["mirrored"]
    notes = list(precopy_notes(vm, plan, settings, log)) + move.notes(details)
    share = details["storage_phase_s"] / max(marks[-1], 1e-12)
    notes.append(f"The storage copy took {details['storage_phase_s']:.0f} s, "
                 f"{share:.0%} of the move; the memory phase {details['memory_phase_s']:.0f} s.")
    notes.extend(extra_notes)
    return MigrationResult(
        kind="shared_nothing", total_s=end - start_s,
        downtime_s=log["blackout_end_s"] - log["blackout_start_s"],
        network_bytes=int(round(move.network_bytes + log["wire_bytes"])),
        storage_read_bytes=int(round(copied)),
        storage_write_bytes=int(round(copied)) + int(round(mirrored)),
        converged=log["converged"], passes=passes, phases=phases, timeline=timeline,
        vm_name=vm.name, transport=settings.transport, details=details, notes=tuple(notes))


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
        When the VM's files do not fit `target.capacity_gib`.
    """
    from hvlab.params import WS2012

    settings = WS2012 if settings is None else settings
    check_type("vm", vm, VM)
    check_type("link", link, Link)
    check_type("source", source, Storage)
    check_type("target", target, Storage)
    check_type("settings", settings, MigrationSettings)
    check_seed(seed)
    cap = check_rate_cap(copy_rate_cap_mib_s)
    check_capacity(vm, target)
    if source == target:
        # two hosts' local storage are two arrays even when described alike
        target = Storage(**{**target.__dict__, "name": f"{target.name} (destination)"})

    plan = transfer_plan(link, settings)
    env = new_environment()
    resources = array_resources(source, target)
    resources["link"] = (plan.link_capacity_bytes_s, MIN_COPY_FRAC * plan.link_capacity_bytes_s)
    pool = SharedResources(env, resources, default="link")
    src_key, tgt_key = _array_keys(source, target)
    move = StorageMove(pool, vm, source=source, target=target, src_key=src_key,
                       tgt_key=tgt_key, copy_links=("link",), mirror_links=("link",),
                       cap_bytes_s=cap)
    add_array_load(pool, source, target)
    move.guest_on_source()
    dirtier = Dirtier(vm, settings.dirty_model, np.random.default_rng(seed))
    log: dict = {}

    class Migration(sim.Component):
        def process(self):
            yield self.hold(settings.setup_s)
            yield from run_shared_nothing(self, vm, pool, plan, settings, dirtier, move, log)

    Migration(env=env, name="shared_nothing_migration")
    env.run()
    notes = [f"The copy was throttled to {copy_rate_cap_mib_s:g} MiB/s."] if cap < np.inf \
        else []
    return shared_nothing_result(vm, settings, plan, pool, move, log, extra_notes=notes)


__all__ = ["shared_nothing_migration", "run_shared_nothing", "shared_nothing_result"]
