"""Live Migration: memory pre-copy over the migration network (one VM, one link).

validate -> build (an environment, the link as a one-resource pool, the guest's dirtying)
-> run (setup, then the pre-copy fragment `hvlab.sim.precopy.run_precopy`) -> result.
The sequence and its sources are in `hvlab.sim.precopy` and docs/models.md.
"""
from __future__ import annotations

import numpy as np
import salabim as sim

from hvlab.params import WS2012, VM, Link, MigrationSettings
from hvlab.physics.dirtying import Dirtier
from hvlab.physics.transfer import transfer_plan
from hvlab.results import MigrationResult
from hvlab.sim.environment import new_environment
from hvlab.sim.precopy import memory_result, run_precopy
from hvlab.sim.records import MigrationRecord
from hvlab.sim.sharing import SharedResources
from hvlab.validate import (check_seed, check_storage_moves_with_vm, check_type,
                            check_vm_for_version)


def live_migration(vm: VM, link: Link, settings: MigrationSettings | None = None, *,
                   seed: int = 0) -> MigrationResult:
    """Simulate a Live Migration of `vm` over `link` (discrete-event, salabim).

    Parameters
    ----------
    vm : VM
        The VM; its memory, dirty rate, working set and device state matter here.
    link : Link
        The migration network.
    settings : MigrationSettings, optional
        Transport, pass cap, stop threshold, timings. Default `hvlab.WS2012`.
    seed : int
        Seed of the run's own random stream (used by ``dirty_model="unique"``).

    Returns
    -------
    MigrationResult
        kind "live"; `downtime_s` is the blackout; `network_bytes` are wire bytes.

    Examples
    --------
    >>> import hvlab as hv
    >>> r = hv.live_migration(hv.VM(memory_gib=8, dirty_rate_mib_s=40), hv.Link(gbps=1))
    >>> r.summary()[["total_s", "downtime_s", "passes", "converged"]]  # doctest: +SKIP
    """
    settings = WS2012 if settings is None else settings
    check_type("vm", vm, VM)
    check_type("link", link, Link)
    check_type("settings", settings, MigrationSettings)
    check_vm_for_version(vm, settings)
    check_storage_moves_with_vm(vm, "live migration")
    check_seed(seed)

    env = new_environment()
    plan = transfer_plan(link, settings)
    pool = SharedResources.single(env, plan.link_capacity_bytes_s, name="link")
    dirtier = Dirtier(vm, settings.dirty_model, np.random.default_rng(seed))
    record = MigrationRecord()

    class Migration(sim.Component):
        def process(self):
            yield self.hold(settings.setup_s)
            yield from run_precopy(self, vm, pool, plan, settings, dirtier, record)

    Migration(env=env, name="migration")
    env.run()
    return memory_result(vm, settings, plan, pool, record)


__all__ = ["live_migration"]
