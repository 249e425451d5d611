"""Parameter sweeps: one model over a grid of inputs, on one core, several processes or a Dask
cluster, with the same answer from each.

>>> import hvlab as hv
>>> df = hv.sweep("live", {"vm.dirty_rate_mib_s": [0, 40, 80], "link.gbps": [1, 10]},
...               base={"vm": hv.VM(memory_gib=8)}, progress=False)
>>> df[["vm.dirty_rate_mib_s", "link.gbps", "total_s", "downtime_s"]]  # doctest: +SKIP

Addressing inputs
-----------------
A grid key names one input of the model:

- ``"param.field"`` (or deeper, ``"share.link.gbps"``): a field of a parameter object, changed
  with `dataclasses.replace` on the base object, so the object validates the new value;
- ``"param"``: a plain keyword argument (``"order"``, ``"open_files"``) or a whole parameter
  object (``"vm"`` with `VM` values; ``"settings"`` also takes preset names such as "WS2012R2").

In a DataFrame of scenarios (an inventory), a bare column named like a `VM` field (``name``,
``memory_gib``, ``dirty_rate_mib_s``, ...) means ``vm.<field>``, unless the model has a plain
keyword argument of that name. An empty cell (NaN) passes None.

Seeds
-----
Scenario i runs with seed ``SeedSequence(seed).spawn(n)[i].generate_state(1)[0]`` (an int in
[0, 2**32)), so every back end gives the same frame and a row can be re-run alone from its
``seed`` column.
"""
from __future__ import annotations

import dataclasses
import inspect
import itertools
import math
import os
import pickle
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Callable

import numpy as np
import pandas as pd

from hvlab import analytic, models
from hvlab.params import PRESETS, VM, WS2012, Link, MigrationSettings, SmbShare, Storage

# short names accepted for `model`: name -> public name of the model function
MODEL_NAMES = {
    "live": "live_migration",
    "quick": "quick_migration",
    "smb_live": "smb_live_migration",
    "smb": "smb_live_migration",
    "storage": "storage_migration",
    "shared_nothing": "shared_nothing_migration",
    "shared-nothing": "shared_nothing_migration",
    "drain": "drain_host",
    "precopy": "analytic.precopy",
}
_MODEL_FUNCTIONS = {
    "live_migration": models.live_migration,
    "quick_migration": models.quick_migration,
    "smb_live_migration": models.smb_live_migration,
    "storage_migration": models.storage_migration,
    "shared_nothing_migration": models.shared_nothing_migration,
    "drain_host": models.drain_host,
    "analytic.precopy": analytic.precopy,
}

# a sensible object for a model parameter that has no default (or defaults to None)
DEFAULT_FACTORIES: dict[str, Callable[[], Any]] = {
    "vm": VM,
    "link": Link,
    "storage": Storage,
    "share": SmbShare,
    "source": lambda: Storage(name="source"),
    "target": lambda: Storage(name="target"),
    "settings": lambda: WS2012,
}

_NOT_GIVEN = object()


# --------------------------------------------------------------------------------------------
# the model and its inputs
def resolve_model(model) -> tuple[Callable, str]:
    """Return ``(function, label)`` for a model given as a function or a short name.

    Raises
    ------
    ValueError
        For an unknown name (listing the valid ones) or a model this hvlab does not have yet.
    TypeError
        When `model` is neither callable nor a string.
    """
    if callable(model):
        return model, getattr(model, "__name__", type(model).__name__)
    if not isinstance(model, str):
        raise TypeError(f"model must be a function or a model name, got {type(model).__name__} "
                        f"{model!r:.80}")
    attr = MODEL_NAMES.get(model, model)
    valid = sorted(set(MODEL_NAMES) | set(MODEL_NAMES.values()))
    if attr not in MODEL_NAMES.values():
        raise ValueError(f"unknown model {model!r}; valid names: {', '.join(valid)} "
                         "(or pass the function itself)")
    return _MODEL_FUNCTIONS[attr], model


