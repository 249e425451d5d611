"""The explorers' update logic, driven from Python with no browser: controls are changed as a
slider would change them, and the readout, the numbers and the figure are checked.

Expected numbers come from the closed forms (hvlab.analytic, itself tested against the DES),
from arithmetic done here, or from physical bounds.
"""
from __future__ import annotations

import dataclasses

import ipywidgets as widgets
import numpy as np
import pytest

import hvlab as hv
from hvlab.params import GIB, MIB
from hvlab.widgets import fmt_bytes, fmt_time
from hvlab.widgets import live as wlive

GBE_PAYLOAD_MIB_S = 1e9 / 8 * 1460 / 1538 / MIB  # TCP/IPv4 goodput of 1 GbE, 1500-byte frames


@pytest.fixture(scope="module")
def live():
    return hv.widgets.live_migration_explorer()


@pytest.fixture(scope="module")
def qvl():
    return hv.widgets.quick_vs_live_explorer()


# ------------------------------------------------------------------------------------------
# formatting
@pytest.mark.parametrize("seconds, text", [
    (0.0004, "0 ms"), (0.62, "620 ms"), (1.0, "1.0 s"), (113.97, "114.0 s"),
    (300.0, "5 min 00 s"), (3725.0, "62 min 05 s"), (7200.0, "2.0 h")])
def test_fmt_time_picks_the_unit(seconds, text):
    assert fmt_time(seconds) == text


@pytest.mark.parametrize("nbytes, text", [(512 * MIB, "512.0 MiB"), (GIB, "1.00 GiB"),
                                          (int(13.5 * GIB), "13.50 GiB")])
def test_fmt_bytes_binary_units(nbytes, text):
    assert fmt_bytes(nbytes) == text


# ------------------------------------------------------------------------------------------
# the live migration explorer
def test_live_explorer_is_one_widget_with_controls_readout_and_figure(live):
    assert isinstance(live, widgets.VBox)
    expected = {"memory_gib", "dirty_rate_mib_s", "working_set_pct", "link_gbps", "nics", "rdma",
                "preset", "transport", "max_passes"}
    assert set(live.controls) == expected
    descendants = _descendants(live)
    assert all(c in descendants for c in live.controls.values())
    assert live.readout in descendants and live.view.widget in descendants
    assert isinstance(live.view.widget, widgets.Image)
    assert live.view.widget.value[:8] == b"\x89PNG\r\n\x1a\n"
    # sliders report on release, not on every pixel of a drag
    assert all(not c.continuous_update for c in live.controls.values()
               if isinstance(c, (widgets.FloatSlider, widgets.IntSlider)))


def test_live_default_matches_closed_form(live):
    live.set(memory_gib=8, dirty_rate_mib_s=40, working_set_pct=100, link_gbps=1.0, nics=1,
             rdma=False, preset="WS2012", transport="tcpip", max_passes=10)
    vm = hv.VM(name="vm1", memory_gib=8, dirty_rate_mib_s=40)
    cf = hv.analytic.precopy(vm, hv.Link(gbps=1), hv.WS2012)
    assert live.values["total_s"] == pytest.approx(cf.total_s, rel=1e-9)
    assert live.values["downtime_s"] == pytest.approx(cf.downtime_s, rel=1e-9)
    assert live.values["passes"] == cf.n_passes
    assert live.values["converged"] is True
    # the copy never runs faster than the link carries payload
    assert live.values["memory_rate_mib_s"] == pytest.approx(GBE_PAYLOAD_MIB_S, rel=1e-9)
    text = live.readout.value
    assert fmt_time(cf.total_s) in text and fmt_time(cf.downtime_s) in text
    assert "converged" in text and "yes" in text


def test_slider_change_updates_readout_values_and_figure(live):
    live.set(memory_gib=8, dirty_rate_mib_s=40, preset="WS2012", max_passes=10)
    before_text, before_png = live.readout.value, live.view.widget.value
    before_total = live.values["total_s"]
    live.controls["memory_gib"].value = 16  # what moving the slider does
    assert live.readout.value != before_text
    assert live.view.widget.value != before_png
    # twice the memory: the first pass alone takes 8 GiB longer at the payload rate
    assert live.values["total_s"] - before_total >= 8 * 1024 / GBE_PAYLOAD_MIB_S - 1e-6
    assert live.state["vm"].memory_gib == 16


