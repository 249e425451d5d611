"""Storage arrays under load, and the shared resources a migration's copies run through.

**Utilisation.** An array's utilisation is the fraction of its time it is busy. By the
utilisation law (service demand law: U = sum over streams of X * D, Denning & Buzen 1978) every
I/O stream adds its throughput times the array time one unit of it costs:

- the moved VM's own I/O: ``disk_iops / iops + disk_read_mib_s / read_mib_s +
  disk_write_mib_s / write_mib_s`` (each operation costs a positioning time 1/iops, each byte a
  transfer time 1/throughput);
- everything else on the array: `Storage.load_frac`;
- a copy: per byte read ``1 / read_bytes_s + 1 / (COPY_IO_BYTES * iops)`` on the source, per
  byte written ``1 / write_bytes_s + 1 / (COPY_IO_BYTES * iops)`` on the target;
- mirrored guest writes: the guest's write bytes and write operations, on the target.

**Latency.** The array is treated as one queue whose idle service time is
`Storage.base_latency_ms` (S). A guest I/O's mean response time at utilisation rho is the M/M/1
result ``R = S / (1 - rho)`` and its response time is exponentially distributed with that mean,
so the 95th percentile is ``R ln 20`` (Kleinrock 1975, Queueing Systems vol. 1, sec. 3.2;
`simulate_io_queue` checks both against a salabim queue). Over a migration the utilisation is
piecewise constant; percentiles over several segments are those of the time-weighted mixture of
exponentials.

**Saturation.** An open M/M/1 queue at rho >= 1 has no steady state. A storage copy keeps a
bounded number of I/Os outstanding, so the array settles just below saturation: the copy takes
the headroom up to `Storage.max_util_frac` (default 0.95: R = 20 S). The copy always keeps at
least `MIN_COPY_FRAC` of the array (it never stalls). When the guest and other load then ask
for more than is left, they are served only what is left: the model reports the array as
saturated (a `saturated_s` detail and a note) and the latency at the ceiling, which understates
what the guest would see; it never returns infinity.

`SharedResources` divides links and arrays among concurrent transfers, max-min fairly across
all the resources each transfer crosses (progressive filling), with constant-rate background
streams (guest I/O, mirrored writes) served first.

References
----------
Kleinrock, L. (1975). Queueing Systems, Volume 1: Theory. Wiley. M/M/1 response time.
Denning, P. J., Buzen, J. P. (1978). The operational analysis of queueing network models.
ACM Computing Surveys 10(3), 225-261. https://doi.org/10.1145/356733.356735
Bertsekas, D., Gallager, R. (1992). Data Networks, 2nd ed., sec. 6.5.2: max-min fairness by
progressive filling.
"""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np
import pandas as pd
import salabim as sim

from hvlab.models._des import FairSharePipe, Flow, new_environment
from hvlab.params import MIB, VM, Storage

COPY_IO_BYTES = 1 * MIB
"""Size of one storage-copy I/O [bytes]: Hyper-V copies with large unbuffered I/Os (size
unconfirmed; at 1 MiB the per-operation cost is small next to the transfer time)."""

MIN_COPY_FRAC = 0.05
"""Least share of an array (or link) a copy keeps however loaded the array is [fraction]."""

P95_FACTOR = math.log(20.0)
"""95th percentile / mean of an exponential distribution (M/M/1 response time)."""


# --------------------------------------------------------------------------------------------
# demands [array busy fraction]
def guest_demand_frac(vm: VM, storage: Storage) -> float:
    """Utilisation the VM's own disk I/O causes on `storage` [fraction of the array's time]."""
    return (vm.disk_iops / storage.iops + vm.disk_read_mib_s / storage.read_mib_s
            + vm.disk_write_mib_s / storage.write_mib_s)


def write_fraction(vm: VM) -> float:
    """Share of the VM's I/O operations that are writes [fraction]; operations are split in
    proportion to bytes (0 when the VM does no I/O)."""
    total = vm.disk_read_mib_s + vm.disk_write_mib_s
    return vm.disk_write_mib_s / total if total > 0 else 0.0


