"""What the `hvlab` commands print and save: a result's summary as a two-column table, and its
figure."""
from __future__ import annotations

__all__ = ["print_summary", "save_plot"]


def print_summary(summary, file=None) -> None:
    """Print a summary Series as an aligned two-column table, sizes in readable units.

    Parameters
    ----------
    summary : pandas.Series
        ``result.summary()``; an ``explanation`` entry is printed last, as a paragraph.
    file : file-like, optional
        Where to print (default: standard output).
    """
    width = max(len(str(k)) for k in summary.index)
    for key, value in summary.items():
        if key == "explanation":
            continue
        if isinstance(value, float):
            text = f"{value:,.3f}"
        elif isinstance(value, (int,)) and not isinstance(value, bool) and key.endswith("_bytes"):
            text = f"{value:,} ({value / 2**30:,.2f} GiB)"
        else:
            text = str(value)
        print(f"{key:<{width}}  {text}", file=file)
    if summary.get("explanation"):
        print(f"\n{summary['explanation']}", file=file)


def save_plot(result, path: str) -> None:
    """Save ``result.plot()``'s figure to `path` (PNG, SVG or PDF by its extension)."""
    import matplotlib

    matplotlib.use("Agg")
    ax = result.plot()
    ax.figure.savefig(path, dpi=110)
    print(f"figure written to {path}")
