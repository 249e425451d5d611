"""Save a PNG of every explorer's default state into benchmarks/figures/ (``make figures``),
to check the look by eye: titles, axes with units, readable fonts, legends clear of the data.

Each explorer is drawn twice: as the widget shows it (its own fast redraw, screen resolution)
and with ``savefig`` at twice the resolution; both files are written, so a difference between
the two paths shows too.

    python benchmarks/figures.py            # all explorers
    python benchmarks/figures.py live drain # those whose name contains a word given
"""
from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import hvlab as hv  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "figures"
SAMPLE_LOG = ROOT / "data" / "sql01_live_1gbe_ws2012.csv"


def explorers():
    """(name, factory) of every explorer in its default state."""
    for name in hv.widgets.EXPLORERS:
        if name == "perflog_explorer":
            yield name, lambda: hv.widgets.perflog_explorer(hv.read_perflog(SAMPLE_LOG)[0])
        else:
            yield name, getattr(hv.widgets, name)


def main(argv=None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    OUT.mkdir(parents=True, exist_ok=True)
    for name, factory in explorers():
        if words and not any(w in name for w in words):
            continue
        explorer = factory()
        if explorer.error:
            print(f"{name}: refused its defaults: {explorer.error}", file=sys.stderr)
            return 1
        screen = OUT / f"{name}.png"
        screen.write_bytes(explorer.png())
        explorer.save(OUT / f"{name}@2x.png")
        print(f"{screen.relative_to(ROOT)} (+ @2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
