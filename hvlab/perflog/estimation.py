"""Fit the model's inputs to one migration in a performance log: `estimate(df, migration)`
fits memory, effective bandwidth and dirty rate so that `hvlab.live_migration` can replay
the migration and answer what-ifs (another link, compression). `hvlab.perflog.detection`
finds the migrations.

Estimators (see `estimate`)
---------------------------
Sampled gauges miss passes shorter than the sample interval, so the estimators lean on what the
log keeps exactly: rate counters conserve bytes, and the dirty-page count of every pass that
*is* seen is exact.

- passes: the highest ``Transfer Pass: Number`` seen, less one when that pass is the blackout
  copy (a sample at it shows ``Is blackout`` = 1 or no dirty pages, which no live pass does);
  exact whenever the log has a sample after the blackout began;
- memory: the ``Dirty Page Count`` shown during pass 1 (all pages) x 4 KiB; when pass 1 fell
  between samples, extrapolated from two later passes' pages (geometric passes) or from one
  and the byte balance below;
- bandwidth: the median ``Memory Walker: Bytes Read/sec`` (and transport bytes/sec for the
  wire) over samples whose whole interval lies inside the transfer; when there is none (the
  transfer lasted under two samples) the NIC's ``Current Bandwidth`` x 1460/1538 is assumed;
- pass boundaries: where the cumulative memory bytes (rates x interval, interpolated inside a
  sample; the first and last partial samples assumed to run at the neighbouring full rate)
  reach the running sum of the pass sizes;
- dirty rate: pages dirtied during pass k (shown during pass k+1) x 4 KiB / duration of pass k,
  the largest over the seen pairs (a saturated working set only lowers the ratio). When no pair
  is seen (pass 2 shorter than a sample), the byte balance: total memory sent = M (1 + rho + ...
  + rho^N) + device state (the model's default 8 MiB), solved for rho, times the bandwidth.
  Later passes all the same size mean a saturated working set: the rate is then only a lower
  bound (flagged), and the working set is that size;
- convergence: a last leftover within the presets' 64 MiB stop threshold converged; one above
  it after 5 or 10 passes (the presets' caps) hit the cap;
- blackout: it began after the last sample showing a live pass and at or before the first
  showing the blackout copy; inside that window it is placed at the end of the transfer minus
  the final copy's time ((dirty pages shown in the blackout, else the fitted leftover of the
  last pass) x 4 KiB + the default device state, at the wire rate near the end, over the
  compression ratio). Its length is that copy plus the WS2012 defaults for handle move and
  resume, which leave no trace in the counters; at least the span of samples showing
  ``Is blackout`` = 1.

On the grid of tests/perflog/test_perflog_analysis.py (2-16 GiB, 5-100 MiB/s, 1 and 10 GbE, TCP/IP
and compression, 1 s samples, through PDH-CSV files) passes are exact and the bandwidth and
dirty rate within 0.01%; `benchmarks/bench_analysis.py` reports the worst errors.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hvlab.models import live_migration
from hvlab.params import GIB, MIB, VM, WS2012, Link, MigrationSettings
from hvlab.perflog._lookup import (Columns, busiest_nic_gbps, elapsed_s, line_payload,
                                   sample_intervals)
from hvlab.perflog._passes import fit_segment, lm_segments
from hvlab.perflog.detection import find_migrations
from hvlab.perflog.vocabulary import LM_OBJECT, STANDARD_GBPS

__all__ = ["Estimate", "estimate"]


@dataclass(frozen=True)
class Estimate:
    """The model inputs fitted to one migration in a log (see `estimate`).

    Attributes
    ----------
    vm_name, host : str
        The VM and the source host.
    memory_gib : float
        VM memory [GiB] (pages shown during pass 1).
    bandwidth_mib_s : float
        Effective memory transfer rate [MiB/s] (before compression).
    wire_mib_s : float
        Effective wire (payload) rate [MiB/s].
    compression_ratio : float
        Memory bytes per wire byte (1 without compression).
    dirty_rate_mib_s : float
        Guest memory dirty rate [MiB/s] (NaN when it cannot be told).
    dirty_rate_method : str
        "pass_pages", "byte_balance" or "none".
    dirty_rate_is_lower_bound : bool
        The pass sizes plateau at the working set: the rate is at least this.
    working_set_gib : float or None
        Writable working set [GiB] when the passes plateau, else None (whole memory).
    passes : int
        Live pre-copy passes.
    pass_pages : dict
        Pages shown for each pass seen {pass: pages} (the blackout copy included).
    pass_durations_s : dict
        Fitted duration of each pass whose start and end could be placed {pass: s}.
    setup_s, downtime_s, total_s : float
        Setup (to within half a sample), blackout and whole migration [s], estimated.
    transport : str
        "tcpip", "compression" or "smb".
    link_gbps : float
        Line rate (``Current Bandwidth`` of the busiest NIC, else the smallest standard rate
        that carries the wire rate) [Gbit/s].
    link_efficiency : float
        Wire rate / line rate: what one migration got of the link [fraction].
    stop_copy_mib : float
        A stop threshold consistent with the passes seen [MiB].
    converged : bool
        The run stopped on the threshold (False: on the pass cap).
    interval_s : float
        Sample interval of the log [s].
    notes : tuple of str
        How each figure was obtained, and what could not be.
    """

    vm_name: str
    host: str
    memory_gib: float
    bandwidth_mib_s: float
    wire_mib_s: float
    compression_ratio: float
    dirty_rate_mib_s: float
    dirty_rate_method: str
    dirty_rate_is_lower_bound: bool
    working_set_gib: float | None
    passes: int
    pass_pages: dict = field(repr=False)
    pass_durations_s: dict = field(repr=False)
    setup_s: float
    downtime_s: float
    total_s: float
    transport: str
    link_gbps: float
    link_efficiency: float
    stop_copy_mib: float
    converged: bool
    interval_s: float
    notes: tuple = ()

    # ---- builders for the model --------------------------------------------------------------
    def vm(self, **changes) -> VM:
        """A `hvlab.VM` with the fitted memory, dirty rate and working set (plus `changes`)."""
        if not math.isfinite(self.dirty_rate_mib_s):
            raise ValueError(f"the dirty rate of {self.vm_name} could not be estimated from the "
                             "log (see Estimate.notes); pass dirty_rate_mib_s=... to vm()")
        kw = dict(name=self.vm_name, memory_gib=self.memory_gib,
                  dirty_rate_mib_s=self.dirty_rate_mib_s, working_set_gib=self.working_set_gib)
        kw.update(changes)
        return VM(**kw)

    def link(self, gbps: float | None = None, **changes) -> Link:
        """A `hvlab.Link` that carries the measured wire rate: the fitted line rate and the
        measured efficiency; with `gbps` another line rate at the same efficiency (what-if)."""
        kw = dict(gbps=self.link_gbps if gbps is None else gbps,
                  efficiency=min(max(self.link_efficiency, 1e-6), 1.0))
        kw.update(changes)
        return Link(**kw)

    def settings(self, base: MigrationSettings | None = None, **changes) -> MigrationSettings:
        """`MigrationSettings` that reproduce the passes: `base` (default WS2012) with the
        transport, compression ratio, stop threshold, pass cap and setup time fitted."""
        base = WS2012 if base is None else base
        kw = dict(transport=self.transport, stop_copy_mib=self.stop_copy_mib,
                  setup_s=self.setup_s,
                  max_passes=self.passes if not self.converged
                  else max(base.max_passes, self.passes))
        if base.tcp_stream_gbps is not None:
            # one stream carried at least what the log shows; a faster link in a what-if
            # still meets the version's per-stream limit
            measured = self.wire_mib_s * MIB * 8 / 1e9
            kw["tcp_stream_gbps"] = max(base.tcp_stream_gbps, measured * 1.0001)
        if self.transport == "compression" and self.compression_ratio > 1:
            kw["compression_ratio"] = self.compression_ratio
            need = self.bandwidth_mib_s * 1.01 / base.compressor_mib_s_per_core
            kw["spare_cores"] = max(base.spare_cores, need)
        kw.update(changes)
        if kw.get("transport", base.transport) != "tcpip" and "version" not in changes:
            kw["version"] = "WS2012R2"  # compression and SMB exist only from 2012 R2 on
        return dataclasses.replace(base, **kw)

    def replay(self, *, seed: int = 0, **settings_changes):
        """Run `hvlab.live_migration` with the fitted inputs; returns its MigrationResult."""
        return live_migration(self.vm(), self.link(), self.settings(**settings_changes),
                              seed=seed)

    def what_if(self, *, gbps: float | None = None, nics: int | None = None,
                transport: str | None = None, seed: int = 0, vm=None, **settings_changes):
        """Replay with another line rate, NIC count or transport (e.g. ``gbps=10`` or
        ``transport="compression"``); `vm` is a dict of VM changes. Returns a MigrationResult.

        With another line rate the link keeps the measured efficiency; another transport
        uses the base settings' compression ratio unless ``compression_ratio=`` is given.
        """
        link_kw = {} if nics is None else {"nics": nics}
        changes = dict(settings_changes)
        if transport is not None:
            changes["transport"] = transport
            if transport == "compression" and "compression_ratio" not in changes \
                    and self.compression_ratio <= 1:
                changes["compression_ratio"] = WS2012.compression_ratio
        return live_migration(self.vm(**(vm or {})), self.link(gbps, **link_kw),
                              self.settings(**changes), seed=seed)

    def to_series(self) -> pd.Series:
        """The scalar figures as a Series (for tables)."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name not in ("pass_pages", "pass_durations_s", "notes")}
        return pd.Series(data, name=self.vm_name, dtype=object)


