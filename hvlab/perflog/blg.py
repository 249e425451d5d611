r"""Read (and write) PerfMon's binary logs (.blg) without Windows.

A .blg from Windows Vista or later is an ETW trace file: 64 KiB buffers, the log's header (OS
version, time zone), a counter catalogue (counter paths, types, time bases) and one event per
sample holding the raw counter values (PDH_RAW_COUNTER). `read_blg` decodes them with numpy and
turns the raw values into the numbers PerfMon shows by Microsoft's formula for each counter
type, so ``read_perflog("x.blg")`` gives the frame ``relog x.blg -f csv`` would. docs/blg.md
describes the format as decoded from sample files, what is confirmed and what inferred.

`write_blg` writes the same structure from raw counter values (for tests, benchmarks and the
workshop's sample log): a file laid out as the samples from Windows are, but not checked with
Windows' own reader.

>>> import hvlab as hv
>>> df, meta = hv.read_perflog("DataCollector01.blg")  # doctest: +SKIP
>>> meta["format"], meta["os_version"], meta["bad_samples"]  # doctest: +SKIP
('blg', '10.0.14393', 0)
"""
from __future__ import annotations

import datetime as _dt
import mmap
import os
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hvlab.perflog import _blg_layout as L
from hvlab.perflog._blg_cook import (CALC_FIRST, CALC_NEGATIVE, CALC_NO_TIME, CALC_OK,
                                     CALC_UNSUPPORTED, COUNTER_TYPES, cook, formula,
                                     type_name)
from hvlab.perflog._blg_write import RawCounter, write_blg
from hvlab.perflog._blg_zone import daylight_mask, wall_to_utc_offsets, zone_name
from hvlab.perflog._cells import PerfLogError
from hvlab.perflog._colindex import unique_columns
from hvlab.perflog._times import interval_s, localise
from hvlab.perflog.paths import lenient_counter_path, path_matcher

__all__ = ["read_blg", "looks_like_blg", "write_blg", "RawCounter", "COUNTER_TYPES",
           "STATUS_NAMES"]

looks_like_blg = L.looks_like_blg

#: PDH counter status codes (CStatus; Microsoft Learn, "PDH Error Codes"): values with the top
#: bit set are errors, and a value with such a status is not used.
STATUS_NAMES = {
    0x00000000: "PDH_CSTATUS_VALID_DATA", 0x00000001: "PDH_CSTATUS_NEW_DATA",
    0x800007D0: "PDH_CSTATUS_NO_MACHINE", 0x800007D1: "PDH_CSTATUS_NO_INSTANCE",
    0x800007D3: "PDH_CSTATUS_ITEM_NOT_VALIDATED", 0x800007D5: "PDH_NO_DATA",
    0x800007D6: "PDH_CALC_NEGATIVE_DENOMINATOR", 0x800007D7: "PDH_CALC_NEGATIVE_TIMEBASE",
    0x800007D8: "PDH_CALC_NEGATIVE_VALUE", 0xC0000BB8: "PDH_CSTATUS_NO_OBJECT",
    0xC0000BB9: "PDH_CSTATUS_NO_COUNTER", 0xC0000BBA: "PDH_CSTATUS_INVALID_DATA",
}


def _status_name(code: int) -> str:
    return f"{STATUS_NAMES.get(code, 'status')} (0x{code:08X})"


# --------------------------------------------------------------------------------------------
# reading
@dataclass
class _Events:
    """The PDH events of a file: catalogue and sample payload locations, in file order."""

    catalogues: list            # (ordinal, payload bytes)
    sample_pos: np.ndarray      # payload start in its source
    sample_len: np.ndarray
    sample_src: np.ndarray      # 0: one event; else 1 + the id of its parts' lengths
    sample_time: np.ndarray     # event header time stamp (FILETIME, local wall clock)
    parts: dict                 # split sample -> physical (start, end) of each part's data


