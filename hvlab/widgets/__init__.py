"""Interactive explorers for the workshop: one call per mobility feature, each returning an
ipywidgets container with controls, a readout with units and a figure redrawn in place.

>>> import hvlab as hv
>>> explorer = hv.widgets.live_migration_explorer(memory_gib=16)   # doctest: +SKIP
>>> explorer.set(dirty_rate_mib_s=120).values["downtime_s"]          # doctest: +SKIP

Every explorer's update logic also runs without a browser: ``explorer.set(...)`` changes
inputs and recomputes, ``explorer.values`` holds the readout's numbers, and the
``*_scenario`` functions are the same computations with no widget at all.

``hv.widgets.predict(question, answer_fn, unit=...)`` asks the learner to commit a guess before
the models reveal the answer ("predict, then look").
"""
from hvlab.widgets._base import Explorer, FigureView, fmt_bytes, fmt_rate, fmt_time
from hvlab.widgets.drain import drain_explorer, drain_scenario, host_vms
from hvlab.widgets.live import (LiveMigrationExplorer, QuickVsLiveExplorer, live_migration_explorer,
                                live_scenario, quick_vs_live_explorer, quick_vs_live_scenario)
from hvlab.widgets.perflog import log_upload, perflog_explorer, uploaded_log
from hvlab.widgets.planning import planning_explorer, planning_scenario
from hvlab.widgets.prediction import Prediction, predict
from hvlab.widgets.storage import (shared_nothing_explorer, shared_nothing_scenario, smb_explorer,
                                   smb_scenario, storage_migration_explorer, storage_scenario)

EXPLORERS = ("live_migration_explorer", "quick_vs_live_explorer", "smb_explorer",
             "storage_migration_explorer", "shared_nothing_explorer", "drain_explorer",
             "perflog_explorer", "planning_explorer")

__all__ = [
    "Explorer", "FigureView", "fmt_time", "fmt_bytes", "fmt_rate", "EXPLORERS",
    "live_migration_explorer", "quick_vs_live_explorer", "smb_explorer",
    "storage_migration_explorer", "shared_nothing_explorer", "drain_explorer",
    "perflog_explorer", "log_upload", "uploaded_log", "planning_explorer", "planning_scenario",
    "live_scenario", "quick_vs_live_scenario", "smb_scenario", "storage_scenario",
    "shared_nothing_scenario", "drain_scenario", "host_vms",
    "LiveMigrationExplorer", "QuickVsLiveExplorer", "predict", "Prediction",
]
