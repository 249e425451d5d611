"""Simulated performance logs: the counters a Hyper-V host would have recorded while a modelled
migration ran, as a frame (`result_to_frame`, `drain_to_frame`) or a PDH-CSV file
(`result_to_perflog`, `drain_to_perflog`, `multihost_drain_to_perflog`). Counter names come
from `hvlab.perflog.vocabulary`; docs/perflogs.md lists them and the file format.

How a model result becomes counters
-----------------------------------
A result's `timeline` is piecewise constant (each row holds until the next). The log samples it
every `interval_s` seconds on a grid that starts `lead_s` before the migration and ends at least
`tail_s` after it, the way PDH does:

- ``.../sec`` counters are **averages over the interval ending at the sample** (PDH computes
  them from two raw counts), so bytes are conserved: the sum of ``rate * interval_s`` over the
  samples equals the bytes the model moved. The first sample of every rate counter is ``NaN``
  (written ``" "``), as Windows writes it.
- Gauges (``Transfer Pass: Number``, ``Transfer pass: Dirty Page Count``, ``Transfer Pass: Is
  blackout``, ``Current Bandwidth``) are **instantaneous values at the sample**: a pass shorter
  than the interval may fall between two samples and never be seen.
- ``Avg. Disk sec/Read``, ``Latency`` and ``% Idle Time`` are time averages over the interval.

The ``Hyper-V VM Live Migration`` instance ``<VM>:VM Live Migration`` exists from the last
sample at or before the migration's live-migration setup until the first sample at or after the
end of the blackout. That closing sample holds the final state (the last pass number, blackout
0, dirty pages 0). Outside that span its cells are ``NaN`` (instances come and go). How the
simulator reads Microsoft's undocumented counters:

``Transfer Pass: Number``
    The pass in progress: 0 during setup, 1 for the full copy, ...; the blackout copy is the
    pass after the last live pass (as in ``MigrationResult.passes``).
``Transfer pass: Dirty Page Count``
    The 4 KiB pages the pass in progress copies: all of memory in pass 1, the pages dirtied
    during the previous pass afterwards; in the blackout the pages still dirty (device state
    not included).
``Transfer Pass: Is blackout``
    1 while the VM is paused (final copy, handle move, resume), else 0.
``Memory Walker: Bytes Read/sec``
    Guest memory processed (before compression).
``Memory Walker: Uncompressed Bytes Sent/sec``
    Memory sent without compression (all of it for "tcpip" and "smb").
``Compressor: Compressed Bytes Sent/sec``
    Compressed output (the "compression" transport).
``TCP Transport: Bytes Sent/sec`` / ``SMB Transport: Bytes Sent/sec``
    The wire payload of the migration's memory stream, by transport.
``TCP Transport: Bytes Received/sec``, ``Receiver: Uncompressed Bytes Received/sec``,
``Receiver: Compressed Bytes Received/sec``, ``Receiver: Bytes Written/sec``,
``Receiver: Decompressed Bytes/sec`` (on the destination)
    The same stream received: over TCP (not for the SMB transport), uncompressed or
    compressed as it was sent, and the memory written into the VM (decompressed where it was
    compressed). The backlog gauges (``... Pending Send``, ``Receiver: Bytes Pending Write``)
    are not written: the model has no queues to give them a value.

Which counters a host has depends on its version (`version`, default: WS2012 R2 when the
result used the Compression or SMB option, else WS2012): a WS2012 host has no Compressor or SMB
Transport counters and no compressed-receive counters (`hvlab.perflog.vocabulary.R2_ONLY`).

A Quick Migration (``kind="quick"``) leaves no Live Migration instance; it shows in
``Hyper-V VM Save, Snapshot, and Restore`` (instance ``<VM>:Current or most recent
Save-Restore-Snapshot operation``): ``Operation Time`` counts up while the save runs on the
source and holds its final value until the VM leaves the host, then (with a `destination`) the
restore on the destination. Microsoft does not document the counter's unit; the simulator
writes milliseconds.

``Network Interface`` ``Bytes Sent/sec`` counts every byte the model sent over the link
(memory, and storage for shared-nothing moves) times `nic_framing` (Microsoft: "including
framing characters"; default 1514/1460, Ethernet and TCP/IP headers per full frame), plus
optional seeded background traffic. Storage work is written as ``PhysicalDisk`` (the arrays)
and ``Hyper-V Virtual Storage Device`` (the guest's view of its VHD, instance the VHD path
with ``\\`` replaced by ``-``; ``--?-UNC-fs01-vms-<vm>.vhdx`` for a VHD on a share), and
``SMB Client Shares`` (instance ``\\fs01\\vms``, one leading backslash) for a VM on an SMB 3
share; these follow the VM to the destination host when it moves (see `_storage_counters`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from hvlab.params import MIB, PAGE_BYTES, VERSIONS
from hvlab.perflog.vocabulary import (COMPRESSED_SENT, DIRTY_PAGES, DISK_IDLE, DISK_OBJECT,
                                      DISK_READ, DISK_SEC_READ, DISK_SEC_WRITE, DISK_WRITE,
                                      IS_BLACKOUT, LEVELS, LM_OBJECT, NIC_BANDWIDTH, NIC_OBJECT,
                                      NIC_RECEIVED, NIC_SENT, PASS_NUMBER, R2_ONLY,
                                      RECEIVER_COMPRESSED, RECEIVER_DECOMPRESSED,
                                      RECEIVER_UNCOMPRESSED, RECEIVER_WRITTEN, SMB_OBJECT,
                                      SMB_READ, SMB_SEC_READ, SMB_SEC_WRITE, SMB_SENT, SMB_WRITE,
                                      SSR_OBJECT, SSR_OPERATION_TIME, STANDARD_GBPS,
                                      TCP_RECEIVED, TCP_SENT, VSD_LATENCY, VSD_OBJECT, VSD_READ,
                                      VSD_WRITE, WALKER_READ, WALKER_UNCOMPRESSED, lm_instance,
                                      nic_name, smb_share_instance, ssr_instance, vhd_instance)
from hvlab.perflog.write import write_perflog
from hvlab.physics.series import step_values
from hvlab.results import DrainResult, MigrationResult

NIC_FRAMING = 1514 / 1460  # Ethernet (14 B) + IPv4 (20 B) + TCP (20 B) headers per 1460 B
DEFAULT_START = pd.Timestamp("2013-03-12 14:00:00")  # a fixed, deterministic wall clock


# ---- piecewise-constant signals and their sampling ----------------------------------------------
class _Grid:
    """Sample instants ``t_j`` [s, model time] of one log."""

    def __init__(self, first_s: float, interval_s: float, n: int):
        self.interval_s = float(interval_s)
        self.t = first_s + interval_s * np.arange(n)

    def average(self, times, rates, extend: bool = False) -> np.ndarray:
        """Interval averages of a piecewise-constant rate; first sample NaN. Outside
        [times[0], times[-1]] the rate is 0, or with `extend` the first row's value before and
        the last row's after (the guest's own I/O goes on before and after a migration)."""
        times = np.asarray(times, dtype=float)
        rates = np.nan_to_num(np.asarray(rates, dtype=float))
        cum = np.concatenate([[0.0], np.cumsum(rates[:-1] * np.diff(times))])
        t = self.t
        c = np.interp(t, times, cum)
        if extend:
            c = c + np.where(t > times[-1], (t - times[-1]) * rates[-1], 0.0)
            c = c + np.where(t < times[0], (t - times[0]) * rates[0], 0.0)
        out = np.empty_like(t)
        out[0] = np.nan
        out[1:] = np.diff(c) / self.interval_s
        return out

    def at(self, times, values, before=0.0) -> np.ndarray:
        """Instantaneous value of a piecewise-constant signal at each sample."""
        return step_values(times, values, self.t, before)

    def present(self, begin_s: float, end_s: float) -> np.ndarray:
        """Mask of the samples at which an instance living over [begin_s, end_s] exists: from
        the last sample at or before `begin_s` to the first at or after `end_s`."""
        t = self.t
        first = max(int(np.searchsorted(t, begin_s + 1e-9, side="right")) - 1, 0)
        last = int(np.searchsorted(t, end_s - 1e-9, side="left"))
        mask = np.zeros(t.size, dtype=bool)
        mask[first:last + 1] = True
        return mask


def _blank_first(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """NaN outside the instance's life and at its first sample (a rate needs two raw counts)."""
    out = np.where(mask, values, np.nan)
    if mask.any():
        out[int(np.argmax(mask))] = np.nan
    return out


