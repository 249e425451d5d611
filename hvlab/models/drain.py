"""Host draining: planned maintenance moves every VM off a host.

All migrations leave through one link and share it max-min fairly (`SharedResources`), so
concurrent migrations slow each other down; a VM that dirties memory then needs more passes.
At most `MigrationSettings.max_live_migrations` migrations run at once, and among them at most
`max_storage_migrations` that move storage (salabim Resources; the others wait in a queue in
the order the policy gives). Per VM:

- storage "shared" (cluster / SAN): a Live Migration;
- storage "smb" (SMB 3 share): an SMB Live Migration (handles moved in the blackout; the
  guest's I/O to the share crosses the share's link, the migration link itself by default);
- storage "local": a Shared Nothing Live Migration from the host's own storage (`source`) to
  the destination's (`target`); it holds a live *and* a storage migration slot for its whole
  duration (how Hyper-V counts it is not documented: an assumption).

Local VMs' guest I/O loads `source` until they switch and `target` afterwards, and their
mirrored writes load `target` and the link: the arrays' utilisation and the guest latency of
each local VM follow from everything running at the time.

Notes
-----
Against running one VM at a time, running several never shortens a migration when the link is
what they share. It is not monotone in general, though: like any list schedule (Graham's
anomalies), one more slot, or a faster link, shifts when each VM starts, and a VM can then
overlap fewer copies on the arrays (or find the target less loaded by VMs already moved) and
finish sooner than before. The example inventory shows one such case between 3 and 4 slots.
"""
from __future__ import annotations

import collections
import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import salabim as sim

from hvlab.params import GIB, MIB, WS2012, VM, Link, MigrationSettings, SmbShare, Storage
from hvlab.physics.dirtying import Dirtier
from hvlab.physics.series import step_values
from hvlab.physics.storage_io import guest_demand_frac
from hvlab.physics.transfer import transfer_plan
from hvlab.results import DrainResult, LazyMigrationResult
from hvlab.sim.copy_then_precopy import run_shared_nothing, shared_nothing_result
from hvlab.sim.environment import new_environment
from hvlab.sim.handles import check_open_files, handle_move_s, smb_live_result
from hvlab.sim.precopy import memory_result, run_precopy
from hvlab.sim.records import MigrationRecord
from hvlab.sim.sharing import SharedResources, duplex
from hvlab.sim.storage_copy import StorageMove, check_rate_cap
from hvlab.validate import (check_feature_in_version, check_seed, check_type,
                            check_vm_for_version)

ORDERS = ("given", "smallest_first", "largest_first", "least_dirty_first")
"""Queue order policies of `drain_host`."""

KIND_OF_STORAGE = {"shared": "live", "smb": "smb_live", "local": "shared_nothing"}

MIGRATION_COLUMNS = ["vm", "kind", "queued_s", "start_s", "end_s", "downtime_s",
                     "network_bytes", "converged", "passes", "storage_read_bytes",
                     "storage_write_bytes", "wait_s", "duration_s", "memory_gib", "storage_gib"]


@dataclass(slots=True, eq=False)
class DrainEntry:
    """One VM's place in a drain: what runs for it and what it did.

    Attributes
    ----------
    vm : VM
        The VM.
    record : MigrationRecord
        Its migration, filled in by the fragments.
    dirtier : Dirtier
        Its guest's memory writes (own random stream).
    move : StorageMove or None
        Its storage move (local VMs only).
    start_s, end_s : float
        When its migration started and ended [s, from the start of the drain].
    """

    vm: VM
    record: MigrationRecord
    dirtier: Dirtier
    move: StorageMove | None = None
    start_s: float = math.inf
    end_s: float = math.inf


def bytes_to_move(vm: VM) -> float:
    """What a drain moves for this VM: memory, plus its files when they are local [bytes]."""
    return vm.memory_bytes + (vm.storage_bytes if vm.storage == "local" else 0.0)


def order_vms(vms: Sequence[VM], order: str) -> list[VM]:
    """The queue of a drain under an order policy (stable: ties keep the given order).

    - "given": as listed;
    - "smallest_first" / "largest_first": by bytes to move (memory, plus files if local);
    - "least_dirty_first": by memory dirty rate, then bytes to move.
    """
    if not isinstance(order, str) or order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(map(repr, ORDERS))}; got {order!r}")
    vms = list(vms)
    if order == "smallest_first":
        return sorted(vms, key=bytes_to_move)
    if order == "largest_first":
        return sorted(vms, key=lambda v: -bytes_to_move(v))
    if order == "least_dirty_first":
        return sorted(vms, key=lambda v: (v.dirty_rate_mib_s, bytes_to_move(v)))
    return vms


