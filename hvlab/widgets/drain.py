"""Explorer for draining a host before maintenance: how many VMs, how big, how busy, how many
migrations at once, in what order, over what link.

Each run also sweeps the number of simultaneous live migrations (1 to `CONCURRENCY_SWEEP`),
so this explorer updates on its Run button and shows a progress bar while it sweeps.
"""
from __future__ import annotations

import functools

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import MaxNLocator

from hvlab.models import drain_host
from hvlab.params import PRESETS, VM
from hvlab.widgets._base import (BLACKOUT_COLOUR, LINK_GBPS, NETWORK_COLOUR, Explorer,
                                 dropdown, float_slider, fmt_bytes, fmt_time, int_slider,
                                 link_from, nice_ceiling, settings_from, style_axes)
from hvlab.widgets._panels import RectPool, proxy_legend

ORDERS = [("as listed", "given"), ("smallest first", "smallest_first"),
          ("largest first", "largest_first"), ("least dirty first", "least_dirty_first")]
CONCURRENCY_SWEEP = 6
RUNNING_COLOUR = "#3182bd"
STUCK_COLOUR = "#9e9ac8"


def host_vms(n_vms: int = 8, memory_gib: float = 8.0, dirty_rate_mib_s: float = 25.0, *,
             seed: int = 7) -> tuple[VM, ...]:
    """A host's VMs: `n_vms` VMs whose memory and dirty rates vary around the given typical
    values (log-normal, sigma 0.5; memory rounded to 0.5 GiB), the same for the same seed.

    Returns
    -------
    tuple of VM
        Named vm01, vm02, ...
    """
    rng = np.random.default_rng(seed)
    memory = np.maximum(0.5, np.round(rng.lognormal(np.log(memory_gib), 0.5, n_vms) * 2) / 2)
    dirty = np.round(rng.lognormal(np.log(max(dirty_rate_mib_s, 1e-9)), 0.5, n_vms), 1) \
        if dirty_rate_mib_s > 0 else np.zeros(n_vms)
    return tuple(VM(name=f"vm{i + 1:02d}", memory_gib=float(m), dirty_rate_mib_s=float(d))
                 for i, (m, d) in enumerate(zip(memory, dirty)))


@functools.lru_cache(maxsize=64)
def _drain(vms, link, settings, order):
    return drain_host(list(vms), link, settings, order=order)


@functools.lru_cache(maxsize=32)
def concurrency_sweep(vms, link, settings, order, progress: bool = False):
    """Total drain time for 1 to `CONCURRENCY_SWEEP` simultaneous live migrations.

    Returns
    -------
    pandas.DataFrame
        ``settings.max_live_migrations``, total_s, downtime_max_s, not_converged, ...
    """
    from hvlab.sweeps import sweep

    return sweep(drain_host, {"settings.max_live_migrations":
                                 list(range(1, CONCURRENCY_SWEEP + 1))},
                 base={"vms": list(vms), "link": link, "settings": settings, "order": order},
                 progress=progress)


def drain_scenario(*, n_vms=8, memory_gib=8.0, dirty_rate_mib_s=25.0, link_gbps=1.0, nics=1,
                   concurrency=2, order="given", preset="WS2012", progress=False) -> dict:
    """Drain a host of `host_vms(n_vms, memory_gib, dirty_rate_mib_s)` with `concurrency`
    simultaneous live migrations, and sweep the concurrency.

    Returns
    -------
    dict
        vms, link, settings, result (`DrainResult`) and sweep (DataFrame).
    """
    vms = host_vms(int(n_vms), float(memory_gib), float(dirty_rate_mib_s))
    link = link_from(link_gbps, nics)
    settings = settings_from(preset, max_live_migrations=int(concurrency))
    base_settings = settings_from(preset)
    return {"vms": vms, "link": link, "settings": settings,
            "result": _drain(vms, link, settings, order),
            "sweep": concurrency_sweep(vms, link, base_settings, order, progress)}


def drain_readout(state: dict):
    r, sweep = state["result"], state["sweep"]
    s = r.summary()
    best = sweep.loc[sweep["total_s"].idxmin()]
    values = {"total_s": r.total_s, "vms": int(s["vms"]),
              "downtime_max_s": float(s["downtime_max_s"]),
              "downtime_total_s": float(s["downtime_total_s"]),
              "not_converged": int(s["not_converged"]),
              "network_bytes": int(s["network_bytes"]),
              "best_concurrency": int(best["settings.max_live_migrations"]),
              "best_total_s": float(best["total_s"])}
    rows = [
        ("drain time", fmt_time(r.total_s)),
        ("VMs moved", str(values["vms"])),
        ("longest blackout", fmt_time(values["downtime_max_s"]), values["downtime_max_s"] > 1),
        ("VMs that did not converge", str(values["not_converged"]),
         values["not_converged"] > 0),
        ("sent over the network", fmt_bytes(values["network_bytes"])),
        ("fastest concurrency", f"{values['best_concurrency']} at a time: "
                                f"{fmt_time(values['best_total_s'])}"),
    ]
    return rows, list(r.notes), values


