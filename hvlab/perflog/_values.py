"""Parsing the values of a PDH body.

The data lines are read in blocks of about `BLOCK_CELLS` cells. In each block, runs of lines
that the scan found clean (`_scan._line_layout`) and equally long go to polars'
multi-threaded CSV parser;
a run it refuses (a cell that is not a number) is halved until the pieces parse or are a few
lines long, and those lines are parsed cell by cell (`Tally.careful_row`), which is also
where a bad cell's line and column come from. Lines the scan did not find clean (stray
quotes, more fields than the header, a last line cut off) are always parsed cell by cell.

polars and the cell-by-cell parser agree on every cell polars accepts: both read decimal
numbers correctly rounded (like Python's ``float``), ``inf``/``infinity`` in any case, and a
blank cell as missing. The one thing polars accepts and the reader does not is ``nan``: a run
whose values hold a NaN that is not a missing cell is parsed cell by cell, where ``nan`` is a
bad cell. tests/perflog/test_perflog_engine.py compares the two on generated cells and files.
"""
from __future__ import annotations

import numpy as np

from hvlab.perflog._cells import PerfLogError
from hvlab.perflog._scan import KEEP_EXAMPLES, Tally

# Which value parser runs: "auto" (polars, cell by cell where it cannot), "careful" (cell by
# cell only) or "extract" (cut out during the scan, read.py); tests compare them.
PARSER = "auto"
BLOCK_CELLS = 1_000_000  # cells read from the file at a time (~8 MB of PDH-CSV)
CAREFUL_ROWS = 8  # a run polars refuses is halved down to this many lines


def parse_values(src, body_offset, scan, sel, ncols, bdelim, dtype, errors):
    """(values array (rows, len(sel)), Tally) of the fields `sel` of every data line."""
    n, k = len(scan.data_lines), len(sel)
    tally = Tally(errors=errors, cut_line=scan.cut_line)
    # column-major: each column contiguous, as pandas keeps the columns of a float block
    out = np.empty((n, k), dtype=dtype, order="F")
    if k == 0 or n == 0:
        return out, tally
    lay = scan.layout
    fast = lay.clean & (lay.fields <= ncols) & (PARSER != "careful")
    if scan.cut_line is not None:
        fast &= scan.data_lines != scan.cut_line
    runs = _Runs(out, tally, sel, ncols, bdelim.decode(), scan.data_lines, lay)
    per_block = max(1, BLOCK_CELLS // max(ncols, 1))
    fh = src.open()
    try:
        for lo in range(0, n, per_block):
            hi = min(n, lo + per_block)
            base = int(lay.start[lo])
            fh.seek(body_offset + base)
            runs.buf, runs.base = fh.read(int(lay.end[hi - 1]) - base), base
            # runs: lines that are all fast (or all not), of one field count, adjacent in
            # the file
            cut = np.flatnonzero((fast[lo + 1:hi] != fast[lo:hi - 1])
                                 | (lay.fields[lo + 1:hi] != lay.fields[lo:hi - 1])
                                 | (np.diff(scan.data_lines[lo:hi]) != 1)) + lo + 1
            bounds = [lo, *cut.tolist(), hi]
            for a, b in zip(bounds[:-1], bounds[1:]):
                if fast[a]:
                    runs.fast(a, b)
                else:
                    runs.careful(a, b)
                if tally.must_stop:
                    return out, tally
    finally:
        fh.close()
    return out, tally


class _Runs:
    """Parses runs of data lines of one block into `out`, counting in `tally`."""

    def __init__(self, out, tally, sel, ncols, delim, line_nos, layout):
        self.out, self.tally, self.ncols, self.delim = out, tally, ncols, delim
        self.sel = np.asarray(sel, dtype=np.int64)
        self.line_nos, self.lay = line_nos, layout
        self.buf, self.base = b"", 0
        self._schemas: dict = {}

    def careful(self, a: int, b: int):
        lay, tally = self.lay, self.tally
        for row in range(a, b):
            text = self.buf[lay.start[row] - self.base:lay.end[row] - self.base]
            tally.careful_row(text.decode("latin-1"), self.line_nos[row], self.sel,
                              self.ncols, self.out[row], self.delim)
            if tally.must_stop:
                return

    def fast(self, a: int, b: int):
        """Rows a..b-1 by polars; what it refuses is halved, the last few lines carefully."""
        if self._polars(a, b):
            return
        if b - a <= CAREFUL_ROWS:
            self.careful(a, b)
            return
        mid = (a + b) // 2
        self.fast(a, mid)
        if not self.tally.must_stop:
            self.fast(mid, b)

    def _schema(self, nf: int, present: int):
        key = (nf, present)
        if key not in self._schemas:
            import polars as pl  # lazily: it adds about 0.14 s to `import hvlab`

            read = set(self.sel[:present].tolist())
            self._schemas[key] = {f"f{i}": pl.Float64 if i in read else pl.String
                                  for i in range(nf)}
        return self._schemas[key]

    def _polars(self, a: int, b: int) -> bool:
        """Parse rows a..b-1 (all with the same field count) with polars; False when it
        refuses them or reads a NaN that is no missing cell."""
        lay, tally, rows = self.lay, self.tally, b - a
        nf = int(lay.fields[a])
        present = int(np.searchsorted(self.sel, nf))  # selected fields the lines have
        block = self.out[a:b]
        if present:
            import polars as pl

            text = self.buf[lay.start[a] - self.base:lay.end[b - 1] - self.base]
            try:
                frame = pl.read_csv(
                    text, has_header=False, separator=self.delim, quote_char='"',
                    schema=self._schema(nf, present), columns=self.sel[:present].tolist(),
                    null_values=[" "], encoding="utf8-lossy", raise_if_empty=False)
            except (pl.exceptions.PolarsError, pl.exceptions.PanicException, ValueError,
                    OverflowError):
                # refused (a panic too: polars 2.1 can panic on some stray quotes, depending
                # on how it splits the text between its threads)
                return False
            if frame.height != rows or frame.width != present:
                return False
            block[:, :present] = frame.to_numpy(order="fortran")
            # to_numpy turns polars' nulls (missing cells) into NaN; polars also reads "nan"
            # (any case) as NaN, which is not a number to this reader. No "a" in the text,
            # no such cell: every NaN is a missing cell (counting NaNs costs less than
            # polars' null_count)
            nulls = int(np.count_nonzero(np.isnan(block[:, :present])))
            if (b"a" in text or b"A" in text) and \
                    int(frame.null_count().sum_horizontal()[0]) != nulls:
                return False
        else:
            nulls = 0
        absent = len(self.sel) - present
        if absent:
            block[:, present:] = np.nan
            tally.absent += rows * absent
            for c in self.sel[present:].tolist():
                tally.absent_cols[c + 1] = tally.absent_cols.get(c + 1, 0) + rows
            tally.short_lines += rows
            tally.short_by_one += rows if nf == self.ncols - 1 else 0
            room = KEEP_EXAMPLES - len(tally.short_examples)
            if room > 0:
                tally.short_examples += [(int(no), nf) for no in self.line_nos[a:min(b, a + room)]]
        missing = nulls + rows * absent
        tally.missing += missing
        tally.numeric += rows * len(self.sel) - missing
        return True


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
