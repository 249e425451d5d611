"""Figures of model results. Plotting never runs a model: it draws what a result holds.

- `plot_migration(result)`: phases as coloured bands, network (and storage) MiB/s over time,
  guest latency where the result has it, and bytes sent per pre-copy pass.
- `compare(results, labels)`: several results side by side (time, blackout, bytes).
- `plot_drain(drain)`: a Gantt chart of a host drain over the link's rate.
- `plot_maintenance_plan(plan)`: a rolling maintenance: per host its drain, patch and return,
  the flagged VMs' moves, and each host's memory over time against its capacity.
"""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np

from hvlab.params import GIB, MIB

PHASE_COLOURS = {
    "setup": "#d9d9d9",
    "memory": "#c6dbef",
    "blackout": "#fcbba1",
    "storage_copy": "#c7e9c0",
    "save": "#fdd0a2",
    "ownership": "#dadaeb",
    "restore": "#fdae6b",
    "resume": "#fee6ce",
    "switch": "#fcbba1",
}
NETWORK_COLOUR = "#08519c"
STORAGE_COLOUR = "#238b45"
LATENCY_COLOUR = "#a50f15"


def _new_axes(ax, nrows=1, figsize=(9, 4.5), **kw):
    if ax is not None:
        return ax.figure, ax
    fig, axes = plt.subplots(nrows, 1, figsize=figsize, **kw)
    return fig, axes


def _phase_bands(ax, phases) -> None:
    """Shade each phase and name it at the top of the axes."""
    for row in phases.itertuples(index=False):
        if row.end_s <= row.start_s:
            continue
        ax.axvspan(row.start_s, row.end_s, color=PHASE_COLOURS.get(row.phase, "#eeeeee"),
                   alpha=0.6, lw=0, zorder=0, label=f"phase: {row.phase}")


def _pass_marks(ax, passes) -> None:
    """Dotted lines where pre-copy passes start, numbered while they are wide enough to read."""
    if passes is None or len(passes) < 2:
        return
    span = float(passes["end_s"].max() - passes["start_s"].min()) or 1.0
    for row in passes.itertuples(index=False):
        ax.axvline(row.start_s, color="#636363", lw=0.6, ls=":", zorder=1)
        if (row.end_s - row.start_s) / span > 0.04 and not getattr(row, "blackout", False):
            ax.annotate(f"pass {row[0]}", ((row.start_s + row.end_s) / 2, 1.0),
                        xycoords=("data", "axes fraction"), xytext=(0, -12),
                        textcoords="offset points", ha="center", fontsize=8, color="#444444")


def _dedupe_legend(ax, **kw) -> None:
    handles, labels = ax.get_legend_handles_labels()
    seen: dict = {}
    for h, lab in zip(handles, labels):
        seen.setdefault(lab, h)
    if seen:
        ax.legend(seen.values(), seen.keys(), **kw)


