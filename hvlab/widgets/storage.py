"""Explorers that move storage or use it: Storage Live Migration, Shared Nothing Live Migration
and SMB Live Migration (VM files on an SMB 3 share).

The ``*_scenario`` functions are the update logic without widgets.
"""
from __future__ import annotations

import numpy as np

from hvlab.memo import cached
from hvlab.models import shared_nothing_migration, smb_live_migration, storage_migration
from hvlab.params import MIB, PRESETS, VM, SmbShare, Storage
from hvlab.widgets._base import (BLACKOUT_COLOUR, LINK_GBPS, NETWORK_COLOUR, PHASE_COLOURS,
                                 STORAGE_COLOUR, Explorer, checkbox, dropdown, float_slider,
                                 fmt_bytes, fmt_rate, fmt_time, int_slider, link_from,
                                 log_limits, nice_ceiling, settings_from, style_axes)
from hvlab.widgets._panels import RectPool, TimelinePanel, proxy_legend
from hvlab.widgets.live import transport_labels

_storage = cached(storage_migration)
_shared_nothing = cached(shared_nothing_migration)
_smb = cached(smb_live_migration)

#: Guest I/O operations per MiB/s of guest throughput: 32 KiB average I/O (an assumption of
#: the explorers, typical of mixed database and file workloads).
IOPS_PER_MIB_S = 32
MIRROR_COLOUR = "#74c476"
GUEST_COLOUR = "#fd8d3c"


def _guest_vm(name, *, memory_gib, dirty_rate_mib_s=0.0, disk_gib=0.0, read_mib_s=0.0,
              write_mib_s=0.0, storage="shared") -> VM:
    return VM(name=name, memory_gib=float(memory_gib), dirty_rate_mib_s=float(dirty_rate_mib_s),
              disk_gib=float(disk_gib), disk_read_mib_s=float(read_mib_s),
              disk_write_mib_s=float(write_mib_s),
              disk_iops=IOPS_PER_MIB_S * float(read_mib_s + write_mib_s), storage=storage)


def _throttle(mib_s: float):
    return None if not mib_s else float(mib_s)


# --------------------------------------------------------------------------------------------
# Storage Live Migration
TARGET_ARRAY = Storage(name="new-array", read_mib_s=600, write_mib_s=500, iops=40000,
                       base_latency_ms=2)
"""The explorer's destination: a newer, faster array (the one the VM is being moved to)."""


def storage_scenario(*, disk_gib=40.0, guest_read_mib_s=10.0, guest_write_mib_s=6.0,
                     source_read_mib_s=160.0, source_write_mib_s=120.0, source_load_pct=50.0,
                     throttle_mib_s=0.0, odx=False) -> dict:
    """A Storage Live Migration off a source array (read and write rates [MiB/s], busy
    `source_load_pct` [%] with other work) to `TARGET_ARRAY`; `throttle_mib_s` 0 means no
    throttle.

    Returns
    -------
    dict
        vm, source, target and result.
    """
    vm = _guest_vm("sql02", memory_gib=12, disk_gib=disk_gib, read_mib_s=guest_read_mib_s,
                   write_mib_s=guest_write_mib_s)
    source = Storage(name="old-array", read_mib_s=float(source_read_mib_s),
                     write_mib_s=float(source_write_mib_s), iops=2500, base_latency_ms=6,
                     load_frac=float(source_load_pct) / 100)
    result = _storage(vm, source, TARGET_ARRAY, copy_rate_cap_mib_s=_throttle(throttle_mib_s),
                      odx=bool(odx))
    return {"vm": vm, "source": source, "target": TARGET_ARRAY, "result": result}


