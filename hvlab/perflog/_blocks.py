"""Reading every field of a PDH body: polars on whole blocks, the exact scan where it must.

The body is read in blocks (see `BLOCK_BYTES_MAX`) that end at a line end. Each block goes
whole to polars (the timestamp as text, every counter as a number), and polars' result is kept
only where it provably agrees with what the exact scan (`_scan.scan_body`) and the
cell-by-cell parser (`_scan.Tally.careful_row`) make of the block:

- the block is ASCII and ends with a line end (the last line of a file without a line end,
  which may be cut off, always takes the exact path);
- the only control bytes are the line ends, LF or CR LF: polars ends a field at a lone CR
  (``"1"<CR>,`` reads as 1) where the cell-by-cell parser sees text;
- polars raised nothing: it refuses a cell that is not a number, a field with a stray quote,
  and a line with more fields than the header;
- one row per line end (a quote left open would join lines), and every line starts with a
  quoted timestamp in PDH's 23-character ``MM/DD/YYYY HH:MM:SS.fff`` form and a delimiter,
  byte for byte what polars read as the first field: so every line is a data line (no blank
  line, no console message) and its first field is what the scan would cut (polars takes
  quotes inside a text field as toggles: ``""1"2/31/2013 ...`` reads as ``12/31/2013 ...``,
  where the cell-by-cell parser keeps the field as written);
- the last line holds an even number of quotes (polars closes a quote left open at the end of
  its text, where the cell-by-cell parser reads the field as text);
- no line has fewer fields than the header: polars fills the missing fields of a short line
  with nulls, so where the last column holds a null the block's delimiters are counted; with
  no line longer than the header, (columns - 1) per line means none is shorter;
- polars reads ``nan`` as NaN, which this reader counts as a bad cell: in a block that holds
  an ``a`` or ``A``, the NaNs must be exactly polars' nulls.

A block that fails a check is scanned and parsed as before (`scan_body` with its layout, then
`_values.parse_values`), which is also where a bad cell gets its line and column. The scan's
findings and the cell counts of all blocks are merged into one `Scan` and one `Tally`.
tests/perflog/test_perflog_fuzz.py compares this path, with blocks of a few lines, against
the cell-by-cell parser on thousands of damaged files.
"""
from __future__ import annotations

import io
import os
import threading
from dataclasses import dataclass

import numpy as np

from hvlab.perflog import _values
from hvlab.perflog._scan import KEEP_EXAMPLES, STAMP_LEN, Scan, Stamps, Tally, scan_body
from hvlab.perflog._times import STAMP_DIGITS, STAMP_SEPARATORS

# Bytes per block: a twelfth of the body, at least 4 MiB and at most 24 MiB. polars splits a
# block between its threads, and each call costs a few ms per thousand columns: blocks of
# 2 MiB parse about 1.8x slower than 24 MiB ones here. Two blocks are parsed at a time, each
# held as text, as polars' frame and as numbers while it is converted (about 5.4 blocks'
# worth of bytes in all), so blocks of a twelfth keep the peak near twice the frame
# (benchmarks/bench_perflog.py: 2.2x on the wide log, 1.9x on the day-long one; an eighth
# gave 2.4x on both).
BLOCK_BYTES_MAX = 24 << 20
BLOCK_BYTES_MIN = 4 << 20
_IN_FLIGHT = 2  # blocks polars parses at a time
_CHECK_BYTES = 4 << 20  # bytes of a block compared at a time (a small scratch array)
_LF, _CR, _QUOTE = 10, 13, 34
# where a PDH stamp has its digits and separators, as _times._pdh_times reads it
_SEP_AT = np.array(list(STAMP_SEPARATORS))
_SEP = np.frombuffer("".join(STAMP_SEPARATORS.values()).encode(), np.uint8)


