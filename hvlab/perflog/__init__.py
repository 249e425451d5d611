"""Windows performance logs: read and write PDH-CSV/PDH-TSV exports, parse counter paths,
select and label counters, and connect a log to the models.

>>> import hvlab as hv
>>> df, meta = hv.read_perflog("DataCollector01.csv")  # doctest: +SKIP
"""
from __future__ import annotations

__all__: list[str] = []
