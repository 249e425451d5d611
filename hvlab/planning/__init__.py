"""Maintenance planning: a rolling, optimised plan to patch a whole cluster.

- `cluster`: `Host` lists and VM lists from CSV (`read_cluster`) and their checks;
- `placement`: where each drained VM goes, memory never over-committed;
- `phases`: one drain or return simulated with `hvlab.drain_host`, and its closed-form screen;
- `search`: `plan_maintenance`, the search over host order, placement, settings;
- `fixes`: flags for VMs over their blackout limits and the fix the model predicts works;
- `plan`: `MaintenancePlan`, the result (steps, flags, memory, figure, HTML report).

docs/planning.md describes the method and its assumptions.
"""
from __future__ import annotations

from hvlab.planning.cluster import ClusterError, check_cluster, read_cluster
from hvlab.planning.plan import MaintenancePlan
from hvlab.planning.search import plan_maintenance

__all__ = ["read_cluster", "check_cluster", "ClusterError", "plan_maintenance",
           "MaintenancePlan"]