@dataclass(frozen=True)
class _Memory:
    """The memory stream of one live migration on absolute model time [s]."""

    vm: str
    transport: str
    begin_s: float          # instance appears (live-migration setup starts)
    end_s: float            # blackout over
    blackout_start_s: float
    wire_times: np.ndarray  # piecewise-constant wire payload rate [bytes/s]
    wire_rates: np.ndarray
    memory_rates: np.ndarray  # memory processed [bytes/s] on the same breakpoints
    compressed: np.ndarray    # bool per breakpoint: the stream is compressed
    gauge_times: np.ndarray   # pass number / dirty pages / blackout gauges
    pass_number: np.ndarray
    dirty_pages: np.ndarray
    blackout: np.ndarray


def _memory_stream(result: MigrationResult, offset_s: float = 0.0) -> _Memory | None:
    """The live-migration memory stream of `result`, or None when it moved no memory live.

    The wire rate in each pass follows the shape of the timeline's ``network_mib_s`` (sharing
    with other flows shows) scaled so that the pass carries exactly its ``wire_bytes``; where
    the timeline is flat zero in a pass the pass's mean rate is used.
    """
    passes = result.passes
    if passes is None or passes.empty:
        return None
    passes = passes.sort_values("start_s", kind="stable").reset_index(drop=True)
    tl = result.timeline
    live = passes[~passes["blackout"].astype(bool)]
    black = passes[passes["blackout"].astype(bool)]
    mem_start = float(passes["start_s"].iloc[0])
    phases = result.phases if result.phases is not None else pd.DataFrame()
    begin = mem_start
    if len(phases):
        setup = phases[(phases["phase"].astype(str).str.contains("setup"))
                       & (np.isclose(phases["end_s"].astype(float), mem_start))]
        if len(setup):
            begin = float(setup["start_s"].min())
    if len(black):
        bo_start = float(black["start_s"].iloc[0])
        bo_end = float(result.total_s)
        if len(phases):
            bo = phases[phases["phase"].astype(str) == "blackout"]
            if len(bo):
                bo_end = float(bo["end_s"].iloc[-1])
    else:
        bo_start = bo_end = float(passes["end_s"].iloc[-1])
    # breakpoints: every timeline row and pass boundary inside the memory phase
    if tl is not None and len(tl) and "network_mib_s" in tl:
        t_tl = tl.index.to_numpy(dtype=float)
        r_tl = tl["network_mib_s"].to_numpy(dtype=float) * MIB
    else:
        t_tl, r_tl = np.array([0.0]), np.array([0.0])
    edges = np.unique(np.concatenate([passes["start_s"].to_numpy(float),
                                      passes["end_s"].to_numpy(float),
                                      t_tl[(t_tl > mem_start) & (t_tl < passes["end_s"].max())]]))
    tl_at = step_values(t_tl, r_tl, edges)
    wire = np.zeros(edges.size)
    memory = np.zeros(edges.size)
    compressed = np.zeros(edges.size, dtype=bool)
    for row in passes.itertuples(index=False):
        inside = (edges >= row.start_s) & (edges < row.end_s)
        if not inside.any() or row.wire_bytes <= 0:
            continue
        seg = np.flatnonzero(inside)
        nxt = np.minimum(seg + 1, edges.size - 1)
        widths = np.where(seg + 1 < edges.size, edges[nxt] - edges[seg], 0.0)
        widths = np.minimum(widths, row.end_s - edges[seg])
        weight = tl_at[seg]
        moved = float((weight * widths).sum())
        if moved <= 0:
            weight = np.ones(seg.size)
            moved = float(widths.sum())
        if moved <= 0:
            continue
        wire[seg] = weight * row.wire_bytes / moved
        ratio = row.sent_bytes / row.wire_bytes
        memory[seg] = wire[seg] * ratio
        compressed[seg] = ratio > 1 + 1e-9
    # gauges
    g_times = [begin]
    g_pass, g_pages, g_black = [0.0], [0.0], [0.0]
    last_dirty = float(live["dirty_bytes_after"].iloc[-1]) if len(live) else 0.0
    for row in passes.itertuples(index=False):
        g_times.append(row.start_s)
        g_pass.append(float(row.pass_))
        if row.blackout:
            g_pages.append(float(round(last_dirty / PAGE_BYTES)))
        else:
            g_pages.append(float(round(row.sent_bytes / PAGE_BYTES)))
        g_black.append(1.0 if row.blackout else 0.0)
    g_times.append(bo_end)
    g_pass.append(g_pass[-1])
    g_pages.append(0.0)
    g_black.append(0.0)
    return _Memory(
        vm=result.vm_name or "vm1", transport=result.transport or "tcpip",
        begin_s=begin + offset_s, end_s=bo_end + offset_s, blackout_start_s=bo_start + offset_s,
        wire_times=edges + offset_s, wire_rates=wire, memory_rates=memory,
        compressed=compressed, gauge_times=np.asarray(g_times) + offset_s,
        pass_number=np.asarray(g_pass), dirty_pages=np.asarray(g_pages),
        blackout=np.asarray(g_black))


