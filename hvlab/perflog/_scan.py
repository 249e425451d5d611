"""Byte-level passes over a PDH-CSV/TSV body.

The body (everything after the header line) is scanned once in large chunks with numpy: it
finds every line, sorts lines into data lines (starting with a quote or a digit), blank lines
and other lines (typeperf console messages such as "Exiting, please wait..."), takes the
timestamp (first field) of every data line, counts delimiters (a cheap test that no row is
ragged) and notes whether the bytes are ASCII or valid UTF-8. With few counters selected it
also cuts those cells out directly, which is much faster than a full parse.

All the work happens on bytes; the only bytes that matter in a body are ASCII (quotes,
delimiters, digits, line ends), which every Windows code page and UTF-8 share. Cells are
decoded as latin-1 for the numeric test (any non-ASCII byte makes a cell "bad" in any
encoding); text shown to the user is decoded later with the file's encoding.
"""
from __future__ import annotations

import codecs
import io
import math
import re
from dataclasses import dataclass, field

import numpy as np

from hvlab.perflog._cells import MISSING, NUMERIC, classify, split_fields

CHUNK_BYTES = 8 << 20
KEEP_EXAMPLES = 20
_QUOTE, _LF, _CR = 34, 10, 13
STAMP_LEN = 23  # MM/DD/YYYY HH:MM:SS.fff
# cells joined by newlines, each a number (as `classify` accepts it) or blank (isspace)
_CELL = (rb"(?:[ \t]*[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?)[ \t]*"
         rb"|[\t\x0b\x0c\r\x1c-\x1f \x85\xa0]*)")
_ALL_NUMBERS = re.compile(_CELL + rb"(?:\n" + _CELL + rb")*", re.IGNORECASE | re.ASCII)


def line_chunks(fh, chunk_bytes: int = CHUNK_BYTES):
    """Yield chunks (bytearray) of `fh` that each end with a line end (the last may not).

    Each chunk is read into its own buffer and completed with the rest of its last line,
    without copying the chunk again."""
    while True:
        buf = bytearray(chunk_bytes)
        n = fh.readinto(buf)
        if not n:
            return
        del buf[n:]
        if buf[-1] != 10:
            buf += fh.readline()
        yield buf


def first_field(line: bytes, delim: bytes) -> bytes:
    """The first field of a data line (quotes removed), as `split_fields` would cut it."""
    if line.startswith(b'"'):
        end = line.find(b'"' + delim, 1)
        if end >= 0:
            return line[1:end]
        if len(line) >= 2 and line.endswith(b'"') and line.count(b'"') == 2:
            return line[1:-1]
        cut = line.find(delim)
        return line if cut < 0 else line[:cut]
    cut = line.find(delim)
    return line if cut < 0 else line[:cut]


def is_data_line(line: bytes) -> bool:
    """A data line starts with a quote or a digit (the timestamp)."""
    return bool(line) and (line[0] == _QUOTE or 48 <= line[0] <= 57)


