"""Explorer for a Windows performance log: pick a counter (its meaning and unit shown), see the
migrations `find_migrations` found in the log, and zoom to one of them. Plus a loader that takes
a file a student uploads, or a sample log when nothing was uploaded.
"""
from __future__ import annotations

import io

import ipywidgets as widgets
import matplotlib.dates as mdates
import numpy as np
import pandas as pd

from hvlab.params import MIB
from hvlab.perflog import vocabulary
from hvlab.widgets._base import (BLACKOUT_COLOUR, NETWORK_COLOUR, PHASE_COLOURS, Explorer,
                                 dropdown, fmt_bytes, fmt_time, style_axes)

#: Most points drawn per counter: longer series are reduced to block maxima (peaks survive).
MAX_POINTS = 4000
PREFERRED = (vocabulary.TCP_SENT, vocabulary.NIC_SENT, vocabulary.DISK_READ,
             vocabulary.READ_BYTES)
"""Counters shown first when a log is opened, in order of preference."""
SECOND_COLOUR = "#fd8d3c"


def log_upload() -> widgets.FileUpload:
    """A FileUpload for one performance log (PDH-CSV/TSV or a Get-Counter export)."""
    return widgets.FileUpload(accept=".csv,.tsv,.txt,.blg", multiple=False,
                              description="Upload a log")


def uploaded_log(upload: widgets.FileUpload | None, default=None, **read_kwargs):
    """Read the file in `upload`, or `default` (a path) when nothing was uploaded.

    Returns
    -------
    (DataFrame, dict)
        As `hvlab.read_perflog`; the metadata's ``name`` says which file it was.

    Raises
    ------
    ValueError
        Nothing uploaded and no default given.
    """
    from hvlab.perflog import read_perflog

    files = list(upload.value) if upload is not None else []
    if files:
        item = files[0]
        name = item["name"]
        df, meta = read_perflog(io.BytesIO(bytes(item["content"])), **read_kwargs)
    elif default is not None:
        name = str(default)
        df, meta = read_perflog(default, **read_kwargs)
    else:
        raise ValueError("no log uploaded and no default path given: upload a PDH-CSV file or "
                         "pass default='path/to/log.csv'")
    meta = dict(meta)
    meta.setdefault("name", name)
    return df, meta


def _label(column) -> str:
    from hvlab.perflog import label

    try:
        return label(column, host=True)
    except (TypeError, KeyError, ValueError):
        return " | ".join(map(str, column)) if isinstance(column, tuple) else str(column)


def _meaning(column) -> tuple[str, str]:
    from hvlab.perflog import describe

    try:
        info = describe(column)
    except (KeyError, TypeError, ValueError):
        return "not in hvlab's counter catalogue (a localised or uncommon counter)", ""
    return info.meaning, info.unit


def _display_unit(unit: str) -> tuple[float, str]:
    """(divide by, shown unit): byte counters are shown in binary MiB."""
    if unit == "bytes/s":
        return float(MIB), "MiB/s"
    if unit == "bytes":
        return float(MIB), "MiB"
    return 1.0, unit


def _axis_label(column) -> str:
    name = _label(column)
    _, unit = _meaning(column)
    factor, shown = _display_unit(unit)
    if factor != 1.0 and name.endswith(f"[{unit}]"):
        name = name[: -len(unit) - 2] + f"[{shown}]"
    return name


def _numeric_columns(df: pd.DataFrame) -> list:
    return [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c].dtype)
            and df[c].notna().any()]


def _default_column(columns: list):
    for wanted in PREFERRED:
        for c in columns:
            if isinstance(c, tuple) and str(c[-1]).lower() == wanted.lower():
                return c
    return columns[0]


def _reduce(x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS):
    """Block maxima of `y` (NaN-aware) so at most `max_points` points are drawn."""
    if len(y) <= max_points:
        return x, y
    block = int(np.ceil(len(y) / max_points))
    n = len(y) // block * block
    yb = y[:n].reshape(-1, block)
    with np.errstate(all="ignore"):
        peaks = np.where(np.isnan(yb).all(axis=1), np.nan,
                         np.nanmax(np.where(np.isnan(yb), -np.inf, yb), axis=1))
    return x[:n:block], peaks


def _wall_clock(index: pd.DatetimeIndex) -> np.ndarray:
    """Matplotlib date numbers of the log's local wall-clock times."""
    naive = index.tz_localize(None) if index.tz is not None else index
    return mdates.date2num(naive.to_numpy(dtype="datetime64[ns]"))


