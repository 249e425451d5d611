"""The byte layout of a PerfMon binary log (.blg) since Windows Vista, as docs/blg.md describes
it: an ETW trace file of fixed-size buffers, each a 0x48-byte buffer header and then events; the
first buffer holds the TRACE_LOGFILE_HEADER, the others PDH's events (a counter catalogue, then
one event per sample holding ``BL`` records of PDH_RAW_COUNTER values).

This module finds the events and decodes the catalogue and the samples into raw-value columns;
turning raw values into the numbers PerfMon shows is `_blg_cook`'s job, the time zone
`_blg_zone`'s. Offsets marked "confirmed" in docs/blg.md were checked against the sample files
from Windows; the rest is inferred and said so there.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from hvlab.perflog._cells import PerfLogError

BUFFER_HEADER = 0x48          # WMI_BUFFER_HEADER
FULL_HEADER = 48              # EVENT_TRACE_HEADER (full header, 32- and 64-bit alike)
SYSTEM_HEADER = 32            # SYSTEM_TRACE_HEADER before the TRACE_LOGFILE_HEADER
HEADER_TYPES_SYSTEM = (0x01, 0x02)        # TRACE_HEADER_TYPE_SYSTEM32 / SYSTEM64
HEADER_TYPES_FULL = (0x0A, 0x14)          # TRACE_HEADER_TYPE_FULL_HEADER32 / FULL_HEADER64
EVENT_CATALOGUE, EVENT_SAMPLE = 32, 34    # event class types PDH writes
PAYLOAD_PREFIX = 24           # logger GUID, part number, part count
RECORD_HEADER = 8             # "BL", version 3, kind, u32 size (header included)
KIND_SAMPLE, KIND_SINGLE, KIND_MULTI = 0, 1, 2
SINGLE_SIZE = 48              # BL header + PDH_RAW_COUNTER (40 bytes, 8-byte aligned)
MULTI_ITEM = 24               # name offset, multi count, first value, second value
ENTRY_FIXED = 52              # catalogue entry before its strings
FILE_MODE_CIRCULAR = 0x2      # EVENT_TRACE_FILE_MODE_CIRCULAR
_FILETIME_UNIX = 116444736000000000  # 100-ns ticks from 1601-01-01 to 1970-01-01


@dataclass
class LogHeader:
    """What the TRACE_LOGFILE_HEADER says."""

    buffer_size: int
    os_version: str
    pointer_size: int
    log_file_mode: int
    buffers_written: int
    events_lost: int
    buffers_lost: int
    processors: int
    cpu_mhz: int
    perf_freq: int
    start_time: int           # FILETIME (UTC)
    end_time: int
    boot_time: int
    logger_name: str
    log_file_name: str
    tzi: dict


@dataclass
class CounterDef:
    """One catalogue entry: a counter PDH was asked to log."""

    index: int
    machine: str              # with its leading "\\" ("" for the local computer)
    object: str
    instance: str | None      # "*" for a wildcard (its instances come with the data)
    parent: str | None
    instance_index: int
    counter: str
    counter_type: int
    time_base: int
    default_scale: int

    @property
    def wildcard(self) -> bool:
        return self.instance == "*"

    def path(self, instance: str | None = None) -> str:
        """The counter path as PDH writes it (`instance` for a wildcard's instance)."""
        inst = self.instance if instance is None else instance
        text = f"{self.machine}\\{self.object}"
        if inst is not None:
            if instance is None and self.parent:
                inst = f"{self.parent}/{inst}"
            if instance is None and self.instance_index:
                inst = f"{inst}#{self.instance_index}"
            text += f"({inst})"
        return f"{text}\\{self.counter}"


@dataclass
class Damage:
    """What could not be read, counted."""

    buffers: int = 0              # buffers whose header or event chain is broken
    trailing_bytes: int = 0       # bytes after the last whole buffer
    events: int = 0               # events that are not PDH's, or broken
    samples: int = 0              # sample events that could not be decoded (dropped)
    catalogues: int = 0           # extra or broken catalogue events
    split_parts: int = 0          # parts of split events whose other parts are missing
    examples: list = field(default_factory=list)

    def note(self, text: str) -> None:
        if len(self.examples) < 10:
            self.examples.append(text)


# --------------------------------------------------------------------------------------------
# the file header
def utf16z(buf, offset: int, end: int | None = None) -> tuple[str, int]:
    """(NUL-terminated UTF-16LE string at `offset`, offset after its NUL)."""
    end = len(buf) if end is None else min(end, len(buf))
    raw = bytes(buf[offset:end])
    stop = 0
    while stop + 1 < len(raw) and (raw[stop] or raw[stop + 1]):
        stop += 2
    if stop + 1 >= len(raw):
        raise ValueError("string runs past its record")
    return raw[:stop].decode("utf-16-le", errors="replace"), offset + stop + 2


def _systemtime(buf, o) -> tuple:
    return struct.unpack_from("<8H", buf, o)  # year, month, dow, day, hour, min, sec, ms


def looks_like_blg(head: bytes) -> bool:
    """True when `head` (the first bytes of a file) is an ETW trace file's first buffer."""
    if len(head) < BUFFER_HEADER + SYSTEM_HEADER + 8:
        return False
    size = struct.unpack_from("<I", head, 0)[0]
    htype = head[BUFFER_HEADER + 2]
    return (size >= 4096 and size & (size - 1) == 0 and htype in HEADER_TYPES_SYSTEM
            and struct.unpack_from("<I", head, BUFFER_HEADER + SYSTEM_HEADER)[0] == size)


def read_header(data: bytes, name: str) -> LogHeader:
    """The TRACE_LOGFILE_HEADER of the first buffer (PerfLogError when it is not one)."""
    if not looks_like_blg(data[:BUFFER_HEADER + SYSTEM_HEADER + 8]):
        raise PerfLogError(variant_message(name, data[:16]))
    o = BUFFER_HEADER + SYSTEM_HEADER
    try:
        (size, major, minor, sub, subminor, build, procs, end_time, _res, _maxsize, mode,
         written, _start_buffers, ptr, lost, mhz) = struct.unpack_from("<I4BIIqIIIIIIII", data, o)
        if ptr not in (4, 8):
            raise ValueError(f"pointer size {ptr}")
        tz = o + 0x38 + 2 * ptr
        bias = struct.unpack_from("<i", data, tz)[0]
        std_name = bytes(data[tz + 4:tz + 68]).decode("utf-16-le", "replace").split("\0")[0]
        std_date = _systemtime(data, tz + 68)
        std_bias = struct.unpack_from("<i", data, tz + 84)[0]
        dst_name = bytes(data[tz + 88:tz + 152]).decode("utf-16-le", "replace").split("\0")[0]
        dst_date = _systemtime(data, tz + 152)
        dst_bias = struct.unpack_from("<i", data, tz + 168)[0]
        after = tz + 176  # 172 bytes, then 4 of padding: LARGE_INTEGERs are 8-aligned
        boot, freq, start, _flags, buffers_lost = struct.unpack_from("<qqqII", data, after)
        strings = after + 32
        hdr_end = BUFFER_HEADER + struct.unpack_from("<H", data, BUFFER_HEADER + 4)[0]
        try:
            logger, nxt = utf16z(data, strings, hdr_end)
            logfile, _ = utf16z(data, nxt, hdr_end)
        except ValueError:
            logger = logfile = ""
    except (struct.error, ValueError) as exc:
        raise PerfLogError(f"{name}: the binary log's file header is damaged ({exc}); "
                           f"{relog_hint(name)}") from None
    return LogHeader(
        buffer_size=size, os_version=f"{major}.{minor}.{build}", pointer_size=ptr,
        log_file_mode=mode, buffers_written=written, events_lost=lost,
        buffers_lost=buffers_lost, processors=procs, cpu_mhz=mhz, perf_freq=freq,
        start_time=start, end_time=end_time, boot_time=boot, logger_name=logger,
        log_file_name=logfile,
        tzi={"bias": bias, "standard_name": std_name, "standard_date": std_date,
             "standard_bias": std_bias, "daylight_name": dst_name, "daylight_date": dst_date,
             "daylight_bias": dst_bias, "subversion": (sub, subminor)})


def relog_hint(name: str) -> str:
    import os
    base = os.path.basename(name) if not name.startswith("<") else ""
    base = base or "log.blg"
    stem = base[:-4] if base.lower().endswith(".blg") else base
    return f"convert it on Windows with `relog {base} -f csv -o {stem}.csv` and read the CSV"


def variant_message(name: str, head: bytes) -> str:
    """Why a file is not a binary log this reader decodes, and what to do."""
    if not head:
        what = "an empty file"
    elif head[:1] == b'"' or head.lstrip()[:5] in (b"(PDH-", b'"(PDH'):
        what = "a PDH-CSV/TSV text log with a .blg name"
    elif b"\0" not in head[:16] and head[:16].isascii():
        what = f"text ({head[:16]!r}), not a binary log"
    else:
        what = ("not the ETW-based binary log that PerfMon writes since Windows Vista (it may "
                "be a pre-Vista Windows 2000/XP/2003 binary log, or another file)")
    return f"{name}: {what}; hvlab cannot decode it: {relog_hint(name)}"


# --------------------------------------------------------------------------------------------
# buffers and events
def walk_events(data: bytes, buffer_size: int, damage: Damage):
    """(positions, sizes, class types, part numbers, part counts) of every full-header event
    in every buffer, in file order. Walks all buffers at once, one event per step."""
    u8 = np.frombuffer(data, dtype=np.uint8)
    u16 = np.frombuffer(data, dtype="<u2", count=len(data) // 2)
    nbuf = len(data) // buffer_size
    damage.trailing_bytes = len(data) - nbuf * buffer_size
    if nbuf == 0:
        return (np.zeros(0, np.int64),) * 5
    bases = np.arange(nbuf, dtype=np.int64) * buffer_size
    sizes_hdr = _u32(u8, bases)
    used = _u32(u8, bases + 0x30)
    good = (sizes_hdr == buffer_size) & (used >= BUFFER_HEADER) & (used <= buffer_size)
    damage.buffers += int((~good).sum())
    for b in np.flatnonzero(~good)[:3]:
        damage.note(f"buffer {int(b)} (byte {int(bases[b])}): header says size "
                    f"{int(sizes_hdr[b])}, used {int(used[b])}")
    pos = bases[good] + BUFFER_HEADER
    end = bases[good] + used[good]
    found = []
    steps = 0
    while len(pos):
        live = pos + 8 <= end
        pos, end = pos[live], end[live]
        if not len(pos):
            break
        # events start 8-aligned: their u16 sizes are whole items of a u16 view
        half = pos >> 1
        htype = u8[pos + 2]
        system = (htype == HEADER_TYPES_SYSTEM[0]) | (htype == HEADER_TYPES_SYSTEM[1])
        full = (htype == HEADER_TYPES_FULL[0]) | (htype == HEADER_TYPES_FULL[1])
        size = np.where(system, u16[half + 2], u16[half]).astype(np.int64)
        fill = (size == 0xFFFF) & (htype == 0xFF)
        ok = (system | full) & (size >= np.where(full, FULL_HEADER, SYSTEM_HEADER)) & \
            (pos + size <= end)
        broken = ~ok & ~fill
        if broken.any():
            damage.buffers += int(broken.sum())
            for p in pos[broken][:3]:
                damage.note(f"byte {int(p)}: no event header where the event chain of buffer "
                            f"{int(p) // buffer_size} goes on; the rest of that buffer is "
                            "skipped")
        take = ok & full
        found.append(pos[take])
        found.append(size[take])
        nxt = ok
        pos = pos[nxt] + ((size[nxt] + 7) & ~7)
        end = end[nxt]
        steps += 1
    if not found:
        return (np.zeros(0, np.int64),) * 5
    positions = np.concatenate(found[0::2])
    lengths = np.concatenate(found[1::2])
    order = np.argsort(positions, kind="stable")
    positions, lengths = positions[order], lengths[order]
    types = u8[positions + 4].astype(np.int64)
    has_prefix = lengths >= FULL_HEADER + PAYLOAD_PREFIX
    part = np.where(has_prefix, _u32(u8, np.where(has_prefix, positions + FULL_HEADER + 16, 0)),
                    0)
    parts = np.where(has_prefix, _u32(u8, np.where(has_prefix, positions + FULL_HEADER + 20, 0)),
                     0)
    return positions, lengths, types, part, parts


def _u32(u8: np.ndarray, at: np.ndarray) -> np.ndarray:
    at = np.asarray(at, dtype=np.int64)
    return (u8[at].astype(np.int64) | (u8[at + 1].astype(np.int64) << 8)
            | (u8[at + 2].astype(np.int64) << 16) | (u8[at + 3].astype(np.int64) << 24))


def gather_i64(u8: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Little-endian int64 values at byte offsets `at` (any shape)."""
    at = np.asarray(at, dtype=np.int64)
    if at.size and not (at & 7).any():
        return np.frombuffer(u8, dtype="<i8", count=len(u8) // 8)[at >> 3]
    out = np.zeros(at.shape, dtype=np.uint64)
    for b in range(8):
        out |= u8[at + b].astype(np.uint64) << np.uint64(8 * b)
    return out.view(np.int64)


def gather_u32(u8: np.ndarray, at: np.ndarray) -> np.ndarray:
    at = np.asarray(at, dtype=np.int64)
    if at.size and not (at & 3).any():
        return np.frombuffer(u8, dtype="<u4", count=len(u8) // 4)[at >> 2].astype(np.int64)
    return _u32(u8, at)


# --------------------------------------------------------------------------------------------
# the catalogue
def parse_catalogue(payload: bytes) -> list[CounterDef]:
    """The counters of a catalogue event's payload (after the 24-byte prefix)."""
    out: list[CounterDef] = []
    q = 8  # two u32 of unknown meaning (0x6FF, 0x20008 in every sample)
    while q + ENTRY_FIXED <= len(payload):
        size, _flags, _ident, ctype = struct.unpack_from("<IIII", payload, q)
        if size == 0:
            break
        if size < ENTRY_FIXED or q + size > len(payload):
            raise ValueError(f"catalogue entry {len(out) + 1} has size {size}")
        time_base, scale, _unknown, o_obj, o_inst, o_par, inst_index, o_ctr = \
            struct.unpack_from("<qiIiiiii", payload, q + 16)
        base, end = q + ENTRY_FIXED, q + size

        def text(offset):
            if offset < 0:
                return None
            if base + offset >= end:
                raise ValueError(f"catalogue entry {len(out) + 1}: string offset {offset}")
            return utf16z(payload, base + offset, end)[0]

        out.append(CounterDef(
            index=len(out), machine=text(0), object=text(o_obj), instance=text(o_inst),
            parent=text(o_par), instance_index=inst_index, counter=text(o_ctr),
            counter_type=ctype, time_base=time_base, default_scale=scale))
        q += size
    if not out:
        raise ValueError("the catalogue holds no counters")
    return out


# --------------------------------------------------------------------------------------------
# samples
@dataclass
class Layout:
    """Where the values of one sample event's records are, relative to its payload.

    ``slots``: one per value column, (counter index, instance name or None); ``status_at``,
    ``first_at`` (SecondValue follows it) and ``multi_at`` their byte offsets in the payload.
    ``check``: byte offsets that must equal ``expect`` in every payload with this layout
    (record headers, counts, name offsets and names); ``template`` the whole first payload."""

    length: int
    slots: list
    status_at: np.ndarray
    first_at: np.ndarray
    multi_at: np.ndarray
    check: np.ndarray
    expect: np.ndarray
    template: np.ndarray = None

    def matches(self, u8: np.ndarray, bases: np.ndarray) -> np.ndarray:
        """Which payloads starting at `bases` in `u8` have this layout (bool per base)."""
        if not len(self.check):
            return np.ones(len(bases), bool)
        if len(bases) * len(self.check) <= 2_000_000:  # small: one gather for all
            return (u8[bases[:, None] + self.check[None, :]] == self.expect).all(axis=1)
        # large samples: compare 8 bytes at a time, the values masked out
        words = self.length // 8
        mask = np.zeros(self.length, np.uint8)
        mask[self.check] = 0xFF
        mask64 = mask[:words * 8].view(np.uint64)
        want64 = self.template[:words * 8].view(np.uint64) & mask64
        tail = self.check[self.check >= words * 8]
        tail_want = self.template[tail]
        out = np.empty(len(bases), bool)
        for i, at in enumerate(bases.tolist()):
            got = u8[at:at + words * 8].view(np.uint64)
            out[i] = np.array_equal(got & mask64, want64) and \
                bool((u8[at + tail] == tail_want).all())
        return out


def parse_sample(payload: bytes, counters: list[CounterDef]) -> Layout:
    """The layout of one sample payload (prefix included); ValueError when it does not fit
    the catalogue."""
    n = len(payload)
    q = PAYLOAD_PREFIX
    if n < q + RECORD_HEADER or payload[q:q + 2] != b"BL":
        raise ValueError("no sample record")
    kind, size = payload[q + 3], struct.unpack_from("<I", payload, q + 4)[0]
    if kind != KIND_SAMPLE or q + size != n:
        raise ValueError(f"sample record of kind {kind}, size {size} in a {n}-byte payload")
    check = list(range(q, q + 8))
    slots, status_at, first_at, multi_at = [], [], [], []
    q += RECORD_HEADER
    for cdef in counters:
        if q + RECORD_HEADER > n or payload[q:q + 3] != b"BL\x03":
            raise ValueError(f"record {cdef.index + 1} missing")
        kind, size = payload[q + 3], struct.unpack_from("<I", payload, q + 4)[0]
        if size < RECORD_HEADER or q + size > n:
            raise ValueError(f"record {cdef.index + 1} has size {size}")
        check.extend(range(q, q + 8))
        if kind == KIND_SINGLE and not cdef.wildcard:
            if size != SINGLE_SIZE:
                raise ValueError(f"single record {cdef.index + 1} has size {size}")
            slots.append((cdef.index, None))
            status_at.append(q + 8)
            first_at.append(q + 24)
            multi_at.append(q + 40)
        elif kind == KIND_MULTI and cdef.wildcard:
            body = q + RECORD_HEADER
            datalen, count = struct.unpack_from("<II", payload, body)
            if datalen + RECORD_HEADER != size or 24 + MULTI_ITEM * count > datalen:
                raise ValueError(f"multi record {cdef.index + 1}: {count} items in "
                                 f"{datalen} bytes")
            check.extend(range(body, body + 8))
            seen: dict = {}
            for k in range(count):
                item = body + 24 + MULTI_ITEM * k
                name_off = struct.unpack_from("<I", payload, item)[0]
                if name_off < 24 + MULTI_ITEM * count or name_off >= datalen:
                    raise ValueError(f"multi record {cdef.index + 1}: name offset {name_off}")
                name, stop = utf16z(payload, body + name_off, body + datalen)
                check.extend(range(item, item + 4))
                check.extend(range(body + name_off, stop))
                times = seen.get(name, 0)
                seen[name] = times + 1
                slots.append((cdef.index, f"{name}#{times}" if times else name))
                status_at.append(body + 8)      # one status for the whole array
                first_at.append(item + 8)
                multi_at.append(item + 4)
        else:
            raise ValueError(f"record {cdef.index + 1} is of kind {kind} for "
                             f"{'a wildcard' if cdef.wildcard else 'a single'} counter")
        q += size
    if q != n:
        raise ValueError(f"{n - q} bytes after the last record")
    arr = np.frombuffer(payload, dtype=np.uint8)
    check_at = np.asarray(check, dtype=np.int64)
    return Layout(length=n, slots=slots, status_at=np.asarray(status_at, np.int64),
                  first_at=np.asarray(first_at, np.int64), multi_at=np.asarray(multi_at, np.int64),
                  check=check_at, expect=arr[check_at].copy(), template=arr.copy())


def filetime_to_datetime64(ft: np.ndarray) -> np.ndarray:
    """FILETIME ticks (100 ns since 1601) -> datetime64[ns]; NaT outside pandas' range."""
    ft = np.asarray(ft, dtype=np.int64)
    lo, hi = _FILETIME_UNIX - 92233720368547758, _FILETIME_UNIX + 92233720368547758
    ok = (ft > lo) & (ft < hi)
    ns = np.where(ok, (ft - _FILETIME_UNIX) * 100, np.iinfo(np.int64).min)
    return ns.astype("datetime64[ns]")
