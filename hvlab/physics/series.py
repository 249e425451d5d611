"""Piecewise-constant series: a value holds from its change-point time until the next one.

Model timelines, resource histories and simulated performance logs are all such series; these
helpers read them at arbitrary instants.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np


def step_values(times, values, at, before: float = 0.0) -> np.ndarray:
    """Values of a piecewise-constant series at the instants `at`.

    Parameters
    ----------
    times : array of float
        Change-point times, ascending [s].
    values : array
        The value holding from each time until the next.
    at : float or array of float
        Instants to read [s].
    before : float
        Value where `at` precedes the first time (or the series is empty).

    Returns
    -------
    numpy.ndarray
        One value per instant of `at`.
    """
    at = np.asarray(at, dtype=float)
    times = np.asarray(times, dtype=float)
    if len(times) == 0:
        return np.full(at.shape, before)
    idx = np.searchsorted(times, at, side="right") - 1
    return np.where(idx >= 0, np.asarray(values)[np.clip(idx, 0, None)], before)


def merge_times(*series: Iterable[float]) -> np.ndarray:
    """Sorted union of change-point times [s]."""
    return np.unique(np.concatenate([np.asarray(list(s), dtype=float) for s in series]))


__all__ = ["step_values", "merge_times"]
