r"""Read Windows performance-log exports into a wide DataFrame.

Formats: PDH-CSV and PDH-TSV 4.0 (PerfMon data collector sets, relog, typeperf -o,
Export-Counter), typeperf console captures (with their "Exiting, please wait..." lines), and
Get-Counter samples saved with Export-Csv (long form, pivoted to the same wide shape), and
PerfMon's binary logs (.blg, Windows Vista and later), decoded by `hvlab.perflog.blg`.

How it stays fast on logs of hundreds of MB: the header line is read and parsed here, one
numpy pass over the bytes finds lines, timestamps and each line's field count and notes the
lines a CSV engine could misread (`hvlab.perflog._scan`); the values are then read block by
block, runs of clean lines by polars' multi-threaded CSV reader and the rest cell by cell,
which is also where a bad cell's exact line and column come from (`hvlab.perflog._values`).
With a handful of ``counters=`` the cells are cut out during the scan instead. A Parquet copy
(`convert_to_parquet`, `hvlab.perflog.parquet`) is read back without parsing at all.
"""
from __future__ import annotations

import io
import os
import re
import warnings as _pywarnings

import numpy as np
import pandas as pd

from hvlab.perflog import _values
from hvlab.perflog._blocks import read_all_fields
from hvlab.perflog._cells import PerfLogError, PerfLogWarning, split_fields
from hvlab.perflog._colindex import unique_columns
from hvlab.perflog._encoding import (CodepageGuess, certain, choose_codepage, looks_utf16,
                                     normalise, sniff_bom)
from hvlab.perflog._longform import is_longform_header, read_longform
from hvlab.perflog._scan import scan_body
from hvlab.perflog._times import interval_s, time_index
from hvlab.perflog.blg import looks_like_blg, read_blg
from hvlab.perflog.parquet import is_parquet, read_parquet, read_parquet_header, write_parquet
from hvlab.perflog.paths import is_counter_path, lenient_counter_path, path_matcher

__all__ = ["read_perflog", "convert_to_parquet", "PerfLogError", "PerfLogWarning"]

_HEADER_CELL = re.compile(
    r"\s*\(PDH-(CSV|TSV)\s+([0-9.]+)\)\s*(?:\((.*)\)\s*\(\s*([+-]?\d+)\s*\))?\s*", re.S)
_EXTRACT_MAX = 16  # up to this many selected counters are cut out during the scan


class _Src:
    """Where the bytes come from: a file (streamed) or bytes in memory."""

    def __init__(self, name: str, path=None, data: bytes | None = None):
        self.name, self.path, self.data = name, path, data

    def open(self, offset: int = 0):
        fh = open(self.path, "rb") if self.path is not None else io.BytesIO(self.data)
        if offset:
            fh.seek(offset)
        return fh


def _source(obj) -> tuple[_Src, bool]:
    """(_Src, given as text)."""
    if isinstance(obj, (str, os.PathLike)):
        path = os.fspath(obj)
        return _Src(str(path), path=path), False
    if hasattr(obj, "read"):
        name = getattr(obj, "name", None)
        name = name if isinstance(name, str) else "<buffer>"
        content = obj.read()
        if isinstance(content, str):
            return _Src(name, data=content.encode("utf-8", "surrogatepass")), True
        if isinstance(content, (bytes, bytearray, memoryview)):
            return _Src(name, data=bytes(content)), False
        raise TypeError(f"path_or_buffer.read() returned {type(content).__name__}; "
                        "expected bytes or str")
    raise TypeError(f"path_or_buffer must be a file name, os.PathLike or a file object, got "
                    f"{type(obj).__name__} {obj!r:.60}")


def _binary_log(src: _Src, text_input: bool) -> bool:
    """A PerfMon binary log: named .blg, or starting as one (an ETW trace file)."""
    if text_input:
        return False
    if src.name.lower().endswith(".blg"):
        return True
    fh = src.open()
    try:
        return looks_like_blg(fh.read(256))
    finally:
        fh.close()


