"""Parameter objects: validation messages name the field, the value and the unit; presets."""
import dataclasses

import pytest

import hvlab as hv
from hvlab.params import RDMA_EFFICIENCY, TCP_EFFICIENCY


@pytest.mark.parametrize("cls, field, value, unit", [
    (hv.VM, "memory_gib", -4, "GiB"),
    (hv.VM, "memory_gib", 0, "GiB"),
    (hv.VM, "dirty_rate_mib_s", -1, "MiB/s"),
    (hv.VM, "working_set_gib", -1, "GiB"),
    (hv.VM, "disk_gib", -0.5, "GiB"),
    (hv.VM, "disk_read_mib_s", -1, "MiB/s"),
    (hv.VM, "disk_write_mib_s", -1, "MiB/s"),
    (hv.VM, "disk_iops", -1, "1/s"),
    (hv.VM, "state_mib", -1, "MiB"),
    (hv.VM, "checkpoint_gib", -1, "GiB"),
    (hv.Link, "gbps", 0, "Gbit/s"),
    (hv.Link, "nics", 0, "NICs"),
    (hv.Link, "efficiency", 1.5, "fraction"),
    (hv.Storage, "read_mib_s", 0, "MiB/s"),
    (hv.Storage, "write_mib_s", -3, "MiB/s"),
    (hv.Storage, "iops", 0, "1/s"),
    (hv.Storage, "base_latency_ms", -1, "ms"),
    (hv.MigrationSettings, "max_passes", 0, "passes"),
    (hv.MigrationSettings, "stop_copy_mib", -1, "MiB"),
    (hv.MigrationSettings, "setup_s", -1, "s"),
    (hv.MigrationSettings, "resume_s", -0.1, "s"),
    (hv.MigrationSettings, "compression_ratio", 0.5, "ratio"),
    (hv.MigrationSettings, "max_live_migrations", 0, "migrations"),
    (hv.MigrationSettings, "max_storage_migrations", 0, "migrations"),
    (hv.MigrationSettings, "spare_cores", -1, "cores"),
])
def test_bad_value_names_field_value_and_unit(cls, field, value, unit):
    with pytest.raises(ValueError) as err:
        cls(**{field: value})
    message = str(err.value)
    assert f"{cls.__name__}.{field}" in message
    assert repr(value) in message or str(value) in message
    assert unit in message


@pytest.mark.parametrize("cls, field, value", [
    (hv.VM, "memory_gib", "8"),
    (hv.VM, "dirty_rate_mib_s", None),
    (hv.VM, "name", 3),
    (hv.Link, "gbps", "10"),
    (hv.Link, "nics", 1.5),
    (hv.Link, "rdma", "yes"),
    (hv.MigrationSettings, "max_passes", True),
    (hv.SmbShare, "storage", "san"),
])
def test_wrong_type_is_a_type_error(cls, field, value):
    with pytest.raises((TypeError, ValueError)) as err:
        cls(**{field: value})
    assert field in str(err.value)
    if field != "nics":  # 1.5 NICs is a number of the wrong kind: a ValueError is fine
        assert err.type is TypeError


def test_unknown_choices_list_the_valid_names():
    with pytest.raises(ValueError) as err:
        hv.MigrationSettings(transport="rdma")
    for name in ("tcpip", "compression", "smb"):
        assert name in str(err.value)
    with pytest.raises(ValueError) as err:
        hv.VM(storage="nas")
    for name in ("shared", "smb", "local"):
        assert name in str(err.value)
    with pytest.raises(KeyError) as err:
        hv.preset("WS2016")
    for name in ("WS2008R2", "WS2012", "WS2012R2"):
        assert name in str(err.value)


def test_working_set_cannot_exceed_memory():
    with pytest.raises(ValueError, match="working_set_gib"):
        hv.VM(memory_gib=4, working_set_gib=8)


def test_objects_are_frozen_keyword_only_and_replaceable():
    vm = hv.VM(memory_gib=8)
    with pytest.raises(dataclasses.FrozenInstanceError):
        vm.memory_gib = 16
    with pytest.raises(TypeError):
        hv.VM("vm1", 8)  # positional arguments are refused
    assert dataclasses.replace(vm, memory_gib=16).memory_gib == 16
    assert hash(vm) == hash(hv.VM(memory_gib=8))  # hashable: usable as a cache key


def test_link_rates_follow_ethernet_framing():
    # 1460 B of TCP payload per 1538 B on the wire (docs/domain.md, physical bounds): 118.7 MB/s on 1 GbE
    assert TCP_EFFICIENCY == pytest.approx(0.9493, abs=1e-4)
    assert hv.Link(gbps=1).rate_bytes_s == pytest.approx(118.7e6, rel=1e-3)
    assert hv.Link(gbps=10, nics=2).rate_bytes_s == pytest.approx(2 * 1.187e9, rel=1e-3)
    # RDMA framing is leaner than TCP's but still below line rate
    assert TCP_EFFICIENCY < RDMA_EFFICIENCY < 1


def test_presets_follow_their_sources():
    assert hv.WS2008R2.max_passes == 10 and hv.WS2008R2.transport == "tcpip"
    assert hv.WS2008R2.max_live_migrations == 1
    assert hv.WS2012.max_live_migrations == 2 and hv.WS2012.max_storage_migrations == 2
    assert hv.WS2012R2.transport == "compression" and hv.WS2012R2.max_passes == 5
    for preset in (hv.WS2008R2, hv.WS2012, hv.WS2012R2):
        assert preset is hv.preset({v: k for k, v in hv.PRESETS.items()}[preset])


def test_storage_bytes_counts_everything_a_storage_migration_moves():
    vm = hv.VM(disk_gib=40, checkpoint_gib=5, smart_paging_gib=1, config_mib=2)
    assert vm.storage_bytes == 46 * 2**30 + 2 * 2**20
