"""The planning explorer: controls reach the planner, the readout shows the plan's figures
(docs/planning.md)."""
import dataclasses

import pytest

import hvlab as hv
from hvlab.widgets.planning import planning_readout, planning_scenario


def tiny_cluster():
    hosts = tuple(hv.Host(name=f"h{i}", memory_gib=64, storage=hv.Storage(name=f"d{i}"))
                  for i in range(3))
    vms = tuple(hv.VM(name=f"v{i}{j}", host=f"h{i}", memory_gib=4, dirty_rate_mib_s=10 * j,
                      blackout_limit_s=None) for i in range(3) for j in range(4))
    return hosts, vms


def test_explorer_controls_reach_the_planner():
    hosts, vms = tiny_cluster()
    ex = hv.widgets.planning_explorer(hosts=hosts, vms=vms, blackout_limit_s=0.5)
    assert ex.error is None
    plan = ex.state
    assert ex.values["total_s"] == plan.total_s <= ex.values["baseline_total_s"]
    assert set(plan.steps.blackout_limit_s) == {0.5}
    slower = ex.set(network_gbps=1.0)
    assert slower.total_s > plan.total_s  # a tenth of the 10 GbE default link
    ex.set(window_h=0.01)
    assert ex.values["fits_window"] is False
    assert len(ex.figure.axes) == 2


def test_readout_lists_flagged_vms_and_their_fixes():
    hosts, vms = tiny_cluster()
    plan = planning_scenario(hosts=hosts, vms=vms, blackout_limit_s=0.3, network_gbps=1.0)
    assert len(plan.flags) > 0
    rows, notes, values = planning_readout(plan)
    assert values["flagged"] == len(plan.flags)
    for vm in plan.flags.vm.head(5):
        assert any(n.startswith(f"{vm} (") for n in notes)
    assert values["gain_s"] == pytest.approx(plan.baseline_total_s - plan.total_s)
