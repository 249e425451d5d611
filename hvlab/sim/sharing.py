"""Capacities that concurrent transfers share: links (bytes/s) and arrays (busy seconds per
second), divided max-min fairly and recomputed whenever a transfer or a background stream
starts or ends.

Concepts
--------
- A **resource** is one capacity (`Resource`): a link's payload rate, or an array's
  utilisation ceiling. A transfer's bytes cost each resource it crosses a weight: 1 for a link,
  the array seconds one byte costs for an array (`hvlab.physics.storage_io`).
- A **flow** (`Flow`) is a transfer of a number of bytes across some resources, with an
  optional cap of its own (one NIC, the compressor, a throttle). The process that started it
  waits (``yield from pool.transfer(...)``) until its last byte has gone through.
- A **stream** (`Stream`) is constant-rate background load (guest I/O, mirrored writes, other
  load on an array). Streams are served first; flows get what is left, never less than each
  resource's floor. Where the streams ask for more than a resource has left beside the flows,
  they are served in proportion (the resource's `scale` < 1: saturation).

Allocation is max-min fair by progressive filling (Bertsekas & Gallager 1992, sec. 6.5.2): all
flows rise together until a resource fills or a flow reaches its own cap; those freeze and the
rest go on. On one resource this is water filling.

Extension point
---------------
To model a new constraint, add a resource; to model a new load, add a stream; a flow's `uses`
say which resources it crosses and at what weight. The allocation policy itself is one function
passed as ``SharedResources(..., allocate=...)``: it receives the active flows and the resources
and must set each flow's `rate`, each resource's `used` and `scale` (see
`progressive_filling`). Nothing else in the engine depends on how rates are chosen.

References
----------
Bertsekas, D., Gallager, R. (1992). Data Networks, 2nd ed., sec. 6.5.2: max-min fairness by
progressive filling.
"""
from __future__ import annotations

import math
from typing import Callable, Iterator, Sequence

import numpy as np
import pandas as pd
import salabim as sim

from hvlab.physics.series import step_values

EPS_S = 1e-9
"""Completions closer than this are the same instant (float rounding of remaining/rate) [s]."""


