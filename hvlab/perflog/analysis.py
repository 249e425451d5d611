"""Find migrations in a performance log and fit the model's inputs to one of them.

`find_migrations(df)` lists the migrations a log shows; `estimate(df, migration)` fits memory,
effective bandwidth and dirty rate so that `hvlab.live_migration` can replay the migration and
answer what-ifs (another link, compression).

Detection rules
---------------
From the ``Hyper-V VM Live Migration`` counters (used for every host that has
``Transfer Pass: Number``): one migration per stretch of samples in which an instance
``<VM>:VM Live Migration`` exists (a new stretch also starts where the pass number falls).

From network bursts (hosts without those counters): on each ``Network Interface`` instance,
``Bytes Sent/sec`` above ``baseline + max(threshold_mib_s, busy_frac x line rate)`` is busy,
where the baseline is the series' 10th percentile and the line rate its ``Current Bandwidth``
(the series' peak above the baseline when that is not logged); busy samples closer than
`merge_gap_s` form one burst, and bursts that moved less than `min_mib` above the baseline are
dropped. Such rows have no VM name, passes or blackout (NaN/NA), and their bytes are NIC bytes,
framing included. Concurrent migrations on one NIC are one burst.

From storage copies: a storage migration leaves no ``Hyper-V VM Live Migration`` instance but
reads one disk while writing another as fast. For every ordered pair of ``PhysicalDisk``
instances (on any hosts) the copy rate is ``min(reads of the first, writes of the second)``,
each above its own 10th percentile; it is busy above ``max(threshold_mib_s, busy_frac x its
peak)``, and runs that copied less than `min_copy_mib` are dropped. A heuristic: other
traffic with the same shape (a backup from one disk to another) is reported too.

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
- blackout: see `_blackout_timing` (placed from the end of the transfer, within one sample).

On the grid of tests/test_perflog_analysis.py (2-16 GiB, 5-100 MiB/s, 1 and 10 GbE, TCP/IP
and compression, 1 s samples, through PDH-CSV files) passes are exact and the bandwidth and
dirty rate within 0.01%; `benchmarks/bench_analysis.py` reports the worst errors.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hvlab.params import (GIB, MIB, PAGE_BYTES, TCP_EFFICIENCY, VM, WS2008R2, WS2012, WS2012R2,
                          Link, MigrationSettings)
from hvlab.perflog import simulate as sim_names

STANDARD_GBPS = sim_names.STANDARD_GBPS
DEFAULT_STATE_MIB = VM().state_mib  # device state assumed in the blackout [MiB]

COLUMNS = ["host", "vm", "source", "start", "end", "duration_s", "passes", "blackout_start",
           "blackout_s", "blackout_samples", "network_bytes", "peak_mib_s", "transport",
           "complete", "destination", "instance", "storage_copy_bytes"]


# ---- column lookup ---------------------------------------------------------------------------
def _key(text) -> str:
    return str(text).strip().casefold()


class _Columns:
    """Find counters by (host, object, instance, counter), ignoring case."""

    def __init__(self, df: pd.DataFrame):
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"df must be a pandas DataFrame from hvlab.read_perflog, got "
                            f"{type(df).__name__}")
        if not isinstance(df.index, pd.DatetimeIndex):
            raise TypeError("df must have a DatetimeIndex (the sample times), got "
                            f"{type(df.index).__name__}; read the log with hvlab.read_perflog")
        if not isinstance(df.columns, pd.MultiIndex) or df.columns.nlevels != 4:
            raise ValueError("df.columns must be a 4-level MultiIndex (host, object, instance, "
                             "counter), as hvlab.read_perflog returns")
        self.df = df
        self.index: dict = {}
        for pos, col in enumerate(df.columns):
            h, o, i, c = col
            self.index.setdefault((_key(h), _key(o), str(i), _key(c)), pos)

    def get(self, host, obj, inst, counter) -> np.ndarray | None:
        pos = self.index.get((_key(host), _key(obj), str(inst), _key(counter)))
        if pos is None:
            return None
        return self.df.iloc[:, pos].to_numpy(dtype="float64", na_value=np.nan)

    def instances(self, obj, counter):
        """(host, instance) pairs that have `counter` of `obj`."""
        o, c = _key(obj), _key(counter)
        seen = []
        for (h, oo, i, cc), pos in self.index.items():
            if oo == o and cc == c:
                seen.append((self.df.columns[pos][0], i))
        return seen


def _seconds(index: pd.DatetimeIndex) -> np.ndarray:
    return (index - index[0]).total_seconds().to_numpy(dtype=float)


def _intervals(t: np.ndarray) -> np.ndarray:
    """Length of the interval each sample's rate averages over [s] (the first: the median)."""
    if t.size < 2:
        return np.ones_like(t)
    d = np.diff(t)
    return np.concatenate([[np.median(d)], d])


