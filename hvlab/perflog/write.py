"""Write a log frame as Windows writes it: PDH-CSV or PDH-TSV 4.0.

What Windows (relog, PerfMon data collector sets, typeperf -o, Export-Counter) writes, and
what this writer copies:

- the first header cell ``(PDH-CSV 4.0) (<time zone name>)(<bias minutes>)``, UTC = local + bias
  (``PDH-TSV 4.0`` for tab-separated files); the other header cells are counter paths;
- every field double-quoted (in TSV too), a missing value written as a single space ``" "``;
- timestamps ``MM/DD/YYYY HH:MM:SS.fff`` on the host's local wall clock;
- ``.`` as decimal point in every locale, exponents with three digits (``5.0045e-005``),
  whole numbers without a fraction (``"3"``);
- CRLF line ends, the Windows ANSI code page of the host, no BOM.

Numbers are written with the fewest digits that read back to the same float64 (Python's
``repr``), so ``read_perflog(write_perflog(df))`` returns the same values.
"""
from __future__ import annotations

import codecs
import datetime as _dt
import io
import os
import re

import numpy as np
import pandas as pd

from hvlab.perflog.paths import CounterPath, parse_counter_path
from hvlab.perflog.vocabulary import LEVELS

__all__ = ["write_perflog", "format_header_cell", "format_number"]

_EXP = re.compile(r'e([+-])(\d\d)"')
_ROWS_PER_BLOCK = 2000


def format_number(value: float) -> str:
    """One value as PDH writes it: shortest round-trip digits, three-digit exponent, no
    ``.0`` on whole numbers, a single space for NaN.

    >>> format_number(5.0045e-05), format_number(3.0), format_number(float("nan"))
    ('5.0045e-005', '3', ' ')
    """
    cell = _format_row([float(value)])
    return cell[1:-1]


def _format_row(values: list) -> str:
    """Quoted, comma-joined cells for one row of floats (no leading/trailing delimiter)."""
    line = '"' + '","'.join(map(repr, values)) + '"'
    if '.0"' in line:
        line = line.replace('.0"', '"')
    if 'n' in line:  # nan (inf stays "inf")
        line = line.replace('"nan"', '" "')
    if 'e' in line:
        line = _EXP.sub(r'e\g<1>0\2"', line)
    return line


def format_header_cell(fmt: str = "csv", timezone: str | None = None,
                       bias_min: int | None = None) -> str:
    """The first header cell: ``(PDH-CSV 4.0) (W. Europe Standard Time)(-60)``.

    Without `bias_min` the cell is ``(PDH-CSV 4.0)`` alone, as typeperf prints on a console.
    """
    head = f"(PDH-{fmt.upper()} 4.0)"
    if bias_min is None:
        return head
    return f"{head} ({timezone or ''})({int(bias_min)})"


def _column_paths(df: pd.DataFrame) -> list[str]:
    cols = df.columns
    if isinstance(cols, pd.MultiIndex):
        if cols.nlevels != 4:
            raise ValueError(
                f"df.columns must be a MultiIndex with 4 levels {LEVELS} or counter-path "
                f"strings; got {cols.nlevels} levels {list(cols.names)}")
        paths = []
        for key in cols:
            parts = ["" if (v is None or (isinstance(v, float) and np.isnan(v))) else v
                     for v in key]
            if not all(isinstance(v, str) for v in parts):
                raise TypeError(f"df.columns level values must be str; column {key!r} is not")
            cp = CounterPath(host=parts[0], object=parts[1], instance=parts[2], counter=parts[3])
            if not cp.object or not cp.counter:
                raise ValueError(f"column {key!r}: object and counter must not be empty")
            paths.append(cp.path)
        return paths
    paths = []
    for name in cols:
        if not isinstance(name, str):
            raise TypeError(f"df.columns must be counter-path strings (or a MultiIndex "
                            f"{LEVELS}); got {type(name).__name__} {name!r:.60}")
        parse_counter_path(name)  # raises ValueError naming the bad path
        paths.append(name)
    return paths


def _zone_name(tz) -> str:
    if isinstance(tz, _dt.timezone):
        return tz.tzname(None)
    key = getattr(tz, "key", None) or getattr(tz, "zone", None)
    return str(key) if key else str(tz)


def _wall_clock(index: pd.DatetimeIndex, timezone, bias_min):
    """(naive wall-clock index, zone name, bias) as written to the file."""
    if index.tz is None:
        if bias_min is None and timezone is not None:
            raise ValueError("timezone= needs bias_min= for a naive (tz-unaware) index: give "
                             "the bias in minutes (UTC = local + bias), or localise the index")
        return index, timezone, bias_min
    if bias_min is None:
        if len(index):
            offset = index[0].utcoffset()
        elif isinstance(index.tz, _dt.timezone):
            offset = index.tz.utcoffset(None)
        else:  # no rows to take the offset from: the zone's standard offset
            offset = pd.Timestamp("2001-01-01", tz=index.tz).utcoffset()
        bias_min = -int(round(offset.total_seconds() / 60))
    utc = index.tz_convert("UTC").tz_localize(None)
    wall = utc - pd.Timedelta(minutes=int(bias_min))
    if timezone is None:
        timezone = _zone_name(index.tz)
    return wall, timezone, bias_min


