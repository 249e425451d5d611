"""Storage Live Migration (Windows Server 2012): move a running VM's files to other storage.

Sequence (Ben Armstrong, "How does Storage Migration actually work?", Microsoft; DOMAIN.md):

1. setup: the target files are created (`settings.setup_s`);
2. from then on every guest write goes to the source and is mirrored to the target;
3. one pass copies everything from source to target: configuration, checkpoints and smart
   paging file first, then the virtual disks; disk blocks that a mirrored write already placed
   on the target (and the copy has not reached yet) are skipped;
4. switch: the VM's I/O moves to the target (`settings.handle_move_s`; the VM keeps running);
5. the source files are deleted (`DELETE_SOURCE_S`).

**Which blocks are skipped.** Guest writes land uniformly at random over the virtual disk
(`VM.disk_gib`): after M mirrored bytes a block has been written with probability
``1 - exp(-M / D)`` (D the disk size; Poisson coverage). The copy walks the disk in order and
spends time only on blocks not yet written; for a copy rate r and a write rate w, both
constant, the disk takes ``T = (D / w) ln(1 + w / r)`` and ``r T`` bytes are copied. The model
walks the disk in `COPY_CHUNKS` chunks, each solved exactly for the rates at its start.

**Bytes counted.** `storage_read_bytes` = copy reads (every copied byte is read from the
source); `storage_write_bytes` = copy writes + mirrored guest writes to the target.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hvlab.models._des import new_environment
from hvlab.models.storage import (MIN_COPY_FRAC, P95_FACTOR, SharedResources,
                                  array_latency_ms, copy_read_demand_per_byte,
                                  copy_write_demand_per_byte, exp_mixture_quantile,
                                  guest_demand_frac, history_rows, mirror_demand_per_byte,
                                  step_values, write_fraction)
from hvlab.params import GIB, MIB, VM, Link, MigrationSettings, SmbShare, Storage
from hvlab.results import MigrationResult, empty_passes
from hvlab.validate import check_seed, check_type

import salabim as sim

COPY_CHUNKS = 8
"""Chunks the disk copy is walked in (skipping is exact within a chunk at constant rates)."""

DELETE_SOURCE_S = 0.2
"""Deleting the source files after the switch [s] (assumption; small next to the copy)."""


def chunk_copy_bytes(chunk_bytes: float, disk_bytes: float, mirrored_bytes: float,
                     write_bytes_s: float, copy_bytes_s: float) -> float:
    """Bytes the copy must move to get through one chunk of the disk [bytes].

    Blocks ahead of the copy are already on the target with probability
    ``1 - exp(-M / D)``; with M growing at `write_bytes_s` (w) and the copy moving
    `copy_bytes_s` (r), crossing a chunk of c bytes takes
    ``(D / w) ln(1 + c w exp(-M0 / D) / (r D))`` seconds, during which r times that is copied.

    Parameters
    ----------
    chunk_bytes : float
        Size of the stretch of disk [bytes] (c).
    disk_bytes : float
        Size of the disk the guest writes to [bytes] (D).
    mirrored_bytes : float
        Guest writes mirrored since mirroring started [bytes] (M0).
    write_bytes_s, copy_bytes_s : float
        Mirrored write rate and copy rate [bytes/s].
    """
    if chunk_bytes <= 0:
        return 0.0
    if disk_bytes <= 0:
        return chunk_bytes
    fresh = math.exp(-mirrored_bytes / disk_bytes)
    if write_bytes_s <= 0 or not copy_bytes_s > 0 or math.isinf(copy_bytes_s):
        return chunk_bytes * fresh
    x = chunk_bytes * write_bytes_s * fresh / (copy_bytes_s * disk_bytes)
    # r D / w * log1p(x) written as c e^(-M0/D) log1p(x) / x: no overflow for tiny w
    return chunk_bytes * fresh * (math.log1p(x) / x if x > 1e-12 else 1.0 - x / 2)


def copy_time_closed_form(disk_bytes: float, write_bytes_s: float, copy_bytes_s: float) -> float:
    """Time to copy a disk of D bytes while the guest writes w bytes/s uniformly over it and
    the copy moves r bytes/s, skipping written blocks: ``(D / w) ln(1 + w / r)`` [s]
    (``D / r`` when w = 0)."""
    if write_bytes_s <= 0:
        return disk_bytes / copy_bytes_s
    return disk_bytes / write_bytes_s * math.log1p(write_bytes_s / copy_bytes_s)


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
        Their resource keys in `pool`.
    copy_links : tuple of str
        Link resources the copy crosses.
    mirror_links : tuple of str
        Link resources the mirrored writes cross.
    before_links, after_links : tuple of str
        Link resources the guest's own I/O crosses before and after the switch.
    odx : bool
        Offloaded copy: inside the array, no link and no host.
    cap_bytes_s : float
        Copy throttle [bytes/s].
    tag : str
        Tag prefix (the VM name).
    """

    def __init__(self, pool: SharedResources, vm: VM, *, source: Storage, target: Storage,
                 src_key: str, tgt_key: str, copy_links=(), mirror_links=(), before_links=(),
                 after_links=(), odx: bool = False, cap_bytes_s: float = math.inf,
                 tag: str | None = None):
        self.pool, self.vm = pool, vm
        self.source, self.target = source, target
        self.src_key, self.tgt_key = src_key, tgt_key
        self.tag = vm.name if tag is None else tag
        self.copy_tag = f"{self.tag}:copy"
        self.mirror_tag = f"{self.tag}:mirror"
        self.odx = odx
        self.cap = cap_bytes_s
        self.copy_links = () if odx else tuple(copy_links)
        self.mirror_links = tuple(mirror_links)
        copy_w: dict = {}
        copy_w[src_key] = copy_read_demand_per_byte(source)
        copy_w[tgt_key] = copy_w.get(tgt_key, 0.0) + copy_write_demand_per_byte(target)
        for k in self.copy_links:
            copy_w[k] = copy_w.get(k, 0.0) + 1.0
        self.copy_uses = pool.uses(copy_w)
        self.mirror_w = {tgt_key: mirror_demand_per_byte(vm, target)}
        for k in self.mirror_links:
            self.mirror_w[k] = self.mirror_w.get(k, 0.0) + 1.0
        io_bytes_s = (vm.disk_read_mib_s + vm.disk_write_mib_s) * MIB
        self.before_w = {src_key: guest_demand_frac(vm, source),
                         **{k: io_bytes_s for k in before_links}}
        self.after_w = {tgt_key: guest_demand_frac(vm, target),
                        **{k: io_bytes_s for k in after_links}}
        self.write_bytes_s = vm.disk_write_mib_s * MIB
        self.disk_bytes = vm.disk_gib * GIB
        self.fixed_bytes = max(vm.storage_bytes - self.disk_bytes, 0.0)
        self.log: dict = {"copied": 0.0, "skipped": 0.0, "mirrored": 0.0}
        self.guest_segments: list = []  # [start_s, end_s, resource keys] of the guest's I/O

    def _guest_start(self, weights: dict) -> None:
        self.pool.add_stream(("guest", self.tag), 1.0, weights)
        keys = tuple(k for k, w in weights.items() if w > 0)
        self.guest_segments.append([self.pool.env.now(), math.inf, keys])

    def _guest_stop(self) -> None:
        self.pool.remove_stream(("guest", self.tag))
        if self.guest_segments and self.guest_segments[-1][1] == math.inf:
            self.guest_segments[-1][1] = self.pool.env.now()

    def guest_served(self, at: np.ndarray) -> np.ndarray:
        """Fraction of the guest's I/O served at the times `at`: 0 while it is paused, below
        1 while its array or link is saturated."""
        out = np.zeros(len(at))
        for start, end, keys in self.guest_segments:
            mask = (at >= start) & (at < end)
            if mask.any():
                scale = np.ones(int(mask.sum()))
                for k in keys:
                    scale = np.minimum(scale, self.pool.resources[k].scale_at(at[mask]))
                out[mask] = scale
        return out

    # ---- streams ----------------------------------------------------------------------
    def guest_on_source(self) -> None:
        """The guest's I/O runs against the source (from the start)."""
        self._guest_start(self.before_w)

    def stop_mirror(self) -> None:
        """End the mirror (at the switch, or when the VM is paused for its blackout)."""
        log = self.log
        if "mirror_end_s" not in log:
            log["mirrored"] = self.pool.remove_stream(("mirror", self.tag))
            log["mirror_end_s"] = self.pool.env.now()

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
        self.log["switch_s"] = self.pool.env.now()

    # ---- the copy (process fragment) --------------------------------------------------
    def copy(self, component: sim.Component):
        """Create-and-mirror, then the single-pass copy; use as
        ``yield from move.copy(self)``. The mirror keeps running until `switch`."""
        pool, log = self.pool, self.log
        env = component.env
        log["copy_start_s"] = log["mirror_start_s"] = env.now()
        key = ("mirror", self.tag)
        if self.write_bytes_s > 0:
            pool.add_stream(key, self.write_bytes_s, self.mirror_w, tag=self.mirror_tag)
        if self.fixed_bytes > 0:
            yield from pool.transfer(component, self.fixed_bytes, cap=self.cap,
                                     tag=self.copy_tag, uses=self.copy_uses)
            log["copied"] += self.fixed_bytes
        rate = pool.rate_alone(self.copy_uses, self.cap)
        chunk = self.disk_bytes / COPY_CHUNKS
        for _ in range(COPY_CHUNKS if self.disk_bytes > 0 else 0):
            stream = pool.streams.get(key)
            w_now = stream.rate * stream.scale if stream is not None else 0.0
            moved = chunk_copy_bytes(chunk, self.disk_bytes, pool.carried(key), w_now, rate)
            start = env.now()
            yield from pool.transfer(component, moved, cap=self.cap, tag=self.copy_tag,
                                     uses=self.copy_uses)
            if env.now() > start:
                rate = moved / (env.now() - start)
            log["copied"] += moved
            log["skipped"] += chunk - moved
        log["copy_end_s"] = env.now()

    # ---- results ----------------------------------------------------------------------
    @property
    def network_bytes(self) -> float:
        """What this move put on links: copy and mirror, once per link crossed [bytes]."""
        return (self.log["copied"] * len(self.copy_links)
                + self.log["mirrored"] * len(self.mirror_links))

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
        pool, vm, log = self.pool, self.vm, self.log
        rows = history_rows(pool, start_s, end_s)
        t = np.array([h[0] for h in rows])

        def tag_rate(tag):
            out = np.array([h[2].get(tag, 0.0) for h in rows])
            out[-1] = 0.0  # finished by the end
            return out

        copy = tag_rate(self.copy_tag)
        mirror = tag_rate(self.mirror_tag)
        memory = tag_rate(memory_tag) if memory_tag else np.zeros_like(t)
        guest = self.guest_served(t)
        network = (copy * len(self.copy_links) + mirror * len(self.mirror_links) + memory) / MIB
        reads = guest * vm.disk_read_mib_s + copy / MIB
        writes = guest * vm.disk_write_mib_s + mirror / MIB + copy / MIB
        src_u = self._util(self.src_key, t)
        tgt_u = self._util(self.tgt_key, t)
        mean, r_reads, r_writes = self._latency(t, src_u, tgt_u)
        array_u = np.where(t < log.get("switch_s", math.inf), np.maximum(src_u, tgt_u), tgt_u)
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
        times, used, background = self.pool.resources[key].history()
        return step_values(times, used + background, at)

    def _latency(self, t, src_u, tgt_u):
        """Mean guest latency per segment and the two components (reads, writes) [ms]."""
        r_src = array_latency_ms(self.source, src_u)
        r_tgt = array_latency_ms(self.target, tgt_u)
        mirroring = (t >= self.log.get("mirror_start_s", math.inf)) & (
            t < self.log.get("mirror_end_s", math.inf))
        switched = t >= self.log.get("switch_s", math.inf)
        reads = np.where(switched, r_tgt, r_src)
        writes = np.where(switched, r_tgt, np.where(mirroring, np.maximum(r_src, r_tgt), r_src))
        fw = write_fraction(self.vm)
        return (1 - fw) * reads + fw * writes, reads, writes

    def _details(self, t, mean, reads, writes, served, array_u, during) -> dict:
        """Guest latency before/during/after, peak utilisation, bytes; and saturation."""
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
        saturated = float(np.sum(dt[(served > 0) & (served < 1 - 1e-9)]))
        log = self.log
        copy_s = log.get("copy_end_s", 0.0) - log.get("copy_start_s", 0.0)
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
            "copy_rate_mib_s": log["copied"] / copy_s / MIB if copy_s > 0 else math.nan,
            "copied_bytes": int(round(log["copied"])),
            "skipped_bytes": int(round(log["skipped"])),
            "mirrored_bytes": int(round(log["mirrored"])),
            "storage_bytes": int(round(self.vm.storage_bytes)),
            "saturated_s": saturated,
            "odx": self.odx,
        }

    def notes(self, details: dict) -> list[str]:
        """Plain-language notes on the copy, latency and saturation."""
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
        if d["saturated_s"] > 0:
            out.append(
                f"Saturated for {d['saturated_s']:.1f} s: the guest and other load asked for "
                "more than the array had left beside the copy, so they were served less than "
                "they asked; latency is shown at the array's utilisation ceiling and the real "
                "figure would be higher. Throttle the copy (copy_rate_cap_mib_s) or move "
                "load off the array first.")
        if self.odx:
            out.append("ODX: the array copied the data itself; no copy bytes crossed the host "
                       "or the network.")
        return out


