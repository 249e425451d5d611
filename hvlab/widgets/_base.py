"""What every explorer shares: a figure redrawn in place, a readout with units, and an update
function that runs without a browser.

An explorer is an `ipywidgets.VBox` (controls and readout above, figure below) with a plain
Python interface for tests, benchmarks and notebook cells:

- ``explorer.controls``: the input widgets by parameter name;
- ``explorer.set(memory_gib=16, ...)``: change several inputs and update once;
- ``explorer.update()``: recompute from the controls and redraw (what a slider change calls);
- ``explorer.state``: what the last update computed (model results);
- ``explorer.values``: the readout's numbers, by name with the unit in the name;
- ``explorer.error``: the message shown when the inputs were refused (else None);
- ``explorer.png()``: the current figure as PNG bytes; ``explorer.timings_s``: update times.

Figures
-------
The figure is a `matplotlib.figure.Figure` made without pyplot (no global figure manager, no
auto-display). Two ways of showing it, chosen by ``backend=`` or the ``HVLAB_MPL_BACKEND``
environment variable:

- ``"inline"`` (default): the figure is rendered to PNG into an `ipywidgets.Image`, replaced in
  place on every update. Works headless (nbmake), in JupyterLab, in Voila and on Binder.
- ``"ipympl"``: an interactive ipympl canvas (zoom, pan). ipympl figures render blank in
  headless runs, so it is opt-in.

Each explorer keeps its artists and updates their data rather than drawing a new figure: with
few text objects and no layout engine an update costs one Agg draw and one PNG encode.
"""
from __future__ import annotations

import html
import io
import os
import time
from contextlib import contextmanager
from typing import Any, Callable, Mapping

import ipywidgets as widgets
import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, MaxNLocator, NullLocator

from hvlab.params import GIB, MIB
# colours shared with hvlab.plotting, so explorers and static figures agree
from hvlab.plotting import LATENCY_COLOUR, NETWORK_COLOUR, PHASE_COLOURS, STORAGE_COLOUR

BACKENDS = ("inline", "ipympl")
#: Figure resolution of the inline backend [dots per inch].
INLINE_DPI = 80
#: zlib level of the inline PNGs: 1 encodes ~3x faster than the default at ~5 % more bytes.
PNG_COMPRESS_LEVEL = 1

FONT = {"font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "xtick.labelsize": 9,
        "ytick.labelsize": 9, "legend.fontsize": 8.5}

BLACKOUT_COLOUR = "#de2d26"
QUICK_COLOUR = "#fd8d3c"


# --------------------------------------------------------------------------------------------
# formatting: every number with its unit
def fmt_time(seconds: float) -> str:
    """A duration in the unit a person would use: ms below 1 s, s below 2 min, then min and s."""
    if seconds != seconds:  # NaN
        return "n/a"
    if seconds < 1:
        return f"{seconds * 1000:,.0f} ms"
    if seconds < 120:
        return f"{seconds:,.1f} s"
    if seconds < 7200:
        minutes, rest = divmod(seconds, 60)
        return f"{minutes:,.0f} min {rest:02.0f} s"
    return f"{seconds / 3600:,.1f} h"


def fmt_bytes(nbytes: float) -> str:
    """Bytes as GiB (from 1 GiB) or MiB (binary units, as Hyper-V reports memory)."""
    if nbytes >= GIB:
        return f"{nbytes / GIB:,.2f} GiB"
    return f"{nbytes / MIB:,.1f} MiB"


def fmt_rate(mib_s: float) -> str:
    """A throughput [MiB/s]."""
    return f"{mib_s:,.0f} MiB/s"


def readout_html(rows, notes=(), error: str | None = None) -> str:
    """The readout as an HTML table: ``rows`` of (label, value text[, emphasis]) and plain-text
    notes below it. An error replaces the table."""
    if error:
        return (f'<div class="hvlab-error" style="color:#a50f15;max-width:34em">'
                f"<b>Not a valid scenario:</b> {html.escape(error)}</div>")
    cells = []
    for row in rows:
        label, value = row[0], row[1]
        style = ' style="color:#a50f15;font-weight:bold"' if len(row) > 2 and row[2] else ""
        cells.append(f"<tr><td style='padding:1px 10px 1px 0'>{html.escape(label)}</td>"
                     f"<td style='text-align:right'{style}>{html.escape(value)}</td></tr>")
    body = f"<table>{''.join(cells)}</table>"
    if notes:
        text = " ".join(n for n in notes if n)
        body += (f"<div style='max-width:34em;font-size:90%;color:#444;margin-top:4px'>"
                 f"{html.escape(text)}</div>")
    return body