def _events(data: bytes, header: L.LogHeader, damage: L.Damage) -> _Events:
    pos, size, types, part, parts = L.walk_events(data, header.buffer_size, damage)
    u8 = np.frombuffer(data, dtype=np.uint8)
    pdh = np.isin(types, (L.EVENT_CATALOGUE, L.EVENT_SAMPLE)) & \
        (size >= L.FULL_HEADER + L.PAYLOAD_PREFIX)
    other = int((~pdh).sum())
    if other:
        damage.events += other
        damage.note(f"{other} events that are not PDH catalogue or sample events were skipped")
    pos, size, types, part, parts = pos[pdh], size[pdh], types[pdh], part[pdh], parts[pdh]
    whole = (part == 1) & (parts == 1)
    stamps = L.gather_i64(u8, pos + 16) if len(pos) else np.zeros(0, np.int64)
    is_cat = types == L.EVENT_CATALOGUE
    # whole sample events (nearly all): in one step
    one = np.flatnonzero(whole & ~is_cat)
    ords = [one]
    spos, slen = [pos[one] + L.FULL_HEADER], [size[one] - L.FULL_HEADER]
    ssrc = [np.zeros(len(one), np.int64)]
    cat_events = []  # (ordinal, payload)
    for i in np.flatnonzero(whole & is_cat).tolist():
        cat_events.append((i, bytes(data[pos[i] + L.FULL_HEADER:pos[i] + size[i]])))
    # records split over consecutive events: parts 1..k of k (inferred, docs/blg.md)
    split_at: dict = {}   # ordinal -> part ranges
    shapes: dict = {}
    rest = np.flatnonzero(~whole).tolist()
    n, r = len(pos), 0
    while r < len(rest):
        i = rest[r]
        k = int(parts[i])
        j = i + k
        ok = (part[i] == 1 and 1 < k <= 4096 and j <= n
              and (part[i:j] == np.arange(1, k + 1)).all() and (parts[i:j] == k).all()
              and (types[i:j] == types[i]).all())
        if not ok:
            damage.split_parts += 1
            damage.note(f"event at byte {int(pos[i])}: part {int(part[i])} of "
                        f"{int(parts[i])} without its other parts; skipped")
            r += 1
            continue
        ranges = [(int(pos[i]) + L.FULL_HEADER, int(pos[i] + size[i]))]
        ranges += [(int(pos[m]) + L.FULL_HEADER + L.PAYLOAD_PREFIX, int(pos[m] + size[m]))
                   for m in range(i + 1, j)]
        if is_cat[i]:
            cat_events.append((i, b"".join(bytes(data[a:b]) for a, b in ranges)))
        else:
            split_at[i] = ranges
        r += k
    if split_at:
        keys = list(split_at)
        ords.append(np.array(keys, np.int64))
        spos.append(np.full(len(keys), -1, np.int64))
        slen.append(np.array([sum(b - a for a, b in split_at[o]) for o in keys], np.int64))
        ssrc.append(np.array([1 + shapes.setdefault(tuple(b - a for a, b in split_at[o]),
                                                    len(shapes)) for o in keys], np.int64))
    order_all = np.concatenate(ords)
    order = np.argsort(order_all, kind="stable")
    ordinal = order_all[order]
    index_of = {int(o): k for k, o in enumerate(ordinal.tolist())} if split_at else {}
    catalogues = [(int(np.searchsorted(ordinal, o)), payload) for o, payload in
                  sorted(cat_events, key=lambda c: c[0])]
    # a split sample is read where its parts are (copying 100s of MB costs more than mapping)
    return _Events(catalogues, np.concatenate(spos)[order], np.concatenate(slen)[order],
                   np.concatenate(ssrc)[order], stamps[ordinal],
                   {index_of[o]: ranges for o, ranges in split_at.items()})


def _catalogues(events: _Events, name: str, damage: L.Damage):
    """[(first sample index it applies to, [CounterDef])], broken ones counted."""
    out = []
    for first, payload in events.catalogues:
        try:
            defs = L.parse_catalogue(payload[L.PAYLOAD_PREFIX:])
        except (ValueError, UnicodeDecodeError) as exc:
            damage.catalogues += 1
            damage.note(f"a counter catalogue is damaged ({exc}); skipped")
            continue
        if out and [d.path() for d in out[-1][1]] == [d.path() for d in defs] and \
                [d.counter_type for d in out[-1][1]] == [d.counter_type for d in defs]:
            continue  # the same catalogue again
        out.append((first, defs))
    if not out:
        raise PerfLogError(f"{name}: no readable counter catalogue: the file is damaged or is "
                           f"not a PerfMon binary log; {L.relog_hint(name)}")
    return out