def storage_readout(state: dict):
    r, vm = state["result"], state["vm"]
    d = r.details
    before = float(d.get("guest_latency_before_ms", np.nan))
    during = float(d.get("guest_latency_during_ms", np.nan))
    copy_s = float(d.get("copy_s", np.nan))
    values = {"total_s": r.total_s, "copy_s": copy_s,
              "copy_rate_mib_s": vm.storage_bytes / MIB / copy_s if copy_s > 0 else np.nan,
              "storage_read_bytes": r.storage_read_bytes,
              "storage_write_bytes": r.storage_write_bytes,
              "guest_latency_before_ms": before, "guest_latency_during_ms": during,
              "guest_latency_during_p95_ms": float(d.get("guest_latency_during_p95_ms", np.nan)),
              "guest_latency_after_ms": float(d.get("guest_latency_after_ms", np.nan)),
              "latency_rise_ratio": during / before if before > 0 else np.nan,
              "peak_array_util_frac": float(d.get("peak_array_util_frac", np.nan))}
    rows = [
        ("total time", fmt_time(r.total_s)),
        ("copy rate (average)", fmt_rate(values["copy_rate_mib_s"])),
        ("read from the source", fmt_bytes(r.storage_read_bytes)),
        ("written to the target", fmt_bytes(r.storage_write_bytes)),
        ("guest latency before", f"{before:,.1f} ms"),
        ("guest latency during (mean)", f"{during:,.1f} ms", values["latency_rise_ratio"] > 2),
        ("guest latency during (p95)", f"{values['guest_latency_during_p95_ms']:,.1f} ms"),
        ("guest latency after", f"{values['guest_latency_after_ms']:,.1f} ms"),
        ("peak source utilisation", f"{values['peak_array_util_frac']:.0%}"),
    ]
    return rows, list(r.notes), values


class StorageMigrationExplorer(Explorer):
    """Storage Live Migration off a busy array: the copy and mirrored writes over time with the
    guest's I/O latency, and the latency before, during and after."""

    def __init__(self, *, disk_gib=40.0, guest_read_mib_s=10.0, guest_write_mib_s=6.0,
                 source_read_mib_s=160.0, source_write_mib_s=120.0, source_load_pct=50.0,
                 throttle_mib_s=0.0, odx=False, backend=None):
        controls = {
            "disk_gib": float_slider("virtual disk [GiB]", disk_gib, 5, 500, 5, ".0f"),
            "guest_read_mib_s": float_slider("guest reads [MiB/s]", guest_read_mib_s, 0, 100, 1,
                                             ".0f"),
            "guest_write_mib_s": float_slider("guest writes [MiB/s]", guest_write_mib_s, 0, 100,
                                              1, ".0f"),
            "source_read_mib_s": float_slider("source array read [MiB/s]", source_read_mib_s,
                                              50, 1000, 10, ".0f"),
            "source_write_mib_s": float_slider("source array write [MiB/s]",
                                               source_write_mib_s, 50, 1000, 10, ".0f"),
            "source_load_pct": float_slider("source busy (other work) [%]", source_load_pct, 0,
                                            90, 5, ".0f"),
            "throttle_mib_s": float_slider("copy throttle [MiB/s, 0 off]", throttle_mib_s, 0,
                                           500, 10, ".0f"),
            "odx": checkbox("ODX (array offload)", odx),
        }
        super().__init__(controls, title="Storage Live Migration: copy, mirror, switch",
                         backend=backend)

    def compute(self, **values):
        return storage_scenario(**values)

    def readout_for(self, state):
        return storage_readout(state)

    def build_figure(self, fig):
        fig.subplots_adjust(left=0.07, right=0.985, bottom=0.15, top=0.9, wspace=0.55)
        gs = fig.add_gridspec(1, 3)
        self.ax = fig.add_subplot(gs[0, :2])
        self.ax_lat = fig.add_subplot(gs[0, 2])
        self.panel = TimelinePanel(self.ax, [("copy_mib_s", "copy [MiB/s]", STORAGE_COLOUR),
                                             ("mirror_mib_s", "mirrored writes [MiB/s]",
                                              MIRROR_COLOUR)], latency=True,
                                   ylabel="copy throughput [MiB/s]")
        self.ax_lat.set_yscale("log")
        style_axes(self.ax_lat, "", "guest I/O latency [ms, log]")
        self.ax_lat.set_title("guest latency: mean and p95")
        self.ax_lat.set_xticks(np.arange(3), ["before", "during", "after"])
        self.ax_lat.set_xlim(-0.6, 2.6)
        self.bars = RectPool(self.ax_lat)
        proxy_legend(self.ax_lat, [("mean", "#fc9272"), ("p95", BLACKOUT_COLOUR)],
                     loc="upper left")

    def draw(self, state):
        r = state["result"]
        d = r.details
        self.panel.update(r, pad_frac=0.15,
                          latency_before_ms=d.get("guest_latency_before_ms"),
                          latency_after_ms=d.get("guest_latency_after_ms"))
        self.ax.set_title(f"moving {state['vm'].disk_gib:g} GiB: {fmt_time(r.total_s)} "
                          "(with the guest's latency before and after)")
        x = np.arange(3)
        mean = [d.get(f"guest_latency_{k}_ms", np.nan) for k in ("before", "during", "after")]
        p95 = [d.get(f"guest_latency_{k}_p95_ms", np.nan) for k in ("before", "during", "after")]
        finite = [v for v in mean + p95 if np.isfinite(v) and v > 0] or [1.0]
        lo, hi = log_limits(min(finite) / 2, max(finite) * 4, self.ax_lat.get_ylim())
        self.ax_lat.set_ylim(lo, hi)
        heights = np.nan_to_num(np.array(mean + p95, float), nan=lo)
        self.bars.set(np.concatenate([x - 0.4, x]), lo, 0.4, np.maximum(heights - lo, 0),
                      ["#fc9272"] * 3 + [BLACKOUT_COLOUR] * 3)


