"""Flags and fixes: which VMs' predicted blackouts exceed their limits (or do not converge),
and what the model predicts would bring them under.

A VM's predicted blackout is the longest of its two moves (out of its host and back). For a
flagged VM the fixes are tried with the same model (`hvlab.drain_host` on the same link, with
the same arrays), from the least to the most intrusive, and the first that meets the limit (and
converges) is reported with the blackout it predicts:

1. move it on its own (no other migration sharing the link);
2. another transport: compression or SMB, where the version has them (Windows Server 2012
   R2);
3. a quieter hour: the highest dirty rate at which it meets the limit, found by bisection;
4. a faster network: the first standard line rate above the host's that meets it;
5. when none does and a maintenance window is given, a Quick Migration inside the window
   (VMs on cluster or SMB storage): a planned outage as long as its save and restore.
"""
from __future__ import annotations

import dataclasses
import math

import pandas as pd

from hvlab.models import quick_migration
from hvlab.params import TRANSPORTS_OF_VERSION, VM, Storage
from hvlab.planning.phases import PhaseTask, run_phase
from hvlab.planning.plan import FLAG_COLUMNS

FASTER_GBPS = (10.0, 25.0, 40.0, 100.0)
"""Line rates tried by the "faster network" fix [Gbit/s] (standard Ethernet rates)."""
BISECTION_STEPS = 12  # dirty-rate bisection: the rate is found to 1/4096 of the VM's own


def _alone(task: PhaseTask, vm: VM, **changes) -> tuple[float, bool]:
    """(blackout [s], converged) of `vm` moving alone in `task`'s conditions, with changes to
    the task (settings, link) applied."""
    others = tuple(p for p in task.others if p[0] == vm.name)
    run = run_phase(dataclasses.replace(task, vms=(vm,), others=others, **changes))
    return float(run.downtime_s[0]), bool(run.converged[0])


def find_fix(vm: VM, task: PhaseTask, limit_s: float | None, window_s: float | None,
             cluster_storage: Storage) -> tuple[str, float]:
    """The least intrusive fix the model predicts works for `vm` in the phase `task`, and the
    blackout after it [s]; ("no fix found ...", NaN) when none does."""
    limit = math.inf if limit_s is None else limit_s
    settings = task.settings

    def ok(result):
        return result[0] <= limit and result[1]

    alone = _alone(task, vm)
    if ok(alone):
        return ("move it on its own: no other migration on the link", alone[0])
    best_settings = settings
    for transport in TRANSPORTS_OF_VERSION[settings.version]:
        if transport == settings.transport:
            continue
        trial = dataclasses.replace(settings, transport=transport)
        result = _alone(task, vm, settings=trial)
        if ok(result):
            return (f"move it on its own with transport {transport!r}", result[0])
        if result[0] < alone[0]:
            alone, best_settings = result, trial
    if vm.dirty_rate_mib_s > 0:
        quiet = dataclasses.replace(vm, dirty_rate_mib_s=0.0)
        result = _alone(task, quiet, settings=best_settings)
        if ok(result):
            low, high, at_low = 0.0, vm.dirty_rate_mib_s, result
            for _ in range(BISECTION_STEPS):
                mid = (low + high) / 2
                trial = _alone(task, dataclasses.replace(vm, dirty_rate_mib_s=mid),
                               settings=best_settings)
                if ok(trial):
                    low, at_low = mid, trial
                else:
                    high = mid
            return (f"move it in a quieter hour, when it dirties at most {low:.1f} MiB/s "
                    f"(now {vm.dirty_rate_mib_s:g}), on its own with transport "
                    f"{best_settings.transport!r}", at_low[0])
    for gbps in FASTER_GBPS:
        if gbps <= task.link.gbps:
            continue
        link = dataclasses.replace(task.link, gbps=gbps)
        result = _alone(task, vm, settings=best_settings, link=link)
        if ok(result):
            return (f"a faster migration network: {gbps:g} Gbit/s instead of "
                    f"{task.link.gbps:g}, on its own with transport "
                    f"{best_settings.transport!r}", result[0])
    if window_s is not None and vm.storage != "local":
        storage = task.share.storage if vm.storage == "smb" else cluster_storage
        outage = quick_migration(vm, storage, settings).downtime_s
        if outage <= window_s:
            return (f"a Quick Migration inside the maintenance window: a planned outage of "
                    f"{outage:.0f} s (agree it with the VM's owners)", outage)
    return ("no fix found: none of moving it alone, another transport, a quieter hour or a "
            f"{FASTER_GBPS[-1]:g} Gbit/s network meets the limit", math.nan)


def flag_vms(steps: pd.DataFrame, tasks: dict, vms: dict, window_s: float | None,
             cluster_storage: Storage) -> pd.DataFrame:
    """One row per VM whose longest predicted blackout exceeds its limit or one of whose
    moves does not converge (columns `FLAG_COLUMNS`).

    Parameters
    ----------
    steps : pandas.DataFrame
        The plan's moves (with blackout_limit_s per move).
    tasks : dict
        {(host, phase): PhaseTask} of the plan.
    vms : dict
        {VM name: VM}.
    """
    rows = []
    for name, moves in steps.groupby("vm", sort=False):
        worst = moves.loc[moves["downtime_s"].idxmax()]
        limit = worst["blackout_limit_s"]
        limit = None if pd.isna(limit) else float(limit)
        over = limit is not None and worst["downtime_s"] > limit
        stuck = not bool(moves["converged"].all())
        if not (over or stuck):
            continue
        if stuck and not over:
            worst = moves.loc[~moves["converged"]].iloc[0]
        reasons = []
        if over:
            reasons.append(f"blackout {worst['downtime_s']:.2f} s > limit {limit:g} s")
        if stuck:
            reasons.append("does not converge within the pass cap")
        task = tasks[(worst["drained_host"], worst["phase"])]
        fix, after = find_fix(vms[name], task, limit, window_s, cluster_storage)
        rows.append({"vm": name, "host": vms[name].host, "reason": "; ".join(reasons),
                     "predicted_downtime_s": float(moves["downtime_s"].max()),
                     "blackout_limit_s": limit, "fix": fix, "downtime_after_fix_s": after})
    return pd.DataFrame(rows, columns=FLAG_COLUMNS)


__all__ = ["find_fix", "flag_vms", "FASTER_GBPS"]
