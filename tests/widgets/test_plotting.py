"""Figures: labelled axes with units, phases drawn, comparison of several results."""
import dataclasses

import matplotlib.pyplot as plt
import pytest

import hvlab as hv


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_migration_plot_has_units_bands_and_passes():
    r = hv.live_migration(hv.VM(memory_gib=8, dirty_rate_mib_s=50), hv.Link(gbps=1))
    ax = r.plot()
    assert "[s]" in ax.get_xlabel() and "MiB/s" in ax.get_ylabel()
    labels = ax.get_legend_handles_labels()[1]
    assert {"phase: setup", "phase: memory", "phase: blackout"} <= set(labels)
    fig = ax.figure
    assert len(fig.axes) == 2  # throughput over time + bytes per pass
    bars = fig.axes[1].patches
    assert len(bars) == len(r.passes)
    assert "MiB" in fig.axes[1].get_ylabel()
    assert ax.get_title()


def test_plot_into_given_axes_and_quick_migration():
    fig, ax = plt.subplots()
    q = hv.quick_migration(hv.VM(memory_gib=4), hv.Storage())
    assert q.plot(ax=ax) is ax
    assert "phase: save" in ax.get_legend_handles_labels()[1]


def test_compare_draws_every_result():
    vm = hv.VM(memory_gib=8, dirty_rate_mib_s=40)
    runs = [hv.live_migration(vm, hv.Link(gbps=1)),
            hv.live_migration(vm, hv.Link(gbps=10), hv.WS2012R2),
            hv.quick_migration(vm, hv.Storage())]
    axes = hv.plotting.compare(runs, labels=["1 GbE", "10 GbE", "quick"])
    assert len(axes) == 2
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["1 GbE", "10 GbE", "quick"]
    assert "[s" in axes[0].get_ylabel() and "GiB" in axes[1].get_ylabel()
    with pytest.raises(ValueError, match="labels"):
        hv.plotting.compare(runs, labels=["one"])


def test_plot_drain_gantt():
    import pandas as pd

    migrations = pd.DataFrame({
        "vm": ["a", "b", "c"], "kind": ["live", "live", "shared_nothing"],
        "queued_s": [0.0, 0.0, 0.0], "start_s": [0.0, 0.0, 30.0], "end_s": [30.0, 45.0, 90.0],
        "downtime_s": [0.2, 0.3, 0.5], "network_bytes": [1, 2, 3],
        "converged": [True, False, True]})
    timeline = pd.DataFrame({"active_migrations": [2, 1, 1, 0],
                             "network_mib_s": [113.0, 113.0, 113.0, 0.0]},
                            index=pd.Index([0.0, 30.0, 45.0, 90.0], name="time_s"))
    drain = hv.DrainResult(total_s=90.0, migrations=migrations, timeline=timeline)
    ax = drain.plot()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    assert "waiting for a slot" in ax.get_legend_handles_labels()[1]
    assert "[s]" in ax.figure.axes[1].get_xlabel()
    assert drain.summary()["not_converged"] == 1
