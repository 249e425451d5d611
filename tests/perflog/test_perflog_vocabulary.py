"""The counter vocabulary: every name spelled once, the instance formats both ways, and every
counter the simulator writes known to the catalogue (so `label` gives its unit)."""
import ast
import collections
import inspect
from pathlib import Path

import pytest

import hvlab as hv
from hvlab.perflog import vocabulary


def test_each_name_is_spelled_once():
    tree = ast.parse(inspect.getsource(vocabulary))
    constants = [node.value.value for node in tree.body
                 if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                 and isinstance(node.value.value, str)]
    twice = [s for s, n in collections.Counter(constants).items() if n > 1]
    assert constants and not twice


@pytest.mark.parametrize("vm", ["sql01", "web:01", "a b"])
def test_instance_formats_round_trip(vm):
    instance = vocabulary.lm_instance(vm)
    assert instance.endswith(vocabulary.LM_SUFFIX)
    assert vocabulary.vm_of_instance(instance) == vm
    assert vocabulary.vm_of_instance("nic1") == "nic1"


def test_nic_names_use_brackets_as_pdh_writes_them():
    for gbps in vocabulary.STANDARD_GBPS:
        name = vocabulary.nic_name(gbps)
        assert "(" not in name and "[R]" in name


def test_every_simulated_counter_is_in_the_catalogue():
    vm = hv.VM(name="sql01", memory_gib=2, dirty_rate_mib_s=20, disk_gib=4, disk_read_mib_s=4,
               disk_write_mib_s=2, disk_iops=100)
    old, new = hv.Storage(name="old"), hv.Storage(name="new")
    results = [hv.live_migration(vm, hv.Link(gbps=1)),
               hv.storage_migration(vm, old, new),
               hv.shared_nothing_migration(vm, hv.Link(gbps=1), old, new),
               hv.smb_live_migration(vm, hv.Link(gbps=1), hv.SmbShare()),
               hv.quick_migration(vm, old)]
    seen = set()
    for r in results:
        frame = hv.perflog.result_to_frame(r, destination="HV02", interval_s=5.0)
        seen |= {(c[1], c[3]) for c in frame.columns}
    assert {obj for obj, _ in seen} >= {vocabulary.LM_OBJECT, vocabulary.NIC_OBJECT,
                                         vocabulary.DISK_OBJECT, vocabulary.VSD_OBJECT,
                                         vocabulary.SMB_OBJECT, vocabulary.SSR_OBJECT}
    for obj, counter in seen:
        assert hv.perflog.describe(counter, object=obj).object == obj
    for obj in {obj for obj, _ in seen}:
        assert vocabulary.INSTANCE_FORMATS[obj]


# ---- the real vocabulary (issue 11, part 4): sources in docs/domain.md --------------------------
def test_open_file_count_belongs_to_the_server_shares():
    """windows_exporter's smb collector reads "Current Open File Count" from SMB Server
    Shares; its smbclient collector's SMB Client Shares counters have no such counter."""
    table = hv.perflog.counter_table()
    has = {(o, c) for o, c in zip(table.object, table.counter)}
    assert ("SMB Server Shares", "Current Open File Count") in has
    assert ("SMB Client Shares", "Current Open File Count") not in has
    assert ("SMB Client Shares", "Write Bytes transmitted via SMB Direct/sec") in has


def test_smb_share_and_unc_vhd_instances():
    # an SMB Client Shares instance is \server\share: exactly two fields split at "\"
    share = vocabulary.smb_share_instance(r"\\fs01\vms")
    assert share == r"\fs01\vms" and share.split("\\")[1:] == ["fs01", "vms"]
    # a VHD on a share is opened by its \\?\UNC\ path, then "\" becomes "-"
    assert vocabulary.vhd_instance(r"\\fs01\vms\x.vhdx") == "--?-UNC-fs01-vms-x.vhdx"
    assert vocabulary.vhd_instance(r"\\?\UNC\fs01\vms\x.vhdx") == "--?-UNC-fs01-vms-x.vhdx"
    assert vocabulary.vhd_instance(r"C:\VMs\x.vhdx") == "C:-VMs-x.vhdx"
    assert vocabulary.INSTANCE_FORMATS[vocabulary.SMB_OBJECT].startswith("\\server")


