"""Windows performance-counter paths: ``\\\\HOST\\Object(Parent/Instance#Index)\\Counter``.

A counter path names one column of a performance log. PDH (the Windows Performance Data Helper
that PerfMon, relog, typeperf and Export-Counter all use) writes it as::

    \\\\HV01\\Hyper-V VM Live Migration(sql01:VM Live Migration)\\Transfer Pass: Number
    \\\\HV01\\Process(svchost#3)\\% Processor Time
    \\\\HV01\\Thread(svchost/4#1)\\Context Switches/sec
    \\Memory\\Available MBytes                       (no host)

Object, instance and counter names are written in the host's language (``\\\\HV01\\Процессор
(_Total)\\% загруженности процессора``). Instance names may themselves contain parentheses
(``Process(foo (x86))``), slashes, ``#``, dots, dashes, colons and backslashes (VHD paths have
their ``\\`` replaced by ``-``: ``C:-VMs-sql01.vhdx``), so the parser reads the object name up to
the *first* ``(``, the instance up to the *last* ``)`` before the counter, and the counter after
the *last* ``\\``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from hvlab.perflog.vocabulary import LEVELS

__all__ = ["CounterPath", "parse_counter_path"]

# PerfMon's "#1", "#2"... after a repeated instance name; a longer run of digits (a damaged
# log can hold thousands, more than int() converts) is part of the name
_INDEX = re.compile(r"(.*)#(\d{1,9})", re.S)


@dataclass(frozen=True)
class CounterPath:
    """One parsed counter path.

    Attributes
    ----------
    host : str
        Computer name without the leading ``\\\\`` ("" when the path has no host).
    object : str
        Performance object ("Hyper-V VM Live Migration", "PhysicalDisk", "Процессор").
    instance : str
        Everything between the parentheses, exactly as written ("Parent/Instance#Index";
        "" for objects without instances). This is the ``instance`` level of a log frame's
        columns, so that instances that differ only by parent or index stay apart.
    counter : str
        Counter name ("Bytes Sent/sec").
    parent : str
        Parent instance: the text before the first ``/`` of `instance` ("" if none). PDH cannot
        tell a parent separator from a ``/`` inside an instance name; `instance` keeps the
        original text either way.
    instance_name : str
        The instance without parent and ``#index`` ("svchost" for "svchost#3").
    index : int or None
        The ``#N`` suffix PDH adds to tell same-named instances apart (3 for "svchost#3").
    """

    host: str = ""
    object: str = ""
    instance: str = ""
    counter: str = ""
    parent: str = field(default="", init=False, compare=False)
    instance_name: str = field(default="", init=False, compare=False)
    index: int | None = field(default=None, init=False, compare=False)

    def __post_init__(self):
        for name in LEVELS:
            value = getattr(self, name)
            if not isinstance(value, str):
                raise TypeError(f"CounterPath.{name} must be a str, got "
                                f"{type(value).__name__} {value!r:.60}")
        base, index = self.instance, None
        m = _INDEX.fullmatch(base)
        if m:
            base, index = m.group(1), int(m.group(2))
        parent, sep, name = base.partition("/")
        if not sep:
            parent, name = "", base
        object.__setattr__(self, "parent", parent)
        object.__setattr__(self, "instance_name", name)
        object.__setattr__(self, "index", index)

    @property
    def path(self) -> str:
        r"""The path as PDH writes it (``\\HOST\Object(Instance)\Counter``)."""
        host = f"\\\\{self.host}" if self.host else ""
        inst = f"({self.instance})" if self.instance else ""
        return f"{host}\\{self.object}{inst}\\{self.counter}"

    @property
    def key(self) -> tuple[str, str, str, str]:
        """``(host, object, instance, counter)``: the column key in a log frame."""
        return (self.host, self.object, self.instance, self.counter)

    def __str__(self) -> str:
        return self.path


def _split(text: str) -> tuple[CounterPath | None, str]:
    """Parse `text`; return (CounterPath, "") or (None, what is wrong)."""
    s = text
    if s.startswith("\\\\"):
        end = s.find("\\", 2)
        if end < 0:
            return None, "it has a host (\\\\HOST) but no \\Object\\Counter after it"
        host, rest = s[2:end], s[end + 1:]
        if not host:
            return None, "the host name after \\\\ is empty"
    elif s.startswith("\\"):
        host, rest = "", s[1:]
    else:
        host, rest = "", s
    cut = rest.rfind("\\")
    if cut < 0:
        return None, "it has no \\Counter part (expected \\\\HOST\\Object(Instance)\\Counter)"
    objinst, counter = rest[:cut], rest[cut + 1:]
    if not counter:
        return None, "the counter name after the last \\ is empty"
    open_at = objinst.find("(")
    if open_at >= 0:
        if not objinst.endswith(")"):
            return None, ("the instance is not closed: expected Object(Instance) before the "
                          f"counter, got {objinst!r}")
        obj, instance = objinst[:open_at], objinst[open_at + 1:-1]
    else:
        obj, instance = objinst, ""
    if not obj:
        return None, "the object name is empty"
    return CounterPath(host=host, object=obj, instance=instance, counter=counter), ""


def parse_counter_path(text: str) -> CounterPath:
    r"""Split a counter path into host, object, instance and counter.

    Parameters
    ----------
    text : str
        A path such as ``\\HV01\Process(svchost#3)\% Processor Time``; the host part and the
        leading ``\`` are optional. Whitespace is kept as written (names may end in spaces).

    Returns
    -------
    CounterPath

    Raises
    ------
    TypeError
        `text` is not a str.
    ValueError
        `text` is not a counter path; the message says which part is missing.

    Examples
    --------
    >>> p = parse_counter_path(r"\\HV01\Thread(svchost/4#1)\Context Switches/sec")
    >>> p.host, p.object, p.instance, p.counter
    ('HV01', 'Thread', 'svchost/4#1', 'Context Switches/sec')
    >>> p.parent, p.instance_name, p.index
    ('svchost', '4', 1)
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_counter_path needs a str, got {type(text).__name__} "
                        f"{text!r:.60}")
    path, problem = _split(text)
    if path is None:
        raise ValueError(f"{text!r:.200} is not a counter path: {problem}")
    return path


