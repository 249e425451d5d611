"""Queueing formulas for arrays serving guest I/O and a storage copy.

- the open M/M/1 mean response time ``R = S / (1 - rho)`` and its 95th percentile ``R ln 20``
  (exponential response times), for the guests' I/O alone;
- quantiles of a mixture of exponentials (a run whose utilisation is piecewise constant);
- Mean Value Analysis of a closed network (the copy keeps a fixed number of I/Os outstanding)
  whose stations also carry open (guest) load: exact MVA for small populations, Schweitzer's
  approximation for large ones, and the population's rate when it is held to a throttle.
  There is no utilisation ceiling: a closed loop cannot push an array past 1, and open guest
  load at or above 1 has no steady state (the caller raises ``ArrayOverloadError``).

References
----------
Kleinrock, L. (1975). Queueing Systems, Volume 1: Theory. Wiley, sec. 3.2 (M/M/1).
Reiser, M. & Lavenberg, S. S. (1980). Mean-value analysis of closed multichain queuing
networks. Journal of the ACM 27(2), 313-322.
Schweitzer, P. J. (1979). Approximate analysis of multiclass closed networks of queues.
Proc. International Conference on Stochastic Control and Optimization, Amsterdam.
Lazowska, E. D. et al. (1984). Quantitative System Performance. Prentice-Hall, ch. 6-7.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

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





# --------------------------------------------------------------------------------------------
# mixed queueing networks: open guest load and closed storage copies at processor-sharing arrays
def _mva_closed(d: list, stretch: list, population: int, think_s: float):
    """`mva_closed` on plain lists (stretch = 1 / (1 - U)): the hot path of the simulation,
    where a station count of one or two makes numpy's per-call cost dominate."""
    q = [0.0] * len(d)
    x, r = 0.0, [0.0] * len(d)
    for n in range(1, population + 1):
        r = [dk * (1.0 + qk) * sk for dk, qk, sk in zip(d, q, stretch)]
        x = n / (think_s + sum(r))
        q = [x * rk for rk in r]
    return x, r, q


def _stretch(open_util) -> list:
    u = [float(v) for v in open_util]
    if any(v >= 1 for v in u):
        raise ValueError(f"open_util must be < 1 at every station (an open load of 1 or more "
                         f"has no steady state), got {u}")
    return [1.0 / (1.0 - v) for v in u]


def mva_closed(demands_s, open_util, population: int, think_s: float = 0.0):
    """Exact mean value analysis of one closed class at processor-sharing stations that also
    serve open load (a mixed product-form network; Reiser & Lavenberg 1980; Lazowska et al.
    1984, ch. 7).

    A storage copy keeps `population` I/Os in flight; each I/O visits every station once per
    cycle. At station k an I/O's residence time with n copy I/Os in the network is
    ``R_k(n) = D_k (1 + Q_k(n - 1)) / (1 - U_k)`` (open utilisation U_k), the throughput
    ``X(n) = n / (Z + sum_k R_k(n))`` and ``Q_k(n) = X(n) R_k(n)``.

    Parameters
    ----------
    demands_s : sequence of float
        Service demand of one copy I/O at each station [s].
    open_util : sequence of float
        Utilisation of each station by open load (guests, mirrored writes, other load)
        [fraction], each < 1.
    population : int
        Copy I/Os in flight [I/Os].
    think_s : float
        Time per cycle spent outside the stations (links, a throttle) [s].

    Returns
    -------
    (float, numpy.ndarray, numpy.ndarray)
        Throughput X [I/Os per s], residence time per station R [s], copy I/Os at each
        station Q [I/Os].
    """
    x, r, q = _mva_closed([float(v) for v in demands_s], _stretch(open_util), int(population),
                          float(think_s))
    return x, np.array(r), np.array(q)


def mva_closed_at_rate(demands_s, open_util, population: int, rate_per_s: float):
    """`mva_closed` for a copy held to `rate_per_s` I/Os per second by something outside the
    stations (a throttle, a link): the time per cycle outside them (think time Z) is found so
    that the throughput is `rate_per_s`; returns (X, R, Q, Z). When the stations alone allow
    less, Z is 0 and X is what they allow."""
    d = [float(v) for v in demands_s]
    stretch = _stretch(open_util)
    n = int(population)
    x0, r0, q0 = _mva_closed(d, stretch, n, 0.0)
    if rate_per_s >= x0 * (1 - 1e-12):
        return x0, np.array(r0), np.array(q0), 0.0
    if rate_per_s <= 0:
        return 0.0, np.array([dk * sk for dk, sk in zip(d, stretch)]), np.zeros(len(d)), \
            math.inf
    # X(Z) falls monotonically with Z from x0 at Z = 0 to below the rate at Z = N / rate:
    # regula falsi (Illinois) on X(Z) - rate keeps the root bracketed and converges fast
    lo, hi = 0.0, n / rate_per_s
    f_lo = x0 - rate_per_s
    f_hi = _mva_closed(d, stretch, n, hi)[0] - rate_per_s
    side = 0
    for _ in range(200):
        z = hi - f_hi * (hi - lo) / (f_hi - f_lo)
        f_z = _mva_closed(d, stretch, n, z)[0] - rate_per_s
        if f_z > 0:
            lo, f_lo = z, f_z
            if side == -1:
                f_hi /= 2
            side = -1
        else:
            hi, f_hi = z, f_z
            if side == 1:
                f_lo /= 2
            side = 1
        if abs(f_z) <= 1e-12 * rate_per_s or hi - lo <= 1e-12 * hi:
            break
    x, r, q = _mva_closed(d, stretch, n, hi)
    return x, np.array(r), np.array(q), hi