def storage_migration_explorer(**kwargs) -> StorageMigrationExplorer:
    """Storage Live Migration of a VM's virtual disk off a (possibly struggling) array to a
    faster one: disk size, the guest's reads and writes, the source array's rates and the load
    other work puts on it, a copy throttle and ODX. Figure: the copy and the mirrored writes
    over time with the guest's I/O latency, and the latency before, during and after.

    Parameters
    ----------
    **kwargs
        Initial values: disk_gib [GiB], guest_read_mib_s, guest_write_mib_s,
        source_read_mib_s, source_write_mib_s [MiB/s], source_load_pct [%],
        throttle_mib_s [MiB/s, 0 = none], odx; backend.

    Returns
    -------
    StorageMigrationExplorer
    """
    return StorageMigrationExplorer(**kwargs)


# --------------------------------------------------------------------------------------------
# Shared Nothing Live Migration
SN_PHASES = ["setup", "storage_copy", "memory", "blackout", "delete_source"]


def shared_nothing_scenario(*, disk_gib=30.0, memory_gib=6.0, dirty_rate_mib_s=20.0,
                            guest_write_mib_s=2.0, link_gbps=1.0, disks_mib_s=300.0,
                            throttle_mib_s=0.0, preset="WS2012") -> dict:
    """A Shared Nothing Live Migration between two stand-alone hosts whose local disks read
    and write `disks_mib_s` [MiB/s], and the same move over the other link speed (10 Gbit/s
    when `link_gbps` is 1, else 1 Gbit/s) for the what-if.

    Returns
    -------
    dict
        vm, link, settings, result, what_if_link and what_if (`MigrationResult`).
    """
    vm = _guest_vm("app02", memory_gib=memory_gib, dirty_rate_mib_s=dirty_rate_mib_s,
                   disk_gib=disk_gib, read_mib_s=2 * guest_write_mib_s,
                   write_mib_s=guest_write_mib_s, storage="local")
    source = Storage(name="hv04-d", read_mib_s=float(disks_mib_s), write_mib_s=float(disks_mib_s),
                     iops=5000)
    target = Storage(name="hv05-d", read_mib_s=float(disks_mib_s), write_mib_s=float(disks_mib_s),
                     iops=5000)
    settings = settings_from(preset)
    link = link_from(link_gbps)
    other = link_from(10.0 if float(link_gbps) < 10 else 1.0)
    cap = _throttle(throttle_mib_s)
    return {"vm": vm, "link": link, "settings": settings,
            "result": _shared_nothing(vm, link, source, target, settings, copy_rate_cap_mib_s=cap),
            "what_if_link": other,
            "what_if": _shared_nothing(vm, other, source, target, settings,
                                       copy_rate_cap_mib_s=cap)}


def _phase_s(result, name: str) -> float:
    p = result.phases
    rows = p[p["phase"] == name]
    return float((rows["end_s"] - rows["start_s"]).sum())


