"""`plan_maintenance`: the search for the shortest rolling maintenance of a cluster.

The cycle (Cluster-Aware Updating's: one host down at a time): drain a host, patch it (down
for `patch_s`), bring it back and return its VMs, then the next host. The default policy does
exactly that, in the given host order, first host with room, the settings' transport and
concurrency, VMs in the given order.

The plan may also start the next host's drain as soon as the patched host is back up, while
that host's VMs return (the two phases use different NICs: the returning host's incoming side,
the next host's outgoing side), whenever memory allows it at every instant; and it chooses
per phase the transport, the number of simultaneous live migrations and the queue order.

Search (docs/planning.md#planning-search):

1. screen: every phase's settings (transport x concurrency x queue order) are ranked by a
   closed form (`hvlab.planning.phases.screen_phase`); no simulation;
2. candidate plans: host orders (given; by screened phase length, longest and shortest first)
   with the "spread" placement, drains overlapping returns where memory allows;
3. simulate: each candidate plan's phases with their `top_k` screened settings and the
   default settings, and the default policy's phases, with `hvlab.drain_host` (every distinct
   phase once; in parallel on processes or a Dask client);
4. choose per phase the fastest simulated settings that has no more VMs over their blackout
   limits than the default settings (never slower than the default settings), assemble each
   candidate's timeline, and keep the shortest plan (the default policy's plan is a candidate:
   the chosen plan is never slower);
5. flag VMs over their limits or not converging, with the model's fix.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import numpy as np
import pandas as pd

from hvlab.models.drain import ORDERS
from hvlab.params import (TRANSPORTS_OF_VERSION, VM, WS2012R2, Host, MigrationSettings,
                          SmbShare, Storage)
from hvlab.planning.cluster import ClusterError, check_cluster
from hvlab.planning.fixes import flag_vms
from hvlab.planning.phases import PhaseTask, phase_settings, run_phase, screen_phase
from hvlab.planning.placement import PlacementError, place, room_on
from hvlab.planning.plan import (PHASE_COLUMNS, STEP_COLUMNS, MaintenancePlan,
                                 memory_over_time)
from hvlab.sweeps import map_tasks
from hvlab.validate import check_feature_in_version, check_type, check_vm_for_version

CONCURRENCY = (1, 2, 3, 4, 6, 8)
"""Simultaneous live migrations per host the search tries (Hyper-V takes any number; 2 is the
default, docs/domain.md)."""
PATCH_S = 900.0
"""Time a host is down for patching [s]. Assumption: 15 minutes to install a month's updates
and restart a 2012-era host; it adds the same `patch_s` per host to every plan, so the gain in
seconds does not depend on it, only the gain in percent."""


@dataclasses.dataclass(frozen=True)
class _Candidate:
    """A plan to evaluate: host order, placement policy, whether drains may overlap the
    previous host's return, and whether the phases' settings are searched."""

    name: str
    order: tuple
    policy: str
    overlap: bool
    search: bool


@dataclasses.dataclass
class _Layout:
    """A candidate's placements and phases: per host its VMs' destinations, whether its drain
    overlaps the previous host's return, and per phase the tasks to choose from."""

    candidate: _Candidate
    placements: dict
    overlaps: list
    options: dict  # (host, phase) -> [PhaseTask, ...], the default settings' task first


def _check_limit(name: str, value, *, allow_zero: bool = False) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be a number {'>=' if allow_zero else '>'} 0 [s] or None, "
                         f"got {value!r}")