# ---- one migration from the Live Migration counters --------------------------------------------
@dataclass
class _Segment:
    host: str
    instance: str
    rows: np.ndarray          # positions in the frame
    t: np.ndarray             # seconds since the log's first sample
    dt: np.ndarray            # interval of each sample [s]
    pass_no: np.ndarray
    pages: np.ndarray
    blackout: np.ndarray
    wire: np.ndarray          # transport bytes/s (TCP + SMB)
    memory: np.ndarray        # memory bytes/s (Memory Walker: Bytes Read/sec, else wire)
    smb: float
    compressed: float


def _lm_segments(cols: _Columns, t: np.ndarray, dt: np.ndarray) -> list[_Segment]:
    out = []
    obj = sim_names.LM_OBJECT
    for host, inst in cols.instances(obj, sim_names.PASS_NUMBER):
        pass_no = cols.get(host, obj, inst, sim_names.PASS_NUMBER)
        zeros = np.zeros_like(pass_no)

        def series(counter):
            v = cols.get(host, obj, inst, counter)
            return zeros.copy() if v is None else v

        pages, black = series(sim_names.DIRTY_PAGES), series(sim_names.IS_BLACKOUT)
        tcp, smb = series(sim_names.TCP_SENT), series(sim_names.SMB_SENT)
        comp = series(sim_names.COMPRESSED_SENT)
        walker = cols.get(host, obj, inst, sim_names.WALKER_READ)
        present = ~np.isnan(pass_no)
        wire = np.nan_to_num(tcp) + np.nan_to_num(smb)
        memory = wire if walker is None else np.nan_to_num(walker)
        # stretches of presence, split where the pass number falls
        starts = np.flatnonzero(present & ~np.concatenate([[False], present[:-1]]))
        for s in starts:
            e = s
            while e + 1 < present.size and present[e + 1]:
                e += 1
            cut = [s]
            for j in range(s + 1, e + 1):
                if pass_no[j] < pass_no[j - 1]:
                    cut.append(j)
            cut.append(e + 1)
            for a, b in zip(cut[:-1], cut[1:]):
                rows = np.arange(a, b)
                out.append(_Segment(
                    host=str(host), instance=inst, rows=rows, t=t[rows], dt=dt[rows],
                    pass_no=pass_no[rows], pages=np.nan_to_num(pages[rows]),
                    blackout=np.nan_to_num(black[rows]), wire=wire[rows], memory=memory[rows],
                    smb=float(np.nansum(smb[rows] * dt[rows])),
                    compressed=float(np.nansum(comp[rows] * dt[rows]))))
    return out


@dataclass
class _Transfer:
    """Sub-sample timing of a segment's transfer from its rate counters."""

    start_s: float
    end_s: float
    bw_wire: float            # median full-sample wire rate [bytes/s]
    bw_memory: float          # median full-sample memory rate [bytes/s]
    cum_t: np.ndarray         # cumulative memory bytes vs time (piecewise linear)
    cum_b: np.ndarray
    end_bw_wire: float        # wire rate near the end [bytes/s]
    full_samples: int