def _pick(df: pd.DataFrame, migration) -> pd.Series:
    if isinstance(migration, pd.Series):
        return migration
    if isinstance(migration, dict):
        return pd.Series(migration)
    found = find_migrations(df)
    if isinstance(migration, (int, np.integer)) and not isinstance(migration, bool):
        if not 0 <= migration < len(found):
            raise IndexError(f"migration {migration} out of range: the log shows {len(found)} "
                             "migration(s)")
        return found.iloc[int(migration)]
    if isinstance(migration, str):
        hits = found[found["vm"] == migration]
        if hits.empty:
            raise KeyError(f"no migration of VM {migration!r} in the log; VMs seen: "
                           f"{sorted(v for v in found['vm'].dropna().unique())}")
        return hits.iloc[0]
    raise TypeError("migration must be a row of find_migrations(df) (Series or dict), its "
                    f"position (int) or a VM name (str), got {type(migration).__name__}")


def _nominal_gbps(cols: Columns, host: str, wire_bytes_s: float) -> float:
    best = busiest_nic_gbps(cols, host)
    if best is not None and wire_bytes_s <= best * 1e9 / 8 * 1.001:
        return best
    for g in STANDARD_GBPS:
        if wire_bytes_s <= g * 1e9 / 8 * 1.001:
            return g
    return math.ceil(wire_bytes_s * 8 / 1e9)


