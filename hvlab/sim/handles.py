"""The handle move of an SMB Live Migration: a VM whose files are on an SMB 3 share keeps them
open; in the blackout the source host's handles and locks are moved to the destination (SMB 3
persistent handles, MS-SMB2 2.2.14.2.12: durable handle v2 with the persistent flag), one per
open file. Around it the guest's I/O to the share goes on, except while the VM is paused.
Used by `hvlab.models.smb_live` and by host draining.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from hvlab.params import MIB, VM, MigrationSettings, SmbShare
from hvlab.physics.queueing import P95_FACTOR, array_latency_ms
from hvlab.physics.transfer import TransferPlan
from hvlab.results import MigrationResult, passes_frame
from hvlab.sim.precopy import pass_and_blackout, precopy_notes, precopy_phases
from hvlab.sim.records import MigrationRecord
from hvlab.sim.sharing import SharedResources

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


def smb_live_result(vm: VM, settings: MigrationSettings, plan: TransferPlan,
                    pool: SharedResources, record: MigrationRecord, share: SmbShare, *,
                    open_files: int, handles_s: float, same_network: bool,
                    guest_keys=("share",), start_s: float = 0.0,
                    kind: str = "smb_live") -> MigrationResult:
    """The result of an SMB Live Migration run (alone or in a drain), times relative to
    `start_s` [s]; the guest's I/O crosses the resources `guest_keys` except during the
    blackout."""
    end = record.blackout_end_s
    rows = pool.history_rows(start_s, end)
    t = np.array([h[0] for h in rows]) - start_s
    memory = np.array([h[2].get(vm.name, 0.0) for h in rows]) / MIB
    memory[-1] = 0.0
    at = t + start_s
    paused = (at >= record.blackout_start_s) & (at < end)
    served = np.ones(len(at))
    for key in guest_keys:
        served = np.minimum(served, pool.resources[key].scale_at(at))
    served[paused] = 0.0
    io_mib_s = vm.disk_read_mib_s + vm.disk_write_mib_s
    util = pool.utilisation_at("share", t + start_s)
    latency = array_latency_ms(share.storage, util)
    passes = passes_frame(record.passes, start_s)
    blackout_start = record.blackout_start_s - start_s
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
    phases = precopy_phases(record, start_s)
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
    notes = list(precopy_notes(vm, plan, settings, record))
    notes.append(f"In the blackout {open_files} open file handle(s) and their locks moved to "
                 f"the destination (SMB 3 persistent handles): {handles_s * 1000:.0f} ms.")
    if same_network and io_mib_s > 0:
        notes.append(f"The guest's {io_mib_s:g} MiB/s of disk I/O to the share shared the "
                     "migration network, slowing the memory copy.")
    return MigrationResult(
        kind=kind, total_s=end_rel, downtime_s=end - record.blackout_start_s,
        network_bytes=int(round(record.wire_bytes)), storage_read_bytes=0,
        storage_write_bytes=0, converged=record.converged, passes=passes, phases=phases,
        timeline=timeline, vm_name=vm.name, transport=settings.transport, details=details,
        notes=tuple(notes))


__all__ = ["DEFAULT_OPEN_FILES", "check_open_files", "handle_move_s", "smb_live_result"]
