"""A storage move inside a shared pool: the guest's I/O streams, the mirror of its writes, the
single-pass copy that skips blocks a mirrored write already placed, the switch, and the move's
timeline, guest latency and notes. Storage Live Migration, Shared Nothing Live Migration and
host draining all use it.

Sequence (Ben Armstrong, "How does Storage Migration actually work?", Microsoft;
docs/domain.md): the target files are created; from then on every guest write goes to the
source and is mirrored to the target; one pass copies everything (configuration, checkpoints
and smart paging file first, then the virtual disks), skipping disk blocks that a mirrored
write already placed; the VM's I/O switches to the target; the source files are deleted.

The copy walks the disk in `COPY_CHUNKS` chunks, each solved exactly for the rates at its start
(`hvlab.physics.storage_io.chunk_copy_bytes`).

**The copy is a closed loop.** It keeps `MigrationSettings.copy_outstanding_ios` I/Os of
`copy_io_kib` in flight; each is read from the source and written to the target. At the arrays
(processor-sharing queues shared with the guests' I/O, mirrored writes and other load) its
throughput and the queue it builds follow from mean value analysis (`hvlab.sim.sharing`); the
guests' latency is the array's idle latency stretched by ``(1 + copy I/Os queued) / (1 - open
load)``. A busy array therefore slows the copy and suffers more from it; a throttle shortens
the queue and the guests' latency. There is no utilisation ceiling.

**Directions.** Paths between the host and an array are full duplex: the copy's reads come in
over the source's path (an SMB share's link, a SAN's iSCSI/FC path) and its writes go out over
the target's; a guest's reads come in and its writes go out.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import salabim as sim

from hvlab.params import GIB, MIB, VM, Storage
from hvlab.physics.queueing import P95_FACTOR, exp_mixture_quantile
from hvlab.physics.storage_io import (chunk_copy_bytes, copy_read_demand_per_byte,
                                      copy_write_demand_per_byte, guest_demand_frac,
                                      mirror_demand_per_byte, write_fraction)
from hvlab.sim.records import CopyRecord
from hvlab.sim.sharing import SharedResources, duplex

COPY_CHUNKS = 8
"""Chunks the disk copy is walked in (skipping is exact within a chunk at constant rates)."""

DELETE_SOURCE_S = 0.2
"""Deleting the source files after the switch [s] (assumption; small next to the copy)."""



class StorageMove:
    """One VM's storage move inside a `SharedResources` pool: the guest's I/O streams, the
    mirror, the copy (as a process fragment) and the switch; then its timeline and latency.

    Parameters
    ----------
    pool : SharedResources
        The run's resources.
    vm : VM
        The VM moved.
    source, target : Storage
        The arrays (equal objects: one array).
    src_key, tgt_key : str
        Their array keys in `pool`.
    source_paths : tuple of str
        Duplex paths (see `hvlab.sim.sharing.duplex`) between the host and the source: the
        copy's reads come in over them.
    target_paths : tuple of str
        Duplex paths between the host and the target: the copy's and the mirror's writes go
        out over them.
    before_paths, after_paths : tuple of str
        Duplex paths the guest's own I/O crosses before and after the switch (reads in,
        writes out).
    fabric_paths : tuple of str
        Of those, the storage fabric (a SAN's iSCSI/FC path) rather than the network: their
        bytes are not counted in `network_bytes`.
    odx : bool
        Offloaded copy: inside the array(s), no path and no host.
    cap_bytes_s : float
        Copy throttle [bytes/s].
    population : int
        Copy I/Os in flight.
    io_bytes : float
        Size of one copy I/O [bytes].
    tag : str
        Tag prefix (the VM name).
    """

    def __init__(self, pool: SharedResources, vm: VM, *, source: Storage, target: Storage,
                 src_key: str, tgt_key: str, source_paths=(), target_paths=(), before_paths=(),
                 after_paths=(), fabric_paths=(), odx: bool = False,
                 cap_bytes_s: float = math.inf, population: int, io_bytes: float,
                 tag: str | None = None):
        self.pool, self.vm = pool, vm
        self.source, self.target = source, target
        self.src_key, self.tgt_key = src_key, tgt_key
        self.tag = vm.name if tag is None else tag
        self.copy_tag = f"{self.tag}:copy"
        self.mirror_tag = f"{self.tag}:mirror"
        self.odx = odx
        self.cap = cap_bytes_s
        self.population = population
        self.io_bytes = io_bytes
        self.fabric = set(fabric_paths)
        read_links = () if odx else tuple(f"{p}.in" for p in source_paths)
        write_links = () if odx else tuple(f"{p}.out" for p in target_paths)
        self.copy_links = read_links + write_links
        self.mirror_links = tuple(f"{p}.out" for p in target_paths)
        copy_w: dict = {}
        for k in self.copy_links:
            copy_w[k] = copy_w.get(k, 0.0) + 1.0
        self.copy_uses = pool.uses(copy_w)
        stations = {src_key: copy_read_demand_per_byte(source, io_bytes)}
        stations[tgt_key] = stations.get(tgt_key, 0.0) + copy_write_demand_per_byte(target,
                                                                                    io_bytes)
        self.copy_stations = pool.stations(stations)
        self.mirror_w = {tgt_key: mirror_demand_per_byte(vm, target)}
        for k in self.mirror_links:
            self.mirror_w[k] = self.mirror_w.get(k, 0.0) + 1.0
        self.before_w = self._guest_weights(src_key, source, before_paths)
        self.after_w = self._guest_weights(tgt_key, target, after_paths)
        self.write_bytes_s = vm.disk_write_mib_s * MIB
        self.disk_bytes = vm.disk_gib * GIB
        self.fixed_bytes = max(vm.storage_bytes - self.disk_bytes, 0.0)
        self.record = CopyRecord()
        self.guest_segments: list = []  # [start_s, end_s, weights] of the guest's I/O

    def _guest_weights(self, array_key: str, storage: Storage, paths) -> dict:
        """The guest's I/O as a stream of rate 1: its demand on the array, its reads coming
        in and its writes going out over `paths` [busy fraction; bytes/s]."""
        vm = self.vm
        weights = {array_key: guest_demand_frac(vm, storage)}
        for p in paths:
            weights[f"{p}.in"] = weights.get(f"{p}.in", 0.0) + vm.disk_read_mib_s * MIB
            weights[f"{p}.out"] = weights.get(f"{p}.out", 0.0) + vm.disk_write_mib_s * MIB
        return weights

    def _guest_start(self, weights: dict) -> None:
        self.pool.add_stream(("guest", self.tag), 1.0, weights)
        self.guest_segments.append([self.pool.env.now(), math.inf, weights])

    def _guest_stop(self) -> None:
        self.pool.remove_stream(("guest", self.tag))
        if self.guest_segments and self.guest_segments[-1][1] == math.inf:
            self.guest_segments[-1][1] = self.pool.env.now()

    def guest_served(self, at: np.ndarray) -> np.ndarray:
        """Fraction of the guest's I/O served at the times `at`: 0 while it is paused, below
        1 while a path it crosses is full."""
        out = np.zeros(len(at))
        for start, end, weights in self.guest_segments:
            mask = (at >= start) & (at < end)
            if mask.any():
                out[mask] = self.pool.served_at(weights, at[mask])
        return out

    # ---- streams ----------------------------------------------------------------------
    def guest_on_source(self) -> None:
        """The guest's I/O runs against the source (from the start)."""
        self._guest_start(self.before_w)

    def stop_mirror(self) -> None:
        """End the mirror (at the switch, or when the VM is paused for its blackout)."""
        rec = self.record
        if rec.mirror_end_s == math.inf:
            rec.mirrored = self.pool.remove_stream(("mirror", self.tag))
            rec.mirror_end_s = self.pool.env.now()

    def pause(self) -> None:
        """The VM is paused (live-migration blackout): no guest I/O, no mirrored writes."""
        self.stop_mirror()
        self._guest_stop()

    def switch(self) -> None:
        """End the mirror; the guest's I/O now runs against the target."""
        self.stop_mirror()
        if self.guest_segments and self.guest_segments[-1][1] == math.inf:
            self.guest_segments[-1][1] = self.pool.env.now()
        self._guest_start(self.after_w)
        self.record.switch_s = self.pool.env.now()

    # ---- the copy (process fragment) --------------------------------------------------
    def copy(self, component: sim.Component):
        """Create-and-mirror, then the single-pass copy; use as
        ``yield from move.copy(self)``. The mirror keeps running until `switch`."""
        pool, rec = self.pool, self.record
        env = component.env
        rec.copy_start_s = rec.mirror_start_s = env.now()
        key = ("mirror", self.tag)
        if self.write_bytes_s > 0:
            pool.add_stream(key, self.write_bytes_s, self.mirror_w, tag=self.mirror_tag)
        spec = dict(cap=self.cap, tag=self.copy_tag, uses=self.copy_uses,
                    stations=self.copy_stations, population=self.population,
                    io_bytes=self.io_bytes)
        if self.fixed_bytes > 0:
            yield from pool.transfer(component, self.fixed_bytes, **spec)
            rec.copied += self.fixed_bytes
        rate = pool.copy_rate_alone(self.copy_uses, self.copy_stations, self.population,
                                    self.io_bytes, self.cap)
        chunk = self.disk_bytes / COPY_CHUNKS
        for _ in range(COPY_CHUNKS if self.disk_bytes > 0 else 0):
            stream = pool.streams.get(key)
            w_now = stream.rate * stream.scale if stream is not None else 0.0
            moved = chunk_copy_bytes(chunk, self.disk_bytes, pool.carried(key), w_now, rate)
            start = env.now()
            yield from pool.transfer(component, moved, **spec)
            if env.now() > start:
                rate = moved / (env.now() - start)
            rec.copied += moved
            rec.skipped += chunk - moved
        rec.copy_end_s = env.now()

    # ---- results ----------------------------------------------------------------------
    def _network(self, links) -> int:
        return sum(1 for k in links if k.rsplit(".", 1)[0] not in self.fabric)

    @property
    def network_bytes(self) -> float:
        """What this move put on network links: copy and mirror, once per link direction
        crossed (storage-fabric paths not counted) [bytes]."""
        return (self.record.copied * self._network(self.copy_links)
                + self.record.mirrored * self._network(self.mirror_links))

    @property
    def fabric_bytes(self) -> float:
        """What this move put on storage-fabric paths (iSCSI/FC between host and array)
        [bytes]."""
        n_copy = len(self.copy_links) - self._network(self.copy_links)
        n_mirror = len(self.mirror_links) - self._network(self.mirror_links)
        return self.record.copied * n_copy + self.record.mirrored * n_mirror

    def build(self, end_s: float, *, during: tuple[float, float], start_s: float = 0.0,
              memory_tag: str | None = None, pass_starts=None, blackout=None
              ) -> tuple[pd.DataFrame, dict]:
        """This move's timeline and details from the pool's history.

        Parameters
        ----------
        end_s, start_s : float
            The span [s, absolute]; the timeline's index is relative to `start_s` and closes
            with a row at `end_s`.
        during : (float, float)
            The span the "during" latency figures cover [s, absolute].
        memory_tag : str, optional
            Tag of a memory pre-copy to add to `network_mib_s`.
        pass_starts : array, optional
            Start times of the memory passes [s, absolute] for the `pass` column.
        blackout : (float, float), optional
            The blackout [s, absolute] for the `blackout` column.

        Returns
        -------
        (pandas.DataFrame, dict)
            Timeline (network, storage, copy and mirror rates [MiB/s], guest latency [ms],
            utilisation of the arrays [fraction], guest_served_frac, pass, blackout) and the
            details (guest latency before/during/after, peaks, bytes).
        """
        pool, vm, rec = self.pool, self.vm, self.record
        rows = pool.history_rows(start_s, end_s)
        t = np.array([h[0] for h in rows])

        def tag_rate(tag):
            out = np.array([h[2].get(tag, 0.0) for h in rows])
            out[-1] = 0.0  # finished by the end
            return out

        copy = tag_rate(self.copy_tag)
        mirror = tag_rate(self.mirror_tag)
        memory = tag_rate(memory_tag) if memory_tag else np.zeros_like(t)
        guest = self.guest_served(t)
        network = (copy * self._network(self.copy_links)
                   + mirror * self._network(self.mirror_links) + memory) / MIB
        reads = guest * vm.disk_read_mib_s + copy / MIB
        writes = guest * vm.disk_write_mib_s + mirror / MIB + copy / MIB
        src_u = self._util(self.src_key, t)
        tgt_u = self._util(self.tgt_key, t)
        mean, r_reads, r_writes = self._latency(t)
        array_u = np.where(t < rec.switch_s, np.maximum(src_u, tgt_u), tgt_u)
        if pass_starts is None:
            passes = np.zeros(len(t), dtype="int64")
        else:
            passes = np.searchsorted(np.asarray(pass_starts, dtype=float), t, "right")
        if blackout is None:
            black = np.zeros(len(t), dtype=bool)
        else:
            black = (t >= blackout[0]) & (t < blackout[1])
        timeline = pd.DataFrame({
            "network_mib_s": network,
            "storage_read_mib_s": reads,
            "storage_write_mib_s": writes,
            "storage_mib_s": reads + writes,
            "copy_mib_s": copy / MIB,
            "mirror_mib_s": mirror / MIB,
            "guest_latency_ms": np.where(guest > 0, mean, np.nan),  # paused: no guest I/O
            "array_util_frac": array_u,
            "source_util_frac": src_u,
            "target_util_frac": tgt_u,
            "guest_served_frac": guest,
            "pass": passes.astype("int64"),
            "blackout": black,
        }, index=pd.Index(t - start_s, name="time_s"))
        details = self._details(t, mean, r_reads, r_writes, guest, array_u, during)
        return timeline, details

    def _util(self, key: str, at: np.ndarray) -> np.ndarray:
        return self.pool.utilisation_at(key, at)

    def _latency(self, t):
        """Mean guest latency per segment and the two components (reads, writes) [ms]: each
        array's idle latency stretched by the queue there (processor sharing)."""
        r_src = self.source.base_latency_ms * self.pool.stretch_at(self.src_key, t)
        r_tgt = self.target.base_latency_ms * self.pool.stretch_at(self.tgt_key, t)
        mirroring = (t >= self.record.mirror_start_s) & (
            t < self.record.mirror_end_s)
        switched = t >= self.record.switch_s
        reads = np.where(switched, r_tgt, r_src)
        writes = np.where(switched, r_tgt, np.where(mirroring, np.maximum(r_src, r_tgt), r_src))
        fw = write_fraction(self.vm)
        return (1 - fw) * reads + fw * writes, reads, writes

    def _details(self, t, mean, reads, writes, served, array_u, during) -> dict:
        """Guest latency before/during/after, peak utilisation, bytes."""
        dt = np.diff(t, append=t[-1])
        a, b = during
        inside = (t >= a) & (t < b) & (dt > 0) & (served > 0)
        fw = write_fraction(self.vm)
        if inside.any():
            w = dt[inside]
            during_mean = float(np.sum(mean[inside] * w) / w.sum())
            p95 = exp_mixture_quantile(np.concatenate([reads[inside], writes[inside]]),
                                       np.concatenate([w * (1 - fw), w * fw]))
        else:
            during_mean = float(mean[0])
            p95 = during_mean * P95_FACTOR
        before, after = float(mean[0]), float(mean[-1])
        throttled = float(np.sum(dt[(served > 0) & (served < 1 - 1e-9)]))
        rec = self.record
        copy_s = rec.copy_end_s - rec.copy_start_s
        return {
            "guest_latency_before_ms": before,
            "guest_latency_before_p95_ms": before * P95_FACTOR,
            "guest_latency_during_ms": during_mean,
            "guest_latency_during_p95_ms": p95,
            "guest_latency_after_ms": after,
            "guest_latency_after_p95_ms": after * P95_FACTOR,
            "latency_rise_ratio": during_mean / before if before > 0 else math.nan,
            "peak_array_util_frac": float(array_u.max()),
            "copy_s": copy_s,
            "copy_rate_mib_s": rec.copied / copy_s / MIB if copy_s > 0 else math.nan,
            "copied_bytes": int(round(rec.copied)),
            "skipped_bytes": int(round(rec.skipped)),
            "mirrored_bytes": int(round(rec.mirrored)),
            "storage_bytes": int(round(self.vm.storage_bytes)),
            "guest_short_served_s": throttled,
            "fabric_bytes": int(round(self.fabric_bytes)),
            "copy_outstanding_ios": self.population,
            "odx": self.odx,
        }

    def notes(self, details: dict) -> list[str]:
        """Plain-language notes on the copy, the guests' latency and any short-served path."""
        d = details
        out = [f"Copied {d['copied_bytes'] / GIB:.2f} GiB in {d['copy_s']:.1f} s "
               f"({d['copy_rate_mib_s']:.0f} MiB/s); "
               f"{d['skipped_bytes'] / GIB:.2f} GiB of disk blocks were skipped because a "
               f"mirrored guest write had already put them on the target; "
               f"{d['mirrored_bytes'] / GIB:.2f} GiB of guest writes were mirrored."]
        if d["guest_latency_before_ms"] > 0:
            out.append(
                f"Guest I/O latency {d['guest_latency_before_ms']:.1f} ms before, "
                f"{d['guest_latency_during_ms']:.1f} ms during the copy "
                f"({d['latency_rise_ratio']:.1f}x; p95 {d['guest_latency_during_p95_ms']:.1f} "
                f"ms), {d['guest_latency_after_ms']:.1f} ms after; the arrays peaked at "
                f"{d['peak_array_util_frac']:.0%} busy.")
        if d["guest_short_served_s"] > 0:
            out.append(
                f"For {d['guest_short_served_s']:.1f} s a full network path could not carry "
                "all of the guest's I/O (it got its max-min fair share); throttle the copy "
                "(copy_rate_cap_mib_s) or give the path more bandwidth.")
        if self.odx:
            out.append("ODX: the array copied the data itself; no copy bytes crossed the host "
                       "or the network.")
        return out


def array_keys(source: Storage, target: Storage) -> tuple[str, str]:
    """Resource keys of the two arrays: one key when source and target are the same array."""
    return ("array", "array") if source == target else ("source", "target")


def array_resources(source: Storage, target: Storage) -> tuple[str, ...]:
    """Array keys for the pool (one if source and target are the same array)."""
    return tuple(dict.fromkeys(array_keys(source, target)))


def path_resources(source: Storage, target: Storage, *, source_key: str = "source_path",
                   target_key: str = "target_path") -> dict:
    """Duplex link resources for the arrays' host paths (`Storage.host_link`), where set; one
    path when source and target are the same array [bytes/s]."""
    links: dict = {}
    same = source == target
    if source.host_link is not None:
        links.update(duplex(source_key, source.host_link.rate_bytes_s))
    if target.host_link is not None and not same:
        links.update(duplex(target_key, target.host_link.rate_bytes_s))
    return links


def host_paths(source: Storage, target: Storage, *, source_key: str = "source_path",
               target_key: str = "target_path") -> tuple[tuple, tuple]:
    """(paths to the source, paths to the target) among `path_resources`' keys."""
    src = (source_key,) if source.host_link is not None else ()
    if source == target:
        return src, src
    tgt = (target_key,) if target.host_link is not None else ()
    return src, tgt


def add_array_load(pool: SharedResources, source: Storage, target: Storage) -> None:
    """Everything else on the arrays (`Storage.load_frac`) as constant background."""
    src_key, tgt_key = array_keys(source, target)
    for key, storage in {src_key: source, tgt_key: target}.items():
        if storage.load_frac > 0:
            pool.add_stream(("load", key), 1.0, {key: storage.load_frac})


def check_capacity(vm: VM, target: Storage, name: str = "target") -> None:
    """Refuse a move whose files do not fit the target's free capacity."""
    if target.capacity_gib is not None and vm.storage_bytes > target.capacity_gib * GIB:
        raise ValueError(
            f"VM {vm.name!r} needs {vm.storage_bytes / GIB:.2f} GiB on the {name} (disks "
            f"{vm.disk_gib:g} GiB, checkpoints {vm.checkpoint_gib:g} GiB, smart paging "
            f"{vm.smart_paging_gib:g} GiB, configuration {vm.config_mib:g} MiB) but {name} "
            f"{target.name!r} has capacity_gib={target.capacity_gib:g} GiB free; choose a "
            "larger target or free space on it")


def check_rate_cap(copy_rate_cap_mib_s) -> float:
    """Validate the copy throttle; return it in bytes/s (inf when None)."""
    if copy_rate_cap_mib_s is None:
        return math.inf
    if isinstance(copy_rate_cap_mib_s, bool) or not isinstance(copy_rate_cap_mib_s,
                                                               (int, float)):
        raise TypeError(f"copy_rate_cap_mib_s must be a number [MiB/s] or None, got "
                        f"{copy_rate_cap_mib_s!r}")
    if not (copy_rate_cap_mib_s > 0 and math.isfinite(copy_rate_cap_mib_s)):
        raise ValueError(f"copy_rate_cap_mib_s must be > 0 MiB/s (or None for no throttle), "
                         f"got {copy_rate_cap_mib_s!r}")
    return float(copy_rate_cap_mib_s) * MIB


__all__ = ["StorageMove", "COPY_CHUNKS", "DELETE_SOURCE_S", "array_keys", "array_resources",
           "path_resources", "host_paths", "add_array_load", "check_capacity",
           "check_rate_cap"]