def _read_binary(src: _Src, *, encoding, tz, dtype, errors, counters, header_only):
    """`hvlab.perflog.blg.read_blg` on a file or buffer, with read_perflog's arguments."""
    got = read_blg(src.path if src.path is not None else src.data, name=src.name, tz=tz,
                   dtype=dtype, errors=errors, counters=counters, header_only=header_only)
    if encoding is not None:
        (got if header_only else got[1])["warnings"].append(
            f"encoding={encoding!r} was ignored: a binary log's names are UTF-16")
    return got


def _check_args(encoding, tz, dtype, errors):
    if errors not in ("raise", "coerce"):
        raise ValueError(f"errors must be 'raise' or 'coerce', got {errors!r}")
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a float dtype such as 'float64' or 'float32', got "
                        f"{dtype!r}") from None
    if dt.kind != "f":
        raise ValueError(f"dtype must be a float dtype ('float64' or 'float32'), got {dtype!r}:"
                         " missing cells are NaN")
    if encoding is not None:
        if not isinstance(encoding, str):
            raise TypeError(f"encoding must be a str, got {type(encoding).__name__}")
        try:
            normalise(encoding)
        except LookupError:
            raise ValueError(f"encoding {encoding!r} is not a known codec; use e.g. 'cp1252', "
                             "'cp1251', 'utf-8' or 'utf-16'") from None
    if tz is not None:
        try:
            pd.Timestamp("2000-01-01").tz_localize(tz)
        except Exception as exc:
            raise ValueError(f"tz {tz!r} is not a time zone ({exc}); use an IANA name such "
                             "as 'Europe/Berlin', 'UTC', or a tzinfo") from None
    return dt


