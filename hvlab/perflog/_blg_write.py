r"""Write a binary log (.blg) from raw counter values, laid out as Windows' own files are (see
docs/blg.md): the structure `read_blg` decodes. For tests, benchmarks and the workshop's sample
log; not checked with Windows' reader, so a .blg for Windows should still come from relog."""
from __future__ import annotations

import os
import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hvlab.perflog import _blg_layout as L
from hvlab.perflog._blg_cook import COUNTER_TYPES
from hvlab.perflog.paths import parse_counter_path

__all__ = ["RawCounter", "write_blg"]

_PROVIDER = uuid.UUID("933f3bb3-943e-490d-9ced-3cbb14c14479").bytes_le  # PDH's, as in samples
_EVENT_VERSION = 60


@dataclass
class RawCounter:
    r"""One logged counter and its raw values, as PDH collects them (PDH_RAW_COUNTER).

    Attributes
    ----------
    path : str
        ``\\HOST\Object(Instance)\Counter``; ``(*)`` for a wildcard whose instances are
        `instances`; no parentheses for an object without instances.
    counter_type : int or str
        The counter type: a winperf.h value or its name ("PERF_COUNTER_BULK_COUNT").
    first : array-like
        FirstValue per sample [samples], or [samples, instances] for a wildcard.
    second : array-like or int
        SecondValue (the time or base the type's formula divides by), same shape or scalar.
    time_base : int
        Ticks per second of the counter's clock [1/s] (10,000,000 for 100-ns counters; the
        performance counter frequency for PERF_COUNTER_COUNTER and _BULK_COUNT).
    default_scale : int
        PerfMon's display scale (power of ten; not applied to the values).
    instances : sequence of str
        A wildcard's instance names.
    multi_count : array-like or int
        MultiCount (the B of the _MULTI_TIMER formulas).
    status : array-like or int
        CStatus per value (0 = valid; e.g. 0x800007D0 = PDH_CSTATUS_NO_MACHINE). A wildcard's
        values of one sample share one status (PDH returns one per array): its first
        instance's.
    present : array-like of bool, optional
        [samples, instances]: False leaves an instance out of that sample (instances that come
        and go).
    """

    path: str
    counter_type: int | str
    first: object
    second: object = 0
    time_base: int = 10_000_000
    default_scale: int = 0
    instances: Sequence[str] = ()
    multi_count: object = 1
    status: object = 0
    present: object = None


def _type_value(t) -> int:
    if isinstance(t, str):
        if t not in COUNTER_TYPES:
            raise ValueError(f"counter_type {t!r} is not a counter type name; use e.g. "
                             "'PERF_COUNTER_COUNTER' or a winperf.h value")
        return COUNTER_TYPES[t][0]
    return int(t)


class _Prepared:
    """A RawCounter checked and broadcast to [samples, k] arrays."""

    def __init__(self, rc: RawCounter, n: int, index: int):
        if not isinstance(rc, RawCounter):
            raise TypeError(f"counters must be RawCounter objects, got {type(rc).__name__}")
        cp = parse_counter_path(rc.path)
        self.wildcard = cp.instance == "*"
        self.machine = f"\\\\{cp.host}" if cp.host else ""
        self.object, self.counter = cp.object, cp.counter
        self.instance = cp.instance if cp.instance else None
        self.ctype = _type_value(rc.counter_type)
        self.time_base, self.scale, self.index = int(rc.time_base), int(rc.default_scale), index
        self.names = [str(x) for x in rc.instances] if self.wildcard else [None]
        if self.wildcard and not self.names:
            raise ValueError(f"{rc.path}: a wildcard counter needs instances=")
        k = len(self.names)
        shape = (n, k)

        def arr(x, what, dtype=np.int64):
            a = np.asarray(x)
            if a.ndim == 1 and len(a) == n:  # one value per sample (for every instance)
                a = a[:, None]
            try:
                return np.broadcast_to(a, shape).astype(dtype)
            except ValueError:
                raise ValueError(f"{rc.path}: {what} has shape {np.shape(x)}; expected "
                                 f"{(n,) if not self.wildcard else shape} or a scalar") from None

        self.first = arr(rc.first, "first")
        self.second = arr(rc.second, "second")
        self.multi = arr(rc.multi_count, "multi_count")
        self.status = arr(rc.status, "status")
        self.present = np.ones(shape, bool) if rc.present is None else \
            arr(rc.present, "present", bool)
        if not self.wildcard:
            self.present = np.ones(shape, bool)