def is_counter_path(text: str) -> bool:
    """True when `parse_counter_path` accepts `text` (the reader's test for a header cell)."""
    return _split(text)[0] is not None


def lenient_counter_path(text: str) -> tuple[CounterPath, str]:
    """Parse like `parse_counter_path` but never raise: text that is not a counter path comes
    back whole as the counter name (host, object and instance empty) with the problem
    described in the second element ("" when the path parsed)."""
    path, problem = _split(text)
    if path is None:
        return CounterPath(counter=text), problem
    return path, ""


def wildcard(pattern: str) -> re.Pattern:
    """A case-insensitive full-match regex for a PDH-style wildcard: ``*`` matches any run of
    characters, ``?`` one character; everything else (brackets and parentheses included)
    matches itself."""
    if not isinstance(pattern, str):
        raise TypeError(f"a counter pattern must be a str, got {type(pattern).__name__} "
                        f"{pattern!r:.60}")
    out = []
    for ch in pattern:
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def path_matcher(counters):
    r"""A predicate ``f(CounterPath, raw_path) -> bool`` for `read_perflog`'s ``counters=``.

    `counters` is a pattern or a list of patterns (any may match), or a callable taking a
    CounterPath. A pattern starting with ``\\`` is matched against the whole path as written,
    one starting with a single ``\`` against the path without its host
    (``\Object(Instance)\Counter``), any other against the counter name alone.
    """
    if callable(counters):
        return lambda cp, raw: bool(counters(cp))
    if isinstance(counters, str):
        counters = [counters]
    try:
        patterns = list(counters)
    except TypeError:
        raise TypeError(f"counters must be a pattern, a list of patterns or a callable, got "
                        f"{type(counters).__name__}") from None
    if not patterns:
        raise ValueError("counters is an empty list: give at least one pattern (or None for "
                         "every counter)")
    compiled = []
    for p in patterns:
        rx = wildcard(p)
        where = "full" if p.startswith("\\\\") else "nohost" if p.startswith("\\") else "counter"
        compiled.append((where, rx))

    def match(cp: CounterPath, raw: str) -> bool:
        for where, rx in compiled:
            if where == "full":
                target = raw
            elif where == "nohost":
                target = CounterPath(object=cp.object, instance=cp.instance,
                                     counter=cp.counter).path if cp.object else raw
            else:
                target = cp.counter
            if rx.fullmatch(target):
                return True
        return False
    return match