def _transfer(seg: _Segment, line_bytes_s: float | None = None) -> _Transfer | None:
    """Timing and rates of the segment's memory transfer. `line_bytes_s` (the NIC's payload
    capacity) stands in for the rate when no sample lies wholly inside the transfer."""
    nz = np.flatnonzero(seg.memory > 0)
    if nz.size == 0:
        return None
    a, b = int(nz[0]), int(nz[-1])
    full = np.arange(a + 1, b)
    if full.size:
        bw_w = float(np.median(seg.wire[full]))
        bw_m = float(np.median(seg.memory[full]))
        end_bw = float(seg.wire[b - 1])
        first_rate = float(seg.memory[a + 1])
        last_rate = float(seg.memory[b - 1])
    else:  # the whole transfer within one or two samples: the rate is not measurable
        bw_w = float(seg.wire[a:b + 1].max())
        bw_m = float(seg.memory[a:b + 1].max())
        if line_bytes_s and line_bytes_s > bw_w:
            ratio = float(seg.memory[a:b + 1].sum() / max(seg.wire[a:b + 1].sum(), 1.0))
            bw_w, bw_m = float(line_bytes_s), float(line_bytes_s) * max(ratio, 1.0)
        end_bw = bw_w
        first_rate = last_rate = bw_m
    # the first partial sample ran at the next sample's rate, starting late; the last one at the
    # previous sample's rate, stopping early
    start = seg.t[a] - seg.memory[a] * seg.dt[a] / max(first_rate, seg.memory[a])
    if b > a:
        end = seg.t[b - 1] + seg.memory[b] * seg.dt[b] / max(last_rate, seg.memory[b])
    else:
        end = start + seg.memory[a] * seg.dt[a] / max(bw_m, 1.0)
    if b > a:
        inner_t = seg.t[a:b]
        inner_b = np.cumsum(seg.memory[a:b] * seg.dt[a:b])
        total = inner_b[-1] + seg.memory[b] * seg.dt[b]
        cum_t = np.concatenate([[start], inner_t, [end]])
        cum_b = np.concatenate([[0.0], inner_b, [total]])
    else:
        cum_t = np.array([start, end])
        cum_b = np.array([0.0, seg.memory[a] * seg.dt[a]])
    order = np.maximum.accumulate(cum_t)  # monotone for interpolation
    return _Transfer(float(start), float(end), bw_w, bw_m, order, cum_b, end_bw, int(full.size))


def _pass_sizes(seg: _Segment) -> dict:
    """Pages shown for each pass number seen (the first sample of each pass showing any: a
    live pass always has pages to copy; 0 is the closing state)."""
    sizes: dict = {}
    for p, n in zip(seg.pass_no, seg.pages):
        if p >= 1 and n > 0 and int(p) not in sizes:
            sizes[int(p)] = float(n)
    return sizes


def _blackout_pass(seg: _Segment) -> tuple[int, bool]:
    """(highest pass number seen, whether it is the blackout copy: some sample at it shows
    ``Is blackout`` = 1 or no dirty pages, which no live pass does)."""
    top = int(np.nanmax(seg.pass_no)) if seg.pass_no.size else 0
    at_top = seg.pass_no == top
    is_black = bool(((seg.blackout[at_top] > 0) | (seg.pages[at_top] == 0)).any()) if top else False
    return top, is_black


@dataclass
class _Fit:
    """Everything fitted to one segment (see `estimate` for the meaning)."""

    tr: _Transfer
    top: int
    complete: bool
    passes: int
    sizes: dict
    memory: float
    durations: dict
    rate: float               # dirty rate [bytes/s], NaN when unknown
    method: str
    plateau: bool
    working_set: float | None
    pred: list                # pred[k]: dirty after pass k [bytes]; pred[0] memory
    stop: float               # [bytes]
    converged: bool
    blackout: tuple | None    # (start [s since log start], length [s])
    setup_s: float
    notes: list