def _entry(p: _Prepared) -> bytes:
    strings, offsets = b"", {}
    for key, text in (("machine", p.machine), ("object", p.object),
                      ("instance", p.instance if not p.wildcard else "*"),
                      ("counter", p.counter)):
        if text is None:
            offsets[key] = -1
            continue
        offsets[key] = len(strings)
        strings += text.encode("utf-16-le") + b"\0\0"
    size = L.ENTRY_FIXED + len(strings)
    size += -size % 8
    head = struct.pack("<IIIIqiIiiiii", size, 0x20000001 if p.wildcard else 0x20000000,
                       p.index, p.ctype, p.time_base, p.scale, 0, offsets["object"],
                       offsets["instance"], -1, 0, offsets["counter"])
    return (head + strings).ljust(size, b"\0")


def _full_event(ctype: int, stamp: int, payload: bytes) -> bytes:
    size = L.FULL_HEADER + len(payload)
    if size > 0xFFFF:
        raise ValueError("event too large")
    head = struct.pack("<HBBBBHIIq16sII", size, 0x14, 0xC0, ctype, 0, _EVENT_VERSION, 0x3EF0,
                       0x0D9C, stamp, _PROVIDER, 0, 0x001A0200)
    return head + payload


def _sample_template(preps, present_row):
    """(payload bytes without prefix, {field: offsets}) for one sample with these instances."""
    parts = [b""]
    status_at, time_at, first_at, multi_at, cols = [], [], [], [], []
    off = L.RECORD_HEADER
    for p, pres in zip(preps, present_row):
        if not p.wildcard:
            rec = bytearray(b"BL\x03\x01" + struct.pack("<I", L.SINGLE_SIZE) + bytes(40))
            status_at.append(off + 8)
            time_at.append(off + 12)
            first_at.append(off + 24)
            multi_at.append(off + 40)
            cols.append((p.index, 0))
        else:
            ks = np.flatnonzero(pres)
            count = len(ks)
            names = b""
            name_off = []
            for k in ks:
                name_off.append(24 + L.MULTI_ITEM * count + len(names))
                names += p.names[k].encode("utf-16-le") + b"\0\0"
            datalen = 24 + L.MULTI_ITEM * count + len(names)
            datalen += -datalen % 8
            body = bytearray(datalen)
            struct.pack_into("<II", body, 0, datalen, count)
            for j, k in enumerate(ks):
                struct.pack_into("<I", body, 24 + L.MULTI_ITEM * j, name_off[j])
                item = off + L.RECORD_HEADER + 24 + L.MULTI_ITEM * j
                status_at.append(off + L.RECORD_HEADER + 8)
                time_at.append(off + L.RECORD_HEADER + 16)
                first_at.append(item + 8)
                multi_at.append(item + 4)
                cols.append((p.index, int(k)))
            body[24 + L.MULTI_ITEM * count:24 + L.MULTI_ITEM * count + len(names)] = names
            rec = bytearray(b"BL\x03\x02" + struct.pack("<I", L.RECORD_HEADER + datalen)) + body
        parts.append(bytes(rec))
        off += len(rec)
    body = b"".join(parts)
    head = b"BL\x03\x00" + struct.pack("<I", len(body) + L.RECORD_HEADER)
    return head + body, dict(status=status_at, time=time_at, first=first_at,
                                 multi=multi_at, cols=cols)


def _wall_ticks(times) -> np.ndarray:
    """Local wall-clock FILETIME ticks of naive (wall clock) or tz-aware times."""
    idx = pd.DatetimeIndex(times)
    if idx.hasnans:
        raise ValueError("times holds NaT; every sample needs a time")
    if idx.tz is not None:
        idx = pd.DatetimeIndex([t.tz_localize(None) for t in idx])
    ns = idx.as_unit("ns").asi8
    return ns // 100 + 116444736000000000


