"""The explorers' update logic, driven from Python with no browser: controls are changed as a
slider would change them, and the readout, the numbers and the figure are checked.

Expected numbers come from the closed forms (hvlab.analytic, itself tested against the DES),
from arithmetic done here, or from physical bounds.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import pandas as pd
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
    # a 10 GbE NIC carries 10x the payload of a 1 GbE one, but one WS2012 TCP stream only
    # 4 Gbit/s (tcp_stream_gbps): the explorer shows the stream's rate
    assert slow["memory_rate_mib_s"] == pytest.approx(GBE_PAYLOAD_MIB_S, rel=1e-9)
    assert fast["memory_rate_mib_s"] == pytest.approx(
        min(10 * GBE_PAYLOAD_MIB_S, hv.WS2012.tcp_stream_gbps * 1e9 / 8 / 2**20), rel=1e-9)


def test_transport_choices_follow_the_version(live):
    live.set(preset="WS2012")
    assert [v for _, v in live.controls["transport"].options] == ["tcpip"]
    live.set(preset="WS2012R2")
    assert {v for _, v in live.controls["transport"].options} == {"tcpip", "compression", "smb"}
    assert live.controls["transport"].value == "compression"
    live.set(preset="WS2012")


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


# ------------------------------------------------------------------------------------------
# storage, shared nothing, SMB
@pytest.fixture(scope="module")
def storage_ex():
    return hv.widgets.storage_migration_explorer()


def test_storage_copy_bounded_by_arrays_and_throttle(storage_ex):
    storage_ex.set(disk_gib=40, source_load_pct=0, throttle_mib_s=0, odx=False)
    v = dict(storage_ex.values)
    vm = storage_ex.state["vm"]
    # the copy reads the files once at most (blocks a mirrored write covered are skipped)
    assert v["storage_read_bytes"] <= vm.storage_bytes * (1 + 1e-9)
    # and cannot read faster than the source array
    assert v["copy_s"] >= v["storage_read_bytes"] / (160 * MIB) * (1 - 1e-9)
    storage_ex.set(throttle_mib_s=30)
    t = storage_ex.values
    assert t["copy_s"] >= t["storage_read_bytes"] / (30 * MIB) * (1 - 1e-9)
    assert t["copy_s"] > v["copy_s"]
    assert "throttle" in storage_ex.readout.value or "copy rate" in storage_ex.readout.value


def test_storage_busy_array_hurts_during_and_faster_target_helps_after(storage_ex):
    storage_ex.set(disk_gib=40, source_load_pct=50, throttle_mib_s=0)
    v = storage_ex.values
    assert v["guest_latency_during_ms"] > v["guest_latency_before_ms"]
    # the target array is faster (2 ms base against 6 ms): better once the VM is on it
    assert v["guest_latency_after_ms"] < v["guest_latency_before_ms"]
    png = storage_ex.view.widget.value
    storage_ex.controls["source_load_pct"].value = 20
    assert storage_ex.values["guest_latency_before_ms"] < v["guest_latency_before_ms"]
    assert storage_ex.view.widget.value != png


def test_shared_nothing_link_bound_and_what_if():
    ex = hv.widgets.shared_nothing_explorer(disk_gib=30, memory_gib=6, link_gbps=1.0)
    r, vm = ex.state["result"], ex.state["vm"]
    gbe = hv.Link(gbps=1).rate_bytes_s
    assert r.total_s >= (vm.storage_bytes + vm.memory_bytes) / gbe
    v = ex.values
    assert v["what_if_gbps"] == 10 and v["what_if_total_s"] < v["total_s"]
    assert v["storage_phase_s"] > v["memory_phase_s"]  # 30 GiB of disk against 6 of memory
    assert v["storage_phase_s"] >= vm.storage_bytes / gbe * (1 - 1e-9)
    ex.set(link_gbps=10.0)
    assert ex.values["what_if_gbps"] == 1
    assert ex.values["total_s"] == pytest.approx(v["what_if_total_s"], rel=1e-9)


def test_smb_handles_are_the_hosts_files_counted_from_disks_and_checkpoints():
    ex = hv.widgets.smb_explorer(disk_count=1, checkpoint_count=0)
    few = dict(ex.values)
    # one VHDX, the configuration and two saved-state files: 4 handles, not the guest's files
    assert few["open_files"] == 4 == ex.state["vm"].open_files
    assert "4 (1 VHDX, 0 AVHDX, config, 2 saved state)" in ex.readout.value
    png = ex.view.widget.value
    ex.set(disk_count=2, checkpoint_count=3)
    many = ex.values
    # 2 VHDX + 2 x 3 AVHDX + configuration + 2 saved-state files
    assert many["open_files"] == 2 + 2 * 3 + 3 == ex.state["vm"].open_files
    per_file_s = hv.WS2012R2.smb_handle_move_ms / 1000
    assert many["handle_move_s"] == pytest.approx(11 * per_file_s, rel=1e-9)
    assert many["downtime_s"] - few["downtime_s"] == pytest.approx(7 * per_file_s, rel=1e-6)
    assert many["extra_blackout_s"] == pytest.approx(11 * per_file_s, rel=1e-6)
    assert "11 (2 VHDX, 6 AVHDX" in ex.readout.value
    assert ex.view.widget.value != png
    parts = hv.widgets.storage.blackout_parts(ex.state["result"], ex.state["settings"])
    assert sum(parts.values()) == pytest.approx(many["downtime_s"], rel=1e-9)
    # a handful of handles: milliseconds, next to the final memory copy
    assert parts["handles and locks"] < 0.1


def test_smb_guest_reads_do_not_compete_with_the_outbound_copy_writes_do():
    base = dict(link_gbps=1.0, same_network=True, preset="WS2012", transport="tcpip")
    quiet = hv.widgets.smb_scenario(**base, guest_read_mib_s=0, guest_write_mib_s=0)["result"]
    reads = hv.widgets.smb_scenario(**base, guest_read_mib_s=100, guest_write_mib_s=0)["result"]
    writes = hv.widgets.smb_scenario(**base, guest_read_mib_s=0, guest_write_mib_s=60)["result"]
    assert reads.total_s == pytest.approx(quiet.total_s, rel=1e-9)
    assert writes.total_s > 1.5 * quiet.total_s


def test_smb_share_without_continuous_availability_is_flagged():
    ex = hv.widgets.smb_explorer()
    assert ex.values["persistent_handles"] is True and "yes (continuously" in ex.readout.value
    ex.set(continuously_available=False)
    assert ex.values["persistent_handles"] is False
    assert "stand-alone server or NAS" in ex.readout.value
    assert "not continuously available" in ex.readout.value  # the model's note
    with pytest.raises(TypeError):
        hv.widgets.smb_scenario(open_files=400)  # handles follow from disks and checkpoints


# ------------------------------------------------------------------------------------------
# drain
def test_host_vms_deterministic_and_sized():
    a = hv.widgets.host_vms(12, 8.0, 20.0)
    assert a == hv.widgets.host_vms(12, 8.0, 20.0) and len(a) == 12
    assert len({vm.name for vm in a}) == 12
    assert all(vm.memory_gib >= 0.5 and vm.memory_gib * 2 == int(vm.memory_gib * 2) for vm in a)
    assert np.median([vm.memory_gib for vm in hv.widgets.host_vms(41, 8.0, 20.0)]) == \
        pytest.approx(8.0, rel=0.35)


def test_drain_explorer_runs_on_button_and_sweeps():
    ex = hv.widgets.drain_explorer(n_vms=6, memory_gib=4, dirty_rate_mib_s=10)
    assert ex.run_button is not None
    r = ex.state["result"]
    vms = ex.state["vms"]
    link = ex.state["link"]
    # every VM's memory crosses the one link at most at its payload rate
    assert r.total_s >= sum(vm.memory_bytes for vm in vms) / link.rate_bytes_s
    assert len(r.migrations) == 6 and ex.values["vms"] == 6
    sweep = ex.state["sweep"]
    assert list(sweep["settings.max_live_migrations"]) == list(range(1, 7))
    assert ex.values["best_total_s"] <= ex.values["total_s"] + 1e-9
    n = len(ex.timings_s)
    ex.controls["n_vms"].value = 8          # a slider change alone does not run it ...
    assert len(ex.timings_s) == n and len(ex.state["result"].migrations) == 6
    ex.run_button.click()                   # ... the Run button does
    assert len(ex.timings_s) == n + 1 and len(ex.state["result"].migrations) == 8
    ex.set(concurrency=1)                   # set() always updates
    one = ex.state["result"]
    # one at a time: nobody waits for a slot that is free
    m = one.migrations
    assert (m["start_s"].iloc[1:].to_numpy() >= m["end_s"].iloc[:-1].to_numpy() - 1e-9).all()


# ------------------------------------------------------------------------------------------
# performance logs
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sql01_live_1gbe_ws2012.csv"


@pytest.fixture(scope="module")
def sample_log():
    return hv.read_perflog(SAMPLE)


def test_perflog_explorer_counter_units_and_zoom(sample_log):
    df, _ = sample_log
    ex = hv.widgets.perflog_explorer(df)
    v = dict(ex.values)
    assert v["migrations_found"] >= 1
    assert v["unit"] == "MiB/s" and "Bytes Sent/sec" in v["counter"]
    assert "Migration data sent" in v["meaning"]
    # a 1 GbE migration cannot send faster than the link's payload rate
    assert v["max"] <= GBE_PAYLOAD_MIB_S * 1.001
    ex.set(migration=0)
    z = ex.values
    m = ex.migrations.iloc[0]
    assert z["samples"] <= v["samples"] and z["duration_s"] == pytest.approx(m["duration_s"])
    assert z["network_bytes"] == m["network_bytes"]
    assert "blackout" in ex.readout.value
    numeric = [c for c in df.columns if df[c].notna().any()]
    pages = [i for i, c in enumerate(numeric) if "Dirty Page Count" in c[-1]]
    before = ex.view.widget.value
    ex.set(counter=pages[0], second=0)
    assert ex.values["unit"] == "pages" and ex.view.widget.value != before


def test_uploaded_log_reads_the_upload_or_the_default(sample_log):
    df, _ = sample_log
    upload = hv.widgets.log_upload()
    got, meta = hv.widgets.uploaded_log(upload, default=SAMPLE)
    assert meta["name"] == str(SAMPLE) and got.shape == df.shape
    content = SAMPLE.read_bytes()
    upload.value = ({"name": "mine.csv", "type": "text/csv", "size": len(content),
                     "content": memoryview(content),
                     "last_modified": pd.Timestamp("2013-03-12", tz="UTC").to_pydatetime()},)
    got, meta = hv.widgets.uploaded_log(upload)
    assert meta["name"] == "mine.csv"
    pd.testing.assert_frame_equal(got, df)
    with pytest.raises(ValueError, match="no log uploaded"):
        hv.widgets.uploaded_log(hv.widgets.log_upload())


def test_every_explorer_in_the_list_exists():
    for name in hv.widgets.EXPLORERS:
        assert callable(getattr(hv.widgets, name))


# ------------------------------------------------------------------------------------------
# redrawing in place
def _pixels(png: bytes) -> np.ndarray:
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)


def test_small_changes_redraw_on_the_saved_background_identically():
    ex = hv.widgets.live_migration_explorer(memory_gib=8, dirty_rate_mib_s=0)
    full = ex.view.full_draws
    ex.set(memory_gib=7.5)   # one pass, 70 s instead of 74 s: same round axes, only the
    ex.set(memory_gib=7)     # data is redrawn
    assert ex.view.fast_draws >= 2 and ex.view.full_draws == full
    fast = _pixels(ex.view.widget.value)
    ex.view._key = None      # force a full draw of the same state
    again = _pixels(ex.png())
    assert np.abs(fast - again).max() == 0
    ex.set(memory_gib=64)    # a new time axis needs a full draw
    assert ex.view.full_draws > full + 1


def test_saved_figure_contains_the_data(tmp_path):
    from matplotlib.colors import to_rgb

    ex = hv.widgets.storage_migration_explorer()
    ex.set(disk_gib=45)
    path = tmp_path / "storage.png"
    ex.save(path)
    image = _pixels(path.read_bytes())
    red = np.array(to_rgb(hv.widgets._base.BLACKOUT_COLOUR)) * 255
    # the p95 latency bars are drawn (savefig must not skip the redrawn artists)
    assert (np.abs(image - red).sum(axis=2) < 30).sum() > 500


@pytest.mark.parametrize("value, current, expected", [
    (113.0, None, 120.0), (113.0, 150.0, 150.0), (70.0, 150.0, 150.0), (60.0, 150.0, 60.0),
    (151.0, 150.0, 200.0), (0.62, None, 0.8), (0.0, None, 1.0)])
def test_nice_ceiling(value, current, expected):
    from hvlab.widgets._base import nice_ceiling

    assert nice_ceiling(value, current) == pytest.approx(expected)