def shared_nothing_readout(state: dict):
    r, w = state["result"], state["what_if"]
    values = {"total_s": r.total_s, "downtime_s": r.downtime_s,
              "storage_phase_s": _phase_s(r, "storage_copy"),
              "memory_phase_s": _phase_s(r, "memory"), "network_bytes": r.network_bytes,
              "converged": bool(r.converged), "what_if_total_s": w.total_s,
              "what_if_gbps": state["what_if_link"].gbps,
              "speedup": r.total_s / w.total_s if w.total_s else np.nan}
    share = values["storage_phase_s"] / r.total_s if r.total_s else np.nan
    rows = [
        ("total time", fmt_time(r.total_s)),
        ("storage copy phase", f"{fmt_time(values['storage_phase_s'])} ({share:.0%})"),
        ("memory phase", fmt_time(values["memory_phase_s"])),
        ("blackout", fmt_time(r.downtime_s), r.downtime_s > 1),
        ("sent over the network", fmt_bytes(r.network_bytes)),
        ("converged", "yes" if r.converged else "no: pass cap", not r.converged),
        (f"what if {values['what_if_gbps']:g} Gbit/s", f"{fmt_time(w.total_s)} "
                                                       f"({values['speedup']:.1f} x)"),
    ]
    return rows, list(r.notes), values


class SharedNothingExplorer(Explorer):
    """Shared Nothing Live Migration: storage first, then memory, over one link; the time by
    phase here and over the other link speed."""

    def __init__(self, *, disk_gib=30.0, memory_gib=6.0, dirty_rate_mib_s=20.0,
                 guest_write_mib_s=2.0, link_gbps=1.0, disks_mib_s=300.0, throttle_mib_s=0.0,
                 preset="WS2012", backend=None):
        controls = {
            "disk_gib": float_slider("virtual disk [GiB]", disk_gib, 5, 500, 5, ".0f"),
            "memory_gib": float_slider("memory [GiB]", memory_gib, 0.5, 64, 0.5),
            "dirty_rate_mib_s": float_slider("dirty rate [MiB/s]", dirty_rate_mib_s, 0, 300, 5,
                                             ".0f"),
            "guest_write_mib_s": float_slider("guest disk writes [MiB/s]", guest_write_mib_s, 0,
                                              50, 1, ".0f"),
            "link_gbps": dropdown("link", LINK_GBPS[:2], float(link_gbps)),
            "disks_mib_s": float_slider("host disks [MiB/s]", disks_mib_s, 50, 2000, 10, ".0f"),
            "throttle_mib_s": float_slider("copy throttle [MiB/s, 0 off]", throttle_mib_s, 0,
                                           500, 10, ".0f"),
            "preset": dropdown("Windows Server", list(PRESETS), preset),
        }
        super().__init__(controls, title="Shared Nothing Live Migration: storage, then memory",
                         backend=backend)

    def compute(self, **values):
        return shared_nothing_scenario(**values)

    def readout_for(self, state):
        return shared_nothing_readout(state)

    def build_figure(self, fig):
        fig.subplots_adjust(left=0.07, right=0.985, bottom=0.15, top=0.9, wspace=0.45)
        gs = fig.add_gridspec(1, 3)
        self.ax = fig.add_subplot(gs[0, :2])
        self.ax_phase = fig.add_subplot(gs[0, 2])
        self.panel = TimelinePanel(self.ax, [("network_mib_s", "network [MiB/s]",
                                              NETWORK_COLOUR),
                                             ("copy_mib_s", "storage copy [MiB/s]",
                                              STORAGE_COLOUR)],
                                   ylabel="throughput [MiB/s]")
        style_axes(self.ax_phase, "time [min]", "")
        self.ax_phase.set_title("time by phase")
        self.bars = RectPool(self.ax_phase, edgecolor="#555555", lw=0.4)
        self.ax_phase.set_ylim(2.7, -0.5)  # the legend sits below the two bars
        proxy_legend(self.ax_phase, [(p.replace("_", " "), PHASE_COLOURS.get(p, "#bbbbbb"))
                                     for p in SN_PHASES], loc="lower center", ncols=2,
                     fontsize=7.5)

    def draw(self, state):
        r, w = state["result"], state["what_if"]
        self.panel.update(r)
        self.ax.set_title(f"{state['link'].gbps:g} Gbit/s: {fmt_time(r.total_s)} "
                          f"(storage, then memory)")
        labels = [f"{state['link'].gbps:g} Gbit/s", f"what if\n{state['what_if_link'].gbps:g}"
                                                    " Gbit/s"]
        self.ax_phase.set_yticks([0, 1], labels)
        stacked_bars(self.bars, [[_phase_s(r, p) / 60 for p in SN_PHASES],
                                 [_phase_s(w, p) / 60 for p in SN_PHASES]],
                     [PHASE_COLOURS.get(p, "#bbbbbb") for p in SN_PHASES])