def _version_filter(columns: dict, r2: bool) -> dict:
    """`columns` without the counters a WS2012 (not R2) host does not have."""
    if r2:
        return columns
    return {k: v for k, v in columns.items() if (k[1], k[3]) not in R2_ONLY}


def _source_counters(mem: _Memory, grid: _Grid, host: str, r2: bool = True) -> dict:
    """The source host's ``Hyper-V VM Live Migration`` counters of one migration."""
    inst = lm_instance(mem.vm)
    mask = grid.present(mem.begin_s, mem.end_s)
    key = (host, LM_OBJECT, inst)
    wire = grid.average(mem.wire_times, mem.wire_rates)
    memory = grid.average(mem.wire_times, mem.memory_rates)
    comp_wire = grid.average(mem.wire_times, np.where(mem.compressed, mem.wire_rates, 0.0))
    plain = grid.average(mem.wire_times, np.where(mem.compressed, 0.0, mem.memory_rates))
    smb = mem.transport == "smb"
    zero = np.zeros_like(wire)
    gauge = lambda v: np.where(mask, grid.at(mem.gauge_times, v), np.nan)  # noqa: E731
    return _version_filter({
        key + (PASS_NUMBER,): gauge(mem.pass_number),
        key + (DIRTY_PAGES,): gauge(mem.dirty_pages),
        key + (IS_BLACKOUT,): gauge(mem.blackout),
        key + (TCP_SENT,): _blank_first(zero if smb else wire, mask),
        key + (SMB_SENT,): _blank_first(wire if smb else zero, mask),
        key + (WALKER_READ,): _blank_first(memory, mask),
        key + (WALKER_UNCOMPRESSED,): _blank_first(plain, mask),
        key + (COMPRESSED_SENT,): _blank_first(comp_wire, mask),
    }, r2)