def read_all_fields(src, body_offset: int, *, first_line_no: int, ncols: int, bdelim: bytes,
                    dtype, errors: str) -> tuple[Scan, np.ndarray, Tally]:
    """(scan, values (rows, ncols - 1), tally) of every field of every data line.

    `src` is read_perflog's source (``open(offset)`` gives a binary file); `body_offset` is
    where the first line after the header starts. Two worker threads hand blocks to polars
    (which releases the GIL; two blocks at once keep both cores busy where one leaves gaps)
    while this thread reads the next block, checks its bytes, and checks and copies the
    oldest parsed block, in file order. At most `_IN_FLIGHT` + 1 blocks are in memory."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    fh = src.open(body_offset)
    pool = ThreadPoolExecutor(_IN_FLIGHT, thread_name_prefix="hvlab-perflog")
    try:
        size = _remaining(fh)
        reader = _BlockReader(ncols, bdelim, dtype, errors, first_line_no, size)
        block_bytes = min(BLOCK_BYTES_MAX, max(BLOCK_BYTES_MIN, size // 12))
        queue = deque()
        while not reader.tally.must_stop:
            block = _next_block(fh, block_bytes)
            if block:
                starts = reader.line_starts(block)
                queue.append((block, starts, pool.submit(reader.parse, block)
                              if starts is not None else None))
            if queue and (len(queue) > _IN_FLIGHT - 1 or not block):
                done, starts, job = queue.popleft()
                reader.take(done, starts, job.result() if job is not None else None)
                del done, job  # (its bytes and numbers go before the next block is read)
            if not block and not queue:
                break
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        fh.close()
    return reader.finish()


def _remaining(fh) -> int:
    """Bytes from the current position to the end of `fh`."""
    here = fh.tell()
    end = fh.seek(0, os.SEEK_END)
    fh.seek(here)
    return end - here


def _next_block(fh, size: int) -> bytes:
    """About `size` bytes of `fh` up to and including a line end (or to the end of the file),
    read in one piece: the rest of the line is found first, so the block is not copied again."""
    start = fh.tell()
    fh.seek(start + size)
    rest = len(fh.readline())
    fh.seek(start)
    return fh.read(size + rest)


@dataclass
class _Parsed:
    """polars' reading of one block (`_BlockReader.parse`)."""

    values: np.ndarray   # (rows, columns - 1), column-major, NaN where polars has a null
    stamps: np.ndarray   # (rows, 23) uint8
    nulls: int           # missing cells
    last_nulls: int      # of them, in the last column


