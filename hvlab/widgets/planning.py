"""Explorer for planning a rolling maintenance of a cluster: blackout limit, maintenance
window, migration network and Windows Server version in; the plan's timeline, the hosts'
memory, the flagged VMs and the gain over the default policy out.

Planning the example cluster simulates a few hundred host drains, so this explorer updates
on its Run button; plans already made are kept (`planning_scenario` is memoised).
"""
from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

from hvlab.params import PRESETS
from hvlab.planning import MaintenancePlan, plan_maintenance, read_cluster
from hvlab.widgets._base import Explorer, dropdown, float_slider, fmt_time

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "cluster"
NETWORKS = [("as in the hosts file", 0.0), ("1 Gbit/s", 1.0), ("10 Gbit/s", 10.0),
            ("40 Gbit/s", 40.0)]


@functools.lru_cache(maxsize=4)
def example_cluster(folder: str = str(EXAMPLE)) -> tuple[tuple, tuple]:
    """The example cluster of data/cluster/ (hosts, VMs) as tuples."""
    hosts, vms = read_cluster(Path(folder) / "hosts.csv", Path(folder) / "vms.csv")
    return tuple(hosts), tuple(vms)


@functools.lru_cache(maxsize=16)
def planning_scenario(*, blackout_limit_s: float = 2.0, window_h: float = 0.0,
                      network_gbps: float = 0.0, preset: str = "WS2012R2",
                      hosts: tuple | None = None, vms: tuple | None = None) -> MaintenancePlan:
    """Plan the cluster's maintenance (the example cluster unless `hosts` and `vms` are given).

    Parameters
    ----------
    blackout_limit_s : float
        Blackout limit of VMs without their own [s].
    window_h : float
        Maintenance window [h]; 0: none.
    network_gbps : float
        Every host's migration NIC line rate [Gbit/s]; 0: as in the hosts file.
    preset : str
        Windows Server version ("WS2012" or "WS2012R2": a cluster with SMB and local VMs
        needs 2012 or later).

    Returns
    -------
    MaintenancePlan
    """
    if hosts is None or vms is None:
        hosts, vms = example_cluster()
    if network_gbps:
        hosts = tuple(dataclasses.replace(h, link=dataclasses.replace(h.link,
                                                                     gbps=float(network_gbps)))
                      for h in hosts)
    return plan_maintenance(list(hosts), list(vms), PRESETS[preset],
                            blackout_limit_s=float(blackout_limit_s),
                            window_s=float(window_h) * 3600 if window_h else None)


def planning_readout(plan: MaintenancePlan):
    s = plan.summary()
    values = {"total_s": plan.total_s, "baseline_total_s": plan.baseline_total_s,
              "gain_s": plan.gain_s, "gain_pct": float(s["gain_pct"]),
              "flagged": int(s["flagged"]), "longest_downtime_s": float(s["longest_downtime_s"]),
              "fits_window": s["fits_window"], "flags": plan.flags}
    rows = [("whole cycle, this plan", fmt_time(plan.total_s)),
            ("whole cycle, default policy", fmt_time(plan.baseline_total_s)),
            ("gain", f"{fmt_time(plan.gain_s)} ({values['gain_pct']:.1f} %)"),
            ("VMs over their blackout limit or not converging", str(values["flagged"]),
             values["flagged"] > 0),
            ("longest blackout", fmt_time(values["longest_downtime_s"]))]
    if s["fits_window"] is not None:
        rows.append(("fits the window", "yes" if s["fits_window"] else "no",
                     not s["fits_window"]))
    notes = list(plan.notes)
    for r in plan.flags.head(5).itertuples(index=False):
        notes.append(f"{r.vm} ({r.host}): {r.reason}. Fix: {r.fix}"
                     + (f" ({r.downtime_after_fix_s:.2f} s)" if r.downtime_after_fix_s == r.
                        downtime_after_fix_s else ""))
    if len(plan.flags) > 5:
        notes.append(f"... and {len(plan.flags) - 5} more flagged VMs (plan.flags).")
    return rows, notes, values


class PlanningExplorer(Explorer):
    """A rolling maintenance plan: per host its drain, patch and return, and every host's
    memory over time."""

    def __init__(self, *, blackout_limit_s=2.0, window_h=0.0, network_gbps=0.0,
                 preset="WS2012R2", hosts=None, vms=None, backend=None):
        self._cluster = (None if hosts is None else tuple(hosts),
                         None if vms is None else tuple(vms))
        controls = {
            "blackout_limit_s": float_slider("blackout limit [s]", blackout_limit_s, 0.5, 10,
                                             0.5, ".1f"),
            "window_h": float_slider("window [h] (0: none)", window_h, 0, 24, 0.5, ".1f"),
            "network_gbps": dropdown("migration network", NETWORKS, float(network_gbps)),
            "preset": dropdown("Windows Server", ["WS2012", "WS2012R2"], preset),
        }
        super().__init__(controls, title="Planning a cluster's maintenance", run_button=True,
                         figsize=(10.0, 7.5), backend=backend)

    def compute(self, **values):
        hosts, vms = self._cluster
        return planning_scenario(hosts=hosts, vms=vms, **values)

    def readout_for(self, state):
        return planning_readout(state)

    def build_figure(self, fig):
        pass  # the plan's figure is drawn afresh: its hosts and moves change with the plan

    def draw(self, state):
        from hvlab.plotting import plot_maintenance_plan

        plot_maintenance_plan(state, fig=self.figure)


def planning_explorer(**kwargs) -> PlanningExplorer:
    """Plan a rolling maintenance: the blackout limit of VMs without their own, the
    maintenance window, every host's migration network and the Windows Server version. Press
    Run: the plan's timeline per host, the hosts' memory over time, the flagged VMs with their
    fixes and the gain over the default policy (the example cluster of data/cluster/, or
    `hosts=` and `vms=`).

    Returns
    -------
    PlanningExplorer
    """
    return PlanningExplorer(**kwargs)


__all__ = ["planning_explorer", "planning_scenario", "planning_readout", "example_cluster",
           "PlanningExplorer"]
