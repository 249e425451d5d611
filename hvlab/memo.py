"""Memoised model calls for live front ends: a slider that returns to a value must not rerun
the model. Every parameter object is a frozen (hashable) dataclass, so a call's arguments are
its cache key."""
from __future__ import annotations

import functools
from typing import Callable



def cached(model: Callable, maxsize: int = 512) -> Callable:
    """Wrap a model (e.g. `hvlab.live_migration`) so repeated calls with equal arguments return
    the stored result instead of simulating again.

    Parameters
    ----------
    model : callable
        Any hvlab model taking hashable arguments (parameter objects, numbers, strings).
    maxsize : int
        Results kept (least recently used are dropped).

    Returns
    -------
    callable
        Same signature; ``.cache_info()`` and ``.cache_clear()`` as `functools.lru_cache`.
        Arguments that cannot be hashed (lists, dicts) bypass the cache.
    """
    store = functools.lru_cache(maxsize=maxsize)(model)

    @functools.wraps(model)
    def call(*args, **kwargs):
        try:
            return store(*args, **kwargs)
        except TypeError as exc:  # unhashable argument: run without the cache
            if "unhashable" not in str(exc):
                raise
            return model(*args, **kwargs)

    call.cache_info = store.cache_info
    call.cache_clear = store.cache_clear
    return call


__all__ = ["cached"]