def _destination_counters(mem: _Memory, grid: _Grid, host: str, r2: bool = True) -> dict:
    """The destination host's receive-side counters of one migration."""
    inst = lm_instance(mem.vm)
    mask = grid.present(mem.begin_s, mem.end_s)
    key = (host, LM_OBJECT, inst)
    wire = grid.average(mem.wire_times, mem.wire_rates)
    memory = grid.average(mem.wire_times, mem.memory_rates)
    comp_wire = grid.average(mem.wire_times, np.where(mem.compressed, mem.wire_rates, 0.0))
    plain = grid.average(mem.wire_times, np.where(mem.compressed, 0.0, mem.wire_rates))
    decomp = grid.average(mem.wire_times, np.where(mem.compressed, mem.memory_rates, 0.0))
    smb = mem.transport == "smb"
    return _version_filter({
        key + (TCP_RECEIVED,): _blank_first(np.zeros_like(wire) if smb else wire, mask),
        key + (RECEIVER_UNCOMPRESSED,): _blank_first(plain, mask),
        key + (RECEIVER_COMPRESSED,): _blank_first(comp_wire, mask),
        key + (RECEIVER_WRITTEN,): _blank_first(memory, mask),
        key + (RECEIVER_DECOMPRESSED,): _blank_first(decomp, mask),
    }, r2)


def _operation_counters(result, grid: _Grid, host: str, offset_s: float,
                        destination: str | None) -> dict:
    """``Hyper-V VM Save, Snapshot, and Restore`` of a Quick Migration: the save on `host`
    (its instance goes when the VM leaves), the restore on `destination` (from its start)."""
    phases = result.phases
    if phases is None or not len(phases):
        return {}
    by = phases.set_index(phases["phase"].astype(str))
    if "save" not in by.index:
        return {}
    inst = ssr_instance(result.vm_name or "vm1")
    t = grid.t - offset_s
    out = {}

    def ramp(begin, end):
        """Milliseconds into the operation [begin, end], held at its length afterwards."""
        return np.clip(t - begin, 0.0, end - begin) * 1000.0

    save_s, save_e = float(by.loc["save", "start_s"]), float(by.loc["save", "end_s"])
    leaves = float(by.loc["restore", "start_s"]) if "restore" in by.index else save_e
    here = grid.present(-np.inf, leaves + offset_s) & (t <= leaves + 1e-9)
    out[(host, SSR_OBJECT, inst, SSR_OPERATION_TIME)] = np.where(here, ramp(save_s, save_e),
                                                                 np.nan)
    if destination and "restore" in by.index:
        rest_s, rest_e = float(by.loc["restore", "start_s"]), float(by.loc["restore", "end_s"])
        there = t >= rest_s - 1e-9
        first = np.flatnonzero(t <= rest_s + 1e-9)
        if len(first):  # the instance appears at the last sample at or before the restore
            there[first[-1]] = True
        out[(destination, SSR_OBJECT, inst, SSR_OPERATION_TIME)] = np.where(
            there, ramp(rest_s, rest_e), np.nan)
    return out


def _timeline_signal(result: MigrationResult, column: str, offset_s: float = 0.0, scale=1.0):
    tl = result.timeline
    if tl is None or column not in tl:
        return None
    return (tl.index.to_numpy(dtype=float) + offset_s,
            tl[column].to_numpy(dtype=float) * scale)


def _background(grid: _Grid, mean_mib_s: float, noise_frac: float,
                rng: np.random.Generator) -> np.ndarray:
    """Other traffic on a NIC: `mean_mib_s` with seeded multiplicative (gamma) noise."""
    if mean_mib_s <= 0:
        return np.zeros(grid.t.size)
    if noise_frac <= 0:
        return np.full(grid.t.size, mean_mib_s * MIB)
    shape = 1.0 / noise_frac**2
    return rng.gamma(shape, mean_mib_s * MIB / shape, grid.t.size)


def _nic_counters(grid: _Grid, host: str, nic: str, sent: np.ndarray, received: np.ndarray,
                  gbps: float | None) -> dict:
    key = (host, NIC_OBJECT, nic)
    out = {key + (NIC_SENT,): sent, key + (NIC_RECEIVED,): received}
    for arr in (sent, received):
        arr[0] = np.nan
    if gbps:
        out[key + (NIC_BANDWIDTH,)] = np.full(grid.t.size, gbps * 1e9)
    return out


def _infer_gbps(peak_wire_bytes_s: float) -> float:
    """The smallest standard line rate that carries the observed payload rate."""
    for g in STANDARD_GBPS:
        if peak_wire_bytes_s <= g * 1e9 / 8 * 1.0001:
            return g
    return math.ceil(peak_wire_bytes_s * 8 / 1e9)


def _phase_time(result, name: str, edge: str) -> float | None:
    phases = result.phases
    if phases is None or not len(phases):
        return None
    hit = phases[phases["phase"].astype(str) == name]
    return float(hit[edge].iloc[0]) if len(hit) else None


