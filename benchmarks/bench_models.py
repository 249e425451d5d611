"""Compute time of the Live and Quick Migration models beside their closed forms (issue 2),
and of a memoised repeat call (the widgets' fast path, issue 6).

The live case is a 16 GiB VM dirtying 63 MiB/s over 1 GbE with the WS2012 preset: the
dirty/transfer ratio is 0.557, so the closed form needs exactly 10 pre-copy passes
(0.557**9 * 16 GiB > 64 MiB >= 0.557**10 * 16 GiB).
"""
from __future__ import annotations

import time

import numpy as np

import hvlab as hv
from hvlab.memo import cached

RUNS = 200
LIVE_VM = hv.VM(name="bench16", memory_gib=16, dirty_rate_mib_s=63)
LINK = hv.Link(gbps=1)
QUICK_VM = hv.VM(name="bench16", memory_gib=16)
STORAGE = hv.Storage()


def timings(call, runs: int = RUNS, warmup: int = 3) -> np.ndarray:
    """Wall-clock seconds of `runs` calls (after `warmup` unmeasured ones)."""
    for _ in range(warmup):
        call()
    out = np.empty(runs)
    for i in range(runs):
        start = time.perf_counter()
        call()
        out[i] = time.perf_counter() - start
    return out


def run() -> list[dict]:
    rows = []
    group = "live migration 16 GiB, 10 passes"
    des = timings(lambda: hv.live_migration(LIVE_VM, LINK, hv.WS2012))
    closed = timings(lambda: hv.analytic.precopy(LIVE_VM, LINK, hv.WS2012))
    sim = hv.live_migration(LIVE_VM, LINK, hv.WS2012)
    cf = hv.analytic.precopy(LIVE_VM, LINK, hv.WS2012)
    rows += [
        {"group": group, "figure": "DES compute time, median", "value": np.median(des) * 1e3,
         "unit": "ms", "anchor": "closed form compute, median",
         "anchor_value": np.median(closed) * 1e3, "target": "< 20 ms (issue 2)"},
        {"group": group, "figure": "DES compute time, p95",
         "value": np.percentile(des, 95) * 1e3, "unit": "ms",
         "anchor": "closed form compute, p95", "anchor_value": np.percentile(closed, 95) * 1e3},
        {"group": group, "figure": "simulated migration total_s", "value": sim.total_s,
         "unit": "s", "anchor": "closed form total_s", "anchor_value": cf.total_s,
         "target": "within 0.1%"},
        {"group": group, "figure": "simulated blackout downtime_s", "value": sim.downtime_s,
         "unit": "s", "anchor": "closed form downtime_s", "anchor_value": cf.downtime_s,
         "target": "within 0.1%"},
        {"group": group, "figure": "pre-copy passes", "value": sim.n_passes, "unit": "passes",
         "anchor": "closed form passes", "anchor_value": cf.n_passes, "target": "10"},
    ]

    memo = cached(hv.live_migration)
    memo(LIVE_VM, LINK, hv.WS2012)
    hit = timings(lambda: memo(LIVE_VM, LINK, hv.WS2012), runs=2000)
    rows.append({"group": group, "figure": "memoised repeat call (hv.memo.cached), median",
                 "value": np.median(hit) * 1e6, "unit": "us", "anchor": "DES call, median",
                 "anchor_value": np.median(des) * 1e6,
                 "target": "slider back to a value: no rerun"})

    group = "quick migration 16 GiB"
    des = timings(lambda: hv.quick_migration(QUICK_VM, STORAGE, hv.WS2012))
    closed = timings(lambda: hv.analytic.quick(QUICK_VM, STORAGE, hv.WS2012))
    sim = hv.quick_migration(QUICK_VM, STORAGE, hv.WS2012)
    parts = hv.analytic.quick(QUICK_VM, STORAGE, hv.WS2012)
    rows += [
        {"group": group, "figure": "DES compute time, median", "value": np.median(des) * 1e3,
         "unit": "ms", "anchor": "closed form compute, median",
         "anchor_value": np.median(closed) * 1e3},
        {"group": group, "figure": "DES compute time, p95",
         "value": np.percentile(des, 95) * 1e3, "unit": "ms",
         "anchor": "closed form compute, p95", "anchor_value": np.percentile(closed, 95) * 1e3},
        {"group": group, "figure": "simulated downtime_s", "value": sim.downtime_s, "unit": "s",
         "anchor": "save + ownership + restore + resume", "anchor_value": parts["downtime_s"],
         "target": "equal"},
        {"group": group, "figure": "quick downtime / live blackout (16 GiB)",
         "value": sim.downtime_s / hv.live_migration(QUICK_VM, LINK).downtime_s, "unit": "x",
         "target": "far larger than 1"},
    ]
    return [{k: (float(v) if isinstance(v, np.floating) else v) for k, v in r.items()}
            for r in rows]


if __name__ == "__main__":
    for r in run():
        print(r)