# --------------------------------------------------------------------------------------------
# controls with consistent labels and behaviour
_STYLE = {"description_width": "11em"}
_LAYOUT = {"width": "25em"}


def float_slider(description: str, value: float, lo: float, hi: float, step: float,
                 fmt: str = ".1f") -> widgets.FloatSlider:
    """A slider that reports once on release (``continuous_update=False``)."""
    return widgets.FloatSlider(value=value, min=lo, max=hi, step=step, description=description,
                               readout_format=fmt, continuous_update=False, style=_STYLE,
                               layout=_LAYOUT)


def int_slider(description: str, value: int, lo: int, hi: int, step: int = 1) -> widgets.IntSlider:
    """An integer slider that reports once on release."""
    return widgets.IntSlider(value=value, min=lo, max=hi, step=step, description=description,
                             continuous_update=False, style=_STYLE, layout=_LAYOUT)


def dropdown(description: str, options, value) -> widgets.Dropdown:
    """A dropdown; `options` as for ipywidgets (values or (label, value) pairs)."""
    return widgets.Dropdown(options=options, value=value, description=description, style=_STYLE,
                            layout=_LAYOUT)


def checkbox(description: str, value: bool) -> widgets.Checkbox:
    return widgets.Checkbox(value=value, description=description, style=_STYLE, layout=_LAYOUT,
                            indent=True)


LINK_GBPS = [("1 Gbit/s", 1.0), ("10 Gbit/s", 10.0), ("40 Gbit/s", 40.0), ("56 Gbit/s", 56.0)]


# --------------------------------------------------------------------------------------------
class FigureView:
    """A matplotlib Figure shown in a widget and redrawn in place.

    Parameters
    ----------
    figsize : (float, float)
        Figure size [inches].
    backend : {"inline", "ipympl"}, optional
        Default: the ``HVLAB_MPL_BACKEND`` environment variable, else "inline".
    """

    def __init__(self, figsize=(10.0, 3.8), backend: str | None = None):
        backend = backend or os.environ.get("HVLAB_MPL_BACKEND", "").strip().lower() or "inline"
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))} (argument "
                             f"or HVLAB_MPL_BACKEND), got {backend!r}")
        self.backend = backend
        self._key = None
        self._background = None
        self._legends: list = []
        self.fast_draws = 0
        self.full_draws = 0
        with matplotlib.rc_context(FONT):
            self.figure = Figure(figsize=figsize, dpi=INLINE_DPI)
        if backend == "ipympl":
            from ipympl.backend_nbagg import Canvas, FigureManager

            canvas = Canvas(self.figure)
            self._manager = FigureManager(canvas, id(self.figure))
            canvas.header_visible = False
            canvas.toolbar_position = "right"
            self.widget = canvas
        else:
            FigureCanvasAgg(self.figure)
            self.widget = widgets.Image(format="png", layout={"max_width": "100%"})
            self.widget.add_class("hvlab-figure")

    def render(self) -> None:
        """Show the figure's current state."""
        if self.backend == "ipympl":
            self.figure.canvas.draw_idle()
        else:
            self.widget.value = self.png()

    def png(self) -> bytes:
        """The figure as PNG bytes, drawn now."""
        if self.backend == "ipympl":  # draw a copy with Agg, then give the figure back
            canvas = FigureCanvasAgg(self.figure)
            canvas.draw()
        else:
            canvas = self.figure.canvas
            self._draw(canvas)
        width, height = canvas.get_width_height()
        from PIL import Image

        image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buf = io.BytesIO()
        image.save(buf, format="png", compress_level=PNG_COMPRESS_LEVEL)
        if self.backend == "ipympl":
            self.figure.set_canvas(self.widget)
        return buf.getvalue()

    def _draw(self, canvas) -> None:
        """Draw the figure. When nothing but data changed since the last full draw (same axes
        limits, scales, ticks and labels: `layout_key`), restore the saved background (axes,
        ticks, labels, grid) and draw only the data artists on it: most of a full draw is
        laying out and rendering tick labels, which did not change."""
        key = layout_key(self.figure)
        if key == self._key and self._background is not None:
            canvas.restore_region(self._background)
            self.fast_draws += 1
        else:
            dynamic = dynamic_artists(self.figure)
            for artist in dynamic:
                artist.set_animated(True)
            try:
                canvas.draw()
            finally:  # a savefig later must draw everything
                for artist in dynamic:
                    artist.set_animated(False)
            self._background = canvas.copy_from_bbox(self.figure.bbox)
            # the legends as drawn on the bare axes, pasted back over the data below
            self._legends = [canvas.copy_from_bbox(ax.legend_.get_window_extent())
                             for ax in self.figure.axes
                             if ax.get_visible() and ax.legend_ is not None]
            self._key = key
            self.full_draws += 1
        for ax in self.figure.axes:
            if ax.get_visible():
                for artist in _axes_dynamic(ax):
                    ax.draw_artist(artist)
        for region in self._legends:  # legends stay on top of every axes' data
            canvas.restore_region(region)