def plan_maintenance(hosts: Sequence[Host], vms: Sequence[VM],
                     settings: MigrationSettings = WS2012R2, *,
                     blackout_limit_s: float | None = None, window_s: float | None = None,
                     n_jobs: int = 1, client=None, seed: int = 0, patch_s: float = PATCH_S,
                     share: SmbShare | None = None, cluster_storage: Storage | None = None,
                     top_k: int = 3, progress: bool = False) -> MaintenancePlan:
    """Plan a rolling maintenance of a cluster: drain each host, patch it, return its VMs.

    Parameters
    ----------
    hosts : sequence of Host
        The cluster's hosts, in the order the default policy patches them.
    vms : sequence of VM
        Every VM, with ``host`` naming the host it runs on (its home: it goes back there).
    settings : MigrationSettings
        The hosts' version and default migration settings (the default policy's transport and
        `max_live_migrations`). Default `hvlab.WS2012R2`.
    blackout_limit_s : float, optional
        The blackout limit of VMs without their own `VM.blackout_limit_s` [s].
    window_s : float, optional
        The maintenance window [s]: the summary says whether the plan fits, and a Quick
        Migration inside it is offered for VMs no live fix helps.
    n_jobs : int
        Worker processes for the simulations (-1: every core).
    client : dask.distributed.Client, optional
        Run the simulations on an existing Dask cluster instead.
    seed : int
        Seed of every simulation.
    patch_s : float
        Time each host is down between its drain and the return of its VMs [s] (`PATCH_S`).
    share : SmbShare, optional
        The SMB 3 share of the "smb" VMs. Default `hvlab.SmbShare()`.
    cluster_storage : Storage, optional
        The cluster's shared storage (for the Quick Migration fix). Default `hvlab.Storage()`.
    top_k : int
        Screened settings simulated per phase, besides the default settings.
    progress : bool
        Show a progress bar over the simulations.

    Returns
    -------
    MaintenancePlan
        steps, flags, total_s, baseline_total_s, host_memory, phases, ... (see the class).

    Raises
    ------
    ClusterError (a ValueError)
        Duplicate names, a VM on an unknown host or larger than every host, hosts already
        over-committed, or a host whose VMs cannot all be placed elsewhere.
    """
    hosts, vms = list(hosts), list(vms)
    check_cluster(hosts, vms)
    check_type("settings", settings, MigrationSettings)
    _check_limit("blackout_limit_s", blackout_limit_s)
    _check_limit("window_s", window_s)
    _check_limit("patch_s", patch_s, allow_zero=True)
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"top_k must be a whole number >= 1, got {top_k!r}")
    share = SmbShare() if share is None else share
    check_type("share", share, SmbShare)
    cluster_storage = Storage(name="csv") if cluster_storage is None else cluster_storage
    check_type("cluster_storage", cluster_storage, Storage)
    for i, vm in enumerate(vms):
        check_vm_for_version(vm, settings, name=f"vms[{i}]")
        if vm.storage != "shared":
            check_feature_in_version("Shared Nothing Live Migration" if vm.storage == "local"
                                     else "SMB Live Migration", settings)
    ctx = _Context(hosts, vms, settings, blackout_limit_s, share, seed)

    default = _Candidate("default policy", tuple(h.name for h in hosts), "first_fit", False,
                         False)
    screened = ctx.screened_lengths()
    by_length = sorted(default.order, key=lambda h: -screened[h])
    candidates = [default] + [
        _Candidate(name, order, "spread", True, True)
        for name, order in (("given order", default.order),
                            ("longest phases first", tuple(by_length)),
                            ("shortest phases first", tuple(reversed(by_length))))]
    layouts = [ctx.layout(c, top_k) for c in candidates]
    tasks = list(dict.fromkeys(t for lay in layouts for opts in lay.options.values()
                               for t in opts))
    runs = dict(zip(tasks, map_tasks(run_phase, tasks, n_jobs=n_jobs, client=client,
                                     progress=progress, desc="plan", unit="phase")))
    built = [ctx.assemble(lay, runs, patch_s) for lay in layouts]
    search = pd.DataFrame({
        "candidate": [lay.candidate.name for lay in layouts],
        "host_order": [" > ".join(lay.candidate.order) for lay in layouts],
        "placement": [lay.candidate.policy for lay in layouts],
        "overlap": [lay.candidate.overlap for lay in layouts],
        "settings_searched": [lay.candidate.search for lay in layouts],
        "total_s": [b["total_s"] for b in built]})
    best = min(range(len(built)), key=lambda i: (built[i]["total_s"], i))
    chosen, baseline = built[best], built[0]
    flags = flag_vms(chosen["steps"], chosen["tasks"], ctx.vm_by_name, window_s,
                     cluster_storage)
    notes = _notes(chosen, baseline, layouts[best], flags, window_s, patch_s)
    method = (f"Searched {len(candidates) - 1} host orders with the 'spread' placement and "
              f"drains overlapping the previous host's return where memory allows; per phase "
              f"{len(ctx.variants)} settings (transport x simultaneous migrations x queue "
              f"order) screened in closed form, the best {top_k} and the default simulated "
              f"with hvlab.drain_host ({len(tasks)} phase simulations). Chosen: "
              f"{layouts[best].candidate.name}.")
    return MaintenancePlan(
        steps=chosen["steps"], flags=flags, total_s=chosen["total_s"],
        baseline_total_s=baseline["total_s"], host_memory=chosen["host_memory"],
        phases=chosen["phases"],
        baseline={k: baseline[k] for k in ("steps", "phases", "host_memory")},
        host_order=layouts[best].candidate.order, capacity_gib=ctx.capacity_gib,
        search=search, method=method, window_s=window_s, patch_s=float(patch_s),
        notes=tuple(notes), simulations=len(tasks))


