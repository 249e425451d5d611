"""Quick Migration (clustered hosts, the pre-Live-Migration way): save state, move storage
ownership, restore. The VM is down for all of it.

1. save: the VM is paused and its memory plus device state written to the cluster's shared
   storage at the array's write rate;
2. ownership: the cluster moves the disk resource to the other node (`ownership_move_s`);
3. restore: the state is read back at the array's read rate and the VM resumes (`resume_s`).
"""
from __future__ import annotations

import pandas as pd

import salabim as sim

from hvlab.params import MIB, WS2012, VM, MigrationSettings, Storage
from hvlab.results import MigrationResult
from hvlab.sim.environment import new_environment
from hvlab.sim.sharing import SharedResources
from hvlab.validate import (check_seed, check_storage_moves_with_vm, check_type,
                            check_vm_for_version)


def quick_migration(vm: VM, storage: Storage, settings: MigrationSettings | None = None, *,
                    seed: int = 0) -> MigrationResult:
    """Simulate a Quick Migration of `vm` whose files are on the shared `storage`.

    Parameters
    ----------
    vm : VM
        Its memory and device state are saved and restored.
    storage : Storage
        The cluster's shared storage: `write_mib_s` for the save, `read_mib_s` for the restore.
    settings : MigrationSettings, optional
        `ownership_move_s` and `resume_s` are used. Default `hvlab.WS2012`.
    seed : int
        Accepted for a uniform model signature; the model is deterministic.

    Returns
    -------
    MigrationResult
        kind "quick"; `downtime_s` equals `total_s`; storage bytes are the saved state written
        and read back; no network bytes (the state goes through shared storage).
    """
    settings = WS2012 if settings is None else settings
    check_type("vm", vm, VM)
    check_type("storage", storage, Storage)
    check_type("settings", settings, MigrationSettings)
    check_vm_for_version(vm, settings)
    check_storage_moves_with_vm(vm, "Quick Migration")
    check_seed(seed)
    state_bytes = float(vm.memory_bytes) + vm.state_mib * MIB
    env = new_environment()
    writer = SharedResources.single(env, storage.write_mib_s * MIB, name=f"{storage.name}.write")
    reader = SharedResources.single(env, storage.read_mib_s * MIB, name=f"{storage.name}.read")
    marks: dict = {}

    class Move(sim.Component):
        def process(self):
            yield from writer.transfer(self, state_bytes, tag="save")
            marks["saved"] = env.now()
            yield self.hold(settings.ownership_move_s)
            marks["owned"] = env.now()
            yield from reader.transfer(self, state_bytes, tag="restore")
            marks["restored"] = env.now()
            yield self.hold(settings.resume_s)
            marks["end"] = env.now()

    Move(env=env, name="quick")
    env.run()
    end = marks["end"]
    phases = pd.DataFrame({
        "phase": ["save", "ownership", "restore", "resume"],
        "start_s": [0.0, marks["saved"], marks["owned"], marks["restored"]],
        "end_s": [marks["saved"], marks["owned"], marks["restored"], end],
    })
    times = [0.0, marks["saved"], marks["owned"], marks["restored"], end]
    timeline = pd.DataFrame({
        "network_mib_s": 0.0,
        "storage_mib_s": [storage.write_mib_s, 0.0, storage.read_mib_s, 0.0, 0.0],
        "storage_write_mib_s": [storage.write_mib_s, 0.0, 0.0, 0.0, 0.0],
        "storage_read_mib_s": [0.0, 0.0, storage.read_mib_s, 0.0, 0.0],
        "blackout": [True, True, True, True, False],
    }, index=pd.Index(times, name="time_s"))
    timeline = timeline[~timeline.index.duplicated(keep="last")]
    nbytes = int(round(state_bytes))
    return MigrationResult(
        kind="quick", total_s=end, downtime_s=end, network_bytes=0,
        storage_read_bytes=nbytes, storage_write_bytes=nbytes, converged=True,
        phases=phases, timeline=timeline, vm_name=vm.name, transport="",
        notes=(f"The VM is down for the whole move: {vm.memory_gib:g} GiB saved at "
               f"{storage.write_mib_s:g} MiB/s, ownership moved, read back at "
               f"{storage.read_mib_s:g} MiB/s.",))


__all__ = ["quick_migration"]
