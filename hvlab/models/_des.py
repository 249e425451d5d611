"""The discrete-event core shared by every model: a private salabim Environment per run, and a
fair-share pipe (a network link or a storage array's throughput) that concurrent flows divide.

Fair sharing is max-min fair ("water filling"): every active flow gets an equal share of the
capacity unless its own cap (one NIC, the compressor, a throttle) is lower, in which case the
rest is shared among the others. Shares are recomputed whenever a flow starts or ends, so a
transfer's duration follows from the other flows on the same pipe.
"""
from __future__ import annotations

import math
import sys
from typing import Iterator

import salabim as sim
import salabim.salabim as _salabim_module

_SALABIM_FILE = sim.Environment.__init__.__code__.co_filename


def _caller_frame_fast():
    """The first frame outside salabim: what salabim's own `_get_caller_frame` returns, found
    by walking frames instead of `inspect.stack()`, which reads the source file of every frame
    on the stack (several ms per call, far more in a deep Jupyter kernel stack)."""
    frame = sys._getframe(1)
    last = frame
    while frame is not None and frame.f_code.co_filename in (_SALABIM_FILE, "<string>"):
        last, frame = frame, frame.f_back
    return frame if frame is not None else last


# Same result, a hundred times faster: every Environment() and env.run() asks for it.
_salabim_module._get_caller_frame = _caller_frame_fast

# completions closer than this are the same instant (float rounding of remaining/rate)
_EPS_S = 1e-9


def new_environment() -> sim.Environment:
    """A private salabim Environment in yield style that leaves global state alone.

    It does not become salabim's default environment, does not reseed `random` or numpy
    (models draw from their own `numpy.random.Generator`), and needs no greenlet.
    """
    previous = getattr(sim.g, "default_env", None)
    # salabim's constructor needs itself as the default while it builds its animation objects;
    # the previous default is put back straight after.
    env = sim.Environment(trace=False, yieldless=False, random_seed="",
                          set_numpy_random_seed=False, isdefault_env=True)
    sim.g.default_env = previous
    return env


class Flow:
    """One transfer through a `FairSharePipe`: `remaining` bytes at `rate` bytes/s."""

    __slots__ = ("owner", "total", "remaining", "cap", "rate", "tag", "started_s")

    def __init__(self, owner, nbytes: float, cap: float, tag: str, started_s: float):
        self.owner = owner
        self.total = float(nbytes)
        self.remaining = float(nbytes)
        self.cap = cap
        self.rate = 0.0
        self.tag = tag
        self.started_s = started_s


class _Timer(sim.Component):
    """Wakes the pipe when its earliest flow completes."""

    def setup(self, pipe):
        self.pipe = pipe

    def process(self):
        while True:
            if self.pipe.next_event_s is None:
                yield self.passivate()
            else:
                yield self.hold(till=self.pipe.next_event_s)
            self.pipe._on_timer()


class FairSharePipe:
    """A capacity in bytes/s divided max-min fairly among the flows using it.

    Parameters
    ----------
    env : salabim.Environment
        The run's environment.
    capacity_bytes_s : float
        What all flows together can move [bytes/s].
    name : str
        For messages.
    record : bool
        Keep a change-point history of the total and per-tag rates (for timelines).
    """

    def __init__(self, env: sim.Environment, capacity_bytes_s: float, name: str = "link",
                 record: bool = True):
        if not capacity_bytes_s > 0:
            raise ValueError(f"{name}: capacity must be > 0 bytes/s, got {capacity_bytes_s!r}")
        self.env = env
        self.capacity = float(capacity_bytes_s)
        self.name = name
        self.flows: list[Flow] = []
        self._last_s = env.now()
        self.next_event_s: float | None = None
        self._timer = _Timer(env=env, pipe=self, name=f"{name}.timer")
        self.record = record
        self.history: list[tuple[float, float, dict]] = []  # (time_s, total rate, {tag: rate})
        self.moved_bytes = 0.0

    # ---- public -----------------------------------------------------------------------
    def transfer(self, owner: sim.Component, nbytes: float, *, cap: float = math.inf,
                 tag: str = "") -> Iterator:
        """Move `nbytes` for `owner`; use as ``yield from pipe.transfer(self, n)`` inside a
        process. Returns when the last byte has gone through."""
        if nbytes <= 0:
            return
        if not cap > 0:
            raise ValueError(f"{self.name}: flow cap must be > 0 bytes/s, got {cap!r}")
        self._advance()
        self.flows.append(Flow(owner, nbytes, cap, tag, self.env.now()))
        self._reallocate()
        yield owner.passivate()

    @property
    def active(self) -> int:
        """Flows using the pipe now."""
        return len(self.flows)

    def rate_of(self, tag: str) -> float:
        """Current total rate of the flows with this tag [bytes/s]."""
        return sum(f.rate for f in self.flows if f.tag == tag)

    # ---- internals --------------------------------------------------------------------
    def _advance(self) -> None:
        now = self.env.now()
        dt = now - self._last_s
        if dt > 0:
            for f in self.flows:
                moved = f.rate * dt
                f.remaining -= moved
                self.moved_bytes += moved
            self._last_s = now

    def _allocate(self) -> None:
        """Max-min fair shares with per-flow caps (water filling)."""
        flows = sorted(self.flows, key=lambda f: f.cap)
        left = self.capacity
        n = len(flows)
        for i, f in enumerate(flows):
            share = left / (n - i)
            f.rate = min(f.cap, share)
            left -= f.rate

    def _reallocate(self) -> None:
        self._allocate()
        if self.record:
            tags: dict[str, float] = {}
            for f in self.flows:
                tags[f.tag] = tags.get(f.tag, 0.0) + f.rate
            total = sum(tags.values())
            now = self.env.now()
            if self.history and self.history[-1][0] == now:
                self.history[-1] = (now, total, tags)
            else:
                self.history.append((now, total, tags))
        if self.flows:
            dt = min(f.remaining / f.rate for f in self.flows)
            self.next_event_s = self.env.now() + max(dt, 0.0)
        else:
            self.next_event_s = None
        # the timer picks up next_event_s itself when it is the one running
        if self.next_event_s is not None and self.env.current_component() is not self._timer:
            self._timer.activate(at=self.next_event_s)

    def _on_timer(self) -> None:
        self._advance()
        # Tolerance relative to the clock: far into a long run (a drain of thousands of VMs
        # lasts days) a flow's last bytes can take less than one float step of the clock, and
        # an absolute tolerance would reschedule the timer at the same instant forever.
        tol_s = max(_EPS_S, abs(self.env.now()) * 1e-12)
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
