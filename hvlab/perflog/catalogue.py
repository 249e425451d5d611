r"""The performance counters that matter for VM mobility, what each means and its unit, and
selecting counters from a log frame.

Names are as an English-locale Windows Server 2012 / 2012 R2 host writes them (case as
written; lookups ignore case, so Get-Counter's lower-case paths match too). Localised hosts
write localised names, which are not in the catalogue: `label` then falls back to the name.

>>> import hvlab as hv
>>> hv.perflog.describe("Transfer Pass: Is blackout").unit
'0/1'
>>> hv.perflog.label(("HV01", "Network Interface", "nic1", "Bytes Sent/sec"))
'Bytes Sent/sec (nic1) [bytes/s]'

References
----------
- Counter names: the Hyper-V VM Live Migration counter set of Windows Server 2012 R2, the
  Hyper-V Virtual Storage Device set (instance: the VHD path with ``\`` replaced by ``-``).
- Virtual disk series and units as Microsoft documents them for the same counter set:
  https://learn.microsoft.com/en-us/windows-server/storage/storage-spaces/performance-history-for-vhds
- Disk counters: "Using Storage-related Parameters and Performance Counters",
  https://learn.microsoft.com/en-us/previous-versions/dn567651(v=vs.85)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hvlab.perflog.paths import LEVELS, CounterPath, lenient_counter_path, wildcard

__all__ = ["CounterInfo", "CATALOGUE", "describe", "label", "select", "counter_table"]


@dataclass(frozen=True)
class CounterInfo:
    """One catalogue entry.

    Attributes
    ----------
    object : str
        Performance object ("Hyper-V VM Live Migration").
    counter : str
        Counter name as Windows writes it ("Transfer Pass: Number").
    unit : str
        Unit of the cooked value ("bytes/s", "s", "%", "pages", "0/1", ...).
    meaning : str
        One line: what the value says.
    instance : str
        What the instances are ("" when the object has none).
    """

    object: str
    counter: str
    unit: str
    meaning: str
    instance: str = ""


_LM = "Hyper-V VM Live Migration"
_LM_INST = "<VM>:VM Live Migration (WS2012 R2)"
_VSD = "Hyper-V Virtual Storage Device"
_VSD_INST = "the VHD/VHDX path with \\ replaced by - (C:-VMs-sql01.vhdx)"

_ENTRIES = [
    (_LM, "Transfer Pass: Number", "pass",
     "Memory pass being copied: 1 is the full copy, later passes resend pages dirtied meanwhile"),
    (_LM, "Transfer pass: Dirty Page Count", "pages",
     "Pages (4 KiB) the VM dirtied during the pass, to be sent by the next one"),
    (_LM, "Transfer Pass: Is blackout", "0/1",
     "1 while the VM is paused for the final copy of dirty pages and device state (blackout)"),
    (_LM, "Transfer pass: CPU Cap", "%",
     "CPU cap Hyper-V reports for the VM during the pass (not documented further)"),
    (_LM, "TCP Transport: Bytes Sent/sec", "bytes/s",
     "Migration data sent over the TCP transport (TCP/IP and Compression options)"),
    (_LM, "TCP Transport: Bytes Received/sec", "bytes/s",
     "Migration data received over the TCP transport (on the destination)"),
    (_LM, "TCP Transport: Bytes Pending Send", "bytes",
     "Migration data queued for the TCP transport and not yet sent"),
    (_LM, "Memory Walker: Uncompressed Bytes Sent", "bytes",
     "Memory sent without compression so far in this migration (cumulative)"),
    (_LM, "Memory Walker: Uncompressed Bytes Sent/sec", "bytes/s",
     "Memory sent without compression, per second"),
    (_LM, "Memory Walker: Bytes Read/sec", "bytes/s",
     "Guest memory read by the memory walker to be sent"),
    (_LM, "Compressor: Compressed Bytes Sent", "bytes",
     "Compressed memory sent so far (cumulative; Compression option)"),
    (_LM, "Compressor: Compressed Bytes Sent/sec", "bytes/s",
     "Compressed memory sent per second (Compression option)"),
    (_LM, "Compressor: Bytes to be Compressed", "bytes",
     "Memory waiting for the compressor (Compression option)"),
    (_LM, "SMB Transport: Bytes Sent", "bytes",
     "Migration data sent over SMB 3 so far (cumulative; SMB option)"),
    (_LM, "SMB Transport: Bytes Sent/sec", "bytes/s",
     "Migration data sent over SMB 3 per second (SMB option, Multichannel/RDMA)"),
    (_LM, "Receiver: Bytes Written/sec", "bytes/s",
     "Memory written into the destination VM per second"),
    (_LM, "Receiver: Decompressed Bytes/sec", "bytes/s",
     "Memory decompressed on the destination per second (Compression option)"),
    (_VSD, "Read Bytes/sec", "bytes/s", "Bytes read from this virtual disk per second"),
    (_VSD, "Write Bytes/sec", "bytes/s", "Bytes written to this virtual disk per second"),
    (_VSD, "Read Count", "operations", "Read operations completed (cumulative)"),
    (_VSD, "Write Count", "operations", "Write operations completed (cumulative)"),
    (_VSD, "Queue Length", "requests", "I/O requests outstanding on this virtual disk"),
    (_VSD, "Latency", "s",
     "Average latency of I/O to this virtual disk (seconds per Microsoft's VHD history)"),
    (_VSD, "Throughput", "operations/s",
     "I/O throughput of this virtual disk as Storage QoS counts it (WS2012 R2)"),
    (_VSD, "Error Count", "errors", "I/O errors on this virtual disk (cumulative)"),
    ("Hyper-V Virtual Network Adapter", "Bytes Sent/sec", "bytes/s",
     "Bytes the VM's virtual network adapter sent per second"),
    ("Hyper-V Virtual Network Adapter", "Bytes Received/sec", "bytes/s",
     "Bytes the VM's virtual network adapter received per second"),
    ("Hyper-V Hypervisor Logical Processor", "% Total Run Time", "%",
     "Time the physical logical processor ran guest plus hypervisor code"),
    ("Hyper-V Hypervisor Logical Processor", "% Guest Run Time", "%",
     "Time the physical logical processor ran guest code"),
    ("Hyper-V Dynamic Memory VM", "Physical Memory", "MB",
     "Memory currently assigned to the VM"),
    ("Hyper-V Dynamic Memory VM", "Current Pressure", "%",
     "Memory the VM needs as a percentage of what it has (over 100: it wants more)"),
    ("SMB Client Shares", "Avg. sec/Read", "s", "Average time of a read from the share"),
    ("SMB Client Shares", "Avg. sec/Write", "s", "Average time of a write to the share"),
    ("SMB Client Shares", "Data Bytes/sec", "bytes/s", "Bytes read from and written to the share"),
    ("SMB Client Shares", "Read Bytes/sec", "bytes/s", "Bytes read from the share per second"),
    ("SMB Client Shares", "Write Bytes/sec", "bytes/s", "Bytes written to the share per second"),
    ("SMB Client Shares", "Current Open File Count", "files",
     "Files this client holds open on the share (VHDs of running VMs)"),
    ("SMB Server Shares", "Avg. sec/Read", "s", "Average time the server took per read"),
    ("SMB Server Shares", "Avg. sec/Write", "s", "Average time the server took per write"),
    ("SMB Server Shares", "Data Bytes/sec", "bytes/s", "Bytes read and written on the share"),
    ("SMB Server Shares", "Read Bytes/sec", "bytes/s", "Bytes clients read from the share"),
    ("SMB Server Shares", "Write Bytes/sec", "bytes/s", "Bytes clients wrote to the share"),
    ("SMB Server Shares", "Current Open File Count", "files", "Files open on the share"),
    ("Network Interface", "Bytes Sent/sec", "bytes/s", "Bytes the NIC sent per second"),
    ("Network Interface", "Bytes Received/sec", "bytes/s", "Bytes the NIC received per second"),
    ("Network Interface", "Current Bandwidth", "bit/s", "The NIC's link speed (1e9 for 1 GbE)"),
    ("Processor", "% Processor Time", "%", "Time the processor was busy"),
    ("Memory", "Available MBytes", "MB", "Physical memory free for use"),
]
for _obj in ("PhysicalDisk", "LogicalDisk"):
    _ENTRIES += [
        (_obj, "Avg. Disk sec/Read", "s", "Average time of a read (the latency the guest feels)"),
        (_obj, "Avg. Disk sec/Write", "s", "Average time of a write"),
        (_obj, "Disk Read Bytes/sec", "bytes/s", "Bytes read from the disk per second"),
        (_obj, "Disk Write Bytes/sec", "bytes/s", "Bytes written to the disk per second"),
        (_obj, "Current Disk Queue Length", "requests", "Requests outstanding when sampled"),
        (_obj, "% Idle Time", "%", "Time the disk had nothing to do (100 - busy)"),
    ]
_INSTANCES = {_LM: _LM_INST, _VSD: _VSD_INST,
              "Hyper-V Hypervisor Logical Processor": "Hv LP 0, Hv LP 1, ..., _Total",
              "Hyper-V Dynamic Memory VM": "VM name", "Hyper-V Virtual Network Adapter":
              "VM name_Network Adapter_<id>", "SMB Client Shares": "\\server\\share",
              "SMB Server Shares": "share name", "Network Interface": "NIC description",
              "PhysicalDisk": "0 C:, 1 D:, _Total", "LogicalDisk": "C:, D:, _Total",
              "Processor": "0, 1, _Total"}

#: Every entry, keyed by (object, counter) in lower case.
CATALOGUE: dict[tuple[str, str], CounterInfo] = {
    (o.lower(), c.lower()): CounterInfo(o, c, u, m, _INSTANCES.get(o, ""))
    for o, c, u, m in _ENTRIES}
_BY_COUNTER: dict[str, list[CounterInfo]] = {}
for _info in CATALOGUE.values():
    _BY_COUNTER.setdefault(_info.counter.lower(), []).append(_info)


def counter_table() -> pd.DataFrame:
    """The catalogue as a table: object, counter, unit, meaning, instance."""
    return pd.DataFrame([vars(i) for i in CATALOGUE.values()],
                        columns=["object", "counter", "unit", "meaning", "instance"])


def _lookup(counter: str, object: str | None) -> CounterInfo | None:
    if object is not None:
        return CATALOGUE.get((object.lower(), counter.lower()))
    hits = _BY_COUNTER.get(counter.lower(), [])
    return hits[0] if len(hits) == 1 else None


def describe(counter, object: str | None = None) -> CounterInfo:
    r"""The catalogue entry for a counter.

    Parameters
    ----------
    counter : str, tuple or CounterPath
        A counter name ("Transfer Pass: Number"), a full path (``\\HV01\Network
        Interface(nic)\Bytes Sent/sec``), a column key (host, object, instance, counter) or a
        CounterPath.
    object : str, optional
        The object, needed when the name alone is ambiguous ("Bytes Sent/sec").

    Raises
    ------
    KeyError
        Not in the catalogue; the message lists the objects that have such a counter, or
        the catalogue's objects.
    """
    name, obj = _name_and_object(counter, object)
    info = _lookup(name, obj)
    if info is not None:
        return info
    hits = _BY_COUNTER.get(name.lower(), [])
    if hits and obj is None:
        raise KeyError(f"{name!r} belongs to several objects: pass object= one of "
                       f"{sorted({h.object for h in hits})}")
    objects = sorted({i.object for i in CATALOGUE.values()})
    raise KeyError(f"{(obj + ' / ') if obj else ''}{name!r} is not in the counter catalogue; "
                   f"it covers {', '.join(objects)} (see hvlab.perflog.counter_table())")


def _name_and_object(counter, object):
    if isinstance(counter, CounterPath):
        return counter.counter, object or counter.object
    if isinstance(counter, tuple) and len(counter) == 4:
        return str(counter[3]), object or str(counter[1])
    if not isinstance(counter, str):
        raise TypeError(f"counter must be a name, a path, a column tuple or a CounterPath; "
                        f"got {type(counter).__name__}")
    if "\\" in counter:
        cp, problem = lenient_counter_path(counter)
        if not problem:
            return cp.counter, object or cp.object
    return counter, object


def label(column, *, host: bool = False) -> str:
    r"""An axis label for a log column: ``"Bytes Sent/sec (nic1) [bytes/s]"``.

    `column` is a column key (host, object, instance, counter), a counter path or a counter
    name. The unit comes from the catalogue (omitted when the counter is not in it, e.g. on a
    localised host); a trailing " [2]" that tells duplicate columns apart is kept in the
    name. With ``host=True`` the host is prefixed.
    """
    if isinstance(column, CounterPath):
        parts = column.key
    elif isinstance(column, tuple) and len(column) == 4:
        parts = tuple("" if v is None else str(v) for v in column)
    elif isinstance(column, str):
        cp, problem = lenient_counter_path(column) if "\\" in column else (None, "name")
        parts = cp.key if cp is not None and not problem else ("", "", "", column)
    else:
        raise TypeError(f"column must be a column key tuple, a path or a name; got "
                        f"{type(column).__name__}")
    h, obj, inst, name = parts
    base = name[:name.rfind(" [")] if name.endswith("]") and " [" in name else name
    info = _lookup(base, obj or None)
    text = name + (f" ({inst})" if inst else "")
    if host and h:
        text = f"{h}: {text}"
    return f"{text} [{info.unit}]" if info else text


def _level_mask(values, pattern) -> np.ndarray:
    if pattern is None:
        return np.ones(len(values), bool)
    patterns = [pattern] if isinstance(pattern, str) else list(pattern)
    regs = [wildcard(p) for p in patterns]
    return np.array([any(r.fullmatch(str(v)) for r in regs) for v in values], bool)


def select(df: pd.DataFrame, object=None, instance=None, counter=None, host=None, *,
           missing_ok: bool = False) -> pd.DataFrame:
    """The columns of a log frame whose levels match wildcard patterns.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame from `read_perflog` (MultiIndex columns host, object, instance, counter) or
        one with counter-path column names (as ``read_perflogs(engine="dask")`` gives).
    object, instance, counter, host : str or list of str, optional
        Patterns with ``*`` and ``?`` (case-insensitive); a list matches any of its patterns;
        None matches everything.
    missing_ok : bool
        Return an empty frame instead of raising when nothing matches.

    Raises
    ------
    KeyError
        Nothing matched (unless `missing_ok`); the message lists the objects in `df`.

    Examples
    --------
    >>> select(df, object="Hyper-V VM Live Migration", counter="Transfer Pass*")  # doctest: +SKIP
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas.DataFrame, got {type(df).__name__}")
    cols = df.columns
    if isinstance(cols, pd.MultiIndex) and cols.nlevels == 4:
        levels = [cols.get_level_values(i) for i in range(4)]
    else:
        keys = [lenient_counter_path(str(c))[0].key for c in cols]
        levels = [[k[i] for k in keys] for i in range(4)] if keys else [[]] * 4
    mask = np.ones(len(cols), bool)
    for values, pattern in zip(levels, (host, object, instance, counter)):
        mask &= _level_mask(values, pattern)
    if not mask.any() and not missing_ok:
        objects = sorted({str(v) for v in levels[1]})
        asked = {k: v for k, v in zip(LEVELS, (host, object, instance, counter))
                 if v is not None}
        raise KeyError(f"no column matches {asked}; the frame's objects are "
                       f"{objects[:12]}{' ...' if len(objects) > 12 else ''}")
    return df.loc[:, mask]