def _fit(seg: _Segment, line_bytes_s: float | None = None) -> _Fit | None:
    tr = _transfer(seg, line_bytes_s)
    if tr is None:
        return None
    notes: list = []
    top, complete = _blackout_pass(seg)
    n = top - 1 if complete else top
    sizes = _pass_sizes(seg)
    total_memory = float(tr.cum_b[-1])
    # memory
    sent = total_memory - DEFAULT_STATE_MIB * MIB  # every pass's pages, blackout included
    later_seen = sorted(k for k in sizes if k >= 2 and (k <= n or complete))
    memory_known = 1 in sizes
    if memory_known:
        memory = sizes[1] * PAGE_BYTES
        notes.append("memory: pages shown during pass 1")
    elif len(later_seen) >= 2:
        j, k = later_seen[0], later_seen[-1]
        rho_seen = (sizes[k] / sizes[j]) ** (1.0 / (k - j))
        memory = sizes[j] * PAGE_BYTES / rho_seen ** (j - 1) if rho_seen > 0 else sent
        memory_known = True
        notes.append(f"memory: pass 1 not seen; extrapolated from the pages of passes {j} and "
                     f"{k} (geometric passes)")
    elif later_seen and complete:
        k = later_seen[0]
        memory = _solve_memory(sizes[k] * PAGE_BYTES, k, sent, n,
                               high=n in PASS_CAPS)
        memory_known = True
        notes.append(f"memory: pass 1 not seen; from the pages of pass {k} and the byte "
                     "balance (geometric passes)")
    else:
        memory = max(sent, PAGE_BYTES)
        notes.append("memory: pass 1 not seen; upper bound from all memory bytes sent")
    # pass boundaries where the cumulative memory bytes reach the running pass sizes
    bounds: dict = {0: tr.start_s}
    running = 0.0
    for k in range(1, n + 1):
        if k > 1 and k not in sizes:
            break
        running += sizes[k] * PAGE_BYTES if k > 1 else memory
        bounds[k] = float(np.interp(running, tr.cum_b, tr.cum_t))
    durations = {k: bounds[k] - bounds[k - 1] for k in range(1, n + 1) if k in bounds}
    # dirty rate: pages dirtied during pass k (shown in pass k+1) / duration of pass k
    pairs = [(sizes[k + 1] * PAGE_BYTES / d, k) for k, d in durations.items()
             if d > 0 and k + 1 in sizes and (k + 1 <= n or complete)]
    later = [sizes[k] for k in sorted(sizes) if 2 <= k <= n]
    plateau = len(later) >= 2 and (max(later) - min(later)) <= 0.01 * max(later)
    working_set = float(np.mean(later)) * PAGE_BYTES if plateau else None
    seen_after = [sizes[k] * PAGE_BYTES for k in sizes if k >= 2 and (k <= n or complete)]
    if memory_known and any(v >= 0.99 * memory for v in seen_after):
        plateau, working_set = True, None  # the whole memory was dirty again: saturated
    if pairs:
        rate, k = max(pairs)
        method = "pass_pages"
        notes.append(f"dirty rate: pages of pass {k + 1} / duration of pass {k}")
    elif n >= 1 and complete and memory_known:
        rho = _solve_ratio(memory, sent, n)
        rate = rho * tr.bw_memory
        method = "byte_balance"
        notes.append("dirty rate: byte balance (no pass after the first was seen whole); "
                     f"assumes {DEFAULT_STATE_MIB:g} MiB of device state")
    else:
        rate, method = float("nan"), "none"
        notes.append("dirty rate: cannot be told (the migration did not finish in the log, "
                     "or no pass was seen)")
    if plateau:
        notes.append("the passes plateau at the working set: the dirty rate is a lower bound")
    # predicted pass leftovers: seen where seen, else from the fitted ratio
    rho = rate / tr.bw_memory if tr.bw_memory > 0 and math.isfinite(rate) else 0.0
    pred = [memory]
    for k in range(1, n + 1):
        seen = sizes.get(k + 1)
        if seen is not None and (k < n or complete):
            pred.append(seen * PAGE_BYTES)
        else:
            nxt = rho * pred[-1]
            pred.append(min(nxt, working_set) if working_set else nxt)
    stop, converged = _stop_threshold(pred, n)
    blackout = _blackout_timing(seg, tr, top, complete, pred[n] if n < len(pred) else 0.0)
    interval = float(np.median(seg.dt))
    if seg.pass_no[0] == 0:  # the instance appeared during setup: half a sample's doubt
        setup = max(tr.start_s - (seg.t[0] + interval / 2), 0.0)
    else:
        setup = WS2012.setup_s
        notes.append(f"setup: not seen; the WS2012 default {setup:g} s")
    if tr.full_samples == 0:
        notes.append("no sample lies wholly inside the transfer: the rate is not measurable; "
                     + ("the NIC's Current Bandwidth x TCP/IP efficiency is assumed"
                        if line_bytes_s else "the highest sample (a lower bound) is used"))
    return _Fit(tr, top, complete, n, sizes, memory, durations, rate, method, plateau,
                working_set, pred, stop, converged, blackout, setup, notes)


PASS_CAPS = sorted({p.max_passes for p in (WS2012, WS2012R2)} | {WS2008R2.max_passes})


def _stop_threshold(pred: list, n: int) -> tuple[float, bool]:
    """A stop threshold [bytes] under which the model stops after exactly `n` passes, and
    whether the run converged.

    A run whose last leftover is within the presets' 64 MiB converged; one that ended above
    it after a preset's pass cap (5 or 10) hit the cap; otherwise it converged on a larger,
    custom threshold."""
    default = WS2012.stop_copy_mib * MIB
    converged = pred[n] <= default or n not in PASS_CAPS
    if converged:  # stop in [pred[n], min(pred[1..n-1]))
        upper = min(pred[1:n], default=math.inf)
        if pred[n] <= default < upper:
            return default, True
        if math.isfinite(upper):
            return math.sqrt(max(pred[n], 1.0) * upper), True
        return max(pred[n] * 2.0, default), True
    upper = min(pred[1:n + 1])  # stopped on the cap: below every pass's leftover
    return (default if default < upper else upper / 2), False