def _naive(t) -> pd.Timestamp:
    t = pd.Timestamp(t)
    return t.tz_localize(None) if t.tzinfo is not None else t


def _num(t) -> float:
    """Matplotlib date number of a time (local wall clock, nanoseconds kept)."""
    return float(mdates.date2num(np.datetime64(_naive(t).to_datetime64())))


class PerfLogExplorer(Explorer):
    """A performance log: a counter over time with the migrations found in it shaded, a second
    counter on the right, and a zoom to one migration."""

    def __init__(self, df: pd.DataFrame, migrations: pd.DataFrame | None = None, *,
                 counter=None, second=None, backend=None):
        from hvlab.perflog import find_migrations

        if not isinstance(df, pd.DataFrame) or not isinstance(df.index, pd.DatetimeIndex):
            raise TypeError("df must be a performance-log frame from hv.read_perflog (a "
                            "DataFrame with a DatetimeIndex), got "
                            f"{type(df).__name__}")
        columns = _numeric_columns(df)
        if not columns:
            raise ValueError("the log has no numeric counter with a value: nothing to plot")
        self.df = df
        self.migrations = find_migrations(df) if migrations is None else migrations
        self.dates = _wall_clock(df.index)
        self._columns = columns
        options = [(_label(c), i) for i, c in enumerate(columns)]
        first = columns.index(counter) if counter in columns else columns.index(
            _default_column(columns))
        second_index = columns.index(second) if second in columns else -1
        moves = [("whole log", -1)] + [
            (f"{row.vm if isinstance(row.vm, str) else row.instance} at "
             f"{_naive(row.start):%H:%M:%S} ({fmt_time(row.duration_s)})", i)
            for i, row in enumerate(self.migrations.itertuples(index=False))]
        controls = {
            "counter": dropdown("counter", options, first),
            "second": dropdown("right axis", [("(none)", -1)] + options, second_index),
            "migration": dropdown("zoom to", moves, -1),
        }
        for control in controls.values():
            control.layout.width = "42em"
        super().__init__(controls, title="Performance log", figsize=(10.0, 3.8),
                         backend=backend)

    def compute(self, *, counter, second, migration):
        col = self._columns[counter]
        window = None
        row = None
        if migration >= 0:
            row = self.migrations.iloc[migration]
            pad = pd.Timedelta(seconds=max(float(row["duration_s"]) * 0.15, 10.0))
            window = (_naive(row["start"]) - pad, _naive(row["end"]) + pad)
        return {"column": col, "second": self._columns[second] if second >= 0 else None,
                "window": window, "migration": row}

    def readout_for(self, state):
        col = state["column"]
        values_all = self.df[col].to_numpy(float)
        mask = np.ones(len(values_all), bool)
        if state["window"] is not None:
            lo, hi = (_num(t) for t in state["window"])
            mask = (self.dates >= lo) & (self.dates <= hi)
        meaning, unit = _meaning(col)
        factor, unit = _display_unit(unit)
        shown = values_all[mask] / factor
        finite = shown[np.isfinite(shown)]
        values = {"counter": _axis_label(col), "unit": unit, "meaning": meaning,
                  "samples": int(mask.sum()), "missing": int((~np.isfinite(shown)).sum()),
                  "mean": float(finite.mean()) if len(finite) else np.nan,
                  "max": float(finite.max()) if len(finite) else np.nan,
                  "migrations_found": len(self.migrations)}
        u = f" {unit}" if unit else ""
        rows = [("counter", values["counter"]), ("means", meaning),
                ("samples shown (missing)", f"{values['samples']:,} ({values['missing']:,})"),
                ("mean / max", f"{values['mean']:,.4g} / {values['max']:,.4g}{u}"),
                ("migrations in the log", str(values["migrations_found"]))]
        row = state["migration"]
        if row is not None:
            blackout = row.get("blackout_s", np.nan)
            values.update({"duration_s": float(row["duration_s"]),
                           "blackout_s": float(blackout) if pd.notna(blackout) else np.nan,
                           "network_bytes": int(row["network_bytes"])})
            rows += [("migration", f"{row.get('vm')} from {row.get('host')} to "
                                   f"{row.get('destination')}"),
                     ("duration", fmt_time(values["duration_s"])),
                     ("blackout", fmt_time(values["blackout_s"])
                      if np.isfinite(values["blackout_s"]) else "not seen"),
                     ("sent over the network", fmt_bytes(values["network_bytes"]))]
        return rows, [], values

    def build_figure(self, fig):
        fig.subplots_adjust(left=0.08, right=0.92, bottom=0.15, top=0.9)
        self.ax = fig.add_subplot(1, 1, 1)
        (self.line,) = self.ax.plot([], [], color=NETWORK_COLOUR, lw=1.2)
        self.ax2 = self.ax.twinx()
        (self.line2,) = self.ax2.plot([], [], color=SECOND_COLOUR, lw=1.0)
        style_axes(self.ax, "local time", "")
        self.ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=7))
        self.ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S"))
        self.spans: list = []
        for row in self.migrations.itertuples(index=False):
            start, end = _num(row.start), _num(row.end)
            self.spans.append(self.ax.axvspan(start, end, color=PHASE_COLOURS["memory"],
                                              alpha=0.5, lw=0, zorder=0))
            b = getattr(row, "blackout_start", None)
            if b is not None and pd.notna(b):
                bs = _num(b)
                width = max(float(getattr(row, "blackout_s", 0) or 0) / 86400, (end - start) / 200)
                self.spans.append(self.ax.axvspan(bs, bs + width, color=BLACKOUT_COLOUR,
                                                  alpha=0.7, lw=0, zorder=0))

    def _series(self, col, mask):
        factor, _ = _display_unit(_meaning(col)[1])
        y = self.df[col].to_numpy(float)[mask] / factor
        return _reduce(self.dates[mask], y)

    def draw(self, state):
        mask = np.ones(len(self.dates), bool)
        if state["window"] is not None:
            lo, hi = (_num(t) for t in state["window"])
            mask = (self.dates >= lo) & (self.dates <= hi)
        x, y = self._series(state["column"], mask)
        self.line.set_data(x, y)
        self.ax.set_ylabel(_wrap(_axis_label(state["column"])), color=NETWORK_COLOUR)
        finite = y[np.isfinite(y)]
        top = finite.max() if len(finite) else 1.0
        bottom = min(0.0, finite.min()) if len(finite) else 0.0
        self.ax.set_ylim(bottom, top * 1.1 if top > 0 else 1.0)
        if len(x):
            self.ax.set_xlim(x[0], x[-1] if x[-1] > x[0] else x[0] + 1 / 86400)
        if state["second"] is not None:
            x2, y2 = self._series(state["second"], mask)
            self.line2.set_data(x2, y2)
            self.line2.set_visible(True)
            self.ax2.set_visible(True)
            self.ax2.set_ylabel(_wrap(_axis_label(state["second"])), color=SECOND_COLOUR)
            f2 = y2[np.isfinite(y2)]
            self.ax2.set_ylim(min(0.0, f2.min()) if len(f2) else 0,
                              (f2.max() * 1.1 if len(f2) and f2.max() > 0 else 1.0))
        else:
            self.line2.set_visible(False)
            self.ax2.set_visible(False)
        name = state["column"][-1] if isinstance(state["column"], tuple) else state["column"]
        where = "one migration" if state["window"] is not None else "the whole log"
        self.ax.set_title(f"{name}: {where} (migrations shaded, blackouts red)")


def _wrap(text: str, width: int = 38) -> str:
    if len(text) <= width:
        return text
    cut = text.rfind(" ", 0, width)
    cut = cut if cut > 0 else width
    return text[:cut] + "\n" + text[cut:].strip()


def perflog_explorer(df: pd.DataFrame, migrations: pd.DataFrame | None = None,
                     **kwargs) -> PerfLogExplorer:
    """Explore a performance log read by `hvlab.read_perflog`: pick a counter (its meaning and
    unit are shown from the counter catalogue) and a second one for the right axis, see the
    migrations `hvlab.find_migrations` found (shaded, blackouts in red) and zoom to one.

    Parameters
    ----------
    df : pandas.DataFrame
        The log.
    migrations : pandas.DataFrame, optional
        ``find_migrations(df)``, when already computed.
    **kwargs
        counter, second (column keys to start with); backend.

    Returns
    -------
    PerfLogExplorer
    """
    return PerfLogExplorer(df, migrations, **kwargs)


__all__ = ["perflog_explorer", "log_upload", "uploaded_log", "PerfLogExplorer"]
