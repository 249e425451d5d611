"""SMB Live Migration: a live migration whose blackout moves the open handles; the guest's I/O
to the share competes with the memory copy when it uses the same network."""
import dataclasses

import pytest
from hypothesis import given, settings as hyp_settings, strategies as st

import hvlab as hv

MIB = 2**20
LINK = hv.Link(gbps=1)


def test_quiet_guest_is_a_live_migration_plus_handle_moves():
    vm = hv.VM(name="web", memory_gib=8, dirty_rate_mib_s=30, storage="smb")
    share = hv.SmbShare(link=LINK)
    s = hv.WS2012
    live = hv.live_migration(vm, LINK, s)
    smb = hv.smb_live_migration(vm, LINK, share, s, open_files=6)
    handles = 6 * s.smb_handle_move_ms / 1000
    # the cluster disk handle move is replaced by the per-file handle moves
    assert smb.downtime_s == pytest.approx(live.downtime_s - s.handle_move_s + handles)
    assert smb.total_s == pytest.approx(live.total_s - s.handle_move_s + handles)
    assert smb.n_passes == live.n_passes and smb.network_bytes == live.network_bytes
    assert smb.kind == "smb_live" and smb.details["handle_move_s"] == pytest.approx(handles)
    assert "handle" in smb.summary()["explanation"]


def test_handle_count_and_cost_set_the_blackout():
    vm = hv.VM(name="web", memory_gib=2, storage="smb")
    share = hv.SmbShare(link=LINK)
    few = hv.smb_live_migration(vm, LINK, share, open_files=0)
    many = hv.smb_live_migration(vm, LINK, share, open_files=200)
    assert many.downtime_s - few.downtime_s == pytest.approx(200 * 2.0 / 1000)
    slow = hv.smb_live_migration(vm, LINK, share, open_files=200, handle_move_ms_per_file=10)
    assert slow.downtime_s - few.downtime_s == pytest.approx(200 * 10 / 1000)
    tuned = hv.smb_live_migration(vm, LINK, share, dataclasses.replace(
        hv.WS2012, smb_handle_move_ms=10), open_files=200)
    assert tuned.downtime_s == pytest.approx(slow.downtime_s)


def test_guest_io_on_the_same_network_slows_the_copy_and_adds_passes():
    vm = hv.VM(name="db", memory_gib=8, dirty_rate_mib_s=30, disk_read_mib_s=40,
               disk_write_mib_s=20, disk_iops=800, storage="smb")
    share = hv.SmbShare(link=LINK)
    shared = hv.smb_live_migration(vm, LINK, share)
    apart = hv.smb_live_migration(vm, LINK, share, same_network=False)
    assert shared.details["same_network"] and not apart.details["same_network"]
    # links are full duplex: the memory copy leaves the host beside the guest's 20 MiB/s of
    # writes; the guest's 40 MiB/s of reads come in the other way
    first = shared.passes.iloc[0]
    rate = first["wire_bytes"] / (first["end_s"] - first["start_s"])
    assert rate == pytest.approx(LINK.rate_bytes_s - 20 * MIB, rel=1e-9)
    assert shared.total_s > apart.total_s
    assert shared.n_passes > apart.n_passes
    # on a separate network it is the plain live migration again (plus handles)
    live = hv.live_migration(vm, LINK)
    assert apart.n_passes == live.n_passes
    # during the blackout the paused guest does no I/O and the copy has the whole link
    black = shared.passes[shared.passes["blackout"]].iloc[0]
    assert black["wire_bytes"] / (black["end_s"] - black["start_s"]) == pytest.approx(
        LINK.rate_bytes_s, rel=1e-9)


def test_guest_reads_do_not_slow_the_outbound_copy():
    # an 8 GiB VM reading 60 MiB/s from a share on the 1 GbE migration link: the reads come
    # in, the memory goes out; the move takes what the same VM without I/O takes
    reader = hv.VM(name="r", memory_gib=8, disk_read_mib_s=60, disk_iops=500, storage="smb")
    quiet = dataclasses.replace(reader, disk_read_mib_s=0, disk_iops=0)
    share = hv.SmbShare(link=LINK)
    busy, idle = (hv.smb_live_migration(v, LINK, share) for v in (reader, quiet))
    assert busy.total_s == pytest.approx(idle.total_s, rel=1e-9)
    assert busy.total_s < 80


