"""Many performance logs into one frame: a PerfMon folder tree
(``HV01_20260102-000001/DataCollector01.csv``, one folder per collector run) or logs from many
hosts. With ``engine="dask"`` the result is a Dask DataFrame with one partition per file, read
lazily (optional extra: ``pip install hvlab[dask]``)."""
from __future__ import annotations

import datetime as _dt
import glob
import os
from pathlib import Path

import numpy as np
import pandas as pd

from hvlab.perflog._colindex import unique_keys
from hvlab.perflog._times import interval_s
from hvlab.perflog.paths import CounterPath
from hvlab.perflog.read import PerfLogError, read_header, read_perflog
from hvlab.perflog.vocabulary import LEVELS

__all__ = ["read_perflogs", "expand_paths"]

_LOG_SUFFIXES = (".csv", ".tsv", ".blg", ".parquet")


def expand_paths(paths_or_glob) -> list[str]:
    """The files `paths_or_glob` names, sorted: a glob pattern (``**`` recurses), a folder
    (every .csv/.tsv/.blg/.parquet below it; of a log and its Parquet copy the copy, unless the
    log is newer), a file, or a list of any of these."""
    if isinstance(paths_or_glob, (str, os.PathLike)):
        items = [paths_or_glob]
    else:
        try:
            items = list(paths_or_glob)
        except TypeError:
            raise TypeError(f"paths_or_glob must be a path, a glob pattern or a list of them, "
                            f"got {type(paths_or_glob).__name__}") from None
    files: list[str] = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            raise TypeError(f"paths_or_glob items must be paths, got {type(item).__name__} "
                            f"{item!r:.60}")
        text = os.fspath(item)
        if any(ch in text for ch in "*?["):
            found = sorted(glob.glob(text, recursive=True))
            if not found:
                raise FileNotFoundError(f"no files match {text!r}")
            files.extend(f for f in found if os.path.isfile(f))
        elif os.path.isdir(text):
            found = sorted(str(p) for p in Path(text).rglob("*")
                           if p.is_file() and p.suffix.lower() in _LOG_SUFFIXES)
            if not found:
                raise FileNotFoundError(f"folder {text!r} holds no .csv, .tsv, .blg or .parquet "
                                        "logs")
            files.extend(_one_per_log(found))
        else:
            if not os.path.exists(text):
                raise FileNotFoundError(f"no such log file: {text!r}")
            files.append(text)
    if not files:
        raise FileNotFoundError(f"{paths_or_glob!r} names no files")
    return files


def _one_per_log(files: list[str]) -> list[str]:
    """`files` with each log once: of a log and its Parquet copy (same folder and name), the
    copy when it is at least as new as the log (a log still being written is newer)."""
    copies = {os.path.splitext(f)[0]: f for f in files if f.lower().endswith(".parquet")}
    out = []
    for f in files:
        stem, ext = os.path.splitext(f)
        copy = copies.get(stem)
        if ext.lower() == ".parquet":
            logs = [g for g in files if g != f and os.path.splitext(g)[0] == stem]
            if any(os.path.getmtime(g) > os.path.getmtime(f) for g in logs):
                continue  # an older copy of a log that changed since
        elif copy is not None and os.path.getmtime(copy) >= os.path.getmtime(f):
            continue
        out.append(f)
    return out


def _flat(key) -> str:
    return CounterPath(host=key[0], object=key[1], instance=key[2], counter=key[3]).path


def _same_zone(a, b) -> bool:
    if str(a) == str(b):
        return True
    if isinstance(a, _dt.timezone) and isinstance(b, _dt.timezone):
        return a.utcoffset(None) == b.utcoffset(None)
    return False


def _common_zone(zones: list, files: list[str], warnings: list):
    """One zone for all files: theirs if they agree, UTC if they differ; None: all naive."""
    aware = [z is not None for z in zones]
    if not any(aware):
        return None
    if not all(aware):
        naive = [f for f, a in zip(files, aware) if not a][:3]
        raise PerfLogError(f"some logs have no time zone ({', '.join(naive)}) and others do: "
                           "pass tz= (the hosts' zone) so all times can be compared")
    if all(_same_zone(z, zones[0]) for z in zones):
        return zones[0]
    names = sorted({str(z) for z in zones})
    warnings.append(f"the logs are in {len(names)} time zones ({', '.join(names[:4])}): times "
                    "are given in UTC")
    return "UTC"


