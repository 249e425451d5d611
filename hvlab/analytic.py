"""Closed forms beside the simulations: what the discrete-event models must reproduce when
nothing is shared and the workload is the default ("linear") one.

Pre-copy as a geometric series (the default "linear" workload model; docs/models.md). With memory M, writable working
set W, memory transfer rate R and dirty rate d, let r = d / R (bytes dirtied per byte sent).
Pass 1 sends M in M/R seconds and leaves D1 = min(r M, W) dirty. Each later pass sends what the
previous one left: D_i = min(r D_{i-1}, W), which is r**(i-1) D1 when r < 1 and W when r >= 1
(since W <= M <= r M). The run stops after the first pass n with D_n <= s (the stop threshold)
or at the pass cap; the blackout then sends D_n plus the device state S.

    n       = 1                                     if D1 <= s
            = 1 + ceil(log(s / D1) / log r)         if r < 1  (capped at max_passes)
            = max_passes                            if r >= 1 and W > s
    live    = (M + sum_{i=1}^{n-1} D_i) / R,  sum = D1 (1 - r**(n-1)) / (1 - r)  (r < 1)
                                                   = (n - 1) W                    (r >= 1)
    blackout = (D_n + S) / R + handle_move_s + resume_s
    total   = setup_s + live + blackout

References
----------
C. Clark et al., "Live Migration of Virtual Machines", NSDI 2005 (writable working set).
Microsoft, "Hyper-V Live Migration Overview & Architecture" (pre-copy passes, blackout).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hvlab.params import MIB, WS2012, VM, Link, MigrationSettings, Storage
from hvlab.physics.transfer import transfer_plan
from hvlab.results import MigrationResult, passes_frame
from hvlab.sim.precopy import precopy_notes
from hvlab.sim.records import MigrationRecord, PassRecord
from hvlab.validate import check_storage_moves_with_vm, check_type, check_vm_for_version


def precopy_passes(vm: VM, link: Link, settings: MigrationSettings) -> dict:
    """The closed-form pass count and times of a pre-copy (see the module docstring).

    Returns
    -------
    dict
        n_passes, converged, live_s [s], blackout_s [s], final_dirty_bytes, d1_bytes, ratio,
        memory_rate_bytes_s, wire_bytes.
    """
    plan = transfer_plan(link, settings)
    out = precopy_at_rate(vm, plan.memory_rate_bytes_s, settings)
    out["wire_bytes"] /= plan.ratio
    out["plan"] = plan
    return out


def precopy_at_rate(vm: VM, memory_rate_bytes_s: float, settings: MigrationSettings) -> dict:
    """The closed-form pre-copy at a given memory transfer rate [bytes/s] (e.g. a share of a
    link that several migrations use): the keys of `precopy_passes` but ``plan``, with
    ``wire_bytes`` counted before compression [bytes]."""
    rate = memory_rate_bytes_s
    m = float(vm.sent_memory_bytes)
    w = vm.working_set_bytes
    r = vm.dirty_rate_mib_s * MIB / rate
    s = settings.stop_copy_mib * MIB
    d1 = min(r * m, w)
    cap = settings.max_passes
    if d1 <= s:
        n, converged = 1, True
    elif r >= 1 or r == 0:
        n, converged = cap, False
    else:
        need = 1 + math.ceil(math.log(s / d1) / math.log(r))
        # guard against log rounding at the boundary: step to the first pass that really fits
        while need > 1 and d1 * r ** (need - 2) <= s:
            need -= 1
        while d1 * r ** (need - 1) > s:
            need += 1
        n, converged = (need, True) if need <= cap else (cap, False)
    if r < 1:
        resent = d1 * (1 - r ** (n - 1)) / (1 - r)
        d_n = d1 * r ** (n - 1)
    else:
        resent = (n - 1) * w
        d_n = w
    state = vm.state_mib * MIB
    live_s = (m + resent) / rate
    blackout_s = (d_n + state) / rate + settings.handle_move_s + settings.resume_s
    return {"n_passes": n, "converged": converged, "live_s": live_s, "blackout_s": blackout_s,
            "final_dirty_bytes": d_n, "d1_bytes": d1, "ratio": r,
            "memory_rate_bytes_s": rate, "wire_bytes": m + resent + d_n + state}


def precopy(vm: VM, link: Link, settings: MigrationSettings | None = None) -> MigrationResult:
    """Closed-form Live Migration (no simulation) for the default "linear" dirtying model.

    Parameters
    ----------
    vm : VM
        Memory, dirty rate, working set and device state.
    link : Link
        The migration network (one migration alone on it).
    settings : MigrationSettings, optional
        Default `hvlab.WS2012`. `dirty_model` is ignored: the closed form is the linear model's.

    Returns
    -------
    MigrationResult
        kind "live", with passes, phases and a timeline built from the formulas.
    """
    settings = WS2012 if settings is None else settings
    check_type("vm", vm, VM)
    check_type("link", link, Link)
    check_type("settings", settings, MigrationSettings)
    check_vm_for_version(vm, settings)
    check_storage_moves_with_vm(vm, "live migration")
    cf = precopy_passes(vm, link, settings)
    plan, rate, r = cf["plan"], cf["memory_rate_bytes_s"], cf["ratio"]
    n = cf["n_passes"]
    i = np.arange(1, n + 1)
    if r < 1:
        dirty_after = cf["d1_bytes"] * r ** (i - 1)
    else:
        dirty_after = np.full(n, vm.working_set_bytes)
    sent = np.concatenate([[float(vm.sent_memory_bytes)], dirty_after[:-1]])
    ends = settings.setup_s + np.cumsum(sent) / rate
    starts = np.concatenate([[settings.setup_s], ends[:-1]])
    final = cf["final_dirty_bytes"] + vm.state_mib * MIB
    black_start = settings.setup_s + cf["live_s"]
    total = black_start + cf["blackout_s"]
    rows = [PassRecord(int(k), a, b, c, d, c / plan.ratio, False)
            for k, a, b, c, d in zip(i, starts, ends, sent, dirty_after)]
    rows.append(PassRecord(n + 1, black_start, black_start + final / rate, final, 0.0,
                           final / plan.ratio, True))
    passes = passes_frame(rows)
    wire_rate = rate / plan.ratio / MIB
    times = [0.0, settings.setup_s, black_start + final / rate, total]
    timeline = pd.DataFrame({"network_mib_s": [0.0, wire_rate, 0.0, 0.0]},
                            index=pd.Index(times, name="time_s"))
    timeline = timeline[~timeline.index.duplicated(keep="last")]
    phases = pd.DataFrame({"phase": ["setup", "memory", "blackout"],
                           "start_s": [0.0, settings.setup_s, black_start],
                           "end_s": [settings.setup_s, black_start, total]})
    record = MigrationRecord(passes=rows, converged=cf["converged"])
    return MigrationResult(
        kind="live", total_s=total, downtime_s=cf["blackout_s"],
        network_bytes=int(round(cf["wire_bytes"])), storage_read_bytes=0, storage_write_bytes=0,
        converged=cf["converged"], passes=passes, phases=phases, timeline=timeline,
        vm_name=vm.name, transport=settings.transport,
        details={"memory_rate_mib_s": rate / MIB, "dirty_to_transfer_ratio": r},
        notes=precopy_notes(vm, plan, settings, record))


def quick(vm: VM, storage: Storage, settings: MigrationSettings | None = None) -> dict:
    """Closed-form Quick Migration downtime: save + ownership move + restore + resume [s].

    Returns
    -------
    dict
        save_s, ownership_s, restore_s, resume_s, downtime_s [s].
    """
    settings = WS2012 if settings is None else settings
    state = float(vm.memory_bytes) + vm.state_mib * MIB
    parts = {"save_s": state / (storage.write_mib_s * MIB),
             "ownership_s": settings.ownership_move_s,
             "restore_s": state / (storage.read_mib_s * MIB),
             "resume_s": settings.resume_s}
    parts["downtime_s"] = sum(parts.values())
    return parts
