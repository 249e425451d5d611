"""Find migrations in a performance log: `find_migrations(df)` lists the migrations a log
shows, one row each (`hvlab.perflog.estimation` fits the model's inputs to one of them).

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
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from hvlab.params import MIB
from hvlab.perflog._lookup import Columns, elapsed_s, line_payload, name_key, sample_intervals
from hvlab.perflog._passes import Segment, blackout_pass, fit_segment, lm_segments
from hvlab.perflog.vocabulary import (DISK_OBJECT, DISK_READ, DISK_WRITE, LM_OBJECT,
                                      NIC_BANDWIDTH, NIC_OBJECT, NIC_SENT, PASS_NUMBER,
                                      TCP_RECEIVED, vm_of_instance)

__all__ = ["find_migrations", "COLUMNS"]

COLUMNS = ["host", "vm", "source", "start", "end", "duration_s", "passes", "blackout_start",
           "blackout_s", "blackout_samples", "network_bytes", "peak_mib_s", "transport",
           "complete", "destination", "instance", "storage_copy_bytes"]


# ---- one row per Live Migration instance --------------------------------------------------------
def _summarise(seg: Segment, index: pd.DatetimeIndex, line_bytes_s=None) -> dict:
    """The row of one Live Migration segment; its blackout placed by the fit."""
    fit = fit_segment(seg, line_bytes_s)
    top, complete = blackout_pass(seg)
    nbytes = float(np.sum(seg.wire * seg.dt))
    row = {
        "host": seg.host,
        "vm": vm_of_instance(seg.instance),
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


def _bursts(cols: Columns, host, nic, t, dt, index, *, threshold_mib_s, busy_frac,
            merge_gap_s, min_mib) -> list[dict]:
    """Migrations seen only as network bursts on one NIC (see the module docstring)."""
    rate = cols.get(host, NIC_OBJECT, nic, NIC_SENT)
    valid = ~np.isnan(rate)
    if valid.sum() < 3:
        return []
    base = float(np.quantile(rate[valid], 0.1))
    line = cols.get(host, NIC_OBJECT, nic, NIC_BANDWIDTH)
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


def _disk_copies(cols: Columns, t, dt, index, *, threshold_mib_s, busy_frac, merge_gap_s,
                 min_copy_mib) -> list[dict]:
    """Storage copies: one ``PhysicalDisk`` reading while another writes as much (a storage
    migration, or the storage phase of a shared-nothing move when both hosts are logged)."""
    disks = []
    for host, inst in cols.instances(DISK_OBJECT, DISK_READ):
        read = cols.get(host, DISK_OBJECT, inst, DISK_READ)
        write = cols.get(host, DISK_OBJECT, inst, DISK_WRITE)
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
            if name_key(h1) != name_key(h2):
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
        (estimated from the end of the transfer, within one sample: see "blackout" in
        `hvlab.perflog.estimation`), blackout_s [s], blackout_samples (samples showing
        ``Is blackout`` = 1), network_bytes (transport wire bytes; NIC bytes with framing above
        the baseline for "network" rows), peak_mib_s (highest sample; for "disk" rows the
        copy rate), transport ("tcpip", "compression", "smb"), complete (the blackout copy was
        seen), destination (a host whose log shows the same VM receiving at the same time, or
        holding the target disk), instance (the LM instance, NIC, or "source -> target"
        disks), storage_copy_bytes ("disk" rows: the smaller of the bytes read from one disk
        and written to the other above their baselines: the copy, with mirrored writes).
    """
    cols = Columns(df)
    index = df.index
    if len(index) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    t = elapsed_s(index)
    dt = sample_intervals(t)
    rows = [_summarise(seg, index, line_payload(cols, seg.host))
            for seg in lm_segments(cols, t, dt)]
    lm_hosts = {name_key(h) for h, _ in cols.instances(LM_OBJECT, PASS_NUMBER)}
    gap = 2 * float(np.median(dt)) if merge_gap_s is None else merge_gap_s
    for host, nic in cols.instances(NIC_OBJECT, NIC_SENT):
        if name_key(host) in lm_hosts:
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


def _match_destinations(cols: Columns, rows: list[dict], index) -> None:
    """Set the destination of each "counters" row: a host receiving the same instance then."""
    receivers = cols.instances(LM_OBJECT, TCP_RECEIVED)
    for row in rows:
        if row["source"] != "counters":
            continue
        for host, inst in receivers:
            if name_key(host) == name_key(row["host"]) or inst != row["instance"]:
                continue
            v = cols.get(host, LM_OBJECT, inst, TCP_RECEIVED)
            span = (index >= row["start"]) & (index <= row["end"])
            if np.nansum(v[span]) > 0:
                row["destination"] = str(host)
                break
