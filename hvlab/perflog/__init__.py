"""Windows performance logs: read and write PDH-CSV/PDH-TSV exports, parse counter paths,
select and label counters, and connect a log to the models.

Modules: `read`, `write` and `multi` (files), `paths` (counter paths), `vocabulary` (object
and counter names), `counter_catalogue` (units and meanings; ``catalogue()`` is its table),
`detection` (`find_migrations`), `estimation` (`estimate`, `Estimate`) and `simulate` (the log
a host would have written during a modelled migration). docs/perflogs.md describes the formats.

>>> import hvlab as hv
>>> df, meta = hv.read_perflog("DataCollector01.csv")  # doctest: +SKIP
"""
from __future__ import annotations

from hvlab.perflog.paths import CounterPath, parse_counter_path
from hvlab.perflog.read import PerfLogError, PerfLogWarning, convert_to_parquet, read_perflog
from hvlab.perflog.write import write_perflog
from hvlab.perflog.multi import read_perflogs
from hvlab.perflog.counter_catalogue import (CounterInfo, counter_table, describe, label,
                                             select)
from hvlab.perflog.detection import find_migrations
from hvlab.perflog.estimation import Estimate, estimate
from hvlab.perflog.simulate import (drain_to_frame, drain_to_perflog, multihost_drain_to_perflog,
                                    result_to_frame, result_to_perflog)

#: ``hv.perflog.catalogue()``: the counter table (object, counter, unit, meaning, instance,
#: versions).
catalogue = counter_table

__all__: list[str] = ["CounterPath", "parse_counter_path", "PerfLogError", "PerfLogWarning",
                      "read_perflog", "convert_to_parquet",
                      "read_perflogs", "write_perflog", "find_migrations", "estimate",
                      "select", "describe", "label", "catalogue", "counter_table", "CounterInfo",
                      "Estimate",
                      "result_to_frame", "result_to_perflog", "drain_to_frame",
                      "drain_to_perflog", "multihost_drain_to_perflog"]
