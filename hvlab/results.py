"""Result objects returned by the models: frozen dataclasses of plain numbers and DataFrames.

No salabim object leaves a model: a result can be pickled, compared, and plotted without running
anything again.

Results are data and sit below everything that draws or writes them. `plot()` and
`to_perflog()` are conveniences that call into higher layers (`hvlab.plotting`,
`hvlab.perflog.simulate`); like pandas' ``DataFrame.plot`` finding its plotting backend, they
look those modules up when called (`_call_layer_above`), so this module imports neither and no
import cycle exists.
"""
from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

PASS_COLUMNS = ["pass", "start_s", "end_s", "sent_bytes", "dirty_bytes_after", "wire_bytes",
                "blackout"]
PHASE_COLUMNS = ["phase", "start_s", "end_s"]


def empty_passes() -> pd.DataFrame:
    """An empty `passes` table with the documented columns."""
    dtypes = {"pass": "int64", "blackout": "bool"}
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "float64")) for c in PASS_COLUMNS})


def passes_frame(rows, start_s: float = 0.0) -> pd.DataFrame:
    """The `passes` table from pass rows (number, start_s, end_s, sent_bytes,
    dirty_bytes_after, wire_bytes, blackout), times made relative to `start_s` [s]. Built
    column-wise: a drain builds thousands."""
    arr = np.array(rows, dtype=float).reshape(-1, len(PASS_COLUMNS))
    return pd.DataFrame({
        "pass": arr[:, 0].astype("int64"),
        "start_s": arr[:, 1] - start_s,
        "end_s": arr[:, 2] - start_s,
        "sent_bytes": arr[:, 3],
        "dirty_bytes_after": arr[:, 4],
        "wire_bytes": arr[:, 5],
        "blackout": arr[:, 6].astype(bool),
    })


def _call_layer_above(module: str, function: str, *args, **kwargs):
    """Call `module.function` from a layer above the results (plotting, log writing), found
    when called so that this module does not depend on it."""
    return getattr(importlib.import_module(module), function)(*args, **kwargs)


@dataclass(frozen=True, kw_only=True, eq=False)
class MigrationResult:
    """What one simulated (or computed) migration did.

    Attributes
    ----------
    kind : str
        "live", "quick", "smb_live", "storage" or "shared_nothing".
    total_s : float
        From the start of the move to the VM running on the destination [s].
    downtime_s : float
        The blackout: how long the VM was paused [s].
    network_bytes : int
        Bytes the migration sent over links (wire bytes: compressed where compressed) [bytes].
    storage_read_bytes : int
        Bytes the migration read from storage (copy reads from the source) [bytes].
    storage_write_bytes : int
        Bytes the migration wrote to storage (copy writes plus mirrored guest writes) [bytes].
    converged : bool
        False when the pre-copy stopped on the pass cap rather than on the stop threshold.
    passes : pandas.DataFrame
        One row per memory pass: pass, start_s, end_s, sent_bytes (memory bytes sent, before
        compression), dirty_bytes_after, wire_bytes (after compression), blackout (bool). The
        blackout copy is the last row, with blackout True.
    phases : pandas.DataFrame
        phase, start_s, end_s: setup, memory, blackout, storage_copy, save, restore, ...
    timeline : pandas.DataFrame
        Piecewise-constant rates, indexed by time_s: each row holds from its time until the
        next row's. Columns include network_mib_s (wire) and, where storage is involved,
        storage_mib_s and guest_latency_ms.
    vm_name : str
        The VM's name.
    transport : str
        The memory transport used ("tcpip", "compression", "smb"; "" where none).
    details : Mapping
        Further summary values for this kind (e.g. guest latency percentiles [ms]).
    notes : tuple of str
        Plain-language explanations (e.g. why the pre-copy did not converge).
    """

    kind: str
    total_s: float
    downtime_s: float
    network_bytes: int
    storage_read_bytes: int
    storage_write_bytes: int
    converged: bool
    passes: pd.DataFrame = field(default_factory=empty_passes, repr=False)
    phases: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PHASE_COLUMNS),
                                 repr=False)
    timeline: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    vm_name: str = ""
    transport: str = ""
    details: Mapping[str, Any] = field(default_factory=dict, repr=False)
    notes: tuple[str, ...] = ()

    @property
    def n_passes(self) -> int:
        """Live pre-copy passes run (the blackout copy not counted)."""
        if self.passes.empty:
            return 0
        if "blackout" in self.passes:
            return int((~self.passes["blackout"].astype(bool)).sum())
        return len(self.passes)

    def summary(self) -> pd.Series:
        """The key numbers as a Series (sizes in bytes, times in seconds), plus `details` and an
        `explanation` sentence."""
        data = {
            "kind": self.kind,
            "vm": self.vm_name,
            "transport": self.transport,
            "total_s": float(self.total_s),
            "downtime_s": float(self.downtime_s),
            "network_bytes": int(self.network_bytes),
            "storage_read_bytes": int(self.storage_read_bytes),
            "storage_write_bytes": int(self.storage_write_bytes),
            "converged": bool(self.converged),
            "passes": self.n_passes,
        }
        data.update(self.details)
        data["explanation"] = " ".join(self.notes)
        return pd.Series(data, name=self.vm_name or self.kind, dtype=object)

    def plot(self, ax=None):
        """Phases as bands, network MiB/s over time, bytes per pass. Returns the main Axes."""
        return _call_layer_above("hvlab.plotting", "plot_migration", self, ax=ax)

    def to_perflog(self, path, host: str = "HV01", start=None, interval_s: float = 1.0, **kwargs):
        """Write the PDH-CSV performance log a Hyper-V host would have recorded during this
        migration (see `hvlab.perflog.simulate`)."""
        return _call_layer_above("hvlab.perflog.simulate", "result_to_perflog", self, path,
                                 host=host, start=start, interval_s=interval_s, **kwargs)

    def _repr_html_(self) -> str:
        return self.summary().to_frame().to_html()