SMB_SHARE = "\\\\fs01\\vms"  # the share an SMB-stored VM runs from in simulated logs


def _storage_counters(result: MigrationResult, grid: _Grid, host: str, offset_s: float,
                      vhd: str, source_disk: str, target_disk: str,
                      destination: str | None = None, share: str = SMB_SHARE) -> dict:
    """Storage counters from the timeline's storage columns (whichever it has).

    Where the guest's I/O shows: ``Hyper-V Virtual Storage Device`` (instance the VHD path) on
    the host running the VM, ``SMB Client Shares`` (instance the share) instead of local disks
    for an SMB Live Migration; a VM that changes host (live, SMB live, shared nothing) shows
    on `destination` after its blackout (nothing when no destination is logged). The guest's
    own I/O (storage minus copy and mirror) goes on before and after the migration at the
    first and last rows' rates.

    ``PhysicalDisk``: with a copy (``copy_mib_s``, ``mirror_mib_s``) the source array
    (`source_disk`) serves the copy's reads and the guest until it moves, the target array
    (`target_disk`; on `destination` for a shared-nothing move) the copy's and mirrored writes
    and the guest afterwards. ``Avg. Disk sec/Read`` and ``/Write`` carry the guest's latency
    on the array that serves it and 0 on the other (the model gives no per-array latency for
    the copy's own I/O); ``% Idle Time`` is 100 x (1 - utilisation). Without a copy column
    (Quick Migration) one instance carries the storage columns as they are, zero outside.
    """
    out: dict = {}
    tl = result.timeline
    if tl is None or not len(tl) or not any(c.startswith("storage_") for c in tl.columns):
        return out
    times = tl.index.to_numpy(dtype=float) + offset_s
    local_t = times - offset_s

    def col(name):
        if name not in tl:
            return np.zeros(len(tl))
        return np.nan_to_num(tl[name].to_numpy(dtype=float))

    def avg(values, scale=1.0, extend=False):
        return grid.average(times, values * scale, extend=extend)

    kind = getattr(result, "kind", "")
    if "copy_mib_s" not in tl and kind != "smb_live":
        key = (host, DISK_OBJECT, source_disk)
        if "storage_read_mib_s" in tl or "storage_write_mib_s" in tl:
            out[key + (DISK_READ,)] = avg(col("storage_read_mib_s"), MIB)
            out[key + (DISK_WRITE,)] = avg(col("storage_write_mib_s"), MIB)
        else:
            out[key + (DISK_READ,)] = avg(col("storage_mib_s"), MIB)
        if "array_util_frac" in tl:
            out[key + (DISK_IDLE,)] = 100.0 - avg(col("array_util_frac"), 100.0)
        if "guest_latency_ms" in tl:
            lat = avg(col("guest_latency_ms"), 1e-3)
            out[key + (DISK_SEC_READ,)] = lat
            out[key + (DISK_SEC_WRITE,)] = lat.copy()
        return out
    copy, mirror = col("copy_mib_s"), col("mirror_mib_s")
    guest_read = np.clip(col("storage_read_mib_s") - copy, 0.0, None)
    guest_write = np.clip(col("storage_write_mib_s") - copy - mirror, 0.0, None)
    latency = col("guest_latency_ms")
    # when the guest's I/O moves to the target array, and when the VM moves to another host
    switch = _phase_time(result, "switch", "start_s")
    moved = math.inf
    if kind in ("live", "smb_live", "shared_nothing"):
        moved = _phase_time(result, "blackout", "end_s") or float(result.total_s)
    if switch is None:
        switch = moved
    on_target = local_t >= switch
    here = grid.t < moved + offset_s  # samples at which the VM still runs on `host`

    def guest_view(obj, inst, counters):
        """Guest-side counters: on `host` until the VM moves, then on `destination`."""
        for h, mask in ((host, here), (destination, ~here)):
            if h is None or not mask.any():
                continue
            key = (h, obj, inst)
            for counter_name, values in counters:
                out[key + (counter_name,)] = np.where(mask, values, np.nan)

    if kind == "smb_live":
        guest_view(SMB_OBJECT, smb_share_instance(share), [
            (SMB_READ, avg(col("storage_read_mib_s"), MIB, True)),
            (SMB_WRITE, avg(col("storage_write_mib_s"), MIB, True)),
            (SMB_SEC_READ, avg(latency, 1e-3, True)),
            (SMB_SEC_WRITE, avg(latency, 1e-3, True))])
        guest_view(VSD_OBJECT, vhd_instance(vhd), [
            (VSD_READ, avg(col("storage_read_mib_s"), MIB, True)),
            (VSD_WRITE, avg(col("storage_write_mib_s"), MIB, True))])
        return out
    disk_hosts = (host, destination if kind == "shared_nothing" else host)
    arrays = ((disk_hosts[0], source_disk, ~on_target, copy, 0.0 * copy, "source_util_frac"),
              (disk_hosts[1], target_disk, on_target, 0.0 * copy, copy + mirror,
               "target_util_frac"))
    for h, disk, serves, reads, writes, util in arrays:
        if h is None:
            continue
        key = (h, DISK_OBJECT, disk)
        # migration traffic (zero outside) plus the guest's I/O where it runs (extended)
        out[key + (DISK_READ,)] = avg(reads, MIB) + avg(guest_read * serves, MIB, True)
        out[key + (DISK_WRITE,)] = avg(writes, MIB) + avg(guest_write * serves, MIB, True)
        if "guest_latency_ms" in tl:
            out[key + (DISK_SEC_READ,)] = avg(latency * serves, 1e-3, True)
            out[key + (DISK_SEC_WRITE,)] = avg(latency * serves, 1e-3, True)
        if util in tl:
            out[key + (DISK_IDLE,)] = np.clip(100.0 - avg(col(util), 100.0, True), 0, 100)
    counters = [(VSD_READ, avg(guest_read, MIB, True)), (VSD_WRITE, avg(guest_write, MIB, True))]
    if "guest_latency_ms" in tl:
        counters.append((VSD_LATENCY, avg(latency, extend=True)))
    guest_view(VSD_OBJECT, vhd_instance(vhd), counters)
    return out