def write_perflog(df: pd.DataFrame, path, *, fmt: str = "csv", encoding: str = "cp1252",
                  timezone: str | None = None, bias_min: int | None = None):
    r"""Write `df` as a PDH-CSV (or PDH-TSV) 4.0 performance log, byte for byte as Windows
    writes it.

    Parameters
    ----------
    df : pandas.DataFrame
        A DatetimeIndex (the sample times) and numeric columns named either by a MultiIndex
        (host, object, instance, counter), as `read_perflog` returns (instance "" for objects
        without instances), or by counter-path strings (``\\HV01\Memory\Available MBytes``).
        NaN is written as the missing value ``" "``.
    path : str, os.PathLike or file object
        Where to write (a binary or text file object is written to and left open).
    fmt : {"csv", "tsv"}
        Comma- or tab-separated.
    encoding : str
        Code page of the file: Windows writes the host's ANSI code page (cp1252 Western
        Europe, cp1251 Cyrillic, ...). Use "utf-8" or "utf-16" (with BOM) for names no code
        page can hold.
    timezone : str, optional
        Zone name for the header ("W. Europe Standard Time"). Default: the index's zone name.
    bias_min : int, optional
        Header bias [min], UTC = local + bias. A tz-aware index is written as the local wall
        clock this bias implies; by default the bias is the index's own offset at its first
        row (a zone with daylight saving keeps that one offset for the whole file, so every
        time reads back as the same instant). A naive index is written as is; without
        `bias_min` its header carries no zone (as typeperf prints on a console) and it reads
        back naive.

    Returns
    -------
    path
        `path`, for chaining.

    Raises
    ------
    TypeError
        Not a DataFrame, no DatetimeIndex, or non-numeric columns (named).
    ValueError
        Bad `fmt`, NaT in the index, malformed column names, or a name the `encoding` cannot
        hold (the message names the column and suggests an encoding).
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas.DataFrame, got {type(df).__name__}")
    if fmt not in ("csv", "tsv"):
        raise ValueError(f"fmt must be 'csv' or 'tsv', got {fmt!r}")
    if not isinstance(df.index, pd.DatetimeIndex):
        raise TypeError(f"df must have a DatetimeIndex of sample times, got "
                        f"{type(df.index).__name__}; set one with df.set_index(...)")
    if df.index.hasnans:
        raise ValueError(f"df.index has {int(df.index.isna().sum())} NaT times; drop or fill "
                         "them before writing")
    if bias_min is not None and (isinstance(bias_min, bool) or not isinstance(
            bias_min, (int, np.integer))):
        raise TypeError(f"bias_min must be a whole number of minutes, got {bias_min!r}")
    if timezone is not None and not isinstance(timezone, str):
        raise TypeError(f"timezone must be a str, got {type(timezone).__name__}")
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise ValueError(f"encoding {encoding!r} is not a known codec; use e.g. 'cp1252', "
                         "'cp1251', 'utf-8' or 'utf-16'") from None
    paths = _column_paths(df)
    values = _numeric_values(df)
    wall, timezone, bias_min = _wall_clock(df.index, timezone, bias_min)

    sep = "," if fmt == "csv" else "\t"
    head = [format_header_cell(fmt, timezone, bias_min)] + paths
    header = sep.join('"' + c.replace('"', '""') + '"' for c in head) + "\r\n"
    try:
        header.encode(encoding)
    except UnicodeEncodeError as exc:
        bad = next((c for c in head if not _encodable(c, encoding)), head[0])
        raise ValueError(
            f"header cell {bad!r} cannot be written in {encoding}: "
            f"{exc.object[exc.start:exc.end]!r} has no code in it; pass encoding= the host's "
            "code page (e.g. 'cp1251' for Cyrillic) or 'utf-8'") from None
    ms = wall.round("ms")
    stamps = list(ms.strftime("%m/%d/%Y %H:%M:%S.%f").str.slice(0, 23)) if len(ms) else []

    text_out, handle, close = _open(path, encoding)
    sink = _Sink(handle, text_out, encoding)
    try:
        sink.put(header)
        for lo in range(0, len(values), _ROWS_PER_BLOCK):
            block = values[lo:lo + _ROWS_PER_BLOCK]
            lines = []
            for stamp, row in zip(stamps[lo:lo + _ROWS_PER_BLOCK], block.tolist()):
                cells = _format_row(row) if row else ""
                if sep != ",":
                    cells = cells.replace('","', '"\t"')
                lines.append(f'"{stamp}"{sep}{cells}\r\n' if row else f'"{stamp}"\r\n')
            sink.put("".join(lines))
    finally:
        if close:
            handle.close()
    return path


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


def _numeric_values(df: pd.DataFrame) -> np.ndarray:
    for i, dtype in enumerate(df.dtypes):
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            raise TypeError(f"column {df.columns[i]!r} has dtype {dtype}; performance logs "
                            "hold numbers only: convert it (pd.to_numeric) or drop it")
    try:
        return df.to_numpy(dtype="float64", na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"df values cannot be written as numbers: {exc}") from None


def _open(path, encoding):
    """(is_text, handle, must_close)."""
    if hasattr(path, "write"):
        return isinstance(path, io.TextIOBase), path, False
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file name or a file object, got {type(path).__name__}")
    return False, open(path, "wb"), True


class _Sink:
    """Writes text to a text handle, or encodes it (one BOM at most) for a binary one."""

    def __init__(self, handle, text_out: bool, encoding: str):
        self.handle, self.text_out = handle, text_out
        self.encoder = None if text_out else codecs.getincrementalencoder(encoding)()
        # ASCII text (the rows) is the same bytes in every code page and UTF-8: encode it
        # the fast way once the header (and any BOM) is out
        name = codecs.lookup(encoding).name
        self.ascii_ok = not name.startswith(("utf-16", "utf-32", "cp037", "cp500", "cp1026"))
        self.started = False

    def put(self, text: str):
        if self.text_out:
            self.handle.write(text)
        elif self.started and self.ascii_ok and text.isascii():
            self.handle.write(text.encode("ascii"))
        else:
            self.handle.write(self.encoder.encode(text))
        self.started = True