def plot_migration(result, ax=None):
    """Draw one MigrationResult: phases as bands, rates over time, bytes per pass.

    Parameters
    ----------
    result : MigrationResult
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Draw only the rate-over-time panel into this axes. Without it a new figure with a
        second panel (bytes per pass) is made when the result has passes.

    Returns
    -------
    matplotlib.axes.Axes
        The rate-over-time axes.
    """
    has_passes = len(result.passes) > 0
    if ax is None:
        if has_passes:
            fig, (ax, ax_pass) = plt.subplots(
                1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [2.3, 1]},
                layout="constrained")
        else:
            fig, ax = plt.subplots(figsize=(8, 4.2), layout="constrained")
            ax_pass = None
    else:
        ax_pass = None
    _phase_bands(ax, result.phases)
    tl = result.timeline
    t = tl.index.to_numpy(dtype=float)
    if "network_mib_s" in tl and len(t):
        ax.step(t, tl["network_mib_s"], where="post", color=NETWORK_COLOUR, lw=1.8,
                label="network [MiB/s]")
    if "storage_mib_s" in tl and len(t) and tl["storage_mib_s"].max() > 0:
        ax.step(t, tl["storage_mib_s"], where="post", color=STORAGE_COLOUR, lw=1.5,
                label="storage I/O [MiB/s]")
    _pass_marks(ax, result.passes)
    ax.set_xlabel("time since start [s]")
    ax.set_ylabel("throughput [MiB/s]")
    ax.set_xlim(0, max(result.total_s, 1e-9))
    top = max([tl[c].max() for c in ("network_mib_s", "storage_mib_s") if c in tl] + [1.0])
    ax.set_ylim(0, top * 1.3)  # headroom for the legend and pass numbers
    if "guest_latency_ms" in tl and len(t) and tl["guest_latency_ms"].notna().any():
        lat = ax.twinx()
        lat.step(t, tl["guest_latency_ms"], where="post", color=LATENCY_COLOUR, lw=1.2,
                 ls="--", label="guest latency [ms]")
        lat.set_ylabel("guest I/O latency [ms]", color=LATENCY_COLOUR)
        lat.set_ylim(bottom=0)
        lat.tick_params(axis="y", colors=LATENCY_COLOUR)
        lat.legend(loc="upper right", fontsize=9)
    state = "converged" if result.converged else "did NOT converge"
    ax.set_title(f"{result.kind.replace('_', ' ')} migration of {result.vm_name or 'VM'}: "
                 f"{result.total_s:,.1f} s total, {result.downtime_s:,.2f} s down ({state})",
                 fontsize=11)
    _dedupe_legend(ax, loc="center right", fontsize=8, framealpha=0.9)
    ax.grid(alpha=0.3)
    if ax_pass is not None:
        plot_passes(result, ax=ax_pass)
    return ax


def plot_passes(result, ax=None):
    """Bar chart of memory sent per pre-copy pass [MiB], the blackout copy in red."""
    fig, ax = _new_axes(ax, figsize=(5, 4))
    p = result.passes
    colours = np.where(p["blackout"].to_numpy(bool), "#de2d26", NETWORK_COLOUR) \
        if "blackout" in p else NETWORK_COLOUR
    labels = [("blackout" if b else str(n)) for n, b in
              zip(p["pass"], p.get("blackout", [False] * len(p)))]
    ax.bar(range(len(p)), p["sent_bytes"] / MIB, color=colours)
    ax.set_xticks(range(len(p)), labels, rotation=45 if len(p) > 8 else 0, fontsize=9)
    ax.set_xlabel("pre-copy pass")
    ax.set_ylabel("memory sent [MiB]")
    if len(p) and (p["sent_bytes"] > 0).all() and p["sent_bytes"].max() / p["sent_bytes"].min() > 50:
        ax.set_yscale("log")
        ax.set_ylabel("memory sent [MiB, log scale]")
    ax.set_title("memory sent per pass", fontsize=11)
    ax.grid(axis="y", alpha=0.3)
    return ax