@dataclass
class Tally:
    """Counts of what the cells held, and the first few problems with their places."""

    errors: str = "raise"
    numeric: int = 0
    missing: int = 0
    bad: int = 0
    absent: int = 0
    extra: int = 0
    short_lines: int = 0
    short_by_one: int = 0  # of short_lines, those lacking only the last field
    long_lines: int = 0
    bad_examples: list = field(default_factory=list)    # (line, column, raw text)
    short_examples: list = field(default_factory=list)  # (line, fields)
    long_examples: list = field(default_factory=list)   # (line, fields)
    cut_line: int | None = None  # a last line cut off inside its last field
    bad_cols: dict = field(default_factory=dict)         # column (1-based) -> bad cells
    absent_cols: dict = field(default_factory=dict)      # column (1-based) -> absent cells

    def note_bad(self, line_no: int, column: int, text: str):
        self.bad += 1
        self.bad_cols[column] = self.bad_cols.get(column, 0) + 1
        if len(self.bad_examples) < KEEP_EXAMPLES:
            self.bad_examples.append((int(line_no), int(column), text))

    def careful_row(self, text: str, line_no: int, cols, ncols: int, out, delim: str):
        """Parse one data line cell by cell into `out` (one slot per selected column)."""
        fields = split_fields(text, delim)
        if line_no == self.cut_line and len(fields) > 1:
            fields.pop()  # incomplete: read as absent
        nf = len(fields)
        if nf < ncols:
            self.short_lines += 1
            self.short_by_one += nf == ncols - 1
            if len(self.short_examples) < KEEP_EXAMPLES:
                self.short_examples.append((int(line_no), nf))
        elif nf > ncols:
            self.long_lines += 1
            self.extra += nf - ncols
            if len(self.long_examples) < KEEP_EXAMPLES:
                self.long_examples.append((int(line_no), nf))
        for j, c in enumerate(cols):
            if c < nf:
                value, kind = classify(fields[c])
                out[j] = value
                if kind == NUMERIC:
                    self.numeric += 1
                elif kind == MISSING:
                    self.missing += 1
                else:
                    self.note_bad(line_no, c + 1, fields[c])
            else:
                out[j] = math.nan
                self.missing += 1
                self.absent += 1
                self.absent_cols[c + 1] = self.absent_cols.get(c + 1, 0) + 1

    @property
    def must_stop(self) -> bool:
        """In errors="raise" mode, a bad cell or an overlong line ends the read."""
        return self.errors == "raise" and bool(self.bad or self.long_lines)


@dataclass
class Layout:
    """Where every data line lies in the body and whether a CSV engine splits it into the same
    fields as `split_fields` (for the value pass)."""

    start: np.ndarray   # byte offset of each data line from the start of the body
    end: np.ndarray     # its end, line end excluded
    fields: np.ndarray  # delimiters + 1
    clean: np.ndarray   # polars splits it as split_fields does or refuses it (_line_layout)


@dataclass
class Scan:
    """What one pass over the body found."""

    data_lines: np.ndarray          # 1-based file line number of every data line
    stamps: "Stamps"                # first field of every data line
    blank_lines: int
    other_lines: int
    other_examples: list            # (line, raw bytes)
    ascii: bool
    utf8: bool
    nonascii_sample: bytes
    unterminated: bool              # the last line has no line end (a truncated file?)
    cut_line: int | None = None     # that line, when its last field lacks its closing quote
    cut_dropped: bool = False       # it was cut inside the timestamp and is not a data line
    layout: Layout | None = None    # with layout=True
    values: np.ndarray | None = None   # (rows, k) when cells were cut out during the scan
    tally: Tally | None = None


class _Collector:
    def __init__(self):
        self.parts = []

    def add(self, x):
        self.parts.append(x)

    def cat(self, dtype):
        return np.concatenate(self.parts) if self.parts else np.empty(0, dtype)