class _Context:
    """The cluster, settings and caches one planning run shares."""

    def __init__(self, hosts, vms, settings, blackout_limit_s, share, seed):
        self.hosts = hosts
        self.by_name = {h.name: h for h in hosts}
        self.settings = settings
        self.share = share
        self.seed = seed
        self.vm_by_name = {vm.name: vm for vm in vms}
        self.vms_of = {h.name: tuple(vm for vm in vms if vm.host == h.name) for h in hosts}
        self.home_gib = {h.name: sum(vm.assigned_gib for vm in self.vms_of[h.name])
                         for h in hosts}
        self.capacity_gib = {h.name: h.vm_memory_gib for h in hosts}
        self.limit = {vm.name: (vm.blackout_limit_s if vm.blackout_limit_s is not None
                                else blackout_limit_s) for vm in vms}
        # each host's array its own resource even where two hosts' arrays are alike
        storages = [h.storage for h in hosts]
        distinct = len(set(storages)) == len(storages)
        self.array = {h.name: h.storage if distinct else
                      dataclasses.replace(h.storage, name=f"{h.name}/{h.storage.name}")
                      for h in hosts}
        concurrency = sorted(set(CONCURRENCY) | {settings.max_live_migrations})
        self.variants = [(phase_settings(settings, t, c), order)
                         for t in TRANSPORTS_OF_VERSION[settings.version]
                         for c in concurrency for order in ORDERS]
        self.screen_cache: dict = {}

    def task(self, host: str, phase: str, placed: dict, settings, order) -> PhaseTask:
        vms = self.vms_of[host]
        others = tuple((vm.name, self.array[placed[vm.name]]) for vm in vms
                       if vm.storage == "local")
        return PhaseTask(host=host, phase=phase, vms=vms, link=self.by_name[host].link,
                         settings=settings, order=order, home=self.array[host],
                         others=others, share=self.share, seed=self.seed)

    def screened_lengths(self) -> dict:
        """Each host's drain and return at the default settings, in closed form, with the
        first-fit placement [s]: the host-order heuristics sort by it."""
        out = {}
        for h in self.hosts:
            placed = self.must_place(h.name, "first_fit")
            out[h.name] = sum(screen_phase(self.task(h.name, p, placed, self.settings,
                                                     "given"), self.screen_cache)
                              for p in ("drain", "return"))
        return out

    def layout(self, cand: _Candidate, top_k: int) -> _Layout:
        placements: dict = {}
        overlaps: list = []
        options: dict = {}
        prev = None
        next_must_wait = False
        for i, host in enumerate(cand.order):
            nxt = cand.order[i + 1] if cand.overlap and i + 1 < len(cand.order) else None
            placed, overlap = None, False
            if cand.overlap and prev is not None and not next_must_wait:
                away: dict = {}
                for vm in self.vms_of[prev]:
                    away.setdefault(placements[prev][vm.name], []).append(vm)
                placed = self._try_place(host, {host, nxt}, cand.policy, away)
                overlap = placed is not None
            if placed is None:
                placed = self._try_place(host, {host, nxt}, cand.policy, {})
            next_must_wait = False
            if placed is None and nxt is not None:
                # room only on the next host: its drain must wait for these VMs' return
                placed = self._try_place(host, {host}, cand.policy, {})
                next_must_wait = True
            if placed is None:
                placed = self.must_place(host, cand.policy)
            placements[host] = placed
            overlaps.append(overlap)
            for phase in ("drain", "return"):
                base = self.task(host, phase, placed, self.settings, "given")
                opts = [base]
                if cand.search:
                    ranked = sorted(self.variants, key=lambda v: screen_phase(
                        dataclasses.replace(base, settings=v[0], order=v[1]),
                        self.screen_cache))
                    opts += [dataclasses.replace(base, settings=s, order=o)
                             for s, o in ranked[:top_k]]
                options[(host, phase)] = list(dict.fromkeys(opts))
            prev = host
        return _Layout(cand, placements, overlaps, options)

    def must_place(self, host: str, policy: str) -> dict:
        """Place a host's VMs with every other VM at home, or say why they do not fit."""
        try:
            return place(self.vms_of[host], room_on(self.hosts, self.vms_of),
                         [h for h in self.hosts if h.name != host], policy)
        except PlacementError as exc:
            raise ClusterError(f"not enough memory to drain host {host!r}: {exc}; add memory, "
                               "lower reserve_gib, or move VMs") from None

    def _try_place(self, host, excluded, policy, away):
        cands = [h for h in self.hosts if h.name not in excluded]
        try:
            resident = {h: list(self.vms_of[h]) + away.get(h, []) for h in self.vms_of}
            return place(self.vms_of[host], room_on(self.hosts, resident), cands, policy)
        except PlacementError:
            return None

    def violations(self, run) -> int:
        over = 0
        for name, down, conv in zip(run.vm, run.downtime_s, run.converged):
            limit = self.limit[name]
            over += int((limit is not None and down > limit) or not conv)
        return over

    def choose(self, options: list, runs: dict) -> PhaseTask:
        """The fastest simulated option with no more VMs over their limits than the default
        settings' and no longer than it (the first option is the default settings)."""
        base = runs[options[0]]
        base_over = self.violations(base)
        ok = [t for t in options if runs[t].total_s <= base.total_s
              and self.violations(runs[t]) <= base_over]
        return min(ok, key=lambda t: (runs[t].total_s, self.violations(runs[t])))

    def assemble(self, lay: _Layout, runs: dict, patch_s: float) -> dict:
        rows, phase_rows, tasks = [], [], {}
        up_prev = ret_end_prev = ret_end_prev2 = 0.0
        for i, host in enumerate(lay.candidate.order):
            chosen = {p: self.choose(lay.options[(host, p)], runs) for p in ("drain", "return")}
            tasks.update({(host, p): t for p, t in chosen.items()})
            if i == 0:
                start = 0.0
            elif lay.overlaps[i]:
                start = max(up_prev, ret_end_prev2)
            else:
                start = ret_end_prev
            drain = runs[chosen["drain"]]
            up = start + drain.total_s + patch_s
            ret = runs[chosen["return"]]
            for phase, t0, run in (("drain", start, drain), ("return", up, ret)):
                task = chosen[phase]
                placed = lay.placements[host]
                for j, name in enumerate(run.vm):
                    other = placed[name]
                    vm = self.vm_by_name[name]
                    rows.append((host, name, host if phase == "drain" else other,
                                 other if phase == "drain" else host, run.kind[j],
                                 task.settings.transport, t0 + run.start_s[j],
                                 t0 + run.end_s[j], run.downtime_s[j], phase,
                                 bool(run.converged[j]), int(run.passes[j]), vm.assigned_gib,
                                 self.limit[name]))
                phase_rows.append((host, phase, t0, t0 + run.total_s, task.settings.transport,
                                   task.settings.max_live_migrations, task.order, len(run.vm),
                                   bool(lay.overlaps[i]) if phase == "drain" else False))
            ret_end_prev2, ret_end_prev, up_prev = ret_end_prev, up + ret.total_s, up
        steps = pd.DataFrame(rows, columns=STEP_COLUMNS)
        steps["blackout_limit_s"] = steps["blackout_limit_s"].astype(float)
        phases = pd.DataFrame(phase_rows, columns=PHASE_COLUMNS)
        total = float(phases["end_s"].max()) if len(phases) else 0.0
        return {"steps": steps, "phases": phases, "total_s": total, "tasks": tasks,
                "host_memory": memory_over_time(steps, self.home_gib)}


