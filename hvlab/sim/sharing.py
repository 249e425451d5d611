"""Links and arrays that concurrent transfers and background load share, recomputed whenever
a transfer or a background stream starts or ends.

Concepts
--------
- A **link** resource is one direction of a network path (links are full duplex: what a host
  sends and what it receives do not compete) with a payload capacity [bytes/s]. Flows and
  background streams on a link share it max-min fairly (progressive filling, Bertsekas &
  Gallager 1992, sec. 6.5.2): nobody gets more than its demand or cap, and what one leaves,
  the others share.
- An **array** resource is a storage array, modelled as one processor-sharing queue whose
  time is its capacity (1 busy second per second). Background streams load it as open
  classes (guest I/O, mirrored writes, other load: their utilisation by the utilisation law,
  `hvlab.physics.storage_io`). A storage copy is a **closed class**: it keeps
  `population` I/Os of `io_bytes` in flight, so its throughput follows from mean value
  analysis of the mixed network (`hvlab.physics.queueing`) instead of filling the array up to
  a ceiling; what it does to the guests' latency follows from the queue it builds.
- A **flow** (`Flow`) is a transfer of a number of bytes across links (and, for a copy,
  arrays), with an optional cap of its own (one TCP stream, the compressor, a throttle). The
  process that started it waits (``yield from pool.transfer(...)``) until its last byte has
  gone through.
- A **stream** (`Stream`) is constant-rate background demand across links and arrays.

An array whose open load reaches 1 has no steady state (its queue grows without bound): the
pool raises `ArrayOverloadError`, naming the array and its load, rather than invent a finite
latency.

Extension point
---------------
A new constraint is a new resource, a new load a new stream; a flow's `uses` (links) and
`stations` (arrays) say what it crosses. The allocation policy itself is one function passed as
``SharedResources(..., allocate=...)`` with the signature of `allocate_fair`: it sets each
flow's `rate`, each stream's `scale` and each resource's state; nothing else in the engine
depends on how rates are chosen.

References
----------
Bertsekas, D., Gallager, R. (1992). Data Networks, 2nd ed., sec. 6.5.2: max-min fairness by
progressive filling.
Lazowska, E. D., Zahorjan, J., Graham, G. S., Sevcik, K. C. (1984). Quantitative System
Performance, ch. 7: mixed open and closed networks, mean value analysis.
"""
from __future__ import annotations

import math
from typing import Callable, Iterator, Sequence

import numpy as np
import pandas as pd
import salabim as sim

from hvlab.physics.queueing import mva_closed, mva_closed_at_rate, mva_exact, mva_schweitzer
from hvlab.physics.series import step_values

EPS_S = 1e-9
"""Completions closer than this are the same instant (float rounding of remaining/rate) [s]."""

LINK, ARRAY = "link", "array"

EXACT_MVA_STATES = 2000
"""Largest number of population vectors for which several copies on the same arrays are solved
by exact MVA; beyond it (three or more large copies), Schweitzer's approximation."""


class ArrayOverloadError(ValueError):
    """An array's open load (guests, mirrored writes, other load) reached its capacity."""


