"""SMB Live Migration (Windows Server 2012): live-migrate a VM whose files are on an SMB 3 file
share, between hosts that need not be in a cluster.

It is a Live Migration (setup, memory pre-copy, blackout; see `hvlab.models.live`) in which the
blackout moves the open file handles and locks on the share from the source host to the
destination instead of a cluster disk: SMB 3 persistent handles (MS-SMB2 2.2.14.2.12, durable
handle v2 with the persistent flag) let the destination reclaim each open file, one per open
file (`open_files`, `MigrationSettings.smb_handle_move_ms` each).

The guest keeps doing disk I/O to the share while its memory is copied. That I/O travels over
the share's link: when it is the same network as the migration link (``same_network``) it
takes its part of the link first and the memory copy gets the rest, so a busy guest migrates
more slowly and, when it also dirties memory, needs more passes. The guest's I/O pauses
during the blackout (the VM is paused).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from hvlab.models._des import new_environment
from hvlab.models.live import (Dirtier, pass_and_blackout, precopy_notes, precopy_phases,
                               run_precopy, transfer_plan)
from hvlab.models.storage import (MIN_COPY_FRAC, P95_FACTOR, SharedResources,
                                  array_latency_ms, fast_passes_frame, guest_demand_frac,
                                  history_rows, step_values)
from hvlab.params import MIB, VM, Link, MigrationSettings, SmbShare
from hvlab.results import MigrationResult
from hvlab.validate import check_seed, check_type

import salabim as sim

DEFAULT_OPEN_FILES = 4
"""Files a running VM holds open on its share: one virtual disk, the configuration file and
the two saved-state files (.bin, .vsv) of a Windows Server 2012 VM (one more per extra disk)."""


def check_open_files(open_files) -> int:
    """Validate `open_files` (a whole number >= 0)."""
    if isinstance(open_files, bool) or not isinstance(open_files, (int, np.integer)) \
            or open_files < 0:
        raise ValueError(f"open_files must be a whole number >= 0 (files the VM holds open on "
                         f"the share), got {open_files!r}")
    return int(open_files)


def handle_move_s(open_files: int, settings: MigrationSettings,
                  handle_move_ms_per_file: float | None = None) -> float:
    """Time to move the open handles and locks to the destination [s]."""
    per_file = (settings.smb_handle_move_ms if handle_move_ms_per_file is None
                else handle_move_ms_per_file)
    return open_files * per_file / 1000.0


def on_blackout_start(fragment, log: dict, callback):
    """Wrap a `run_precopy` fragment: call `callback()` once, as soon as its blackout starts
    (at that same simulated instant). Use as ``yield from on_blackout_start(...)``."""
    done = False
    for event in fragment:
        if not done and "blackout_start_s" in log:
            callback()
            done = True
        yield event


def pause_stream_in_blackout(fragment, pool: SharedResources, log: dict, key):
    """Wrap a `run_precopy` fragment: when its blackout starts, stop the stream `key` (the
    paused VM does no I/O). Use as ``yield from pause_stream_in_blackout(...)``."""
    return on_blackout_start(fragment, log, lambda: pool.remove_stream(key))


def smb_live_migration(vm: VM, link: Link, share: SmbShare,
                       settings: MigrationSettings | None = None, *,
                       open_files: int = DEFAULT_OPEN_FILES,
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
    open_files : int
        Files the VM holds open on the share (handles and locks moved in the blackout).
    handle_move_ms_per_file : float, optional
        Overrides `settings.smb_handle_move_ms` [ms per file].
    same_network : bool, optional
        Whether the share is reached over the migration network itself, so the guest's I/O
        competes with the memory copy. Default: when ``share.link == link``.
    seed : int
        Seed of the run's own random stream (``dirty_model="unique"``).

    Returns
    -------
    MigrationResult
        kind "smb_live"; `downtime_s` includes the handle moves; details: open_files,
        handle_move_s, same_network, guest_io_mib_s, guest_latency_ms (the share's array).
    """
    from hvlab.params import WS2012

    settings = WS2012 if settings is None else settings
    check_type("vm", vm, VM)
    check_type("link", link, Link)
    check_type("share", share, SmbShare)
    check_type("settings", settings, MigrationSettings)
    check_seed(seed)
    open_files = check_open_files(open_files)
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
    resources = {"link": (plan.link_capacity_bytes_s,
                          MIN_COPY_FRAC * plan.link_capacity_bytes_s),
                 "share": (share.storage.max_util_frac, MIN_COPY_FRAC)}
    share_link = "link" if same_network else "share_link"
    if not same_network:
        resources["share_link"] = (share.link.rate_bytes_s, 0.0)
    pool = SharedResources(env, resources, default="link")
    if share.storage.load_frac > 0:
        pool.add_stream("load", 1.0, {"share": share.storage.load_frac})
    io_bytes_s = (vm.disk_read_mib_s + vm.disk_write_mib_s) * MIB
    demand = guest_demand_frac(vm, share.storage)
    guest_weights = {"share": demand, share_link: io_bytes_s}
    pool.add_stream("guest", 1.0, guest_weights)
    dirtier = Dirtier(vm, settings.dirty_model, np.random.default_rng(seed))
    log: dict = {}

    class Migration(sim.Component):
        def process(self):
            yield self.hold(settings.setup_s)
            yield from pause_stream_in_blackout(
                run_precopy(self, vm, pool, plan, run_settings, dirtier, log,
                            blackout_extra_s=handles_s), pool, log, "guest")
            # resumed on the destination: the guest's I/O to the share goes on from there
            pool.add_stream("guest", 1.0, guest_weights)

    Migration(env=env, name="smb_live_migration")
    env.run()
    return smb_result(vm, settings, plan, pool, log, share, open_files=open_files,
                      handles_s=handles_s, same_network=same_network,
                      guest_keys=("share", share_link))