def _check_vms(vms) -> list[VM]:
    if isinstance(vms, VM) or not isinstance(vms, Sequence) or isinstance(vms, str):
        raise TypeError(f"vms must be a list of hvlab.VM, got {type(vms).__name__}")
    seen: dict[str, int] = {}
    for i, vm in enumerate(vms):
        if not isinstance(vm, VM):
            raise TypeError(f"vms[{i}] must be a hvlab.VM, got {type(vm).__name__} {vm!r:.60}")
        if vm.name in seen:
            raise ValueError(f"vms[{i}] and vms[{seen[vm.name]}] are both named {vm.name!r}; "
                             "VM names must be unique on a host")
        seen[vm.name] = i
    return list(vms)


def _check_target_fits(queue: list[VM], target: Storage) -> None:
    if target.capacity_gib is None:
        return
    total = 0.0
    for vm in queue:
        if vm.storage == "local":
            total += vm.storage_bytes
            if total > target.capacity_gib * GIB:
                raise ValueError(
                    f"the local VMs' files do not fit target {target.name!r}: with VM "
                    f"{vm.name!r} they need {total / GIB:.1f} GiB, capacity_gib is "
                    f"{target.capacity_gib:g}; choose a larger target or move fewer VMs")


def _local_ends(queue: list[VM], source: Storage, target: Storage, sources,
                targets) -> dict:
    """{local VM name: (source array, target array)}, from the per-VM mappings or the
    defaults; a VM's two arrays are never the same object (a copy onto itself is refused)."""
    given = {}
    for label, mapping in (("sources", sources), ("targets", targets)):
        mapping = {} if mapping is None else mapping
        if not isinstance(mapping, Mapping):
            raise TypeError(f"{label} must be a mapping of VM name to hvlab.Storage, got "
                            f"{type(mapping).__name__}")
        local = {vm.name for vm in queue if vm.storage == "local"}
        for name, storage in mapping.items():
            if name not in local:
                raise ValueError(f"{label}[{name!r}]: no local VM of that name in vms; only VMs "
                                 "with storage='local' move their disks")
            check_type(f"{label}[{name!r}]", storage, Storage)
        given[label] = mapping
    ends = {}
    for vm in queue:
        if vm.storage != "local":
            continue
        src = given["sources"].get(vm.name, source)
        tgt = given["targets"].get(vm.name, target)
        if src == tgt:
            raise ValueError(f"VM {vm.name!r}: its source and target arrays are the same "
                             f"({src.name!r}); a shared-nothing move needs two arrays")
        ends[vm.name] = (src, tgt)
    if not (sources or targets):  # the single-pair case keeps its own naming
        ends = {name: (source, target) for name in ends}
    return ends


class _ArrayKeys:
    """Resource keys of the drain's arrays and their host paths: "source" and "target" for
    the defaults (as a single pair always had), "source2", "target2", ... for the others."""

    def __init__(self, source: Storage, target: Storage, ends: dict):
        self._keys: dict = {}  # (role, Storage) -> key
        for role, default in (("source", source), ("target", target)):
            self._add(role, default)
        for src, tgt in ends.values():
            self._add("source", src)
            self._add("target", tgt)

    def _add(self, role: str, storage: Storage) -> None:
        if (role, storage) in self._keys:
            return
        n = sum(1 for r, _ in self._keys if r == role)
        self._keys[(role, storage)] = role if n == 0 else f"{role}{n + 1}"

    def keys(self) -> tuple:
        return tuple(self._keys.values())

    def items(self) -> list:
        return [(key, storage) for (_, storage), key in self._keys.items()]

    def of(self, role: str, storage: Storage) -> tuple[str, tuple]:
        """(array key, host paths) of an array in a role ("source" or "target")."""
        key = self._keys[(role, storage)]
        return key, ((f"{key}_path",) if storage.host_link is not None else ())

    def path_links(self) -> dict:
        links: dict = {}
        for key, storage in self.items():
            if storage.host_link is not None:
                links.update(duplex(f"{key}_path", storage.host_link.rate_bytes_s))
        return links


