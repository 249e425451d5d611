"""The column index of a log frame: one (host, object, instance, counter) key per column, the
second, third, ... copy of a counter path told apart by " [2]", " [3]" on the counter name.

Shared by the PDH reader (`hvlab.perflog.read`), the Get-Counter reader (`_longform`) and the
multi-file reader (`hvlab.perflog.multi`).
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from hvlab.perflog.vocabulary import LEVELS

_MAX_WARN = 10  # duplicate paths named one by one in the warnings


def multiindex(keys) -> pd.MultiIndex:
    """MultiIndex (host, object, instance, counter) from key tuples, levels in order of
    appearance (built directly: from_tuples' factorising costs ~10 ms even for ten keys)."""
    levels, codes = [], []
    for i in range(4):
        seen: dict = {}
        codes.append(np.fromiter((seen.setdefault(k[i], len(seen)) for k in keys),
                                 dtype=np.int64, count=len(keys)))
        levels.append(pd.Index(list(seen), dtype="str"))
    return pd.MultiIndex(levels=levels, codes=codes, names=list(LEVELS),
                         verify_integrity=False)


def unique_keys(keys) -> list[tuple]:
    """`keys` with every repeat of a key renamed: its counter gets " [2]", " [3]", ..."""
    seen: Counter = Counter()
    out = []
    for key in keys:
        seen[key] += 1
        out.append(key if seen[key] == 1 else key[:3] + (f"{key[3]} [{seen[key]}]",))
    return out


def unique_columns(keys, raws, warnings: list) -> tuple[pd.MultiIndex, dict]:
    """(column MultiIndex, {raw path: times it appears} for repeated paths). `raws` are the
    paths as written, one per key; each repeated path adds a warning (the first ten)."""
    counts = Counter(keys)
    dups = {}
    if len(counts) == len(keys):
        return multiindex(keys), dups
    for key, raw in zip(keys, raws):
        if counts[key] > 1:
            dups[raw] = counts[key]
    for raw, times in list(dups.items())[:_MAX_WARN]:
        warnings.append(f"{raw!r} appears {times} times; all kept, the later ones as "
                        f"'... [2]', '... [3]' in the counter level")
    return multiindex(unique_keys(keys)), dups
