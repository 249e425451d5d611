"""Simulated performance logs: counter names as Windows writes them, bytes conserved by the
interval averaging, gauges sampled at the instant, instances that come and go, drains and
multi-host logs, determinism."""
import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hyp_settings, strategies as st

import hvlab as hv
from hvlab.perflog import simulate as sim
from hvlab.perflog import vocabulary
from hvlab.results import DrainResult

GIB, MIB, PAGE = 2**30, 2**20, 4096
LM = "Hyper-V VM Live Migration"


def live(memory_gib=8, dirty=40, gbps=1.0, settings=hv.WS2012, name="sql01", ws=None):
    vm = hv.VM(name=name, memory_gib=memory_gib, dirty_rate_mib_s=dirty, working_set_gib=ws)
    return hv.live_migration(vm, hv.Link(gbps=gbps), settings)


def counter(frame, name, obj=LM, host=None):
    """The single column of `frame` with this object and counter (optionally host)."""
    cols = [c for c in frame.columns if c[1] == obj and c[3] == name
            and (host is None or c[0] == host)]
    assert len(cols) == 1, cols
    return frame[cols[0]]


def integral(series):
    """Bytes a rate counter accounts for: sum of rate x interval (interval from the index)."""
    dt = series.index.to_series().diff().dt.total_seconds()
    return float((series * dt).sum())


def sample_seconds(frame, start=sim.DEFAULT_START):
    return (frame.index - start).total_seconds().to_numpy()


# ---- names and shape -------------------------------------------------------------------------
def test_counter_paths_are_the_windows_names():
    frame = sim.result_to_frame(live(), host="HV07")
    assert frame.columns.names == ["host", "object", "instance", "counter"]
    assert frame.index.name == "time" and isinstance(frame.index, pd.DatetimeIndex)
    assert (frame.dtypes == "float64").all()
    lm = {c[3] for c in frame.columns if c[1] == LM}
    # docs/domain.md, performance counters: case as Windows writes it. A WS2012 host (not
    # R2) has no Compression or SMB option, hence no Compressor or SMB Transport counters
    ws2012 = {"Transfer Pass: Number", "Transfer pass: Dirty Page Count",
              "Transfer Pass: Is blackout", "TCP Transport: Bytes Sent/sec",
              "Memory Walker: Uncompressed Bytes Sent/sec", "Memory Walker: Bytes Read/sec"}
    assert lm == ws2012
    r2 = {c[3] for c in sim.result_to_frame(live(), version="WS2012R2").columns if c[1] == LM}
    assert r2 == ws2012 | {"SMB Transport: Bytes Sent/sec",
                           "Compressor: Compressed Bytes Sent/sec"}
    assert {c[2] for c in frame.columns if c[1] == LM} == {"sql01:VM Live Migration"}
    assert {c[0] for c in frame.columns} == {"HV07"}
    nic = [c for c in frame.columns if c[1] == "Network Interface"]
    assert {c[3] for c in nic} == {"Bytes Sent/sec", "Bytes Received/sec", "Current Bandwidth"}
    assert "(" not in nic[0][2] and ")" not in nic[0][2]  # PDH writes [ ] in NIC names
    assert not any("Total Bytes Sent" in c[3] for c in frame.columns)


def test_vhd_instance_replaces_backslashes():
    assert vocabulary.vhd_instance(r"C:\ClusterStorage\Volume1\sql01.vhdx") == \
        "C:-ClusterStorage-Volume1-sql01.vhdx"
    assert vocabulary.lm_instance("sql01") == "sql01:VM Live Migration"


def test_first_row_of_rate_counters_is_missing_and_gauges_are_not():
    frame = sim.result_to_frame(live(), lead_s=0.0)
    rates = [c for c in frame.columns if c[3].endswith("/sec")]
    assert frame[rates].iloc[0].isna().all()
    assert frame[counter(frame, "Current Bandwidth", "Network Interface").name].iloc[0] == 1e9


