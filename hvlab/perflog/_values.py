"""Parsing the values of a PDH body: pandas' C parser on the whole file when every line has
the header's field count, else block by block (pandas where a block is regular, cell by cell
where it is not, which is also where a bad cell's line and column come from)."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

from hvlab.perflog._cells import PerfLogError
from hvlab.perflog._scan import Tally, data_lines, filtered_body

# Which value parser runs: "auto" (pandas, or cutting cells out for a few counters);
# tests set "careful" (cell by cell only) or "extract" (cut out always) to compare them.
PARSER = "auto"
SMALL_CELLS = 2000  # fewer cells than this: parsed cell by cell (pandas' overhead is larger)
BLOCK_CELLS = 1_000_000  # cells per block when a file is parsed again block by block


def parse_values(src, body_offset, scan, sel, ncols, bdelim, dtype, errors):
    """(values array, Tally): pandas in one go, else block by block."""
    n, k = len(scan.data_lines), len(sel)
    tally = Tally(errors=errors, cut_line=scan.cut_line)
    if k == 0 or n == 0:
        return np.empty((n, k), dtype=dtype), tally
    # every line has the header's field count, and either every field is quoted or none is
    # (so no quoted delimiter can change a line's field count behind the counts' back)
    regular = (scan.delimiters == n * (ncols - 1) and scan.first_delims == ncols - 1
               and (scan.irregular == 0 if k < ncols - 1 else True)
               and scan.quotes in (0, 2 * ncols * n))
    if regular and scan.cut_line is None and PARSER == "auto" and n * k >= SMALL_CELLS:
        fh = src.open(body_offset)
        try:
            body = (filtered_body(fh, scan.cut_dropped)
                    if scan.other_lines or scan.cut_dropped else fh)
            values = _pandas(body, sel, ncols, bdelim, dtype)
        except Exception:  # noqa: BLE001 - any failure: the careful path will say what is wrong
            values = None
        finally:
            fh.close()
        if values is not None and values.shape == (n, k):
            missing = int(np.count_nonzero(np.isnan(values)))
            tally.missing, tally.numeric = missing, n * k - missing
            return values, tally
    return _blockwise(src, body_offset, scan, sel, ncols, bdelim, dtype, tally)


def _pandas(body, sel, ncols, bdelim, dtype) -> np.ndarray:
    """Values of the fields `sel` by pandas' C parser (NaN for " " and empty cells).

    Reading every field (index_col=0 takes the timestamps) makes pandas raise on a line with
    more fields than the first; with `usecols` it would drop them silently, so a subset is
    only read this way after the scan has checked every line's field count."""
    common = dict(sep=bdelim.decode(), header=None, names=list(range(ncols)),
                  na_values=[" ", ""], keep_default_na=False, engine="c", quotechar='"',
                  skip_blank_lines=True, encoding="utf-8")
    if len(sel) == ncols - 1:
        frame = pd.read_csv(body, index_col=0, dtype={c: dtype for c in sel}, **common)
    else:
        frame = pd.read_csv(body, usecols=sel, dtype=dtype, index_col=False, **common)
    if list(frame.columns) != list(sel):
        frame = frame[sel]
    return frame.to_numpy(dtype=dtype)


def _blockwise(src, body_offset, scan, sel, ncols, bdelim, dtype, tally):
    n, k = len(scan.data_lines), len(sel)
    out = np.full((n, k), np.nan, dtype=dtype)
    per_block = max(1, BLOCK_CELLS // max(ncols, 1))
    sdelim = bdelim.decode()
    sel_arr = np.asarray(sel)
    pos = 0
    block: list[bytes] = []

    def flush():
        nonlocal pos
        rows = len(block)
        nos = scan.data_lines[pos:pos + rows]
        joined = b"\n".join(block)
        done = False
        if (PARSER == "auto" and rows * k >= SMALL_CELLS and all(ln.count(bdelim) == ncols - 1
                                    and ln.count(b'"') in (0, 2 * ncols) for ln in block)
                and b"\0" not in joined
                and b"\r" not in joined and not (tally.cut_line and nos[-1] == tally.cut_line)):
            try:
                vals = _pandas(io.BytesIO(joined), sel, ncols, bdelim, dtype)
                if vals.shape == (rows, k):
                    out[pos:pos + rows] = vals
                    missing = int(np.count_nonzero(np.isnan(vals)))
                    tally.missing += missing
                    tally.numeric += rows * k - missing
                    done = True
            except Exception:  # noqa: BLE001 - parse those lines carefully instead
                pass
        if not done:
            for i, line in enumerate(block):
                tally.careful_row(line.decode("latin-1"), nos[i], sel_arr, ncols,
                                  out[pos + i], sdelim)
                if tally.must_stop:
                    break
        pos += rows
        block.clear()

    fh = src.open(body_offset)
    try:
        for line, is_data in data_lines(fh, bdelim, drop_cut=scan.cut_dropped):
            if not is_data:
                continue
            block.append(line)
            if len(block) >= per_block:
                flush()
                if tally.must_stop:
                    return out, tally
        if block:
            flush()
    finally:
        fh.close()
    return out, tally


def stop_error(name, tally, sel_paths, text_enc, ncols) -> PerfLogError:
    if tally.bad_examples:
        line, col, text = tally.bad_examples[0]
        path = sel_paths.get(col - 1, "")
        shown = text.encode("latin-1", "replace").decode(text_enc, "replace")
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        return PerfLogError(
            f'{name} line {line}, column {col} ("{path}"): "{shown}" is not a number; '
            "pass errors='coerce' to read such cells as NaN (counted in "
            "metadata['bad_cells'])")
    line, nf = tally.long_examples[0]
    return PerfLogError(
        f"{name} line {line}: {nf} fields, but the header has {ncols} columns (a damaged or "
        "ragged line); pass errors='coerce' to drop the surplus fields "
        "(counted in metadata['extra_cells'])")
