"""The result of `hvlab.plan_maintenance`: `MaintenancePlan`, with the default policy's plan
beside it, the flagged VMs, the hosts' memory over time, a figure and an HTML report."""
from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

STEP_COLUMNS = ["drained_host", "vm", "from_host", "to_host", "kind", "transport", "start_s",
                "end_s", "downtime_s", "phase", "converged", "passes", "memory_gib",
                "blackout_limit_s"]
PHASE_COLUMNS = ["host", "phase", "start_s", "end_s", "transport", "max_live_migrations",
                 "order", "moves", "overlaps_previous"]
FLAG_COLUMNS = ["vm", "host", "reason", "predicted_downtime_s", "blackout_limit_s", "fix",
                "downtime_after_fix_s"]


def memory_over_time(steps: pd.DataFrame, home_gib: dict[str, float]) -> pd.DataFrame:
    """Memory in use on each host over time [GiB], from the moves: a VM counts on its
    destination from the start of its move and on its source until the move ends.

    Returns
    -------
    pandas.DataFrame
        Index ``time_s`` (0 and every move's start and end); one column per host, the memory
        from that instant on.
    """
    hosts = list(home_gib)
    arrive = steps.groupby(["start_s", "to_host"])["memory_gib"].sum()
    leave = -steps.groupby(["end_s", "from_host"])["memory_gib"].sum()
    for part in (arrive, leave):
        part.index.names = ["time_s", "host"]
    delta = pd.concat([arrive, leave]).groupby(level=[0, 1]).sum().unstack(fill_value=0.0)
    times = np.unique(np.concatenate([[0.0], delta.index.to_numpy(float)]))
    delta = delta.reindex(index=pd.Index(times, name="time_s"), columns=hosts, fill_value=0.0)
    return delta.cumsum() + pd.Series(home_gib)


@dataclass(frozen=True)
class MaintenancePlan:
    """A rolling maintenance of a cluster: every host drained, patched and given its VMs back.

    Attributes
    ----------
    steps : pandas.DataFrame
        One row per move, VMs coming back included: drained_host, vm, from_host, to_host,
        kind ("live", "smb_live", "shared_nothing"), transport, start_s, end_s, downtime_s
        [s from the start of the maintenance], phase ("drain" or "return"), converged,
        passes, memory_gib, blackout_limit_s.
    flags : pandas.DataFrame
        One row per VM whose predicted blackout exceeds its limit or that did not converge:
        vm, host, reason, predicted_downtime_s, blackout_limit_s, fix (what the model predicts
        works), downtime_after_fix_s.
    total_s : float
        This plan's whole cycle [s].
    baseline_total_s : float
        The default policy's cycle [s]: hosts in the given order, each drain, patch and
        return before the next host, first host with room, the settings' transport and
        concurrency, VMs in the given order.
    host_memory : pandas.DataFrame
        Memory in use per host over time [GiB] (`memory_over_time`).
    phases : pandas.DataFrame
        One row per drain and per return: host, phase, start_s, end_s, transport,
        max_live_migrations, order, moves, overlaps_previous.
    baseline : dict
        The default policy's steps, phases and host_memory.
    host_order : tuple of str
        The order the hosts are patched in.
    capacity_gib : dict
        Each host's memory for VMs [GiB] (memory less reserve).
    search : pandas.DataFrame
        The candidate plans evaluated: candidate, host_order, placement, total_s.
    method : str
        How the plan was searched.
    window_s : float or None
        The maintenance window [s].
    patch_s : float
        Time each host is down between its drain and its VMs' return [s].
    notes : tuple of str
        Plain-language remarks.
    simulations : int
        Phase simulations (`hvlab.drain_host` runs) the search made.
    """

    steps: pd.DataFrame
    flags: pd.DataFrame
    total_s: float
    baseline_total_s: float
    host_memory: pd.DataFrame
    phases: pd.DataFrame
    baseline: dict
    host_order: tuple
    capacity_gib: dict
    search: pd.DataFrame
    method: str
    window_s: float | None = None
    patch_s: float = 0.0
    notes: tuple = field(default_factory=tuple)
    simulations: int = 0

    @property
    def gain_s(self) -> float:
        """Time saved against the default policy [s]."""
        return self.baseline_total_s - self.total_s

    def summary(self) -> pd.Series:
        """Key figures: total_s, baseline_total_s, gain_s, gain_pct, hosts, vms, moves,
        flagged, longest_downtime_s, fits_window, host_order."""
        fits = (None if self.window_s is None else bool(self.total_s <= self.window_s))
        return pd.Series({
            "total_s": self.total_s, "baseline_total_s": self.baseline_total_s,
            "gain_s": self.gain_s,
            "gain_pct": 100.0 * self.gain_s / self.baseline_total_s
            if self.baseline_total_s else 0.0,
            "hosts": len(self.host_order), "vms": int(self.steps["vm"].nunique()),
            "moves": len(self.steps), "flagged": len(self.flags),
            "longest_downtime_s": float(self.steps["downtime_s"].max())
            if len(self.steps) else 0.0,
            "window_s": self.window_s, "fits_window": fits,
            "host_order": " > ".join(self.host_order)})

    def plot(self, fig=None):
        """A Gantt chart of the moves per host and the hosts' memory over time (Figure)."""
        from hvlab.plotting import plot_maintenance_plan

        return plot_maintenance_plan(self, fig=fig)

    def to_html(self, path) -> str:
        """Write a self-contained HTML report (figures embedded as PNG) an administrator can
        attach to a change request; returns the path."""
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        fig = self.plot()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        png = base64.b64encode(buf.getvalue()).decode("ascii")
        summary = self.summary().to_frame("value")
        parts = [
            "<!DOCTYPE html><html><head><meta charset='utf-8'>",
            "<title>Maintenance plan</title><style>body{font-family:sans-serif;margin:2em}"
            "table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;"
            "padding:2px 6px;text-align:right}th{background:#eee}</style></head><body>",
            "<h1>Rolling maintenance plan</h1>",
            f"<p>{html.escape(self.method)}</p>",
            "<h2>Summary</h2>", summary.to_html(float_format=lambda x: f"{x:,.1f}"),
            "<h2>Notes</h2><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
            + "</ul>",
            f"<h2>Timeline and memory</h2><img alt='plan' src='data:image/png;base64,{png}'>",
            f"<h2>Flagged VMs ({len(self.flags)})</h2>",
            self.flags.to_html(index=False, float_format=lambda x: f"{x:,.2f}")
            if len(self.flags) else "<p>None: every predicted blackout is within its limit "
            "and every move converges.</p>",
            "<h2>Phases</h2>",
            self.phases.to_html(index=False, float_format=lambda x: f"{x:,.1f}"),
            f"<h2>Moves ({len(self.steps)})</h2>",
            self.steps.to_html(index=False, float_format=lambda x: f"{x:,.2f}"),
            "</body></html>"]
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("\n".join(parts))
        return str(path)

    def _repr_html_(self) -> str:
        s = self.summary()
        return (f"<b>MaintenancePlan</b>: {s['hosts']} hosts, {s['vms']} VMs, {s['moves']} "
                f"moves; {self.total_s / 3600:.2f} h against {self.baseline_total_s / 3600:.2f}"
                f" h for the default policy ({s['gain_pct']:.1f} % shorter); "
                f"{s['flagged']} VM(s) flagged")


__all__ = ["MaintenancePlan", "memory_over_time", "STEP_COLUMNS", "PHASE_COLUMNS",
           "FLAG_COLUMNS"]