def _summarise(seg: _Segment, index: pd.DatetimeIndex, line_bytes_s=None) -> dict:
    fit = _fit(seg, line_bytes_s)
    top, complete = _blackout_pass(seg)
    nbytes = float(np.sum(seg.wire * seg.dt))
    row = {
        "host": seg.host,
        "vm": seg.instance[:-len(sim_names.LM_SUFFIX)]
        if seg.instance.endswith(sim_names.LM_SUFFIX) else seg.instance,
        "source": "counters",
        "start": index[seg.rows[0]],
        "end": index[seg.rows[-1]],
        "duration_s": float(seg.t[-1] - seg.t[0]),
        "passes": top - 1 if complete else top,
        "blackout_start": pd.NaT,
        "blackout_s": np.nan,
        "blackout_samples": int((seg.blackout > 0).sum()),
        "network_bytes": int(round(nbytes)),
        "peak_mib_s": float(seg.wire.max(initial=0.0) / MIB),
        "transport": ("smb" if seg.smb > 0.5 * nbytes and nbytes > 0 else
                      "compression" if seg.compressed > 0 else "tcpip"),
        "complete": complete,
        "destination": None,
        "instance": seg.instance,
        "storage_copy_bytes": 0,
    }
    if fit is not None and fit.blackout is not None:
        row["blackout_start"] = index[0] + pd.to_timedelta(fit.blackout[0], unit="s")
        row["blackout_s"] = fit.blackout[1]
    return row


def _blackout_timing(seg: _Segment, tr: _Transfer, top: int, complete: bool,
                     final_dirty: float):
    """(blackout start [s since the log's start], blackout length [s]) or None.

    The blackout began after the last sample showing a live pass and at or before the first
    sample showing the blackout copy. Inside that window it is placed at the end of the
    transfer minus the final copy's time: (dirty pages shown in the blackout, else the fitted
    leftover of the last pass, x 4 KiB + the default device state) / the wire rate near the
    end, divided by the compression ratio. Its length is that copy time plus the WS2012
    defaults for handle move and resume, which leave no trace in the counters; at least the
    span of samples showing ``Is blackout`` = 1.
    """
    if not complete:
        return None
    at_top = np.flatnonzero(seg.pass_no == top)
    first = int(at_top[0])
    hi = seg.t[first]
    lo = seg.t[first - 1] if first > 0 else hi - seg.dt[first]
    shown = seg.pages[at_top]
    dirty = float(shown[shown > 0][0]) * PAGE_BYTES if (shown > 0).any() else final_dirty
    ratio = tr.bw_memory / tr.bw_wire if tr.bw_wire > 0 else 1.0
    copy_wire = (dirty + DEFAULT_STATE_MIB * MIB) / max(ratio, 1.0)
    copy_s = copy_wire / max(tr.end_bw_wire, 1.0)
    start = float(np.clip(tr.end_s - copy_s, lo, hi))
    length = max(tr.end_s - start, 0.0) + WS2012.handle_move_s + WS2012.resume_s
    flagged = seg.t[seg.blackout > 0]
    if flagged.size:
        length = max(length, float(flagged[-1] - flagged[0]))
    return start, length


# ---- network bursts --------------------------------------------------------------------------
def _runs(busy: np.ndarray, t: np.ndarray, gap_s: float) -> list[tuple[int, int]]:
    """(first, last) positions of runs of busy samples, merging runs at most `gap_s` apart."""
    idx = np.flatnonzero(busy)
    if idx.size == 0:
        return []
    groups = [[idx[0], idx[0]]]
    for j in idx[1:]:
        if t[j] - t[groups[-1][1]] <= gap_s + 1e-9:
            groups[-1][1] = j
        else:
            groups.append([j, j])
    return [(int(a), int(b)) for a, b in groups]


def _burst_row(host, source, instance, index, t, a, b, nbytes, peak) -> dict:
    first = max(a - 1, 0)  # the burst began in the interval before its first busy sample
    return {
        "host": str(host), "vm": None, "source": source, "start": index[first],
        "end": index[b], "duration_s": float(t[b] - t[first]), "passes": pd.NA,
        "blackout_start": pd.NaT, "blackout_s": np.nan, "blackout_samples": 0,
        "network_bytes": int(round(nbytes)) if source == "network" else 0,
        "peak_mib_s": float(peak / MIB), "transport": None, "complete": True,
        "destination": None, "instance": instance, "storage_copy_bytes": 0,
    }