@dataclass(frozen=True, kw_only=True, eq=False)
class DrainResult:
    """What draining a host (moving every VM off it) did.

    Attributes
    ----------
    total_s : float
        From the first migration's start to the last one's end [s].
    migrations : pandas.DataFrame
        One row per VM: vm, kind, queued_s, start_s, end_s, downtime_s, network_bytes,
        converged (and more columns).
    timeline : pandas.DataFrame
        Indexed by time_s (piecewise constant): active_migrations, network_mib_s.
    results : tuple of MigrationResult
        Each VM's own result, in the order of `migrations`.
    """

    total_s: float
    migrations: pd.DataFrame
    timeline: pd.DataFrame
    results: tuple = ()
    notes: tuple[str, ...] = ()

    def summary(self) -> pd.Series:
        """Drain totals: VMs, total_s, total downtime, bytes, VMs that did not converge."""
        m = self.migrations
        data = {
            "vms": len(m),
            "total_s": float(self.total_s),
            "downtime_total_s": float(m["downtime_s"].sum()) if len(m) else 0.0,
            "downtime_max_s": float(m["downtime_s"].max()) if len(m) else 0.0,
            "network_bytes": int(m["network_bytes"].sum()) if len(m) else 0,
            "not_converged": int((~m["converged"].astype(bool)).sum()) if len(m) else 0,
            "peak_active_migrations": int(self.timeline["active_migrations"].max())
            if len(self.timeline) else 0,
        }
        data["explanation"] = " ".join(self.notes)
        return pd.Series(data, name="drain", dtype=object)

    def plot(self, ax=None):
        """Gantt chart of the migrations with queueing, over the network rate. Returns Axes."""
        return _call_layer_above("hvlab.plotting", "plot_drain", self, ax=ax)

    def to_perflog(self, path, host: str = "HV01", start=None, interval_s: float = 1.0,
                   **kwargs):
        """Write the PDH-CSV log the drained host would have recorded: every migration's Live
        Migration, network and storage counters (see `hvlab.perflog.simulate.drain_to_perflog`;
        `multihost_drain_to_perflog` writes the destinations' counters too)."""
        return _call_layer_above("hvlab.perflog.simulate", "drain_to_perflog", self, path,
                                 host=host, start=start, interval_s=interval_s, **kwargs)


_LAZY_FIELDS = ("passes", "phases", "timeline", "details", "notes")


def _lazy_field(name: str) -> property:
    def get(self):
        d = self.__dict__
        if name in d["_lazy_values"]:
            return d["_lazy_values"][name]
        full = d.pop("_make")()  # build every frame of this result at once
        for n in _LAZY_FIELDS:
            d["_lazy_values"].setdefault(n, getattr(full, n))
        return d["_lazy_values"][name]

    def put(self, value):  # the frozen dataclass __init__ stores through here
        if value is not None:
            self.__dict__.setdefault("_lazy_values", {})[name] = value

    return property(get, put, doc=f"{name} (built on first use)")


def _plain_result(fields: dict) -> MigrationResult:
    return MigrationResult(**fields)


class LazyMigrationResult(MigrationResult):
    """A `MigrationResult` whose passes, phases, timeline, details and notes are built the
    first time one of them is read. A drain of thousands of VMs then does not pay for
    thousands of DataFrames nobody looks at; it behaves as a plain MigrationResult in every
    other way (and pickles as one)."""

    passes = _lazy_field("passes")
    phases = _lazy_field("phases")
    timeline = _lazy_field("timeline")
    details = _lazy_field("details")
    notes = _lazy_field("notes")

    def __init__(self, *args, _make=None, **fields):
        self.__dict__["_lazy_values"] = {}
        if _make is not None:
            self.__dict__["_make"] = _make
            for n in _LAZY_FIELDS:
                fields.setdefault(n, None)
        super().__init__(*args, **fields)

    def __reduce__(self):
        names = [f.name for f in dataclasses.fields(MigrationResult)]
        return (_plain_result, ({n: getattr(self, n) for n in names},))


__all__ = ["MigrationResult", "DrainResult", "LazyMigrationResult", "PASS_COLUMNS",
           "PHASE_COLUMNS", "empty_passes", "passes_frame"]
