"""Explorers for Live Migration (memory pre-copy) and Quick Migration versus Live Migration.

The scenario functions (`live_scenario`, `quick_vs_live_scenario`) are the explorers' update
logic without any widget: they take the control values and return the model results.
"""
from __future__ import annotations

import functools

import numpy as np

from hvlab import analytic
from hvlab.memo import cached
from hvlab.models import live_migration, quick_migration
from hvlab.params import MIB, PRESETS, TRANSPORTS, TRANSPORTS_OF_VERSION, VM, Storage, preset
from hvlab.widgets._base import (BLACKOUT_COLOUR, LINK_GBPS, NETWORK_COLOUR, QUICK_COLOUR,
                                 Explorer, checkbox, dropdown, float_slider, fmt_bytes, fmt_rate,
                                 fmt_time, int_slider, link_from, log_limits, nice_ceiling,
                                 settings_from, style_axes)
from hvlab.widgets._panels import RectPool, draw_phases, phase_pool, proxy_legend

_live = cached(live_migration)
_quick = cached(quick_migration)

TRANSPORT_LABELS = [("TCP/IP", "tcpip"), ("compression", "compression"), ("SMB 3", "smb")]
assert {v for _, v in TRANSPORT_LABELS} == set(TRANSPORTS)


def transport_labels(preset_name: str) -> list:
    """The transports the preset's Windows Server version has, as dropdown options
    (compression and SMB arrived in 2012 R2)."""
    allowed = TRANSPORTS_OF_VERSION[preset(preset_name).version]
    return [(label, value) for label, value in TRANSPORT_LABELS if value in allowed]


def make_vm(memory_gib: float, dirty_rate_mib_s: float, working_set_pct: float = 100.0,
            **more) -> VM:
    """A `VM` from control values; the working set as a percentage of memory [%]."""
    working = None if working_set_pct >= 100 else memory_gib * working_set_pct / 100
    return VM(name="vm1", memory_gib=float(memory_gib), dirty_rate_mib_s=float(dirty_rate_mib_s),
              working_set_gib=working, **more)


# --------------------------------------------------------------------------------------------
# Live Migration
def live_scenario(*, memory_gib=8.0, dirty_rate_mib_s=40.0, working_set_pct=100.0,
                  link_gbps=1.0, nics=1, rdma=False, preset="WS2012", transport="tcpip",
                  max_passes=10) -> dict:
    """Run one live migration from explorer inputs.

    Returns
    -------
    dict
        vm, link, settings (the parameter objects) and result (`MigrationResult`).
    """
    vm = make_vm(memory_gib, dirty_rate_mib_s, working_set_pct)
    link = link_from(link_gbps, nics, rdma)
    settings = settings_from(preset, transport=transport, max_passes=int(max_passes))
    return {"vm": vm, "link": link, "settings": settings, "result": _live(vm, link, settings)}


def live_readout(state: dict):
    """(rows, notes, values) of a live-migration state."""
    r, settings = state["result"], state["settings"]
    values = {"total_s": r.total_s, "downtime_s": r.downtime_s,
              "network_bytes": r.network_bytes, "passes": r.n_passes,
              "converged": bool(r.converged),
              "memory_rate_mib_s": float(r.details.get("memory_rate_mib_s", float("nan")))}
    rows = [
        ("total time", fmt_time(r.total_s)),
        ("blackout (VM paused)", fmt_time(r.downtime_s), r.downtime_s > 1.0),
        ("sent over the network", fmt_bytes(r.network_bytes)),
        ("pre-copy passes", f"{r.n_passes} of at most {settings.max_passes}"),
        ("converged", "yes" if r.converged else "no: stopped at the pass cap",
         not r.converged),
        ("memory copy rate", fmt_rate(values["memory_rate_mib_s"])),
    ]
    return rows, list(r.notes), values