def _bursts(cols: _Columns, host, nic, t, dt, index, *, threshold_mib_s, busy_frac,
            merge_gap_s, min_mib) -> list[dict]:
    """Migrations seen only as network bursts on one NIC (see the module docstring)."""
    rate = cols.get(host, sim_names.NIC_OBJECT, nic, sim_names.NIC_SENT)
    valid = ~np.isnan(rate)
    if valid.sum() < 3:
        return []
    base = float(np.quantile(rate[valid], 0.1))
    line = cols.get(host, sim_names.NIC_OBJECT, nic, sim_names.NIC_BANDWIDTH)
    if line is not None and np.isfinite(line).any() and np.nanmax(line) > 0:
        scale = float(np.nanmax(line)) / 8  # line rate [bytes/s]
    else:
        scale = float(np.nanmax(rate)) - base
    busy = valid & (rate > base + max(threshold_mib_s * MIB, busy_frac * scale))
    out = []
    for a, b in _runs(busy, t, merge_gap_s):
        rows = np.arange(a, b + 1)
        excess = np.clip(np.nan_to_num(rate[rows]) - base, 0, None)
        nbytes = float(np.sum(excess * dt[rows]))
        if nbytes >= min_mib * MIB:
            out.append(_burst_row(host, "network", nic, index, t, a, b, nbytes, excess.max()))
    return out


def _disk_copies(cols: _Columns, t, dt, index, *, threshold_mib_s, busy_frac, merge_gap_s,
                 min_copy_mib) -> list[dict]:
    """Storage copies: one ``PhysicalDisk`` reading while another writes as much (a storage
    migration, or the storage phase of a shared-nothing move when both hosts are logged)."""
    disks = []
    for host, inst in cols.instances(sim_names.DISK_OBJECT, sim_names.DISK_READ):
        read = cols.get(host, sim_names.DISK_OBJECT, inst, sim_names.DISK_READ)
        write = cols.get(host, sim_names.DISK_OBJECT, inst, sim_names.DISK_WRITE)
        if write is None:
            continue
        ok_r, ok_w = ~np.isnan(read), ~np.isnan(write)
        if ok_r.sum() < 3 or ok_w.sum() < 3:
            continue
        disks.append((host, inst,
                      np.clip(np.nan_to_num(read) - np.quantile(read[ok_r], 0.1), 0, None),
                      np.clip(np.nan_to_num(write) - np.quantile(write[ok_w], 0.1), 0, None)))
    out = []
    for (h1, src, reads, _), (h2, dst, _, writes) in itertools.permutations(disks, 2):
        copy = np.minimum(reads, writes)
        peak = float(copy.max(initial=0.0))
        if peak <= threshold_mib_s * MIB:
            continue
        busy = copy > max(threshold_mib_s * MIB, busy_frac * peak)
        for a, b in _runs(busy, t, merge_gap_s):
            rows = np.arange(a, b + 1)
            nbytes = float(np.sum(copy[rows] * dt[rows]))
            if nbytes < min_copy_mib * MIB:
                continue
            row = _burst_row(h1, "disk", f"{src} -> {dst}", index, t, a, b, nbytes, peak)
            row["storage_copy_bytes"] = int(round(nbytes))
            if _key(h1) != _key(h2):
                row["destination"] = str(h2)
            out.append(row)
    return out


