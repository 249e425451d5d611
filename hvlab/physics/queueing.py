"""Queueing formulas for an array serving guest I/O: the M/M/1 mean response time
``R = S / (1 - rho)``, its 95th percentile ``R ln 20`` (exponential response times), and
quantiles of a mixture of exponentials (a run whose utilisation is piecewise constant).

References
----------
Kleinrock, L. (1975). Queueing Systems, Volume 1: Theory. Wiley, sec. 3.2 (M/M/1).
"""
from __future__ import annotations

import math

import numpy as np

from hvlab.params import Storage

P95_FACTOR = math.log(20.0)
"""95th percentile / mean of an exponential distribution (M/M/1 response time)."""


def mm1_response_ms(service_ms, util_frac):
    """Mean M/M/1 response time ``S / (1 - rho)`` [ms] (Kleinrock 1975).

    Parameters
    ----------
    service_ms : float
        Mean service time S [ms].
    util_frac : float or array
        Utilisation rho [fraction], must be < 1.
    """
    rho = np.asarray(util_frac, dtype=float)
    if np.any(rho >= 1) or np.any(rho < 0):
        raise ValueError(f"util_frac must be in [0, 1) for a steady-state M/M/1 queue, got "
                         f"{util_frac!r}")
    out = service_ms / (1.0 - rho)
    return float(out) if out.ndim == 0 else out


def array_latency_ms(storage: Storage, util_frac):
    """Guest I/O mean latency on `storage` at utilisation `util_frac` [ms].

    M/M/1 with the utilisation held at or below `storage.max_util_frac`: an open M/M/1 queue
    at rho >= 1 has no steady state, and a storage copy keeps a bounded number of I/Os
    outstanding, so the array settles just below saturation (default ceiling 0.95: R = 20 S).
    Demand above the ceiling is reported by the simulation as saturation (the guest is served
    less than it asks), not as a longer latency here.
    """
    rho = np.minimum(np.asarray(util_frac, dtype=float), storage.max_util_frac)
    return mm1_response_ms(storage.base_latency_ms, rho)


def exp_mixture_quantile(means_ms, weights, q: float = 0.95) -> float:
    """Quantile of a mixture of exponential distributions [ms].

    The response time over several piecewise-constant segments (each an M/M/1 queue with its
    own mean) is such a mixture, weighted by the I/Os in each segment.

    Parameters
    ----------
    means_ms : array
        Mean of each exponential component [ms].
    weights : array
        Non-negative weights (normalised here).
    q : float
        The quantile, 0 < q < 1.
    """
    means = np.asarray(means_ms, dtype=float).ravel()
    w = np.asarray(weights, dtype=float).ravel()
    keep = w > 0
    if not keep.any():
        return math.nan
    # equal means are one component (a run has few distinct latency levels)
    means, inverse = np.unique(means[keep], return_inverse=True)
    w = np.bincount(inverse, weights=w[keep])
    w = w / w.sum()
    tail = 1.0 - q
    instant = float(w[means <= 0].sum())  # zero-latency mass
    if instant >= q:
        return 0.0
    pos = means > 0
    m, w = means[pos], w[pos]
    # Newton on g(x) = ln S(x) - ln(tail): S, a mixture of exponentials, is log-convex, so
    # from x = 0 (g > 0) the iterates rise monotonically to the root
    x = 0.0
    for _ in range(200):
        e = w * np.exp(-x / m)
        surv = float(e.sum())
        slope = -float((e / m).sum()) / surv
        step = (math.log(surv) - math.log(tail)) / slope
        x -= step
        if abs(step) <= 1e-13 * max(x, 1e-300):
            break
    return x


__all__ = ["P95_FACTOR", "mm1_response_ms", "array_latency_ms", "exp_mixture_quantile"]
