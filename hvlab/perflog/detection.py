"""Find migrations in a performance log: `find_migrations(df)` lists the migrations a log
shows, one row each (`hvlab.perflog.estimation` fits the model's inputs to one of them).

Detection rules
---------------
From the ``Hyper-V VM Live Migration`` counters (used for every host that has
``Transfer Pass: Number``): one migration per stretch of samples in which an instance
``<VM>:VM Live Migration`` exists (a new stretch also starts where the pass number falls).

The destination of such a migration is a host whose log shows the same instance receiving at
the same time: ``TCP Transport: Bytes Received/sec``, ``Receiver: Uncompressed Bytes
Received/sec``, ``Receiver: Compressed Bytes Received/sec``, ``Receiver: Bytes Written/sec`` or
``Receiver: Bytes Pending Write`` above zero (the TCP counter alone misses the SMB transport).
An instance that only receives (a log of the destination alone) is a row of its own, source
"receiver", with the receiving host as `destination` and no source host. The send backlog
(``TCP Transport: Bytes Pending Send``, ``SMB Transport: Pending Send Bytes``) says whether the
network limited the transfer: data queued for the transport in most of the transfer's samples
means the link, not the memory walker, set the pace (`network_bound`).

From save and restore operations (Quick Migration): ``Hyper-V VM Save, Snapshot, and Restore``
-> ``Operation Time`` of a VM's instance rising on one host, the instance then gone from it (the
VM left), and an operation of the same VM on another host that begins after the first ended
(the restore). Only such pairs count: a save alone is also what "Save" and a shutdown look like,
a restore alone what starting a saved VM looks like.

From network bursts (hosts without those counters): on each ``Network Interface`` instance,
``Bytes Sent/sec`` above ``baseline + max(threshold_mib_s, busy_frac x line rate)`` is busy,
where the baseline is the series' 10th percentile and the line rate its ``Current Bandwidth``
(the series' peak above the baseline when that is not logged); busy samples closer than
`merge_gap_s` form one burst, and bursts that moved less than `min_mib` above the baseline are
dropped. Such rows have no VM name, passes or blackout (NaN/NA), and their bytes are NIC bytes,
framing included. Concurrent migrations on one NIC are one burst. RDMA traffic (SMB Direct)
bypasses the ``Network Interface`` counters, so ``RDMA Activity`` -> ``RDMA Outbound
Bytes/sec`` is searched the same way (source "rdma"; where only ``SMB Direct Connection`` is
logged, the sum of its connections' bytes sent and moved by RDMA).

A burst is not a migration when the same host's log accounts for it: half or more of its bytes
(NIC bytes less framing) matched, sample by sample, by other traffic rising at the same time
above its own 10th percentile: files written to shares (``SMB Client Shares`` -> ``Write
Bytes/sec``), files read from this host's shares (``SMB Server Shares`` -> ``Read Bytes/sec``),
CSV redirected I/O (``Cluster CSV File System`` -> ``Redirected Read Bytes/sec`` and
``Redirected Write Bytes/sec``) or data read off the host's own disks (``PhysicalDisk`` ->
``Disk Read Bytes/sec``: a backup, a file copy; also the storage phase of a shared-nothing move,
which the disk-copy rule finds when the destination is logged too). Such bursts are listed in
the result's ``attrs["not_migrations"]`` with what explained them.

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
from hvlab.perflog.vocabulary import (CSV_OBJECT, CSV_REDIRECTED_READ, CSV_REDIRECTED_WRITE,
                                      DISK_OBJECT, DISK_READ, DISK_WRITE, LM_OBJECT,
                                      NIC_BANDWIDTH, NIC_OBJECT, NIC_SENT, PASS_NUMBER,
                                      RDMA_OBJECT, RDMA_OUTBOUND, RECEIVER_COMPRESSED,
                                      RECEIVER_PENDING_WRITE, RECEIVER_UNCOMPRESSED,
                                      RECEIVER_WRITTEN, SMB_DIRECT_OBJECT, SMB_OBJECT,
                                      SMB_PENDING, SMB_READ, SMB_SERVER_OBJECT, SMB_WRITE,
                                      SMBD_RDMA_READ, SMBD_RDMA_WRITTEN, SMBD_SENT, SSR_OBJECT,
                                      SSR_OPERATION_TIME, TCP_PENDING, TCP_RECEIVED,
                                      vm_of_instance, vm_of_ssr_instance)

__all__ = ["find_migrations", "COLUMNS"]

COLUMNS = ["host", "vm", "source", "start", "end", "duration_s", "passes", "blackout_start",
           "blackout_s", "blackout_samples", "network_bytes", "peak_mib_s", "transport",
           "complete", "destination", "instance", "storage_copy_bytes", "send_backlog_bytes",
           "network_bound"]

#: Counters that show a host receiving a live migration (destination side).
RECEIVE_COUNTERS = (TCP_RECEIVED, RECEIVER_UNCOMPRESSED, RECEIVER_COMPRESSED, RECEIVER_WRITTEN,
                    RECEIVER_PENDING_WRITE)
#: Other traffic that explains a network burst: (object, counter), per host.
EXPLAINERS = ((SMB_OBJECT, SMB_WRITE), (SMB_SERVER_OBJECT, SMB_READ),
              (CSV_OBJECT, CSV_REDIRECTED_READ), (CSV_OBJECT, CSV_REDIRECTED_WRITE),
              (DISK_OBJECT, DISK_READ))
NIC_FRAMING = 1514 / 1460  # NIC bytes per payload byte (Ethernet + IPv4 + TCP headers)
EXPLAINED_FRAC = 0.5


# ---- one row per Live Migration instance --------------------------------------------------------
def _backlog(cols: Columns, host, inst) -> np.ndarray | None:
    """Bytes queued for the transports (TCP and SMB) of one instance, None if not logged."""
    series = [cols.get(host, LM_OBJECT, inst, c) for c in (TCP_PENDING, SMB_PENDING)]
    series = [s for s in series if s is not None]
    if not series:
        return None
    return np.sum([np.nan_to_num(s) for s in series], axis=0)


def _summarise(seg: Segment, index: pd.DatetimeIndex, line_bytes_s=None,
               backlog: np.ndarray | None = None) -> dict:
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
        "send_backlog_bytes": np.nan,
        "network_bound": pd.NA,
    }
    if backlog is not None:
        pending = np.nan_to_num(backlog[seg.rows])
        moving = seg.wire > 0
        row["send_backlog_bytes"] = float(pending.max(initial=0.0))
        if moving.any():
            row["network_bound"] = bool(np.mean(pending[moving] > 0) >= 0.5)
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
        "network_bytes": int(round(nbytes)) if source in ("network", "rdma") else 0,
        "peak_mib_s": float(peak / MIB), "transport": None, "complete": True,
        "destination": None, "instance": instance, "storage_copy_bytes": 0,
        "send_backlog_bytes": np.nan, "network_bound": pd.NA,
    }


def _excess(series: np.ndarray) -> np.ndarray:
    """A rate above its own 10th percentile (0 where missing)."""
    valid = ~np.isnan(series)
    if valid.sum() < 3:
        return np.zeros(series.size)
    return np.clip(np.nan_to_num(series) - float(np.quantile(series[valid], 0.1)), 0, None)


def _explainers(cols: Columns, n: int) -> dict:
    """{host key: {what: excess rate}}: the other traffic each host's log shows (EXPLAINERS),
    summed over instances (PhysicalDisk's _Total only where it is the only instance)."""
    out: dict = {}
    for obj, counter in EXPLAINERS:
        found = cols.instances(obj, counter)
        per_host: dict = {}
        for host, inst in found:
            per_host.setdefault(name_key(host), []).append((host, inst))
        for key, pairs in per_host.items():
            insts = [p for p in pairs if p[1].strip().lower() != "_total"] or pairs
            total = np.zeros(n)
            for host, inst in insts:
                total += np.nan_to_num(cols.get(host, obj, inst, counter))
            out.setdefault(key, {})[f"{obj} / {counter}"] = _excess(total)
    return out


def _explained(excess_payload: np.ndarray, dt: np.ndarray, others: dict) -> tuple[float, str]:
    """(share of the burst's bytes other traffic matches, its names)."""
    if not others:
        return 0.0, ""
    total = np.sum(list(others.values()), axis=0)
    moved = float(np.sum(excess_payload * dt))
    if moved <= 0:
        return 0.0, ""
    matched = float(np.sum(np.minimum(excess_payload, total) * dt))
    names = [k for k, v in others.items() if np.any(np.minimum(excess_payload, v) > 0)]
    return matched / moved, ", ".join(names)


def _bursts(rate, line_bytes_s, host, instance, source, t, dt, index, *, threshold_mib_s,
            busy_frac, merge_gap_s, min_mib, framing, others, skipped) -> list[dict]:
    """Migrations seen only as traffic bursts in one series (a NIC's sends, an RDMA adapter's
    outbound bytes); bursts other traffic accounts for go to `skipped` instead."""
    valid = ~np.isnan(rate)
    if valid.sum() < 3:
        return []
    base = float(np.quantile(rate[valid], 0.1))
    scale = line_bytes_s if line_bytes_s else float(np.nanmax(rate)) - base
    busy = valid & (rate > base + max(threshold_mib_s * MIB, busy_frac * scale))
    out = []
    for a, b in _runs(busy, t, merge_gap_s):
        first = max(a - 1, 0)
        rows = np.arange(a, b + 1)
        excess = np.clip(np.nan_to_num(rate[rows]) - base, 0, None)
        nbytes = float(np.sum(excess * dt[rows]))
        if nbytes < min_mib * MIB:
            continue
        share, what = _explained(excess / framing, dt[rows],
                                 {k: v[rows] for k, v in others.items()})
        row = _burst_row(host, source, instance, index, t, a, b, nbytes, excess.max())
        if share >= EXPLAINED_FRAC:
            skipped.append({"host": str(host), "source": source, "instance": instance,
                            "start": index[first], "end": index[b],
                            "network_bytes": int(round(nbytes)),
                            "explained_frac": round(share, 3), "explained_by": what})
            continue
        out.append(row)
    return out


def _nic_line(cols: Columns, host, nic) -> float | None:
    """A NIC's line rate from its ``Current Bandwidth`` [bytes/s], None if not logged."""
    line = cols.get(host, NIC_OBJECT, nic, NIC_BANDWIDTH)
    if line is not None and np.isfinite(line).any() and np.nanmax(line) > 0:
        return float(np.nanmax(line)) / 8
    return None


def _rdma_series(cols: Columns) -> list[tuple]:
    """(host, instance, outbound bytes/s) per RDMA adapter; from ``SMB Direct Connection``
    (bytes sent plus moved by RDMA, all connections of a host) where a host logs no
    ``RDMA Activity``."""
    out = [(h, i, cols.get(h, RDMA_OBJECT, i, RDMA_OUTBOUND))
           for h, i in cols.instances(RDMA_OBJECT, RDMA_OUTBOUND)]
    have = {name_key(h) for h, _, _ in out}
    smbd: dict = {}
    for counter in (SMBD_SENT, SMBD_RDMA_WRITTEN, SMBD_RDMA_READ):
        for h, i in cols.instances(SMB_DIRECT_OBJECT, counter):
            if name_key(h) in have:
                continue
            v = cols.get(h, SMB_DIRECT_OBJECT, i, counter)
            prev = smbd.get(name_key(h), (h, None))[1]
            smbd[name_key(h)] = (h, v if prev is None else np.nansum([prev, v], axis=0))
    out += [(h, "SMB Direct Connection (all)", v) for h, v in smbd.values()]
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
        host, vm, source ("counters", "receiver", "save-restore", "network", "rdma" or
        "disk"), start, end (first and last sample at which the migration is seen; for bursts
        and operations the sample before the first busy one),
        duration_s, passes (live pre-copy passes, the blackout copy not counted), blackout_start
        (estimated from the end of the transfer, within one sample: see "blackout" in
        `hvlab.perflog.estimation`), blackout_s [s], blackout_samples (samples showing
        ``Is blackout`` = 1), network_bytes (transport wire bytes; NIC bytes with framing above
        the baseline for "network" rows), peak_mib_s (highest sample; for "disk" rows the
        copy rate), transport ("tcpip", "compression", "smb"), complete (the blackout copy was
        seen), destination (a host whose log shows the same VM receiving at the same time, or
        holding the target disk), instance (the LM instance, NIC, or "source -> target"
        disks), storage_copy_bytes ("disk" rows: the smaller of the bytes read from one disk
        and written to the other above their baselines: the copy, with mirrored writes),
        send_backlog_bytes (the most data queued for the TCP/SMB transport, NaN when not
        logged), network_bound (the queue held data in most transfer samples: the network
        set the pace; NA when not logged). "receiver" rows come from a destination's log
        alone: host "" (the source is not in the log), destination the receiving host,
        network_bytes the bytes received. "save-restore" rows (Quick Migration): blackout_s
        is the whole operation, from the save's start to the restore's end.

        ``attrs["not_migrations"]`` lists the bursts other traffic in the log explained
        (backups, file copies, CSV redirected I/O; see the module docstring).
    """
    cols = Columns(df)
    index = df.index
    if len(index) == 0:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
        out.attrs["not_migrations"] = []
        return out
    t = elapsed_s(index)
    dt = sample_intervals(t)
    rows = [_summarise(seg, index, line_payload(cols, seg.host),
                       _backlog(cols, seg.host, seg.instance))
            for seg in lm_segments(cols, t, dt)]
    lm_hosts = {name_key(h) for h, _ in cols.instances(LM_OBJECT, PASS_NUMBER)}
    gap = 2 * float(np.median(dt)) if merge_gap_s is None else merge_gap_s
    others = _explainers(cols, len(index))
    skipped: list = []
    burst_kw = dict(threshold_mib_s=threshold_mib_s, busy_frac=busy_frac, merge_gap_s=gap,
                    min_mib=min_mib, skipped=skipped)
    for host, nic in cols.instances(NIC_OBJECT, NIC_SENT):
        if name_key(host) in lm_hosts:
            continue
        rows += _bursts(cols.get(host, NIC_OBJECT, nic, NIC_SENT), _nic_line(cols, host, nic),
                        host, nic, "network", t, dt, index, framing=NIC_FRAMING,
                        others=others.get(name_key(host), {}), **burst_kw)
    for host, inst, rate in _rdma_series(cols):
        if name_key(host) in lm_hosts:
            continue
        rows += _bursts(rate, None, host, inst, "rdma", t, dt, index, framing=1.0,
                        others=others.get(name_key(host), {}), **burst_kw)
    rows += _disk_copies(cols, t, dt, index, threshold_mib_s=threshold_mib_s,
                         busy_frac=busy_frac, merge_gap_s=gap, min_copy_mib=min_copy_mib)
    rows += _quick_migrations(cols, t, index)
    _match_destinations(cols, rows, index)
    rows += _receivers(cols, rows, t, dt, index)
    out = pd.DataFrame(rows, columns=COLUMNS)
    out.attrs["not_migrations"] = skipped
    if len(out):
        out = out.sort_values(["start", "host"], kind="stable").reset_index(drop=True)
        out["passes"] = out["passes"].astype("Int64")
        out["blackout_samples"] = out["blackout_samples"].astype("int64")
        out["network_bytes"] = out["network_bytes"].astype("int64")
        out["storage_copy_bytes"] = out["storage_copy_bytes"].astype("int64")
        out["complete"] = out["complete"].astype(bool)
        out["send_backlog_bytes"] = out["send_backlog_bytes"].astype("float64")
        out["network_bound"] = out["network_bound"].astype("boolean")
    return out


def _activity(cols: Columns, host, inst) -> np.ndarray:
    """Samples at which any receive-side counter of the instance is above zero."""
    active = None
    for counter in RECEIVE_COUNTERS:
        v = cols.get(host, LM_OBJECT, inst, counter)
        if v is None:
            continue
        now = np.nan_to_num(v) > 0
        active = now if active is None else active | now
    return active if active is not None else np.zeros(len(cols.df.index), bool)


def _match_destinations(cols: Columns, rows: list[dict], index) -> None:
    """Set the destination of each "counters" row: a host receiving the same instance then
    (any receive-side counter above zero while the sender's instance exists)."""
    receivers = sorted({(h, i) for c in RECEIVE_COUNTERS for h, i in
                        cols.instances(LM_OBJECT, c)}, key=lambda k: (str(k[0]), k[1]))
    for row in rows:
        if row["source"] != "counters":
            continue
        span = (index >= row["start"]) & (index <= row["end"])
        for host, inst in receivers:
            if name_key(host) == name_key(row["host"]) or inst != row["instance"]:
                continue
            if _activity(cols, host, inst)[span].any():
                row["destination"] = str(host)
                break


def _receivers(cols: Columns, rows: list[dict], t, dt, index) -> list[dict]:
    """Rows for instances a host receives that no sender row in the log accounts for."""
    out = []
    claimed = [(name_key(r["destination"]), r["instance"], r["start"], r["end"])
               for r in rows if r["source"] == "counters" and r["destination"]]
    senders = {(name_key(h), i) for h, i in cols.instances(LM_OBJECT, PASS_NUMBER)}
    seen = set()
    for counter in RECEIVE_COUNTERS:
        for host, inst in cols.instances(LM_OBJECT, counter):
            key = (name_key(host), inst)
            if key in seen or key in senders:
                continue
            seen.add(key)
            active = _activity(cols, host, inst)
            present = np.zeros(len(index), bool)
            for c in RECEIVE_COUNTERS:
                v = cols.get(host, LM_OBJECT, inst, c)
                if v is not None:
                    present |= ~np.isnan(v)
            for a, b in _runs(present, t, _step(t)):
                if not active[a:b + 1].any():
                    continue
                start, end = index[a], index[b]
                if any(d == key[0] and i == inst and s <= end and start <= e
                       for d, i, s, e in claimed):
                    continue
                received = np.zeros(b - a + 1)
                for c in (RECEIVER_UNCOMPRESSED, RECEIVER_COMPRESSED):
                    v = cols.get(host, LM_OBJECT, inst, c)
                    if v is not None:
                        received += np.nan_to_num(v[a:b + 1])
                if not received.any():
                    v = cols.get(host, LM_OBJECT, inst, TCP_RECEIVED)
                    if v is not None:
                        received = np.nan_to_num(v[a:b + 1])
                row = _burst_row("", "receiver", inst, index, t, a, b,
                                 float(np.sum(received * dt[a:b + 1])), received.max(initial=0))
                row.update(start=start, duration_s=float(t[b] - t[a]),
                           vm=vm_of_instance(inst), destination=str(host), complete=False,
                           network_bytes=int(round(float(np.sum(received * dt[a:b + 1])))))
                out.append(row)
    return out


def _step(t: np.ndarray) -> float:
    """A gap that joins consecutive samples into one run, and no more [s]."""
    return 1.5 * float(np.median(np.diff(t))) if t.size > 1 else 0.0


def _operations(op: np.ndarray, t: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) sample of each operation in an ``Operation Time`` series: runs of samples
    at which the value rose (from the sample before the first rise)."""
    present = ~np.isnan(op)
    rising = np.zeros(op.size, bool)
    rising[1:] = present[1:] & present[:-1] & (np.nan_to_num(op[1:]) > np.nan_to_num(op[:-1]))
    # an instance that appears with a value already above zero began an operation too
    appear = present & ~np.concatenate([[False], present[:-1]]) & (np.nan_to_num(op) > 0)
    busy = rising | appear
    return [(max(a - 1, 0) if rising[a] else a, b) for a, b in _runs(busy, t, _step(t))]


def _quick_migrations(cols: Columns, t, index) -> list[dict]:
    """Quick Migrations: a save on one host (its instance then gone) followed by an operation
    of the same VM on another host (the restore)."""
    saves, restores = [], []
    for host, inst in cols.instances(SSR_OBJECT, SSR_OPERATION_TIME):
        op = cols.get(host, SSR_OBJECT, inst, SSR_OPERATION_TIME)
        present = ~np.isnan(op)
        vm = vm_of_ssr_instance(inst)
        for a, b in _operations(op, t):
            after = present[b + 1:]
            gone = after.size > 0 and not after.all()
            restores.append((host, vm, inst, a, b))
            if gone:
                saves.append((host, vm, inst, a, b))
    rows = []
    for host, vm, inst, a, b in saves:
        later = [r for r in restores if r[1] == vm and name_key(r[0]) != name_key(host)
                 and r[3] >= b - 1]
        if not later:
            continue
        dest, _, _, ra, rb = min(later, key=lambda r: r[3])
        row = _burst_row(host, "save-restore", inst, index, t, a, rb, 0.0, 0.0)
        row.update(vm=vm, start=index[a], duration_s=float(t[rb] - t[a]), destination=str(dest),
                   blackout_start=index[a], blackout_s=float(t[rb] - t[a]), peak_mib_s=0.0)
        rows.append(row)
    return rows