def shared_nothing_explorer(**kwargs) -> SharedNothingExplorer:
    """Shared Nothing Live Migration between two stand-alone hosts: disk and memory sizes, the
    dirty rate, the guest's disk writes (mirrored over the link), the link speed, the hosts'
    disks, a copy throttle and the preset. Figure: network and copy over time, and the time
    by phase next to the same move over the other link speed (1 or 10 Gbit/s).

    Returns
    -------
    SharedNothingExplorer
    """
    return SharedNothingExplorer(**kwargs)


# --------------------------------------------------------------------------------------------
# SMB Live Migration
def smb_scenario(*, memory_gib=8.0, dirty_rate_mib_s=40.0, disk_count=1, checkpoint_count=0,
                 link_gbps=10.0, nics=1, transport="tcpip", rdma=False, guest_read_mib_s=18.0,
                 guest_write_mib_s=12.0, same_network=False, continuously_available=True,
                 preset="WS2012R2") -> dict:
    """An SMB Live Migration of a VM whose files are on an SMB 3 share.

    The host holds `VM.open_files` handles on the share for it: one VHDX per virtual disk
    (`disk_count`), one AVHDX per disk and checkpoint (`checkpoint_count`), the configuration
    and the two saved-state files; the guest's own files are inside the VHDX and are not
    handles on the share. The guest reads `guest_read_mib_s` and writes `guest_write_mib_s`
    [MiB/s] on the share, over the migration link when `same_network` (links are full duplex:
    its reads come in, only its writes leave in the migration's direction), else over a
    separate 10 Gbit/s storage network. `continuously_available` is a share on an SMB 3
    file-server cluster or Scale-Out File Server (persistent handles); False is a stand-alone
    file server or NAS. The same VM with no handle moves is run for comparison.

    Returns
    -------
    dict
        vm, link, share, settings, result, no_files (`MigrationResult` with open_files=0).
    """
    reads, writes = float(guest_read_mib_s), float(guest_write_mib_s)
    vm = VM(name="web01", memory_gib=float(memory_gib), dirty_rate_mib_s=float(dirty_rate_mib_s),
            disk_read_mib_s=reads, disk_write_mib_s=writes,
            disk_iops=IOPS_PER_MIB_S * (reads + writes), storage="smb",
            disk_count=int(disk_count), checkpoint_count=int(checkpoint_count))
    link = link_from(link_gbps, nics, rdma)
    share_link = link if same_network else link_from(10.0)
    share = SmbShare(name="fs01", storage=Storage(name="fs01-array"), link=share_link,
                     continuously_available=bool(continuously_available))
    settings = settings_from(preset, transport=transport)
    kwargs = {"same_network": bool(same_network)}
    return {"vm": vm, "link": link, "share": share, "settings": settings,
            "result": _smb(vm, link, share, settings, **kwargs),
            "no_files": _smb(vm, link, share, settings, open_files=0, **kwargs)}


BLACKOUT_PARTS = {"final copy": NETWORK_COLOUR, "handles and locks": "#8856a7",
                  "resume": "#bdbdbd", "other": "#eeeeee"}


def stacked_bars(pool, rows, colours, height: float = 0.55) -> None:
    """Horizontal stacked bars, one per row of `rows` (segment lengths), drawn with `pool`;
    the x axis gets a round limit."""
    xs, ys, ws, cs = [], [], [], []
    for y, segments in enumerate(rows):
        left = 0.0
        for length, colour in zip(segments, colours):
            xs.append(left)
            ys.append(y - height / 2)
            ws.append(length)
            cs.append(colour)
            left += length
    ax = pool.ax
    total = max(sum(r) for r in rows)
    ax.set_xlim(0, nice_ceiling(total * 1.05, ax.get_xlim()[1]))
    pool.set(xs, ys, ws, height, cs)


