"""The sequence of a Shared Nothing Live Migration after setup, as a process fragment: the
storage copy (mirror kept in sync), the memory pre-copy while the mirror goes on, the blackout
(the paused VM writes nothing, so the mirror is in sync), the switch to the destination's
storage and the deletion of the source files; and the result of such a run. Used by
`hvlab.models.shared_nothing` and by host draining.
"""
from __future__ import annotations

import pandas as pd
import salabim as sim

from hvlab.params import MIB, VM, MigrationSettings
from hvlab.physics.dirtying import Dirtier
from hvlab.physics.transfer import TransferPlan
from hvlab.results import MigrationResult, passes_frame
from hvlab.sim.precopy import precopy_notes, run_precopy
from hvlab.sim.records import MigrationRecord
from hvlab.sim.sharing import SharedResources
from hvlab.sim.storage_copy import DELETE_SOURCE_S, StorageMove


def run_shared_nothing(component: sim.Component, vm: VM, pool: SharedResources,
                       plan: TransferPlan, settings: MigrationSettings, dirtier: Dirtier,
                       move: StorageMove, record: MigrationRecord):
    """The storage copy, memory pre-copy, blackout and switch of a Shared Nothing Live
    Migration, as a process fragment (after setup): ``yield from run_shared_nothing(...)``.

    Fills `record` as `run_precopy` does, plus storage_start_s, storage_end_s and end_s
    (after the source is deleted). The VM's pause stops its I/O and the mirror
    (`StorageMove.pause`)."""
    env = component.env
    record.storage_start_s = env.now()
    yield from move.copy(component)
    record.storage_end_s = env.now()
    yield from run_precopy(component, vm, pool, plan, settings, dirtier, record,
                           on_blackout=move.pause)
    move.switch()
    yield component.hold(DELETE_SOURCE_S)
    record.end_s = env.now()


def shared_nothing_result(vm: VM, settings: MigrationSettings, plan: TransferPlan,
                          pool: SharedResources, move: StorageMove, record: MigrationRecord, *,
                          start_s: float = 0.0, extra_notes=()) -> MigrationResult:
    """Build a Shared Nothing Live Migration's result (also used by `drain_host`); times are
    made relative to `start_s`."""
    end = record.end_s
    copy = move.record
    passes = passes_frame(record.passes, start_s)
    timeline, details = move.build(
        end, start_s=start_s, memory_tag=vm.name, during=(copy.copy_start_s, copy.switch_s),
        pass_starts=[p.start_s for p in record.passes],
        blackout=(record.blackout_start_s, record.blackout_end_s))
    black0, black1 = record.blackout_start_s - start_s, record.blackout_end_s - start_s
    marks = [0.0, record.storage_start_s - start_s, record.storage_end_s - start_s, black0,
             black1, end - start_s]
    phases = pd.DataFrame({"phase": ["setup", "storage_copy", "memory", "blackout",
                                     "delete_source"],
                           "start_s": marks[:-1], "end_s": marks[1:]})
    details["storage_phase_s"] = marks[2] - marks[1]
    details["memory_phase_s"] = marks[3] - marks[2]
    details["memory_rate_mib_s"] = plan.memory_rate_bytes_s / MIB
    copied, mirrored = copy.copied, copy.mirrored
    notes = list(precopy_notes(vm, plan, settings, record)) + move.notes(details)
    share = details["storage_phase_s"] / max(marks[-1], 1e-12)
    notes.append(f"The storage copy took {details['storage_phase_s']:.0f} s, "
                 f"{share:.0%} of the move; the memory phase {details['memory_phase_s']:.0f} s.")
    notes.extend(extra_notes)
    return MigrationResult(
        kind="shared_nothing", total_s=end - start_s,
        downtime_s=record.blackout_end_s - record.blackout_start_s,
        network_bytes=int(round(move.network_bytes + record.wire_bytes)),
        storage_read_bytes=int(round(copied)),
        storage_write_bytes=int(round(copied)) + int(round(mirrored)),
        converged=record.converged, passes=passes, phases=phases, timeline=timeline,
        vm_name=vm.name, transport=settings.transport, details=details, notes=tuple(notes))


__all__ = ["run_shared_nothing", "shared_nothing_result"]