def test_start_is_the_migration_start_and_samples_are_regular():
    start = pd.Timestamp("2012-11-05 22:10:00")
    r = live()
    frame = sim.result_to_frame(r, start=start, interval_s=2.0, lead_s=7.0, tail_s=9.0)
    t = sample_seconds(frame, start)
    assert t[0] == pytest.approx(-7.0)
    assert np.allclose(np.diff(t), 2.0)
    assert t[-1] >= r.total_s + 9.0 and t[-2] < r.total_s + 9.0


# ---- bytes conserved -------------------------------------------------------------------------
@pytest.mark.parametrize("interval_s", [0.5, 1.0, 2.5, 15.0])
@pytest.mark.parametrize("lead_s", [0.0, 3.3, 11.9])
def test_rate_counters_conserve_bytes(interval_s, lead_s):
    r = live(memory_gib=4, dirty=60)
    frame = sim.result_to_frame(r, interval_s=interval_s, lead_s=lead_s)
    wire = integral(counter(frame, "TCP Transport: Bytes Sent/sec"))
    memory = integral(counter(frame, "Memory Walker: Bytes Read/sec"))
    assert wire == pytest.approx(r.network_bytes, rel=1e-9)
    assert memory == pytest.approx(r.passes["sent_bytes"].sum(), rel=1e-9)
    nic = integral(counter(frame, "Bytes Sent/sec", "Network Interface"))
    assert nic == pytest.approx(r.network_bytes * 1514 / 1460, rel=1e-9)
    # a WS2012 host has no such counters; a WS2012 R2 host running TCP/IP shows them idle
    assert not any(c[3].startswith(("SMB Transport", "Compressor")) for c in frame.columns)
    frame = sim.result_to_frame(r, interval_s=interval_s, lead_s=lead_s, version="WS2012R2")
    assert integral(counter(frame, "SMB Transport: Bytes Sent/sec")) == 0
    assert integral(counter(frame, "Compressor: Compressed Bytes Sent/sec")) == 0


@hyp_settings(max_examples=25, deadline=None)
@given(memory=st.sampled_from([0.5, 2, 8]), dirty=st.floats(0, 120),
       gbps=st.sampled_from([1.0, 10.0]), interval=st.sampled_from([0.25, 1.0, 3.0, 15.0]),
       lead=st.floats(0, 20))
def test_bytes_conserved_for_any_sampling(memory, dirty, gbps, interval, lead):
    r = live(memory_gib=memory, dirty=dirty, gbps=gbps)
    frame = sim.result_to_frame(r, interval_s=interval, lead_s=lead)
    assert integral(counter(frame, "TCP Transport: Bytes Sent/sec")) == \
        pytest.approx(r.network_bytes, rel=1e-9)
    # a rate never exceeds what the link carries (payload) during any interval
    assert np.nanmax(counter(frame, "TCP Transport: Bytes Sent/sec")) <= \
        hv.Link(gbps=gbps).rate_bytes_s * (1 + 1e-9)


def test_compression_counters():
    r = live(settings=hv.WS2012R2)
    assert r.passes["sent_bytes"].sum() > r.network_bytes  # it did compress
    frame = sim.result_to_frame(r)
    assert integral(counter(frame, "Compressor: Compressed Bytes Sent/sec")) == \
        pytest.approx(r.network_bytes, rel=1e-9)
    assert integral(counter(frame, "TCP Transport: Bytes Sent/sec")) == \
        pytest.approx(r.network_bytes, rel=1e-9)
    memory = integral(counter(frame, "Memory Walker: Bytes Read/sec"))
    assert memory / r.network_bytes == pytest.approx(hv.WS2012R2.compression_ratio, rel=1e-9)
    assert integral(counter(frame, "Memory Walker: Uncompressed Bytes Sent/sec")) == 0


def test_smb_transport_counters():
    settings = dataclasses.replace(hv.WS2012R2, transport="smb")
    r = hv.live_migration(hv.VM(memory_gib=4, dirty_rate_mib_s=100),
                          hv.Link(gbps=10, nics=2, rdma=True), settings)
    frame = sim.result_to_frame(r)
    assert integral(counter(frame, "SMB Transport: Bytes Sent/sec")) == \
        pytest.approx(r.network_bytes, rel=1e-9)
    assert integral(counter(frame, "TCP Transport: Bytes Sent/sec")) == 0