def smb_result(vm, settings, plan, pool, log, share, *, open_files, handles_s, same_network,
               guest_keys=("share",), start_s: float = 0.0,
               kind: str = "smb_live") -> MigrationResult:
    """Build the result of an SMB Live Migration run (also used by `drain_host`); the
    guest's I/O crosses the resources `guest_keys` except during the blackout."""
    end = log["blackout_end_s"]
    rows = history_rows(pool, start_s, end)
    t = np.array([h[0] for h in rows]) - start_s
    memory = np.array([h[2].get(vm.name, 0.0) for h in rows]) / MIB
    memory[-1] = 0.0
    at = t + start_s
    paused = (at >= log["blackout_start_s"]) & (at < end)
    served = np.ones(len(at))
    for key in guest_keys:
        served = np.minimum(served, pool.resources[key].scale_at(at))
    served[paused] = 0.0
    io_mib_s = vm.disk_read_mib_s + vm.disk_write_mib_s
    share_times, used, background = pool.resources["share"].history()
    util = step_values(share_times, used + background, t + start_s)
    latency = array_latency_ms(share.storage, util)
    passes = fast_passes_frame(log["passes"], start_s)
    blackout_start = log["blackout_start_s"] - start_s
    end_rel = end - start_s
    timeline = pd.DataFrame({  # times are unique: only the first row is clamped to start_s
        "network_mib_s": memory,
        "guest_network_mib_s": served * io_mib_s,
        "storage_read_mib_s": served * vm.disk_read_mib_s,
        "storage_write_mib_s": served * vm.disk_write_mib_s,
        "storage_mib_s": served * io_mib_s,
        "guest_latency_ms": np.where(served > 0, latency, np.nan),
        "array_util_frac": util,
        **pass_and_blackout(passes, t, blackout_start, end_rel),
    }, index=pd.Index(t, name="time_s"))
    phases = precopy_phases(log, start_s)
    before = float(latency[0]) if len(latency) else float("nan")
    details = {
        "memory_rate_mib_s": plan.memory_rate_bytes_s / MIB,
        "open_files": open_files,
        "handle_move_s": handles_s,
        "same_network": bool(same_network),
        "guest_io_mib_s": io_mib_s,
        "guest_latency_ms": before,
        "guest_latency_p95_ms": before * P95_FACTOR,
        "share_util_frac": float(util[0]) if len(util) else 0.0,
    }
    notes = list(precopy_notes(vm, plan, settings, log))
    notes.append(f"In the blackout {open_files} open file handle(s) and their locks moved to "
                 f"the destination (SMB 3 persistent handles): {handles_s * 1000:.0f} ms.")
    if same_network and io_mib_s > 0:
        notes.append(f"The guest's {io_mib_s:g} MiB/s of disk I/O to the share shared the "
                     "migration network, slowing the memory copy.")
    return MigrationResult(
        kind=kind, total_s=end_rel, downtime_s=end - log["blackout_start_s"],
        network_bytes=int(round(log["wire_bytes"])), storage_read_bytes=0,
        storage_write_bytes=0, converged=log["converged"], passes=passes, phases=phases,
        timeline=timeline, vm_name=vm.name, transport=settings.transport, details=details,
        notes=tuple(notes))


__all__ = ["smb_live_migration", "DEFAULT_OPEN_FILES", "handle_move_s", "smb_result",
           "pause_stream_in_blackout", "on_blackout_start", "check_open_files"]