def read_perflog(path_or_buffer, *, encoding: str | None = None, tz=None, dtype="float64",
                 errors: str = "raise", counters=None) -> tuple[pd.DataFrame, dict]:
    r"""Read a Windows performance-log export.

    Parameters
    ----------
    path_or_buffer : str, os.PathLike or file object
        A PDH-CSV / PDH-TSV 4.0 file (PerfMon, relog, typeperf, Export-Counter), a typeperf
        console capture, Get-Counter samples saved with Export-Csv, or a PerfMon binary log
        (``.blg``, Windows Vista and later; see `hvlab.perflog.blg.read_blg`). A binary
        variant that cannot be decoded (pre-Vista, circular) raises a PerfLogError naming the
        relog command that converts it. A ``.parquet`` copy saved by `convert_to_parquet`
        returns the frame and metadata of the log it was made from (``encoding`` and
        ``errors`` then have nothing to do).
    encoding : str, optional
        Text encoding (ignored for a .blg, whose names are UTF-16). Default: a byte-order mark
        decides (UTF-8, UTF-16 LE/BE), else strict
        UTF-8, else the Windows code page the evidence points to (cp1252, cp1251, cp932
        Shift-JIS, cp936 GBK, cp949, cp950 Big5, ...: valid byte sequences, the script and
        language of the decoded names, the header's time zone). When two pages stay
        plausible the read warns (a PerfLogWarning, and in ``warnings``) naming both.
    tz : str or tzinfo, optional
        The zone the host's clock was in ("Europe/Berlin"). The wall-clock times are localised
        in it (daylight saving included) instead of with the header's fixed bias.
    dtype : {"float64", "float32"}
        Value dtype (float32 halves the memory).
    errors : {"raise", "coerce"}
        A cell that is not a number (or a line with more fields than the header) raises a
        PerfLogError naming file, line and column; with "coerce" the cell becomes NaN and is
        counted (``bad_cells``; surplus fields in ``extra_cells``), and an unreadable
        timestamp becomes NaT (``bad_times``).
    counters : str, list of str or callable, optional
        Read only these counters: wildcard patterns (``*``, ``?``; case-insensitive) matched
        against the counter name ("Bytes Sent/sec", "Transfer Pass*"), or, when the pattern
        starts with ``\``, against the path without host (``\Hyper-V VM Live Migration(*)\*``),
        or with ``\\`` against the whole path. A callable gets each CounterPath.

    Returns
    -------
    df : pandas.DataFrame
        Index: DatetimeIndex "time" (tz-aware with the header's bias as a fixed offset named
        after the header's zone, or `tz`; naive when the file has no zone). Columns:
        MultiIndex (host, object, instance, counter); instance "" for objects without
        instances. A counter path that appears twice is kept twice, the later copies with
        " [2]", " [3]", ... appended to the counter name (see ``duplicate_paths``).
    metadata : dict
        ========================  ==========================================================
        format                    "pdh-csv", "pdh-tsv", "typeperf-console", "get-counter-csv",
                                  "blg"
        version                   PDH version in the header ("4.0"), None for Get-Counter
                                  and .blg
        timezone                  zone name from the header (None if absent or broken)
        bias_min                  header bias [min], UTC = local + bias (None if absent)
        encoding                  the encoding used (e.g. "ascii", "utf-8", "cp1251"; None
                                  for a .blg)
        encoding_confidence       its share of the evidence, 0..1 (1.0 for a BOM, valid
                                  UTF-8, ASCII or encoding=)
        encoding_candidates       runners-up: dicts with encoding and confidence, best first
        rows, columns             shape of df
        numeric_cells             cells holding a number
        missing_cells             empty or " " cells, plus cells absent from short lines
        bad_cells                 non-numeric cells read as NaN (errors="coerce")
        absent_cells              of missing_cells, those past the end of a short line
        extra_cells               fields beyond the header's width (errors="coerce")
        interval_s                median sample interval [s] (None with < 2 rows)
        start, end                first and last sample time (pandas.Timestamp or None)
        paths                     the counter paths of df's columns as written, in file order
        file_counters             counters in the file (before ``counters=``)
        description               the data collector set's description: a last header cell
                                  that is no counter path (parse_counter_path refuses it),
                                  over an empty column, which is left out of df and of the
                                  cell counts; None when there is none
        duplicate_paths           {path: times it appears} for paths seen more than once
        console_lines             lines that are not data (typeperf messages): counted and
                                  listed in console_text (first 20)
        blank_lines               empty lines skipped
        bad_times                 timestamps that could not be read (NaT)
        bad_examples              first bad cells: dicts with line, column, path, text
        warnings                  list of str: everything unusual that was tolerated
        source, header_cell       file name; the first header cell as written (None: .blg)
        ========================  ==========================================================

        A .blg adds: os_version (of the logging host, "10.0.14393"), bad_samples (samples
        with a value whose PDH status is an error, plus samples that could not be decoded:
        what Windows' reader reports as errors), counter_types ({path: "PERF_COUNTER_COUNTER",
        ...}), counter_info, statuses, status_cells, calc_errors, the damage counts and
        timezone_candidates / timezone_rules; `hvlab.perflog.blg.read_blg` lists them.

        Every cell is accounted for: rows * columns == numeric_cells + missing_cells +
        bad_cells.

    Raises
    ------
    PerfLogError
        Not a readable log (the message names file, line and column and says what to do).

    Warns
    -----
    PerfLogWarning
        The code page is a guess between two plausible candidates (pass ``encoding=``).
    """
    df, meta = _read(path_or_buffer, encoding=encoding, tz=tz, dtype=dtype, errors=errors,
                     counters=counters)
    _warn_encoding(meta.pop("_encoding_note", ""))
    meta.pop("_column_cells", None)
    return df, meta


def convert_to_parquet(path_or_buffer, out, **read_kwargs) -> tuple[pd.DataFrame, dict]:
    """Parse a log once and save it as a Parquet copy that `read_perflog` reopens fast.

    Parameters
    ----------
    path_or_buffer : str, os.PathLike or file object
        The log, as for `read_perflog`.
    out : str or os.PathLike
        The Parquet file to write (``hvlab log convert LOG --to parquet`` names it after the
        log).
    **read_kwargs
        Passed to `read_perflog` (encoding, tz, dtype, errors, counters).

    Returns
    -------
    df, metadata
        What `read_perflog` returned for the log; ``read_perflog(out)`` returns the same
        frame and metadata, ``read_perflog(out, counters=...)`` picks columns with the cell
        counts of the picked ones. ``pandas.read_parquet(out)`` reads it as a plain frame
        (counter paths as column names, the ``time`` index).
    """
    df, meta = _read(path_or_buffer, **{"encoding": None, "tz": None, "dtype": "float64",
                                        "errors": "raise", "counters": None, **read_kwargs})
    _warn_encoding(meta.pop("_encoding_note", ""))
    write_parquet(df, meta, out)
    meta.pop("_column_cells", None)
    return df, meta


