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
from hvlab.physics.queueing import P95_FACTOR
from hvlab.physics.transfer import TransferPlan
from hvlab.results import MigrationResult, passes_frame
from hvlab.sim.precopy import pass_and_blackout, precopy_notes, precopy_phases
from hvlab.sim.records import MigrationRecord
from hvlab.sim.sharing import SharedResources

DEFAULT_OPEN_FILES = 4
"""Files a running VM with one disk and no checkpoint holds open on its share (`VM.open_files`):
the VHDX, the configuration file and the two saved-state files (.bin, .vsv) of a Windows Server
2012 VM. The guest's own files are inside the VHDX: they are not handles on the share."""


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
                    guest_weights: dict, start_s: float = 0.0,
                    kind: str = "smb_live") -> MigrationResult:
    """The result of an SMB Live Migration run (alone or in a drain), times relative to
    `start_s` [s]; the guest's I/O is a stream with `guest_weights`, paused in the
    blackout."""
    end = record.blackout_end_s
    rows = pool.history_rows(start_s, end)
    t = np.array([h[0] for h in rows]) - start_s
    memory = np.array([h[2].get(vm.name, 0.0) for h in rows]) / MIB
    memory[-1] = 0.0
    at = t + start_s
    paused = (at >= record.blackout_start_s) & (at < end)
    served = pool.served_at(guest_weights, at)
    served[paused] = 0.0
    io_mib_s = vm.disk_read_mib_s + vm.disk_write_mib_s
    util = pool.utilisation_at("share", at)
    latency = share.storage.base_latency_ms * pool.stretch_at("share", at)
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
    if same_network and vm.disk_write_mib_s > 0:
        notes.append(f"The guest's {vm.disk_write_mib_s:g} MiB/s of writes to the share left "
                     "the host on the migration network beside the memory copy (its reads "
                     "come in the other direction and do not compete).")
    if not share.continuously_available:
        notes.append(f"Share {share.name!r} is not continuously available: the host's handles "
                     "are not persistent (they need an SMB 3 file-server cluster or a "
                     "Scale-Out File Server), so a file-server failover would interrupt the "
                     "VM's storage.")
    return MigrationResult(
        kind=kind, total_s=end_rel, downtime_s=end - record.blackout_start_s,
        network_bytes=int(round(record.wire_bytes)), storage_read_bytes=0,
        storage_write_bytes=0, converged=record.converged, passes=passes, phases=phases,
        timeline=timeline, vm_name=vm.name, transport=settings.transport, details=details,
        notes=tuple(notes))


__all__ = ["DEFAULT_OPEN_FILES", "check_open_files", "handle_move_s", "smb_live_result"]