class _Place:
    """Split samples with parts of the same lengths: payload offset -> file position."""

    def __init__(self, events: _Events, samples: np.ndarray):
        self.starts = np.array([[a for a, _ in events.parts[int(s)]] for s in samples],
                               np.int64)
        lengths = [b - a for a, b in events.parts[int(samples[0])]]
        self.cum = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)

    def subset(self, keep: np.ndarray) -> "_Place":
        other = object.__new__(_Place)
        other.starts, other.cum = self.starts[keep], self.cum
        return other

    def positions(self, offsets: np.ndarray) -> np.ndarray:
        part = np.searchsorted(self.cum, offsets, side="right") - 1
        return self.starts[:, part] + (offsets - self.cum[part])[None, :]

    def gather(self, u8: np.ndarray, offsets: np.ndarray, width: int) -> np.ndarray:
        part = np.searchsorted(self.cum, offsets, side="right") - 1
        whole = offsets + width <= self.cum[part + 1]
        out = np.zeros((len(self.starts), len(offsets)), np.int64)
        get = L.gather_i64 if width == 8 else L.gather_u32
        if whole.any():
            out[:, whole] = get(u8, self.positions(offsets[whole]))
        if not whole.all():  # a value across the end of a part: byte by byte
            acc = np.zeros((len(self.starts), int((~whole).sum())), np.uint64)
            for b in range(width):
                byte = u8[self.positions(offsets[~whole] + b)].astype(np.uint64)
                acc |= byte << np.uint64(8 * b)
            out[:, ~whole] = acc.view(np.int64) if width == 8 else acc.astype(np.int64)
        return out

    def matches(self, u8: np.ndarray, layout: L.Layout) -> np.ndarray:
        """Which of these samples have `layout` (bool per sample)."""
        mask = np.zeros(layout.length, np.uint8)
        mask[layout.check] = 0xFF
        want = layout.template & mask
        out = np.ones(len(self.starts), bool)
        for k in range(len(self.cum) - 1):
            lo, hi = int(self.cum[k]), int(self.cum[k + 1])
            m, w = mask[lo:hi], want[lo:hi]
            words = (hi - lo) // 8
            m64, w64 = m[:words * 8].view(np.uint64), w[:words * 8].view(np.uint64)
            for i, at in enumerate(self.starts[:, k].tolist()):
                if out[i]:
                    seg = u8[at:at + hi - lo]
                    out[i] = np.array_equal(seg[:words * 8].view(np.uint64) & m64, w64) and \
                        np.array_equal(seg[words * 8:] & m[words * 8:], w[words * 8:])
        return out


@dataclass
class _Group:
    """Samples that share one layout: their indices and where their values are."""

    catalogue: int
    layout: L.Layout
    samples: np.ndarray
    place: _Place | None    # where the parts of split samples are; None: one event each

    def gather(self, u8: np.ndarray, base: np.ndarray, offsets: np.ndarray, width: int):
        """The `width`-byte values at payload `offsets` of every sample of the group."""
        get = L.gather_i64 if width == 8 else L.gather_u32
        if self.place is None:
            return get(u8, base[:, None] + offsets[None, :])
        return self.place.gather(u8, offsets, width)


def _layouts(data: bytes, events: _Events, cats, damage: L.Damage) -> list[_Group]:
    """Group the samples by layout: per (catalogue, payload length), parse one sample, check
    every other against it in one numpy step, parse the first that differs, and so on."""
    n = len(events.sample_pos)
    starts = np.array([c[0] for c in cats], np.int64)
    cat_of = np.searchsorted(starts, np.arange(n), side="right") - 1
    groups: list[_Group] = []
    before_catalogue = cat_of < 0
    if before_catalogue.any():
        damage.samples += int(before_catalogue.sum())
        damage.note(f"{int(before_catalogue.sum())} samples come before any readable counter "
                    "catalogue; skipped")
    keys = (np.where(before_catalogue, -1, cat_of) * (1 << 20) + events.sample_src) * \
        (1 << 32) + events.sample_len
    u8 = np.frombuffer(data, dtype=np.uint8)
    for key in np.unique(keys[~before_catalogue]):
        todo = np.flatnonzero(keys == key)
        ci, src = int(key >> 52), int(key >> 32) & ((1 << 20) - 1)
        defs = cats[ci][1]
        while len(todo):
            first = int(todo[0])
            at, length = int(events.sample_pos[first]), int(events.sample_len[first])
            place = _Place(events, todo) if src else None
            try:
                payload = u8[at:at + length].tobytes() if not src else b"".join(
                    u8[a:b].tobytes() for a, b in events.parts[first])
                layout = L.parse_sample(payload, defs)
            except (ValueError, UnicodeDecodeError) as exc:
                damage.samples += 1
                damage.note(f"sample {first + 1}"
                            f"{' (split over events)' if src else f' at byte {at}'}: {exc}; "
                            "skipped")
                todo = todo[1:]
                continue
            same = layout.matches(u8, events.sample_pos[todo]) if not src else \
                place.matches(u8, layout)
            same[0] = True
            groups.append(_Group(ci, layout, todo[same],
                                 place.subset(same) if src else None))
            todo = todo[~same]
    return groups