def blackout_parts(result, settings) -> dict:
    """The blackout split into its parts [s]: the final copy of dirty pages and device state,
    the SMB handle and lock moves, the resume, and whatever else the model put in it."""
    p = result.passes
    final = p[p["blackout"]]
    copy = float((final["end_s"] - final["start_s"]).sum()) if len(final) else 0.0
    handles = float(result.details.get("handle_move_s", 0.0))
    resume = float(settings.resume_s)
    other = max(result.downtime_s - copy - handles - resume, 0.0)
    return {"final copy": copy, "handles and locks": handles, "resume": resume, "other": other}


def smb_readout(state: dict):
    r, none, vm = state["result"], state["no_files"], state["vm"]
    parts = blackout_parts(r, state["settings"])
    d = r.details
    persistent = bool(state["share"].continuously_available)
    values = {"total_s": r.total_s, "downtime_s": r.downtime_s,
              "handle_move_s": parts["handles and locks"],
              "extra_blackout_s": r.downtime_s - none.downtime_s,
              "network_bytes": r.network_bytes, "converged": bool(r.converged),
              "guest_latency_ms": float(d.get("guest_latency_ms", np.nan)),
              "open_files": int(d.get("open_files", vm.open_files)),
              "disk_count": vm.disk_count, "checkpoint_count": vm.checkpoint_count,
              "persistent_handles": persistent}
    rows = [
        ("total time", fmt_time(r.total_s)),
        ("blackout", fmt_time(r.downtime_s), r.downtime_s > 1),
        ("handles on the share", f"{values['open_files']} ({vm.disk_count} VHDX, "
                                 f"{vm.disk_count * vm.checkpoint_count} AVHDX, config, "
                                 "2 saved state)"),
        ("of which handles and locks", fmt_time(parts["handles and locks"])),
        ("of which the final copy", fmt_time(parts["final copy"])),
        ("sent over the network", fmt_bytes(r.network_bytes)),
        ("converged", "yes" if r.converged else "no: pass cap", not r.converged),
        ("guest I/O latency (share)", f"{values['guest_latency_ms']:,.1f} ms"),
        ("persistent handles", "yes (continuously available)" if persistent
         else "no: stand-alone server or NAS", not persistent),
    ]
    return rows, list(r.notes), values


