"""Storage Live Migration (Windows Server 2012): move a running VM's files to other storage.

validate -> build (the arrays, and the links where a share or a remote target is involved, as
one pool; the move's streams) -> run (setup, the copy fragment of `hvlab.sim.storage_copy`,
the switch, deleting the source) -> result. The sequence, the skipping of blocks a mirrored
write already placed, and the closed-loop copy sharing the arrays with the guests (mean value
analysis, `hvlab.physics.queueing`) are described in `hvlab.sim.storage_copy` and
docs/models.md.

**Bytes counted.** `storage_read_bytes` = copy reads (every copied byte is read from the
source); `storage_write_bytes` = copy writes + mirrored guest writes to the target.
"""
from __future__ import annotations

import math

import pandas as pd
import salabim as sim

from hvlab.params import WS2012, VM, Link, MigrationSettings, SmbShare, Storage
from hvlab.results import MigrationResult, empty_passes
from hvlab.sim.environment import new_environment
from hvlab.sim.sharing import SharedResources, duplex
from hvlab.sim.storage_copy import (DELETE_SOURCE_S, StorageMove, add_array_load, array_keys,
                                    array_resources, check_capacity, check_rate_cap)
from hvlab.validate import check_feature_in_version, check_seed, check_type


def _endpoint(value, name: str) -> tuple[Storage, Link | None]:
    """The array behind a `Storage` or `SmbShare`, and the link to reach it (None: local)."""
    if isinstance(value, SmbShare):
        return value.storage, value.link
    check_type(name, value, (Storage, SmbShare))
    return value, None


