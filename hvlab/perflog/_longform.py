"""Get-Counter samples saved with Export-Csv: one row per sample (long form).

PowerShell writes, after ``Get-Counter ... | ForEach-Object CounterSamples | Export-Csv``::

    #TYPE Microsoft.PowerShell.Commands.GetCounter.PerformanceCounterSample   (PS 5 only)
    "Path","InstanceName","CookedValue","RawValue","SecondValue","MultipleCount",
    "CounterType","Timestamp","Timestamp100NSec","Status","DefaultScale","TimeBase"
    "\\\\hv01\\processor(_total)\\% processor time","_total","3.125","...",...

(paths in lower case, times in the culture's format without a zone; ``-UseCulture`` makes the
delimiter ";" in many European cultures). The rows are pivoted to the wide shape
`read_perflog` returns for PDH files: one row per timestamp, one column per path.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from hvlab.perflog._cells import BAD, NUMERIC, PerfLogError, classify, split_fields
from hvlab.perflog._colindex import unique_columns
from hvlab.perflog._encoding import certain, choose_codepage
from hvlab.perflog._times import interval_s, localise
from hvlab.perflog.paths import lenient_counter_path, path_matcher

_NEEDED = ("path", "cookedvalue", "timestamp")
_DECIMAL_COMMA = re.compile(r"[ \t]*[+-]?\d+,\d+(?:[eE][+-]?\d+)?[ \t]*", re.ASCII)
_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S",
            "%d.%m.%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S",
            "%m/%d/%Y %H:%M:%S.%f", "%d/%m/%Y %I:%M:%S %p", "ISO8601")
_KEEP = 20


def is_longform_header(header: bytes, pre) -> bool:
    text = header.decode("latin-1").lower()
    return "path" in text and "cookedvalue" in text and "timestamp" in text


def _delimiter(line: str) -> tuple[str, list[str]]:
    for d in (",", ";", "\t"):
        names = [f.strip().lower() for f in split_fields(line, d)]
        if all(n in names for n in _NEEDED):
            return d, names
    raise PerfLogError("")  # replaced by the caller's message


def _choose_format(stamps: list[str], warnings: list) -> tuple[pd.DatetimeIndex, str]:
    uniq = pd.Series(pd.unique(pd.Series(stamps, dtype=object)), dtype=object)
    best = None
    results = []
    for fmt in _FORMATS:
        parsed = pd.to_datetime(uniq, format=fmt, errors="coerce")
        ok = int(parsed.notna().sum())
        monotonic = parsed.dropna().is_monotonic_increasing
        results.append((ok, monotonic, fmt, parsed))
    full = [r for r in results if r[0] == len(uniq)]
    if full:
        ordered = [r for r in full if r[1]] or full
        best = ordered[0]
        others = [r for r in full if r is not best and not r[3].equals(best[3])]
        if others:
            warnings.append(f"timestamps such as {uniq.iloc[0]!r} fit both {best[2]!r} and "
                            f"{others[0][2]!r}; read as {best[2]!r}"
                            + (" (the one that keeps the samples in order)" if best[1] else ""))
    else:
        best = max(results, key=lambda r: (r[0], r[1]))
    mapping = dict(zip(uniq.tolist(), best[3].tolist()))
    return pd.DatetimeIndex([mapping[s] for s in stamps]), best[2]


def read_longform(src, bom_len, decode_as, reported, *, tz, dtype, errors, counters, warnings):
    fh = src.open(bom_len)
    try:
        raw = fh.read()
    finally:
        fh.close()
    if decode_as:
        enc, guess = decode_as, certain(reported or decode_as)
    elif raw.isascii():
        enc, guess = "ascii", certain("ascii")
    else:
        try:
            raw.decode("utf-8")
            enc, guess = "utf-8", certain("utf-8")
        except UnicodeDecodeError:
            sample, size = [], 0
            for ln in raw.split(b"\n"):
                if not ln.isascii():
                    sample.append(ln)
                    size += len(ln)
                    if size >= 65536:
                        break
            guess = choose_codepage(b"\n".join(sample))
            enc = guess.encoding
            if guess.note:
                warnings.append(guess.note)
    try:
        text = raw.decode(enc)
    except UnicodeDecodeError as exc:
        if errors == "raise":
            raise PerfLogError(f"{src.name}: byte {exc.start + bom_len} is not valid {enc}; "
                               "pass encoding= or errors='coerce'") from None
        text = raw.decode(enc, errors="replace")
        warnings.append(f"bytes that are not valid {enc} were replaced by U+FFFD")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    blank = 0
    i = 0
    while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#TYPE")):
        blank += not lines[i].strip()
        i += 1
    if i >= len(lines):
        raise PerfLogError(f"{src.name}: no header line")
    try:
        delim, names = _delimiter(lines[i])
    except PerfLogError:
        raise PerfLogError(f"{src.name} line {i + 1}: a Get-Counter export needs Path, "
                           f"CookedValue and Timestamp columns; found {lines[i]!r:.120}") \
            from None
    ip, iv, it = (names.index(n) for n in _NEEDED)
    need = max(ip, iv, it) + 1
    paths, vals, stamps, nos = [], [], [], []
    short = 0
    short_examples = []
    for no, line in enumerate(lines[i + 1:], start=i + 2):
        if not line.strip():
            blank += 1
            continue
        f = split_fields(line, delim)
        if len(f) < need:
            if errors == "raise":
                raise PerfLogError(f"{src.name} line {no}: {len(f)} fields, but Path, "
                                   f"CookedValue and Timestamp need {need}; pass "
                                   "errors='coerce' to skip such lines (counted)")
            short += 1
            if len(short_examples) < _KEEP:
                short_examples.append(no)
            continue
        paths.append(f[ip])
        vals.append(f[iv])
        stamps.append(f[it].strip())
        nos.append(no)
    if short:
        warnings.append(f"{short} lines lack the Path/CookedValue/Timestamp fields and were "
                        f"skipped (lines {short_examples[:5]})")
    warnings.append("a Get-Counter export carries no time zone: times are the wall clock "
                    "without a zone; pass tz= to localise")

    index_all, fmt = _choose_format(stamps, warnings) if stamps else \
        (pd.DatetimeIndex([]), None)
    bad_time_rows = np.flatnonzero(index_all.isna()) if len(index_all) else np.empty(0, int)
    if len(bad_time_rows) and errors == "raise":
        r = int(bad_time_rows[0])
        raise PerfLogError(f"{src.name} line {nos[r]}, column {it + 1}: {stamps[r]!r:.60} is "
                           "not a timestamp; pass errors='coerce' to read it as NaT")

    order = list(dict.fromkeys(paths))
    cps = {p: lenient_counter_path(p)[0] for p in order}
    if counters is not None:
        match = path_matcher(counters)
        order = [p for p in order if match(cps[p], p)]
        if not order:
            raise PerfLogError(f"{src.name}: counters={counters!r} matched none of the "
                               f"{len(cps)} counters in the file")
    col_of = {p: j for j, p in enumerate(order)}
    # one row per distinct stamp text (NaT rows stay apart: one per unreadable stamp)
    row_key = [s if not pd.isna(t) else ("\0bad", r) for r, (s, t) in
               enumerate(zip(stamps, index_all))]
    row_of = {}
    for key in row_key:
        row_of.setdefault(key, len(row_of))
    out = np.full((len(row_of), len(order)), np.nan, dtype=dtype)
    filled = np.zeros(out.shape, bool)
    numeric = bad = dup = commas = 0
    bad_examples = []
    for r, (p, v) in enumerate(zip(paths, vals)):
        j = col_of.get(p)
        if j is None:
            continue
        row = row_of[row_key[r]]
        if filled[row, j]:
            dup += 1
            continue
        filled[row, j] = True
        value, kind = classify(v)
        if kind == BAD and _DECIMAL_COMMA.fullmatch(v):
            value, kind = float(v.replace(",", ".")), NUMERIC
            commas += 1
        if kind == NUMERIC:
            out[row, j] = value
            numeric += 1
        elif kind == BAD:
            if errors == "raise":
                raise PerfLogError(f"{src.name} line {nos[r]}, column {iv + 1} ({p!r}): "
                                   f"{v!r:.80} is not a number; pass errors='coerce' to read "
                                   "such cells as NaN (counted in metadata['bad_cells'])")
            bad += 1
            if len(bad_examples) < _KEEP:
                bad_examples.append({"line": nos[r], "column": iv + 1, "path": p, "text": v})
        else:
            filled[row, j] = True
    if dup:
        warnings.append(f"{dup} samples repeat a (time, path) pair already read; the first of "
                        "each was kept")
    if commas:
        warnings.append(f"{commas} values use a decimal comma (culture-formatted) and were "
                        "read as numbers")
    if bad:
        warnings.append(f"{bad} CookedValue cells are not numbers and read as NaN")
    if len(bad_time_rows):
        warnings.append(f"{len(bad_time_rows)} timestamps could not be read and are NaT")
    times = np.full(len(row_of), np.datetime64("NaT"), dtype="datetime64[ns]")
    first_row = {}
    for r, key in enumerate(row_key):
        first_row.setdefault(row_of[key], r)
    if len(row_of):
        times[:] = np.array([index_all[first_row[k]].to_datetime64() if not pd.isna(
            index_all[first_row[k]]) else np.datetime64("NaT") for k in range(len(row_of))],
            dtype="datetime64[ns]")
    index = pd.DatetimeIndex(times, name="time")
    index = localise(index, tz, None, None, src.name, warnings)
    keys = [cps[p].key for p in order]
    columns, dups = unique_columns(keys, order, warnings)
    df = pd.DataFrame(out, index=index, columns=columns, copy=False)
    n_cells = df.shape[0] * df.shape[1]
    return df, {
        "format": "get-counter-csv", "version": None, "timezone": None, "bias_min": None,
        "encoding": reported or enc, **guess.as_meta(), "_encoding_note": guess.note,
        "rows": int(df.shape[0]), "columns": int(df.shape[1]),
        "numeric_cells": int(numeric), "missing_cells": int(n_cells - numeric - bad),
        "bad_cells": int(bad), "absent_cells": int(n_cells - int(filled.sum())),
        "extra_cells": 0, "interval_s": interval_s(df.index),
        "start": df.index.min() if df.index.notna().any() else None,
        "end": df.index.max() if df.index.notna().any() else None,
        "paths": list(order), "file_counters": len(cps), "duplicate_paths": dups,
        "console_lines": 0, "console_text": [], "blank_lines": blank,
        "bad_times": int(len(bad_time_rows)), "bad_examples": bad_examples,
        "skipped_lines": short, "duplicate_samples": dup, "time_format": fmt,
        "warnings": warnings, "source": src.name, "header_cell": lines[i],
    }