def _model_parameters(func: Callable) -> dict[str, inspect.Parameter]:
    """The model's parameters by name, without `seed` and *args/**kwargs."""
    sig = inspect.signature(func)
    return {name: p for name, p in sig.parameters.items()
            if name != "seed" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


def _accepts_seed(func: Callable) -> bool:
    params = inspect.signature(func).parameters
    return "seed" in params or any(p.kind == p.VAR_KEYWORD for p in params.values())


def _starting_value(name: str, param: inspect.Parameter, base: Mapping,
                    addressed: bool = True):
    """The value a parameter starts from: base, then the signature default, then a factory.

    A parameter whose default is None keeps the model's own meaning of None (e.g.
    ``storage_migration(link=None)``: no network) unless the grid sets one of its fields
    (`addressed`); then it starts from the factory's object. Returns _NOT_GIVEN when nothing
    is to be passed."""
    if name in base:
        return base[name]
    if param.default is not inspect.Parameter.empty:
        if param.default is not None:
            return param.default
        if not addressed:
            return _NOT_GIVEN
    if name in DEFAULT_FACTORIES:
        return DEFAULT_FACTORIES[name]()
    return _NOT_GIVEN


def _starts(params: dict, base: Mapping, paths: list[str]) -> dict:
    """Starting values for one sweep: parameters whose fields the grid sets are filled in."""
    heads = {p.split(".")[0] for p in paths if "." in p}
    return {n: _starting_value(n, p, base, addressed=n in heads) for n, p in params.items()}


def _dataclass_paths(prefix: str, obj) -> list[str]:
    """Every addressable field path below a dataclass instance (nested ones included)."""
    paths = []
    for f in dataclasses.fields(obj):
        path = f"{prefix}.{f.name}"
        paths.append(path)
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            paths.extend(_dataclass_paths(path, value))
    return paths


def valid_fields(model, base: Mapping | None = None) -> list[str]:
    """The grid keys `sweep` accepts for `model` (with `base`): parameter names, and
    ``param.field`` paths for parameters that are parameter objects.

    Examples
    --------
    >>> import hvlab as hv
    >>> "vm.dirty_rate_mib_s" in hv.sweep_fields("live")
    True
    """
    func, _ = resolve_model(model)
    base = dict(base or {})
    out = []
    for name, param in _model_parameters(func).items():
        out.append(name)
        value = _starting_value(name, param, base)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            out.extend(_dataclass_paths(name, value))
    return out


def _resolve_key(key, params: dict, starts: dict, frame: bool, valid: list[str]) -> str:
    """Map a grid key (or DataFrame column) to a full path, or raise ValueError."""
    if not isinstance(key, str):
        raise ValueError(f"grid key {key!r} must be a string such as 'vm.memory_gib'; valid "
                         f"fields: {', '.join(valid)}")
    if "." not in key:
        plain = key in params and not dataclasses.is_dataclass(starts.get(key))
        if frame and not plain and "vm" in params and key in _VM_FIELDS:
            return f"vm.{key}"
        if key in params:
            return key
    elif key in valid:
        return key
    hint = ""
    if "." not in key and key in _VM_FIELDS and "vm" in params:
        hint = f" (did you mean 'vm.{key}'?)"
    raise ValueError(f"unknown sweep field {key!r}{hint}; valid fields: {', '.join(valid)}")


_VM_FIELDS = tuple(f.name for f in dataclasses.fields(VM))


# --------------------------------------------------------------------------------------------
# scenarios
def _as_values(key: str, values) -> list:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        values = [values]
    values = list(values)
    if not values:
        raise ValueError(f"grid[{key!r}] is empty: give at least one value")
    return values


def _plain(value):
    """numpy scalars -> Python scalars; NaN / NA -> None."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def scenarios(model, grid, base: Mapping | None = None) -> tuple[list[str], list[tuple]]:
    """Expand `grid` into ``(paths, rows)``: the full input path of each column and one tuple of
    values per scenario (dict grids: cartesian product, first key varying slowest)."""
    func, _ = resolve_model(model)
    base = dict(base or {})
    params = _model_parameters(func)
    unknown = [k for k in base if k not in params]
    if unknown:
        raise ValueError(f"base has {', '.join(map(repr, unknown))}, which "
                         f"{getattr(func, '__name__', func)} does not take; its parameters: "
                         f"{', '.join(params)}")
    starts = {n: _starting_value(n, p, base) for n, p in params.items()}  # for key lookup
    valid = valid_fields(func, base)
    if isinstance(grid, pd.DataFrame):
        if grid.columns.has_duplicates:
            raise ValueError("grid DataFrame has duplicate columns: "
                             f"{list(grid.columns[grid.columns.duplicated()])}")
        paths = [_resolve_key(c, params, starts, True, valid) for c in grid.columns]
        rows = [tuple(_plain(v) for v in row)
                for row in grid.itertuples(index=False, name=None)]
    elif isinstance(grid, Mapping):
        paths = [_resolve_key(k, params, starts, False, valid) for k in grid]
        value_lists = [_as_values(k, v) for k, v in grid.items()]
        rows = [tuple(_plain(v) for v in combo) for combo in itertools.product(*value_lists)]
    else:
        raise TypeError("grid must be a dict of lists, e.g. {'vm.dirty_rate_mib_s': [0, 40]}, "
                        f"or a DataFrame of scenarios; got {type(grid).__name__}")
    if len(set(paths)) != len(paths):
        dup = sorted({p for p in paths if paths.count(p) > 1})
        raise ValueError(f"grid addresses {', '.join(dup)} more than once")
    starts = _starts(params, base, paths)
    for path in paths:
        head = path.split(".")[0]
        if "." in path and starts[head] is _NOT_GIVEN:
            raise ValueError(f"cannot set {path!r}: give base={{{head!r}: ...}}")
    missing = [n for n, p in params.items()
               if p.default is inspect.Parameter.empty and starts[n] is _NOT_GIVEN
               and n not in paths]
    if missing:
        raise ValueError(f"{getattr(func, '__name__', func)} needs {', '.join(missing)}: pass "
                         f"base={{{missing[0]!r}: ...}} or put it in the grid")
    return paths, rows


def scenario_seeds(seed: int, n: int) -> list[int]:
    """One independent seed per scenario, spawned from `seed` with numpy's SeedSequence."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"seed must be a non-negative int, got {seed!r}")
    return [int(child.generate_state(1)[0]) for child in np.random.SeedSequence(int(seed)).spawn(n)]


def _set_path(obj, parts: list[str], value):
    """Return `obj` with the nested field `parts` replaced by `value`."""
    if not dataclasses.is_dataclass(obj):
        raise TypeError(f"{type(obj).__name__} has no fields to set")
    if len(parts) == 1:
        return dataclasses.replace(obj, **{parts[0]: value})
    child = getattr(obj, parts[0])
    return dataclasses.replace(obj, **{parts[0]: _set_path(child, parts[1:], value)})


def build_kwargs(starts: Mapping, paths: list[str], values: tuple) -> dict:
    """The model's keyword arguments for one scenario (objects rebuilt and validated here)."""
    kwargs = {k: v for k, v in starts.items() if v is not _NOT_GIVEN}
    for path, value in zip(paths, values):
        if "." not in path:
            if path == "settings" and isinstance(value, str):
                from hvlab.params import preset

                value = preset(value)
            kwargs[path] = value
    for path, value in zip(paths, values):
        if "." in path:
            head, *rest = path.split(".")
            kwargs[head] = _set_path(kwargs[head], rest, value)
    return kwargs


def _summary_dict(result) -> dict:
    if hasattr(result, "summary"):
        data = result.summary()
    else:
        data = result
    if isinstance(data, pd.Series):
        data = data.to_dict()
    if not isinstance(data, Mapping):
        return {"result": _plain(data)}
    return {str(k): _plain(v) for k, v in data.items()}


def run_scenario(task: tuple) -> dict:
    """Run one scenario: ``(func, starts, paths, values, seed, pass_seed)`` -> summary dict, or
    ``{"error": "Type: message"}``. Never raises (a failing scenario keeps the others)."""
    func, starts, paths, values, seed, pass_seed = task
    try:
        kwargs = build_kwargs(starts, paths, values)
        if pass_seed:
            kwargs["seed"] = seed
        return _summary_dict(func(**kwargs))
    except Exception as exc:  # noqa: BLE001 - reported in the scenario's row
        return {"error": f"{type(exc).__name__}: {exc}"}


def _batches(tasks: list, n_batches: int) -> list[list]:
    size = max(1, math.ceil(len(tasks) / max(1, n_batches)))
    return [tasks[i:i + size] for i in range(0, len(tasks), size)]


# --------------------------------------------------------------------------------------------
def _label(value):
    """A table-friendly form of an input value (objects by name, presets by preset name)."""
    if isinstance(value, MigrationSettings):
        for name, p in PRESETS.items():
            if p == value:
                return name
        return repr(value)
    if dataclasses.is_dataclass(value) and hasattr(value, "name"):
        return value.name
    if isinstance(value, (list, tuple)):
        return f"{len(value)} items"
    return value


def sweep(model, grid, *, base: Mapping | None = None, seed: int = 0, n_jobs: int = 1,
          client=None, progress: bool = True, cache: bool = False) -> pd.DataFrame:
    """Run `model` once per scenario of `grid` and tabulate the inputs and results.

    Parameters
    ----------
    model : callable or str
        An hvlab model (``hv.live_migration``, ``hv.quick_migration``, ``hv.drain_host``, ...)
        or its name ("live", "quick", "smb_live", "storage", "shared_nothing", "drain",
        "precopy"), or any function taking keyword arguments and returning a result with
        ``summary()``, a Series/dict, or a scalar.
    grid : dict or pandas.DataFrame
        ``{"vm.dirty_rate_mib_s": [0, 20, 40], "link.gbps": [1, 10]}``: the cartesian product
        (first key varies slowest); or a DataFrame with one scenario per row (an inventory:
        columns named like VM fields mean ``vm.<field>``). See the module docstring.
    base : dict, optional
        The model's other arguments by name, e.g. ``{"vm": hv.VM(memory_gib=16), "settings":
        hv.WS2012R2}``. Missing ones take the model's default, or VM(), Link(), Storage(),
        SmbShare(), WS2012 where the model has none. A parameter defaulting to None keeps the
        model's meaning of None unless the grid sets one of its fields (then it starts from
        that default object).
    seed : int
        Root seed; each scenario gets its own (see `scenario_seeds`), passed as the model's
        `seed`.
    n_jobs : int
        Worker processes (concurrent.futures); 1 runs in this process, -1 uses every core.
    client : dask.distributed.Client, optional
        Run on this Dask cluster instead (``pip install hvlab[dask]``); `n_jobs` must stay 1.
    progress : bool
        Show a tqdm progress bar (notebook or terminal); False prints nothing.
    cache : bool
        Keep the frame (the last 32 sweeps, in this process) and return a copy of it when the
        same model, grid, base and seed come again: a curve behind a widget is computed once,
        not at every redraw. Needs hashable inputs (parameter objects, numbers, strings);
        otherwise the sweep just runs.

    Returns
    -------
    pandas.DataFrame
        Index "scenario" (0..n-1). Columns: the inputs by their full path (units in the field
        names, e.g. ``vm.dirty_rate_mib_s``; objects by name), ``seed``, the result's summary
        columns (``total_s``, ``downtime_s``, ``network_bytes``, ``passes``, ``converged``, ...;
        a summary key equal to an input column becomes ``result.<key>``), and ``error``: None,
        or the message of the exception that scenario raised (its result columns are then NaN).

    Raises
    ------
    ValueError
        For a grid key the model does not have (the message lists the valid ones), an empty
        list of values, or a missing required argument.
    """
    func, _ = resolve_model(model)
    key = _cache_key(func, grid, base, seed) if cache else None
    if key is not None and key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key].copy()
    paths, rows = scenarios(func, grid, base)
    base = dict(base or {})
    params = _model_parameters(func)
    starts = _starts(params, base, paths)
    # objects the grid replaces as a whole need not travel with every task
    for path in paths:
        if "." not in path:
            starts[path] = _NOT_GIVEN
    # the sentinel does not survive pickling: send only what is given
    starts = {k: v for k, v in starts.items() if v is not _NOT_GIVEN}
    seeds = scenario_seeds(seed, len(rows))
    pass_seed = _accepts_seed(func)
    if client is not None or n_jobs != 1:
        func = _sendable(func)
    tasks = [(func, starts, paths, values, s, pass_seed) for values, s in zip(rows, seeds)]
    results = map_tasks(run_scenario, tasks, n_jobs=n_jobs, client=client, progress=progress)
    frame = _frame(paths, rows, seeds, results)
    if key is not None:
        _CACHE[key] = frame.copy()
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return frame


