"""Figure pieces the explorers share, built once and updated in place: phase bands, a
rates-over-time panel with an optional guest-latency axis."""
from __future__ import annotations

import numpy as np

from hvlab.widgets._base import LATENCY_COLOUR, PHASE_COLOURS, nice_ceiling, style_axes


def clear(artists: list) -> None:
    """Remove `artists` from their axes and empty the list."""
    for artist in artists:
        artist.remove()
    artists.clear()


class RectPool:
    """Rectangles on an axes, reused from update to update: moving a rectangle is cheap,
    adding one to an axes is not. Unused ones are hidden.

    Parameters
    ----------
    ax : matplotlib Axes
    span : bool
        Rectangles span the axes' height (x in data, y in axes fraction), like ``axvspan``.
    **style
        Rectangle properties shared by all (edgecolor, hatch, alpha, lw, zorder, ...).
    """

    def __init__(self, ax, *, span: bool = False, **style):
        self.ax, self.span, self.style = ax, span, style
        self.rects: list = []

    def set(self, x, y, width, height, color) -> None:
        """Show ``len(x)`` rectangles: lower-left corners (x, y), sizes, face colours (one or
        one each)."""
        from matplotlib.patches import Rectangle

        x, y, width, height = (np.atleast_1d(np.asarray(v, float)) for v in (x, y, width,
                                                                              height))
        n = len(x)
        y, width, height = (np.broadcast_to(v, n) for v in (y, width, height))
        colours = [color] * n if isinstance(color, str) else list(color)
        while len(self.rects) < n:
            transform = self.ax.get_xaxis_transform() if self.span else self.ax.transData
            rect = Rectangle((0, 0), 0, 0, transform=transform, **self.style)
            self.ax.add_patch(rect)
            self.rects.append(rect)
        for i, rect in enumerate(self.rects):
            if i < n:
                rect.set_bounds(x[i], y[i], width[i], height[i])
                rect.set_facecolor(colours[i])
                rect.set_visible(True)
            else:
                rect.set_visible(False)


def phase_pool(ax) -> RectPool:
    """A pool for `draw_phases`."""
    return RectPool(ax, span=True, lw=0, zorder=0, alpha=0.6)


def draw_phases(result, pool: RectPool, min_width_frac: float = 0.006) -> None:
    """Shade the phases of `result` with the rectangles of `pool`; a blackout or switch too
    short to see is widened to `min_width_frac` of the move."""
    span = max(result.total_s, 1e-9)
    xs, widths, colours = [], [], []
    for row in result.phases.itertuples(index=False):
        width = row.end_s - row.start_s
        if width <= 0:
            continue
        start = row.start_s
        if row.phase in ("blackout", "switch") and width < min_width_frac * span:
            width = min_width_frac * span
            start = min(start, span - width)
        xs.append(start)
        widths.append(width)
        colours.append(PHASE_COLOURS.get(row.phase, "#eeeeee"))
    pool.set(xs, 0.0, widths, 1.0, colours)


def proxy_legend(ax, entries, **kwargs):
    """A legend of coloured patches: entries of (label, colour[, hatch])."""
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=e[1], edgecolor="#555555", lw=0.4,
                     hatch=e[2] if len(e) > 2 else None, label=e[0]) for e in entries]
    return ax.legend(handles=handles, **kwargs)


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
        self.bands = phase_pool(ax)
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

    def update(self, result, *, pad_frac: float = 0.0, latency_before_ms: float | None = None,
               latency_after_ms: float | None = None) -> None:
        """Draw `result` on a round time axis. With `pad_frac` > 0 the axis also shows that
        fraction of it before the start and after the end, where the rates are 0 and the
        latency holds its before/after values ("worse before it gets better" on the time
        axis)."""
        tl = result.timeline
        t = tl.index.to_numpy(float)
        total = float(result.total_s)
        lo, hi = self.ax.get_xlim()
        span = nice_ceiling(total, (hi - lo) / (1 + 2 * pad_frac) if hi > lo else None)
        pad_s = pad_frac * span
        end = span + pad_s
        if pad_s > 0:
            t_pad = np.concatenate([[-pad_s], t, [end]])
        top = 1.0
        for column, _, _ in self.series:
            values = tl[column].to_numpy(float) if column in tl else np.zeros_like(t)
            if pad_s > 0:
                self.lines[column].set_data(t_pad, np.concatenate([[0.0], values, [0.0]]))
            else:
                self.lines[column].set_data(t, values)
            if len(values):
                top = max(top, float(np.nanmax(values)))
        self.ax.set_xlim(-pad_s, end)
        self.ax.set_ylim(0, nice_ceiling(top * 1.35, self.ax.get_ylim()[1]))  # legend room
        draw_phases(result, self.bands)
        if self.lat_ax is not None:
            lat = (tl["guest_latency_ms"].to_numpy(float) if "guest_latency_ms" in tl
                   else np.full_like(t, np.nan))
            lt = t
            if pad_s > 0:
                before = lat[0] if latency_before_ms is None else latency_before_ms
                after = lat[-1] if latency_after_ms is None else latency_after_ms
                lt = np.concatenate([[-pad_s], t, [total, end]])
                lat = np.concatenate([[before], lat, [after, after]])
            self.lat_line.set_data(lt, lat)
            finite = lat[np.isfinite(lat)]
            self.lat_ax.set_ylim(0, nice_ceiling((finite.max() if len(finite) else 1.0) * 1.35,
                                                 self.lat_ax.get_ylim()[1]))