# ---- gauges and instance lifetime ------------------------------------------------------------
@pytest.mark.parametrize("interval_s, lead_s", [(1.0, 0.0), (1.0, 4.3), (0.2, 1.0), (5.0, 2.2)])
def test_gauges_are_instantaneous(interval_s, lead_s):
    r = live(memory_gib=8, dirty=40)
    frame = sim.result_to_frame(r, interval_s=interval_s, lead_s=lead_s)
    t = sample_seconds(frame)
    number = counter(frame, "Transfer Pass: Number").to_numpy()
    pages = counter(frame, "Transfer pass: Dirty Page Count").to_numpy()
    black = counter(frame, "Transfer Pass: Is blackout").to_numpy()
    passes = r.passes
    end_blackout = r.phases.set_index("phase").loc["blackout", "end_s"]
    for j, tj in enumerate(t):
        if np.isnan(number[j]):
            continue
        row = passes[(passes["start_s"] <= tj) & (tj < passes["end_s"])]
        if tj < passes["start_s"].iloc[0]:  # setup
            assert (number[j], pages[j], black[j]) == (0, 0, 0)
        elif tj >= end_blackout:  # closing sample: final pass number, nothing dirty
            assert (number[j], pages[j], black[j]) == (passes["pass"].iloc[-1], 0, 0)
        elif len(row):
            p = row.iloc[0]
            assert number[j] == p["pass"]
            assert black[j] == (1 if p["blackout"] else 0)
            if p["pass"] == 1:  # pass 1 copies every page of memory
                assert pages[j] == 8 * GIB / PAGE
            elif not p["blackout"]:
                assert pages[j] == round(p["sent_bytes"] / PAGE)
        else:  # after the final copy, inside the blackout (handle move, resume)
            assert black[j] == 1 and number[j] == passes["pass"].iloc[-1]


def test_instance_exists_only_around_the_migration():
    r = live(memory_gib=2, dirty=10)
    frame = sim.result_to_frame(r, interval_s=1.0, lead_s=5.5, tail_s=6.0)
    t = sample_seconds(frame)
    present = counter(frame, "Transfer Pass: Number").notna().to_numpy()
    end = r.phases["end_s"].max()
    # from the last sample at or before the start to the first at or after the end
    assert t[present][0] == pytest.approx(-0.5)
    assert t[present][-1] == pytest.approx(np.ceil(end - 0.5) + 0.5)
    assert present.sum() == np.flatnonzero(present)[-1] - np.flatnonzero(present)[0] + 1
    assert counter(frame, "Bytes Sent/sec", "Network Interface").iloc[1:].notna().all()
    # rate counters of the instance are blank at its first sample (one raw count only)
    first = np.flatnonzero(present)[0]
    assert np.isnan(counter(frame, "TCP Transport: Bytes Sent/sec").iloc[first])


# ---- other kinds -----------------------------------------------------------------------------
def test_quick_migration_writes_disk_counters_and_no_live_migration():
    vm = hv.VM(name="web01", memory_gib=4)
    r = hv.quick_migration(vm, hv.Storage(read_mib_s=200, write_mib_s=100))
    frame = sim.result_to_frame(r, interval_s=1.0)
    assert not any(c[1] == LM for c in frame.columns)
    disk = [c for c in frame.columns if c[1] == "PhysicalDisk"]
    assert {c[3] for c in disk} >= {"Disk Read Bytes/sec", "Disk Write Bytes/sec"}
    assert integral(counter(frame, "Disk Write Bytes/sec", "PhysicalDisk")) == \
        pytest.approx(r.storage_write_bytes, rel=1e-6)
    assert integral(counter(frame, "Disk Read Bytes/sec", "PhysicalDisk")) == \
        pytest.approx(r.storage_read_bytes, rel=1e-6)
    assert integral(counter(frame, "Bytes Sent/sec", "Network Interface")) == 0


