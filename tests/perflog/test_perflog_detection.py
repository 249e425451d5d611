"""find_migrations with the real counter vocabulary: destinations from the receive counters
(SMB transport included), logs of the destination alone, the send backlog, Quick Migration
from the save and restore operations, RDMA traffic; and no migration where there is none: the
real exports in ../shared/data/perflogs/ (read in place) and logs with bursty traffic that is
not a migration (backups, file copies, CSV redirected I/O)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import hvlab as hv
from hvlab.perflog import read_perflog
from hvlab.perflog import simulate as sim
from hvlab.perflog.detection import find_migrations
from hvlab.perflog.vocabulary import LEVELS

MIB, GIB = 2**20, 2**30
START = pd.Timestamp("2013-03-12 14:00:00")
LM = "Hyper-V VM Live Migration"
FRAMING = 1514 / 1460  # NIC bytes per TCP payload byte: Ethernet + IPv4 + TCP headers


# ---- real exports with no migration --------------------------------------------------------------
@pytest.mark.parametrize("name", ["zh_network_1gbe_no_migration.csv", "ja_cp932_basic_dcs.csv",
                                  "ja_tz_wide_5963_columns.csv", "ps_counter_samples.csv",
                                  "ps_counter_samples.tsv"])
def test_real_logs_without_migrations_show_none(real_log, name):
    df, meta = read_perflog(real_log(name))
    assert len(df) > 10 and meta["bad_cells"] == 0
    found = find_migrations(df)
    assert found.empty


def test_the_busy_real_nic_is_busy(real_log):
    """The 1 GbE NIC of the real Chinese desktop log moved over a GiB in ten minutes, with
    peaks of several MiB/s: traffic, not a migration."""
    df, _ = read_perflog(real_log("zh_network_1gbe_no_migration.csv"))
    nic = [c for c in df.columns if c[1] == "Network Interface" and "GbE" in c[2]]
    received = df[[c for c in nic if c[3] == "Bytes Received/sec"][0]]
    dt = received.index.to_series().diff().dt.total_seconds()
    assert float((received * dt).sum()) > 1 * GIB
    assert received.max() > 4 * MIB
    assert find_migrations(df).empty


# ---- bursty traffic that is not a migration -----------------------------------------------------
def _frame(columns: dict, n: int, interval_s=1.0) -> pd.DataFrame:
    index = pd.DatetimeIndex(START + pd.to_timedelta(np.arange(n) * interval_s, unit="s"),
                             name="time")
    frame = pd.DataFrame(columns, index=index)
    frame.columns = pd.MultiIndex.from_tuples(list(columns), names=LEVELS)
    return frame


def _burst(n=1200, start=300, end=900, payload=100 * MIB, base=0.5 * MIB, seed=0):
    """A payload rate: `payload` bytes/s in [start, end), `base` with noise elsewhere."""
    rng = np.random.default_rng(seed)
    rate = base * rng.gamma(4.0, 0.25, n)
    rate[start:end] += payload
    return rate


NIC = ("HV01", "Network Interface", "Intel[R] 82576 Gigabit Dual Port Network Connection")


def _nic_columns(payload_rate):
    n = payload_rate.size
    return {NIC + ("Bytes Sent/sec",): payload_rate * FRAMING,
            NIC + ("Bytes Received/sec",): np.full(n, 0.2 * MIB),
            NIC + ("Current Bandwidth",): np.full(n, 1e9)}


EXPLAINERS = {
    "backup off a local disk": [("HV01", "PhysicalDisk", "1 D:", "Disk Read Bytes/sec")],
    "file copy to a share": [("HV01", "SMB Client Shares", "\\backup01\\vmbackup",
                              "Write Bytes/sec")],
    "clients reading this host's share": [("HV01", "SMB Server Shares", "isos",
                                           "Read Bytes/sec")],
    "CSV redirected I/O": [("HV01", "Cluster CSV File System", "Volume1",
                            "Redirected Write Bytes/sec")],
}


@pytest.mark.parametrize("what", sorted(EXPLAINERS))
def test_a_burst_the_log_explains_is_not_a_migration(what):
    """100 MiB/s for 10 minutes over 1 GbE (60 GB: far above every threshold), and the same
    payload at the same time in another counter of the host: a backup or copy, not a move."""
    payload = _burst()
    cols = _nic_columns(payload)
    # what the NIC could not have come from: the other traffic, read at its own payload rate
    for key in EXPLAINERS[what]:
        cols[key] = _burst(seed=1, base=2 * MIB)  # own background, same burst
    found = find_migrations(_frame(cols, payload.size))
    assert found.empty
    skipped = found.attrs["not_migrations"]
    assert len(skipped) == 1 and skipped[0]["explained_frac"] >= 0.9
    assert EXPLAINERS[what][0][1] in skipped[0]["explained_by"]
    # the control: without that counter the same burst is reported (the rule is what decides)
    bare = find_migrations(_frame(_nic_columns(payload), payload.size))
    assert list(bare["source"]) == ["network"]
    assert bare["network_bytes"].iloc[0] == pytest.approx(600 * 100 * MIB * FRAMING, rel=0.02)


def test_steady_other_traffic_does_not_hide_a_migration():
    """A guest reading its disk all along (a high baseline, no burst) explains nothing."""
    payload = _burst()
    cols = _nic_columns(payload)
    cols[("HV01", "PhysicalDisk", "1 D:", "Disk Read Bytes/sec")] = np.full(payload.size,
                                                                          120 * MIB)
    found = find_migrations(_frame(cols, payload.size))
    assert list(found["source"]) == ["network"] and not found.attrs["not_migrations"]


def test_short_bursts_of_ordinary_traffic_are_not_migrations():
    """Web-like traffic: 40 bursts of 3 s at 15 MiB/s (45 MiB each, under the 64 MiB a
    migration moves at least), 25 s apart."""
    n = 1200
    payload = _burst(base=0.3 * MIB, payload=0)
    for k in range(40):
        payload[20 + 28 * k:23 + 28 * k] += 15 * MIB
    assert find_migrations(_frame(_nic_columns(payload), n)).empty


def test_rdma_bursts_and_the_file_copies_they_carry():
    """SMB Direct traffic is not in Network Interface: a live migration over RDMA shows as
    RDMA Activity outbound bytes; an SMB Direct file copy shows in SMB Client Shares too."""
    payload = _burst(payload=1000 * MIB)
    rdma = ("HV01", "RDMA Activity", "Mellanox ConnectX-3 Ethernet Adapter",
            "RDMA Outbound Bytes/sec")
    quiet = _nic_columns(_burst(payload=0))
    found = find_migrations(_frame({**quiet, rdma: payload}, payload.size))
    assert list(found["source"]) == ["rdma"]
    assert found["network_bytes"].iloc[0] == pytest.approx(600 * 1000 * MIB, rel=0.01)
    copy = ("HV01", "SMB Client Shares", "\\fs01\\isos",
            "Write Bytes transmitted via SMB Direct/sec")
    share = ("HV01", "SMB Client Shares", "\\fs01\\isos", "Write Bytes/sec")
    found = find_migrations(_frame({**quiet, rdma: payload, share: payload.copy(),
                                    copy: payload.copy()}, payload.size))
    assert found.empty and found.attrs["not_migrations"][0]["source"] == "rdma"


# ---- destinations from the receive counters -----------------------------------------------------
def _smb_live(settings=hv.WS2012R2):
    smb = dataclasses.replace(settings, transport="smb")
    return hv.live_migration(hv.VM(name="sql09", memory_gib=4, dirty_rate_mib_s=40),
                             hv.Link(gbps=10, nics=2, rdma=True), smb)


def test_smb_transport_destination_is_found_by_the_receiver_counters():
    """The SMB transport sends nothing over TCP, so TCP Transport: Bytes Received/sec stays 0
    on the destination; Receiver: Uncompressed Bytes Received/sec carries the stream."""
    r = _smb_live()
    frame = sim.result_to_frame(r, destination="HV02")
    tcp = frame[("HV02", LM, "sql09:VM Live Migration", "TCP Transport: Bytes Received/sec")]
    assert np.nansum(tcp) == 0
    found = find_migrations(frame)
    assert list(found["destination"]) == ["HV02"] and list(found["transport"]) == ["smb"]


def test_a_log_of_the_destination_alone():
    r = hv.live_migration(hv.VM(name="web03", memory_gib=2, dirty_rate_mib_s=10),
                          hv.Link(gbps=1), hv.WS2012)
    frame = sim.result_to_frame(r, destination="HV02", lead_s=10, tail_s=10)
    dest = frame.loc[:, [c for c in frame.columns if c[0] == "HV02"]]
    found = find_migrations(dest)
    assert len(found) == 1
    row = found.iloc[0]
    assert (row["source"], row["vm"], row["destination"], row["host"]) == (
        "receiver", "web03", "HV02", "")
    # the receiver's uncompressed bytes are the wire bytes the source sent (TCP/IP option)
    assert row["network_bytes"] == pytest.approx(r.network_bytes, rel=1e-6)
    assert abs(row["duration_s"] - r.total_s) <= 2.0
    # with the source in the log too, it is one migration, not two
    both = find_migrations(frame)
    assert list(both["source"]) == ["counters"] and list(both["destination"]) == ["HV02"]


# ---- the send backlog -----------------------------------------------------------------------------
def test_the_send_backlog_says_whether_the_network_set_the_pace():
    r = hv.live_migration(hv.VM(name="sql01", memory_gib=2, dirty_rate_mib_s=20),
                          hv.Link(gbps=1), hv.WS2012)
    frame = sim.result_to_frame(r)
    inst = ("HV01", LM, "sql01:VM Live Migration")
    assert find_migrations(frame)["network_bound"].isna().all()  # not logged: not known
    sending = frame[inst + ("TCP Transport: Bytes Sent/sec",)].fillna(0) > 0
    present = frame[inst + ("Transfer Pass: Number",)].notna()
    queued = frame.copy()
    queued[inst + ("TCP Transport: Bytes Pending Send",)] = np.where(
        present, np.where(sending, 8 * MIB, 0.0), np.nan)
    row = find_migrations(queued).iloc[0]
    assert bool(row["network_bound"]) and row["send_backlog_bytes"] == 8 * MIB
    assert any("the network set the pace" in n for n in hv.perflog.estimate(queued, row).notes)
    idle = frame.copy()
    idle[inst + ("TCP Transport: Bytes Pending Send",)] = np.where(present, 0.0, np.nan)
    row = find_migrations(idle).iloc[0]
    assert not bool(row["network_bound"]) and row["send_backlog_bytes"] == 0


# ---- Quick Migration ---------------------------------------------------------------------------
def test_quick_migration_from_save_and_restore():
    vm = hv.VM(name="web01", memory_gib=4)
    r = hv.quick_migration(vm, hv.Storage(read_mib_s=200, write_mib_s=100))
    frame = sim.result_to_frame(r, destination="HV02", interval_s=1.0)
    found = find_migrations(frame)
    assert len(found) == 1
    row = found.iloc[0]
    assert (row["source"], row["vm"], row["host"], row["destination"]) == (
        "save-restore", "web01", "HV01", "HV02")
    phases = r.phases.set_index("phase")
    t0 = (row["start"] - sim.DEFAULT_START).total_seconds()
    t1 = (row["end"] - sim.DEFAULT_START).total_seconds()
    # the operation starts after the sample `start` and ends by the sample `end` (1 s)
    assert t0 <= phases.loc["save", "start_s"] < t0 + 1.0
    assert t1 - 1.0 < phases.loc["restore", "end_s"] <= t1
    assert row["blackout_s"] == pytest.approx(r.downtime_s, abs=2.0)
    with pytest.raises(ValueError, match="Quick Migration has no pre-copy"):
        hv.perflog.estimate(frame, row)
    # a save seen alone is also a plain Save: not reported
    source_only = frame.loc[:, [c for c in frame.columns if c[0] == "HV01"]]
    assert find_migrations(source_only).empty


def test_a_checkpoint_is_not_a_quick_migration():
    """An operation whose VM stays on its host (a checkpoint) moves nothing."""
    n = 120
    op = np.zeros(n)
    op[30:50] = np.arange(1, 21) * 1000.0
    op[50:] = 20000.0
    inst = "web01:Current or most recent Save-Restore-Snapshot operation"
    cols = {("HV01", "Hyper-V VM Save, Snapshot, and Restore", inst, "Operation Time"): op,
            ("HV02", "Hyper-V VM Save, Snapshot, and Restore", inst, "Operation Time"):
                np.where(np.arange(n) >= 60, op, np.nan)}
    assert find_migrations(_frame(cols, n)).empty