def _axes_dynamic(ax) -> list:
    """The data artists of `ax` and its titles, in drawing order. Legends are drawn after
    every axes' data (their texts are part of `layout_key`)."""
    arts = [*ax.patches, *ax.collections, *ax.lines, *ax.images, *ax.texts]
    arts = [a for a in arts if a.get_visible()]
    arts.sort(key=lambda a: a.get_zorder())
    arts += [t for t in (ax.title, ax._left_title, ax._right_title) if t.get_text()]
    return arts


def dynamic_artists(fig) -> list:
    """Every artist `FigureView` redraws on an unchanged background."""
    return [a for ax in fig.axes for a in _axes_dynamic(ax)]


def _tick_labels(axis) -> tuple:
    formatter = axis.get_major_formatter()
    return tuple(getattr(formatter, "seq", ()) or ())


def layout_key(fig) -> tuple:
    """What the static part of a figure depends on: per axes its visibility, limits, scales,
    tick positions, fixed tick labels, axis labels and their colours."""
    parts: list = [tuple(fig.get_size_inches()), fig.dpi]
    for ax in fig.axes:
        parts.append((ax.get_visible(), ax.get_position().bounds, ax.get_xlim(), ax.get_ylim(),
                      ax.get_xscale(), ax.get_yscale(), tuple(ax.get_xticks()),
                      tuple(ax.get_yticks()), _tick_labels(ax.xaxis), _tick_labels(ax.yaxis),
                      ax.get_xlabel(), ax.get_ylabel(), str(ax.yaxis.label.get_color()),
                      tuple(t.get_text() for t in ax.legend_.get_texts())
                      if ax.legend_ is not None else ()))
    return tuple(parts)


def nice_ceiling(value: float, current: float | None = None, slack: float = 0.45) -> float:
    """A round axis limit >= `value` (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10**k). The
    `current` limit is kept while `value` lies between ``slack * current`` and it, so small
    changes leave the axes (and the figure's saved background) alone; past it, the new limit
    leaves a quarter more room."""
    import math

    if not value > 0 or not math.isfinite(value):
        return current if current and current > 0 else 1.0
    if current is not None and slack * current <= value <= current:
        return current
    if current is not None and value > current:
        value *= 1.25  # growing: leave room for the next few steps
    scale = 10 ** math.floor(math.log10(value))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * scale >= value * (1 - 1e-12):
            return m * scale
    return 10 * scale


def log_limits(lo: float, hi: float, current=None) -> tuple[float, float]:
    """Whole decades around [lo, hi] for a log axis; `current` kept while it still covers."""
    import math

    if current is not None and current[0] <= lo and hi <= current[1] \
            and hi >= current[1] / 1000 and lo <= current[0] * 1000:
        return current
    return 10 ** math.floor(math.log10(lo)), 10 ** math.ceil(math.log10(hi))