_CACHE: "OrderedDict[tuple, pd.DataFrame]" = OrderedDict()
_CACHE_SIZE = 32


def _cache_key(func, grid, base, seed):
    """A hashable key for a sweep's inputs, or None when they cannot be hashed."""
    try:
        if isinstance(grid, pd.DataFrame):
            g = ("frame", tuple(grid.columns),
                 tuple(grid.itertuples(index=False, name=None)))
        elif isinstance(grid, Mapping):
            g = tuple((k, tuple(_as_values(k, v))) for k, v in grid.items())
        else:
            return None
        b = tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                         for k, v in dict(base or {}).items()))
        key = (func, g, b, seed)
        hash(key)
    except (TypeError, ValueError):
        return None
    return key


def clear_cache() -> None:
    """Forget the frames kept by ``sweep(..., cache=True)``."""
    _CACHE.clear()


def _sendable(func: Callable) -> Callable:
    """A memoised wrapper (hvlab.memo.cached) cannot be pickled by reference; its cache is of
    no use in another process anyway, so workers get the plain model."""
    try:
        pickle.dumps(func)
    except Exception:  # noqa: BLE001 - any pickling failure
        inner = getattr(func, "__wrapped__", None)
        if inner is not None:
            try:
                pickle.dumps(inner)
                return inner
            except Exception:  # noqa: BLE001
                pass
    return func


