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

Each entry says on which versions the counter is there (``versions``): "WS2012, WS2012 R2",
"WS2012 R2" (the Compression and SMB live-migration options, new in 2012 R2) or "unconfirmed on
WS2012 / WS2012 R2" (no source lists it before Windows Server 2016, e.g. the virtual disk's
``Latency``): a detector must not rely on those.

References
----------
- Counter names: the Hyper-V VM Live Migration counter set (Microsoft's ``microsoft/wmi``
  repository, class ``Win32_PerfRawData_LmPerfProvider_HyperVVMLiveMigration``; E. Siron,
  *HyperV-NSClient-PerfCounters*, New-VMPerformanceDefinition.ps1, which spells every counter
  per version), the Hyper-V Virtual Storage Device set (instance: the VHD path with ``\``
  replaced by ``-``; PAL's WS2012 Hyper-V threshold file ``HyperV30.xml``).
- SMB: windows_exporter's ``smb`` (SMB Server Shares) and ``smbclient`` (SMB Client Shares)
  collectors; ``SMB Direct Connection`` (``microsoft/wmi``,
  ``Win32_PerfRawData_Counters_SMBDirectConnection``); ``RDMA Activity`` (Microsoft, Azure
  Stack HCI metrics); ``Cluster CSV File System`` (Microsoft Failover Clustering blog,
  "Cluster Shared Volume Performance Counters", 2014).
- Virtual disk series and units as Microsoft documents them for the same counter set:
  https://learn.microsoft.com/en-us/windows-server/storage/storage-spaces/performance-history-for-vhds
- Disk counters: "Using Storage-related Parameters and Performance Counters",
  https://learn.microsoft.com/en-us/previous-versions/dn567651(v=vs.85)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hvlab.perflog import vocabulary as v
from hvlab.perflog.paths import CounterPath, lenient_counter_path, wildcard
from hvlab.perflog.vocabulary import LEVELS

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
    versions : str
        On which versions the counter is there: "WS2012, WS2012 R2", "WS2012 R2" or
        "unconfirmed on WS2012 / WS2012 R2 (listed for WS2016)".
    """

    object: str
    counter: str
    unit: str
    meaning: str
    instance: str = ""
    versions: str = "WS2012, WS2012 R2"


_ENTRIES = [
    (v.LM_OBJECT, v.PASS_NUMBER, "pass",
     "Memory pass being copied: 1 is the full copy, later passes resend pages dirtied meanwhile"),
    (v.LM_OBJECT, v.DIRTY_PAGES, "pages",
     "Pages (4 KiB) the VM dirtied during the pass, to be sent by the next one"),
    (v.LM_OBJECT, v.IS_BLACKOUT, "0/1",
     "1 while the VM is paused for the final copy of dirty pages and device state (blackout)"),
    (v.LM_OBJECT, v.CPU_CAP, "%",
     "CPU cap Hyper-V reports for the VM during the pass (not documented further)"),
    (v.LM_OBJECT, v.TCP_SENT, "bytes/s",
     "Migration data sent over the TCP transport (TCP/IP and Compression options)"),
    (v.LM_OBJECT, v.TCP_RECEIVED, "bytes/s",
     "Migration data received over the TCP transport (on the destination)"),
    (v.LM_OBJECT, v.TCP_PENDING, "bytes",
     "Migration data queued for the TCP transport and not yet sent (a backlog: the network, "
     "not the memory walker, limits the transfer)"),
    (v.LM_OBJECT, v.WALKER_UNCOMPRESSED_TOTAL, "bytes",
     "Memory sent without compression so far in this migration (cumulative)"),
    (v.LM_OBJECT, v.WALKER_UNCOMPRESSED, "bytes/s",
     "Memory sent without compression, per second"),
    (v.LM_OBJECT, v.WALKER_READ, "bytes/s",
     "Guest memory read by the memory walker to be sent"),
    (v.LM_OBJECT, v.COMPRESSED_SENT_TOTAL, "bytes",
     "Compressed memory sent so far (cumulative; Compression option)"),
    (v.LM_OBJECT, v.COMPRESSED_SENT, "bytes/s",
     "Compressed memory sent per second (Compression option)"),
    (v.LM_OBJECT, v.TO_COMPRESS, "bytes",
     "Memory waiting for the compressor (Compression option)"),
    (v.LM_OBJECT, v.SMB_SENT_TOTAL, "bytes",
     "Migration data sent over SMB 3 so far (cumulative; SMB option)"),
    (v.LM_OBJECT, v.SMB_SENT, "bytes/s",
     "Migration data sent over SMB 3 per second (SMB option, Multichannel/RDMA)"),
    (v.LM_OBJECT, v.SMB_PENDING, "bytes",
     "Migration data queued for the SMB transport and not yet sent (SMB option)"),
    (v.LM_OBJECT, v.RECEIVER_UNCOMPRESSED, "bytes/s",
     "Uncompressed migration data the destination received per second"),
    (v.LM_OBJECT, v.RECEIVER_COMPRESSED, "bytes/s",
     "Compressed migration data the destination received per second (Compression option)"),
    (v.LM_OBJECT, v.RECEIVER_PENDING_WRITE, "bytes",
     "Received migration data not yet written into the destination VM"),
    (v.LM_OBJECT, v.RECEIVER_WRITTEN, "bytes/s",
     "Memory written into the destination VM per second"),
    (v.LM_OBJECT, v.RECEIVER_DECOMPRESSED, "bytes/s",
     "Memory decompressed on the destination per second (Compression option)"),
    (v.VSD_OBJECT, v.VSD_READ, "bytes/s", "Bytes read from this virtual disk per second"),
    (v.VSD_OBJECT, v.VSD_WRITE, "bytes/s", "Bytes written to this virtual disk per second"),
    (v.VSD_OBJECT, v.VSD_READ_COUNT, "operations", "Read operations completed (cumulative)"),
    (v.VSD_OBJECT, v.VSD_WRITE_COUNT, "operations", "Write operations completed (cumulative)"),
    (v.VSD_OBJECT, v.VSD_QUEUE, "requests", "I/O requests outstanding on this virtual disk"),
    (v.VSD_OBJECT, v.VSD_LATENCY, "s",
     "Average latency of I/O to this virtual disk (seconds per Microsoft's VHD history; "
     "hvlab's simulated logs write ms)"),
    (v.VSD_OBJECT, v.VSD_THROUGHPUT, "operations/s",
     "I/O throughput of this virtual disk as Storage QoS counts it"),
    (v.SSR_OBJECT, v.SSR_OPERATION_TIME, "ms (unconfirmed)",
     "Time of the VM's current or most recent save, restore or snapshot operation (a Quick "
     "Migration saves on the source and restores on the destination)"),
    (v.VSD_OBJECT, v.VSD_ERRORS, "errors", "I/O errors on this virtual disk (cumulative)"),
    (v.VNIC_OBJECT, v.VNIC_SENT, "bytes/s",
     "Bytes the VM's virtual network adapter sent per second"),
    (v.VNIC_OBJECT, v.VNIC_RECEIVED, "bytes/s",
     "Bytes the VM's virtual network adapter received per second"),
    (v.LP_OBJECT, v.LP_TOTAL_RUN, "%",
     "Time the physical logical processor ran guest plus hypervisor code"),
    (v.LP_OBJECT, v.LP_GUEST_RUN, "%",
     "Time the physical logical processor ran guest code"),
    (v.DM_OBJECT, v.DM_PHYSICAL_MEMORY, "MB",
     "Memory currently assigned to the VM"),
    (v.DM_OBJECT, v.DM_PRESSURE, "%",
     "Memory the VM needs as a percentage of what it has (over 100: it wants more)"),
    (v.SMB_OBJECT, v.SMB_SEC_READ, "s", "Average time of a read from the share"),
    (v.SMB_OBJECT, v.SMB_SEC_WRITE, "s", "Average time of a write to the share"),
    (v.SMB_OBJECT, v.DATA_BYTES, "bytes/s", "Bytes read from and written to the share"),
    (v.SMB_OBJECT, v.SMB_READ, "bytes/s", "Bytes read from the share per second"),
    (v.SMB_OBJECT, v.SMB_WRITE, "bytes/s", "Bytes written to the share per second"),
    (v.SMB_OBJECT, v.SMB_DIRECT_READ, "bytes/s",
     "Bytes read from the share over SMB Direct (RDMA) per second"),
    (v.SMB_OBJECT, v.SMB_DIRECT_WRITE, "bytes/s",
     "Bytes written to the share over SMB Direct (RDMA) per second"),
    (v.SMB_SERVER_OBJECT, v.SMB_SEC_READ, "s", "Average time the server took per read"),
    (v.SMB_SERVER_OBJECT, v.SMB_SEC_WRITE, "s", "Average time the server took per write"),
    (v.SMB_SERVER_OBJECT, v.DATA_BYTES, "bytes/s", "Bytes read and written on the share"),
    (v.SMB_SERVER_OBJECT, v.SMB_READ, "bytes/s", "Bytes clients read from the share"),
    (v.SMB_SERVER_OBJECT, v.SMB_WRITE, "bytes/s", "Bytes clients wrote to the share"),
    (v.SMB_SERVER_OBJECT, v.OPEN_FILES, "files",
     "Files open on the share (the VHDs of the VMs that run from it)"),
    (v.SMB_DIRECT_OBJECT, v.SMBD_RDMA_READ, "bytes/s",
     "Bytes this SMB Direct connection moved by RDMA reads per second"),
    (v.SMB_DIRECT_OBJECT, v.SMBD_RDMA_WRITTEN, "bytes/s",
     "Bytes this SMB Direct connection moved by RDMA writes per second"),
    (v.SMB_DIRECT_OBJECT, v.SMBD_SENT, "bytes/s",
     "Bytes this SMB Direct connection sent per second"),
    (v.SMB_DIRECT_OBJECT, v.SMBD_RECEIVED, "bytes/s",
     "Bytes this SMB Direct connection received per second"),
    (v.RDMA_OBJECT, v.RDMA_OUTBOUND, "bytes/s",
     "Bytes the NIC sent by RDMA per second (not in Network Interface's counters)"),
    (v.RDMA_OBJECT, v.RDMA_INBOUND, "bytes/s",
     "Bytes the NIC received by RDMA per second (not in Network Interface's counters)"),
    (v.CSV_OBJECT, v.CSV_REDIRECTED_READ, "bytes/s",
     "Reads this node sent to the CSV's coordinator over SMB (redirected I/O) per second"),
    (v.CSV_OBJECT, v.CSV_REDIRECTED_WRITE, "bytes/s",
     "Writes this node sent to the CSV's coordinator over SMB (redirected I/O) per second"),
    (v.NIC_OBJECT, v.NIC_SENT, "bytes/s", "Bytes the NIC sent per second"),
    (v.NIC_OBJECT, v.NIC_RECEIVED, "bytes/s", "Bytes the NIC received per second"),
    (v.NIC_OBJECT, v.NIC_BANDWIDTH, "bit/s", "The NIC's link speed (1e9 for 1 GbE)"),
    (v.PROCESSOR_OBJECT, v.PROCESSOR_TIME, "%", "Time the processor was busy"),
    (v.MEMORY_OBJECT, v.AVAILABLE_MBYTES, "MB", "Physical memory free for use"),
]
for _obj in (v.DISK_OBJECT, v.LOGICAL_DISK_OBJECT):
    _ENTRIES += [
        (_obj, v.DISK_SEC_READ, "s", "Average time of a read (the latency the guest feels)"),
        (_obj, v.DISK_SEC_WRITE, "s", "Average time of a write"),
        (_obj, v.DISK_READ, "bytes/s", "Bytes read from the disk per second"),
        (_obj, v.DISK_WRITE, "bytes/s", "Bytes written to the disk per second"),
        (_obj, v.DISK_QUEUE, "requests", "Requests outstanding when sampled"),
        (_obj, v.DISK_IDLE, "%", "Time the disk had nothing to do (100 - busy)"),
    ]

#: Every entry, keyed by (object, counter) in lower case.
CATALOGUE: dict[tuple[str, str], CounterInfo] = {
    (o.lower(), c.lower()): CounterInfo(o, c, u, m, v.INSTANCE_FORMATS.get(o, ""),
                                        v.versions(o, c))
    for o, c, u, m in _ENTRIES}
_BY_COUNTER: dict[str, list[CounterInfo]] = {}
for _info in CATALOGUE.values():
    _BY_COUNTER.setdefault(_info.counter.lower(), []).append(_info)


def counter_table() -> pd.DataFrame:
    """The catalogue as a table: object, counter, unit, meaning, instance, versions."""
    return pd.DataFrame([vars(i) for i in CATALOGUE.values()],
                        columns=["object", "counter", "unit", "meaning", "instance",
                                 "versions"])


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