def storage_migration(vm: VM, source: Storage | SmbShare, target: Storage | SmbShare,
                      settings: MigrationSettings | None = None, *, link: Link | None = None,
                      copy_rate_cap_mib_s: float | None = None, odx: bool = False,
                      seed: int = 0) -> MigrationResult:
    """Simulate a Storage Live Migration of `vm` from `source` to `target` storage.

    Parameters
    ----------
    vm : VM
        The VM; what moves is `VM.storage_bytes` (disks, configuration, checkpoints, smart
        paging file); its disk I/O (`disk_read_mib_s`, `disk_write_mib_s`, `disk_iops`) loads
        the arrays and its writes are mirrored.
    source, target : Storage or SmbShare
        Where the files are and where they go. Equal `Storage` objects are one array (a move
        between volumes of the same array). An `SmbShare` is its array reached over its link:
        the copy, the mirror and the guest's I/O cross that link too.
    settings : MigrationSettings, optional
        `setup_s` (creating the target files) and `handle_move_s` (the switch) are used.
        Default `hvlab.WS2012`.
    link : Link, optional
        The network between this host and the target storage (e.g. the target is another
        host's disks): the copy and the mirrored writes cross it, and so does the guest's I/O
        after the switch.
    copy_rate_cap_mib_s : float, optional
        Throttle on the copy [MiB/s]; None copies as fast as the arrays and links allow.
    odx : bool
        Offloaded Data Transfer: the array copies inside itself (token-based); the copy loads
        the arrays but no host, path or link. Mirrored writes still go through the host. A
        host copy between block arrays crosses each array's `Storage.host_link` (reads in,
        writes out); ODX does not, so it matters most on a slow path.
    seed : int
        Accepted for a uniform model signature; the model is deterministic.

    Returns
    -------
    MigrationResult
        kind "storage"; `downtime_s` 0 (the VM keeps running; the switch pauses I/O for
        `handle_move_s`, see details["io_pause_s"]); `storage_read_bytes` copy reads,
        `storage_write_bytes` copy writes + mirrored writes; `network_bytes` what crossed
        network links (a block array's iSCSI/FC path is in details["fabric_bytes"]); details
        with guest latency before/during/after (mean and p95 [ms]), peak_array_util_frac,
        copied/skipped/mirrored bytes, copy_s.

    Raises
    ------
    ValueError
        When the VM's files do not fit `target.capacity_gib`, for a bad throttle, under
        WS2008R2 settings (Storage Live Migration arrived in 2012), or when an array's open
        load reaches its capacity (`hvlab.sim.sharing.ArrayOverloadError`).
    """
    settings = WS2012 if settings is None else settings
    check_type("vm", vm, VM)
    src_storage, src_link = _endpoint(source, "source")
    tgt_storage, tgt_link = _endpoint(target, "target")
    check_type("settings", settings, MigrationSettings)
    check_feature_in_version("Storage Live Migration", settings)
    if link is not None:
        check_type("link", link, Link)
    if not isinstance(odx, bool):
        raise TypeError(f"odx must be True or False, got {odx!r}")
    check_seed(seed)
    cap = check_rate_cap(copy_rate_cap_mib_s)
    check_capacity(vm, tgt_storage)

    env = new_environment()
    src_key, tgt_key = array_keys(src_storage, tgt_storage)
    links: dict = {}
    if link is not None:
        links.update(duplex("link", link.rate_bytes_s))
    same_share = isinstance(source, SmbShare) and source == target
    if src_link is not None:
        links.update(duplex("source_link", src_link.rate_bytes_s))
    if tgt_link is not None and not same_share:
        links.update(duplex("target_link", tgt_link.rate_bytes_s))
    # a block array's own path from this host (iSCSI/FC/SAS): for plain Storage endpoints
    # reached by this host, not for an SMB share's array (the file server does that I/O)
    src_block = src_storage if src_link is None else None
    tgt_block = tgt_storage if tgt_link is None and link is None else None
    src_path = ("source_path",) if src_block is not None and src_block.host_link else ()
    tgt_path = ("target_path",) if tgt_block is not None and tgt_block.host_link else ()
    if src_path:
        links.update(duplex("source_path", src_block.host_link.rate_bytes_s))
    if tgt_path and not (src_path and src_storage == tgt_storage):
        links.update(duplex("target_path", tgt_block.host_link.rate_bytes_s))
    elif tgt_path:
        tgt_path = src_path  # one array, one path: reads come in, writes go out on it
    pool = SharedResources(env, links, arrays=array_resources(src_storage, tgt_storage),
                           default="link.out" if link is not None else None)
    source_paths = ("source_link",) if src_link is not None else src_path
    target_paths = (("link",) if link is not None else ()) + (
        ("target_link",) if tgt_link is not None and not same_share else
        ("source_link",) if same_share else tgt_path)
    move = StorageMove(pool, vm, source=src_storage, target=tgt_storage, src_key=src_key,
                       tgt_key=tgt_key, source_paths=source_paths, target_paths=target_paths,
                       before_paths=source_paths, after_paths=target_paths,
                       fabric_paths=("source_path", "target_path"), odx=odx, cap_bytes_s=cap,
                       population=settings.copy_outstanding_ios,
                       io_bytes=settings.copy_io_bytes)
    add_array_load(pool, src_storage, tgt_storage)
    move.guest_on_source()
    marks: dict = {}

    class Move(sim.Component):
        def process(self):
            yield self.hold(settings.setup_s)
            yield from move.copy(self)
            marks["switch_start"] = env.now()
            yield self.hold(settings.handle_move_s)
            move.switch()
            yield self.hold(DELETE_SOURCE_S)
            marks["end"] = env.now()

    Move(env=env, name="storage_migration")
    env.run(till=None)
    end = marks["end"]
    copy = move.record
    timeline, details = move.build(end, during=(copy.copy_start_s, copy.switch_s))
    details["io_pause_s"] = settings.handle_move_s
    phases = pd.DataFrame({
        "phase": ["setup", "storage_copy", "switch", "delete_source"],
        "start_s": [0.0, copy.copy_start_s, marks["switch_start"], copy.switch_s],
        "end_s": [copy.copy_start_s, marks["switch_start"], copy.switch_s, end],
    })
    notes = move.notes(details)
    if cap < math.inf:
        notes.append(f"The copy was throttled to {copy_rate_cap_mib_s:g} MiB/s.")
    copied = copy.copied
    return MigrationResult(
        kind="storage", total_s=end, downtime_s=0.0,
        network_bytes=int(round(move.network_bytes)),
        storage_read_bytes=int(round(copied)),
        storage_write_bytes=int(round(copied)) + int(round(copy.mirrored)),
        converged=True, passes=empty_passes(), phases=phases, timeline=timeline,
        vm_name=vm.name, transport="odx" if odx else "", details=details, notes=tuple(notes))


__all__ = ["storage_migration"]