def find_migrations(df: pd.DataFrame, *, threshold_mib_s: float = 1.0, busy_frac: float = 0.25,
                    merge_gap_s: float | None = None, min_mib: float = 64.0,
                    min_copy_mib: float = 1024.0) -> pd.DataFrame:
    """The migrations a performance log shows, one row each, in order of start.

    Parameters
    ----------
    df : pandas.DataFrame
        A log as `hvlab.read_perflog` returns it (DatetimeIndex; columns host, object,
        instance, counter). Several hosts may be in one frame.
    threshold_mib_s : float
        Burst rules only: the least rise over the baseline that counts as busy [MiB/s].
    busy_frac : float
        Burst rules only: a NIC is busy above this fraction of its ``Current Bandwidth``
        (of its peak when that is not logged); a disk copy above this fraction of its peak.
    merge_gap_s : float, optional
        Burst rules only: busy samples at most this far apart are one burst [s]; default two
        sample intervals.
    min_mib : float
        Network bursts that moved less are not migrations [MiB].
    min_copy_mib : float
        Disk copies that moved less are not storage migrations [MiB].

    Returns
    -------
    pandas.DataFrame
        host, vm, source ("counters", "network" or "disk"), start, end (first and last sample
        at which the migration is seen; for bursts the sample before the first busy one),
        duration_s, passes (live pre-copy passes, the blackout copy not counted), blackout_start
        (estimated, see `_blackout_timing`), blackout_s, blackout_samples (samples showing
        ``Is blackout`` = 1), network_bytes (transport wire bytes; NIC bytes with framing above
        the baseline for "network" rows), peak_mib_s (highest sample; for "disk" rows the
        copy rate), transport ("tcpip", "compression", "smb"), complete (the blackout copy was
        seen), destination (a host whose log shows the same VM receiving at the same time, or
        holding the target disk), instance (the LM instance, NIC, or "source -> target"
        disks), storage_copy_bytes ("disk" rows: the smaller of the bytes read from one disk
        and written to the other above their baselines: the copy, with mirrored writes).
    """
    cols = _Columns(df)
    index = df.index
    if len(index) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    t = _seconds(index)
    dt = _intervals(t)
    rows = [_summarise(seg, index, _line_payload(cols, seg.host))
            for seg in _lm_segments(cols, t, dt)]
    lm_hosts = {_key(h) for h, _ in cols.instances(sim_names.LM_OBJECT, sim_names.PASS_NUMBER)}
    gap = 2 * float(np.median(dt)) if merge_gap_s is None else merge_gap_s
    for host, nic in cols.instances(sim_names.NIC_OBJECT, sim_names.NIC_SENT):
        if _key(host) in lm_hosts:
            continue
        rows += _bursts(cols, host, nic, t, dt, index, threshold_mib_s=threshold_mib_s,
                        busy_frac=busy_frac, merge_gap_s=gap, min_mib=min_mib)
    rows += _disk_copies(cols, t, dt, index, threshold_mib_s=threshold_mib_s,
                         busy_frac=busy_frac, merge_gap_s=gap, min_copy_mib=min_copy_mib)
    _match_destinations(cols, rows, index)
    out = pd.DataFrame(rows, columns=COLUMNS)
    if len(out):
        out = out.sort_values(["start", "host"], kind="stable").reset_index(drop=True)
        out["passes"] = out["passes"].astype("Int64")
        out["blackout_samples"] = out["blackout_samples"].astype("int64")
        out["network_bytes"] = out["network_bytes"].astype("int64")
        out["storage_copy_bytes"] = out["storage_copy_bytes"].astype("int64")
        out["complete"] = out["complete"].astype(bool)
    return out


def _match_destinations(cols: _Columns, rows: list[dict], index) -> None:
    receivers = cols.instances(sim_names.LM_OBJECT, sim_names.TCP_RECEIVED)
    for row in rows:
        if row["source"] != "counters":
            continue
        for host, inst in receivers:
            if _key(host) == _key(row["host"]) or inst != row["instance"]:
                continue
            v = cols.get(host, sim_names.LM_OBJECT, inst, sim_names.TCP_RECEIVED)
            span = (index >= row["start"]) & (index <= row["end"])
            if np.nansum(v[span]) > 0:
                row["destination"] = str(host)
                break


# ---- fitting ---------------------------------------------------------------------------------
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
        if self.transport == "compression" and self.compression_ratio > 1:
            kw["compression_ratio"] = self.compression_ratio
            need = self.bandwidth_mib_s * 1.01 / base.compressor_mib_s_per_core
            kw["spare_cores"] = max(base.spare_cores, need)
        kw.update(changes)
        return dataclasses.replace(base, **kw)

    def replay(self, *, seed: int = 0, **settings_changes):
        """Run `hvlab.live_migration` with the fitted inputs; returns its MigrationResult."""
        from hvlab.models import live_migration

        return live_migration(self.vm(), self.link(), self.settings(**settings_changes),
                              seed=seed)

    def what_if(self, *, gbps: float | None = None, nics: int | None = None,
                transport: str | None = None, seed: int = 0, vm=None, **settings_changes):
        """Replay with another line rate, NIC count or transport (e.g. ``gbps=10`` or
        ``transport="compression"``); `vm` is a dict of VM changes. Returns a MigrationResult.

        With another line rate the link keeps the measured efficiency; another transport
        uses the base settings' compression ratio unless ``compression_ratio=`` is given.
        """
        from hvlab.models import live_migration

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