def _make_grid(begin_s: float, end_s: float, interval_s: float, lead_s: float,
               tail_s: float) -> _Grid:
    if not (isinstance(interval_s, (int, float)) and interval_s > 0 and math.isfinite(interval_s)):
        raise ValueError(f"interval_s must be a positive number of seconds, got {interval_s!r}")
    if lead_s < 0 or tail_s < 0:
        raise ValueError(f"lead_s and tail_s must be >= 0 s, got {lead_s!r} and {tail_s!r}")
    first = begin_s - lead_s
    n = int(math.ceil((end_s + tail_s - first) / interval_s - 1e-9)) + 1
    # the closing sample of an instance must exist: one sample past end_s at least
    while first + (n - 1) * interval_s < end_s + 1e-9:
        n += 1
    return _Grid(first, interval_s, max(n, 2))


def _assemble(columns: dict, grid: _Grid, start) -> pd.DataFrame:
    start = DEFAULT_START if start is None else pd.Timestamp(start)
    stamps = start + pd.to_timedelta(np.round(grid.t * 1000.0).astype("int64"), unit="ms")
    frame = pd.DataFrame(columns, index=pd.DatetimeIndex(stamps, name="time"), dtype="float64")
    frame.columns = pd.MultiIndex.from_tuples(list(columns), names=LEVELS)
    return frame


def _check_result(result, cls, name):
    if not isinstance(result, cls):
        raise TypeError(f"{name} must be a hvlab.{cls.__name__}, got {type(result).__name__}")


def result_to_frame(result: MigrationResult, host: str = "HV01", start=None,
                    interval_s: float = 1.0, *, destination: str | None = None,
                    lead_s: float | None = None, tail_s: float | None = None,
                    nic: str | None = None, link_gbps: float | None = None,
                    nic_framing: float = NIC_FRAMING, background_mib_s: float = 0.0,
                    noise_frac: float = 0.0, seed: int = 0, vhd: str | None = None,
                    source_disk: str = "1 E:", target_disk: str = "2 F:",
                    version: str | None = None) -> pd.DataFrame:
    r"""The counters `host` would have logged during a simulated migration, without writing.

    Parameters
    ----------
    result : MigrationResult
        Any kind ("live", "quick", "smb_live", "storage", "shared_nothing").
    host : str
        Source host name (the ``host`` level of the columns).
    start : datetime-like, optional
        Wall-clock time at which the migration starts (model time 0). Default
        2013-03-12 14:00:00 (fixed, so that logs are reproducible). A tz-aware value gives a
        tz-aware index.
    interval_s : float
        Sample interval [s] (PerfMon's default is 15 s; 1 s resolves passes).
    destination : str, optional
        Also write the destination host's counters under this host name: the receive side
        of the memory stream, its NIC, and where the VM's storage goes with it (the target
        array of a shared-nothing move, the guest's disk or share counters after the move).
    lead_s, tail_s : float, optional
        Idle log before and after the migration [s]; default 5 samples each.
    nic : str, optional
        ``Network Interface`` instance name; default from the line rate.
    link_gbps : float, optional
        Line rate for ``Current Bandwidth`` [Gbit/s]; default the smallest standard rate that
        carries the result's peak network rate.
    nic_framing : float
        NIC bytes per payload byte [ratio]; 1514/1460 by default.
    background_mib_s, noise_frac, seed : float, float, int
        Other traffic on the NIC [MiB/s] with gamma noise of this coefficient of variation,
        from ``numpy.random.default_rng(seed)``; 0 by default (the log is then exact).
    vhd : str, optional
        Path of the VM's VHD for ``Hyper-V Virtual Storage Device``; default
        ``C:\ClusterStorage\Volume1\<vm>.vhdx`` (``D:\Hyper-V\Virtual Hard Disks\<vm>.vhdx``
        for a shared-nothing move, whose disks are the host's own; ``\\fs01\vms\<vm>.vhdx``
        for a VM on an SMB share, whose instance is ``--?-UNC-fs01-vms-<vm>.vhdx``).
    source_disk, target_disk : str
        ``PhysicalDisk`` instances of the source and target arrays.
    version : {"WS2012", "WS2012R2", "WS2008R2"}, optional
        The hosts' Windows version: a WS2012 (or older) log has no Compressor or SMB Transport
        counters. Default: "WS2012R2" when the result used the Compression or SMB option (only
        2012 R2 has them; a WS2012 `version` with such a result is an error), else "WS2012".

    Returns
    -------
    pandas.DataFrame
        Index ``time`` (DatetimeIndex, one row per sample); columns a MultiIndex (host, object,
        instance, counter); float64, NaN where Windows writes ``" "``.
    """
    _check_result(result, MigrationResult, "result")
    lead_s = 5 * interval_s if lead_s is None else lead_s
    tail_s = 5 * interval_s if tail_s is None else tail_s
    grid = _make_grid(0.0, float(result.total_s), interval_s, lead_s, tail_s)
    return _frame(grid, [(result, 0.0, destination)], None, host, start, nic=nic,
                  link_gbps=link_gbps, nic_framing=nic_framing,
                  background_mib_s=background_mib_s, noise_frac=noise_frac, seed=seed,
                  vhd=vhd, source_disk=source_disk, target_disk=target_disk,
                  version=_version([result], version))


