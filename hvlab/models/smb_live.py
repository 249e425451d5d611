"""SMB Live Migration (Windows Server 2012): live-migrate a VM whose files are on an SMB 3 file
share, between hosts that need not be in a cluster.

It is a Live Migration (setup, memory pre-copy, blackout; `hvlab.sim.precopy`) in which the
blackout moves the open file handles and locks on the share from the source host to the
destination instead of a cluster disk: SMB 3 persistent handles (MS-SMB2 2.2.14.2.12, durable
handle v2 with the persistent flag) let the destination reclaim each open file, one per open
file (`open_files`, `MigrationSettings.smb_handle_move_ms` each; `hvlab.sim.handles`).

The guest keeps doing disk I/O to the share while its memory is copied. That I/O travels over
the share's link: when it is the same network as the migration link (``same_network``), the
guest's *writes* leave the source host in the same direction as the memory copy and share that
direction with it max-min fairly (`hvlab.sim.sharing`); its *reads* come in the other
direction of the full-duplex link and do not slow the copy. A guest that writes a lot
therefore migrates more slowly and, when it also dirties memory, needs more passes. The
guest's I/O pauses during the blackout (the VM is paused).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import salabim as sim

from hvlab.params import MIB, WS2012, VM, Link, MigrationSettings, SmbShare
from hvlab.physics.dirtying import Dirtier
from hvlab.physics.storage_io import guest_demand_frac
from hvlab.physics.transfer import transfer_plan
from hvlab.results import MigrationResult
from hvlab.sim.environment import new_environment
from hvlab.sim.handles import check_open_files, handle_move_s, smb_live_result
from hvlab.sim.precopy import run_precopy
from hvlab.sim.records import MigrationRecord
from hvlab.sim.sharing import SharedResources, duplex
from hvlab.validate import (check_feature_in_version, check_seed, check_type,
                            check_vm_for_version)


def smb_live_migration(vm: VM, link: Link, share: SmbShare,
                       settings: MigrationSettings | None = None, *,
                       open_files: int | None = None,
                       handle_move_ms_per_file: float | None = None,
                       same_network: bool | None = None, seed: int = 0) -> MigrationResult:
    """Simulate an SMB Live Migration of `vm`, whose files are on `share`, over `link`.

    Parameters
    ----------
    vm : VM
        The VM: memory, dirty rate and working set as for a live migration; its disk I/O
        (`disk_read_mib_s`, `disk_write_mib_s`, `disk_iops`) goes to the share.
    link : Link
        The migration network between the two hosts.
    share : SmbShare
        The SMB 3 share holding the VM's files: its storage serves the guest's I/O (latency in
        the timeline) and its link carries that I/O.
    settings : MigrationSettings, optional
        As for a live migration; `smb_handle_move_ms` is the cost per open file. The cluster
        disk handle move (`handle_move_s`) does not apply. Default `hvlab.WS2012`.
    open_files : int, optional
        Files the host holds open on the share for this VM (handles and locks moved in the
        blackout): its VHDX files, one AVHDX per disk and checkpoint, the configuration and
        the saved-state files; not the guest's own files. Default `VM.open_files`.
    handle_move_ms_per_file : float, optional
        Overrides `settings.smb_handle_move_ms` [ms per file].
    same_network : bool, optional
        Whether the share is reached over the migration network itself, so the guest's writes
        share the outbound direction with the memory copy (reads travel the other way). Default: when ``share.link == link``.
    seed : int
        Seed of the run's own random stream (``dirty_model="unique"``).

    Returns
    -------
    MigrationResult
        kind "smb_live"; `downtime_s` includes the handle moves; details: open_files,
        handle_move_s, same_network, guest_io_mib_s, guest_latency_ms (the share's array).
    """
    settings = WS2012 if settings is None else settings
    check_type("vm", vm, VM)
    check_type("link", link, Link)
    check_type("share", share, SmbShare)
    check_type("settings", settings, MigrationSettings)
    check_feature_in_version("SMB Live Migration", settings)
    check_vm_for_version(vm, settings)
    check_seed(seed)
    open_files = check_open_files(vm.open_files if open_files is None else open_files)
    if handle_move_ms_per_file is not None:
        if isinstance(handle_move_ms_per_file, bool) or not isinstance(
                handle_move_ms_per_file, (int, float)) or not handle_move_ms_per_file >= 0:
            raise ValueError(f"handle_move_ms_per_file must be a number >= 0 ms, got "
                             f"{handle_move_ms_per_file!r}")
    if same_network is None:
        same_network = share.link == link
    elif not isinstance(same_network, bool):
        raise TypeError(f"same_network must be True, False or None, got {same_network!r}")

    handles_s = handle_move_s(open_files, settings, handle_move_ms_per_file)
    run_settings = dataclasses.replace(settings, handle_move_s=0.0)
    plan = transfer_plan(link, settings)
    env = new_environment()
    links = duplex("link", plan.link_capacity_bytes_s)
    share_path = "link" if same_network else "share_link"
    if not same_network:
        links.update(duplex("share_link", share.link.rate_bytes_s))
    pool = SharedResources(env, links, arrays=("share",), default="link.out")
    if share.storage.load_frac > 0:
        pool.add_stream("load", 1.0, {"share": share.storage.load_frac})
    # the guest's reads come in from the share, its writes go out: only the writes share the
    # direction the memory leaves in
    guest_weights = {"share": guest_demand_frac(vm, share.storage),
                     f"{share_path}.in": vm.disk_read_mib_s * MIB,
                     f"{share_path}.out": vm.disk_write_mib_s * MIB}
    pool.add_stream("guest", 1.0, guest_weights)
    dirtier = Dirtier(vm, settings.dirty_model, np.random.default_rng(seed))
    record = MigrationRecord()

    class Migration(sim.Component):
        def process(self):
            yield self.hold(settings.setup_s)
            # the paused VM does no I/O: its stream stops when the blackout starts
            yield from run_precopy(self, vm, pool, plan, run_settings, dirtier, record,
                                   blackout_extra_s=handles_s,
                                   on_blackout=lambda: pool.remove_stream("guest"))
            # resumed on the destination: the guest's I/O to the share goes on from there
            pool.add_stream("guest", 1.0, guest_weights)

    Migration(env=env, name="smb_live_migration")
    env.run()
    return smb_live_result(vm, settings, plan, pool, record, share, open_files=open_files,
                           handles_s=handles_s, same_network=same_network,
                           guest_weights=guest_weights)


__all__ = ["smb_live_migration"]