def estimate(df: pd.DataFrame, migration) -> Estimate:
    """Fit the model's inputs to one migration in a log.

    Parameters
    ----------
    df : pandas.DataFrame
        The log (as `hvlab.read_perflog` returns it).
    migration : pandas.Series, dict, int or str
        A row of ``find_migrations(df)``, its position, or a VM name (first migration of it).

    Returns
    -------
    Estimate
        Memory [GiB], effective bandwidth [MiB/s], dirty rate [MiB/s], passes, ... with
        ``.vm()``, ``.link()``, ``.settings()``, ``.replay()`` and ``.what_if(gbps=10)``.
        The estimators are described in the module docstring; ``notes`` says which ran.

    Raises
    ------
    ValueError
        When the row came from network bursts (no Live Migration counters to fit), or the
        migration moved no memory.
    """
    row = _pick(df, migration)
    if row.get("source") != "counters":
        how = {"network": "network bursts", "rdma": "RDMA traffic bursts",
               "disk": "a disk copy", "receiver": "the destination's receive counters",
               "save-restore": "save and restore operations (a Quick Migration has no "
                               "pre-copy to fit)"}.get(row.get("source"), row.get("source"))
        raise ValueError(f"estimate needs the source's {LM_OBJECT} counters; this migration "
                         f"was found from {how} on {row.get('host') or row.get('destination')}"
                         f":{row.get('instance')} only (collect \\{LM_OBJECT}(*)\\* on the "
                         "source host)")
    cols = Columns(df)
    t = elapsed_s(df.index)
    dt = sample_intervals(t)
    segs = [s for s in lm_segments(cols, t, dt)
            if s.host == str(row["host"]) and s.instance == row["instance"]
            and df.index[s.rows[0]] == row["start"]]
    if not segs:
        raise ValueError(f"migration {row.get('vm')!r} starting {row.get('start')} on host "
                         f"{row.get('host')!r} is not in this log; pass a row of "
                         "find_migrations(df) for the same df")
    seg = segs[0]
    fit = fit_segment(seg, line_payload(cols, seg.host))
    if fit is None:
        raise ValueError(f"the migration of {row['vm']!r} moved no memory in the log "
                         "(all transfer counters are 0 or blank)")
    tr = fit.tr
    notes = list(fit.notes)
    bound = row.get("network_bound")
    if bound is not None and not pd.isna(bound):
        notes.append("the send queue (TCP/SMB Transport pending bytes) held data in most "
                     "samples: the network set the pace" if bound else
                     "the send queue was empty in most samples: the sender, not the network, "
                     "set the pace, so the bandwidth is what the memory walker managed and a "
                     "faster link would not have sped this migration up")
    ratio = tr.bw_memory / tr.bw_wire if tr.bw_wire > 0 else 1.0
    downtime = fit.blackout[1] if fit.blackout else float("nan")
    total = (tr.end_s - tr.start_s) + fit.setup_s + WS2012.handle_move_s + WS2012.resume_s
    transport = str(row.get("transport") or "tcpip")
    gbps = _nominal_gbps(cols, seg.host, tr.bw_wire)
    rate = fit.rate / MIB if math.isfinite(fit.rate) else float("nan")
    return Estimate(
        vm_name=str(row["vm"]), host=seg.host, memory_gib=float(fit.memory / GIB),
        bandwidth_mib_s=tr.bw_memory / MIB, wire_mib_s=tr.bw_wire / MIB,
        compression_ratio=float(ratio), dirty_rate_mib_s=float(rate),
        dirty_rate_method=fit.method, dirty_rate_is_lower_bound=fit.plateau,
        working_set_gib=None if fit.working_set is None else fit.working_set / GIB,
        passes=int(fit.passes), pass_pages={k: int(v) for k, v in fit.sizes.items()},
        pass_durations_s=dict(fit.durations), setup_s=float(fit.setup_s),
        downtime_s=float(downtime), total_s=float(total), transport=transport,
        link_gbps=float(gbps), link_efficiency=float(tr.bw_wire / (gbps * 1e9 / 8)),
        stop_copy_mib=float(fit.stop / MIB), converged=bool(fit.converged),
        interval_s=float(np.median(dt)), notes=tuple(notes))
