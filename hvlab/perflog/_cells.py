"""Cell-level parsing shared by the readers: splitting one line into fields and deciding
whether a cell is a number, missing, or bad. This is the careful (pure Python) path; the fast
path hands runs of lines to polars and agrees with these rules cell for cell."""
from __future__ import annotations

import math
import re

__all__ = ["PerfLogError", "PerfLogWarning", "split_fields", "classify", "NUMERIC", "MISSING", "BAD"]

NUMERIC, MISSING, BAD = 0, 1, 2

# What the pandas C parser accepts as a float, in ASCII: optional sign, digits with an optional
# point (or a point and digits), an optional exponent; "inf"/"infinity" in any case; spaces or
# tabs around. Python's float() is looser (underscores, Unicode digits, "nan"): not used alone.
# (Written so that no run of digits can be split two ways: linear time on any input.)
_NUMBER = re.compile(r"[ \t]*[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?)[ \t]*",
                     re.IGNORECASE | re.ASCII)


class PerfLogError(ValueError):
    """A performance log could not be read. The message names the file and, where it applies,
    the line and column (both 1-based) and what to do about it."""

    __module__ = "hvlab.perflog"


class PerfLogWarning(UserWarning):
    """A performance log was read, but something in it is a guess the caller should check
    (e.g. its code page: the message names the candidates and ``encoding=`` as the fix)."""

    __module__ = "hvlab.perflog"


def classify(text: str) -> tuple[float, int]:
    """(value, kind) for one cell: kind NUMERIC, MISSING (blank, e.g. PDH's ``" "``) or BAD."""
    if not text or text.isspace():
        return math.nan, MISSING
    if _NUMBER.fullmatch(text):
        return float(text), NUMERIC
    return math.nan, BAD


def _field_regex(delim: str) -> re.Pattern:
    d = re.escape(delim)
    # a quoted field (with "" escapes) directly followed by the delimiter or the end, or else
    # raw text up to the next delimiter (which also takes stray or unbalanced quotes whole)
    return re.compile(rf'"((?:[^"]|"")*)"(?={d}|$)|([^{d}]*)', re.S)


_REGEX = {",": _field_regex(","), "\t": _field_regex("\t"), ";": _field_regex(";")}


def split_fields(line: str, delim: str = ",") -> list[str]:
    """Split one line (without its line end) into fields, PDH/RFC 4180 style.

    Quoted fields may contain the delimiter and ``""`` for a quote. A quote that does not
    close before the delimiter or the line end is kept as text, so a damaged line never
    swallows the next one.
    """
    if len(line) > 1 and line[0] == '"' and line[-1] == '"':
        inner = line[1:-1].split(f'"{delim}"')
        if not any('"' in f for f in inner):
            return inner
    rx = _REGEX.get(delim) or _field_regex(delim)
    fields, pos, n = [], 0, len(line)
    while True:
        m = rx.match(line, pos)
        quoted, raw = m.group(1), m.group(2)
        fields.append(quoted.replace('""', '"') if quoted is not None else raw)
        pos = m.end()
        if pos < n and line[pos] == delim:
            pos += 1
            continue
        return fields