def style_axes(ax, xlabel: str, ylabel: str, nbins: int = 5) -> None:
    """Labels with units, a light grid, a few ticks and no minor ticks (each tick is several
    artists: on a log axis the minor ones doubled the draw time)."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if ax.get_xscale() == "linear":
        ax.xaxis.set_major_locator(MaxNLocator(nbins))
    if ax.get_yscale() == "linear":
        ax.yaxis.set_major_locator(MaxNLocator(nbins))
    else:
        ax.yaxis.set_major_locator(LogLocator(numticks=nbins + 1))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_minor_locator(NullLocator())


# --------------------------------------------------------------------------------------------
class Explorer(widgets.VBox):
    """Base class of the hvlab explorers (see the module docstring for the interface).

    Subclasses define `compute(**values) -> state`, `readout(state) -> (rows, notes, values)`,
    `build_figure(fig)` (create the artists once) and `draw(state)` (update them).

    Parameters
    ----------
    controls : mapping of str to ipywidgets widget
        The inputs, by the keyword `compute` takes.
    title : str
        A heading shown above the controls.
    figsize : (float, float)
        Figure size [inches].
    backend : str, optional
        "inline" or "ipympl" (see `FigureView`).
    run_button : bool
        Costly explorers update only when "Run" is pressed, not on every control change.
    """

    def __init__(self, controls: Mapping[str, widgets.Widget], *, title: str,
                 figsize=(10.0, 3.8), backend: str | None = None, run_button: bool = False,
                 extra: list | None = None):
        self.controls = dict(controls)
        self.view = FigureView(figsize, backend)
        self.figure = self.view.figure
        self.readout = widgets.HTML()
        self.readout.add_class("hvlab-readout")
        self.state: Any = None
        self.values: dict[str, Any] = {}
        self.error: str | None = None
        self.timings_s: list[float] = []
        self._hold = 0
        with matplotlib.rc_context(FONT):
            self.build_figure(self.figure)
        for name, control in self.controls.items():
            control.add_class(f"hvlab-control-{name}")  # a handle for browser tests and CSS
            control.observe(self._on_change, names="value")
        self.run_button = None
        box = list(self.controls.values())
        if run_button:
            self.run_button = widgets.Button(description="Run", button_style="primary",
                                             icon="play", tooltip="Run the model")
            self.run_button.on_click(lambda _: self.update())
            box.append(self.run_button)
        top = widgets.HBox([widgets.VBox(box), widgets.VBox([self.readout],
                                                             layout={"margin": "0 0 0 1em"})])
        header = widgets.HTML(f"<b style='font-size:110%'>{html.escape(title)}</b>")
        super().__init__([header, top, *(extra or []), self.view.widget])
        self.add_class("hvlab-explorer")
        self.update()

    # -- to be defined by each explorer ------------------------------------------------------
    def compute(self, **values):  # pragma: no cover - abstract
        raise NotImplementedError

    def readout_for(self, state) -> tuple[list, list, dict]:  # pragma: no cover - abstract
        raise NotImplementedError

    def build_figure(self, fig: Figure) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def draw(self, state) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- the plain interface ------------------------------------------------------------------
    def inputs(self) -> dict[str, Any]:
        """The controls' current values by name."""
        return {name: control.value for name, control in self.controls.items()}

    @contextmanager
    def hold(self):
        """Change several controls without an update per change; one update at the end."""
        self._hold += 1
        try:
            yield
        finally:
            self._hold -= 1
        if not self._hold:
            self.update()

    def set(self, **values):
        """Set controls by name and update once. Returns the new state.

        Raises
        ------
        KeyError
            For a name that is not one of `controls` (the message lists them).
        """
        unknown = set(values) - set(self.controls)
        if unknown:
            raise KeyError(f"{type(self).__name__} has no control {sorted(unknown)}; controls: "
                           f"{', '.join(self.controls)}")
        with self.hold():
            for name, value in values.items():
                self.controls[name].value = value
        return self.state

    def update(self):
        """Recompute from the controls, refresh the readout and redraw the figure in place.
        Inputs a parameter object refuses are reported in the readout, figure unchanged.
        Returns the new state (None after an error)."""
        started = time.perf_counter()
        try:
            state = self.compute(**self.inputs())
        except (ValueError, TypeError) as exc:
            self.error = str(exc)
            self.readout.value = readout_html([], error=self.error)
            self.timings_s.append(time.perf_counter() - started)
            return None
        self.error = None
        self.state = state
        rows, notes, values = self.readout_for(state)
        self.values = values
        self.readout.value = readout_html(rows, notes)
        with matplotlib.rc_context(FONT):
            self.draw(state)
        self.view.render()
        self.timings_s.append(time.perf_counter() - started)
        return state

    def png(self) -> bytes:
        """The figure as it is now, as PNG bytes."""
        return self.view.png()

    def save(self, path) -> None:
        """Save the figure (PNG, at twice the screen resolution)."""
        self.figure.savefig(path, dpi=2 * INLINE_DPI)

    def _on_change(self, change) -> None:
        if self._hold or self.run_button is not None:
            return
        self.update()


def link_from(gbps: float, nics: int = 1, rdma: bool = False):
    """A `Link` from control values."""
    from hvlab.params import Link

    return Link(gbps=float(gbps), nics=int(nics), rdma=bool(rdma))


def settings_from(preset_name: str, **changes):
    """A preset with some fields changed (`dataclasses.replace`)."""
    import dataclasses

    from hvlab.params import preset

    return dataclasses.replace(preset(preset_name), **changes) if changes else preset(preset_name)


Callback = Callable[[Any], None]