class DrainExplorer(Explorer):
    """Draining a host: a Gantt chart of the migrations (waiting, moving, blackout) and the
    drain time against the number of simultaneous migrations."""

    def __init__(self, *, n_vms=8, memory_gib=8.0, dirty_rate_mib_s=25.0, link_gbps=1.0,
                 nics=1, concurrency=2, order="given", preset="WS2012", backend=None):
        controls = {
            "n_vms": int_slider("VMs on the host", n_vms, 1, 40),
            "memory_gib": float_slider("typical memory [GiB]", memory_gib, 0.5, 64, 0.5),
            "dirty_rate_mib_s": float_slider("typical dirty rate [MiB/s]", dirty_rate_mib_s, 0,
                                             200, 5, ".0f"),
            "link_gbps": dropdown("link (per NIC)", LINK_GBPS, float(link_gbps)),
            "nics": int_slider("NICs", nics, 1, 4),
            "concurrency": int_slider("live migrations at once", concurrency, 1,
                                      CONCURRENCY_SWEEP),
            "order": dropdown("order", ORDERS, order),
            "preset": dropdown("Windows Server", list(PRESETS), preset),
        }
        self.progress = widgets.Output()
        super().__init__(controls, title="Draining a host for maintenance", run_button=True,
                         figsize=(10.0, 4.2), backend=backend, extra=[self.progress])

    def compute(self, **values):
        self.progress.clear_output()
        with self.progress:
            return drain_scenario(progress=True, **values)

    def readout_for(self, state):
        return drain_readout(state)

    def build_figure(self, fig):
        fig.subplots_adjust(left=0.07, right=0.985, bottom=0.13, top=0.9, wspace=0.35)
        gs = fig.add_gridspec(1, 3)
        self.ax = fig.add_subplot(gs[0, :2])
        self.ax_sweep = fig.add_subplot(gs[0, 2])
        style_axes(self.ax, "time since the drain started [s]", "")
        self.ax.set_title("the drain, VM by VM")
        style_axes(self.ax_sweep, "live migrations at once", "drain time [min]")
        self.ax_sweep.xaxis.set_major_locator(MaxNLocator(integer=True))
        self.ax_sweep.set_title("drain time against concurrency")
        (self.sweep_line,) = self.ax_sweep.plot([], [], "o-", color=NETWORK_COLOUR)
        (self.sweep_now,) = self.ax_sweep.plot([], [], "o", color=BLACKOUT_COLOUR, ms=10,
                                               mfc="none", mew=2)
        self.waiting = RectPool(self.ax, facecolor="white", edgecolor="#9ecae1", hatch="///",
                                lw=0.4)
        self.moving = RectPool(self.ax)
        self.blackouts = RectPool(self.ax)
        proxy_legend(self.ax, [("waiting for a slot", "white", "///"),
                               ("moving", RUNNING_COLOUR), ("did not converge", STUCK_COLOUR),
                               ("blackout", BLACKOUT_COLOUR)], loc="upper right")

    def draw(self, state):
        r = state["result"]
        m = r.migrations
        y = np.arange(len(m)) - 0.4
        wait = m["wait_s"].to_numpy(float)  # time in the queue (every VM queues at 0)
        run = (m["end_s"] - m["start_s"]).to_numpy(float)
        colours = np.where(m["converged"].to_numpy(bool), RUNNING_COLOUR, STUCK_COLOUR)
        self.waiting.set(m["start_s"].to_numpy(float) - wait, y, wait, 0.8, "white")
        self.moving.set(m["start_s"], y, run, 0.8, colours)
        black = np.maximum(m["downtime_s"].to_numpy(float), r.total_s / 300)
        self.blackouts.set(m["end_s"] - black, y, black, 0.8, BLACKOUT_COLOUR)
        if len(m) <= 16:
            self.ax.set_yticks(np.arange(len(m)), m["vm"])
        else:
            self.ax.set_yticks([])
            self.ax.set_ylabel(f"{len(m)} VMs, in queue order")
        self.ax.set_ylim(len(m) - 0.5, -0.5)
        self.ax.set_xlim(0, nice_ceiling(r.total_s, self.ax.get_xlim()[1]))
        self.ax.set_title(f"{len(m)} VMs, {state['settings'].max_live_migrations} at a time: "
                          f"{fmt_time(r.total_s)}")
        sweep = state["sweep"]
        k = sweep["settings.max_live_migrations"].to_numpy(int)
        minutes = sweep["total_s"].to_numpy(float) / 60
        self.sweep_line.set_data(k, minutes)
        now = state["settings"].max_live_migrations
        self.sweep_now.set_data([now], [r.total_s / 60])
        self.ax_sweep.set_xlim(0.5, CONCURRENCY_SWEEP + 0.5)
        self.ax_sweep.set_ylim(0, nice_ceiling(max(minutes.max(), r.total_s / 60) * 1.15,
                                               self.ax_sweep.get_ylim()[1]))


def drain_explorer(**kwargs) -> DrainExplorer:
    """Drain a host before maintenance: the number of VMs, their typical memory and dirty rate
    (`host_vms` varies them around it), the link, how many live migrations run at once, the
    queue order and the preset. Press Run: a Gantt chart of the drain (waiting, moving,
    blackout) and the drain time for 1 to 6 migrations at once (swept, with a progress bar).

    Returns
    -------
    DrainExplorer
    """
    return DrainExplorer(**kwargs)