def test_versions_are_marked_in_the_catalogue():
    table = hv.perflog.counter_table().set_index(["object", "counter"])
    vsd = "Hyper-V Virtual Storage Device"
    assert table.loc[(vsd, "Latency"), "versions"].startswith("unconfirmed")
    assert table.loc[(vsd, "Read Bytes/sec"), "versions"] == "WS2012, WS2012 R2"
    lm = table.loc["Hyper-V VM Live Migration"]
    for counter, versions in lm["versions"].items():
        r2_option = counter.startswith(("Compressor:", "SMB Transport:")) or \
            counter in ("Receiver: Compressed Bytes Received/sec",
                        "Receiver: Decompressed Bytes/sec")
        assert (versions == "WS2012 R2") == r2_option, counter
    assert hv.perflog.describe("Latency", object=vsd).versions.startswith("unconfirmed")


def _every_kind(settings):
    vm = hv.VM(name="sql01", memory_gib=2, dirty_rate_mib_s=20, disk_gib=4, disk_read_mib_s=4,
               disk_write_mib_s=2, disk_iops=100)
    old, new = hv.Storage(name="old"), hv.Storage(name="new")
    smb_vm = hv.VM(name="app03", memory_gib=2, dirty_rate_mib_s=20, disk_read_mib_s=4,
                   disk_write_mib_s=2, disk_iops=100, storage="smb")
    return [hv.live_migration(vm, hv.Link(gbps=1), settings),
            hv.storage_migration(vm, old, new, settings),
            hv.shared_nothing_migration(vm, hv.Link(gbps=1), old, new, settings),
            hv.smb_live_migration(smb_vm, hv.Link(gbps=1), hv.SmbShare(), settings),
            hv.quick_migration(vm, old, settings)]


def test_ws2012_logs_never_hold_r2_counters(tmp_path):
    """Compression and SMB as live-migration options arrived with WS2012 R2: a WS2012 host's
    log has no Compressor or SMB Transport counter, on the source or the destination."""
    for r in _every_kind(hv.WS2012):
        frame = hv.perflog.result_to_frame(r, destination="HV02", interval_s=5.0)
        lm = {c[3] for c in frame.columns if c[1] == vocabulary.LM_OBJECT}
        assert not any(c.startswith(("Compressor:", "SMB Transport:")) for c in lm), r.kind
        assert not {(c[1], c[3]) for c in frame.columns} & vocabulary.R2_ONLY
    drain = hv.drain_host([hv.VM(name=f"v{i}", memory_gib=1) for i in range(3)],
                          hv.Link(gbps=1), hv.WS2012)
    frame = hv.perflog.drain_to_frame(drain, destinations=["HV02"])
    assert not {(c[1], c[3]) for c in frame.columns} & vocabulary.R2_ONLY
    # the sample log of a WS2012 host, as the repository ships it
    df, _ = hv.read_perflog(Path(__file__).resolve().parents[2] / "data"
                            / "sql01_live_1gbe_ws2012.csv")
    assert not any(c[3].startswith(("Compressor:", "SMB Transport:")) for c in df.columns)
    # a WS2012 R2 host has them, and a WS2012 host cannot have used compression
    r2 = hv.live_migration(hv.VM(memory_gib=1), hv.Link(gbps=1), hv.WS2012R2)
    assert r2.transport == "compression"
    lm = {c[3] for c in hv.perflog.result_to_frame(r2).columns}
    assert "Compressor: Compressed Bytes Sent/sec" in lm
    with pytest.raises(ValueError, match="WS2012 host has no compression"):
        hv.perflog.result_to_frame(r2, version="WS2012")
    with pytest.raises(ValueError, match="version must be one of"):
        hv.perflog.result_to_frame(r2, version="2012")