def test_more_bandwidth_less_time_and_blackout(live):
    live.set(memory_gib=16, dirty_rate_mib_s=80, link_gbps=1.0)
    slow = dict(live.values)
    live.set(link_gbps=10.0)
    fast = dict(live.values)
    assert fast["total_s"] < slow["total_s"]
    assert fast["downtime_s"] <= slow["downtime_s"]
    # a 10 GbE NIC carries 10x the payload of a 1 GbE one
    assert fast["memory_rate_mib_s"] == pytest.approx(10 * GBE_PAYLOAD_MIB_S, rel=1e-9)


def test_dirty_rate_above_transfer_rate_does_not_converge(live):
    live.set(memory_gib=8, dirty_rate_mib_s=200, link_gbps=1.0, working_set_pct=100,
             preset="WS2012", max_passes=10)
    assert live.values["converged"] is False
    assert live.values["passes"] == 10  # stopped on the cap
    assert "no: stopped at the pass cap" in live.readout.value
    assert "Did not converge" in live.readout.value  # the model's explanation is shown


def test_pass_cap_control_caps_passes(live):
    live.set(memory_gib=8, dirty_rate_mib_s=200, preset="WS2012", max_passes=3)
    assert live.values["passes"] == 3
    assert "3 of at most 3" in live.readout.value


def test_preset_brings_its_transport_and_pass_cap(live):
    live.set(preset="WS2012R2")
    assert live.controls["transport"].value == hv.WS2012R2.transport == "compression"
    assert live.controls["max_passes"].value == hv.WS2012R2.max_passes == 5
    assert live.state["settings"] == hv.WS2012R2
    live.set(preset="WS2008R2")
    assert live.controls["transport"].value == "tcpip"
    assert live.controls["max_passes"].value == hv.WS2008R2.max_passes
    # a transport chosen in the same call after the preset wins
    live.set(preset="WS2012R2", transport="tcpip")
    assert live.state["settings"].transport == "tcpip"
    live.set(preset="WS2012")


def test_smb_over_rdma_uses_all_nics(live):
    live.set(preset="WS2012R2", transport="smb", link_gbps=10.0, nics=2, rdma=True,
             memory_gib=8, dirty_rate_mib_s=0)
    rdma_mib_s = 2 * 10e9 / 8 * 4096 / (4096 + 82) / MIB  # RoCEv2 framing at 4 KiB MTU
    assert live.values["memory_rate_mib_s"] == pytest.approx(rdma_mib_s, rel=1e-9)
    live.set(preset="WS2012", nics=1, rdma=False, link_gbps=1.0)


def test_set_updates_once_and_rejects_unknown_names(live):
    n = len(live.timings_s)
    live.set(memory_gib=12, dirty_rate_mib_s=30, max_passes=8)
    assert len(live.timings_s) == n + 1
    with pytest.raises(KeyError, match="memory_gib"):
        live.set(memory=12)


def test_repeated_inputs_are_served_from_the_cache(live):
    live.set(memory_gib=6, dirty_rate_mib_s=10)
    hits = wlive._live.cache_info().hits
    live.set(memory_gib=7)
    live.set(memory_gib=6)
    assert wlive._live.cache_info().hits == hits + 1


def test_refused_inputs_are_shown_not_raised(live):
    live.set(memory_gib=8, dirty_rate_mib_s=40)
    png, state = live.view.widget.value, live.state
    original = live.compute

    def refuse(**values):
        raise ValueError("VM.memory_gib must be > 0 GiB, got 0")

    live.compute = refuse
    try:
        assert live.update() is None
    finally:
        live.compute = original
    assert "memory_gib must be &gt; 0 GiB" in live.readout.value
    assert "hvlab-error" in live.readout.value
    assert live.error.startswith("VM.memory_gib")
    assert live.view.widget.value == png and live.state is state
    live.update()
    assert live.error is None


def test_live_scenario_without_widgets():
    state = hv.widgets.live_scenario(memory_gib=4, dirty_rate_mib_s=0, link_gbps=10.0)
    r = state["result"]
    # nothing dirtied: one pass of 4 GiB, then the 8 MiB of device state
    assert r.n_passes == 1 and r.converged
    assert r.network_bytes == pytest.approx(4 * GIB + 8 * MIB, abs=1)
    assert hv.widgets.live_scenario(working_set_pct=50, memory_gib=4)["vm"].working_set_gib == 2
    with pytest.raises(ValueError, match="memory_gib"):
        hv.widgets.live_scenario(memory_gib=0)