def _warn_encoding(note: str) -> None:
    if note:
        _pywarnings.warn(note, PerfLogWarning, stacklevel=3)


def read_header(path_or_buffer, *, encoding: str | None = None, counters=None, **_ignored):
    """What a log's header says, without reading its values: dict with format, version,
    timezone, bias_min, encoding, paths (as written) and keys (column tuples). A Get-Counter
    export has no header to speak of and is read whole."""
    head = _read(path_or_buffer, encoding=encoding, tz=None, dtype="float64", errors="coerce",
                 counters=counters, header_only=True)
    _warn_encoding(head.pop("_encoding_note", ""))
    return head


def _read(path_or_buffer, *, encoding, tz, dtype, errors, counters, header_only=False):
    dt = _check_args(encoding, tz, dtype, errors)
    if is_parquet(path_or_buffer):  # a copy saved by convert_to_parquet
        return (read_parquet_header(path_or_buffer) if header_only else
                read_parquet(path_or_buffer, tz=tz, dtype=dt, counters=counters))
    src, text_input = _source(path_or_buffer)
    if _binary_log(src, text_input):
        return _read_binary(src, encoding=encoding, tz=tz, dtype=dt, errors=errors,
                            counters=counters, header_only=header_only)
    warnings: list[str] = []
    fh = src.open()
    try:
        head = fh.read(65536)
    finally:
        fh.close()
    if not head:
        raise PerfLogError(f"{src.name}: the file is empty (no header line)")
    bom, bom_len = sniff_bom(head)
    decode_as = reported = None  # codec for the bytes after the BOM; the name metadata gives
    if text_input:
        decode_as, reported = "utf-8", "str"
    elif encoding is not None:
        decode_as = reported = normalise(encoding)
        if bom and _family(bom) == _family(decode_as):
            decode_as = bom
        else:
            bom_len = 0
        if decode_as == "utf-8-sig":
            decode_as = "utf-8"
    elif bom:
        decode_as = bom
        reported = "utf-8-sig" if bom == "utf-8" else bom
    elif b"\0" in head:
        guess = looks_utf16(head)
        if not guess:
            raise PerfLogError(
                f"{src.name}: this is a binary file, not a CSV/TSV performance log. If it is "
                f"a .blg log, convert it with `relog {os.path.basename(src.name)} -f csv -o "
                "out.csv`; if it is UTF-16 text, pass encoding='utf-16'.")
        decode_as = reported = guess
        warnings.append(f"no byte-order mark, but the zero bytes say {guess}")
    if decode_as and _family(decode_as) in ("utf-16", "utf-32"):
        src, bom_len = _transcode(src, decode_as, bom_len, errors, warnings), 0
        decode_as = "utf-8"
    fh = src.open(bom_len)
    try:
        pre, header, header_no, body_offset = _header_line(fh, src.name)
    finally:
        fh.close()
    probe = header.lstrip(b" \t\"")
    if not (probe.startswith(b"(PDH-CSV") or probe.startswith(b"(PDH-TSV")):
        if is_longform_header(header, pre):
            df, meta = read_longform(src, bom_len, decode_as, reported, tz=tz, dtype=dt,
                                     errors=errors, counters=counters, warnings=warnings)
            if header_only:
                return {**{k: meta[k] for k in ("format", "version", "timezone", "bias_min",
                                                "encoding", "encoding_confidence",
                                                "encoding_candidates", "paths", "warnings",
                                                "_encoding_note")},
                        "keys": list(df.columns)}
            return df, meta
        shown = header[:120].decode("latin-1")
        raise PerfLogError(
            f"{src.name} line {header_no}: not a performance log: expected a PDH-CSV/PDH-TSV "
            f"header starting \"(PDH-CSV 4.0)\" or a Get-Counter Export-Csv header with Path, "
            f"CookedValue and Timestamp columns; found {shown!r}")
    return _read_pdh(src, header, header_no, body_offset, pre, decode_as, reported, tz=tz,
                     dtype=dt, errors=errors, counters=counters, warnings=warnings,
                     header_only=header_only)