def write_blg(path, times, counters: Sequence[RawCounter], *, timezone: str = "UTC",
              bias_min: int = 0, tzi: dict | None = None, host_os: str = "10.0.14393",
              perf_freq: int = 10_000_000, buffer_size: int = 65536, log_file_mode: int = 0x1,
              split_at: int | None = None):
    r"""Write a PerfMon binary log (.blg) of raw counter values.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    times : sequence of datetime-like
        Sample times on the host's local wall clock (naive), or tz-aware (their wall clock is
        written).
    counters : sequence of RawCounter
        The counters, in catalogue order; all with one value (row) per sample.
    timezone : str
        Zone name written in the header ("Pacific Standard Time"; Windows Vista and later
        write "@tzres.dll,-212" references instead, which the reader also resolves).
    bias_min : int
        UTC = local + bias [min].
    tzi : dict, optional
        The full TIME_ZONE_INFORMATION (keys as ``read_perflog``'s
        ``metadata["timezone_rules"]``); overrides `timezone` and `bias_min`.
    host_os : str
        "major.minor.build" written as the logging host's Windows version.
    perf_freq : int
        The header's performance-counter frequency [1/s].
    buffer_size : int
        ETW buffer size [bytes] (Windows: 64 KiB).
    log_file_mode : int
        The header's LogFileMode (1 = sequential; 2 = circular, which the reader refuses).
    split_at : int, optional
        Bytes of a sample record per event [bytes] (default: as many as one buffer holds);
        a record longer than that is split over consecutive events, as Windows does with
        large samples. Small odd values test a reader on values cut by a split.

    Returns
    -------
    path
    """
    ticks = _wall_ticks(times)
    n = len(ticks)
    if not counters:
        raise ValueError("counters is empty: a log needs at least one counter")
    if buffer_size < 4096 or buffer_size & (buffer_size - 1):
        raise ValueError(f"buffer_size must be a power of two >= 4096, got {buffer_size}")
    preps = [_Prepared(rc, n, i) for i, rc in enumerate(counters)]
    zone = tzi or {"bias": int(bias_min), "standard_name": timezone,
                   "standard_date": (0,) * 8, "standard_bias": 0, "daylight_name": timezone,
                   "daylight_date": (0,) * 8, "daylight_bias": 0}
    # the same inputs give the same bytes: the logger's GUID and the file name in the header
    # come from the file's name, not its folder
    logfile = os.path.basename(os.fspath(path))
    logger = uuid.uuid5(uuid.NAMESPACE_URL, f"hvlab-blg:{logfile}:{n}")
    prefix_guid = logger.bytes_le
    max_payload = buffer_size - L.BUFFER_HEADER - L.FULL_HEADER

    def parts_of(ctype, stamp, record):
        room = max_payload - L.PAYLOAD_PREFIX
        if split_at is not None:
            room = max(1, min(room, int(split_at)))
        chunks = [record[i:i + room] for i in range(0, len(record), room)] or [b""]
        return [_full_event(ctype, stamp, prefix_guid + struct.pack("<II", i + 1, len(chunks))
                            + c) for i, c in enumerate(chunks)]

    catalogue = struct.pack("<II", 0x6FF, 0x20008) + b"".join(_entry(p) for p in preps)
    events = parts_of(L.EVENT_CATALOGUE, int(ticks[0]) - 1 if n else 0, catalogue)
    # samples: consecutive samples with the same instances share one template
    pres = np.concatenate([p.present for p in preps], axis=1) if n else np.zeros((0, 0), bool)
    start = 0
    while start < n:
        stop = start + 1
        while stop < n and (pres[stop] == pres[start]).all():
            stop += 1
        row = [p.present[start] for p in preps]
        template, at = _sample_template(preps, row)
        m = stop - start
        block = np.frombuffer(template, np.uint8)[None, :].repeat(m, axis=0)
        for j, (ci, k) in enumerate(at["cols"]):
            p = preps[ci]
            sl = slice(start, stop)
            _put(block, at["status"][j], p.status[sl, 0].astype("<u4"))
            _put(block, at["time"][j], ticks[sl].astype("<i8"))
            _put(block, at["first"][j], p.first[sl, k].astype("<i8"))
            _put(block, at["first"][j] + 8, p.second[sl, k].astype("<i8"))
            _put(block, at["multi"][j], p.multi[sl, k].astype("<u4"))
        for r in range(m):
            events.extend(parts_of(L.EVENT_SAMPLE, int(ticks[start + r]), block[r].tobytes()))
        start = stop
    buffers = _pack(events, buffer_size)
    first_buffer = _file_header(zone, host_os, perf_freq, buffer_size, log_file_mode,
                                len(buffers) + 1, str(logger), logfile, ticks)
    with open(path, "wb") as fh:
        fh.write(first_buffer)
        for b in buffers:
            fh.write(b)
    return path