def _notes(chosen, baseline, lay, flags, window_s, patch_s) -> list[str]:
    gain = baseline["total_s"] - chosen["total_s"]
    notes = [f"The plan takes {chosen['total_s'] / 3600:.2f} h, the default policy "
             f"{baseline['total_s'] / 3600:.2f} h: {gain / 60:.1f} min "
             f"({100 * gain / baseline['total_s'] if baseline['total_s'] else 0:.1f} %) "
             f"shorter. Each host is down {patch_s / 60:g} min for patching in both."]
    if lay.candidate.overlap:
        n = sum(lay.overlaps)
        notes.append(f"{n} of {len(lay.overlaps) - 1} drains start while the previous host's "
                     "VMs return (memory allows it at every instant).")
    phases = chosen["phases"]
    counts = phases.groupby(["transport", "max_live_migrations"]).size()
    notes.append("Phase settings (transport, simultaneous live migrations: phases): "
                 + ", ".join(f"{t} x{c}: {n}" for (t, c), n in counts.items()) + ".")
    if window_s is not None:
        fits = chosen["total_s"] <= window_s
        notes.append(f"The window is {window_s / 3600:.2f} h: the plan "
                     f"{'fits' if fits else 'does NOT fit'}"
                     + ("" if fits else " (patch fewer hosts per window)") + ".")
    notes.append(f"{len(flags)} VM(s) flagged (blackout over its limit or no convergence)."
                 if len(flags) else "No VM is predicted over its blackout limit.")
    if not np.isfinite(chosen["total_s"]):
        notes.append("A phase did not finish.")
    return notes


__all__ = ["plan_maintenance", "CONCURRENCY", "PATCH_S"]
