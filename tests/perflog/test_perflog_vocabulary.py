"""The counter vocabulary: every name spelled once, the instance formats both ways, and every
counter the simulator writes known to the catalogue (so `label` gives its unit)."""
import ast
import collections
import inspect

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
               hv.smb_live_migration(vm, hv.Link(gbps=1), hv.SmbShare())]
    seen = set()
    for r in results:
        frame = hv.perflog.result_to_frame(r, destination="HV02", interval_s=5.0)
        seen |= {(c[1], c[3]) for c in frame.columns}
    assert {obj for obj, _ in seen} >= {vocabulary.LM_OBJECT, vocabulary.NIC_OBJECT,
                                         vocabulary.DISK_OBJECT, vocabulary.VSD_OBJECT,
                                         vocabulary.SMB_OBJECT}
    for obj, counter in seen:
        assert hv.perflog.describe(counter, object=obj).object == obj
    for obj in {obj for obj, _ in seen}:
        assert vocabulary.INSTANCE_FORMATS[obj]