def _transcode(src: _Src, enc: str, bom_len: int, errors: str, warnings: list) -> _Src:
    fh = src.open()
    try:
        raw = fh.read()
    finally:
        fh.close()
    try:
        text = raw[bom_len:].decode(enc)
    except UnicodeDecodeError as exc:
        if errors == "raise":
            raise PerfLogError(f"{src.name}: byte {exc.start + bom_len} is not valid {enc} "
                               f"({exc.reason}); the file may be truncated or damaged: pass "
                               "errors='coerce' to read it anyway") from None
        text = raw[bom_len:].decode(enc, errors="replace")
        warnings.append(f"bytes that are not valid {enc} were replaced by U+FFFD "
                        f"(first at byte {exc.start + bom_len})")
    return _Src(src.name, data=text.encode("utf-8", "surrogatepass"))


def _header_line(fh, name):
    """(preamble lines, header bytes, header line number, body offset)."""
    pre = []
    no = 0
    while True:
        line = fh.readline()
        if not line:
            raise PerfLogError(f"{name}: no header line (the file holds only blank lines)"
                               if no else f"{name}: the file is empty")
        no += 1
        text = line.rstrip(b"\r\n")
        if not text.strip():
            pre.append((no, text))
            continue
        if text.lstrip().startswith(b"#TYPE"):
            pre.append((no, text))
            continue
        return pre, text, no, fh.tell()


def _decode_header(header: bytes, enc: str) -> str:
    return header.decode("utf-8" if enc == "ascii" else enc, errors="replace")


def _family(codec: str) -> str:
    codec = normalise(codec)
    for fam in ("utf-8", "utf-16", "utf-32"):
        if codec.startswith(fam):
            return fam
    return codec