def two_vm_drain():
    """A drain built by hand: two live migrations, the second starting when the first ends."""
    a = live(memory_gib=4, dirty=20, name="sql01")
    b = live(memory_gib=2, dirty=5, name="web01")
    migrations = pd.DataFrame({
        "vm": ["sql01", "web01"], "kind": ["live", "live"], "queued_s": [0.0, a.total_s],
        "start_s": [0.0, a.total_s], "end_s": [a.total_s, a.total_s + b.total_s],
        "downtime_s": [a.downtime_s, b.downtime_s],
        "network_bytes": [a.network_bytes, b.network_bytes], "converged": [True, True]})
    times, rates = [], []
    for r, off in ((a, 0.0), (b, a.total_s)):
        times += list(r.timeline.index + off)
        rates += list(r.timeline["network_mib_s"])
    tl = pd.DataFrame({"network_mib_s": rates, "active_migrations": 1},
                      index=pd.Index(times, name="time_s"))
    tl = tl[~tl.index.duplicated(keep="last")]
    return DrainResult(total_s=a.total_s + b.total_s, migrations=migrations, timeline=tl,
                       results=(a, b)), a, b


def test_drain_frame_has_one_instance_per_vm_at_its_own_start():
    drain, a, b = two_vm_drain()
    frame = sim.drain_to_frame(drain, interval_s=1.0, lead_s=2.0)
    t = sample_seconds(frame)
    for r, off in ((a, 0.0), (b, a.total_s)):
        col = (("HV01", LM, f"{r.vm_name}:VM Live Migration", "TCP Transport: Bytes Sent/sec"))
        assert integral(frame[col]) == pytest.approx(r.network_bytes, rel=1e-9)
        present = frame[col[:3] + ("Transfer Pass: Number",)].notna().to_numpy()
        assert t[present][0] <= off < t[present][0] + 1.0
    nic = integral(counter(frame, "Bytes Sent/sec", "Network Interface"))
    assert nic == pytest.approx((a.network_bytes + b.network_bytes) * 1514 / 1460, rel=1e-9)


def test_multihost_drain_frame_has_receivers():
    drain, a, b = two_vm_drain()
    frame = sim.drain_to_frame(drain, host="HV01", destinations=["HV02", "HV03"])
    assert {c[0] for c in frame.columns} == {"HV01", "HV02", "HV03"}
    recv_a = frame[("HV02", LM, "sql01:VM Live Migration", "TCP Transport: Bytes Received/sec")]
    recv_b = frame[("HV03", LM, "web01:VM Live Migration", "TCP Transport: Bytes Received/sec")]
    assert integral(recv_a) == pytest.approx(a.network_bytes, rel=1e-9)
    assert integral(recv_b) == pytest.approx(b.network_bytes, rel=1e-9)
    written = frame[("HV02", LM, "sql01:VM Live Migration", "Receiver: Bytes Written/sec")]
    assert integral(written) == pytest.approx(a.passes["sent_bytes"].sum(), rel=1e-9)
    nic_in = [c for c in frame.columns if c[0] == "HV03" and c[3] == "Bytes Received/sec"]
    assert integral(frame[nic_in[0]]) == pytest.approx(b.network_bytes * 1514 / 1460, rel=1e-9)
    with pytest.raises(ValueError, match="destinations"):
        sim.multihost_drain_to_perflog(drain, "x.csv", destinations=[])


# ---- determinism and errors ------------------------------------------------------------------
def test_same_inputs_same_log_and_seeded_background():
    r = live()
    a = sim.result_to_frame(r, background_mib_s=3, noise_frac=0.3, seed=7)
    b = sim.result_to_frame(r, background_mib_s=3, noise_frac=0.3, seed=7)
    c = sim.result_to_frame(r, background_mib_s=3, noise_frac=0.3, seed=8)
    pd.testing.assert_frame_equal(a, b)
    nic = counter(a, "Bytes Sent/sec", "Network Interface")
    assert not np.allclose(nic.iloc[1:], counter(c, "Bytes Sent/sec", "Network Interface").iloc[1:])
    # background only touches the NIC; the migration's own counters stay exact
    tcp = counter(a, "TCP Transport: Bytes Sent/sec")
    assert integral(tcp) == pytest.approx(r.network_bytes, rel=1e-9)
    idle = nic.iloc[1:5]
    assert idle.mean() == pytest.approx(3 * MIB, rel=0.6) and (idle > 0).all()