def _array_keys(source: Storage, target: Storage) -> tuple[str, str]:
    return ("array", "array") if source == target else ("source", "target")


def array_resources(source: Storage, target: Storage) -> dict:
    """Pool entries for the two arrays (one if they are equal): capacity = utilisation
    ceiling, floor = `MIN_COPY_FRAC` [busy fraction]."""
    src_key, tgt_key = _array_keys(source, target)
    return {src_key: (source.max_util_frac, MIN_COPY_FRAC),
            tgt_key: (target.max_util_frac, MIN_COPY_FRAC)}


def link_resource(link: Link) -> tuple[float, float]:
    """Pool entry for a link [bytes/s]: its payload rate, floor `MIN_COPY_FRAC` of it."""
    return (link.rate_bytes_s, MIN_COPY_FRAC * link.rate_bytes_s)


def add_array_load(pool: SharedResources, source: Storage, target: Storage) -> None:
    """Everything else on the arrays (`Storage.load_frac`) as constant background."""
    src_key, tgt_key = _array_keys(source, target)
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


def _endpoint(value, name: str) -> tuple[Storage, Link | None]:
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
        the arrays but no host or link. Mirrored writes still go through the host.
    seed : int
        Accepted for a uniform model signature; the model is deterministic.

    Returns
    -------
    MigrationResult
        kind "storage"; `downtime_s` 0 (the VM keeps running; the switch pauses I/O for
        `handle_move_s`, see details["io_pause_s"]); `storage_read_bytes` copy reads,
        `storage_write_bytes` copy writes + mirrored writes; `network_bytes` what crossed
        links; details with guest latency before/during/after (mean and p95 [ms]),
        peak_array_util_frac, copied/skipped/mirrored bytes, copy_s, saturated_s.

    Raises
    ------
    ValueError
        When the VM's files do not fit `target.capacity_gib`, or for a bad throttle.
    """
    from hvlab.params import WS2012

    settings = WS2012 if settings is None else settings
    check_type("vm", vm, VM)
    src_storage, src_link = _endpoint(source, "source")
    tgt_storage, tgt_link = _endpoint(target, "target")
    check_type("settings", settings, MigrationSettings)
    if link is not None:
        check_type("link", link, Link)
    if not isinstance(odx, bool):
        raise TypeError(f"odx must be True or False, got {odx!r}")
    check_seed(seed)
    cap = check_rate_cap(copy_rate_cap_mib_s)
    check_capacity(vm, tgt_storage)

    env = new_environment()
    resources = array_resources(src_storage, tgt_storage)
    src_key, tgt_key = _array_keys(src_storage, tgt_storage)
    links: dict = {}
    if link is not None:
        links["link"] = link
    same_share = isinstance(source, SmbShare) and source == target
    if src_link is not None:
        links["source_link"] = src_link
    if tgt_link is not None and not same_share:
        links["target_link"] = tgt_link
    for key, value in links.items():
        resources[key] = link_resource(value)
    default = "link" if "link" in links else next(iter(resources))
    pool = SharedResources(env, resources, default=default)
    before_links = ("source_link",) if src_link is not None else ()
    tgt_side = (("link",) if link is not None else ()) + (
        ("target_link",) if "target_link" in links else
        ("source_link",) if same_share else ())
    copy_links = before_links + tgt_side if not same_share else ("source_link",) * 2
    move = StorageMove(pool, vm, source=src_storage, target=tgt_storage, src_key=src_key,
                       tgt_key=tgt_key, copy_links=copy_links, mirror_links=tgt_side,
                       before_links=before_links, after_links=tgt_side, odx=odx,
                       cap_bytes_s=cap)
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
    log = move.log
    timeline, details = move.build(end, during=(log["copy_start_s"], log["switch_s"]))
    details["io_pause_s"] = settings.handle_move_s
    phases = pd.DataFrame({
        "phase": ["setup", "storage_copy", "switch", "delete_source"],
        "start_s": [0.0, log["copy_start_s"], marks["switch_start"], log["switch_s"]],
        "end_s": [log["copy_start_s"], marks["switch_start"], log["switch_s"], end],
    })
    notes = move.notes(details)
    if cap < math.inf:
        notes.append(f"The copy was throttled to {copy_rate_cap_mib_s:g} MiB/s.")
    copied = log["copied"]
    return MigrationResult(
        kind="storage", total_s=end, downtime_s=0.0,
        network_bytes=int(round(move.network_bytes)),
        storage_read_bytes=int(round(copied)),
        storage_write_bytes=int(round(copied)) + int(round(log["mirrored"])),
        converged=True, passes=empty_passes(), phases=phases, timeline=timeline,
        vm_name=vm.name, transport="odx" if odx else "", details=details, notes=tuple(notes))


__all__ = ["storage_migration", "StorageMove", "chunk_copy_bytes", "copy_time_closed_form",
           "COPY_CHUNKS", "DELETE_SOURCE_S"]