def drain_host(vms: Sequence[VM], link: Link, settings: MigrationSettings | None = None, *,
               order: str = "given", seed: int = 0, source: Storage | None = None,
               target: Storage | None = None, share: SmbShare | None = None,
               open_files: int | None = None, same_network: bool | None = None,
               copy_rate_cap_mib_s: float | None = None,
               sources: Mapping[str, Storage] | None = None,
               targets: Mapping[str, Storage] | None = None) -> DrainResult:
    """Simulate moving every VM in `vms` off a host over `link`.

    Parameters
    ----------
    vms : sequence of VM
        The host's VMs (unique names). `VM.storage` picks the migration: "shared" -> live,
        "smb" -> SMB live, "local" -> shared nothing.
    link : Link
        The migration network to the destination host; every migration shares it.
    settings : MigrationSettings, optional
        `max_live_migrations` and `max_storage_migrations` limit concurrency; the rest as for
        each migration kind. Default `hvlab.WS2012`.
    order : str
        Queue policy: "given", "smallest_first", "largest_first", "least_dirty_first".
    seed : int
        Seed of the run's random stream (``dirty_model="unique"``); one stream per VM.
    source, target : Storage, optional
        The host's own storage and the destination's, for local VMs. Defaults: two default
        arrays named "source-local" and "target-local".
    share : SmbShare, optional
        The share holding the "smb" VMs' files. Default `hvlab.SmbShare()`.
    open_files : int, optional
        Files each SMB VM's host holds open on the share. Default: each VM's `VM.open_files`.
    same_network : bool, optional
        Whether the share is reached over the migration link (the guests' writes then share
        the outbound direction with the copies; their reads travel the other way).
        Default: ``share.link == link``.
    copy_rate_cap_mib_s : float, optional
        Throttle on each storage copy [MiB/s].
    sources, targets : mapping of VM name to Storage, optional
        Per local VM, the array it leaves or goes to, when it is not `source` or `target`: the
        VMs of a drain go to several hosts, and the VMs coming back to a patched host come
        from several (`hvlab.plan_maintenance`). Each distinct array is its own resource
        (its own utilisation and host path); equal `Storage` values are one array.

    Returns
    -------
    DrainResult
        `migrations`: one row per VM in queue order, times absolute from the start of the
        drain (vm, kind, queued_s, start_s, end_s, downtime_s, network_bytes, converged,
        passes, storage bytes, duration_s, ...); `timeline`: active_migrations, queued,
        network_mib_s (everything on the link); `results`: each VM's MigrationResult, its
        times relative to that migration's own start.

    Raises
    ------
    ValueError
        Unknown order (the valid ones listed), duplicate VM names, local files that do not
        fit `target`.
    """
    settings = WS2012 if settings is None else settings
    vms = _check_vms(vms)
    check_type("link", link, Link)
    check_type("settings", settings, MigrationSettings)
    check_seed(seed)
    for i, vm in enumerate(vms):
        check_vm_for_version(vm, settings, name=f"vms[{i}]")
        if vm.storage != "shared":
            check_feature_in_version("Shared Nothing Live Migration" if vm.storage == "local"
                                     else "SMB Live Migration", settings)
    source = Storage(name="source-local") if source is None else source
    target = Storage(name="target-local") if target is None else target
    share = SmbShare() if share is None else share
    check_type("source", source, Storage)
    check_type("target", target, Storage)
    check_type("share", share, SmbShare)
    if open_files is not None:
        open_files = check_open_files(open_files)
    cap = check_rate_cap(copy_rate_cap_mib_s)
    if same_network is None:
        same_network = share.link == link
    elif not isinstance(same_network, bool):
        raise TypeError(f"same_network must be True, False or None, got {same_network!r}")
    queue = order_vms(vms, order)
    if source == target:
        target = dataclasses.replace(target, name=f"{target.name} (destination)")
    ends = _local_ends(queue, source, target, sources, targets)
    for tgt in dict.fromkeys(t for _, t in ends.values()):
        _check_target_fits([vm for vm in queue if ends.get(vm.name, (None, None))[1] == tgt],
                           tgt)
    arrays = _ArrayKeys(source, target, ends)

    plan = transfer_plan(link, settings)
    env = new_environment()
    share_path = "link" if same_network else "share_link"
    links = duplex("link", plan.link_capacity_bytes_s)
    if not same_network:
        links.update(duplex("share_link", share.link.rate_bytes_s))
    links.update(arrays.path_links())
    pool = SharedResources(env, links, arrays=arrays.keys() + ("share",), default="link.out")
    for key, storage in arrays.items() + [("share", share.storage)]:
        if storage.load_frac > 0:
            pool.add_stream(("load", key), 1.0, {key: storage.load_frac})
    live_slots = sim.Resource("live_migrations", capacity=settings.max_live_migrations,
                              env=env)
    storage_slots = sim.Resource("storage_migrations",
                                 capacity=settings.max_storage_migrations, env=env)
    smb_settings = dataclasses.replace(settings, handle_move_s=0.0)
    rngs = np.random.default_rng(seed).spawn(len(queue)) if queue else []

    def files_of(vm):
        return vm.open_files if open_files is None else open_files

    def smb_weights(vm):
        # reads come in from the share, writes go out (only writes share the migrations'
        # direction when the share is on the migration network)
        return {"share": guest_demand_frac(vm, share.storage),
                f"{share_path}.in": vm.disk_read_mib_s * MIB,
                f"{share_path}.out": vm.disk_write_mib_s * MIB}

    entries: list[DrainEntry] = []
    for vm, rng in zip(queue, rngs):
        entry = DrainEntry(vm, MigrationRecord(), Dirtier(vm, settings.dirty_model, rng))
        if vm.storage == "local":
            src, tgt = ends[vm.name]
            src_key, src_path = arrays.of("source", src)
            tgt_key, tgt_path = arrays.of("target", tgt)
            entry.move = StorageMove(pool, vm, source=src, target=tgt,
                                     src_key=src_key, tgt_key=tgt_key,
                                     source_paths=src_path, target_paths=("link",) + tgt_path,
                                     before_paths=src_path, after_paths=tgt_path,
                                     fabric_paths=src_path + tgt_path,
                                     cap_bytes_s=cap,
                                     population=settings.copy_outstanding_ios,
                                     io_bytes=settings.copy_io_bytes)
            entry.move.guest_on_source()
        elif vm.storage == "smb":
            pool.add_stream(("guest", vm.name), 1.0, smb_weights(vm))
        entries.append(entry)
    # The queue, split so that picking the next VM is O(1): a VM that moves storage needs a
    # storage slot too; when none is free the first VM that needs none goes ahead (as
    # salabim's own Resource queue does: a request that cannot be honoured does not block
    # the ones behind it).
    movers = collections.deque(e for e in entries if e.vm.storage == "local")
    others = collections.deque(e for e in entries if e.vm.storage != "local")
    position = {id(e): i for i, e in enumerate(entries)}

    def take_next():
        storage_free = storage_slots.available_quantity() >= 1
        if movers and storage_free and (not others or position[id(movers[0])]
                                        < position[id(others[0])]):
            return movers.popleft()
        if others:
            return others.popleft()
        return None

    class Worker(sim.Component):
        """One live-migration slot's worth of work: takes VMs from the queue in turn."""

        def process(self):
            while movers or others:
                entry = take_next()
                if entry is None:  # only storage moves left and every storage slot taken
                    yield self.request(storage_slots)
                    if not movers:  # another worker took the last one meanwhile
                        self.release()
                        continue
                    entry = movers.popleft()
                elif entry.vm.storage == "local":
                    yield self.request(storage_slots)
                yield self.request(live_slots)
                yield from self.migrate(entry)
                self.release()

        def migrate(self, entry: DrainEntry):
            vm, record = entry.vm, entry.record
            entry.start_s = env.now()
            yield self.hold(settings.setup_s)
            if vm.storage == "local":
                yield from run_shared_nothing(self, vm, pool, plan, settings, entry.dirtier,
                                              entry.move, record)
            elif vm.storage == "smb":
                key = ("guest", vm.name)
                # the paused VM does no I/O to the share; it resumes on the destination
                yield from run_precopy(self, vm, pool, plan, smb_settings, entry.dirtier,
                                       record,
                                       blackout_extra_s=handle_move_s(files_of(vm), settings),
                                       on_blackout=lambda: pool.remove_stream(key))
                pool.add_stream(key, 1.0, smb_weights(vm))
            else:
                yield from run_precopy(self, vm, pool, plan, settings, entry.dirtier, record)
            entry.end_s = env.now()

    for _ in range(min(settings.max_live_migrations, len(entries))):
        Worker(env=env, name="slot")
    env.run()
    return _drain_result(entries, pool, plan, settings, share, files_of, smb_weights,
                         same_network, order)