@dataclass
class _Column:
    key: tuple                  # (catalogue counter path without instance, instance)
    cdef: L.CounterDef
    path: str
    order: tuple
    frame_key: tuple            # (host, object, instance, counter)


def read_blg(source, *, name: str | None = None, tz=None, dtype="float64",
             errors: str = "raise", counters=None, header_only: bool = False):
    """Read a PerfMon binary log into the frame and metadata `read_perflog` returns.

    Parameters
    ----------
    source : str, os.PathLike or bytes
        The .blg file, or its bytes.
    name : str, optional
        The name used in messages (default: the path).
    tz, dtype, counters
        As for `read_perflog`.
    errors : {"raise", "coerce"}
        Accepted for symmetry with `read_perflog`: damage in a binary log never stops the
        read; what could not be decoded is counted in the metadata either way.
    header_only : bool
        Return only what `read_perflog`'s header reading returns (format, time zone, paths,
        keys): for `read_perflogs(engine="dask")`.

    Returns
    -------
    (DataFrame, dict), or dict with `header_only`
        The frame and the metadata of `read_perflog` (format "blg", encoding and version
        None; rows * columns == numeric_cells + missing_cells + bad_cells), and:

        ========================  ==========================================================
        os_version                the logging host's Windows ("10.0.14393")
        bad_samples               samples with a raw value whose PDH status is an error,
                                  plus samples that could not be decoded: what Windows'
                                  reader reports as errors
        status_cells, statuses    values with an error status; {status name: count}
        calc_errors               values the type's formula could not give (a counter that
                                  went backwards, a clock that stood still): in bad_cells
        damaged_samples           sample events that could not be decoded (not in the frame)
        damaged_buffers           buffers with a broken header or event chain
        skipped_events            events that are not PDH's catalogue or samples
        damaged_catalogues        counter catalogues that could not be read
        trailing_bytes            bytes after the last whole buffer
        damage_examples           what was skipped, where (first ten)
        counter_types             {path: "PERF_COUNTER_COUNTER", ...}
        counter_info              per column: path, type, type_value, time_base [1/s],
                                  default_scale
        timezone_candidates       Windows zones matching the header's rules
        timezone_source           "header" (names as text), "resource" (a known tzres.dll
                                  reference), "rules" (matched by rules)
        timezone_rules            the header's TIME_ZONE_INFORMATION
        from the file header      pointer_size, log_file_name, logger_name, events_lost,
                                  buffers_lost
        ========================  ==========================================================

    Raises
    ------
    PerfLogError
        Not a binary log this reader decodes (pre-Vista, circular, text, no readable
        catalogue): the message names the file and the relog command that converts it.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, name = bytes(source), name or "<buffer>"
    else:
        path = os.fspath(source)
        name = name or str(path)
        data = _map(path)
    header = L.read_header(data, name)
    if header.log_file_mode & L.FILE_MODE_CIRCULAR:
        raise PerfLogError(
            f"{name}: a circular binary log (LogFileMode 0x{header.log_file_mode:08X}: the "
            "logger overwrote its oldest buffers, so the order and the counter catalogue "
            f"cannot be trusted); hvlab does not decode this variant: {L.relog_hint(name)}")
    if not (4096 <= header.buffer_size <= (1 << 24)):
        raise PerfLogError(f"{name}: buffer size {header.buffer_size} is not one a binary "
                           f"log uses; the file is damaged: {L.relog_hint(name)}")
    warnings: list[str] = []
    damage = L.Damage()
    events = _events(data, header, damage)
    cats = _catalogues(events, name, damage)
    groups = _layouts(data, events, cats, damage)
    match = path_matcher(counters) if counters is not None else None

    # the columns: catalogue order, a wildcard's instances in order of first appearance
    columns: dict = {}
    file_counters: dict = {}
    for g in groups:
        defs = cats[g.catalogue][1]
        first_sample = int(g.samples.min())
        for slot_no, (ci, inst) in enumerate(g.layout.slots):
            cdef = defs[ci]
            key = (cdef.path(), inst)
            if key in file_counters:
                old = file_counters[key]
                if (first_sample, slot_no) < old[1][1:]:
                    file_counters[key] = (old[0], (ci, first_sample, slot_no))
                continue
            file_counters[key] = (cdef, (ci, first_sample, slot_no))
    for key, (cdef, order) in file_counters.items():
        text = cdef.path(key[1]) if key[1] is not None else cdef.path()
        cp, _ = lenient_counter_path(text)
        if match is not None and not match(cp, text):
            continue
        columns[key] = _Column(key, cdef, text, order, cp.key)
    if match is not None and not columns:
        shown = ", ".join(repr(cdef.path(k[1]) if k[1] else cdef.path())
                          for k, (cdef, _) in list(file_counters.items())[:5])
        raise PerfLogError(f"{name}: counters={counters!r} matched none of the "
                           f"{len(file_counters)} counters in the file (first: {shown})")
    ordered = sorted(columns.values(), key=lambda c: c.order)
    col_of = {c.key: i for i, c in enumerate(ordered)}

    # keep the samples that were decoded, in file order
    decoded = np.zeros(len(events.sample_pos), bool)
    for g in groups:
        decoded[g.samples] = True
    keep = np.flatnonzero(decoded)
    row_of = np.full(len(decoded), -1, np.int64)
    row_of[keep] = np.arange(len(keep))
    wall = L.filetime_to_datetime64(events.sample_time[keep])
    bias_at_start, zone_label, candidates, how = _zone(header.tzi, wall, warnings)
    if header_only:
        keys = [c.frame_key for c in ordered]
        return {"format": "blg", "version": None, "timezone": zone_label,
                "bias_min": bias_at_start, "encoding": None, "paths": [c.path for c in ordered],
                "keys": keys, "warnings": warnings}

    nrow, ncol = len(keep), len(ordered)
    present = np.zeros((nrow, ncol), bool)
    status = np.zeros((nrow, ncol), np.int64)
    first = np.zeros((nrow, ncol), np.int64)
    second = np.zeros((nrow, ncol), np.int64)
    multi = np.ones((nrow, ncol), np.int64)
    u8 = np.frombuffer(data, dtype=np.uint8)
    uses_multi = np.array([formula(c.cdef.counter_type) in ("multi", "multi_inv")
                           for c in ordered], bool)
    for g in groups:
        defs = cats[g.catalogue][1]
        sel = [(k, col_of[(defs[ci].path(), inst)]) for k, (ci, inst) in
               enumerate(g.layout.slots) if (defs[ci].path(), inst) in col_of]
        if not sel:
            continue
        slots = np.array([k for k, _ in sel], np.int64)
        cols = np.array([c for _, c in sel], np.int64)
        rows = row_of[g.samples]
        base = events.sample_pos[g.samples]
        ix = _block(rows, cols)
        present[ix] = True
        status[ix] = g.gather(u8, base, g.layout.status_at[slots], 4)
        first[ix] = g.gather(u8, base, g.layout.first_at[slots], 8)
        second[ix] = g.gather(u8, base, g.layout.first_at[slots] + 8, 8)
        if uses_multi[cols].any():  # MultiCount only enters the _MULTI_TIMER formulas
            multi[ix] = g.gather(u8, base, g.layout.multi_at[slots], 4)

    failed = present & ((status & 0x80000000) != 0)
    valid = present & ~failed
    values = np.full((nrow, ncol), np.nan)
    codes = np.full((nrow, ncol), CALC_FIRST, np.int8)
    by_type: dict = {}
    for i, c in enumerate(ordered):
        by_type.setdefault((c.cdef.counter_type, c.cdef.time_base), []).append(i)
    for (ctype, base_freq), idx in by_type.items():
        v, k = cook(ctype, base_freq, first[:, idx], second[:, idx], multi[:, idx],
                    valid[:, idx])
        values[:, idx] = v
        codes[:, idx] = k

    numeric = int((codes == CALC_OK).sum())
    status_cells = int(failed.sum())
    calc_bad = (codes == CALC_NEGATIVE) | (codes == CALC_NO_TIME)
    unsupported = codes == CALC_UNSUPPORTED
    bad_cells = status_cells + int(calc_bad.sum()) + int(unsupported.sum())
    missing = nrow * ncol - numeric - bad_cells
    statuses = Counter(int(s) for s in status[failed].tolist()) if status_cells else Counter()
    bad_samples = int(failed.any(axis=1).sum()) + damage.samples + damage.split_parts
    _warn(warnings, damage, statuses, status_cells, failed, calc_bad, codes, unsupported,
          ordered, nrow)

    index = pd.DatetimeIndex(wall, name="time")
    if tz is not None:
        index = localise(index, tz, zone_label, bias_at_start, name, warnings)
    else:
        index = _in_zone(index, header.tzi, bias_at_start, zone_label)
    keys = [c.frame_key for c in ordered]
    colidx, dups = unique_columns(keys, [c.path for c in ordered], warnings)
    frame = pd.DataFrame(values.astype(dtype, copy=False), index=index, columns=colidx,
                         copy=False)
    valid_idx = frame.index[~frame.index.isna()]
    meta = {
        "format": "blg", "version": None, "timezone": zone_label, "bias_min": bias_at_start,
        "encoding": None, "rows": nrow, "columns": ncol, "numeric_cells": numeric,
        "missing_cells": missing, "bad_cells": bad_cells, "absent_cells": int((~present).sum()),
        "extra_cells": 0, "interval_s": interval_s(frame.index),
        "start": valid_idx.min() if len(valid_idx) else None,
        "end": valid_idx.max() if len(valid_idx) else None,
        "paths": [c.path for c in ordered],
        "file_counters": len(file_counters), "duplicate_paths": dups,
        "bad_samples": bad_samples, "status_cells": status_cells,
        "statuses": {_status_name(k): v for k, v in statuses.most_common()},
        "calc_errors": int(calc_bad.sum()),
        "damaged_samples": damage.samples + damage.split_parts,
        "damaged_buffers": damage.buffers, "skipped_events": damage.events,
        "damaged_catalogues": damage.catalogues, "trailing_bytes": damage.trailing_bytes,
        "damage_examples": list(damage.examples),
        "counter_types": {c.path: type_name(c.cdef.counter_type) for c in ordered},
        "counter_info": [{"path": c.path, "type": type_name(c.cdef.counter_type),
                          "type_value": c.cdef.counter_type, "time_base": c.cdef.time_base,
                          "default_scale": c.cdef.default_scale} for c in ordered],
        "os_version": header.os_version, "pointer_size": header.pointer_size,
        "log_file_name": header.log_file_name, "logger_name": header.logger_name,
        "timezone_candidates": candidates, "timezone_source": how,
        "timezone_rules": {k: v for k, v in header.tzi.items() if k != "subversion"},
        "events_lost": header.events_lost, "buffers_lost": header.buffers_lost,
        "bad_times": int(np.isnat(wall).sum()), "bad_examples": [],
        "console_lines": 0, "console_text": [], "blank_lines": 0, "description": None,
        "warnings": warnings, "source": name, "header_cell": None,
    }
    return frame, meta


def _block(rows: np.ndarray, cols: np.ndarray):
    """An index for arr[rows x cols]: slices when both are ascending runs (fast), else ix_."""
    def run(x):
        if len(x) and x[-1] - x[0] == len(x) - 1 and (np.diff(x) == 1).all():
            return slice(int(x[0]), int(x[-1]) + 1)
        return None
    r, c = run(rows), run(cols)
    if r is not None and c is not None:
        return r, c
    return np.ix_(rows, cols)


def _map(path) -> bytes | mmap.mmap:
    """The file's bytes, mapped (not copied) when it has any."""
    with open(path, "rb") as fh:
        try:
            return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (ValueError, OSError):  # empty, or a file that cannot be mapped
            return fh.read()