class SmbExplorer(Explorer):
    """SMB Live Migration: the VM's files stay on an SMB 3 share; the blackout also moves the
    host's handles and locks on the share (its VHDX, AVHDX, configuration and saved-state
    files)."""

    def __init__(self, *, memory_gib=8.0, dirty_rate_mib_s=40.0, disk_count=1,
                 checkpoint_count=0, link_gbps=10.0, nics=1, transport="tcpip", rdma=False,
                 guest_read_mib_s=18.0, guest_write_mib_s=12.0, same_network=False,
                 continuously_available=True, preset="WS2012R2", backend=None):
        controls = {
            "memory_gib": float_slider("memory [GiB]", memory_gib, 0.5, 128, 0.5),
            "dirty_rate_mib_s": float_slider("dirty rate [MiB/s]", dirty_rate_mib_s, 0, 600, 5,
                                             ".0f"),
            "disk_count": int_slider("virtual disks (VHDX)", disk_count, 1, 16),
            "checkpoint_count": int_slider("checkpoints", checkpoint_count, 0, 50),
            "guest_read_mib_s": float_slider("guest reads from share [MiB/s]",
                                             guest_read_mib_s, 0, 500, 5, ".0f"),
            "guest_write_mib_s": float_slider("guest writes to share [MiB/s]",
                                              guest_write_mib_s, 0, 500, 5, ".0f"),
            "link_gbps": dropdown("link (per NIC)", LINK_GBPS, float(link_gbps)),
            "nics": int_slider("NICs", nics, 1, 4),
            "rdma": checkbox("RDMA (SMB Direct)", rdma),
            "same_network": checkbox("share on the migration link", same_network),
            "continuously_available": dropdown(
                "file server", [("SMB 3 cluster / SOFS", True),
                                ("stand-alone server or NAS", False)],
                bool(continuously_available)),
            "transport": dropdown("transport", transport_labels(preset), transport),
            # VMs on SMB 3 shares arrived in Windows Server 2012
            "preset": dropdown("Windows Server", [n for n in PRESETS if n != "WS2008R2"],
                               preset),
        }
        super().__init__(controls, title="SMB Live Migration: VM files on an SMB 3 share",
                         backend=backend)

    def _on_change(self, change):
        if change.owner is self.controls["preset"]:  # a version brings its transports
            self._hold += 1
            try:
                options = transport_labels(change.new)
                current = self.controls["transport"].value
                self.controls["transport"].options = options
                if current not in [v for _, v in options]:
                    self.controls["transport"].value = options[0][1]
            finally:
                self._hold -= 1
        super()._on_change(change)

    def compute(self, **values):
        return smb_scenario(**values)

    def readout_for(self, state):
        return smb_readout(state)

    def build_figure(self, fig):
        fig.subplots_adjust(left=0.07, right=0.985, bottom=0.15, top=0.9, wspace=0.5)
        gs = fig.add_gridspec(1, 3)
        self.ax = fig.add_subplot(gs[0, :2])
        self.ax_black = fig.add_subplot(gs[0, 2])
        self.panel = TimelinePanel(self.ax, [("network_mib_s", "migration [MiB/s]",
                                              NETWORK_COLOUR),
                                             ("guest_network_mib_s", "guest I/O to the share "
                                              "[MiB/s]", GUEST_COLOUR)],
                                   ylabel="network throughput [MiB/s]")
        style_axes(self.ax_black, "blackout [ms]", "")
        self.ax_black.set_title("what the blackout holds")
        self.bars = RectPool(self.ax_black, edgecolor="#555555", lw=0.4)
        self.ax_black.set_ylim(2.5, -0.5)  # the legend sits below the two bars
        proxy_legend(self.ax_black, list(BLACKOUT_PARTS.items()), loc="lower center", ncols=2,
                     fontsize=7.5)

    def draw(self, state):
        r, none = state["result"], state["no_files"]
        self.panel.update(r)
        self.ax.set_title(f"{state['vm'].memory_gib:g} GiB VM over {state['link'].gbps:g} "
                          f"Gbit/s x{state['link'].nics}: blackout {fmt_time(r.downtime_s)}")
        parts = [blackout_parts(r, state["settings"]), blackout_parts(none, state["settings"])]
        files = int(r.details.get("open_files", 0))
        self.ax_black.set_yticks([0, 1], [f"{files}\nhandles", "no handle\nmoves"])
        stacked_bars(self.bars, [[p[name] * 1000 for name in BLACKOUT_PARTS] for p in parts],
                     list(BLACKOUT_PARTS.values()))


def smb_explorer(**kwargs) -> SmbExplorer:
    """SMB Live Migration of a VM whose files live on an SMB 3 share: memory, dirty rate, its
    virtual disks and checkpoints (which decide the handles the host holds on the share:
    `VM.open_files`, shown in the readout), the guest's reads and writes on the share (on the
    migration link or a separate one), the file server (continuously available or not), the
    link, the transport and preset. Figure: the migration and the guest's share traffic over
    time, and the blackout split into final copy, handle and lock moves and resume, next to
    the same VM with no handle moves.

    Parameters
    ----------
    **kwargs
        Initial values: memory_gib [GiB], dirty_rate_mib_s [MiB/s], disk_count,
        checkpoint_count, link_gbps [Gbit/s per NIC], nics, transport, rdma,
        guest_read_mib_s, guest_write_mib_s [MiB/s], same_network, continuously_available,
        preset; backend.

    Returns
    -------
    SmbExplorer
    """
    return SmbExplorer(**kwargs)


__all__ = ["storage_migration_explorer", "shared_nothing_explorer", "smb_explorer",
           "storage_scenario", "shared_nothing_scenario", "smb_scenario", "blackout_parts"]