# ------------------------------------------------------------------------------------------
# quick versus live
def test_quick_vs_live_numbers(qvl):
    qvl.set(memory_gib=8, dirty_rate_mib_s=40, link_gbps=1.0, write_mib_s=300, read_mib_s=400,
            preset="WS2012")
    state_mib = 8 * 1024 + 8  # memory plus 8 MiB of device state
    expected = (state_mib / 300 + hv.WS2012.ownership_move_s + state_mib / 400
                + hv.WS2012.resume_s)
    assert qvl.values["quick_downtime_s"] == pytest.approx(expected, rel=1e-9)
    assert qvl.values["quick_total_s"] == pytest.approx(expected, rel=1e-9)
    live = hv.analytic.precopy(hv.VM(memory_gib=8, dirty_rate_mib_s=40), hv.Link(gbps=1))
    assert qvl.values["live_downtime_s"] == pytest.approx(live.downtime_s, rel=1e-9)
    assert qvl.values["downtime_ratio"] == pytest.approx(expected / live.downtime_s, rel=1e-9)
    assert qvl.values["quick_storage_bytes"] == 2 * state_mib * MIB
    assert fmt_time(expected) in qvl.readout.value


def test_quick_downtime_grows_with_memory_live_blackout_does_not(qvl):
    qvl.set(memory_gib=4, dirty_rate_mib_s=40)
    small = dict(qvl.values)
    before = qvl.view.widget.value
    qvl.controls["memory_gib"].value = 64
    big = dict(qvl.values)
    assert qvl.view.widget.value != before
    assert big["quick_downtime_s"] > 10 * small["quick_downtime_s"]
    # the blackout sends what is dirty at the end, bounded by the threshold plus one pass of
    # dirtying: it does not scale with memory
    assert big["live_downtime_s"] < 2 * small["live_downtime_s"]


def test_quick_curve_is_linear_in_memory(qvl):
    qvl.set(write_mib_s=250, read_mib_s=500, memory_gib=8)
    memory, quick, live = qvl.state["curves"]
    slope = np.diff(quick) / np.diff(memory)
    # d(downtime)/d(memory) = 1 GiB / write + 1 GiB / read [s per GiB]
    assert slope == pytest.approx(np.full_like(slope, 1024 / 250 + 1024 / 500), rel=1e-9)
    assert memory[-1] >= 8 and len(memory) == len(live)
    assert (live < quick).all()


def test_faster_array_shortens_quick_migration(qvl):
    qvl.set(memory_gib=8, write_mib_s=300, read_mib_s=400)
    slow = qvl.values["quick_downtime_s"]
    qvl.set(write_mib_s=1200, read_mib_s=1600)
    assert qvl.values["quick_downtime_s"] < slow / 3


# ------------------------------------------------------------------------------------------
# backends
@pytest.mark.filterwarnings("ignore:Passing unrecognized arguments:DeprecationWarning")
def test_backend_from_environment(monkeypatch):
    pytest.importorskip("ipympl")
    from ipympl.backend_nbagg import Canvas

    monkeypatch.setenv("HVLAB_MPL_BACKEND", "ipympl")
    explorer = hv.widgets.live_migration_explorer(memory_gib=2)
    assert isinstance(explorer.view.widget, Canvas)
    assert explorer.figure.canvas is explorer.view.widget
    before = explorer.values["total_s"]
    explorer.set(memory_gib=4)
    assert explorer.values["total_s"] > before
    assert explorer.png()[:4] == b"\x89PNG"
    assert explorer.figure.canvas is explorer.view.widget  # png() gave the canvas back


def test_unknown_backend_names_the_variable(monkeypatch):
    monkeypatch.setenv("HVLAB_MPL_BACKEND", "qt")
    with pytest.raises(ValueError, match="HVLAB_MPL_BACKEND.*'qt'"):
        hv.widgets.live_migration_explorer()


def test_explorer_keyword_defaults_are_used():
    explorer = hv.widgets.live_migration_explorer(memory_gib=32, preset="WS2012R2",
                                                  backend="inline")
    assert explorer.state["vm"].memory_gib == 32
    assert explorer.state["settings"] == dataclasses.replace(hv.WS2012R2)


def _descendants(widget):
    found = [widget]
    for child in getattr(widget, "children", ()):
        found.extend(_descendants(child))
    return found