def _progress_bar(total: int, progress: bool, desc: str = "sweep", unit: str = "scenario"):
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not progress, desc=desc, unit=unit)


def _map_batch(func: Callable, items: list) -> list:
    return [func(item) for item in items]


def map_tasks(func: Callable, items: list, *, n_jobs: int = 1, client=None,
              progress: bool = False, desc: str = "sweep", unit: str = "scenario") -> list:
    """``[func(item) for item in items]`` on one core, on `n_jobs` worker processes or on a
    Dask client's workers (batched: a few batches per worker, so that sending the work costs
    little next to doing it), with a tqdm progress bar. Results keep the order of `items`.

    `func` must be a module-level function and the items picklable when `n_jobs` > 1 or a
    client is given. Used by `sweep` and by `hvlab.plan_maintenance`.
    """
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"n_jobs must be a positive int or -1 (every core), got {n_jobs!r}")
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    if client is not None and n_jobs != 1:
        raise ValueError(f"give either n_jobs ({n_jobs}) or client, not both")
    items = list(items)
    if client is not None:
        return _run_dask(client, func, items, progress, desc, unit)
    if n_jobs > 1 and len(items) > 1:
        return _run_processes(func, items, n_jobs, progress, desc, unit)
    out = []
    with _progress_bar(len(items), progress, desc, unit) as bar:
        for item in items:
            out.append(func(item))
            bar.update(1)
    return out