class Resource:
    """A link direction [bytes/s] or an array [busy seconds per second].

    Attributes
    ----------
    kind : str
        "link" or "array".
    capacity : float
        Payload rate of a link [bytes/s]; 1 for an array.
    used : float
        Used by flows now [bytes/s on a link; busy fraction on an array].
    background : float
        Used by streams now (served) [same units].
    level : float
        Link: the max-min fair share of the streams and flows not limited by their own demand
        (inf when the link is not full) [bytes/s].
    offered : float
        The streams' full demand (what they would use if fully served) [bytes/s on a link;
        busy fraction on an array].

    An array's queue of copy I/Os and the guests' latency stretch are computed from the
    recorded history when asked for (`SharedResources.stretch_at`), not at every event.
    """

    __slots__ = ("key", "kind", "capacity", "used", "background", "level", "offered", "left",
                 "stream_uses", "short", "times", "used_hist", "background_hist", "level_hist",
                 "_cache")

    def __init__(self, key: str, capacity: float, kind: str = LINK):
        if not capacity > 0:
            raise ValueError(f"resource {key!r}: capacity must be > 0, got {capacity!r}")
        if kind not in (LINK, ARRAY):
            raise ValueError(f"resource {key!r}: kind must be 'link' or 'array', got {kind!r}")
        self.key = key
        self.kind = kind
        self.capacity = float(capacity)
        self.used = 0.0
        self.background = 0.0
        self.level = math.inf
        self.offered = 0.0
        self.left = 0.0
        self.stream_uses: dict = {}  # stream key -> (Stream, weight)
        self.short: list = []  # link: streams it served in part at the last allocation
        self.times: list[float] = []
        self.used_hist: list[float] = []
        self.background_hist: list[float] = []
        self.level_hist: list[float] = []
        self._cache = None

    def history(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(times, used by flows, served background): each value holds from its time to the
        next change."""
        return self._arrays()[:3]

    def level_at(self, at) -> np.ndarray:
        """A link's fair level at the times `at` [bytes/s] (inf where it was not full)."""
        times, _, _, level = self._arrays()
        return step_values(times, level, at, before=math.inf)

    def _arrays(self):
        n = len(self.times)
        if self._cache is None or self._cache[0] != n:  # built once per length, not per use
            self._cache = (n, tuple(np.array(h, dtype=float) for h in (
                self.times, self.used_hist, self.background_hist, self.level_hist)))
        return self._cache[1]


class Stream:
    """Constant-rate background demand across links and arrays: `rate` units/s, each costing
    `weight` of every resource in `uses` (bytes on a link, busy seconds on an array).

    Only tracked streams (those with a tag) integrate what they carried and appear in the tag
    history; the others just load their resources. Keeping the many untracked guest streams of
    a drain out of the per-event bookkeeping keeps a drain linear in its VMs."""

    __slots__ = ("key", "rate", "uses", "link_uses", "scale", "carried", "tag")

    def __init__(self, key, rate: float, uses, tag: str | None):
        self.key = key
        self.rate = float(rate)
        self.uses = tuple(uses)
        self.link_uses = tuple((r, w) for r, w in self.uses if r.kind == LINK and w > 0)
        self.scale = 1.0
        self.carried = 0.0
        self.tag = tag


class Flow:
    """One transfer: `remaining` of `total` bytes at `rate` bytes/s across the links in `uses`
    ((Resource, weight) pairs), never faster than `cap` [bytes/s]. A storage copy also crosses
    arrays: `stations` ((Resource, busy seconds per byte) pairs), with `population` I/Os of
    `io_bytes` each in flight."""

    __slots__ = ("owner", "total", "remaining", "cap", "rate", "tag", "started_s", "uses",
                 "stations", "population", "io_bytes", "station_cap")

    def __init__(self, owner, nbytes: float, cap: float, tag: str, started_s: float, uses,
                 stations=(), population: int = 1, io_bytes: float = 1.0):
        self.owner = owner
        self.total = float(nbytes)
        self.remaining = float(nbytes)
        self.cap = cap
        self.rate = 0.0
        self.tag = tag
        self.started_s = started_s
        self.uses = uses
        self.stations = tuple(stations)
        self.population = int(population)
        self.io_bytes = float(io_bytes)
        self.station_cap = math.inf


Allocator = Callable[[Sequence[Flow], Sequence[Stream], Sequence[Resource],
                      Sequence[Resource]], None]


class _Bundle:
    """The stream demands on one link, as claims in progressive filling: every unfrozen
    member rises by the same amount each round; a member freezes at its demand."""

    __slots__ = ("resource", "caps", "next", "level", "frozen_sum")

    def __init__(self, resource: Resource, caps: list):
        self.resource = resource
        self.caps = sorted(caps)
        self.next = 0  # first member not yet at its demand
        self.level = 0.0
        self.frozen_sum = 0.0

    @property
    def active(self) -> int:
        return len(self.caps) - self.next

    def room(self) -> float:
        return self.caps[self.next] - self.level if self.next < len(self.caps) else math.inf

    def rise(self, delta: float) -> None:
        self.level += delta
        caps, n = self.caps, len(self.caps)
        while self.next < n and caps[self.next] <= self.level * (1 + 1e-12):
            self.frozen_sum += caps[self.next]
            self.next += 1

    def served(self) -> float:
        return self.frozen_sum + self.active * self.level


def _fill_links(flows: Sequence[Flow], links: Sequence[Resource]) -> None:
    """Max-min fair rates on links by progressive filling: flows (capped by their own cap and
    what the arrays allow a copy) and each link's stream demands. Sets flow rates, each link's
    `used`, `background` and `level`."""
    if all(len(f.uses) <= 1 for f in flows):
        _water_fill(flows, links)  # the common case, solved directly
        return
    crossed = {r for f in flows for r, _ in f.uses}
    bundles = []
    for r in links:
        r.left = r.capacity
        r.used = 0.0
        r.level = math.inf
        if not r.stream_uses or (r not in crossed and r.offered <= r.capacity):
            # no stream, or streams alone that fit: all served, nothing to share
            r.left -= r.offered
            bundles.append(None)
            continue
        bundles.append(_Bundle(r, [s.rate * w for s, w in r.stream_uses.values()]))
    bundle_of = {b.resource: b for b in bundles if b is not None}
    active = [f for f in flows]
    for f in active:
        f.rate = 0.0
    live_bundles = [b for b in bundles if b is not None and b.active]
    while active or live_bundles:
        load: dict = {}
        for f in active:
            for r, w in f.uses:
                load[r] = load.get(r, 0.0) + w
        for b in live_bundles:
            load[b.resource] = load.get(b.resource, 0.0) + b.active
        delta, tight = math.inf, None
        for r, weight in load.items():
            step = r.left / weight
            if step < delta:
                delta, tight = step, r
        for f in active:
            room = min(f.cap, f.station_cap) - f.rate
            if room < delta:
                delta, tight = room, None
        for b in live_bundles:
            room = b.room()
            if room < delta:
                delta, tight = room, None
        if math.isinf(delta):  # flows that cross nothing and have no cap: nothing limits them
            raise ValueError("a transfer crosses no link and has no cap: nothing limits it")
        delta = max(delta, 0.0)
        for f in active:
            f.rate += delta
        for b in live_bundles:
            b.rise(delta)
        for r, weight in load.items():
            r.left -= delta * weight
        full = {r for r in load if r is tight or r.left <= r.capacity * 1e-12}
        keep = []
        for f in active:
            if f.rate >= min(f.cap, f.station_cap) * (1 - 1e-12):
                continue
            if any(r in full for r, _ in f.uses):
                continue
            keep.append(f)
        active = keep
        still = []
        for b in live_bundles:
            if b.resource in full:
                b.resource.level = b.level
                continue
            if b.active:
                still.append(b)
        live_bundles = still
    for f in flows:
        for r, w in f.uses:
            r.used += f.rate * w
    for r in links:
        b = bundle_of.get(r)
        r.background = b.served() if b is not None else (r.offered if r.stream_uses else 0.0)


def _water_fill(flows: Sequence[Flow], links: Sequence[Resource]) -> None:
    """Progressive filling when every flow crosses at most one link: on each link, water
    filling over the flows' limits and the streams' demands (all rise together; the smallest
    freeze first), which is what progressive filling gives in that case."""
    per_link: dict = {}
    for f in flows:
        limit = min(f.cap, f.station_cap)
        if f.uses:
            r, w = f.uses[0]
            per_link.setdefault(r, []).append((limit, w, f))
        elif math.isinf(limit):
            raise ValueError("a transfer crosses no link and has no cap: nothing limits it")
        else:
            f.rate = limit
    for r in links:
        r.used = 0.0
        r.level = math.inf
        group = per_link.get(r)
        if group is None and r.offered <= r.capacity:
            r.background = r.offered if r.stream_uses else 0.0
            continue
        claims = [(limit, w, f) for limit, w, f in group or ()]
        claims += [(st.rate * w, 1.0, None) for st, w in r.stream_uses.values()]
        claims.sort(key=lambda c: c[0])
        left, weight_left = r.capacity, sum(w for _, w, _ in claims)
        background = 0.0
        for limit, w, f in claims:
            share = left / weight_left if weight_left > 0 else math.inf
            rate = min(limit, share)
            if f is None:
                background += rate
                if rate < limit:
                    r.level = share  # the link is full: this stream is served in part
            else:
                f.rate = rate
                r.used += rate * w
            left -= rate * w
            weight_left -= w
        r.left = left
        r.background = background


def _stream_link_scale(stream: Stream) -> float:
    """Served fraction of a stream: its demand on each link it crosses is met up to that
    link's fair level."""
    scale = 1.0
    for r, w in stream.link_uses:
        if r.level < math.inf:
            scale = min(scale, r.level / (stream.rate * w))
    return min(scale, 1.0)


def _copy_classes(copies: Sequence[Flow], arrays: Sequence[Resource]):
    """Service demand of one I/O of each copy at each array [s], and their populations."""
    index = {r: i for i, r in enumerate(arrays)}
    d = np.zeros((len(copies), len(arrays)))
    for c, f in enumerate(copies):
        for r, per_byte in f.stations:
            d[c, index[r]] += per_byte * f.io_bytes
    return d, np.array([f.population for f in copies], dtype=float)


_CAPS_CACHE: dict = {}
_CAPS_CACHE_SIZE = 256


def _array_state(copies: Sequence[Flow], arrays: Sequence[Resource], open_util,
                 rates=None):
    """Copy throughput allowed by the arrays [bytes/s] when `rates` is None; else the copy
    I/Os queued at each array when the copies run at `rates` [bytes/s]."""
    if rates is None:  # the same copies under the same open load: the same answer
        key = (tuple((f.stations, f.population, f.io_bytes) for f in copies),
               tuple(arrays), tuple(open_util))
        hit = _CAPS_CACHE.get(key)
        if hit is None:
            hit = _array_state_solve(copies, arrays, open_util, None)
            if len(_CAPS_CACHE) >= _CAPS_CACHE_SIZE:
                _CAPS_CACHE.clear()
            _CAPS_CACHE[key] = hit
        return hit
    return _array_state_solve(copies, arrays, open_util, rates)


def _array_state_solve(copies, arrays, open_util, rates):
    d, n = _copy_classes(copies, arrays)
    io = np.array([f.io_bytes for f in copies])
    if len(copies) == 1:
        target = math.inf if rates is None else rates[0] / io[0]
        x, _, q, _ = mva_closed_at_rate(d[0], open_util, int(n[0]), target)
        return np.array([x * io[0]]), q
    if rates is None:
        # copies with the same demands everywhere are one class of their joint population
        # (indistinguishable customers: the same product-form network); each gets its share
        groups: dict = {}
        for c in range(len(copies)):
            groups.setdefault(tuple(d[c]), []).append(c)
        if len(groups) == 1:
            x, _, q = mva_closed(d[0], open_util, int(n.sum()))
            return x * n / n.sum() * io, q
        if np.prod([n[g].sum() + 1 for g in groups.values()]) <= EXACT_MVA_STATES:
            members = list(groups.values())
            xg, qg = mva_exact([d[g[0]] for g in members], open_util,
                               [int(n[g].sum()) for g in members])
            x = np.zeros(len(copies))
            for k, g in enumerate(members):
                x[g] = xg[k] * n[g] / n[g].sum()
            return x * io, qg.sum(axis=0)
    fixed = None if rates is None else [r / b for r, b in zip(rates, io)]
    x, q = mva_schweitzer(d, open_util, n, fixed_rates=fixed)
    return x * io, q.sum(axis=0)


def allocate_fair(flows: Sequence[Flow], streams: Sequence[Stream], links: Sequence[Resource],
                  arrays: Sequence[Resource]) -> None:
    """The default `Allocator`: max-min fair shares on links, mean value analysis at arrays.

    `streams` are the streams that cross a link (each link also lists its own in
    `stream_uses`; the others are served in full: an array's open load is its `offered`
    demand).

    1. Each array's open load is the served demand of the streams on it; at 1 or more the
       pool raises `ArrayOverloadError`.
    2. The copies (flows with `stations`) get the throughput their closed loops allow at the
       arrays (MVA; several copies on the same arrays by Schweitzer's approximation).
    3. Links are shared max-min fairly by the flows (each capped by its own cap and what the
       arrays allow) and the streams (each up to its demand).
    4. A stream a full link cannot carry in full is served in part, and loads the arrays
       accordingly; steps 1-3 repeat until the shares settle.
    The arrays' queues of copy I/Os at the copies' actual rates, and so the guests' latency,
    are solved from the recorded history afterwards (`SharedResources.stretch_at`).
    """
    copies = [f for f in flows if f.stations]
    # streams a full link served in part last time start from their full demand again
    for r in links:
        if r.short:
            for s in r.short:
                s.scale = 1.0
            r.short = []
    short: list = []  # streams a full link serves in part
    open_util = [r.offered for r in arrays]
    for _ in range(4):
        if short:
            open_util = [max(r.offered - sum((1.0 - s.scale) * s.rate * w for s in short
                                             for a, w in s.uses if a is r), 0.0)
                         for r in arrays]
        for r, u in zip(arrays, open_util):
            if u >= 1.0 - 1e-12:
                raise ArrayOverloadError(
                    f"array {r.key!r} is asked for {u:.0%} of its time by guest I/O, "
                    "mirrored writes and other load alone: it has no steady state (its queue "
                    "grows without bound); give it more IOPS or throughput, lower its "
                    "load_frac, or move fewer VMs onto it")
        if copies:
            caps, _ = _array_state(copies, arrays, open_util, None)
            for f, c in zip(copies, caps):
                f.station_cap = c
        _fill_links(flows, links)
        # only the streams of full links can be served in part
        touched = {id(s): s for r in links if r.level < math.inf and r.stream_uses
                   for s, _ in r.stream_uses.values()}
        changed = False
        for s in touched.values():
            new = _stream_link_scale(s)
            if abs(new - s.scale) > 1e-12:
                changed = True
            s.scale = new
        short = [s for s in touched.values() if s.scale < 1.0]
        if not changed:
            break
    for s in short:
        for r, _ in s.link_uses:
            r.short.append(s)
    for r, u in zip(arrays, open_util):
        r.used = sum(f.rate * per_byte for f in copies for a, per_byte in f.stations if a is r)
        r.background = float(u)


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
    """Links and arrays shared by flows and background streams (see the module notes).

    Parameters
    ----------
    env : salabim.Environment
        The run's environment.
    links : dict
        Link resources: key -> payload capacity [bytes/s]. Use `duplex` for both directions
        of a network path.
    arrays : iterable of str
        Array resources (processor-sharing queues, capacity 1 busy second per second).
    default : str, optional
        The link a plain ``transfer(...)`` crosses. Default: the first link.
    record : bool
        Keep change-point histories: per resource, and per tag in `history` as
        (time_s, total, {tag: rate}) where total is the default link's use (flows plus served
        streams) [bytes/s].
    allocate : callable
        The allocation policy (the extension point), with the signature of `allocate_fair`.

    Examples
    --------
    A link alone, as a live migration uses it:

    >>> pool = SharedResources.single(env, 117.7e6, name="link")  # doctest: +SKIP
    """

    def __init__(self, env: sim.Environment, links: dict, arrays=(), default: str | None = None,
                 record: bool = True, allocate: Allocator = allocate_fair):
        if not links and not arrays:
            raise ValueError("a SharedResources pool needs at least one link or array")
        self.env = env
        self.resources = {k: Resource(k, cap, LINK) for k, cap in links.items()}
        for key in arrays:
            if key in self.resources:
                raise ValueError(f"resource {key!r} is both a link and an array")
            self.resources[key] = Resource(key, 1.0, ARRAY)
        default = next(iter(self.resources)) if default is None else default
        if default not in self.resources:
            raise ValueError(f"default resource {default!r} is not among {list(self.resources)}")
        self.name = default
        self.default_uses = ((self.resources[default], 1.0),)
        self._links = tuple(r for r in self.resources.values() if r.kind == LINK)
        self._arrays = tuple(r for r in self.resources.values() if r.kind == ARRAY)
        self.allocate = allocate
        self.record = record
        self.flows: list[Flow] = []
        self.streams: dict = {}
        self.tracked: dict = {}  # the streams with a tag
        self._link_streams: dict = {}  # the streams that cross a link
        self.history: list[tuple[float, float, dict]] = []
        self.moved_bytes = 0.0
        self.next_event_s: float | None = None
        self._last_s = env.now()
        self._times_cache = None
        self._array_times: list[float] = []
        self._array_states: list = []  # (open load per array, copies running) at each change
        self._solved: dict = {}  # index -> (queue, stretch) per array
        self._array_times_cache = None
        self._timer = _Timer(env=env, pool=self, name=f"{default}.timer")

    @classmethod
    def single(cls, env: sim.Environment, capacity: float, name: str = "link",
               record: bool = True) -> "SharedResources":
        """A pool of one link of `capacity` [bytes/s] that concurrent flows divide by water
        filling (also a disk's throughput, for a Quick Migration's save and restore)."""
        return cls(env, {name: capacity}, default=name, record=record)

    # ---- flows --------------------------------------------------------------------------
    def uses(self, weights: dict) -> tuple:
        """Resolve {link key: weight} into what `transfer(uses=...)` takes."""
        return tuple((self.resources[k], float(w)) for k, w in weights.items() if w > 0)

    def stations(self, demands: dict) -> tuple:
        """Resolve {array key: busy seconds per byte} into what `transfer(stations=...)`
        takes."""
        out = []
        for k, d in demands.items():
            r = self.resources[k]
            if r.kind != ARRAY:
                raise ValueError(f"{k!r} is not an array")
            if d > 0:
                out.append((r, float(d)))
        return tuple(out)

    def transfer(self, owner: sim.Component, nbytes: float, *, cap: float = math.inf,
                 tag: str = "", uses: tuple | None = None, stations: tuple = (),
                 population: int = 1, io_bytes: float = 1.0) -> Iterator:
        """Move `nbytes` for `owner` across the links `uses` (default: the default link) and,
        for a storage copy, the arrays `stations` with `population` I/Os of `io_bytes` in
        flight; use as ``yield from pool.transfer(self, n, ...)`` inside a process. Returns
        when the last byte has gone through."""
        if nbytes <= 0:
            return
        if not cap > 0:
            raise ValueError(f"{self.name}: flow cap must be > 0 bytes/s, got {cap!r}")
        uses = self.default_uses if uses is None else uses
        if not uses and not stations and math.isinf(cap):
            raise ValueError(f"{self.name}: a transfer must cross a resource or have a cap")
        self._advance()
        self.flows.append(Flow(owner, nbytes, cap, tag, self.env.now(), uses, stations,
                               population, io_bytes))
        self._reallocate()
        yield owner.passivate()

    @property
    def active(self) -> int:
        """Flows running now."""
        return len(self.flows)

    def rate_of(self, tag: str) -> float:
        """Current total rate of the flows with this tag [bytes/s]."""
        return sum(f.rate for f in self.flows if f.tag == tag)

    # ---- streams ------------------------------------------------------------------------
    def add_stream(self, key, rate: float, weights: dict, tag: str | None = None) -> None:
        """Start (or change) a background stream of `rate` units/s crossing resources with
        the given weights (bytes per unit on a link, busy seconds per unit on an array). A
        `tag` tracks it: what it carries is integrated (`carried`) and it counts in the tag
        history (e.g. network traffic)."""
        self._advance()
        if key in self.streams:
            self._drop(self.streams.pop(key))
            self._link_streams.pop(key, None)
        if rate > 0:
            stream = Stream(key, rate, self.uses(weights), tag)
            for r, w in stream.uses:
                r.stream_uses[key] = (stream, w)
                r.offered += stream.rate * w
            self.streams[key] = stream
            if stream.link_uses:
                self._link_streams[key] = stream
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
        self._link_streams.pop(key, None)
        self._reallocate()
        return stream.carried

    def carried(self, key) -> float:
        """What a running tracked stream has carried so far [units]."""
        self._advance()
        stream = self.streams.get(key)
        return 0.0 if stream is None else stream.carried

    def copy_rate_alone(self, uses: tuple, stations: tuple, population: int, io_bytes: float,
                        cap: float = math.inf) -> float:
        """The rate a copy would get now if it were the only flow [bytes/s]: its arrays'
        closed-loop throughput under the current open load, its links' room beside the
        streams, its cap."""
        rate = cap
        if stations:
            probe = Flow(None, 1.0, cap, "", self.env.now(), uses, stations, population,
                         io_bytes)
            arrays = self._arrays
            open_util = [r.background if r.times else r.offered for r in arrays]
            caps, _ = _array_state([probe], arrays, open_util, None)
            rate = min(rate, float(caps[0]))
        for r, w in uses:
            rate = min(rate, max(r.capacity - r.background, 0.0) / w)
        return rate

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
        """Use of resource `key` by flows and served streams at the times `at` [bytes/s on a
        link; busy fraction on an array]."""
        times, used, background = self.resources[key].history()
        return step_values(times, used + background, at)

    def served_at(self, weights: dict, at) -> np.ndarray:
        """Served fraction, at the times `at`, of a stream of rate 1 with these weights (its
        demand on each link met up to that link's fair level)."""
        at = np.asarray(at, dtype=float)
        out = np.ones(at.shape)
        for k, w in weights.items():
            r = self.resources[k]
            if r.kind == LINK and w > 0:
                out = np.minimum(out, r.level_at(at) / w)
        return np.minimum(out, 1.0)

    def _solve(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """(copy I/Os queued, latency stretch) per array for history entry `index`: the
        mixed-network MVA at the copies' actual rates (cached)."""
        if index not in self._solved:
            open_util, copies = self._array_states[index]
            arrays = self._arrays
            queue = np.zeros(len(arrays))
            if copies:
                flows = [Flow(None, 1.0, math.inf, "", 0.0, (), st, n, io)
                         for n, io, st, _ in copies]
                rates = np.array([c[3] for c in copies])
                _, queue = _array_state(flows, arrays, list(open_util), rates)
            stretch = (1.0 + np.asarray(queue)) / (1.0 - np.asarray(open_util))
            self._solved[index] = (np.asarray(queue, dtype=float), stretch)
        return self._solved[index]

    def _array_series(self, key: str, at, which: int, before: float) -> np.ndarray:
        at = np.asarray(at, dtype=float)
        k = self._arrays.index(self.resources[key])
        n = len(self._array_times)
        if self._array_times_cache is None or self._array_times_cache[0] != n:
            self._array_times_cache = (n, np.array(self._array_times, dtype=float))
        idx = np.searchsorted(self._array_times_cache[1], at, side="right") - 1
        out = np.full(at.shape, before)
        for i in np.unique(idx[idx >= 0]):
            out[idx == i] = self._solve(int(i))[which][k]
        return out

    def stretch_at(self, key: str, at) -> np.ndarray:
        """How many times longer than on the idle array a guest I/O takes at array `key` at
        the times `at`: ``(1 + copy I/Os queued) / (1 - open load)`` (processor sharing,
        mixed-network MVA at the copies' actual rates)."""
        return self._array_series(key, at, 1, 1.0)

    def queue_at(self, key: str, at) -> np.ndarray:
        """Copy I/Os queued or in service at array `key` at the times `at` [I/Os]."""
        return self._array_series(key, at, 0, 0.0)

    # ---- engine -------------------------------------------------------------------------
    @staticmethod
    def _drop(stream: Stream) -> None:
        for r, w in stream.uses:
            r.stream_uses.pop(stream.key, None)
            r.offered = max(r.offered - stream.rate * w, 0.0) if r.stream_uses else 0.0

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
        self.allocate(self.flows, self._link_streams.values(), self._links, self._arrays)
        now = self.env.now()
        if self.record:
            self._record(now)
        if self.flows:
            dt = min(f.remaining / f.rate if f.rate > 0 else math.inf for f in self.flows)
            if math.isinf(dt):
                raise ValueError(f"{self.name}: every running transfer is at rate 0 at "
                                 f"t = {now:g} s: nothing can make progress")
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
        total = default.used + default.background
        if self.history and self.history[-1][0] == now:
            self.history[-1] = (now, total, tags)
        else:
            self.history.append((now, total, tags))
        for r in self.resources.values():
            if r.times and r.times[-1] == now:
                r.used_hist[-1] = r.used
                r.background_hist[-1] = r.background
                r.level_hist[-1] = r.level
            elif not (r.times and r.used == r.used_hist[-1]
                      and r.background == r.background_hist[-1]
                      and r.level == r.level_hist[-1]):  # a step series: changes only
                r.times.append(now)
                r.used_hist.append(r.used)
                r.background_hist.append(r.background)
                r.level_hist.append(r.level)
        if self._arrays:
            copies = tuple((f.population, f.io_bytes, f.stations, f.rate)
                           for f in self.flows if f.stations)
            state = (tuple(r.background for r in self._arrays), copies)
            if self._array_times and self._array_times[-1] == now:
                self._array_states[-1] = state
                self._solved.pop(len(self._array_states) - 1, None)
            else:
                self._array_times.append(now)
                self._array_states.append(state)

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


def duplex(key: str, rate_bytes_s: float) -> dict:
    """Both directions of a full-duplex path as link resources: ``key + ".out"`` (what the
    host sends) and ``key + ".in"`` (what it receives), each of `rate_bytes_s`."""
    return {f"{key}.out": rate_bytes_s, f"{key}.in": rate_bytes_s}


def pool_timeline(pool: SharedResources, end_s: float, column: str = "network_mib_s",
                  start_s: float = 0.0, scale: float = 1.0) -> pd.DataFrame:
    """Piecewise-constant total-rate history of a pool's default resource as a timeline
    frame, from `start_s` to `end_s` (a zero row closes it); rates divided by `scale`."""
    times = [start_s] + [h[0] for h in pool.history] + [end_s]
    rates = [0.0] + [h[1] / scale for h in pool.history] + [0.0]
    frame = pd.DataFrame({column: rates}, index=pd.Index(times, name="time_s"))
    return frame[~frame.index.duplicated(keep="last")]


__all__ = ["Resource", "Stream", "Flow", "SharedResources", "allocate_fair", "Allocator",
           "ArrayOverloadError", "duplex", "pool_timeline", "EPS_S", "LINK", "ARRAY"]