def compare(results: Sequence, labels: Sequence[str] | None = None, ax=None):
    """Several results side by side: total time and blackout [s], and data moved [GiB].

    Parameters
    ----------
    results : sequence of MigrationResult
        The runs to compare.
    labels : sequence of str, optional
        One label per result (default: kind and transport).
    ax : matplotlib.axes.Axes, optional
        Draw the time panel only, into this axes.

    Returns
    -------
    numpy.ndarray of Axes, or the given Axes
    """
    results = list(results)
    if labels is None:
        labels = [f"{r.kind} {r.transport}".strip() for r in results]
    if len(labels) != len(results):
        raise ValueError(f"compare: {len(labels)} labels for {len(results)} results; give one "
                         "label per result")
    x = np.arange(len(results))
    total = [r.total_s for r in results]
    down = [r.downtime_s for r in results]
    if ax is None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
        ax_t, ax_b = axes
    else:
        ax_t, ax_b, axes = ax, None, ax
    w = 0.38
    ax_t.bar(x - w / 2, total, w, label="total time [s]", color=NETWORK_COLOUR)
    ax_t.bar(x + w / 2, down, w, label="downtime (blackout) [s]", color="#de2d26")
    for xi, d in zip(x, down):
        ax_t.annotate(f"{d:,.2f} s", (xi + w / 2, d), ha="center", va="bottom", fontsize=8)
    ax_t.set_xticks(x, labels, rotation=15 if len(results) > 3 else 0)
    ax_t.set_ylabel("time [s]")
    positive = [v for v in total + down if v > 0]
    if positive and max(positive) / min(positive) > 100:  # sub-second blackouts beside minutes
        ax_t.set_yscale("log")
        ax_t.set_ylabel("time [s, log scale]")
    ax_t.set_title("time to move and time down", fontsize=11)
    ax_t.legend(fontsize=9)
    ax_t.grid(axis="y", alpha=0.3)
    if ax_b is not None:
        net = [r.network_bytes / GIB for r in results]
        rd = [r.storage_read_bytes / GIB for r in results]
        wr = [r.storage_write_bytes / GIB for r in results]
        w3 = 0.27
        ax_b.bar(x - w3, net, w3, label="network [GiB]", color=NETWORK_COLOUR)
        ax_b.bar(x, rd, w3, label="storage read [GiB]", color="#74c476")
        ax_b.bar(x + w3, wr, w3, label="storage written [GiB]", color=STORAGE_COLOUR)
        ax_b.set_xticks(x, labels, rotation=15 if len(results) > 3 else 0)
        ax_b.set_ylabel("data moved [GiB]")
        ax_b.set_title("what the move adds to the network and storage", fontsize=11)
        ax_b.legend(fontsize=9)
        ax_b.grid(axis="y", alpha=0.3)
    return axes


KIND_COLOURS = {"live": "#3182bd", "smb_live": "#6baed6", "shared_nothing": "#31a354",
                "storage": "#74c476", "quick": "#fd8d3c"}