def test_bad_arguments_are_named():
    r = live()
    with pytest.raises(ValueError, match="interval_s"):
        sim.result_to_frame(r, interval_s=0)
    with pytest.raises(ValueError, match="lead_s"):
        sim.result_to_frame(r, lead_s=-1)
    with pytest.raises(TypeError, match="MigrationResult"):
        sim.result_to_frame("not a result")
    with pytest.raises(TypeError, match="DrainResult"):
        sim.drain_to_frame(r)


# ---- storage work ----------------------------------------------------------------------------
def storage_result(load_frac=0.0):
    vm = hv.VM(name="sql01", memory_gib=8, disk_gib=4, disk_read_mib_s=20, disk_write_mib_s=10,
               disk_iops=400)
    src = hv.Storage(name="old", read_mib_s=150, write_mib_s=120, iops=3000, load_frac=load_frac)
    return vm, hv.storage_migration(vm, src, hv.Storage(name="new"))


def test_storage_migration_source_and_target_arrays():
    vm, r = storage_result()
    frame = sim.result_to_frame(r, interval_s=1.0, lead_s=10, tail_s=10,
                                vhd=r"C:\ClusterStorage\Volume1\sql01.vhdx")
    assert not any(c[1] == LM for c in frame.columns)
    disks = {c[2] for c in frame.columns if c[1] == "PhysicalDisk"}
    assert disks == {"1 E:", "2 F:"}
    vsd = [c for c in frame.columns if c[1] == "Hyper-V Virtual Storage Device"]
    assert {c[2] for c in vsd} == {"C:-ClusterStorage-Volume1-sql01.vhdx"}
    assert {c[3] for c in vsd} == {"Read Bytes/sec", "Write Bytes/sec", "Latency"}

    def total(name, disk):
        return integral(frame[("HV01", "PhysicalDisk", disk, name)])

    guest_r = integral(counter(frame, "Read Bytes/sec", "Hyper-V Virtual Storage Device"))
    guest_w = integral(counter(frame, "Write Bytes/sec", "Hyper-V Virtual Storage Device"))
    # what the arrays did beyond the guest's own I/O is the migration's (MigrationResult's byte counts)
    reads = total("Disk Read Bytes/sec", "1 E:") + total("Disk Read Bytes/sec", "2 F:")
    writes = total("Disk Write Bytes/sec", "1 E:") + total("Disk Write Bytes/sec", "2 F:")
    assert reads - guest_r == pytest.approx(r.storage_read_bytes, rel=1e-6)
    assert writes - guest_w == pytest.approx(r.storage_write_bytes, rel=1e-6)
    # on idle arrays the guest is fully served: before the move the VHD shows its own rates,
    # all on the source array; after the move all on the target
    t = sample_seconds(frame)
    before, after = t < 0, t > r.total_s + 1
    vsd_read = counter(frame, "Read Bytes/sec", "Hyper-V Virtual Storage Device").to_numpy()
    assert np.allclose(vsd_read[before][1:], vm.disk_read_mib_s * MIB)
    src_read = frame[("HV01", "PhysicalDisk", "1 E:", "Disk Read Bytes/sec")].to_numpy()
    dst_read = frame[("HV01", "PhysicalDisk", "2 F:", "Disk Read Bytes/sec")].to_numpy()
    assert np.allclose(src_read[before][1:], vm.disk_read_mib_s * MIB)
    assert np.allclose(dst_read[before][1:], 0) and np.allclose(src_read[after], 0)
    assert np.allclose(dst_read[after], vm.disk_read_mib_s * MIB)
    idle = frame[("HV01", "PhysicalDisk", "1 E:", "% Idle Time")]
    assert ((idle.dropna() >= 0) & (idle.dropna() <= 100)).all()