def scan_body(fh, *, first_line_no: int, delim: bytes, ncols: int, extract=None,
              dtype="float64", errors="raise", layout: bool = False,
              quoting: bool = True) -> Scan:
    """Scan the body from the current position of binary file `fh`.

    Parameters
    ----------
    first_line_no : int
        File line number (1-based) of the first body line.
    delim : bytes
        b"," or b"\\t".
    ncols : int
        Fields per line according to the header (timestamp included).
    extract : list of int, optional
        Field positions (1 .. ncols-1) whose cells to cut out and parse during the scan.
    layout : bool
        Record where each data line lies, its field count and whether a CSV engine splits it
        as `split_fields` does (`Layout`), for the value pass.
    quoting : bool
        For `layout`: check every quote on a line. Without this check a line is clean only
        where the value pass parses all of its fields as numbers: a stray quote then makes
        some field fail to parse (see `_line_layout`).
    """
    dl = delim[0]
    lines_c, stamps_c, values_c = _Collector(), _Collector(), _Collector()
    fixed_c, standard_c = _Collector(), _Collector()
    start_c, end_c, fields_c, clean_c = _Collector(), _Collector(), _Collector(), _Collector()
    blank = other = 0
    other_examples = []
    ascii_ok, utf8 = True, codecs.getincrementaldecoder("utf-8")()
    utf8_ok, sample = True, bytearray()
    unterminated = False
    cut_line, cut_dropped = None, False
    line_no = first_line_no
    offset = 0  # of the chunk in the body
    tally = Tally(errors=errors) if extract is not None else None
    k = len(extract) if extract is not None else 0
    ext = np.asarray(extract, dtype=np.int64) if extract is not None else None
    scratch = _Scratch()
    for chunk in line_chunks(fh):
        arr = np.frombuffer(chunk, np.uint8)
        if ascii_ok and not chunk.isascii():
            ascii_ok = False
        if not ascii_ok and utf8_ok:
            try:
                utf8.decode(chunk)
            except UnicodeDecodeError:
                utf8_ok = False
        nl = np.flatnonzero(arr == _LF)
        ends = nl
        if chunk[-1:] != b"\n":
            ends = np.append(nl, len(chunk))
            unterminated = True
        starts = np.empty_like(ends)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        has_cr = (ends > starts) & (arr[np.maximum(ends - 1, 0)] == _CR)
        ends = ends - has_cr
        length = ends - starts
        first = arr[np.minimum(starts, len(arr) - 1)]
        is_blank = length == 0
        is_data = ~is_blank & ((first == _QUOTE) | ((first >= 48) & (first <= 57)))
        if chunk[-1:] != b"\n" and is_data[-1]:
            last = chunk[starts[-1]:ends[-1]]
            if not last.endswith(b'"') or last.count(b'"') % 2:
                # cut off mid-field: the last field is incomplete (a partial number must not
                # be read as a number); cut inside the timestamp, the line holds no sample
                if last.startswith(b'"') and last.find(b'"' + delim, 1) > 0:
                    cut_line = int(line_no + len(ends) - 1)
                else:
                    is_data[-1] = False
                    cut_dropped = True
        is_other = ~is_blank & ~is_data
        if cut_dropped:
            is_other[-1] = False  # neither data nor a console message
        nos = line_no + np.arange(len(ends))
        line_no += len(ends)
        blank += int(is_blank.sum())
        if layout:
            fields, clean = _line_layout(arr, starts, length, delim, len(nl),
                                         int(np.count_nonzero(has_cr)), scratch, quoting)
            start_c.add(offset + starts[is_data])
            end_c.add(offset + ends[is_data])
            fields_c.add(fields[is_data])
        if is_other.any():
            for i in np.flatnonzero(is_other):
                other += 1
                if len(other_examples) < KEEP_EXAMPLES:
                    other_examples.append((int(nos[i]), chunk[starts[i]:ends[i]]))
        if not ascii_ok and len(sample) < 65536:
            for i in np.flatnonzero(is_data | is_other)[:200]:
                text = chunk[starts[i]:ends[i]]
                if not text.isascii():
                    sample += _safe_cut(text, 4096) + b"\n"
                if len(sample) >= 65536:
                    break
        ds, de = starts[is_data], ends[is_data]
        lines_c.add(nos[is_data])
        fixed, standard, others, plain = _stamps(chunk, arr, ds, de, delim)
        stamps_c.add(others)
        fixed_c.add(fixed)
        standard_c.add(standard)
        if layout:
            clean_c.add(clean[is_data] & plain)
        if extract is not None:
            tally.cut_line = cut_line
            values_c.add(_cut_cells(chunk, arr == dl, ds, de, nos[is_data], ext, ncols, delim,
                                    tally, dtype))
        offset += len(chunk)
    if not utf8_ok or not ascii_ok:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False
    values = None
    if extract is not None:
        values = (np.concatenate(values_c.parts) if values_c.parts
                  else np.empty((0, k), dtype=dtype))
    lay = None
    if layout:
        lay = Layout(start=start_c.cat(np.int64), end=end_c.cat(np.int64),
                     fields=fields_c.cat(np.int64), clean=clean_c.cat(bool))
    stamps = Stamps(np.concatenate(fixed_c.parts) if fixed_c.parts
                    else np.zeros((0, STAMP_LEN), np.uint8),
                    standard_c.cat(bool), stamps_c.cat(object))
    return Scan(data_lines=lines_c.cat(np.int64), stamps=stamps, blank_lines=blank,
                other_lines=other, other_examples=other_examples,
                ascii=ascii_ok, utf8=utf8_ok, nonascii_sample=bytes(sample),
                unterminated=unterminated, cut_line=cut_line, cut_dropped=cut_dropped,
                layout=lay, values=values, tally=tally)