def _run_processes(func, items, n_jobs, progress, desc, unit):
    from concurrent.futures import ProcessPoolExecutor

    try:
        pickle.dumps((func, items[0]))
    except Exception as exc:  # noqa: BLE001
        raise TypeError(f"cannot send this model to worker processes ({exc}); use a function "
                        "defined at module level, n_jobs=1, or a Dask client") from exc
    workers = min(n_jobs, len(items))
    batches = _batches(items, workers * 4)
    out = []
    # the pool forks its workers on the first submit, before the progress bar starts a thread
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_map_batch, func, b) for b in batches]
        with _progress_bar(len(items), progress, desc, unit) as bar:
            for fut, batch in zip(futures, batches):
                out.extend(fut.result())
                bar.update(len(batch))
    return out


def _run_dask(client, func, items, progress, desc, unit):
    try:
        from distributed import as_completed
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError("a Dask client needs Dask: pip install 'hvlab[dask]'") from exc
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    except Exception:  # noqa: BLE001 - a client without scheduler info still runs
        n_workers = 1
    batches = _batches(items, n_workers * 4)
    futures = client.map(_map_batch, [func] * len(batches), batches, pure=False)
    index = {f.key: i for i, f in enumerate(futures)}
    parts: list = [None] * len(batches)
    with _progress_bar(len(items), progress, desc, unit) as bar:
        for fut in as_completed(futures):
            i = index[fut.key]
            parts[i] = fut.result()
            bar.update(len(batches[i]))
    return [r for part in parts for r in part]


def _frame(paths, rows, seeds, results) -> pd.DataFrame:
    inputs = {p: [_label(r[i]) for r in rows] for i, p in enumerate(paths)}
    records = []
    for res in results:
        rec = {}
        for k, v in res.items():
            if k == "error":
                continue
            rec[f"result.{k}" if (k in inputs or k == "seed") else k] = v
        records.append(rec)
    out = pd.DataFrame(inputs, index=pd.RangeIndex(len(rows), name="scenario"))
    out["seed"] = np.array(seeds, dtype="int64")
    results_frame = pd.DataFrame.from_records(records, index=out.index)
    results_frame = results_frame.reindex(columns=list(dict.fromkeys(
        k for rec in records for k in rec)))
    out = pd.concat([out, results_frame], axis=1)
    out["error"] = pd.Series([r.get("error") for r in results], index=out.index, dtype=object)
    return out


# the public name next to hv.sweep
sweep_fields = valid_fields

__all__ = ["sweep", "sweep_fields", "map_tasks", "valid_fields", "scenarios", "scenario_seeds",
           "resolve_model", "clear_cache", "MODEL_NAMES"]