def test_struggling_array_shows_in_latency_and_idle_time():
    seen = {}
    for load in (0.0, 0.6):
        _, r = storage_result(load_frac=load)
        frame = sim.result_to_frame(r, interval_s=5.0, lead_s=30)
        t = sample_seconds(frame)
        before, during = t < 0, (t > 10) & (t < r.total_s - 10)
        latency = counter(frame, "Latency", "Hyper-V Virtual Storage Device")
        assert latency[before].iloc[1:].mean() == \
            pytest.approx(r.details["guest_latency_before_ms"], rel=1e-9)
        assert latency[during].mean() == \
            pytest.approx(r.details["guest_latency_during_ms"], rel=0.05)
        assert latency[during].mean() >= latency[before].iloc[1:].mean() - 1e-9
        seen[load] = latency[before].iloc[1:].mean()
        sec_read = frame[("HV01", "PhysicalDisk", "1 E:", "Avg. Disk sec/Read")]
        assert np.allclose(sec_read[during] * 1000, latency[during])  # seconds vs ms
        idle = frame[("HV01", "PhysicalDisk", "1 E:", "% Idle Time")][during]
        assert idle.mean() == pytest.approx(100 * (1 - r.details["peak_array_util_frac"]),
                                            abs=1.0)
    assert seen[0.6] > 5 * seen[0.0]  # the struggling array is slow before the move


def test_shared_nothing_storage_follows_the_vm_to_the_destination():
    vm = hv.VM(name="app02", memory_gib=2, dirty_rate_mib_s=15, disk_gib=4, disk_read_mib_s=5,
               disk_write_mib_s=3, disk_iops=200, storage="local")
    r = hv.shared_nothing_migration(vm, hv.Link(gbps=1), hv.Storage(name="a"),
                                    hv.Storage(name="b"))
    frame = sim.result_to_frame(r, destination="HV02", lead_s=5, tail_s=5)
    # the memory stream is the passes' wire bytes; the NIC carries the copy and mirror too
    tcp = counter(frame, "TCP Transport: Bytes Sent/sec", host="HV01")
    assert integral(tcp) == pytest.approx(r.passes["wire_bytes"].sum(), rel=1e-9)
    nic = counter(frame, "Bytes Sent/sec", "Network Interface", host="HV01")
    assert integral(nic) == pytest.approx(r.network_bytes * 1514 / 1460, rel=1e-9)
    assert ("HV01", "PhysicalDisk", "1 E:", "Disk Read Bytes/sec") in frame
    assert ("HV02", "PhysicalDisk", "2 F:", "Disk Write Bytes/sec") in frame
    assert ("HV01", "PhysicalDisk", "2 F:", "Disk Write Bytes/sec") not in frame
    inst = "D:-Hyper-V-Virtual Hard Disks-app02.vhdx"
    here = frame[("HV01", "Hyper-V Virtual Storage Device", inst, "Read Bytes/sec")]
    there = frame[("HV02", "Hyper-V Virtual Storage Device", inst, "Read Bytes/sec")]
    t = sample_seconds(frame)
    moved = r.phases.set_index("phase").loc["blackout", "end_s"]
    assert here[t < moved].iloc[1:].notna().all() and here[t >= moved].isna().all()
    assert there[t < moved].isna().all() and there[t >= moved].notna().all()
    assert np.allclose(there[t > moved + 1], vm.disk_read_mib_s * MIB)
    reads = integral(frame[("HV01", "PhysicalDisk", "1 E:", "Disk Read Bytes/sec")])
    guest = integral(here.fillna(0)) + integral(there.fillna(0))
    assert reads - integral(here.fillna(0)) == pytest.approx(r.storage_read_bytes, rel=1e-6)
    assert guest > 0