class LiveMigrationExplorer(Explorer):
    """Live Migration: memory, dirty rate, working set, link, transport, pass cap, preset.

    Left: the network rate over time with the phases (setup, pre-copy, blackout) and pass
    boundaries. Right: memory sent per pass, with the stop-copy threshold.
    """

    def __init__(self, *, memory_gib=8.0, dirty_rate_mib_s=40.0, working_set_pct=100.0,
                 link_gbps=1.0, nics=1, rdma=False, preset="WS2012", transport=None,
                 max_passes=None, backend=None):
        p = PRESETS[preset]
        controls = {
            "memory_gib": float_slider("memory [GiB]", memory_gib, 0.5, 128, 0.5),
            "dirty_rate_mib_s": float_slider("dirty rate [MiB/s]", dirty_rate_mib_s, 0, 600, 5,
                                             ".0f"),
            "working_set_pct": float_slider("working set [% of mem]", working_set_pct, 1, 100,
                                            1, ".0f"),
            "link_gbps": dropdown("link (per NIC)", LINK_GBPS, float(link_gbps)),
            "nics": int_slider("NICs", nics, 1, 4),
            "rdma": checkbox("RDMA (SMB Direct)", rdma),
            "preset": dropdown("Windows Server", list(PRESETS), preset),
            "transport": dropdown("transport", transport_labels(preset),
                                  transport or p.transport),
            "max_passes": int_slider("pass cap", max_passes or p.max_passes, 1, 20),
        }
        super().__init__(controls, title="Live Migration: memory pre-copy", backend=backend)

    def _on_change(self, change):
        if change.owner is self.controls["preset"]:  # a preset brings its transport and cap
            p = preset(change.new)
            self._hold += 1
            try:
                self.controls["transport"].options = transport_labels(change.new)
                self.controls["transport"].value = p.transport
                self.controls["max_passes"].value = p.max_passes
            finally:
                self._hold -= 1
        super()._on_change(change)

    def compute(self, **values):
        return live_scenario(**values)

    def readout_for(self, state):
        return live_readout(state)

    def build_figure(self, fig):
        fig.subplots_adjust(left=0.075, right=0.985, bottom=0.15, top=0.88, wspace=0.28)
        gs = fig.add_gridspec(1, 3)
        self.ax = fig.add_subplot(gs[0, :2])
        self.ax_pass = fig.add_subplot(gs[0, 2])
        (self.line,) = self.ax.plot([], [], drawstyle="steps-post", color=NETWORK_COLOUR, lw=1.8,
                                    label="network [MiB/s]")
        style_axes(self.ax, "time since start [s]", "network throughput [MiB/s]")
        self.ax.set_ylim(0, 1)
        self.bands = phase_pool(self.ax)
        self.marks = self.ax.vlines([], 0, 1, transform=self.ax.get_xaxis_transform(),
                                    colors="#636363", lw=0.7, linestyles=":")
        self.blackout_label = self.ax.annotate(
            "", (0, 1), xycoords=("data", "axes fraction"), xytext=(-4, -14),
            textcoords="offset points", ha="right", color=BLACKOUT_COLOUR, fontsize=9)
        self.ax_pass.set_yscale("log")
        style_axes(self.ax_pass, "pre-copy pass", "memory sent [MiB]")
        self.ax_pass.set_title("memory sent per pass (B = blackout)")
        self.threshold = self.ax_pass.axhline(1, color="#636363", ls="--", lw=1)
        self.pass_legend = self.ax_pass.legend([self.threshold], ["stop-copy threshold"],
                                               loc="upper right")
        self.bars = RectPool(self.ax_pass)

    def draw(self, state):
        r, settings = state["result"], state["settings"]
        tl = r.timeline
        t = tl.index.to_numpy(float)
        rate = tl["network_mib_s"].to_numpy(float)
        self.line.set_data(t, rate)
        self.ax.set_xlim(0, nice_ceiling(r.total_s, self.ax.get_xlim()[1]))
        self.ax.set_ylim(0, nice_ceiling(max(rate.max() if len(rate) else 0, 1) * 1.25,
                                         self.ax.get_ylim()[1]))
        draw_phases(r, self.bands)
        live = r.passes[~r.passes["blackout"]]
        self.marks.set_segments([[(t, 0), (t, 1)] for t in live["start_s"].iloc[1:]])
        self.blackout_label.xy = (r.total_s, 1)
        self.blackout_label.set_text(f"blackout {fmt_time(r.downtime_s)}")
        state_txt = "converged" if r.converged else "did NOT converge"
        self.ax.set_title(f"{state['vm'].memory_gib:g} GiB VM: {r.n_passes} passes, {state_txt}")
        p = r.passes
        sent = p["sent_bytes"].to_numpy(float) / MIB
        colours = np.where(p["blackout"].to_numpy(bool), BLACKOUT_COLOUR, NETWORK_COLOUR)
        x = np.arange(len(p))
        self.bars.set(x - 0.35, 1e-3, 0.7, np.maximum(sent, 1e-3) - 1e-3, colours)
        labels = ["B" if b else str(n) for n, b in zip(p["pass"], p["blackout"])]
        step = max(1, len(x) // 8)
        self.ax_pass.set_xticks(x[::step], labels[::step])
        self.ax_pass.set_xlim(-0.6, len(x) - 0.4)
        stop = settings.stop_copy_mib
        self.ax_pass.set_ylim(*log_limits(max(min(sent.min(), stop) / 3, 0.1),
                                          max(sent.max(), stop) * 8,  # room for the legend
                                          self.ax_pass.get_ylim()))
        self.threshold.set_ydata([stop, stop])
        self.pass_legend.get_texts()[0].set_text(f"stop-copy threshold {stop:g} MiB")


def live_migration_explorer(**kwargs) -> LiveMigrationExplorer:
    """An interactive Live Migration: sliders for memory, dirty rate and working set, the link
    (speed per NIC, NICs, RDMA), the Windows Server preset, transport and pass cap; a figure of
    the network rate over time and the memory sent per pass; a readout of total time, blackout,
    bytes sent, passes and whether the pre-copy converged.

    Parameters
    ----------
    **kwargs
        Initial values: memory_gib [GiB], dirty_rate_mib_s [MiB/s], working_set_pct [% of
        memory], link_gbps [Gbit/s per NIC], nics, rdma, preset ("WS2008R2", "WS2012",
        "WS2012R2"), transport, max_passes; backend ("inline" or "ipympl").

    Returns
    -------
    LiveMigrationExplorer
        An ipywidgets VBox; ``.set(...)``, ``.values``, ``.state`` drive and read it.
    """
    return LiveMigrationExplorer(**kwargs)


# --------------------------------------------------------------------------------------------
# Quick Migration versus Live Migration
MEMORY_CURVE_POINTS = 40


@functools.lru_cache(maxsize=256)
def downtime_curves(max_memory_gib: float, dirty_rate_mib_s: float, link_gbps: float,
                    write_mib_s: float, read_mib_s: float, preset_name: str):
    """Downtime against memory size from the closed forms: Quick Migration's save + move +
    restore, and Live Migration's blackout.

    Returns
    -------
    (memory_gib, quick_downtime_s, live_downtime_s) : tuple of numpy arrays
    """
    settings = preset(preset_name)
    link = link_from(link_gbps)
    storage = Storage(write_mib_s=write_mib_s, read_mib_s=read_mib_s)
    memory = np.linspace(0.5, max_memory_gib, MEMORY_CURVE_POINTS)
    quick, live = [], []
    for m in memory:
        vm = VM(memory_gib=float(m), dirty_rate_mib_s=dirty_rate_mib_s)
        quick.append(analytic.quick(vm, storage, settings)["downtime_s"])
        live.append(analytic.precopy_passes(vm, link, settings)["blackout_s"])
    return memory, np.array(quick), np.array(live)


def quick_vs_live_scenario(*, memory_gib=8.0, dirty_rate_mib_s=40.0, link_gbps=1.0,
                           write_mib_s=300.0, read_mib_s=400.0, preset="WS2012") -> dict:
    """Move the same VM by Quick Migration and by Live Migration.

    Returns
    -------
    dict
        vm, link, storage, settings, quick and live (`MigrationResult`), curves (see
        `downtime_curves`).
    """
    vm = make_vm(memory_gib, dirty_rate_mib_s)
    link = link_from(link_gbps)
    storage = Storage(write_mib_s=float(write_mib_s), read_mib_s=float(read_mib_s))
    settings = settings_from(preset)
    curves = downtime_curves(max(64.0, float(memory_gib) * 1.25), float(dirty_rate_mib_s),
                             float(link_gbps), float(write_mib_s), float(read_mib_s), preset)
    return {"vm": vm, "link": link, "storage": storage, "settings": settings,
            "quick": _quick(vm, storage, settings), "live": _live(vm, link, settings),
            "curves": curves}


def quick_vs_live_readout(state: dict):
    q, live = state["quick"], state["live"]
    values = {"quick_downtime_s": q.downtime_s, "live_downtime_s": live.downtime_s,
              "live_total_s": live.total_s, "quick_total_s": q.total_s,
              "downtime_ratio": q.downtime_s / live.downtime_s if live.downtime_s else np.inf,
              "live_converged": bool(live.converged),
              "quick_storage_bytes": q.storage_read_bytes + q.storage_write_bytes,
              "live_network_bytes": live.network_bytes}
    rows = [
        ("Quick Migration: VM down", fmt_time(q.downtime_s), True),
        ("Live Migration: blackout", fmt_time(live.downtime_s)),
        ("Live Migration: total time", fmt_time(live.total_s)),
        ("downtime, quick / live", f"{values['downtime_ratio']:,.0f} x"),
        ("quick: saved + read back", fmt_bytes(values["quick_storage_bytes"])),
        ("live: sent over the network", fmt_bytes(live.network_bytes)),
    ]
    notes = list(q.notes)
    if not live.converged:
        notes.append("The live pre-copy did not converge: " + live.notes[-1])
    return rows, notes, values


class QuickVsLiveExplorer(Explorer):
    """The same VM moved by Quick Migration (save, move, restore: down throughout) and by Live
    Migration (down only for the blackout). Left: downtime against memory size; right: the
    chosen VM's total time and downtime for both."""

    def __init__(self, *, memory_gib=8.0, dirty_rate_mib_s=40.0, link_gbps=1.0,
                 write_mib_s=300.0, read_mib_s=400.0, preset="WS2012", backend=None):
        controls = {
            "memory_gib": float_slider("memory [GiB]", memory_gib, 0.5, 128, 0.5),
            "dirty_rate_mib_s": float_slider("dirty rate [MiB/s]", dirty_rate_mib_s, 0, 300, 5,
                                             ".0f"),
            "link_gbps": dropdown("live: link", LINK_GBPS, float(link_gbps)),
            "write_mib_s": float_slider("quick: array write [MiB/s]", write_mib_s, 50, 2000,
                                        10, ".0f"),
            "read_mib_s": float_slider("quick: array read [MiB/s]", read_mib_s, 50, 2000, 10,
                                       ".0f"),
            "preset": dropdown("Windows Server", list(PRESETS), preset),
        }
        super().__init__(controls, title="Quick Migration versus Live Migration",
                         backend=backend)

    def compute(self, **values):
        return quick_vs_live_scenario(**values)

    def readout_for(self, state):
        return quick_vs_live_readout(state)

    def build_figure(self, fig):
        fig.subplots_adjust(left=0.075, right=0.985, bottom=0.15, top=0.88, wspace=0.3)
        self.ax, self.ax_bar = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.5, 1]})
        self.ax.set_yscale("log")
        (self.q_line,) = self.ax.plot([], [], color=QUICK_COLOUR, lw=2,
                                      label="Quick Migration: VM down")
        (self.l_line,) = self.ax.plot([], [], color=NETWORK_COLOUR, lw=2,
                                      label="Live Migration: blackout")
        (self.points,) = self.ax.plot([], [], "o", color="k", ms=5, zorder=3,
                                      label="this VM (simulated)")
        self.now = self.ax.axvline(0, color="#636363", ls=":", lw=1)
        style_axes(self.ax, "VM memory [GiB]", "downtime [s, log scale]")
        self.ax.set_title("downtime against memory size")
        self.ax.legend(loc="center right")
        self.ax_bar.set_yscale("log")
        style_axes(self.ax_bar, "", "time [s, log scale]")
        self.bars = RectPool(self.ax_bar)
        self.labels = [self.ax_bar.annotate("", (0, 1), ha="center", va="bottom", fontsize=8.5)
                       for _ in range(2)]
        self.ax_bar.set_xticks([0, 1], ["Quick Migration", "Live Migration"])
        self.ax_bar.set_xlim(-0.6, 1.6)
        proxy_legend(self.ax_bar, [("total time", "#9ecae1"), ("VM down", BLACKOUT_COLOUR)],
                     loc="upper right")

    def draw(self, state):
        memory, quick, live = state["curves"]
        self.q_line.set_data(memory, quick)
        self.l_line.set_data(memory, live)
        q, lv = state["quick"], state["live"]
        m = state["vm"].memory_gib
        self.points.set_data([m, m], [q.downtime_s, lv.downtime_s])
        self.now.set_xdata([m, m])
        self.ax.set_xlim(0, memory[-1])
        lo = min(live.min(), lv.downtime_s) / 2
        hi = max(quick.max(), q.downtime_s, lv.downtime_s) * 2
        self.ax.set_ylim(*log_limits(lo, hi, self.ax.get_ylim()))
        x = np.array([0.0, 1.0])
        w = 0.38
        totals = [q.total_s, lv.total_s]
        downs = [q.downtime_s, lv.downtime_s]
        lo, hi = log_limits(min(downs) / 3, max(totals) * 4, self.ax_bar.get_ylim())
        self.ax_bar.set_ylim(lo, hi)
        self.bars.set(np.concatenate([x - w, x]), lo, w,
                      np.array(totals + downs) - lo, ["#9ecae1"] * 2 + [BLACKOUT_COLOUR] * 2)
        for label, xi, d in zip(self.labels, x, downs):
            label.xy = (xi + w / 2, d)
            label.set_position((xi + w / 2, d))  # the text itself (xyann), not only its anchor
            label.set_text(fmt_time(d))
        self.ax_bar.set_title(f"this {m:g} GiB VM")


def quick_vs_live_explorer(**kwargs) -> QuickVsLiveExplorer:
    """Quick Migration against Live Migration for the same VM: memory, dirty rate, the live
    link, the array's write and read rates (where Quick Migration saves and restores the VM)
    and the preset. Figure: downtime against memory size (closed forms, with the simulated VM
    marked) and both moves' total time and downtime.

    Parameters
    ----------
    **kwargs
        Initial values: memory_gib [GiB], dirty_rate_mib_s [MiB/s], link_gbps [Gbit/s],
        write_mib_s and read_mib_s [MiB/s], preset; backend ("inline" or "ipympl").

    Returns
    -------
    QuickVsLiveExplorer
    """
    return QuickVsLiveExplorer(**kwargs)
