r"""A parsed performance log saved as Parquet, and read back with everything `read_perflog`
returned: parse a big log once (``hvlab log convert LOG --to parquet``), reopen it in a
fraction of a second with ``hv.read_perflog("LOG.parquet")``.

The file holds one float column per counter, named by its counter path, and the ``time``
index (``pandas.read_parquet`` reads it as a plain frame with these names). The schema's metadata
(key ``hvlab.perflog``) holds, as JSON: the column keys (host, object, instance, counter), the
index's zone, the value dtype, the metadata dict `read_perflog` returned, and each column's
bad and absent cells (so that ``counters=`` can count the cells of the columns it picks).
"""
from __future__ import annotations

import datetime as _dt
import json
import os

import numpy as np
import pandas as pd

from hvlab.perflog._cells import PerfLogError
from hvlab.perflog._colindex import multiindex
from hvlab.perflog._times import localise
from hvlab.perflog.paths import CounterPath, path_matcher

__all__ = ["write_parquet", "read_parquet", "read_parquet_header", "is_parquet"]

_KEY = b"hvlab.perflog"
_FORMAT = "hvlab.perflog.parquet"
_VERSION = 1
_MAGIC = b"PAR1"
_TIME = "time"


def is_parquet(path_or_buffer) -> bool:
    """Whether `path_or_buffer` is a Parquet file: a name ending in .parquet, or a file (or
    seekable file object) that starts with Parquet's magic bytes ``PAR1``."""
    name = (os.fspath(path_or_buffer) if isinstance(path_or_buffer, (str, os.PathLike))
            else getattr(path_or_buffer, "name", None))
    if isinstance(name, str) and name.lower().endswith(".parquet"):
        return True
    if isinstance(path_or_buffer, (str, os.PathLike)):
        try:
            with open(path_or_buffer, "rb") as fh:
                return fh.read(4) == _MAGIC
        except OSError:
            return False
    seekable = getattr(path_or_buffer, "seekable", None)
    if callable(seekable) and seekable():
        where = path_or_buffer.tell()
        head = path_or_buffer.read(4)
        path_or_buffer.seek(where)
        return isinstance(head, bytes) and head == _MAGIC
    return False