def _version(results, version) -> str:
    """The hosts' version: `version`, checked against what the results used, or inferred."""
    used = sorted({getattr(r, "transport", "") or "" for r in results} & {"compression", "smb"})
    if version is None:
        return "WS2012R2" if used else "WS2012"
    if version not in VERSIONS:
        raise ValueError(f"version must be one of {', '.join(VERSIONS)}, got {version!r}")
    if used and version != "WS2012R2":
        raise ValueError(f"a {version} host has no {' or '.join(used)} live-migration option "
                         "(both arrived with Windows Server 2012 R2), so its log cannot show "
                         "one: pass version='WS2012R2' or leave version out")
    return version


def _frame(grid: _Grid, items, total_network, host, start, *, nic, link_gbps, nic_framing,
           background_mib_s, noise_frac, seed, vhd, source_disk, target_disk,
           version="WS2012R2") -> pd.DataFrame:
    """Counters of several migrations (result, offset, destination) from one source host."""
    r2 = version == "WS2012R2"
    rng = np.random.default_rng(seed)
    columns: dict = {}
    dest_columns: dict = {}
    dest_received: dict = {}
    peak = 0.0
    sent_net = np.zeros(grid.t.size)
    for result, offset, dest in items:
        mem = _memory_stream(_renamed_result(result), offset)
        if mem is not None:
            columns.update(_source_counters(mem, grid, host, r2))
            peak = max(peak, float(mem.wire_rates.max(initial=0.0)))
            if dest:
                dest_columns.update(_destination_counters(mem, grid, dest, r2))
                wire = np.nan_to_num(grid.average(mem.wire_times, mem.wire_rates))
                dest_received[dest] = dest_received.get(dest, 0.0) + wire
        if total_network is None:
            sig = _timeline_signal(result, "network_mib_s", offset, MIB)
            if sig is not None:
                sent_net += np.nan_to_num(grid.average(*sig))
                peak = max(peak, float(np.max(sig[1], initial=0.0)))
        if len(items) == 1:
            vm = result.vm_name or "vm1"
            kind = getattr(result, "kind", "")
            path = vhd or (f"D:\\Hyper-V\\Virtual Hard Disks\\{vm}.vhdx"
                           if kind == "shared_nothing" else
                           f"{SMB_SHARE}\\{vm}.vhdx" if kind == "smb_live"
                           else f"C:\\ClusterStorage\\Volume1\\{vm}.vhdx")
            columns.update(_storage_counters(result, grid, host, offset, path, source_disk,
                                             target_disk, dest))
        if getattr(result, "kind", "") == "quick":
            columns.update(_operation_counters(result, grid, host, offset, dest))
    if total_network is not None:
        sent_net = np.nan_to_num(grid.average(*total_network))
        peak = max(peak, float(np.max(total_network[1], initial=0.0)))
    if link_gbps is None:
        link_gbps = _infer_gbps(peak) if peak > 0 else 1.0
    gbps = link_gbps
    nic = nic or nic_name(gbps)
    sent = sent_net * nic_framing + _background(grid, background_mib_s, noise_frac, rng)
    received = _background(grid, background_mib_s / 4, noise_frac, rng)
    columns.update(_nic_counters(grid, host, nic, sent, received, gbps))
    for dest, wire in dest_received.items():
        recv = wire * nic_framing + _background(grid, background_mib_s / 4, noise_frac, rng)
        sent_d = _background(grid, background_mib_s / 4, noise_frac, rng)
        dest_columns.update(_nic_counters(grid, dest, nic, sent_d, recv, gbps))
    columns.update(dest_columns)
    return _assemble(columns, grid, start)


def _renamed_result(result: MigrationResult):
    """A light view of `result` whose passes table has the column ``pass_`` (``pass`` is a
    keyword, so itertuples would rename it positionally)."""
    class _View:
        pass
    view = _View()
    for name in ("passes", "timeline", "phases", "total_s", "vm_name", "transport"):
        setattr(view, name, getattr(result, name))
    if view.passes is not None and len(view.passes):
        view.passes = view.passes.rename(columns={"pass": "pass_"})
    return view


