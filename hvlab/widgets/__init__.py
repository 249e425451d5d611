"""Interactive explorers for the workshop: one call per mobility feature, each returning an
ipywidgets container with controls, a readout with units and a figure redrawn in place.

>>> import hvlab as hv
>>> explorer = hv.widgets.live_migration_explorer(memory_gib=16)   # doctest: +SKIP
>>> explorer.set(dirty_rate_mib_s=120).values["downtime_s"]          # doctest: +SKIP

Every explorer's update logic also runs without a browser: ``explorer.set(...)`` changes
inputs and recomputes, ``explorer.values`` holds the readout's numbers, and the
``*_scenario`` functions are the same computations with no widget at all.
"""
from hvlab.widgets._base import Explorer, FigureView, fmt_bytes, fmt_rate, fmt_time
from hvlab.widgets.live import (LiveMigrationExplorer, QuickVsLiveExplorer, live_migration_explorer,
                                live_scenario, quick_vs_live_explorer, quick_vs_live_scenario)

__all__ = [
    "Explorer", "FigureView", "fmt_time", "fmt_bytes", "fmt_rate",
    "live_migration_explorer", "quick_vs_live_explorer", "live_scenario",
    "quick_vs_live_scenario", "LiveMigrationExplorer", "QuickVsLiveExplorer",
]