def mirror_demand_per_byte(vm: VM, storage: Storage) -> float:
    """Array time one mirrored guest write byte costs on the target [s/byte], operations
    included (the guest's write operations carry its write bytes)."""
    per_byte = 1.0 / (storage.write_mib_s * MIB)
    if vm.disk_write_mib_s > 0:
        write_ops = vm.disk_iops * write_fraction(vm)
        per_byte += write_ops / storage.iops / (vm.disk_write_mib_s * MIB)
    return per_byte


def copy_read_demand_per_byte(storage: Storage) -> float:
    """Array time one copied byte costs to read [s/byte]."""
    return 1.0 / (storage.read_mib_s * MIB) + 1.0 / (COPY_IO_BYTES * storage.iops)


def copy_write_demand_per_byte(storage: Storage) -> float:
    """Array time one copied byte costs to write [s/byte]."""
    return 1.0 / (storage.write_mib_s * MIB) + 1.0 / (COPY_IO_BYTES * storage.iops)


# --------------------------------------------------------------------------------------------
# latency
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
    """Guest I/O mean latency on `storage` at utilisation `util_frac` [ms]: M/M/1 with the
    utilisation held at or below `storage.max_util_frac` (see the module notes on
    saturation)."""
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


def simulate_io_queue(util_frac: float, service_ms: float, n_ios: int = 20_000, *,
                      seed: int = 0) -> np.ndarray:
    """Simulate guest I/Os at one array as a salabim queue: Poisson arrivals, exponential
    service with mean `service_ms`, one server, first come first served (M/M/1).

    Used to check `mm1_response_ms` and the p95 factor ln 20 by simulation.

    Parameters
    ----------
    util_frac : float
        Offered utilisation rho = arrival rate x mean service time [fraction], 0 < rho < 1.
    service_ms : float
        Mean service time [ms].
    n_ios : int
        I/Os to simulate.
    seed : int
        Seed of the run's own random stream.

    Returns
    -------
    numpy.ndarray
        Response time (wait plus service) of every I/O, in arrival order [ms].
    """
    if not 0 < util_frac < 1:
        raise ValueError(f"util_frac must be between 0 and 1 (exclusive), got {util_frac!r}")
    if not service_ms > 0:
        raise ValueError(f"service_ms must be > 0 ms, got {service_ms!r}")
    if int(n_ios) != n_ios or n_ios < 1:
        raise ValueError(f"n_ios must be a positive whole number, got {n_ios!r}")
    n_ios = int(n_ios)
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(service_ms / util_frac, n_ios)
    services = rng.exponential(service_ms, n_ios)
    response = np.empty(n_ios)
    env = new_environment()
    array = sim.Resource("array", capacity=1, env=env)

    idle: list = []  # finished I/O components, reused (creating one costs ~0.3 ms)

    class IO(sim.Component):
        def setup(self, index):
            self.index = index

        def process(self):
            while True:
                arrived = env.now()
                yield self.request(array)
                yield self.hold(services[self.index])
                self.release(array)
                response[self.index] = env.now() - arrived
                idle.append(self)
                yield self.passivate()

    class Arrivals(sim.Component):
        def process(self):
            for i in range(n_ios):
                if idle:
                    io = idle.pop()
                    io.index = i
                    io.activate()
                else:
                    IO(env=env, index=i, name="io")
                yield self.hold(gaps[i])

    Arrivals(env=env, name="arrivals")
    env.run()
    return response