_WRITE_KEYS = ("fmt", "encoding", "timezone", "bias_min")


def _split_kwargs(kwargs: dict, start):
    """(write_perflog's keywords, the frame builder's). A naive `start` is a wall clock in a
    zone the header must name: by default UTC (bias 0), as a host set to UTC writes it."""
    write = {k: kwargs.pop(k) for k in list(kwargs) if k in _WRITE_KEYS}
    naive = start is None or pd.Timestamp(start).tzinfo is None
    if naive and "bias_min" not in write:
        write["bias_min"] = 0
        write.setdefault("timezone", "Coordinated Universal Time")
    return write, kwargs


def result_to_perflog(result: MigrationResult, path, host: str = "HV01", start=None,
                      interval_s: float = 1.0, **kwargs):
    """Write the PDH-CSV log `host` would have recorded during the simulated migration.

    Parameters are those of `result_to_frame`; ``fmt``, ``encoding``, ``timezone`` and
    ``bias_min`` go to `hvlab.write_perflog` (a naive `start` is written as UTC, bias 0,
    unless they say otherwise). Returns what `write_perflog` returns.
    """
    write, frame_kw = _split_kwargs(dict(kwargs), start)
    frame = result_to_frame(result, host=host, start=start, interval_s=interval_s, **frame_kw)
    return write_perflog(frame, path, **write)


def drain_to_frame(drain: DrainResult, host: str = "HV01", start=None, interval_s: float = 1.0,
                   *, destinations: Sequence[str] | None = None, lead_s: float | None = None,
                   tail_s: float | None = None, nic: str | None = None,
                   link_gbps: float | None = None, nic_framing: float = NIC_FRAMING,
                   background_mib_s: float = 0.0, noise_frac: float = 0.0,
                   seed: int = 0, version: str | None = None) -> pd.DataFrame:
    """The counters of a host drain: one ``Hyper-V VM Live Migration`` instance per VM (each at
    its own start, ``drain.migrations.start_s``) and the NIC carrying all of them (the sum of
    the VMs' own ``network_mib_s`` timelines).

    With `destinations` (host names) the frame also holds each destination's receive-side
    counters: a multi-host log, as PerfMon writes when it collects from several hosts. VMs go
    to the host named in a ``destination`` column of ``drain.migrations`` when there is one,
    else round-robin over `destinations` in the order of the table. Other parameters as in
    `result_to_frame`; `start` is the wall-clock time of the drain's start.
    """
    _check_result(drain, DrainResult, "drain")
    m = drain.migrations
    if len(drain.results) != len(m):
        raise ValueError(f"drain.results has {len(drain.results)} results but drain.migrations "
                         f"has {len(m)} rows; they must match one to one")
    dests: list = [None] * len(m)
    if destinations:
        destinations = list(destinations)
        if "destination" in m:
            dests = [str(d) for d in m["destination"]]
        else:
            dests = [destinations[i % len(destinations)] for i in range(len(m))]
    offsets = m["start_s"].to_numpy(dtype=float)
    lead_s = 5 * interval_s if lead_s is None else lead_s
    tail_s = 5 * interval_s if tail_s is None else tail_s
    first = float(min(offsets.min(initial=0.0), 0.0))
    grid = _make_grid(first, float(drain.total_s), interval_s, lead_s, tail_s)
    items = list(zip(drain.results, offsets, dests))
    # the NIC carries the sum of the VMs' own timelines (each is its own traffic)
    return _frame(grid, items, None, host, start, nic=nic, link_gbps=link_gbps,
                  nic_framing=nic_framing, background_mib_s=background_mib_s,
                  noise_frac=noise_frac, seed=seed, vhd=None, source_disk="1 E:",
                  target_disk="2 F:", version=_version(drain.results, version))


def drain_to_perflog(drain: DrainResult, path, host: str = "HV01", start=None,
                     interval_s: float = 1.0, **kwargs):
    """Write the log of a host drain as recorded on the drained host (see `drain_to_frame`;
    ``fmt``, ``encoding``, ``timezone``, ``bias_min`` go to `hvlab.write_perflog`)."""
    write, frame_kw = _split_kwargs(dict(kwargs), start)
    frame = drain_to_frame(drain, host=host, start=start, interval_s=interval_s, **frame_kw)
    return write_perflog(frame, path, **write)


def multihost_drain_to_perflog(drain: DrainResult, path, source: str = "HV01",
                               destinations: Sequence[str] = ("HV02", "HV03"), start=None,
                               interval_s: float = 1.0, **kwargs):
    """Write one log holding the drained host's counters and every destination's receive-side
    counters (a PerfMon collector set reading several hosts). See `drain_to_frame`."""
    if not destinations:
        raise ValueError("destinations must name at least one destination host, got "
                         f"{destinations!r}")
    return drain_to_perflog(drain, path, host=source, start=start, interval_s=interval_s,
                            destinations=list(destinations), **kwargs)
