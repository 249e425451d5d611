"""Figure pieces the explorers share, built once and updated in place: phase bands, a
rates-over-time panel with an optional guest-latency axis."""
from __future__ import annotations

import numpy as np

from hvlab.widgets._base import LATENCY_COLOUR, PHASE_COLOURS, style_axes


def clear(artists: list) -> None:
    """Remove `artists` from their axes and empty the list."""
    for artist in artists:
        artist.remove()
    artists.clear()


def draw_phases(ax, result, artists: list, min_width_frac: float = 0.006) -> None:
    """Shade the phases of `result` on `ax` (replacing `artists`); a blackout or switch too
    short to see is widened to `min_width_frac` of the time axis."""
    clear(artists)
    span = max(result.total_s, 1e-9)
    for row in result.phases.itertuples(index=False):
        width = row.end_s - row.start_s
        if width <= 0:
            continue
        start = row.start_s
        if row.phase in ("blackout", "switch") and width < min_width_frac * span:
            width = min_width_frac * span
            start = min(start, span - width)
        artists.append(ax.axvspan(start, start + width, lw=0, zorder=0, alpha=0.6,
                                  color=PHASE_COLOURS.get(row.phase, "#eeeeee")))


class TimelinePanel:
    """Rates over time from a result's piecewise-constant `timeline`, with phase bands, and
    optionally the guest's I/O latency on a second axis.

    Parameters
    ----------
    ax : matplotlib Axes
    series : list of (column, label, colour)
        Timeline columns to draw [MiB/s].
    latency : bool
        Add a right-hand axis with ``guest_latency_ms``.
    """

    def __init__(self, ax, series, *, latency: bool = False,
                 ylabel: str = "throughput [MiB/s]", xlabel: str = "time since start [s]"):
        self.ax = ax
        self.series = list(series)
        self.lines = {}
        for column, label, colour in self.series:
            (self.lines[column],) = ax.plot([], [], drawstyle="steps-post", color=colour, lw=1.7,
                                            label=label)
        style_axes(ax, xlabel, ylabel)
        self.bands: list = []
        self.lat_ax = None
        if latency:
            self.lat_ax = ax.twinx()
            (self.lat_line,) = self.lat_ax.plot([], [], drawstyle="steps-post",
                                                color=LATENCY_COLOUR, lw=1.3, ls="--",
                                                label="guest I/O latency [ms]")
            self.lat_ax.set_ylabel("guest I/O latency [ms]", color=LATENCY_COLOUR)
            self.lat_ax.tick_params(axis="y", colors=LATENCY_COLOUR)
            self.lat_ax.yaxis.set_major_locator(ax.yaxis.get_major_locator().__class__(5))
        handles = [self.lines[c] for c, _, _ in self.series]
        if latency:
            handles.append(self.lat_line)
        self.legend = ax.legend(handles=handles, loc="upper right", framealpha=0.9)

    def update(self, result, *, pad_s: float = 0.0, latency_before_ms: float | None = None,
               latency_after_ms: float | None = None) -> None:
        """Draw `result`. With `pad_s` > 0 the time axis runs from -pad_s to total_s + pad_s,
        the rates are 0 outside the move and the latency holds its before/after values there
        (so "worse before it gets better" shows on the time axis)."""
        tl = result.timeline
        t = tl.index.to_numpy(float)
        total = float(result.total_s)
        if pad_s > 0:
            t_pad = np.concatenate([[-pad_s], t, [total + pad_s]])
        top = 1.0
        for column, _, _ in self.series:
            values = tl[column].to_numpy(float) if column in tl else np.zeros_like(t)
            if pad_s > 0:
                self.lines[column].set_data(t_pad, np.concatenate([[0.0], values, [0.0]]))
            else:
                self.lines[column].set_data(t, values)
            if len(values):
                top = max(top, float(np.nanmax(values)))
        self.ax.set_xlim(-pad_s, max(total + pad_s, 1e-9))
        self.ax.set_ylim(0, top * 1.35)  # headroom for the legend
        draw_phases(self.ax, result, self.bands)
        if self.lat_ax is not None:
            lat = (tl["guest_latency_ms"].to_numpy(float) if "guest_latency_ms" in tl
                   else np.full_like(t, np.nan))
            lt = t
            if pad_s > 0:
                before = lat[0] if latency_before_ms is None else latency_before_ms
                after = lat[-1] if latency_after_ms is None else latency_after_ms
                lt = np.concatenate([[-pad_s], t, [total, total + pad_s]])
                lat = np.concatenate([[before], lat, [after, after]])
            self.lat_line.set_data(lt, lat)
            finite = lat[np.isfinite(lat)]
            self.lat_ax.set_ylim(0, (finite.max() if len(finite) else 1.0) * 1.35)