def _line_counts(mask: np.ndarray, starts: np.ndarray, longest: int) -> np.ndarray:
    """How many True bytes of `mask` each line holds (lines are the stretches between
    consecutive `starts`; the narrowest accumulator that cannot overflow is the fastest)."""
    acc = np.uint16 if longest < 65535 else np.uint32 if longest < 2**32 - 1 else np.uint64
    return np.add.reduceat(mask.view(np.uint8), starts, dtype=acc)


class _Scratch:
    """Boolean work arrays reused from chunk to chunk: fresh 8 MB arrays cost more in page
    faults than the comparisons that fill them."""

    def __init__(self):
        self.bufs: list = []

    def get(self, n: int) -> list:
        if not self.bufs or len(self.bufs[0]) < n:
            self.bufs = [np.empty(n + (1 << 16), bool) for _ in range(4)]
        return [b[:n] for b in self.bufs]


def _line_layout(arr: np.ndarray, starts: np.ndarray, length: np.ndarray, delim: bytes,
                 line_ends: int, crs: int, scratch: _Scratch, quoting: bool):
    """(fields, clean) of every line of a chunk with `line_ends` LF bytes, `crs` of them after
    a CR.

    A clean line is one that a CSV engine (polars) either splits into the same fields as
    `split_fields`, or refuses. polars refuses a field with anything around its quotes or a
    quote inside that is not doubled ("1"x, x"1", "1""), and a field that is not a number;
    split_fields reads such a field as text, so where every field after the timestamp is
    parsed as a number, a stray quote makes polars refuse the line and the line is read cell
    by cell. What remains to check here: an even number of quotes (polars takes a quote left
    open at the end of its text as closed there), no CR except before the LF (polars ends a
    quoted field at a lone CR) and no NUL byte; the timestamp field is checked by `_stamps`. With
    `quoting` (when some fields are not parsed, with ``counters=``) every quote is checked
    as well: a clean line has no quote at all, or every field quoted with no quote inside
    (every quote next to exactly one field boundary, every delimiter between two quotes)."""
    n = len(arr)
    is_delim, is_quote, edge, work = scratch.get(n)
    np.equal(arr, delim[0], out=is_delim)
    longest = int(length.max()) + 2 if len(length) else 0
    fields = _line_counts(is_delim, starts, longest) + 1
    clean = np.ones(len(starts), bool)
    np.less(arr, 14, out=edge)
    # normally the only bytes below 14 are the line ends (and the tabs of a TSV)
    controls = line_ends + crs + (int(fields.sum()) - len(fields) if delim == b"\t" else 0)
    if int(np.count_nonzero(edge)) != controls:
        after = np.empty(n, np.uint8)
        after[:-1], after[-1] = arr[1:], _LF
        bad = (arr == 0) | ((arr == _CR) & (after != _LF))  # NUL, CR not before the LF
        if bad.any():
            clean[np.searchsorted(starts, np.flatnonzero(bad), side="right") - 1] = False
        np.equal(arr, _LF, out=edge)
        np.logical_or(edge, arr == _CR, out=edge)
    np.equal(arr, _QUOTE, out=is_quote)
    has_quotes = bool(n) and bool(is_quote.any())
    if has_quotes:
        # a quote left open at the end of a line: polars reads what follows it as the field
        # when the line ends its text (split_fields reads the field as text)
        quotes = _line_counts(is_quote, starts, longest)
        clean &= quotes % 2 == 0
    if not quoting:
        return fields, clean
    np.logical_or(edge, is_delim, out=edge)  # a field boundary
    if has_quotes:
        # a quote with a boundary on both sides or on neither
        np.equal(edge[:-2], edge[2:], out=work[1:-1])
        # the chunk's first and last bytes follow and precede a line end
        work[0], work[-1] = edge[1] if n > 1 else True, edge[-2] if n > 1 else True
        np.logical_and(work, is_quote, out=work)
        wrong = bool(work.any())
        # a delimiter without a quote on both sides (one at the chunk's edge has none)
        np.logical_and(is_quote[:-2], is_quote[2:], out=edge[1:-1])
        edge[0] = edge[-1] = False
        np.greater(is_delim, edge, out=edge)
        if wrong or edge.any():
            hit = np.zeros(len(starts), bool)
            where = np.flatnonzero(work | edge)
            hit[np.searchsorted(starts, where, side="right") - 1] = True
            clean &= ~(hit & (quotes > 0))  # a line with no quote cannot be misquoted
    return fields, clean