def _zone(tzi: dict, wall: np.ndarray, warnings: list):
    """(bias at the first sample [min], zone label, candidate names, how the name was found)."""
    good = wall[~np.isnat(wall)]
    first = good[:1] if len(good) else np.array([np.datetime64("2000-01-15")], "datetime64[ns]")
    daylight = bool(daylight_mask(first, tzi)[0])
    bias = int(tzi["bias"] + (tzi["daylight_bias"] if daylight else tzi["standard_bias"]))
    if abs(bias) >= 24 * 60:
        warnings.append(f"the header's bias {bias} min is not a time-zone offset; times are "
                        "left without a zone (pass tz=)")
        return None, None, [], "none"
    year = int(first.astype("datetime64[Y]").astype(np.int64)[0] + 1970)
    name, candidates, how = zone_name(tzi, year, daylight)
    if name is None:
        label = _dt.timezone(_dt.timedelta(minutes=-bias)).tzname(None)
        ref = tzi["standard_name"] or "(no name)"
        if candidates:
            warnings.append(f"the log names its zone by a Windows resource ({ref}) and "
                            f"{len(candidates)} Windows zones have its rules "
                            f"({', '.join(candidates[:5])}): times are given at {label}; pass "
                            "tz= (e.g. 'Europe/Berlin') for a named zone")
        else:
            warnings.append(f"the log's zone ({ref}) matches no Windows zone known here: times "
                            f"are given at {label}")
        return bias, label, candidates, how
    return bias, name, candidates, how


