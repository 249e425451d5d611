"""The memory phase of every live move, as a salabim process fragment: pre-copy passes, then
the blackout; and the result of a run that moved only memory.

Sequence (Microsoft, "Hyper-V Live Migration Overview & Architecture"; docs/domain.md):

1. pass 1 copies all memory while the VM runs; each following pass copies the pages the guest
   dirtied during the previous pass (the "brownout");
2. after each pass, when at most `stop_copy_mib` is dirty or `max_passes` passes have run, the
   VM is paused: the remaining dirty pages and `state_mib` of device state are sent, the storage
   handle moves (`handle_move_s`, plus any extra such as SMB handles), and the VM resumes on the
   destination (`resume_s`). That pause is the blackout.

Live, SMB live and Shared Nothing migrations and host draining all run this same fragment.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pandas as pd
import salabim as sim

from hvlab.params import MIB, VM, MigrationSettings
from hvlab.physics.dirtying import Dirtier
from hvlab.physics.transfer import TransferPlan
from hvlab.results import MigrationResult, passes_frame
from hvlab.sim.records import MigrationRecord, PassRecord
from hvlab.sim.sharing import SharedResources


def run_precopy(component: sim.Component, vm: VM, pool: SharedResources, plan: TransferPlan,
                settings: MigrationSettings, dirtier: Dirtier, record: MigrationRecord, *,
                blackout_extra_s: float = 0.0, tag: str | None = None,
                on_blackout: Callable[[], None] | None = None):
    """Pre-copy passes and the blackout; use as ``yield from run_precopy(self, ...)`` inside a
    component's process.

    Parameters
    ----------
    component : salabim.Component
        The process that runs the migration (it waits on the transfers).
    vm : VM
        Memory, dirty rate, working set and device state.
    pool : SharedResources
        The memory crosses its default resource (the migration link).
    plan : TransferPlan
        Flow cap and compression ratio (`hvlab.physics.transfer.transfer_plan`).
    settings : MigrationSettings
        Pass cap, stop threshold, `handle_move_s`, `resume_s`.
    dirtier : Dirtier
        The guest's memory writes.
    record : MigrationRecord
        Filled in: passes, memory_start_s, blackout_start_s, blackout_end_s, converged,
        wire_bytes.
    blackout_extra_s : float
        Further pause in the blackout (e.g. moving SMB handles) [s].
    tag : str, optional
        The flows' tag in the pool's history (default: the VM's name).
    on_blackout : callable, optional
        Called once when the VM is paused, before the final copy starts (e.g. to stop the
        guest's I/O and the mirror: a paused VM writes nothing).
    """
    tag = vm.name if tag is None else tag
    env = component.env
    rows = record.passes
    record.memory_start_s = env.now()
    to_send = float(vm.sent_memory_bytes)
    wire_total = 0.0
    number = 1
    while True:
        start = env.now()
        wire = to_send / plan.ratio
        yield from pool.transfer(component, wire, cap=plan.wire_cap_bytes_s, tag=tag)
        wire_total += wire
        dirty = dirtier.dirtied_bytes(env.now() - start)
        rows.append(PassRecord(number, start, env.now(), to_send, dirty, wire, False))
        if dirty <= settings.stop_copy_mib * MIB:
            record.converged = True
            break
        if number >= settings.max_passes:
            record.converged = False
            break
        to_send = dirty
        number += 1
    # blackout: VM paused, last dirty pages plus device state
    record.blackout_start_s = start = env.now()
    if on_blackout is not None:
        on_blackout()
    final = dirty + vm.state_mib * MIB
    wire = final / plan.ratio
    yield from pool.transfer(component, wire, cap=plan.wire_cap_bytes_s, tag=tag)
    wire_total += wire
    rows.append(PassRecord(number + 1, start, env.now(), final, 0.0, wire, True))
    yield component.hold(settings.handle_move_s + blackout_extra_s + settings.resume_s)
    record.blackout_end_s = env.now()
    record.wire_bytes = wire_total


def precopy_notes(vm: VM, plan: TransferPlan, settings: MigrationSettings,
                  record: MigrationRecord) -> tuple:
    """Plain-language notes on a pre-copy run (why it did or did not converge)."""
    notes = [plan.note] if plan.note else []
    live = [p for p in record.passes if not p.blackout]
    last_dirty = live[-1].dirty_bytes_after
    # the memory rate the passes actually got (a shared link gives less than the plan's rate)
    live_s = sum(p.end_s - p.start_s for p in live)
    rate = sum(p.sent_bytes for p in live) / live_s if live_s > 0 else plan.memory_rate_bytes_s
    if record.converged:
        notes.append(f"Converged after {len(live)} pass(es): {last_dirty / MIB:.1f} MiB dirty, at "
                     f"most {settings.stop_copy_mib:g} MiB allowed.")
    else:
        ratio = vm.dirty_rate_mib_s * MIB / rate if rate else math.inf
        notes.append(
            f"Did not converge: after the {settings.max_passes}-pass cap {last_dirty / MIB:.1f} "
            f"MiB was still dirty (threshold {settings.stop_copy_mib:g} MiB). The guest dirties "
            f"{vm.dirty_rate_mib_s:g} MiB/s, {ratio:.0%} of the {rate / MIB:.0f} MiB/s at which "
            "the passes sent memory, so they stop shrinking; the VM was paused with that much left "
            "to send, which lengthens the blackout.")
    return tuple(notes)


def precopy_phases(record: MigrationRecord, start_s: float = 0.0) -> pd.DataFrame:
    """The setup / memory / blackout phase table of a pre-copy run, times measured from
    `start_s` [s]."""
    mem = record.memory_start_s - start_s
    black = record.blackout_start_s - start_s
    end = record.blackout_end_s - start_s
    return pd.DataFrame({"phase": ["setup", "memory", "blackout"],
                         "start_s": [0.0, mem, black], "end_s": [mem, black, end]})


def pass_and_blackout(passes: pd.DataFrame, times, blackout_start_s: float,
                      end_s: float) -> dict:
    """Timeline columns `pass` (the pass running at each time, 0 before the first) and
    `blackout` (bool) for change-point times [s]."""
    times = np.asarray(times, dtype=float)
    return {"pass": np.searchsorted(passes["start_s"].to_numpy(), times, "right").astype("int64"),
            "blackout": (times >= blackout_start_s) & (times < end_s)}


def memory_result(vm: VM, settings: MigrationSettings, plan: TransferPlan,
                  pool: SharedResources, record: MigrationRecord, *, start_s: float = 0.0,
                  kind: str = "live", details: dict | None = None,
                  extra_notes: tuple = ()) -> MigrationResult:
    """The result of a move that carried only memory (a Live Migration, alone or in a drain),
    times relative to `start_s` [s]. The timeline's `network_mib_s` is this VM's own flow."""
    end = record.blackout_end_s
    rows = pool.history_rows(start_s, end)
    t = np.array([h[0] for h in rows]) - start_s
    rate = np.array([h[2].get(vm.name, 0.0) for h in rows]) / MIB
    rate[-1] = 0.0
    passes = passes_frame(record.passes, start_s)
    black0, end_rel = record.blackout_start_s - start_s, end - start_s
    timeline = pd.DataFrame({
        "network_mib_s": rate,
        **pass_and_blackout(passes, t, black0, end_rel),
    }, index=pd.Index(t, name="time_s"))
    return MigrationResult(
        kind=kind, total_s=end_rel, downtime_s=end - record.blackout_start_s,
        network_bytes=int(round(record.wire_bytes)), storage_read_bytes=0,
        storage_write_bytes=0, converged=record.converged, passes=passes,
        phases=precopy_phases(record, start_s), timeline=timeline, vm_name=vm.name,
        transport=settings.transport,
        details={"memory_rate_mib_s": plan.memory_rate_bytes_s / MIB, **(details or {})},
        notes=precopy_notes(vm, plan, settings, record) + tuple(extra_notes))


__all__ = ["run_precopy", "precopy_notes", "precopy_phases", "pass_and_blackout",
           "memory_result"]