# --------------------------------------------------------------------------------------------
def _lazy_result(entry: DrainEntry, kind: str, transport: str, make) -> LazyMigrationResult:
    """The cheap fields now, from the run's records; the frames when first read."""
    record = entry.record
    read = write = 0
    network = record.wire_bytes
    if kind == "shared_nothing":
        copy = entry.move.record
        read = int(round(copy.copied))
        write = read + int(round(copy.mirrored))
        network += entry.move.network_bytes
    return LazyMigrationResult(
        _make=make, kind=kind, total_s=entry.end_s - entry.start_s,
        downtime_s=record.blackout_end_s - record.blackout_start_s,
        network_bytes=int(round(network)), storage_read_bytes=read, storage_write_bytes=write,
        converged=record.converged, vm_name=entry.vm.name, transport=transport)


def _drain_result(entries: list[DrainEntry], pool, plan, settings, share, files_of,
                  smb_weights, same_network, order) -> DrainResult:
    results = []
    for entry in entries:
        vm, record, start = entry.vm, entry.record, entry.start_s
        if vm.storage == "local":
            make = functools.partial(shared_nothing_result, vm, settings, plan, pool,
                                     entry.move, record, start_s=start)
        elif vm.storage == "smb":
            files = files_of(vm)
            make = functools.partial(smb_live_result, vm, settings, plan, pool, record, share,
                                     open_files=files,
                                     handles_s=handle_move_s(files, settings),
                                     same_network=same_network,
                                     guest_weights=smb_weights(vm), start_s=start)
        else:
            make = functools.partial(memory_result, vm, settings, plan, pool, record,
                                     start_s=start)
        results.append(_lazy_result(entry, KIND_OF_STORAGE[vm.storage], settings.transport,
                                    make))
    n = len(entries)
    starts = np.array([e.start_s for e in entries], dtype=float)
    ends = np.array([e.end_s for e in entries], dtype=float)
    migrations = pd.DataFrame({
        "vm": pd.array([e.vm.name for e in entries], dtype="string"),
        "kind": pd.array([KIND_OF_STORAGE[e.vm.storage] for e in entries], dtype="string"),
        "queued_s": np.zeros(n),  # the drain queues every VM at its start
        "start_s": starts,
        "end_s": ends,
        "downtime_s": np.array([res.downtime_s for res in results], dtype=float),
        "network_bytes": np.array([res.network_bytes for res in results], dtype="int64"),
        "converged": np.array([res.converged for res in results], dtype=bool),
        "passes": np.array([e.record.live_passes for e in entries], dtype="int64"),
        "storage_read_bytes": np.array([res.storage_read_bytes for res in results],
                                       dtype="int64"),
        "storage_write_bytes": np.array([res.storage_write_bytes for res in results],
                                        dtype="int64"),
        "wait_s": starts,
        "duration_s": ends - starts,
        "memory_gib": np.array([e.vm.memory_gib for e in entries], dtype=float),
        "storage_gib": np.array([e.vm.storage_bytes / GIB if e.vm.storage == "local"
                                 else 0.0 for e in entries], dtype=float),
    }, columns=MIGRATION_COLUMNS)
    total = float(ends.max()) if n else 0.0
    # timeline: every change of the link's rate and of the number of running migrations
    hist_t = pool.history_times()
    hist_rate = np.fromiter((h[1] for h in pool.history), float, len(pool.history)) / MIB
    t = np.unique(np.concatenate([[0.0], hist_t, starts, ends]))
    t = t[t <= total]
    s_sorted, e_sorted = np.sort(starts), np.sort(ends)
    active = (np.searchsorted(s_sorted, t, side="right")
              - np.searchsorted(e_sorted, t, side="right"))
    network = step_values(hist_t, hist_rate, t)
    timeline = pd.DataFrame({
        "active_migrations": active.astype("int64"),
        "queued": (n - np.searchsorted(s_sorted, t, side="right")).astype("int64"),
        "network_mib_s": network,
    }, index=pd.Index(t, name="time_s"))
    if n:
        timeline.loc[total, ["network_mib_s"]] = 0.0  # closes the timeline
    notes = [f"{n} VM(s) drained in {total:.0f} s over a {plan.link_capacity_bytes_s / MIB:.0f} "
             f"MiB/s link, queued {order!r}, at most {settings.max_live_migrations} live and "
             f"{settings.max_storage_migrations} storage migration(s) at once."]
    if n:
        slow = int((~migrations["converged"]).sum())
        if slow:
            notes.append(f"{slow} VM(s) did not converge within {settings.max_passes} passes "
                         "(sharing the link slows each copy, so busy VMs dirty more per pass).")
        waited = migrations["wait_s"].max()
        notes.append(f"The longest wait in the queue was {waited:.0f} s; the longest "
                     f"blackout {migrations['downtime_s'].max():.2f} s "
                     f"({migrations.loc[migrations['downtime_s'].idxmax(), 'vm']}).")
    else:
        notes.append("There were no VMs to move.")
    return DrainResult(total_s=total, migrations=migrations, timeline=timeline,
                       results=tuple(results), notes=tuple(notes))


__all__ = ["drain_host", "order_vms", "ORDERS", "bytes_to_move", "DrainEntry",
           "KIND_OF_STORAGE"]
