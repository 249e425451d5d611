"""Live Migration: memory pre-copy over the migration network.

Sequence (Microsoft's "Hyper-V Live Migration Overview & Architecture"; DOMAIN.md):

1. setup: connection to the destination, configuration sent, skeleton VM built (`setup_s`);
2. pass 1 copies all memory while the VM runs; each following pass copies the pages the guest
   dirtied during the previous pass (the "brownout");
3. after each pass, when at most `stop_copy_mib` is dirty or `max_passes` passes have run, the VM
   is paused: the remaining dirty pages and `state_mib` of device state are sent, the storage
   handle moves (`handle_move_s`), the VM resumes on the destination (`resume_s`). That pause is
   the blackout (`downtime_s`).

The pieces here (`transfer_plan`, `Dirtier`, `run_precopy`) are used by every model that moves
memory: SMB Live Migration, Shared Nothing Live Migration and host draining.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hvlab.models._des import FairSharePipe, new_environment
from hvlab.params import MIB, PAGE_BYTES, VM, Link, MigrationSettings
from hvlab.results import PASS_COLUMNS, MigrationResult
from hvlab.validate import check_seed, check_type

import salabim as sim


@dataclass(frozen=True)
class TransferPlan:
    """How fast memory can move for one migration, before any sharing.

    Attributes
    ----------
    link_capacity_bytes_s : float
        The link's payload capacity, all NICs, with this transport's framing [bytes/s].
    wire_cap_bytes_s : float
        Most one migration's flow may take of it (one NIC, or the compressor's output) [bytes/s].
    ratio : float
        Memory bytes per wire byte (the compression ratio, or 1).
    memory_rate_bytes_s : float
        Memory moved per second when the flow runs at its cap alone on the link [bytes/s].
    note : str
        Why the plan is what it is (e.g. compression fell back to TCP/IP).
    """

    link_capacity_bytes_s: float
    wire_cap_bytes_s: float
    ratio: float
    memory_rate_bytes_s: float
    note: str = ""


def transfer_plan(link: Link, settings: MigrationSettings) -> TransferPlan:
    """Work out the rates of a memory transfer for a link and settings (see `TransferPlan`)."""
    transport = settings.transport
    note = ""
    if transport == "smb":
        capacity = link.rdma_rate_bytes_s if link.rdma else link.rate_bytes_s
        cap = capacity  # SMB Multichannel: every NIC
        ratio = 1.0
    else:
        capacity = link.rate_bytes_s
        cap = capacity if settings.tcp_uses_all_nics else link.nic_rate_bytes_s
        ratio = 1.0
        if transport == "compression":
            compressor = settings.compressor_bytes_s
            if compressor > cap:  # compressing beats sending plain pages
                ratio = settings.compression_ratio
                cap = min(cap, compressor / ratio)
            else:
                note = (f"Compression fell back to TCP/IP: the spare CPU compresses only "
                        f"{compressor / MIB:.0f} MiB/s, less than the link carries plain "
                        f"({cap / MIB:.0f} MiB/s).")
    cap = min(cap, capacity)
    return TransferPlan(capacity, cap, ratio, cap * ratio, note)


class Dirtier:
    """The guest's memory writes: how much memory becomes dirty during an interval.

    Parameters
    ----------
    vm : VM
        Supplies `dirty_rate_mib_s` and the writable working set.
    model : str
        "linear": ``min(rate * t, working_set)`` (API.md's default, deterministic).
        "unique": uniformly random 4 KiB page writes at rate w pages/s over a working set of N
        pages; the distinct pages hit in t average ``N (1 - exp(-w t / N))`` and are drawn from
        the occupancy distribution (normal approximation with its exact mean and variance).
    rng : numpy.random.Generator
        Random stream for "unique".
    """

    def __init__(self, vm: VM, model: str, rng: np.random.Generator):
        self.rate_bytes_s = vm.dirty_rate_mib_s * MIB
        self.working_set_bytes = vm.working_set_bytes
        self.model = model
        self.rng = rng

    def dirtied_bytes(self, interval_s: float) -> float:
        """Memory dirty after `interval_s` seconds of guest writes, starting clean [bytes]."""
        if interval_s <= 0 or self.rate_bytes_s <= 0:
            return 0.0
        if self.model == "linear":
            return min(self.rate_bytes_s * interval_s, self.working_set_bytes)
        n_pages = self.working_set_bytes / PAGE_BYTES
        if n_pages < 1:
            return 0.0
        writes = self.rng.poisson(self.rate_bytes_s / PAGE_BYTES * interval_s)
        if writes == 0:
            return 0.0
        q = 1.0 - 1.0 / n_pages
        mean = n_pages * (1 - q**writes)
        var = (n_pages * (n_pages - 1) * (1 - 2 / n_pages) ** writes
               + n_pages * q**writes - n_pages**2 * q ** (2 * writes)) if n_pages > 1 else 0.0
        distinct = mean + math.sqrt(max(var, 0.0)) * self.rng.standard_normal()
        distinct = min(max(round(distinct), 1), writes, math.floor(n_pages))
        return float(distinct * PAGE_BYTES)


def run_precopy(component: sim.Component, vm: VM, pipe: FairSharePipe, plan: TransferPlan,
                settings: MigrationSettings, dirtier: Dirtier, log: dict, *,
                blackout_extra_s: float = 0.0, tag: str | None = None):
    """The memory phase and blackout, as a salabim process fragment: use
    ``yield from run_precopy(self, ...)`` inside a component's process.

    Fills `log` with: "passes" (list of rows), "memory_start_s", "blackout_start_s",
    "blackout_end_s", "converged", "wire_bytes". The blackout lasts the final copy plus
    `settings.handle_move_s`, `blackout_extra_s` (e.g. SMB handle moves) and `settings.resume_s`.
    """
    tag = vm.name if tag is None else tag
    env = component.env
    rows = log.setdefault("passes", [])
    log["memory_start_s"] = env.now()
    to_send = float(vm.memory_bytes)
    wire_total = 0.0
    number = 1
    while True:
        start = env.now()
        wire = to_send / plan.ratio
        yield from pipe.transfer(component, wire, cap=plan.wire_cap_bytes_s, tag=tag)
        wire_total += wire
        dirty = dirtier.dirtied_bytes(env.now() - start)
        rows.append((number, start, env.now(), to_send, dirty, wire, False))
        if dirty <= settings.stop_copy_mib * MIB:
            log["converged"] = True
            break
        if number >= settings.max_passes:
            log["converged"] = False
            break
        to_send = dirty
        number += 1
    # blackout: VM paused, last dirty pages plus device state
    log["blackout_start_s"] = start = env.now()
    final = dirty + vm.state_mib * MIB
    wire = final / plan.ratio
    yield from pipe.transfer(component, wire, cap=plan.wire_cap_bytes_s, tag=tag)
    wire_total += wire
    rows.append((number + 1, start, env.now(), final, 0.0, wire, True))
    yield component.hold(settings.handle_move_s + blackout_extra_s + settings.resume_s)
    log["blackout_end_s"] = env.now()
    log["wire_bytes"] = wire_total


def passes_frame(rows) -> pd.DataFrame:
    """The `passes` table from `run_precopy`'s rows."""
    columns = list(zip(*rows)) if rows else [()] * len(PASS_COLUMNS)
    dtypes = {"pass": np.int64, "blackout": bool}
    return pd.DataFrame({name: np.asarray(col, dtype=dtypes.get(name, np.float64))
                         for name, col in zip(PASS_COLUMNS, columns)})


def pipe_timeline(pipe: FairSharePipe, end_s: float, column: str = "network_mib_s",
                  start_s: float = 0.0) -> pd.DataFrame:
    """Piecewise-constant rate history of a pipe as a timeline frame [MiB/s], from `start_s`
    to `end_s` (a zero row closes it)."""
    times = [start_s] + [h[0] for h in pipe.history] + [end_s]
    rates = [0.0] + [h[1] / MIB for h in pipe.history] + [0.0]
    frame = pd.DataFrame({column: rates}, index=pd.Index(times, name="time_s"))
    return frame[~frame.index.duplicated(keep="last")]


def precopy_notes(vm: VM, plan: TransferPlan, settings: MigrationSettings, log: dict) -> tuple:
    """Plain-language notes on a pre-copy run (why it did or did not converge)."""
    notes = [plan.note] if plan.note else []
    rows = log["passes"]
    live = [r for r in rows if not r[6]]
    last_dirty = live[-1][4]
    rate = plan.memory_rate_bytes_s
    if log["converged"]:
        notes.append(f"Converged after {len(live)} pass(es): {last_dirty / MIB:.1f} MiB dirty, at "
                     f"most {settings.stop_copy_mib:g} MiB allowed.")
    else:
        ratio = vm.dirty_rate_mib_s * MIB / rate if rate else math.inf
        notes.append(
            f"Did not converge: after the {settings.max_passes}-pass cap {last_dirty / MIB:.1f} "
            f"MiB was still dirty (threshold {settings.stop_copy_mib:g} MiB). The guest dirties "
            f"{vm.dirty_rate_mib_s:g} MiB/s, {ratio:.0%} of the {rate / MIB:.0f} MiB/s memory "
            "transfer rate, so the passes stop shrinking; the VM was paused with that much left "
            "to send, which lengthens the blackout.")
    return tuple(notes)


def live_migration(vm: VM, link: Link, settings: MigrationSettings | None = None, *,
                   seed: int = 0) -> MigrationResult:
    """Simulate a Live Migration of `vm` over `link` (discrete-event, salabim).

    Parameters
    ----------
    vm : VM
        The VM; its memory, dirty rate, working set and device state matter here.
    link : Link
        The migration network.
    settings : MigrationSettings, optional
        Transport, pass cap, stop threshold, timings. Default `hvlab.WS2012`.
    seed : int
        Seed of the run's own random stream (used by ``dirty_model="unique"``).

    Returns
    -------
    MigrationResult
        kind "live"; `downtime_s` is the blackout; `network_bytes` are wire bytes.

    Examples
    --------
    >>> import hvlab as hv
    >>> r = hv.live_migration(hv.VM(memory_gib=8, dirty_rate_mib_s=40), hv.Link(gbps=1))
    >>> r.summary()[["total_s", "downtime_s", "passes", "converged"]]  # doctest: +SKIP
    """
    from hvlab.params import WS2012

    settings = WS2012 if settings is None else settings
    check_type("vm", vm, VM)
    check_type("link", link, Link)
    check_type("settings", settings, MigrationSettings)
    check_seed(seed)
    env = new_environment()
    plan = transfer_plan(link, settings)
    pipe = FairSharePipe(env, plan.link_capacity_bytes_s, name="link")
    dirtier = Dirtier(vm, settings.dirty_model, np.random.default_rng(seed))
    log: dict = {}

    class Migration(sim.Component):
        def process(self):
            yield self.hold(settings.setup_s)
            yield from run_precopy(self, vm, pipe, plan, settings, dirtier, log)

    Migration(env=env, name="migration")
    env.run()
    return _live_result("live", vm, settings, plan, pipe, log)


def precopy_phases(log: dict, start_s: float = 0.0) -> pd.DataFrame:
    """The setup / memory / blackout phase table of a `run_precopy` log, times measured from
    `start_s` [s]."""
    mem, black, end = (log[k] - start_s for k in ("memory_start_s", "blackout_start_s",
                                                  "blackout_end_s"))
    return pd.DataFrame({"phase": ["setup", "memory", "blackout"],
                         "start_s": [0.0, mem, black], "end_s": [mem, black, end]})


def pass_and_blackout(passes: pd.DataFrame, times, blackout_start_s: float,
                      end_s: float) -> dict:
    """Timeline columns `pass` (the pass running at each time, 0 before the first) and
    `blackout` (bool) for change-point times [s]."""
    times = np.asarray(times, dtype=float)
    return {"pass": np.searchsorted(passes["start_s"].to_numpy(), times, "right").astype("int64"),
            "blackout": (times >= blackout_start_s) & (times < end_s)}


def _live_result(kind: str, vm: VM, settings: MigrationSettings, plan: TransferPlan,
                 pipe: FairSharePipe, log: dict, extra_notes: tuple = (),
                 details: dict | None = None) -> MigrationResult:
    end = log["blackout_end_s"]
    phases = precopy_phases(log)
    passes = passes_frame(log["passes"])
    timeline = pipe_timeline(pipe, end)
    for column, values in pass_and_blackout(passes, timeline.index, log["blackout_start_s"],
                                            end).items():
        timeline[column] = values
    return MigrationResult(
        kind=kind, total_s=end, downtime_s=end - log["blackout_start_s"],
        network_bytes=int(round(log["wire_bytes"])), storage_read_bytes=0,
        storage_write_bytes=0, converged=log["converged"], passes=passes, phases=phases,
        timeline=timeline, vm_name=vm.name, transport=settings.transport,
        details={"memory_rate_mib_s": plan.memory_rate_bytes_s / MIB, **(details or {})},
        notes=precopy_notes(vm, plan, settings, log) + tuple(extra_notes))
