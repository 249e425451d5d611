"""Timestamps of a log: PDH's ``MM/DD/YYYY HH:MM:SS.fff`` parsed vectorised, other forms by
pandas, and placed in the header's fixed offset or a named zone."""
from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

from hvlab.perflog._cells import PerfLogError

_STAMP_FORMATS = ("%m/%d/%Y %H:%M:%S.%f", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M",
                  "%m/%d/%Y %I:%M:%S %p", "ISO8601")
# where ``MM/DD/YYYY HH:MM:SS.fff`` has its digits and its separators (also used by _blocks)
STAMP_DIGITS = [0, 1, 3, 4, 6, 7, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22]
STAMP_SEPARATORS = {2: "/", 5: "/", 10: " ", 13: ":", 16: ":", 19: "."}


def _pdh_times(fixed: np.ndarray, standard: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised parse of PDH's ``MM/DD/YYYY HH:MM:SS.fff`` from the 23 bytes of each
    standard stamp: (datetime64[ns] array with NaT where the text is not in that exact form or
    not a real time, mask of the parsed)."""
    n = len(standard)
    parsed = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    cand = np.flatnonzero(standard)
    ok = np.zeros(n, bool)
    if not len(cand):
        return parsed, ok
    a = fixed[cand]
    d = a[:, STAMP_DIGITS].astype(np.int64) - 48
    good = ((d >= 0) & (d <= 9)).all(axis=1)
    for col, ch in STAMP_SEPARATORS.items():
        good &= a[:, col] == ord(ch)
    mon = d[:, 0] * 10 + d[:, 1]
    day = d[:, 2] * 10 + d[:, 3]
    year = d[:, 4] * 1000 + d[:, 5] * 100 + d[:, 6] * 10 + d[:, 7]
    hour, minute = d[:, 8] * 10 + d[:, 9], d[:, 10] * 10 + d[:, 11]
    sec, ms = d[:, 12] * 10 + d[:, 13], d[:, 14] * 100 + d[:, 15] * 10 + d[:, 16]
    good &= (mon >= 1) & (mon <= 12) & (day >= 1) & (hour < 24) & (minute < 60) & (sec < 60)
    good &= (year >= 1678) & (year <= 2261)  # what datetime64[ns] can hold
    months = np.where(good, (year - 1970) * 12 + mon - 1, 0).astype("datetime64[M]")
    month_len = ((months + 1).astype("datetime64[D]") - months.astype("datetime64[D]"))
    good &= day <= month_len.astype(np.int64)
    days = months.astype("datetime64[D]").astype(np.int64) + day - 1
    ns = (days * 86400 + (hour * 60 + minute) * 60 + sec) * 10**9 + ms * 10**6
    parsed[cand[good]] = ns[good].astype("datetime64[ns]")
    ok[cand[good]] = True
    return parsed, ok


def time_index(stamps, lines, name, errors, timezone, bias, tz, warnings):
    """The sample times of `stamps` (a `Stamps` of the data lines, file line numbers
    `lines`): PDH's form vectorised, other forms by pandas; localised."""
    n = len(stamps)
    if n == 0:
        idx = pd.DatetimeIndex([], dtype="datetime64[ns]", name="time")
    else:
        parsed, ok = _pdh_times(stamps.fixed, stamps.standard)
        todo = ~ok
        lo, hi = np.datetime64("1678-01-01"), np.datetime64("2261-12-31")
        texts = None
        for fmt in _STAMP_FORMATS if todo.any() else ():
            if texts is None:  # the stamps not in PDH's form, as text
                texts = np.full(n, "", dtype=object)
                for i in np.flatnonzero(todo):
                    texts[i] = stamps.text(i)
            try:
                part = pd.to_datetime(texts[todo], format=fmt, errors="coerce")
                if part.tz is not None:
                    part = part.tz_localize(None)
                vals = np.asarray(part.to_numpy())
                got = ~np.isnat(vals) & (vals >= lo) & (vals <= hi)
                if got.any():
                    where = np.flatnonzero(todo)[got]
                    parsed[where] = vals[got].astype("datetime64[ns]")
                    todo[where] = False
            except (ValueError, TypeError, OverflowError):  # mixed ISO offsets, out of range
                continue
            if not todo.any():
                break
        idx = pd.DatetimeIndex(parsed, name="time")
    bad = int(idx.isna().sum())
    if bad:
        first = int(np.flatnonzero(idx.isna())[0])
        if errors == "raise":
            raise PerfLogError(
                f"{name} line {int(lines[first])}, column 1: {stamps.text(first)!r:.60} is "
                "not a timestamp (expected MM/DD/YYYY HH:MM:SS.fff); pass errors='coerce' to "
                "read it as NaT (counted in metadata['bad_times'])")
        warnings.append(f"{bad} timestamps could not be read and are NaT (first at line "
                        f"{int(lines[first])}: {stamps.text(first)!r:.60})")
    idx = localise(idx, tz, timezone, bias, name, warnings)
    return idx.rename("time"), bad


def localise(idx, tz, timezone, bias, name, warnings):
    """Wall-clock index -> tz-aware: in `tz` when given, else at the header's fixed bias."""
    if tz is not None:
        try:
            idx = idx.tz_localize(tz, ambiguous="infer", nonexistent="raise")
        except Exception as exc:  # noqa: BLE001 - pandas/zoneinfo raise several kinds
            raise PerfLogError(
                f"{name}: the wall-clock times cannot be placed in tz={tz!r}: {exc}. The "
                "times may not be from that zone; omit tz= to use the header's bias") from None
        if bias is not None and len(idx) and not pd.isna(idx[0]):
            off = idx[0].utcoffset()
            if off is not None and int(off.total_seconds() // 60) != -bias:
                warnings.append(f"tz={tz!r} puts the first sample at UTC offset {off}; the "
                                f"header's bias {bias} min says {-bias} min")
    elif bias is not None:
        offset = _dt.timedelta(minutes=-bias)
        zone = _dt.timezone(offset, timezone) if timezone else _dt.timezone(offset)
        idx = idx.tz_localize(zone)
    return idx


def interval_s(index) -> float | None:
    """Median step between valid sample times [s] (None with fewer than 2)."""
    valid = index[~index.isna()]
    if len(valid) < 2:
        return None
    naive = valid.tz_convert(None) if valid.tz is not None else valid
    steps = np.diff(naive.asi8)
    return float(np.median(steps)) * pd.Timedelta(1, unit=naive.unit).total_seconds()