def _read_pdh(src, header, header_no, body_offset, pre, decode_as, reported, *, tz, dtype,
              errors, counters, warnings, header_only=False):
    tsv = header.lstrip(b" \t\"").startswith(b"(PDH-TSV")
    delim = "\t" if tsv else ","
    bdelim = delim.encode()
    # the header decides the encoding for now; the body may overrule it after the scan. The
    # header is decoded before it is split, so that a byte 0x5C inside a double-byte
    # character (Shift-JIS "表" is 0x95 0x5C) is never taken for a path's backslash.
    if decode_as:
        enc, guess = decode_as, certain(reported or decode_as)
    elif header.isascii():
        enc, guess = "ascii", certain("ascii")
    else:
        try:
            header.decode("utf-8")
            enc, guess = "utf-8", certain("utf-8")
        except UnicodeDecodeError:
            guess = choose_codepage(header, console=_console_header(header))
            enc = guess.encoding
    cells = split_fields(_decode_header(header, enc), delim)
    ncols = len(cells)
    cps, sel, file_paths, desc = _columns(cells, counters, src.name)
    parse = _with_description(sel, desc, counters)
    if header_only:
        version, timezone, bias, _ = parse_header_cell(cells[0], warnings)
        if guess.note:
            warnings.append(guess.note)
        return {"format": "pdh-tsv" if tsv else "pdh-csv", "version": version,
                "timezone": timezone, "bias_min": bias, "encoding": reported or enc,
                **guess.as_meta(), "_encoding_note": guess.note,
                "paths": [file_paths[c - 1] for c in sel],
                "keys": [cps[c - 1].key for c in sel],
                "description": cells[desc] if desc is not None and cells[desc].strip()
                else None,
                "warnings": warnings}
    extract = parse if _values.PARSER in ("auto", "extract") and parse and (
        _values.PARSER == "extract" or (counters is not None and len(parse) <= _EXTRACT_MAX
                                        and len(parse) * 8 <= ncols - 1)) else None
    scan, whole = _scan(src, body_offset, header_no, bdelim, ncols, extract, parse, dtype,
                        errors)
    console = bool(scan.other_lines)
    if not decode_as:
        guess = _final_encoding(enc, guess, header, scan, console)
        final = guess.encoding
        if guess.note:
            warnings.append(guess.note)
        if final != enc:
            enc = final
            if not header.isascii():
                cells = split_fields(_decode_header(header, enc), delim)
                ncols2 = len(cells)
                cps, sel2, file_paths, desc = _columns(cells, counters, src.name)
                parse2 = _with_description(sel2, desc, counters)
                if ncols2 != ncols or parse2 != parse:
                    ncols, sel, parse = ncols2, sel2, parse2
                    extract = parse if extract is not None and parse else None
                    scan, whole = _scan(src, body_offset, header_no, bdelim, ncols,
                                        extract, parse, dtype, errors)
    reported = reported or enc
    text_enc = "utf-8" if enc == "ascii" else enc

    n = len(scan.data_lines)
    if whole is not None:
        values, tally = whole
    elif extract is not None:
        values, tally = scan.values, scan.tally
    else:
        values, tally = _values.parse_values(src, body_offset, scan, parse, ncols, bdelim,
                                             dtype, errors)
    sel_paths = {c: file_paths[c - 1] for c in parse}
    if tally.must_stop:
        raise _values.stop_error(src.name, tally, sel_paths, text_enc, ncols)
    description = None
    if desc is not None:
        values, sel, description = _split_description(values, tally, sel, parse, desc, cells,
                                                      n, warnings)

    header_cell = cells[0]
    version, timezone, bias, has_zone = parse_header_cell(header_cell, warnings)
    bare = _HEADER_CELL.fullmatch(header_cell)
    if console or (bare is not None and bare.group(4) is None):  # "(PDH-CSV 4.0)" alone
        fmt = "typeperf-console"
    else:
        fmt = "pdh-tsv" if tsv else "pdh-csv"

    index, bad_times = time_index(scan.stamps, scan.data_lines, src.name, errors, timezone,
                                   bias, tz, warnings)
    keys = [cps[c - 1].key for c in sel]
    columns, dups = unique_columns(keys, [file_paths[c - 1] for c in sel], warnings)
    df = pd.DataFrame(values, index=index, columns=columns, copy=False)

    _warn_lines(tally, scan, warnings, text_enc, src.name)
    if scan.cut_line is not None:
        warnings.append(f"the last line (line {scan.cut_line}) is cut off inside a field (the "
                        "file was copied while being written?): its last field reads as "
                        "missing")
    elif scan.cut_dropped:
        warnings.append("the last line is cut off inside its timestamp (the file was copied "
                        "while being written?) and holds no sample: skipped")
    elif scan.unterminated and n:
        warnings.append(f"the last line (line {int(scan.data_lines[-1])}) has no line end")
    meta = _metadata(
        fmt=fmt, version=version, timezone=timezone, bias=bias, enc=reported, df=df, tally=tally,
        paths=[file_paths[c - 1] for c in sel],
        file_counters=ncols - 1 - (description is not None), dups=dups,
        scan=scan, bad_times=bad_times, warnings=warnings, name=src.name,
        header_cell=header_cell, sel_paths=sel_paths, text_enc=text_enc, pre=pre)
    meta["description"] = description
    meta.update(guess.as_meta())
    meta["_encoding_note"] = guess.note
    # per column of df: bad and absent cells (what the Parquet copy needs to count the cells
    # of a counters= selection)
    meta["_column_cells"] = {
        kind: {j: int(got[c + 1]) for j, c in enumerate(sel) if got.get(c + 1)}
        for kind, got in (("bad", tally.bad_cols), ("absent", tally.absent_cols))}
    return df, meta