def _safe_cut(text: bytes, limit: int) -> bytes:
    """`text` cut to at most `limit` bytes at a quote, comma, semicolon or tab: bytes that no
    double-byte code page uses inside a character, so no character is cut in half."""
    if len(text) <= limit:
        return text
    cut = max(text.rfind(b, 0, limit) for b in (b'"', b",", b";", b"\t"))
    return text[:cut] if cut > 0 else b""


class Stamps:
    """The first field (timestamp) of every data line: the standard quoted 23-character form
    as bytes (``fixed``, one row a line, where ``standard``), any other form as text
    (``other``, None where standard). Python strings for 100,000s of standard stamps would
    cost more than parsing them."""

    def __init__(self, fixed: np.ndarray, standard: np.ndarray, other: np.ndarray):
        self.fixed, self.standard, self.other = fixed, standard, other

    def __len__(self) -> int:
        return len(self.standard)

    def text(self, i: int) -> str:
        """The stamp of data line `i` as written."""
        if self.standard[i]:
            return bytes(self.fixed[i]).decode("latin-1")
        return self.other[i]


def _stamps(chunk: bytes, arr: np.ndarray, starts, ends, delim: bytes):
    """(fixed, standard, other, plain) for the data lines (see `Stamps`); plain: the first
    field is quoted with no quote or delimiter inside and a delimiter or the line end after
    it, or unquoted with no quote at all."""
    w = STAMP_LEN
    other = np.empty(len(starts), dtype=object)
    fixed = np.zeros((len(starts), w), np.uint8)
    good = np.zeros(len(starts), bool)
    if not len(starts):
        return fixed, good, other, good.copy()
    n = len(arr)
    ok = (ends - starts >= w + 2)
    s_ok = starts[ok]
    if len(s_ok):
        close = arr[np.minimum(s_ok + w + 1, n - 1)] == _QUOTE
        after = s_ok + w + 2
        e_ok = ends[ok]
        tail = (after == e_ok) | (arr[np.minimum(after, n - 1)] == delim[0])
        block = arr[(s_ok + 1)[:, None] + np.arange(w)]
        clean = (~((block == _QUOTE) | (block == delim[0])).any(axis=1)
                 & (block < 128).all(axis=1))
        g = close & tail & clean & (arr[s_ok] == _QUOTE)
        rows = np.flatnonzero(ok)[g]
        good[rows] = True
        fixed[rows] = block[g]
    plain = good.copy()
    for i in np.flatnonzero(~good):
        line = chunk[starts[i]:ends[i]]
        first = first_field(line, delim)
        other[i] = first.decode("latin-1")
        # (a delimiter inside a quoted timestamp would make the delimiter count wrong)
        if line[:1] == b'"':
            plain[i] = line[1 + len(first):2 + len(first) + len(delim)] in (
                b'"', b'"' + delim) and b'"' not in first and delim not in first
        else:
            plain[i] = b'"' not in first
    return fixed, good, other, plain


