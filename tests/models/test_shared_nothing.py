"""Shared Nothing Live Migration: storage copy then memory over one link, the mirror sharing
the link during the memory phase; lower bound from bytes / link rate; disk dominates on 1 GbE;
conservation of bytes."""
import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings as hyp_settings, strategies as st

import hvlab as hv

GIB, MIB = 2**30, 2**20
SRC, TGT = hv.Storage(name="hv01-local"), hv.Storage(name="hv02-local")
GBE = hv.Link(gbps=1)


def test_disk_dominates_over_1_gbps():
    vm = hv.VM(name="file01", memory_gib=8, dirty_rate_mib_s=20, disk_gib=100,
               disk_read_mib_s=10, disk_write_mib_s=5, disk_iops=300, storage="local")
    r = hv.shared_nothing_migration(vm, GBE, SRC, TGT)
    d = r.details
    assert d["storage_phase_s"] > 5 * d["memory_phase_s"]
    assert d["storage_phase_s"] > 0.8 * r.total_s
    assert list(r.phases["phase"]) == ["setup", "storage_copy", "memory", "blackout",
                                       "delete_source"]
    # lower bound: everything crossed the one link
    assert r.total_s >= (vm.storage_bytes + vm.memory_bytes) / GBE.rate_bytes_s
    assert r.kind == "shared_nothing" and r.converged


def test_quiet_vm_is_a_copy_then_a_live_migration():
    vm = hv.VM(name="quiet", memory_gib=4, dirty_rate_mib_s=40, disk_gib=20, config_mib=0)
    r = hv.shared_nothing_migration(vm, GBE, SRC, TGT)
    rate = GBE.rate_bytes_s  # the arrays are faster than 1 GbE, so the link sets the pace
    assert r.details["storage_phase_s"] == pytest.approx(vm.storage_bytes / rate, rel=1e-9)
    live = hv.live_migration(vm, GBE)
    # the memory phase is the same pre-copy the live migration does
    cols = ["sent_bytes", "dirty_bytes_after", "wire_bytes"]
    assert len(r.passes) == len(live.passes)
    np.testing.assert_allclose(r.passes[cols].to_numpy(), live.passes[cols].to_numpy(),
                               rtol=1e-9)  # pass times start later: rounding differs
    assert (r.passes["blackout"].to_numpy() == live.passes["blackout"].to_numpy()).all()
    assert r.downtime_s == pytest.approx(live.downtime_s)
    assert r.total_s == pytest.approx(live.total_s + vm.storage_bytes / rate + 0.2)


def test_mirror_shares_the_link_in_the_memory_phase():
    vm = hv.VM(name="db", memory_gib=8, dirty_rate_mib_s=30, disk_gib=40,
               disk_write_mib_s=25, disk_read_mib_s=5, disk_iops=500)
    r = hv.shared_nothing_migration(vm, GBE, SRC, TGT)
    first = r.passes.iloc[0]
    rate = first["wire_bytes"] / (first["end_s"] - first["start_s"])
    assert rate == pytest.approx(GBE.rate_bytes_s - 25 * MIB, rel=1e-9)
    quiet = hv.shared_nothing_migration(dataclasses.replace(vm, disk_write_mib_s=0), GBE,
                                        SRC, TGT)
    assert r.n_passes >= quiet.n_passes
    assert r.details["memory_phase_s"] > quiet.details["memory_phase_s"]
    # in the blackout the paused VM writes nothing: the last copy has the whole link
    black = r.passes[r.passes["blackout"]].iloc[0]
    assert black["wire_bytes"] / (black["end_s"] - black["start_s"]) == pytest.approx(
        GBE.rate_bytes_s, rel=1e-9)
    assert r.timeline["guest_latency_ms"][r.timeline["blackout"]].isna().all()


