"""Counters of a log frame found by (host, object, instance, counter), ignoring case, and the
log's clock: what the detector (`hvlab.perflog.detection`) and the estimator
(`hvlab.perflog.estimation`) read a frame with.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from hvlab.params import TCP_EFFICIENCY
from hvlab.perflog.vocabulary import NIC_BANDWIDTH, NIC_OBJECT, NIC_SENT


def name_key(text) -> str:
    """A name as lookups compare it: stripped, case folded."""
    return str(text).strip().casefold()


class Columns:
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
            self.index.setdefault((name_key(h), name_key(o), str(i), name_key(c)), pos)

    def get(self, host, obj, inst, counter) -> np.ndarray | None:
        pos = self.index.get((name_key(host), name_key(obj), str(inst), name_key(counter)))
        if pos is None:
            return None
        return self.df.iloc[:, pos].to_numpy(dtype="float64", na_value=np.nan)

    def instances(self, obj, counter):
        """(host, instance) pairs that have `counter` of `obj`."""
        o, c = name_key(obj), name_key(counter)
        seen = []
        for (h, oo, i, cc), pos in self.index.items():
            if oo == o and cc == c:
                seen.append((self.df.columns[pos][0], i))
        return seen


def elapsed_s(index: pd.DatetimeIndex) -> np.ndarray:
    """Seconds since the log's first sample [s]."""
    return (index - index[0]).total_seconds().to_numpy(dtype=float)


def sample_intervals(t: np.ndarray) -> np.ndarray:
    """Length of the interval each sample's rate averages over [s] (the first: the median)."""
    if t.size < 2:
        return np.ones_like(t)
    d = np.diff(t)
    return np.concatenate([[np.median(d)], d])


def busiest_nic_gbps(cols: Columns, host: str) -> float | None:
    """``Current Bandwidth`` of the host's NIC that sent the most [Gbit/s], if logged."""
    best, best_bytes = None, -1.0
    for h, nic in cols.instances(NIC_OBJECT, NIC_BANDWIDTH):
        if name_key(h) != name_key(host):
            continue
        sent = cols.get(h, NIC_OBJECT, nic, NIC_SENT)
        total = float(np.nansum(sent)) if sent is not None else 0.0
        if total > best_bytes:
            bw = cols.get(h, NIC_OBJECT, nic, NIC_BANDWIDTH)
            if bw is not None and np.isfinite(bw).any() and np.nanmax(bw) > 0:
                best, best_bytes = float(np.nanmax(bw)) / 1e9, total
    return best


def line_payload(cols: Columns, host: str) -> float | None:
    """TCP/IP payload capacity of the host's busiest NIC [bytes/s], if its bandwidth is logged."""
    gbps = busiest_nic_gbps(cols, host)
    return None if gbps is None else gbps * 1e9 / 8 * TCP_EFFICIENCY