def plot_drain(drain, ax=None):
    """Gantt chart of a host drain: one bar per VM (queued time hatched, blackout marked), with
    the link's rate and the number of active migrations below.

    Parameters
    ----------
    drain : DrainResult
        What to draw.
    ax : matplotlib.axes.Axes, optional
        Draw only the Gantt panel into this axes.

    Returns
    -------
    matplotlib.axes.Axes
        The Gantt axes.
    """
    m = drain.migrations
    if ax is None:
        fig, (ax, ax_rate) = plt.subplots(
            2, 1, figsize=(10, 3 + 0.22 * min(len(m), 60)), sharex=True, layout="constrained",
            gridspec_kw={"height_ratios": [3, 1]})
    else:
        ax_rate = None
    y = np.arange(len(m))
    for yi, row in zip(y, m.itertuples(index=False)):
        colour = KIND_COLOURS.get(row.kind, "#999999")
        if row.start_s > row.queued_s:
            ax.barh(yi, row.start_s - row.queued_s, left=row.queued_s, color="white",
                    edgecolor=colour, hatch="///", lw=0.5, label="waiting for a slot")
        ax.barh(yi, row.end_s - row.start_s, left=row.start_s, color=colour,
                label=row.kind.replace("_", " "))
        if row.downtime_s > 0:
            ax.barh(yi, max(row.downtime_s, drain.total_s / 400), left=row.end_s - row.downtime_s,
                    color="#de2d26", label="blackout")
        if not row.converged:
            ax.annotate("did not converge", (row.end_s, yi), xytext=(3, 0),
                        textcoords="offset points", va="center", fontsize=7, color="#a50f15")
    if len(m) <= 60:
        ax.set_yticks(y, m["vm"], fontsize=8)
    else:
        ax.set_ylabel("VM (in start order)")
    ax.invert_yaxis()
    ax.set_title(f"draining {len(m)} VMs: {drain.total_s:,.0f} s "
                 f"({drain.total_s / 60:,.1f} min)", fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    _dedupe_legend(ax, loc="lower right", fontsize=8, framealpha=0.9)
    if ax_rate is None:
        ax.set_xlabel("time since the drain started [s]")
        return ax
    tl = drain.timeline
    t = tl.index.to_numpy(dtype=float)
    ax_rate.step(t, tl["network_mib_s"], where="post", color=NETWORK_COLOUR, lw=1.4)
    ax_rate.set_ylabel("link [MiB/s]")
    ax_rate.set_ylim(bottom=0)
    ax_rate.grid(alpha=0.3)
    active = ax_rate.twinx()
    active.step(t, tl["active_migrations"], where="post", color="#636363", lw=1, ls="--")
    active.set_ylabel("active moves", color="#636363")
    active.set_ylim(bottom=0)
    ax_rate.set_xlabel("time since the drain started [s]")
    ax.set_xlim(0, max(drain.total_s, 1e-9))
    return ax


PLAN_COLOURS = {"drain": "#3182bd", "patch": "#bdbdbd", "return": "#31a354"}


def plot_maintenance_plan(plan, fig=None):
    """A rolling maintenance plan: a Gantt chart per host (drain, patch, return; the moves of
    flagged VMs marked) and every host's memory in use over time, as a share of its memory
    for VMs.

    Parameters
    ----------
    plan : MaintenancePlan
        What to draw.
    fig : matplotlib.figure.Figure, optional
        Draw into this figure (cleared first).

    Returns
    -------
    matplotlib.figure.Figure
    """
    hosts = list(plan.host_order)
    if fig is None:
        fig = plt.figure(figsize=(10, 3.5 + 0.28 * len(hosts)), layout="constrained")
    else:
        fig.clear()
    ax, ax_mem = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    hours = 3600.0
    row = {h: i for i, h in enumerate(hosts)}
    phases = plan.phases
    for r in phases.itertuples(index=False):
        y = row[r.host]
        ax.barh(y, (r.end_s - r.start_s) / hours, left=r.start_s / hours, height=0.6,
                color=PLAN_COLOURS[r.phase], label=r.phase)
    drains = phases[phases["phase"] == "drain"].set_index("host")
    returns = phases[phases["phase"] == "return"].set_index("host")
    for h in hosts:
        a, b = drains.loc[h, "end_s"], returns.loc[h, "start_s"]
        if b > a:
            ax.barh(row[h], (b - a) / hours, left=a / hours, height=0.6,
                    color=PLAN_COLOURS["patch"], label="down for patching")
    flagged = set(plan.flags["vm"]) if len(plan.flags) else set()
    if flagged:
        moves = plan.steps[plan.steps["vm"].isin(flagged)]
        ax.scatter(moves["end_s"] / hours, [row[h] for h in moves["drained_host"]],
                   marker="|", s=120, color="#de2d26", zorder=3,
                   label="flagged VM's blackout", lw=1.5)
    ax.set_yticks(range(len(hosts)), hosts, fontsize=8)
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"rolling maintenance: {plan.total_s / hours:.2f} h (default policy "
                 f"{plan.baseline_total_s / hours:.2f} h)", fontsize=11)
    _dedupe_legend(ax, loc="upper right", fontsize=8, framealpha=0.9)
    mem = plan.host_memory
    t = mem.index.to_numpy(dtype=float) / hours
    for h in hosts:
        ax_mem.step(t, 100.0 * mem[h] / plan.capacity_gib[h], where="post", lw=0.9)
    ax_mem.axhline(100.0, color="#a50f15", ls="--", lw=1)
    ax_mem.annotate("memory for VMs (memory less reserve)", (0, 100), xytext=(2, -10),
                    textcoords="offset points", fontsize=8, color="#a50f15")
    ax_mem.set_ylabel("memory in use [%]")
    ax_mem.set_ylim(0, 110)
    ax_mem.grid(alpha=0.3)
    ax_mem.set_xlabel("time since the maintenance started [h]")
    return fig