def test_conservation():
    vm = hv.VM(name="db", memory_gib=6, dirty_rate_mib_s=30, disk_gib=40, checkpoint_gib=2,
               disk_write_mib_s=25, disk_read_mib_s=5, disk_iops=500)
    r = hv.shared_nothing_migration(vm, hv.Link(gbps=10), SRC, TGT)
    d = r.details
    assert d["copied_bytes"] + d["skipped_bytes"] == pytest.approx(vm.storage_bytes, abs=2)
    assert d["skipped_bytes"] <= d["mirrored_bytes"]
    assert r.storage_read_bytes == d["copied_bytes"]
    assert r.storage_write_bytes == d["copied_bytes"] + d["mirrored_bytes"]
    memory_wire = r.passes["wire_bytes"].sum()
    assert r.network_bytes == pytest.approx(d["copied_bytes"] + d["mirrored_bytes"]
                                            + memory_wire, abs=3)
    # the mirror ran from the start of the copy until the VM was paused
    blackout = r.phases.set_index("phase").loc["blackout", "start_s"]
    copy_start = r.phases.set_index("phase").loc["storage_copy", "start_s"]
    assert d["mirrored_bytes"] == pytest.approx(25 * MIB * (blackout - copy_start), rel=1e-9)
    tl = r.timeline
    dt = np.diff(tl.index.to_numpy(), append=tl.index[-1])
    assert np.sum(tl["network_mib_s"].to_numpy() * dt) * MIB == pytest.approx(
        r.network_bytes, rel=1e-9)


def test_equal_storage_descriptions_are_two_arrays():
    vm = hv.VM(name="v", memory_gib=2, disk_gib=30, storage="local")
    fast = hv.Link(gbps=40)
    same = hv.shared_nothing_migration(vm, fast, SRC, SRC)
    apart = hv.shared_nothing_migration(vm, fast, SRC, dataclasses.replace(SRC, name="x"))
    assert same.total_s == pytest.approx(apart.total_s)


@hyp_settings(max_examples=30, deadline=None)
@given(mem=st.floats(0.5, 64), dirty=st.floats(0, 200), disk=st.floats(0, 300),
       wr=st.floats(0, 60), gbps=st.sampled_from([1, 10, 25]),
       cap=st.one_of(st.none(), st.floats(10, 1000)))
def test_never_faster_than_the_link(mem, dirty, disk, wr, gbps, cap):
    vm = hv.VM(name="v", memory_gib=mem, dirty_rate_mib_s=dirty, disk_gib=disk,
               disk_write_mib_s=wr, storage="local")
    link = hv.Link(gbps=gbps)
    r = hv.shared_nothing_migration(vm, link, SRC, TGT, copy_rate_cap_mib_s=cap)
    assert r.total_s >= (vm.storage_bytes + vm.memory_bytes) / link.rate_bytes_s
    assert r.total_s >= r.network_bytes / link.rate_bytes_s
    assert (r.timeline["network_mib_s"] <= link.rate_bytes_s / MIB * (1 + 1e-9)).all()
    assert r.timeline.index.is_monotonic_increasing
    assert r.timeline.index[-1] == pytest.approx(r.total_s)
    p = r.phases
    assert np.allclose(p["start_s"].iloc[1:].to_numpy(), p["end_s"].iloc[:-1].to_numpy())


def test_bad_input():
    vm = hv.VM(name="big", disk_gib=500, storage="local")
    with pytest.raises(ValueError, match=r"'big'.*'small'.*capacity_gib"):
        hv.shared_nothing_migration(vm, GBE, SRC, hv.Storage(name="small", capacity_gib=100))
    with pytest.raises(TypeError, match="source"):
        hv.shared_nothing_migration(vm, GBE, hv.SmbShare(), TGT)
    with pytest.raises(TypeError, match="link"):
        hv.shared_nothing_migration(vm, 1.0, SRC, TGT)
    with pytest.raises(ValueError, match="copy_rate_cap_mib_s"):
        hv.shared_nothing_migration(vm, GBE, SRC, TGT, copy_rate_cap_mib_s=-5)


def test_cli_shared_nothing(capsys):
    from hvlab.cli import main

    assert main(["shared-nothing", "--memory-gib", "8", "--disk-gib", "100",
                 "--link-gbps", "1"]) == 0
    out = capsys.readouterr().out
    assert "shared_nothing" in out and "storage_phase_s" in out and "memory_phase_s" in out