# --------------------------------------------------------------------------------------------
# shared resources
class Resource:
    """One capacity shared by transfers and background streams (a link in bytes/s, or an
    array in busy seconds per second).

    Attributes
    ----------
    capacity : float
        What flows and streams together may use [units/s].
    floor : float
        What flows keep however much background there is [units/s].
    offered : float
        Background demand of the streams [units/s].
    used : float
        Used by flows now [units/s].
    scale : float
        Fraction of the offered background actually served now (1 unless saturated).
    """

    __slots__ = ("key", "capacity", "floor", "offered", "used", "scale", "left", "times",
                 "used_hist", "background_hist", "scale_hist", "_cache")

    def __init__(self, key: str, capacity: float, floor: float):
        if not capacity > 0:
            raise ValueError(f"resource {key!r}: capacity must be > 0, got {capacity!r}")
        self.key = key
        self.capacity = float(capacity)
        self.floor = min(float(floor), self.capacity)
        self.offered = 0.0
        self.used = 0.0
        self.scale = 1.0
        self.left = 0.0
        self.times: list[float] = []
        self.used_hist: list[float] = []
        self.background_hist: list[float] = []
        self.scale_hist: list[float] = []
        self._cache = None

    @property
    def available(self) -> float:
        """What flows may take now [units/s]."""
        return max(self.capacity - self.offered, self.floor)

    def history(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(times, used by flows, served background): each value holds from its time to the
        next change."""
        return self._arrays()[:3]

    def scale_at(self, at) -> np.ndarray:
        """Fraction of the background served at the times `at` (1 unless saturated)."""
        times, _, _, scale = self._arrays()
        return step_values(times, scale, at, before=1.0)

    def _arrays(self):
        n = len(self.times)
        if self._cache is None or self._cache[0] != n:  # built once per length, not per use
            self._cache = (n, (np.array(self.times, dtype=float),
                               np.array(self.used_hist, dtype=float),
                               np.array(self.background_hist, dtype=float),
                               np.array(self.scale_hist, dtype=float)))
        return self._cache[1]


class Stream:
    """A constant-rate background stream (guest I/O, mirrored writes) across resources.

    Only tracked streams (those with a tag) integrate what they carried and appear in the tag
    history; the others just load their resources (their served fraction is the lowest
    `Resource.scale_at` of the resources they cross). Keeping the many untracked guest
    streams of a drain out of the per-event work keeps a drain linear in its VMs."""

    __slots__ = ("key", "rate", "uses", "scale", "carried", "tag")

    def __init__(self, key, rate: float, uses, tag: str | None):
        self.key = key
        self.rate = float(rate)
        self.uses = tuple(uses)
        self.scale = 1.0
        self.carried = 0.0
        self.tag = tag

    def current_scale(self) -> float:
        """Fraction of the stream served now."""
        return min((r.scale for r, _ in self.uses), default=1.0)


class _MultiFlow(Flow):
    """A `Flow` that also remembers which resources it crosses (and at what weight)."""

    __slots__ = ("uses",)

    def __init__(self, owner, nbytes, cap, tag, started_s, uses):
        super().__init__(owner, nbytes, cap, tag, started_s)
        self.uses = uses


class SharedResources(FairSharePipe):
    """Several capacities (links, arrays) shared by transfers that may cross more than one.

    A transfer's rate (bytes/s) is limited by every resource it crosses, each byte costing a
    weight of that resource (1 for a link; array seconds per byte for an array). Rates are
    max-min fair by progressive filling: all unfrozen transfers rise together until a resource
    fills or a transfer reaches its own cap. Background streams (guest I/O, mirrored writes)
    are served first: flows get what is left, never less than each resource's floor. Rates
    are recomputed whenever a transfer or stream starts or ends.

    Parameters
    ----------
    env : salabim.Environment
        The run's environment.
    resources : dict
        key -> (capacity, floor) [units/s].
    default : str
        The resource a plain ``transfer(...)`` crosses (so `run_precopy` works unchanged).
    record : bool
        Keep change-point histories (per resource, and per tag as `FairSharePipe.history`:
        the total there is the default resource's use, flows plus background).
    """

    def __init__(self, env: sim.Environment, resources: dict, default: str = "link",
                 record: bool = True):
        if default not in resources:
            raise ValueError(f"default resource {default!r} is not among {list(resources)}")
        super().__init__(env, resources[default][0], name=default, record=record)
        self.resources = {k: Resource(k, cap, floor) for k, (cap, floor) in resources.items()}
        self.default_uses = ((self.resources[default], 1.0),)
        self.streams: dict = {}
        self.tracked: dict = {}  # the streams with a tag

    # ---- public -----------------------------------------------------------------------
    def uses(self, weights: dict) -> tuple:
        """Resolve {resource key: weight} into what `transfer(uses=...)` takes."""
        return tuple((self.resources[k], float(w)) for k, w in weights.items() if w > 0)

    def transfer(self, owner: sim.Component, nbytes: float, *, cap: float = math.inf,
                 tag: str = "", uses: tuple | None = None):
        """Move `nbytes` for `owner` across `uses` (default: the default resource); use as
        ``yield from pool.transfer(self, n, uses=...)``."""
        if nbytes <= 0:
            return
        if not cap > 0:
            raise ValueError(f"{self.name}: flow cap must be > 0 bytes/s, got {cap!r}")
        uses = self.default_uses if uses is None else uses
        if not uses and math.isinf(cap):
            raise ValueError(f"{self.name}: a transfer must cross a resource or have a cap")
        self._advance()
        self.flows.append(_MultiFlow(owner, nbytes, cap, tag, self.env.now(), uses))
        self._reallocate()
        yield owner.passivate()

    def add_stream(self, key, rate: float, weights: dict, tag: str | None = None) -> None:
        """Start (or change) a background stream of `rate` units/s crossing resources with
        the given weights. A `tag` tracks it: what it carries is integrated (`carried`) and
        it counts in the tag history (e.g. network traffic)."""
        self._advance()
        if key in self.streams:
            self._drop(self.streams.pop(key))
        if rate > 0:
            stream = Stream(key, rate, self.uses(weights), tag)
            for r, w in stream.uses:
                r.offered += stream.rate * w
            self.streams[key] = stream
            if tag is not None:
                self.tracked[key] = stream
        self._reallocate()

    def remove_stream(self, key) -> float:
        """End a background stream; returns what it carried in total [units]."""
        self._advance()
        stream = self.streams.pop(key, None)
        if stream is None:
            return 0.0
        self._drop(stream)
        self.tracked.pop(key, None)
        self._reallocate()
        return stream.carried

    def carried(self, key) -> float:
        """What a running tracked stream has carried so far [units]."""
        self._advance()
        stream = self.streams.get(key)
        return 0.0 if stream is None else stream.carried

    def rate_alone(self, uses: tuple, cap: float = math.inf) -> float:
        """The rate a new transfer would get if it were the only one [bytes/s]."""
        rate = cap
        for r, w in uses:
            rate = min(rate, r.available / w)
        return rate

    def history_times(self) -> np.ndarray:
        """Times of the entries of `history` as an array (cached while it does not grow)."""
        n = len(self.history)
        cache = getattr(self, "_times_cache", None)
        if cache is None or cache[0] != n:
            cache = (n, np.fromiter((h[0] for h in self.history), float, n))
            self._times_cache = cache
        return cache[1]

    # ---- internals --------------------------------------------------------------------
    @staticmethod
    def _drop(stream: Stream) -> None:
        for r, w in stream.uses:
            r.offered = max(r.offered - stream.rate * w, 0.0)

    def _advance(self) -> None:
        dt = self.env.now() - self._last_s
        if dt > 0:
            for s in self.tracked.values():
                s.carried += s.rate * s.scale * dt
        super()._advance()

    def _allocate(self) -> None:
        resources = self.resources.values()
        for r in resources:
            r.left = r.available
            r.used = 0.0
        active = self.flows
        for f in active:
            f.rate = 0.0
        while active:
            load: dict = {}
            for f in active:
                for r, w in f.uses:
                    load[r] = load.get(r, 0.0) + w
            delta, tight = math.inf, None
            for r, weight in load.items():
                step = r.left / weight
                if step < delta:
                    delta, tight = step, r
            capped = None
            for f in active:
                room = f.cap - f.rate
                if room < delta:
                    delta, tight, capped = room, None, f
            delta = max(delta, 0.0)
            for f in active:
                f.rate += delta
            for r, weight in load.items():
                r.left -= delta * weight
            keep = []
            for f in active:
                if f is capped or f.rate >= f.cap * (1 - 1e-12):
                    continue
                if any(r is tight or r.left <= r.capacity * 1e-12 for r, _ in f.uses):
                    continue
                keep.append(f)
            active = keep
        for f in self.flows:
            for r, w in f.uses:
                r.used += f.rate * w
        for r in resources:
            room = max(r.capacity - r.used, 0.0)
            # served in full unless it exceeds the room by more than float rounding
            r.scale = (1.0 if r.offered <= room + 1e-12 * r.capacity
                       else min(1.0, room / r.offered))
        for s in self.tracked.values():
            s.scale = min((r.scale for r, _ in s.uses), default=1.0)

    def _reallocate(self) -> None:
        self._allocate()
        now = self.env.now()
        if self.record:
            tags: dict[str, float] = {}
            for f in self.flows:
                tags[f.tag] = tags.get(f.tag, 0.0) + f.rate
            for s in self.tracked.values():
                tags[s.tag] = tags.get(s.tag, 0.0) + s.rate * s.scale
            default = self.default_uses[0][0]
            total = default.used + default.offered * default.scale
            if self.history and self.history[-1][0] == now:
                self.history[-1] = (now, total, tags)
            else:
                self.history.append((now, total, tags))
            for r in self.resources.values():
                served = r.offered * r.scale
                if r.times and r.times[-1] == now:
                    r.used_hist[-1] = r.used
                    r.background_hist[-1] = served
                    r.scale_hist[-1] = r.scale
                else:
                    r.times.append(now)
                    r.used_hist.append(r.used)
                    r.background_hist.append(served)
                    r.scale_hist.append(r.scale)
        if self.flows:
            dt = min(f.remaining / f.rate for f in self.flows)
            self.next_event_s = now + max(dt, 0.0)
        else:
            self.next_event_s = None
        if self.next_event_s is not None and self.env.current_component() is not self._timer:
            self._timer.activate(at=self.next_event_s)


# --------------------------------------------------------------------------------------------
# helpers for results
def step_values(times: np.ndarray, values: np.ndarray, at, before: float = 0.0) -> np.ndarray:
    """Values of a piecewise-constant series (each value holds from its time to the next) at
    the times `at`; `before` where `at` precedes the first time."""
    at = np.asarray(at, dtype=float)
    if len(times) == 0:
        return np.full(at.shape, before)
    idx = np.searchsorted(times, at, side="right") - 1
    return np.where(idx >= 0, np.asarray(values)[np.clip(idx, 0, None)], before)


def history_rows(pool: "SharedResources", start_s: float, end_s: float) -> list:
    """The pool's (time, total, tags) history from `start_s` to `end_s`: a first row at
    `start_s` with the state then (nothing running before the first entry), the changes in
    between, and a closing row at `end_s`. Times are unique."""
    hist, times = pool.history, pool.history_times()
    lo = int(np.searchsorted(times, start_s, side="right")) - 1
    hi = int(np.searchsorted(times, end_s, side="right"))
    first = (start_s, 0.0, {}) if lo < 0 else (start_s, hist[lo][1], hist[lo][2])
    rows = [first] + hist[lo + 1:hi]
    if rows[-1][0] < end_s:
        rows.append((end_s, 0.0, rows[-1][2]))
    return rows


def fast_passes_frame(rows, start_s: float = 0.0) -> pd.DataFrame:
    """The `passes` table from `run_precopy`'s rows, times made relative to `start_s`
    (`hvlab.models.live.passes_frame` built column-wise: a drain builds thousands)."""
    arr = np.array(rows, dtype=float).reshape(-1, 7)
    return pd.DataFrame({
        "pass": arr[:, 0].astype("int64"),
        "start_s": arr[:, 1] - start_s,
        "end_s": arr[:, 2] - start_s,
        "sent_bytes": arr[:, 3],
        "dirty_bytes_after": arr[:, 4],
        "wire_bytes": arr[:, 5],
        "blackout": arr[:, 6].astype(bool),
    })


def merge_times(*series: Iterable[float]) -> np.ndarray:
    """Sorted union of change-point times."""
    return np.unique(np.concatenate([np.asarray(list(s), dtype=float) for s in series]))


__all__ = [
    "COPY_IO_BYTES", "MIN_COPY_FRAC", "P95_FACTOR", "guest_demand_frac", "write_fraction",
    "mirror_demand_per_byte", "copy_read_demand_per_byte", "copy_write_demand_per_byte",
    "mm1_response_ms", "array_latency_ms", "exp_mixture_quantile", "simulate_io_queue",
    "Resource", "Stream", "SharedResources", "step_values", "merge_times", "fast_passes_frame",
    "history_rows",
]