def _put(block: np.ndarray, offset: int, values: np.ndarray) -> None:
    width = values.dtype.itemsize
    block[:, offset:offset + width] = values.view(np.uint8).reshape(-1, width)


def _buffer_header(size: int, used: int, seq: int, stamp: int, flag: int, btype: int) -> bytes:
    head = bytearray(L.BUFFER_HEADER)
    struct.pack_into("<IIIiqq", head, 0, size, used, 0, 0, stamp, seq)
    struct.pack_into("<IIIHH", head, 0x28, 0, 3 if btype == 0 else 0, used, flag, btype)
    return bytes(head)


def _pack(events: list[bytes], size: int) -> list[bytes]:
    out, cur, used = [], [], L.BUFFER_HEADER
    seq = 1

    def flush():
        nonlocal cur, used, seq
        body = b"".join(cur)
        head = _buffer_header(size, used, seq, 0, 0x21, 0)
        out.append((head + body).ljust(size, b"\xff"))
        cur, used = [], L.BUFFER_HEADER
        seq += 1

    for ev in events:
        need = len(ev) + (-len(ev) % 8)
        if used + need > size:
            flush()
        cur.append(ev.ljust(need, b"\0"))
        used += need
    if cur:
        flush()
    return out


def _file_header(zone, host_os, perf_freq, size, mode, buffers, logger, logfile, ticks) -> bytes:
    major, minor, build = (int(x) for x in host_os.split("."))
    now = int(ticks[-1]) if len(ticks) else 0
    start = int(ticks[0]) if len(ticks) else 0
    tzb = bytearray(172)
    struct.pack_into("<i", tzb, 0, int(zone["bias"]))
    tzb[4:68] = zone["standard_name"].encode("utf-16-le")[:62].ljust(64, b"\0")
    struct.pack_into("<8H", tzb, 68, *zone["standard_date"])
    struct.pack_into("<i", tzb, 84, int(zone["standard_bias"]))
    tzb[88:152] = zone["daylight_name"].encode("utf-16-le")[:62].ljust(64, b"\0")
    struct.pack_into("<8H", tzb, 152, *zone["daylight_date"])
    struct.pack_into("<i", tzb, 168, int(zone["daylight_bias"]))
    body = struct.pack("<I4BIIqIIIIIIIIqq", size, major, minor, 1, 5, build, 1, now, 156250, 0,
                       mode, buffers, 1, 8, 0, 0, 0, 0)
    body += bytes(tzb) + b"\0" * 4
    body += struct.pack("<qqqII", start, perf_freq, start, 2, 0)
    body += logger.encode("utf-16-le") + b"\0\0" + logfile.encode("utf-16-le") + b"\0\0"
    total = L.SYSTEM_HEADER + len(body)
    total += -total % 8
    system = struct.pack("<IHHIIqII", 0xC0020000, total, 0, 0x3EF0, 0x0D9C, start, 0, 0)
    event = (system + body).ljust(total, b"\0")
    used = L.BUFFER_HEADER + len(event)
    head = bytearray(L.BUFFER_HEADER)
    struct.pack_into("<II", head, 0, size, used)
    struct.pack_into("<IHH", head, 0x30, used, 1, 4)
    return (bytes(head) + event).ljust(size, b"\xff")