def _cut_cells(chunk, is_delim, starts, ends, nos, ext, ncols, delim, tally: Tally, dtype):
    """Cells of the selected fields of each data line, parsed; irregular lines carefully."""
    rows = len(starts)
    out = np.full((rows, len(ext)), np.nan, dtype=dtype)
    if not rows:
        return out
    d = np.flatnonzero(is_delim)
    fi = np.searchsorted(d, starts)
    li = np.searchsorted(d, ends)
    regular = ((li - fi) == ncols - 1) & (nos != (tally.cut_line or 0))
    sdelim = delim.decode("latin-1")
    if regular.any():
        r = np.flatnonzero(regular)
        base = fi[r][:, None]
        cs = d[base + ext[None, :] - 1] + 1
        last = ext == ncols - 1
        ce = np.where(last[None, :], ends[r][:, None],
                      d[np.minimum(base + ext[None, :], len(d) - 1)])
        k = len(ext)
        cells = [chunk[a:b] for a, b in zip(cs.ravel().tolist(), ce.ravel().tolist())]
        cells = [c[1:-1] if len(c) > 1 and c[0] == _QUOTE and c[-1] == _QUOTE else c
                 for c in cells]
        joined = b"\n".join(cells)
        stray = {i // k for i, c in enumerate(cells) if b'"' in c} if b'"' in joined else ()
        if not stray and _ALL_NUMBERS.fullmatch(joined):
            # every cell a number or blank (the common case): convert in one sweep
            blank = [not c or c.decode("latin-1").isspace() for c in cells]
            vals = [math.nan if e else float(c) for c, e in zip(cells, blank)]
            out[r] = np.asarray(vals, dtype=np.float64).reshape(len(r), k)
            n_blank = sum(blank)
            tally.missing += n_blank
            tally.numeric += len(cells) - n_blank
        else:
            for ri, row in enumerate(r.tolist()):
                if ri in stray:  # stray quotes: leave this line to the careful parser
                    tally.careful_row(chunk[starts[row]:ends[row]].decode("latin-1"),
                                      nos[row], ext, ncols, out[row], sdelim)
                    continue
                vals = out[row]
                for j in range(k):
                    text = cells[ri * k + j].decode("latin-1")
                    value, kind = classify(text)
                    vals[j] = value
                    if kind == NUMERIC:
                        tally.numeric += 1
                    elif kind == MISSING:
                        tally.missing += 1
                    else:
                        tally.note_bad(nos[row], int(ext[j]) + 1, text)
    for row in np.flatnonzero(~regular):
        tally.careful_row(chunk[starts[row]:ends[row]].decode("latin-1"), nos[row], ext,
                          ncols, out[row], sdelim)
    return out


def data_lines(fh, delim: bytes, drop_cut: bool = False):
    """Yield (line without line end, is_data) for every body line, sorted as `scan_body`
    sorts them (blank lines are not data; with `drop_cut`, neither is a last line without
    line end, which `scan_body` found cut inside its timestamp)."""
    for chunk in line_chunks(fh):
        parts = chunk.split(b"\n")
        cut = not chunk.endswith(b"\n")
        if not cut:
            parts.pop()
        last = len(parts) - 1
        for i, line in enumerate(parts):
            if line.endswith(b"\r"):
                line = line[:-1]
            yield line, is_data_line(line) and not (drop_cut and cut and i == last)


def filtered_body(fh, drop_cut: bool = False) -> io.BytesIO:
    """The data lines alone (console messages and blank lines removed), for the fast parser."""
    out = io.BytesIO()
    for line, ok in data_lines(fh, b",", drop_cut):
        if ok:
            out.write(line)
            out.write(b"\n")
    out.seek(0)
    return out