class Resource:
    """One capacity shared by flows and background streams (a link in bytes/s, or an array in
    busy seconds per second).

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


class Flow:
    """One transfer: `remaining` of `total` bytes at `rate` bytes/s across `uses`, a tuple of
    (Resource, weight) pairs, never faster than `cap` [bytes/s]."""

    __slots__ = ("owner", "total", "remaining", "cap", "rate", "tag", "started_s", "uses")

    def __init__(self, owner, nbytes: float, cap: float, tag: str, started_s: float, uses):
        self.owner = owner
        self.total = float(nbytes)
        self.remaining = float(nbytes)
        self.cap = cap
        self.rate = 0.0
        self.tag = tag
        self.started_s = started_s
        self.uses = uses


Allocator = Callable[[Sequence[Flow], Sequence[Resource]], None]


def progressive_filling(flows: Sequence[Flow], resources: Sequence[Resource]) -> None:
    """Max-min fair rates by progressive filling; the default `Allocator`.

    Sets every flow's `rate` [bytes/s], every resource's `used` [units/s] and `scale` (the
    fraction of its background streams served: 1 unless flows at their floor and the streams
    together ask for more than the capacity).
    """
    for r in resources:
        r.left = r.available
        r.used = 0.0
    active = flows  # replaced by a new list each round, never changed in place
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
    for f in flows:
        for r, w in f.uses:
            r.used += f.rate * w
    for r in resources:
        room = max(r.capacity - r.used, 0.0)
        # served in full unless it exceeds the room by more than float rounding
        r.scale = (1.0 if r.offered <= room + 1e-12 * r.capacity
                   else min(1.0, room / r.offered))


class _Timer(sim.Component):
    """Wakes the pool when its earliest flow completes."""

    def setup(self, pool):
        self.pool = pool

    def process(self):
        while True:
            if self.pool.next_event_s is None:
                yield self.passivate()
            else:
                yield self.hold(till=self.pool.next_event_s)
            self.pool.on_timer()


class SharedResources:
    """Several capacities (links, arrays) shared by flows that may cross more than one, plus
    constant-rate background streams (see the module notes).

    Parameters
    ----------
    env : salabim.Environment
        The run's environment.
    resources : dict
        key -> (capacity, floor) [units/s].
    default : str, optional
        The resource a plain ``transfer(...)`` crosses. Default: the first resource.
    record : bool
        Keep change-point histories: per resource, and per tag in `history` as
        (time_s, total, {tag: rate}) where total is the default resource's use (flows plus
        served background) [bytes/s].
    allocate : callable
        The allocation policy (the extension point): ``allocate(flows, resources)``.

    Examples
    --------
    A link alone, as a live migration uses it:

    >>> pool = SharedResources.single(env, 117.7e6, name="link")  # doctest: +SKIP
    """

    def __init__(self, env: sim.Environment, resources: dict, default: str | None = None,
                 record: bool = True, allocate: Allocator = progressive_filling):
        if not resources:
            raise ValueError("a SharedResources pool needs at least one resource")
        default = next(iter(resources)) if default is None else default
        if default not in resources:
            raise ValueError(f"default resource {default!r} is not among {list(resources)}")
        self.env = env
        self.name = default
        self.resources = {k: Resource(k, cap, floor) for k, (cap, floor) in resources.items()}
        self._resource_list = tuple(self.resources.values())
        self.default_uses = ((self.resources[default], 1.0),)
        self.allocate = allocate
        self.record = record
        self.flows: list[Flow] = []
        self.streams: dict = {}
        self.tracked: dict = {}  # the streams with a tag
        self.history: list[tuple[float, float, dict]] = []
        self.moved_bytes = 0.0
        self.next_event_s: float | None = None
        self._last_s = env.now()
        self._times_cache = None
        self._timer = _Timer(env=env, pool=self, name=f"{default}.timer")

    @classmethod
    def single(cls, env: sim.Environment, capacity: float, name: str = "link",
               record: bool = True) -> "SharedResources":
        """A pool of one resource of `capacity` [units/s] (no floor): a link or a disk that
        concurrent flows divide by water filling."""
        return cls(env, {name: (capacity, 0.0)}, default=name, record=record)

    # ---- flows --------------------------------------------------------------------------
    def uses(self, weights: dict) -> tuple:
        """Resolve {resource key: weight} into what `transfer(uses=...)` takes."""
        return tuple((self.resources[k], float(w)) for k, w in weights.items() if w > 0)

    def transfer(self, owner: sim.Component, nbytes: float, *, cap: float = math.inf,
                 tag: str = "", uses: tuple | None = None) -> Iterator:
        """Move `nbytes` for `owner` across `uses` (default: the default resource); use as
        ``yield from pool.transfer(self, n, ...)`` inside a process. Returns when the last
        byte has gone through."""
        if nbytes <= 0:
            return
        if not cap > 0:
            raise ValueError(f"{self.name}: flow cap must be > 0 bytes/s, got {cap!r}")
        uses = self.default_uses if uses is None else uses
        if not uses and math.isinf(cap):
            raise ValueError(f"{self.name}: a transfer must cross a resource or have a cap")
        self._advance()
        self.flows.append(Flow(owner, nbytes, cap, tag, self.env.now(), uses))
        self._reallocate()
        yield owner.passivate()

    @property
    def active(self) -> int:
        """Flows running now."""
        return len(self.flows)

    def rate_of(self, tag: str) -> float:
        """Current total rate of the flows with this tag [bytes/s]."""
        return sum(f.rate for f in self.flows if f.tag == tag)

    def rate_alone(self, uses: tuple, cap: float = math.inf) -> float:
        """The rate a new flow would get if it were the only one [bytes/s]."""
        rate = cap
        for r, w in uses:
            rate = min(rate, r.available / w)
        return rate

    # ---- streams ------------------------------------------------------------------------
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

    # ---- history ------------------------------------------------------------------------
    def history_times(self) -> np.ndarray:
        """Times of the entries of `history` as an array (cached while it does not grow)."""
        n = len(self.history)
        cache = self._times_cache
        if cache is None or cache[0] != n:
            cache = (n, np.fromiter((h[0] for h in self.history), float, n))
            self._times_cache = cache
        return cache[1]

    def history_rows(self, start_s: float, end_s: float) -> list:
        """The (time, total, tags) history from `start_s` to `end_s`: a first row at `start_s`
        with the state then (nothing running before the first entry), the changes in between,
        and a closing row at `end_s`. Times are unique."""
        hist, times = self.history, self.history_times()
        lo = int(np.searchsorted(times, start_s, side="right")) - 1
        hi = int(np.searchsorted(times, end_s, side="right"))
        first = (start_s, 0.0, {}) if lo < 0 else (start_s, hist[lo][1], hist[lo][2])
        rows = [first] + hist[lo + 1:hi]
        if rows[-1][0] < end_s:
            rows.append((end_s, 0.0, rows[-1][2]))
        return rows

    def utilisation_at(self, key: str, at) -> np.ndarray:
        """Use of resource `key` by flows and served background at the times `at`
        [units/s; for an array: its busy fraction]."""
        times, used, background = self.resources[key].history()
        return step_values(times, used + background, at)

    # ---- engine -------------------------------------------------------------------------
    @staticmethod
    def _drop(stream: Stream) -> None:
        for r, w in stream.uses:
            r.offered = max(r.offered - stream.rate * w, 0.0)

    def _advance(self) -> None:
        now = self.env.now()
        dt = now - self._last_s
        if dt > 0:
            for s in self.tracked.values():
                s.carried += s.rate * s.scale * dt
            for f in self.flows:
                moved = f.rate * dt
                f.remaining -= moved
                self.moved_bytes += moved
            self._last_s = now

    def _reallocate(self) -> None:
        self.allocate(self.flows, self._resource_list)
        for s in self.tracked.values():
            s.scale = min((r.scale for r, _ in s.uses), default=1.0)
        now = self.env.now()
        if self.record:
            self._record(now)
        if self.flows:
            dt = min(f.remaining / f.rate for f in self.flows)
            self.next_event_s = now + max(dt, 0.0)
        else:
            self.next_event_s = None
        # the timer picks up next_event_s itself when it is the one running
        if self.next_event_s is not None and self.env.current_component() is not self._timer:
            self._timer.activate(at=self.next_event_s)

    def _record(self, now: float) -> None:
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

    def on_timer(self) -> None:
        """Called by the pool's timer when the earliest flow should have completed."""
        self._advance()
        # Tolerance relative to the clock: far into a long run (a drain of thousands of VMs
        # lasts days) a flow's last bytes can take less than one float step of the clock, and
        # an absolute tolerance would reschedule the timer at the same instant forever.
        tol_s = max(EPS_S, abs(self.env.now()) * 1e-12)
        done = [f for f in self.flows if f.remaining <= f.rate * tol_s + 1e-6]
        if not done:  # woken early by rounding: just reschedule
            self._reallocate()
            return
        for f in done:
            self.moved_bytes += f.remaining  # the rounding residue is part of the flow
            f.remaining = 0.0
            self.flows.remove(f)
        self._reallocate()
        for f in done:
            f.owner.activate()


def pool_timeline(pool: SharedResources, end_s: float, column: str = "network_mib_s",
                  start_s: float = 0.0, scale: float = 1.0) -> pd.DataFrame:
    """Piecewise-constant total-rate history of a pool's default resource as a timeline
    frame, from `start_s` to `end_s` (a zero row closes it); rates divided by `scale`."""
    times = [start_s] + [h[0] for h in pool.history] + [end_s]
    rates = [0.0] + [h[1] / scale for h in pool.history] + [0.0]
    frame = pd.DataFrame({column: rates}, index=pd.Index(times, name="time_s"))
    return frame[~frame.index.duplicated(keep="last")]


__all__ = ["Resource", "Stream", "Flow", "SharedResources", "progressive_filling", "Allocator",
           "pool_timeline", "EPS_S"]
