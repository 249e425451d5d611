"""How a running guest dirties memory: the pages a pre-copy pass must send again.

Two workload models (see docs/models.md): "linear", the writable-working-set model of Clark et
al. (2005) (``min(rate * t, working_set)``), and "unique", random page writes whose distinct
count follows the occupancy distribution.

References
----------
C. Clark et al., "Live Migration of Virtual Machines", NSDI 2005.
"""
from __future__ import annotations

import math

import numpy as np

from hvlab.params import MIB, PAGE_BYTES, VM


class Dirtier:
    """The guest's memory writes: how much memory becomes dirty during an interval.

    Parameters
    ----------
    vm : VM
        Supplies `dirty_rate_mib_s` and the writable working set.
    model : str
        "linear": ``min(rate * t, working_set)`` (the default of docs/models.md, deterministic).
        "unique": uniformly random 4 KiB page writes at rate w pages/s over a working set of N
        pages; the distinct pages hit in t average ``N (1 - exp(-w t / N))`` and are drawn from
        the occupancy distribution (normal approximation with its exact mean and variance).
    rng : numpy.random.Generator
        Random stream for "unique".
    """

    def __init__(self, vm: VM, model: str, rng: np.random.Generator):
        self.rate_bytes_s = vm.dirty_rate_mib_s * MIB
        self.working_set_bytes = vm.working_set_bytes
        self.model = model
        self.rng = rng

    def dirtied_bytes(self, interval_s: float) -> float:
        """Memory dirty after `interval_s` seconds of guest writes, starting clean [bytes]."""
        if interval_s <= 0 or self.rate_bytes_s <= 0:
            return 0.0
        if self.model == "linear":
            return min(self.rate_bytes_s * interval_s, self.working_set_bytes)
        n_pages = self.working_set_bytes / PAGE_BYTES
        if n_pages < 1:
            return 0.0
        writes = self.rng.poisson(self.rate_bytes_s / PAGE_BYTES * interval_s)
        if writes == 0:
            return 0.0
        q = 1.0 - 1.0 / n_pages
        mean = n_pages * (1 - q**writes)
        var = (n_pages * (n_pages - 1) * (1 - 2 / n_pages) ** writes
               + n_pages * q**writes - n_pages**2 * q ** (2 * writes)) if n_pages > 1 else 0.0
        distinct = mean + math.sqrt(max(var, 0.0)) * self.rng.standard_normal()
        distinct = min(max(round(distinct), 1), writes, math.floor(n_pages))
        return float(distinct * PAGE_BYTES)


__all__ = ["Dirtier"]