class _BlockReader:
    """Reads blocks, in file order, into a growing column-major values array and merges their
    scans. `parse` runs in worker threads, the rest in the reading thread."""

    def __init__(self, ncols: int, bdelim: bytes, dtype, errors: str, first_line_no: int,
                 size: int):
        import polars as pl  # lazily: it adds about 0.14 s to `import hvlab`

        self.pl = pl
        self.ncols, self.k, self.bdelim, self.dtype = ncols, ncols - 1, bdelim, dtype
        self.delim = bdelim.decode()
        self.errors, self.size = errors, size
        self.tally = Tally(errors=errors)
        self.schema = {f"f{i}": pl.String if i == 0 else pl.Float64 for i in range(ncols)}
        self.out = None
        self.rows, self.read_bytes, self.line_no = 0, 0, first_line_no
        self.lines, self.fixed, self.standard, self.other = [], [], [], []
        self.blank = self.other_lines = 0
        self.other_examples: list = []
        self.ascii = self.utf8 = True
        self.sample = bytearray()
        self.unterminated, self.cut_line, self.cut_dropped = False, None, False
        self._scratch = {}  # thread -> bool work array of _CHECK_BYTES

    # -- one block ---------------------------------------------------------------------------
    def line_starts(self, block: bytes) -> np.ndarray | None:
        """Where each line of `block` starts, where polars may read it: ASCII, ending with a
        line end, no control byte but the line ends (LF or CR LF throughout), an even number
        of quotes on the last line. None otherwise."""
        if not block.endswith(b"\n") or not block.isascii():
            return None
        last = block[block.rfind(b"\n", 0, len(block) - 1) + 1:]
        if last.count(b'"') % 2:
            return None
        arr = np.frombuffer(block, np.uint8)
        parts = []
        for lo, piece, low in self._pieces(arr):
            np.less(piece, 14, out=low)
            if self.bdelim == b"\t":
                low &= piece != 9
            parts.append(np.flatnonzero(low) + lo)
        where = np.concatenate(parts)  # the line ends, and any other control byte
        ctrl = arr[where]
        if ctrl[0] == _CR:  # CR LF: CR and LF alternate, each CR right before its LF
            if len(ctrl) % 2 or not ((ctrl[0::2] == _CR).all() and (ctrl[1::2] == _LF).all()
                                     and (where[1::2] - where[0::2] == 1).all()):
                return None
            ends = where[1::2]
        elif (ctrl == _LF).all():
            ends = where
        else:
            return None
        starts = np.empty(len(ends), np.int64)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        return starts

    def _pieces(self, arr: np.ndarray):
        """(offset, piece, bool work array of its length) over `arr` in _CHECK_BYTES pieces."""
        scratch = self._scratch.setdefault(threading.get_ident(), np.empty(_CHECK_BYTES, bool))
        for lo in range(0, len(arr), _CHECK_BYTES):
            piece = arr[lo:lo + _CHECK_BYTES]
            yield lo, piece, scratch[:len(piece)]

    def take(self, block: bytes, starts: np.ndarray | None, parsed: "_Parsed | None") -> None:
        """Read the next block: polars' reading (`parsed`, from `parse`) where it passes every
        check of the module docstring, else the exact scan and parse."""
        self.read_bytes += len(block)
        if parsed is None or starts is None or not self._agrees(block, parsed, starts):
            self._exact(block)
            return
        n = parsed.values.shape[0]
        self._room(n)[:] = parsed.values
        self.tally.missing += parsed.nulls
        self.tally.numeric += n * self.k - parsed.nulls
        self.rows += n
        self.lines.append(np.arange(self.line_no, self.line_no + n, dtype=np.int64))
        self.line_no += n
        self.fixed.append(parsed.stamps)
        self.standard.append(np.ones(n, bool))
        self.other.append(np.empty(n, dtype=object))

    def parse(self, block: bytes) -> "_Parsed | None":
        """What polars makes of `block`: its numbers as a column-major array (nulls as NaN),
        its stamps and null counts; None where polars refuses the block or a row's first
        field is no PDH timestamp. Runs in a worker thread; polars' frame is dropped here, so
        a parsed block waiting its turn holds one copy of its numbers."""
        pl = self.pl
        try:
            frame = pl.read_csv(block, has_header=False, separator=self.delim, quote_char='"',
                                schema=self.schema, null_values=[" "], encoding="utf8-lossy",
                                raise_if_empty=False)
        except (pl.exceptions.PolarsError, pl.exceptions.PanicException, ValueError,
                OverflowError):
            # refused (a panic too: polars 2.1 can panic on some stray quotes, depending on
            # how it splits the text between its threads)
            return None
        if frame.width != self.ncols:
            return None
        stamps = _fixed_stamps(frame.to_series(0), pl)
        if stamps is None:
            return None
        counts = frame.null_count().row(0)
        return _Parsed(values=frame.drop("f0").to_numpy(order="fortran"), stamps=stamps,
                       nulls=int(sum(counts)), last_nulls=int(counts[-1]))

    def _agrees(self, block: bytes, parsed: "_Parsed", starts: np.ndarray) -> bool:
        """The checks of the module docstring that need polars' reading."""
        n = parsed.values.shape[0]
        if n != len(starts):
            return False
        # each line starts with its stamp quoted and then a delimiter, byte for byte as polars
        # read it: polars also takes quotes inside a text field as toggles (""1"2/31/...
        # reads as 12/31/...), where the cell-by-cell parser keeps such a field as it is
        arr = np.frombuffer(block, np.uint8)
        head = arr[np.minimum(starts[:, None] + np.arange(STAMP_LEN + 3), len(arr) - 1)]
        after = self.bdelim[0] if self.ncols > 1 else (_CR if arr[-2] == _CR else _LF)
        if not ((head[:, 0] == _QUOTE).all() and (head[:, STAMP_LEN + 1] == _QUOTE).all()
                and (head[:, STAMP_LEN + 2] == after).all()
                and (head[:, 1:STAMP_LEN + 1] == parsed.stamps).all()):
            return False
        if parsed.last_nulls:
            delims = 0
            for _, piece, low in self._pieces(np.frombuffer(block, np.uint8)):
                delims += int(np.count_nonzero(np.equal(piece, self.bdelim[0], out=low)))
            if delims != n * (self.ncols - 1):
                return False  # a line with fewer fields than the header
        # polars reads "nan" as NaN, a bad cell here: every NaN must be a null
        return not (b"a" in block or b"A" in block) or \
            int(np.count_nonzero(np.isnan(parsed.values))) == parsed.nulls

    def _exact(self, block: bytes) -> None:
        """The block scanned and parsed as the layout path does."""
        scan = scan_body(io.BytesIO(block), first_line_no=self.line_no, delim=self.bdelim,
                         ncols=self.ncols, dtype=self.dtype, errors=self.errors, layout=True,
                         quoting=False)
        values, tally = _values.parse_values(_Bytes(block), 0, scan, list(range(1, self.ncols)),
                                             self.ncols, self.bdelim, self.dtype, self.errors)
        n = len(scan.data_lines)
        self._room(n)[:] = values
        self.rows += n
        self.line_no += block.count(b"\n") + (not block.endswith(b"\n"))
        self.lines.append(scan.data_lines)
        self.fixed.append(scan.stamps.fixed)
        self.standard.append(scan.stamps.standard)
        self.other.append(scan.stamps.other)
        self.blank += scan.blank_lines
        self.other_lines += scan.other_lines
        self.other_examples += scan.other_examples[:KEEP_EXAMPLES - len(self.other_examples)]
        self.ascii &= scan.ascii
        self.utf8 &= scan.utf8
        if len(self.sample) < 65536:
            self.sample += scan.nonascii_sample
        self.unterminated |= scan.unterminated
        self.cut_line = scan.cut_line if scan.cut_line is not None else self.cut_line
        self.cut_dropped |= scan.cut_dropped
        _merge(self.tally, tally)

    def _room(self, n: int) -> np.ndarray:
        """Rows for the next `n` values: the array is sized from the first block's bytes per
        line, and grows (one copy) when the rest of the file has shorter lines."""
        need = self.rows + n
        if self.out is None or need > len(self.out):
            per_line = self.read_bytes / max(need, 1)
            guess = need + int((self.size - self.read_bytes) / per_line * 1.02) + 16 if n \
                else need
            grown = np.empty((max(need, guess), self.k), dtype=self.dtype, order="F")
            if self.out is not None:
                grown[:self.rows] = self.out[:self.rows]
            self.out = grown
        return self.out[self.rows:need]

    # -- all blocks --------------------------------------------------------------------------
    def finish(self) -> tuple[Scan, np.ndarray, Tally]:
        if self.out is None:
            values = np.empty((0, self.k), dtype=self.dtype, order="F")
        else:
            values = _trimmed(self.out, self.rows)
        cat = (lambda parts, dtype: np.concatenate(parts) if parts else np.empty(0, dtype))
        stamps = Stamps(np.concatenate(self.fixed) if self.fixed
                        else np.zeros((0, STAMP_LEN), np.uint8),
                        cat(self.standard, bool), cat(self.other, object))
        self.tally.cut_line = self.cut_line
        scan = Scan(data_lines=cat(self.lines, np.int64), stamps=stamps,
                    blank_lines=self.blank, other_lines=self.other_lines,
                    other_examples=self.other_examples, ascii=self.ascii, utf8=self.utf8,
                    nonascii_sample=bytes(self.sample),
                    unterminated=self.unterminated, cut_line=self.cut_line,
                    cut_dropped=self.cut_dropped)
        return scan, values, self.tally