def _solve_ratio(memory: float, total: float, n: int) -> float:
    """rho >= 0 with memory * (1 + rho + ... + rho**n) = total (bisection)."""
    if total <= memory or n <= 0:
        return 0.0
    f = lambda r: memory * sum(r**i for i in range(n + 1)) - total  # noqa: E731
    lo, hi = 0.0, 1.0
    while f(hi) < 0 and hi < 1e6:
        hi *= 2
    for _ in range(100):
        mid = (lo + hi) / 2
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _busiest_nic_gbps(cols: _Columns, host: str) -> float | None:
    """``Current Bandwidth`` of the host's NIC that sent the most [Gbit/s], if logged."""
    best, best_bytes = None, -1.0
    for h, nic in cols.instances(sim_names.NIC_OBJECT, sim_names.NIC_BANDWIDTH):
        if _key(h) != _key(host):
            continue
        sent = cols.get(h, sim_names.NIC_OBJECT, nic, sim_names.NIC_SENT)
        total = float(np.nansum(sent)) if sent is not None else 0.0
        if total > best_bytes:
            bw = cols.get(h, sim_names.NIC_OBJECT, nic, sim_names.NIC_BANDWIDTH)
            if bw is not None and np.isfinite(bw).any() and np.nanmax(bw) > 0:
                best, best_bytes = float(np.nanmax(bw)) / 1e9, total
    return best


def _line_payload(cols: _Columns, host: str) -> float | None:
    """TCP/IP payload capacity of the host's busiest NIC [bytes/s], if its bandwidth is logged."""
    gbps = _busiest_nic_gbps(cols, host)
    return None if gbps is None else gbps * 1e9 / 8 * TCP_EFFICIENCY


def _solve_memory(pages_k: float, k: int, sent: float, n: int, high: bool) -> float:
    """Memory M [bytes] whose geometric passes M, M rho, ..., M rho**n sum to `sent`, given
    that pass `k` copied `pages_k` bytes (so M = pages_k / rho**(k-1)).

    As a function of rho the sum can cross `sent` twice; `high` picks the root nearer 1 (a run
    that hit the pass cap), else the smaller rho (a run that converged). Where it only comes
    within 5% of `sent` (device state and rounding) its closest point is taken."""
    def excess(rho):
        return pages_k * sum(rho ** (i - k + 1) for i in range(n + 1)) - sent
    grid = np.linspace(1e-3, 1.0, 2000)
    values = np.array([excess(r) for r in grid])
    cross = np.flatnonzero(np.sign(values[:-1]) != np.sign(values[1:]))
    if cross.size == 0:  # the curve only touches `sent` (rounding): its closest point
        best = int(np.argmin(np.abs(values)))
        if abs(values[best]) <= 0.05 * sent:
            return pages_k / grid[best] ** (k - 1)
        return max(sent - pages_k, pages_k)
    i = int(cross[-1] if high else cross[0])
    lo, hi = grid[i], grid[i + 1]
    for _ in range(60):
        mid = (lo + hi) / 2
        if np.sign(excess(mid)) == np.sign(excess(lo)):
            lo = mid
        else:
            hi = mid
    rho = (lo + hi) / 2
    return pages_k / rho ** (k - 1)


def _nominal_gbps(cols: _Columns, host: str, wire_bytes_s: float) -> float:
    best = _busiest_nic_gbps(cols, host)
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
        raise ValueError("estimate needs the Hyper-V VM Live Migration counters; this migration "
                         f"was found from network bursts on {row.get('host')}:"
                         f"{row.get('instance')} only (collect \\Hyper-V VM Live Migration(*)\\*)")
    cols = _Columns(df)
    t = _seconds(df.index)
    dt = _intervals(t)
    segs = [s for s in _lm_segments(cols, t, dt)
            if s.host == str(row["host"]) and s.instance == row["instance"]
            and df.index[s.rows[0]] == row["start"]]
    if not segs:
        raise ValueError(f"migration {row.get('vm')!r} starting {row.get('start')} on host "
                         f"{row.get('host')!r} is not in this log; pass a row of "
                         "find_migrations(df) for the same df")
    seg = segs[0]
    fit = _fit(seg, _line_payload(cols, seg.host))
    if fit is None:
        raise ValueError(f"the migration of {row['vm']!r} moved no memory in the log "
                         "(all transfer counters are 0 or blank)")
    tr = fit.tr
    notes = list(fit.notes)
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