def test_smb_live_migration_shows_the_share_not_local_disks():
    vm = hv.VM(name="app03", memory_gib=2, dirty_rate_mib_s=15, disk_read_mib_s=5,
               disk_write_mib_s=3, disk_iops=200, storage="smb")
    r = hv.smb_live_migration(vm, hv.Link(gbps=1), hv.SmbShare())
    frame = sim.result_to_frame(r)
    assert not any(c[1] == "PhysicalDisk" for c in frame.columns)
    share = [c for c in frame.columns if c[1] == "SMB Client Shares"]
    assert {c[3] for c in share} == {"Read Bytes/sec", "Write Bytes/sec", "Avg. sec/Read",
                                     "Avg. sec/Write"}
    # an SMB Client Shares instance has one leading backslash (windows_exporter's smbclient
    # collector splits it into exactly two fields: server, share)
    assert {c[2] for c in share} == {"\\fs01\\vms"}
    read = frame[("HV01", "SMB Client Shares", "\\fs01\\vms", "Read Bytes/sec")]
    assert np.allclose(read.iloc[1:4], vm.disk_read_mib_s * MIB)  # before the move
    # the VHD on \\fs01\vms is opened as \\?\UNC\fs01\vms\app03.vhdx
    vsd = frame[("HV01", "Hyper-V Virtual Storage Device", "--?-UNC-fs01-vms-app03.vhdx",
                 "Read Bytes/sec")]
    assert np.allclose(vsd.iloc[1:4], vm.disk_read_mib_s * MIB)
    assert integral(counter(frame, "TCP Transport: Bytes Sent/sec")) == \
        pytest.approx(r.passes["wire_bytes"].sum(), rel=1e-9)


def test_to_perflog_file_keeps_zone_format_and_values(tmp_path):
    from hvlab.perflog import read_perflog

    r = live(memory_gib=2, dirty=10)
    start = pd.Timestamp("2013-07-01 09:00", tz="Europe/Berlin")
    path = tmp_path / "log.tsv"
    r.to_perflog(path, host="HV09", start=start, fmt="tsv", encoding="utf-16")
    df, meta = read_perflog(path)
    assert meta["format"] == "pdh-tsv" and meta["bias_min"] == -120  # CEST: UTC = local - 2 h
    frame = sim.result_to_frame(r, host="HV09", start=start)
    assert (df.index == frame.index).all()
    pd.testing.assert_frame_equal(df, frame, check_names=False, check_freq=False,
                                  check_index_type=False)
    naive = tmp_path / "naive.csv"
    r.to_perflog(naive)  # a naive start is written as UTC unless told otherwise
    _, meta = read_perflog(naive)
    assert meta["bias_min"] == 0 and meta["timezone"] == "Coordinated Universal Time"


def test_drain_model_to_frame():
    vms = [hv.VM(name="sql01", memory_gib=8, dirty_rate_mib_s=30),
           hv.VM(name="web01", memory_gib=2, dirty_rate_mib_s=5),
           hv.VM(name="dc01", memory_gib=1, dirty_rate_mib_s=1)]
    drain = hv.drain_host(vms, hv.Link(gbps=1), hv.WS2012)
    frame = sim.drain_to_frame(drain, destinations=["HV02"])
    t = sample_seconds(frame)
    for r, row in zip(drain.results, drain.migrations.itertuples()):
        inst = f"{r.vm_name}:VM Live Migration"
        sent = frame[("HV01", LM, inst, "TCP Transport: Bytes Sent/sec")]
        assert integral(sent) == pytest.approx(row.network_bytes, rel=1e-9)
        present = sent.index[frame[("HV01", LM, inst, "Transfer Pass: Number")].notna()]
        first = (present[0] - sim.DEFAULT_START).total_seconds()
        assert first <= row.start_s < first + 1.0
        got = frame[("HV02", LM, inst, "TCP Transport: Bytes Received/sec")]
        assert integral(got) == pytest.approx(row.network_bytes, rel=1e-9)
    nic = counter(frame, "Bytes Sent/sec", "Network Interface", host="HV01")
    assert integral(nic) == pytest.approx(drain.summary()["network_bytes"] * 1514 / 1460,
                                          rel=1e-9)
    # two at a time share the link: the NIC never carries more than the link's line rate
    assert np.nanmax(nic) <= 1e9 / 8 * (1 + 1e-9)
    assert t[-1] >= drain.total_s
