"""hvlab: models, performance-log tools and teaching notebooks for the mobility features of
Windows Server 2012 Hyper-V.

>>> import hvlab as hv
>>> r = hv.live_migration(hv.VM(memory_gib=8, dirty_rate_mib_s=40), hv.Link(gbps=1))
>>> r.summary()  # doctest: +SKIP
"""
from hvlab import analytic
from hvlab.inventory import read_inventory
from hvlab.models import (drain_host, live_migration, quick_migration,
                          shared_nothing_migration, smb_live_migration, storage_migration)
from hvlab import perflog
from hvlab.perflog import (CounterPath, PerfLogError, parse_counter_path, read_perflog,
                           read_perflogs, write_perflog)
from hvlab.perflog import find_migrations
from hvlab.params import (PRESETS, VM, WS2008R2, WS2012, WS2012R2, Host, Link,
                          MigrationSettings, SmbShare, Storage, preset)
from hvlab.results import DrainResult, MigrationResult
from hvlab.sweeps import sweep, sweep_fields
from hvlab import planning
from hvlab.planning import MaintenancePlan, plan_maintenance, read_cluster

__version__ = "0.1.0"

# Submodules that pull in matplotlib or ipywidgets load on first use, keeping `import hvlab`
# light for scripts and worker processes.
_LAZY_SUBMODULES = ("plotting", "widgets", "exercises")


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"hvlab.{name}")
    raise AttributeError(f"module 'hvlab' has no attribute {name!r}")

__all__ = [
    "perflog", "read_perflog", "read_perflogs", "write_perflog", "parse_counter_path",
    "CounterPath", "PerfLogError",
    "VM", "Link", "Storage", "SmbShare", "MigrationSettings", "WS2008R2", "WS2012", "WS2012R2",
    "PRESETS", "preset", "live_migration", "quick_migration", "analytic", "plotting",
    "widgets", "exercises",
    "storage_migration", "smb_live_migration", "shared_nothing_migration", "drain_host",
    "read_inventory",
    "MigrationResult",
    "DrainResult",
    "sweep", "sweep_fields",
    "find_migrations",
    "Host", "read_cluster", "plan_maintenance", "MaintenancePlan", "planning",
]