def test_guest_latency_from_the_share_array():
    vm = hv.VM(name="db", memory_gib=2, disk_read_mib_s=40, disk_write_mib_s=30,
               disk_iops=2000, storage="smb")
    array = hv.Storage(read_mib_s=400, write_mib_s=300, iops=20000, base_latency_ms=4,
                       load_frac=0.3)
    r = hv.smb_live_migration(vm, hv.Link(gbps=10), hv.SmbShare(storage=array))
    util = 0.3 + 2000 / 20000 + 40 / 400 + 30 / 300
    assert r.details["guest_latency_ms"] == pytest.approx(4 / (1 - util))
    tl = r.timeline
    assert tl["guest_latency_ms"][~tl["blackout"]].dropna().to_numpy() == pytest.approx(
        4 / (1 - util))


@hyp_settings(max_examples=30, deadline=None)
@given(gbps=st.floats(0.5, 20), io=st.floats(0, 200), dirty=st.floats(0, 300),
       mem=st.floats(0.5, 32), files=st.integers(0, 50))
def test_physical_bounds(gbps, io, dirty, mem, files):
    link = hv.Link(gbps=gbps)
    vm = hv.VM(name="v", memory_gib=mem, dirty_rate_mib_s=dirty, disk_read_mib_s=io,
               storage="smb")
    r = hv.smb_live_migration(vm, link, hv.SmbShare(link=link), open_files=files)
    tl = r.timeline
    cap = link.rate_bytes_s / MIB * (1 + 1e-9)
    # each direction of the full-duplex link: memory and guest writes out, guest reads in
    assert ((tl["network_mib_s"] + tl["storage_write_mib_s"]) <= cap).all()
    assert (tl["storage_read_mib_s"] <= cap).all()
    assert r.total_s >= r.network_bytes / link.rate_bytes_s
    assert r.downtime_s >= files * hv.WS2012.smb_handle_move_ms / 1000
    assert tl.index.is_monotonic_increasing and tl.index[-1] == pytest.approx(r.total_s)


def test_same_seed_same_result():
    s = dataclasses.replace(hv.WS2012, dirty_model="unique")
    vm = hv.VM(name="v", memory_gib=4, dirty_rate_mib_s=50, storage="smb")
    a = hv.smb_live_migration(vm, LINK, hv.SmbShare(), s, seed=3)
    b = hv.smb_live_migration(vm, LINK, hv.SmbShare(), s, seed=3)
    assert a.summary().equals(b.summary()) and a.passes.equals(b.passes)


def test_bad_input():
    vm = hv.VM(storage="smb")
    with pytest.raises(ValueError, match="open_files"):
        hv.smb_live_migration(vm, LINK, hv.SmbShare(), open_files=-1)
    with pytest.raises(ValueError, match="open_files"):
        hv.smb_live_migration(vm, LINK, hv.SmbShare(), open_files=2.5)
    with pytest.raises(ValueError, match="handle_move_ms_per_file"):
        hv.smb_live_migration(vm, LINK, hv.SmbShare(), handle_move_ms_per_file=-1)
    with pytest.raises(TypeError, match="share"):
        hv.smb_live_migration(vm, LINK, hv.Storage())
    with pytest.raises(TypeError, match="same_network"):
        hv.smb_live_migration(vm, LINK, hv.SmbShare(), same_network="yes")
    with pytest.raises(ValueError, match="smb_handle_move_ms"):
        hv.MigrationSettings(smb_handle_move_ms=-1)


def test_handles_are_the_hosts_files_not_the_guests():
    # one VHDX, the configuration and two saved-state files: 4 handles; each disk adds one,
    # each checkpoint one differencing disk per disk (the guest's own files are inside the
    # VHDX and are not handles on the share)
    assert hv.VM().open_files == 4
    assert hv.VM(disk_count=3, checkpoint_count=2).open_files == 3 * 3 + 3
    vm = hv.VM(name="fs", memory_gib=4, storage="smb", disk_count=2, checkpoint_count=1)
    r = hv.smb_live_migration(vm, LINK, hv.SmbShare())
    assert r.details["open_files"] == vm.open_files == 7
    assert r.details["handle_move_s"] == pytest.approx(
        7 * hv.WS2012.smb_handle_move_ms / 1000, rel=1e-12)


def test_a_share_that_is_not_continuously_available_is_said():
    vm = hv.VM(name="v", memory_gib=2, storage="smb")
    nas = hv.SmbShare(name="nas01", continuously_available=False)
    r = hv.smb_live_migration(vm, LINK, nas)
    assert "not continuously available" in r.summary()["explanation"]
    ca = hv.smb_live_migration(vm, LINK, hv.SmbShare())
    assert "not continuously available" not in ca.summary()["explanation"]


def test_smb_live_migration_needs_windows_server_2012():
    with pytest.raises(ValueError, match="2012"):
        hv.smb_live_migration(hv.VM(storage="smb"), LINK, hv.SmbShare(), hv.WS2008R2)