def mva_exact(demands_s, open_util, populations):
    """Exact mean value analysis of several closed classes at processor-sharing stations with
    open load (Reiser & Lavenberg 1980): every population vector up to `populations`, so use it
    for a few small classes (two copies of 8 I/Os: 81 vectors).

    Parameters
    ----------
    demands_s : array, shape (classes, stations)
        Service demand of one I/O of each class at each station [s].
    open_util : array, shape (stations,)
        Open utilisation of each station [fraction], each < 1.
    populations : sequence of int
        I/Os in flight per class.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Throughput per class [I/Os per s] and queue length per class and station [I/Os].
    """
    d = [[float(v) for v in row] for row in np.asarray(demands_s, dtype=float)]
    stretch = _stretch(open_util)
    pops = [int(v) for v in populations]
    classes, stations = len(pops), len(stretch)
    queue = {tuple([0] * classes): [0.0] * stations}  # total queue per station
    order = sorted(itertools.product(*[range(p + 1) for p in pops]), key=sum)
    x = [0.0] * classes
    per_class: list = [[0.0] * stations for _ in range(classes)]
    for vec in order[1:]:
        total = [0.0] * stations
        xs, qs = [0.0] * classes, [[0.0] * stations for _ in range(classes)]
        for c in range(classes):
            if vec[c] == 0:
                continue
            prev = queue[vec[:c] + (vec[c] - 1,) + vec[c + 1:]]
            r = [d[c][k] * (1.0 + prev[k]) * stretch[k] for k in range(stations)]
            xs[c] = vec[c] / sum(r)
            qs[c] = [xs[c] * rk for rk in r]
            for k in range(stations):
                total[k] += qs[c][k]
        queue[vec] = total
        x, per_class = xs, qs
    return np.array(x), np.array(per_class)


def mva_schweitzer(demands_s, open_util, populations, think_s=None, fixed_rates=None,
                   tol: float = 1e-9, max_iter: int = 1000):
    """Approximate mean value analysis (Schweitzer 1979) of several closed classes at
    processor-sharing stations with open load: for several storage copies sharing arrays.

    Parameters
    ----------
    demands_s : array, shape (classes, stations)
        Service demand of one I/O of each class at each station [s].
    open_util : array, shape (stations,)
        Open utilisation of each station [fraction], each < 1.
    populations : array, shape (classes,)
        I/Os in flight per class.
    think_s : array, shape (classes,), optional
        Time per cycle outside the stations [s].
    fixed_rates : sequence, optional
        Per class None (its throughput follows from its population) or a throughput it is
        held to by something outside the stations [I/Os per s].

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Throughput per class [I/Os per s] and queue length per class and station [I/Os].
    """
    d = [[float(v) for v in row] for row in np.asarray(demands_s, dtype=float)]
    stretch = _stretch(open_util)
    n = [float(v) for v in populations]
    z = [0.0] * len(n) if think_s is None else [float(v) for v in think_s]
    fixed = [None] * len(n) if fixed_rates is None else list(fixed_rates)
    k_count = len(stretch)
    q = []
    for c, row in enumerate(d):
        visits = sum(1 for v in row if v > 0) or 1
        q.append([n[c] / visits if v > 0 else 0.0 for v in row])
    x = [0.0] * len(n)
    for _ in range(max_iter):
        total = [sum(q[c][k] for c in range(len(n))) for k in range(k_count)]
        change = 0.0
        new_q = []
        for c, row in enumerate(d):
            own = 1.0 / n[c]
            r = [row[k] * (1.0 + total[k] - q[c][k] * own) * stretch[k]
                 for k in range(k_count)]
            x[c] = fixed[c] if fixed[c] is not None else n[c] / (z[c] + sum(r))
            qc = [x[c] * rk for rk in r]
            change = max(change, max(abs(a - b) for a, b in zip(qc, q[c])))
            new_q.append(qc)
        q = new_q
        if change <= tol * max(1.0, max(n)):
            break
    return np.array(x), np.array(q)


__all__ = ["P95_FACTOR", "mm1_response_ms", "exp_mixture_quantile",
           "mva_closed", "mva_closed_at_rate", "mva_exact", "mva_schweitzer"]
