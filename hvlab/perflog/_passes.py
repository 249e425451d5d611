"""The pre-copy passes of one live migration, read from its ``Hyper-V VM Live Migration``
counters: the stretches of a log one migration spans (`lm_segments`) and the fit of its
transfer, passes, dirty rate and blackout to them (`fit_segment`). The estimators are
described in `hvlab.perflog.estimation`; the detector uses the fit for the blackout.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hvlab.params import MIB, PAGE_BYTES, VM, WS2008R2, WS2012, WS2012R2
from hvlab.perflog._lookup import Columns
from hvlab.perflog.vocabulary import (COMPRESSED_SENT, DIRTY_PAGES, IS_BLACKOUT, LM_OBJECT,
                                      PASS_NUMBER, SMB_SENT, TCP_SENT, WALKER_READ)

DEFAULT_STATE_MIB = VM().state_mib  # device state assumed in the blackout [MiB]
#: The presets' pass caps: a run that stopped above the stop threshold after one hit it.
PASS_CAPS = sorted({p.max_passes for p in (WS2012, WS2012R2)} | {WS2008R2.max_passes})


@dataclass
class Segment:
    """One migration's ``Hyper-V VM Live Migration`` counters: a stretch of samples in which
    its instance exists."""

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


def lm_segments(cols: Columns, t: np.ndarray, dt: np.ndarray) -> list[Segment]:
    """Every segment in the frame: one per stretch of samples in which an instance exists, a
    new one where its pass number falls. `t` are the sample times and `dt` their intervals
    [s]."""
    out = []
    obj = LM_OBJECT
    for host, inst in cols.instances(obj, PASS_NUMBER):
        pass_no = cols.get(host, obj, inst, PASS_NUMBER)
        zeros = np.zeros_like(pass_no)

        def series(counter):
            v = cols.get(host, obj, inst, counter)
            return zeros.copy() if v is None else v

        pages, black = series(DIRTY_PAGES), series(IS_BLACKOUT)
        tcp, smb = series(TCP_SENT), series(SMB_SENT)
        comp = series(COMPRESSED_SENT)
        walker = cols.get(host, obj, inst, WALKER_READ)
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
                out.append(Segment(
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


def _transfer(seg: Segment, line_bytes_s: float | None = None) -> _Transfer | None:
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


def _pass_sizes(seg: Segment) -> dict:
    """Pages shown for each pass number seen (the first sample of each pass showing any: a
    live pass always has pages to copy; 0 is the closing state)."""
    sizes: dict = {}
    for p, n in zip(seg.pass_no, seg.pages):
        if p >= 1 and n > 0 and int(p) not in sizes:
            sizes[int(p)] = float(n)
    return sizes


def blackout_pass(seg: Segment) -> tuple[int, bool]:
    """(highest pass number seen, whether it is the blackout copy: some sample at it shows
    ``Is blackout`` = 1 or no dirty pages, which no live pass does)."""
    top = int(np.nanmax(seg.pass_no)) if seg.pass_no.size else 0
    at_top = seg.pass_no == top
    is_black = bool(((seg.blackout[at_top] > 0) | (seg.pages[at_top] == 0)).any()) if top else False
    return top, is_black


@dataclass
class Fit:
    """Everything fitted to one segment (the meaning: `hvlab.perflog.Estimate`)."""

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


def fit_segment(seg: Segment, line_bytes_s: float | None = None) -> Fit | None:
    """Fit transfer, passes, memory, dirty rate, stop threshold and blackout to one segment
    (None when it moved no memory). `line_bytes_s`, the NIC's payload capacity [bytes/s],
    stands in for the rate when no sample lies wholly inside the transfer."""
    tr = _transfer(seg, line_bytes_s)
    if tr is None:
        return None
    notes: list = []
    top, complete = blackout_pass(seg)
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
        if rho >= 0.99:
            # every pass resent (nearly) all of memory: a pass cannot send more than memory,
            # so the guest may dirty faster than this and the ratio is only a lower bound
            plateau, working_set = True, None
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
    return Fit(tr, top, complete, n, sizes, memory, durations, rate, method, plateau,
                working_set, pred, stop, converged, blackout, setup, notes)


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


def _blackout_timing(seg: Segment, tr: _Transfer, top: int, complete: bool,
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