def read_perflogs(paths_or_glob, *, engine: str = "pandas", **read_kwargs):
    """Read many performance logs into one frame.

    Parameters
    ----------
    paths_or_glob : str, os.PathLike or list
        A glob (``"logs/**/DataCollector*.blg"``), a folder (every .csv/.tsv/.blg/.parquet below
        it, e.g. a Data Collector Set's output tree ``HV01_20260102-000001/DataCollector01.blg``),
        files, or a list. A .parquet file is a copy saved by `convert_to_parquet`.
    engine : {"pandas", "dask"}
        "pandas" reads every file now; "dask" returns a lazy Dask DataFrame with one
        partition per file (needs ``pip install hvlab[dask]``).
    **read_kwargs
        Passed to `read_perflog` for every file (encoding, tz, dtype, errors, counters).

    Returns
    -------
    frame : pandas.DataFrame or dask.dataframe.DataFrame
        pandas: rows of all files sorted by time (files sampled at the same instant keep their
        own rows), columns the union of the files' columns (MultiIndex host, object, instance,
        counter); a cell of a counter a file does not have is missing. dask: the same rows,
        but with flat counter-path column names (Dask has no MultiIndex columns).
    metadata : dict
        files, rows, columns, numeric_cells, missing_cells (including cells of counters a
        file lacks, also counted in absent_cells), bad_cells, start, end, interval_s,
        timezone (common zone; "UTC" when the files differ), paths (flat names, in order),
        warnings, and file_metadata (each file's `read_perflog` metadata; pandas only).
        rows * columns == numeric_cells + missing_cells + bad_cells.
    """
    if engine not in ("pandas", "dask"):
        raise ValueError(f"engine must be 'pandas' or 'dask', got {engine!r}")
    files = expand_paths(paths_or_glob)
    if engine == "dask":
        return _read_dask(files, read_kwargs)
    warnings: list[str] = []
    parts = [read_perflog(f, **read_kwargs) for f in files]
    frames = [df for df, _ in parts]
    metas = [m for _, m in parts]
    zone = _common_zone([df.index.tz for df in frames], files, warnings)
    keys: dict = {}
    for df in frames:
        for key in df.columns:
            keys.setdefault(key, None)
    union = pd.MultiIndex.from_tuples(list(keys), names=list(LEVELS)) if keys else \
        pd.MultiIndex.from_arrays([[]] * 4, names=list(LEVELS))
    aligned, fill = [], 0
    for df in frames:
        idx = df.index
        if zone is not None and idx.tz is not zone:
            idx = idx.tz_convert(zone)
        fill += len(df) * (len(union) - df.shape[1])
        aligned.append(df.set_axis(idx, axis=0).reindex(columns=union))
    if aligned:
        out = pd.concat(aligned, axis=0)
        order = np.argsort(out.index.asi8 if out.index.tz is None
                           else out.index.tz_convert("UTC").asi8, kind="stable")
        nat = out.index.isna()
        if nat.any():
            order = np.concatenate([order[~nat[order]], np.flatnonzero(nat)])
        out = out.iloc[order]
        out.index.name = "time"
    else:
        out = pd.DataFrame(columns=union)
    for f, m in zip(files, metas):
        warnings.extend(f"{os.path.basename(f)}: {w}" for w in m["warnings"])
    valid = out.index[~out.index.isna()]
    return out, {
        "files": files, "rows": int(out.shape[0]), "columns": int(out.shape[1]),
        "numeric_cells": sum(m["numeric_cells"] for m in metas),
        "missing_cells": sum(m["missing_cells"] for m in metas) + fill,
        "bad_cells": sum(m["bad_cells"] for m in metas),
        "absent_cells": sum(m["absent_cells"] for m in metas) + fill,
        "start": valid.min() if len(valid) else None,
        "end": valid.max() if len(valid) else None,
        "interval_s": interval_s(out.index) if len(metas) == 1 else _median_interval(metas),
        "timezone": None if zone is None else str(zone),
        "paths": [_flat(k) for k in union], "warnings": warnings, "file_metadata": metas,
    }


def _median_interval(metas) -> float | None:
    steps = [m["interval_s"] for m in metas if m["interval_s"] is not None]
    return float(np.median(steps)) if steps else None


class _Partition:
    """Reads one file into a partition with the common columns and zone (picklable)."""

    def __init__(self, columns: list[str], zone, read_kwargs: dict):
        self.columns, self.zone, self.read_kwargs = columns, zone, read_kwargs

    def __call__(self, path: str) -> pd.DataFrame:
        df, _ = read_perflog(path, **self.read_kwargs)
        df = df.set_axis([_flat(k) for k in df.columns], axis=1)
        if self.zone is not None and df.index.tz is not self.zone:
            df.index = df.index.tz_convert(self.zone)
        df = df.reindex(columns=self.columns)
        df.index = df.index.astype(_index_dtype(self.zone)).rename("time")
        return df


def _index_dtype(zone):
    return "datetime64[ns]" if zone is None else pd.DatetimeTZDtype("ns", zone)


def _read_dask(files, read_kwargs):
    try:
        import dask.dataframe as dd
    except ImportError:
        raise ImportError("engine='dask' needs Dask: pip install hvlab[dask] (or pip install "
                          "'dask[dataframe]' distributed)") from None
    warnings: list[str] = []
    heads = [read_header(f, **read_kwargs) for f in files]
    tz = read_kwargs.get("tz")
    zones = []
    for h in heads:
        if tz is not None:
            zones.append(pd.Timestamp("2000-01-01").tz_localize(tz).tz)
        elif h["bias_min"] is not None:
            zones.append(_fixed(h["bias_min"], h["timezone"]))
        else:
            zones.append(None)
    zone = _common_zone(zones, files, warnings)
    names: dict = {}
    for h in heads:
        for key in unique_keys(h["keys"]):
            names.setdefault(_flat(key), None)
    columns = list(names)
    dtype = read_kwargs.get("dtype", "float64")
    meta = pd.DataFrame({c: pd.Series(dtype=dtype) for c in columns},
                        index=pd.DatetimeIndex([], dtype=_index_dtype(zone), name="time"))
    ddf = dd.from_map(_Partition(columns, zone, dict(read_kwargs)), files, meta=meta,
                      label="read-perflog", enforce_metadata=False)
    for f, h in zip(files, heads):
        warnings.extend(f"{os.path.basename(f)}: {w}" for w in h["warnings"])
    return ddf, {"files": files, "columns": len(columns), "partitions": len(files),
                 "timezone": None if zone is None else str(zone), "paths": columns,
                 "warnings": warnings}


def _fixed(bias_min: int, name):
    offset = _dt.timedelta(minutes=-bias_min)
    return _dt.timezone(offset, name) if name else _dt.timezone(offset)