def _scan(src, body_offset, header_no, bdelim, ncols, extract, parse, dtype, errors):
    """(scan, None) or, when every field is read, (scan, (values, tally)).

    Every field: the body is read block by block, by polars where a block passes
    `_blocks`' checks (no separate scan). Otherwise the scan cuts out the `extract` cells,
    or notes the lines' layout for the value pass (every quote checked when not every field
    is parsed)."""
    if extract is None and _values.PARSER == "auto" and parse == list(range(1, ncols)):
        scan, values, tally = read_all_fields(src, body_offset, first_line_no=header_no + 1,
                                              ncols=ncols, bdelim=bdelim, dtype=dtype,
                                              errors=errors)
        return scan, (values, tally)
    fh = src.open(body_offset)
    try:
        return scan_body(fh, first_line_no=header_no + 1, delim=bdelim, ncols=ncols,
                         extract=extract, dtype=dtype, errors=errors, layout=extract is None,
                         quoting=len(parse) < ncols - 1), None
    finally:
        fh.close()


def parse_header_cell(cell: str, warnings: list) -> tuple:
    """(version, timezone, bias_min, has_zone) from the first header cell; problems go to
    `warnings`."""
    m = _HEADER_CELL.fullmatch(cell)
    if not m:
        version_m = re.search(r"PDH-(?:CSV|TSV)\s+([0-9.]+)", cell)
        warnings.append(f"broken first header cell {cell!r}: no time zone or bias could be "
                        "read; times are the host's wall clock without a zone (pass tz= to "
                        "localise)")
        return (version_m.group(1) if version_m else None), None, None, False
    version = m.group(2)
    if m.group(4) is None:
        warnings.append("the header has no time zone (typeperf console output): times are "
                        "the host's wall clock without a zone; pass tz= to localise")
        return version, None, None, False
    timezone, digits = m.group(3), m.group(4)
    # (a damaged header can hold thousands of digits, more than int() converts)
    bias = int(digits) if len(digits) <= 7 else None
    if bias is None or abs(bias) >= 24 * 60:
        shown = digits if len(digits) <= 12 else f"{digits[:10]}... ({len(digits)} digits)"
        warnings.append(f"the header bias {shown} min is not a time-zone offset; times are "
                        "left without a zone")
        return version, None, None, False
    return version, timezone, bias, True


def _columns(cells, counters, name):
    """(CounterPaths of every header path, selected field positions, raw path texts, the field
    position of a trailing description cell or None).

    A Data Collector Set made from a template writes the template's description as an extra
    last header cell (over an empty column). It is recognised the way `parse_counter_path`
    judges it: a last cell that is not a counter path is the description, never a counter, and
    ``counters=`` patterns are not matched against it."""
    file_paths = cells[1:]
    cps = []
    for raw in file_paths:
        cp, _problem = lenient_counter_path(raw)
        cps.append(cp)
    desc = None
    if len(cells) >= 2 and not is_counter_path(cells[-1]):
        desc = len(cells) - 1
    candidates = range(1, len(cells) if desc is None else desc)
    if counters is None:
        sel = list(candidates)
    else:
        match = path_matcher(counters)
        sel = [i for i in candidates if match(cps[i - 1], file_paths[i - 1])]
        if not sel:
            shown = [file_paths[i - 1] for i in candidates]
            some = ", ".join(repr(p) for p in shown[:5]) or "none"
            raise PerfLogError(f"{name}: counters={counters!r} matched none of the "
                               f"{len(shown)} counters in the file (first: {some})")
    return cps, sel, file_paths, desc


def _with_description(sel, desc, counters):
    """The fields to parse: the selected ones, and the description's column when every
    counter is read (to check that it is empty)."""
    return sel + [desc] if desc is not None and counters is None else list(sel)