def _trimmed(out: np.ndarray, rows: int) -> np.ndarray:
    """The first `rows` rows of the column-major array `out`. Where the row count was guessed
    high by at most a tenth, a view (each column still contiguous, spaced as allocated);
    otherwise the columns are moved together in place (one pass over the values, no second
    array; the end of the allocation stays allocated, unused)."""
    if rows >= 0.9 * len(out):
        return out[:rows]
    n_alloc, k = out.shape
    flat = out.ravel(order="K")  # (a view: out is column-major)
    for j in range(1, k):
        flat[j * rows:(j + 1) * rows] = flat[j * n_alloc:j * n_alloc + rows]
    return flat[:rows * k].reshape((rows, k), order="F")


def _fixed_stamps(column, pl) -> np.ndarray | None:
    """The stamps of a polars text column as a (rows, 23) uint8 array, or None unless every
    one is in PDH's form (digits and separators where `_times._pdh_times` expects them)."""
    if column.null_count():
        return None
    arrow = column.to_arrow(compat_level=pl.CompatLevel.oldest())  # large_string: offsets, data
    if hasattr(arrow, "combine_chunks"):
        arrow = arrow.combine_chunks()
    n = len(arrow)
    offsets = np.frombuffer(arrow.buffers()[1], np.int64)[arrow.offset:arrow.offset + n + 1]
    if n == 0 or not (np.diff(offsets) == STAMP_LEN).all():
        return None
    data = np.frombuffer(arrow.buffers()[2], np.uint8)
    fixed = data[offsets[0]:offsets[-1]].reshape(n, STAMP_LEN)
    digits = fixed[:, STAMP_DIGITS]
    if not (((digits >= 48) & (digits <= 57)).all() and (fixed[:, _SEP_AT] == _SEP).all()):
        return None
    return fixed.copy()


def _merge(into: Tally, part: Tally) -> None:
    """Add the counts and examples of one block's tally to the whole file's."""
    for name in ("numeric", "missing", "bad", "absent", "extra", "short_lines",
                 "short_by_one", "long_lines"):
        setattr(into, name, getattr(into, name) + getattr(part, name))
    for name in ("bad_examples", "short_examples", "long_examples"):
        mine = getattr(into, name)
        mine += getattr(part, name)[:KEEP_EXAMPLES - len(mine)]
    for name in ("bad_cols", "absent_cols"):
        mine = getattr(into, name)
        for col, count in getattr(part, name).items():
            mine[col] = mine.get(col, 0) + count


class _Bytes:
    """A block as `_values.parse_values` reads its source."""

    def __init__(self, data: bytes):
        self.data = data

    def open(self, offset: int = 0):
        fh = io.BytesIO(self.data)
        fh.seek(offset)
        return fh