def _in_zone(index: pd.DatetimeIndex, tzi: dict, bias: int | None, label: str | None):
    """Wall clock -> instants (each at the bias in force then) shown at the first sample's
    offset, named `label`: a log that crosses a daylight-saving change keeps every instant."""
    if bias is None:
        return index
    offsets = np.asarray(wall_to_utc_offsets(index.to_numpy(), tzi))
    utc = index.to_numpy() + (offsets * 60_000_000_000).astype("timedelta64[ns]")
    zone = _dt.timezone(_dt.timedelta(minutes=-bias), label) if label else \
        _dt.timezone(_dt.timedelta(minutes=-bias))
    return pd.DatetimeIndex(utc, name="time").tz_localize("UTC").tz_convert(zone)


def _warn(warnings, damage, statuses, status_cells, failed, calc_bad, codes, unsupported,
          ordered, nrow):
    if status_cells:
        rows = int(failed.any(axis=1).sum())
        what = ", ".join(f"{_status_name(k)} x{v}" for k, v in statuses.most_common(3))
        warnings.append(f"{status_cells} raw values in {rows} samples carry an error status "
                        f"({what}): read as missing and counted in bad_cells; these samples "
                        "are the bad_samples Windows' reader reports as errors")
    if calc_bad.any():
        back = int((codes == CALC_NEGATIVE).sum())
        stall = int((codes == CALC_NO_TIME).sum())
        cols = sorted({ordered[j].path for j in np.flatnonzero(calc_bad.any(axis=0))})
        warnings.append(f"{back + stall} values could not be computed ({back} would be "
                        f"negative: a counter that went backwards after a restart or a wrap, "
                        f"or an inverse timer whose idle time outran its clock; {stall} where "
                        f"the time did not advance), as PDH's PDH_CALC_NEGATIVE_* statuses: "
                        f"missing, counted in bad_cells (first counter: {cols[0]})")
    if unsupported.any():
        kinds = sorted({type_name(ordered[j].cdef.counter_type)
                        for j in np.flatnonzero(unsupported.any(axis=0))})
        warnings.append(f"{int(unsupported.sum())} values are of counter types with no "
                        f"displayable value ({', '.join(kinds)}): missing")
    lost = damage.samples + damage.split_parts
    if lost or damage.buffers or damage.events or damage.catalogues or damage.trailing_bytes:
        parts = []
        if lost:
            parts.append(f"{lost} samples could not be decoded and are left out")
        if damage.buffers:
            parts.append(f"{damage.buffers} buffers are damaged")
        if damage.events:
            parts.append(f"{damage.events} other events were skipped")
        if damage.catalogues:
            parts.append(f"{damage.catalogues} counter catalogues are damaged")
        if damage.trailing_bytes:
            parts.append(f"{damage.trailing_bytes} bytes after the last whole buffer (a copy "
                         "of a log still being written?) were ignored")
        first = f" (first: {damage.examples[0]})" if damage.examples else ""
        warnings.append("; ".join(parts) + first)