def write_parquet(df: pd.DataFrame, meta: dict, path) -> None:
    """Write a frame and its metadata, as `read_perflog` returned them, to a Parquet file.

    Parameters
    ----------
    df : pandas.DataFrame
        The frame: DatetimeIndex "time", MultiIndex columns (host, object, instance, counter),
        float values.
    meta : dict
        Its metadata dict (every value JSON-serialisable or a pandas.Timestamp).
    path : str or os.PathLike
        The Parquet file to write (LZ4-compressed).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not isinstance(df.index, pd.DatetimeIndex) or not isinstance(df.columns, pd.MultiIndex) \
            or df.columns.nlevels != 4:
        raise TypeError("df must be a frame as read_perflog returns it: a DatetimeIndex and "
                        "MultiIndex columns (host, object, instance, counter)")
    keys = [list(map(str, k)) for k in df.columns]
    names = [CounterPath(host=k[0], object=k[1], instance=k[2], counter=k[3]).path
             for k in keys]
    if len(set(names)) < len(names):  # two keys that print as one path: tell them apart
        names = [f"{n} #{j}" for j, n in enumerate(names)]
    # flat column names and a "time" index, so pandas.read_parquet gives a usable frame too
    flat = pd.DataFrame(df.to_numpy(copy=False), index=df.index.rename(_TIME), columns=names,
                        copy=False)
    table = pa.Table.from_pandas(flat, preserve_index=True)
    public = {k: v for k, v in meta.items() if not k.startswith("_")}
    info = {"format": _FORMAT, "version": _VERSION, "keys": keys, "names": names,
            "index": {"tz": _zone_json(df.index.tz), "unit": df.index.unit},
            "dtype": str(flat.dtypes.iloc[0]) if len(names) else "float64",
            "metadata": _encode(public), "column_cells": meta.get("_column_cells")}
    table = table.replace_schema_metadata({
        **(table.schema.metadata or {}),
        _KEY: json.dumps(info, ensure_ascii=False).encode("utf-8")})
    # LZ4 and no dictionaries: reading back is what a copy is for, and it is fastest this way
    pq.write_table(table, path, compression="lz4", use_dictionary=False)


def _info(path_or_buffer) -> tuple:
    """(pyarrow ParquetFile, hvlab metadata dict, name)."""
    import pyarrow.parquet as pq

    name = os.fspath(path_or_buffer) if isinstance(path_or_buffer, (str, os.PathLike)) else \
        getattr(path_or_buffer, "name", "<buffer>")
    try:
        pf = pq.ParquetFile(path_or_buffer)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds for a damaged file
        raise PerfLogError(f"{name}: not a readable Parquet file ({exc}); convert the log "
                           "again with `hvlab log convert LOG --to parquet`") from None
    raw = (pf.schema_arrow.metadata or {}).get(_KEY)
    if raw is None:
        raise PerfLogError(
            f"{name}: this Parquet file was not written by hvlab (its schema has no "
            f"'{_KEY.decode()}' metadata), so it holds no log metadata to return. Read it with "
            "pandas.read_parquet, or convert the original log with `hvlab log convert LOG "
            "--to parquet`")
    try:
        info = json.loads(raw.decode("utf-8"))
        ok = info.get("format") == _FORMAT and isinstance(info.get("keys"), list)
    except (ValueError, AttributeError):
        ok = False
    if not ok:
        raise PerfLogError(f"{name}: its '{_KEY.decode()}' metadata is damaged; convert the "
                           "original log again with `hvlab log convert LOG --to parquet`")
    if info.get("version", 0) > _VERSION:
        raise PerfLogError(f"{name}: written by a newer hvlab (format version "
                           f"{info['version']}, this one reads {_VERSION}); update hvlab or "
                           "convert the original log again")
    return pf, info, name


def read_parquet_header(path_or_buffer) -> dict:
    """What `read_header` returns for a log, from a Parquet copy (without reading values)."""
    _, info, _ = _info(path_or_buffer)
    meta = info["metadata"]
    keys = [tuple(k) for k in info["keys"]]
    out = {k: _decode(meta.get(k)) for k in (
        "format", "version", "timezone", "bias_min", "encoding", "encoding_confidence",
        "encoding_candidates", "paths", "description", "warnings")}
    out["keys"] = keys
    out["_encoding_note"] = ""
    return out


def read_parquet(path_or_buffer, *, tz=None, dtype="float64", counters=None
                 ) -> tuple[pd.DataFrame, dict]:
    """Read a Parquet copy written by `write_parquet`: the frame and metadata `read_perflog`
    returned for the log (`read_perflog` calls this for a .parquet file).

    `counters` picks columns as in `read_perflog` (the cell counts then describe the picked
    columns); `tz` places the wall-clock times in that zone instead of the header's bias;
    `dtype` converts the values.
    """
    pf, info, name = _info(path_or_buffer)
    keys = [tuple(k) for k in info["keys"]]
    meta = {k: _decode(v) for k, v in info["metadata"].items()}
    paths = list(meta.get("paths", []))
    pick = list(range(len(keys)))
    if counters is not None:
        match = path_matcher(counters)
        cps = [CounterPath(host=k[0], object=k[1], instance=k[2], counter=k[3]) for k in keys]
        pick = [j for j in pick if match(cps[j], paths[j] if j < len(paths) else cps[j].path)]
        if not pick:
            shown = ", ".join(repr(cps[j].path) for j in range(min(5, len(cps)))) or "none"
            raise PerfLogError(f"{name}: counters={counters!r} matched none of the "
                               f"{len(keys)} counters in the file (first: {shown})")
    names = info.get("names") or [n for n in pf.schema_arrow.names if n != _TIME]
    if len(names) != len(keys) or _TIME not in pf.schema_arrow.names:
        raise PerfLogError(f"{name}: its columns do not match its '{_KEY.decode()}' metadata "
                           "(was it changed after hvlab wrote it?); convert the original log "
                           "again with `hvlab log convert LOG --to parquet`")
    times = pf.read(columns=[_TIME]).column(0)
    n, k = len(times), len(pick)
    values = np.empty((n, k), dtype=dtype, order="F")
    # a group of columns at a time (~16 MB): the buffers pyarrow decodes into are reused
    # from group to group instead of all being fresh memory (page faults cost as much as
    # the decoding)
    per_group = max(1, (16 << 20) // max(8 * n, 1))
    for lo in range(0, k, per_group):
        group = pf.read(columns=[names[j] for j in pick[lo:lo + per_group]], use_threads=True)
        for j in range(group.num_columns):
            values[:, lo + j] = group.column(j).to_numpy()
        del group
    index = _index(times, info["index"], tz, meta, name)
    df = pd.DataFrame(values, index=index, columns=multiindex([keys[j] for j in pick]),
                      copy=False)
    if tz is not None:
        valid = index[~index.isna()]
        meta["start"] = valid.min() if len(valid) else None
        meta["end"] = valid.max() if len(valid) else None
    if counters is not None:
        _count_picked(meta, df, pick, keys, info.get("column_cells"), paths)
    return df, meta


def _index(column, spec: dict, tz, meta: dict, name: str) -> pd.DatetimeIndex:
    times = pd.DatetimeIndex(column.to_pandas(), name="time").as_unit(spec.get("unit", "ns"))
    zone = _zone_from_json(spec.get("tz"))
    if zone is not None:
        times = times.tz_convert(zone)
    if tz is None:
        return times
    # as read_perflog(tz=...) does for the log: the wall clock, placed in `tz`
    wall = times.tz_localize(None) if times.tz is not None else times
    warnings = meta.setdefault("warnings", [])
    return localise(wall, tz, meta.get("timezone"), meta.get("bias_min"), name,
                    warnings).rename("time")


def _count_picked(meta, df, pick, keys, column_cells, paths) -> None:
    """The cell counts and column lists of `meta` for the picked columns only."""
    values = df.to_numpy(copy=False)
    nan = np.isnan(values)
    cells = values.size
    numeric = cells - int(nan.sum())
    if column_cells is not None:
        bad = sum(int(column_cells["bad"].get(str(j), 0)) for j in pick)
        absent = sum(int(column_cells["absent"].get(str(j), 0)) for j in pick)
    elif meta.get("bad_cells") or meta.get("absent_cells"):
        bad = absent = 0
        meta["warnings"] = list(meta.get("warnings", [])) + [
            "this Parquet copy does not say which columns its bad and absent cells were in: "
            "every empty cell of the picked columns is counted as missing"]
    else:
        bad = absent = 0
    picked_paths = [paths[j] if j < len(paths) else
                    CounterPath(host=keys[j][0], object=keys[j][1], instance=keys[j][2],
                                counter=keys[j][3]).path for j in pick]
    meta.update(columns=int(df.shape[1]), numeric_cells=int(numeric),
                missing_cells=int(cells - numeric - bad), bad_cells=int(bad),
                absent_cells=int(absent), paths=picked_paths)
    keep = set(picked_paths)
    meta["bad_examples"] = [b for b in meta.get("bad_examples", []) if b.get("path") in keep]
    meta["duplicate_paths"] = {p: c for p, c in meta.get("duplicate_paths", {}).items()
                               if p in keep}


def _zone_json(tz):
    if tz is None:
        return None
    if isinstance(tz, _dt.timezone):
        minutes = int(tz.utcoffset(None).total_seconds() // 60)
        name = tz.tzname(None)
        default = _dt.timezone(tz.utcoffset(None)).tzname(None)
        return {"kind": "fixed", "minutes": minutes, "name": None if name == default else name}
    key = getattr(tz, "key", None) or getattr(tz, "zone", None) or str(tz)
    return {"kind": "zone", "key": str(key)}


def _zone_from_json(spec):
    if spec is None:
        return None
    if spec["kind"] == "fixed":
        offset = _dt.timedelta(minutes=spec["minutes"])
        return _dt.timezone(offset, spec["name"]) if spec["name"] else _dt.timezone(offset)
    return pd.Timestamp("2000-01-01").tz_localize(spec["key"]).tz


def _encode(value):
    """`value` with every pandas.Timestamp and tuple tagged (JSON has neither), numpy scalars
    as Python numbers."""
    if isinstance(value, pd.Timestamp):
        return {"__timestamp__": value.isoformat(), "tz": _zone_json(value.tz)}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _decode(value):
    if isinstance(value, dict):
        if "__timestamp__" in value:
            stamp = pd.Timestamp(value["__timestamp__"])
            zone = _zone_from_json(value.get("tz"))
            return stamp.tz_convert(zone) if zone is not None else stamp
        if "__tuple__" in value:
            return tuple(_decode(v) for v in value["__tuple__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value