def _split_description(values, tally, sel, parse, desc, cells, n, warnings):
    """(values, selected fields, description): the description's column left out of the
    values and out of the cell counts when it holds nothing, kept as a column otherwise."""
    text = cells[desc]
    if desc not in parse:  # counters= chose other columns: it was not read
        return values, sel, text
    col = values[:, parse.index(desc)]
    if tally.bad_cols.get(desc + 1, 0) == 0 and bool(np.isnan(col).all()):
        # every cell of that column is empty or absent: one missing cell per row goes, and
        # every short line lacked it (it is the last field)
        tally.missing -= n
        tally.absent -= tally.short_lines
        tally.absent_cols.pop(desc + 1, None)
        tally.short_lines -= tally.short_by_one
        tally.short_examples = [(no, nf) for no, nf in tally.short_examples
                                if nf < len(cells) - 1]
        if not text.strip():
            warnings.append("an empty last header cell over an empty column (a trailing "
                            "delimiter) was left out")
            return values[:, :-1], sel, None
        return values[:, :-1], sel, text
    _, problem = lenient_counter_path(text)
    warnings.append(f"the last header cell {text!r:.80} is not a counter path ({problem}), "
                    "but its column holds values: read as a column named by the whole cell")
    return values, parse, None


def _console_header(header: bytes) -> bool:
    """The header of a typeperf console capture ("(PDH-CSV 4.0)" with no zone)."""
    return b"(PDH-CSV 4.0)\"," in header[:20]


def _final_encoding(enc, guess, header, scan, console) -> CodepageGuess:
    """The encoding of the whole file: the header's, unless the body's bytes say otherwise
    (or add evidence for a code page)."""
    if enc == "ascii" and scan.ascii:
        return certain("ascii")
    if enc in ("ascii", "utf-8") and scan.utf8:
        return certain("utf-8")
    if enc not in ("ascii", "utf-8") and not scan.nonascii_sample \
            and console == _console_header(header):
        return guess  # nothing new in the body: the header's evidence is all there is
    sample = header + b"\n" + scan.nonascii_sample
    return choose_codepage(sample, console=console)


def _warn_lines(tally, scan, warnings, text_enc, name):
    if scan.other_lines:
        shown = "; ".join(f"line {no}: {t.decode(text_enc, 'replace')!r:.60}"
                          for no, t in scan.other_examples[:3])
        warnings.append(f"{scan.other_lines} lines are not data (console messages) and were "
                        f"skipped: {shown}")
    if tally.short_lines:
        shown = ", ".join(f"line {no} ({nf} fields)" for no, nf in tally.short_examples[:5])
        warnings.append(f"{tally.short_lines} lines have fewer fields than the header "
                        f"({shown}); their {tally.absent} absent cells read as missing")
    if tally.long_lines:
        shown = ", ".join(f"line {no} ({nf} fields)" for no, nf in tally.long_examples[:5])
        warnings.append(f"{tally.long_lines} lines have more fields than the header "
                        f"({shown}); {tally.extra} surplus cells were dropped")
    if tally.bad:
        line, col, text = tally.bad_examples[0]
        warnings.append(f"{tally.bad} cells are not numbers and read as NaN (first at line "
                        f"{line}, column {col}: {text!r:.40})")


def _metadata(*, fmt, version, timezone, bias, enc, df, tally, paths, file_counters, dups, scan,
              bad_times, warnings, name, header_cell, sel_paths, text_enc, pre):
    valid = df.index[~df.index.isna()]
    interval = interval_s(df.index)
    return {
        "format": fmt, "version": version, "timezone": timezone, "bias_min": bias,
        "encoding": enc, "rows": int(df.shape[0]), "columns": int(df.shape[1]),
        "numeric_cells": int(tally.numeric), "missing_cells": int(tally.missing),
        "bad_cells": int(tally.bad), "absent_cells": int(tally.absent),
        "extra_cells": int(tally.extra), "interval_s": interval,
        "start": valid.min() if len(valid) else None,
        "end": valid.max() if len(valid) else None,
        "paths": list(paths), "file_counters": int(file_counters),
        "duplicate_paths": dups, "console_lines": int(scan.other_lines),
        "console_text": [t.decode(text_enc, "replace") for _, t in scan.other_examples],
        "blank_lines": int(scan.blank_lines) + sum(1 for _, t in pre if not t.strip()),
        "bad_times": int(bad_times),
        "bad_examples": [{"line": ln, "column": c, "path": sel_paths.get(c - 1, ""),
                          "text": t} for ln, c, t in tally.bad_examples],
        "warnings": warnings, "source": name, "header_cell": header_cell,
    }
