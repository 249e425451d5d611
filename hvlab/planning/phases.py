"""One phase of a rolling maintenance: a host's drain, or its VMs' return once it is patched,
simulated with `hvlab.drain_host`; and the closed-form screen that ranks a phase's settings
before any simulation.

A phase is a drain in the model's sense: every move crosses the phase host's link (outgoing
in a drain, incoming in a return, each direction full duplex), at most
`max_live_migrations` at once. The other end of each move is another host: its array is the
target (drain) or source (return) of a local VM's storage copy, each array its own resource.
Assumption: the other hosts' NICs are not the bottleneck. A phase spreads its moves over many
hosts and at most `max_live_migrations` run at once, so another host's NIC carries a fraction
of what the phase host's NIC carries when all NICs are alike; with a slower NIC elsewhere the
phase would take longer than predicted (docs/planning.md#planning-assumptions).
"""
from __future__ import annotations

import dataclasses
import heapq
from dataclasses import dataclass

import numpy as np

from hvlab.analytic import precopy_at_rate
from hvlab.models import drain_host
from hvlab.models.drain import order_vms
from hvlab.params import MIB, Link, MigrationSettings, SmbShare, Storage
from hvlab.physics.transfer import transfer_plan

PHASES = ("drain", "return")


@dataclass(frozen=True)
class PhaseTask:
    """Everything one phase's simulation needs (picklable, hashable: equal tasks run once).

    Attributes
    ----------
    host : str
        The phase host (drained, or receiving its VMs back).
    phase : str
        "drain" or "return".
    vms : tuple of VM
        The host's VMs.
    link : Link
        The phase host's migration link.
    settings : MigrationSettings
        Transport and `max_live_migrations` chosen for the phase.
    order : str
        Queue order (`hvlab.models.drain.ORDERS`).
    home : Storage
        The phase host's array.
    others : tuple of (str, Storage)
        Per local VM, the array at the other end (its destination in a drain, where it
        waited in a return).
    share : SmbShare
        The share of the "smb" VMs.
    seed : int
        The run's seed.
    """

    host: str
    phase: str
    vms: tuple
    link: Link
    settings: MigrationSettings
    order: str
    home: Storage
    others: tuple
    share: SmbShare
    seed: int = 0


@dataclass(frozen=True)
class PhaseRun:
    """A simulated phase: per VM (in queue order) its move's times relative to the phase's
    start [s], blackout [s], convergence and migration kind."""

    total_s: float
    vm: tuple
    kind: tuple
    start_s: np.ndarray
    end_s: np.ndarray
    downtime_s: np.ndarray
    converged: np.ndarray
    passes: np.ndarray


def run_phase(task: PhaseTask) -> PhaseRun:
    """Simulate one phase with `hvlab.drain_host` (module level: runs in worker processes)."""
    others = dict(task.others)
    ends = ({"source": task.home, "targets": others} if task.phase == "drain"
            else {"target": task.home, "sources": others})
    result = drain_host(list(task.vms), task.link, task.settings, order=task.order,
                        seed=task.seed, share=task.share, **ends)
    m = result.migrations
    return PhaseRun(total_s=float(result.total_s), vm=tuple(m["vm"].astype(str)),
                    kind=tuple(m["kind"].astype(str)), start_s=m["start_s"].to_numpy(float),
                    end_s=m["end_s"].to_numpy(float),
                    downtime_s=m["downtime_s"].to_numpy(float),
                    converged=m["converged"].to_numpy(bool),
                    passes=m["passes"].to_numpy("int64"))


def phase_settings(settings: MigrationSettings, transport: str,
                   concurrency: int) -> MigrationSettings:
    """`settings` with a transport and a number of simultaneous live migrations."""
    return dataclasses.replace(settings, transport=transport, max_live_migrations=concurrency)


def screen_phase(task: PhaseTask, cache: dict | None = None) -> float:
    """A closed-form estimate of a phase's length [s], to rank settings before simulating.

    Each of the k = min(concurrency, VMs) flows gets an equal share of the link, at most the
    transport's per-stream cap; each VM's move then takes the closed-form pre-copy at that rate
    (`hvlab.analytic.precopy_at_rate`) plus setup, and a local VM's storage copy at the
    slowest of that rate and its two arrays. The moves are list-scheduled in queue order on
    the live-migration slots (a local VM also needs a storage slot); the estimate is the
    later of that schedule's end and the time the link needs for every byte at full rate.
    `cache` keeps the closed forms by (VM, rate) across calls with the same base settings.
    """
    s = task.settings
    cache = {} if cache is None else cache
    vms = order_vms(task.vms, task.order)
    if not vms:
        return 0.0
    plan = transfer_plan(task.link, s)
    k = min(s.max_live_migrations, len(vms))
    wire_rate = min(plan.wire_cap_bytes_s, plan.link_capacity_bytes_s / k)
    others = dict(task.others)
    wire_total = 0.0
    slots = [0.0] * s.max_live_migrations
    storage_slots = [0.0] * s.max_storage_migrations
    end = 0.0
    for vm in vms:
        key = (vm, wire_rate * plan.ratio)
        cf = cache.get(key)
        if cf is None:
            cf = cache[key] = precopy_at_rate(vm, wire_rate * plan.ratio, s)
        duration = s.setup_s + cf["live_s"] + cf["blackout_s"]
        wire_total += cf["wire_bytes"] / plan.ratio
        local = vm.storage == "local"
        if local:
            a, b = ((task.home, others.get(vm.name, task.home)) if task.phase == "drain"
                    else (others.get(vm.name, task.home), task.home))
            copy_rate = min(wire_rate, a.read_mib_s * MIB, b.write_mib_s * MIB)
            duration += vm.storage_bytes / copy_rate
            wire_total += vm.storage_bytes
        start = heapq.heappop(slots)
        if local:
            start = max(start, heapq.heappop(storage_slots))
            heapq.heappush(storage_slots, start + duration)
        heapq.heappush(slots, start + duration)
        end = max(end, start + duration)
    return max(end, wire_total / plan.link_capacity_bytes_s + s.setup_s)


__all__ = ["PhaseTask", "PhaseRun", "run_phase", "screen_phase", "phase_settings", "PHASES"]
