"""read_cluster and check_cluster: the example cluster, dirty rates from perf logs, and clear
errors naming file, line and column (docs/planning.md#planning-inputs)."""
import importlib.util
from pathlib import Path

import pytest

import hvlab as hv
from hvlab.planning import ClusterError, check_cluster

DATA = Path(__file__).resolve().parents[2] / "data"
CLUSTER = DATA / "cluster"
HOSTS = "name,memory_gib,cores,link_gbps\nhv01,128,16,10\nhv02,128,16,10\n"
VMS = "name,host,memory_gib,dirty_rate_mib_s,disk_gib,storage\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def read(tmp_path, vms_text, hosts_text=HOSTS, **kw):
    return hv.read_cluster(write(tmp_path, "hosts.csv", hosts_text),
                           write(tmp_path, "vms.csv", vms_text), **kw)


def test_example_cluster_is_what_the_script_makes(tmp_path):
    spec = importlib.util.spec_from_file_location("make_cluster", DATA / "make_cluster.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    made = module.make(tmp_path)
    for name in made:
        assert (tmp_path / name).read_bytes() == (CLUSTER / name).read_bytes(), \
            f"data/cluster/{name} is stale: run `make data`"


def test_example_cluster():
    hosts, vms = hv.read_cluster(CLUSTER / "hosts.csv", CLUSTER / "vms.csv")
    assert len(hosts) == 16 and 200 <= len(vms) <= 400
    assert {v.storage for v in vms} == {"shared", "smb", "local"}
    assert {v.host for v in vms} == {h.name for h in hosts}
    # the rows, read independently of hvlab
    rows = [line.split(",") for line in (CLUSTER / "vms.csv").read_text().splitlines()
            if line and not line.startswith("#")][1:]
    assert [(r[0], r[1], float(r[2])) for r in rows] == [(v.name, v.host, v.memory_gib)
                                                         for v in vms]
    limits = {r[0]: float(r[-1]) for r in rows if r[-1]}
    assert {v.name: v.blackout_limit_s for v in vms if v.blackout_limit_s} == limits
    old = [h for h in hosts if h.link.gbps == 1]
    assert old and all(h.link.nics == 2 for h in old)


def test_dirty_rates_from_the_sample_logs():
    # data/README.md: the sample logs were made with sql01 at 45 MiB/s and app02 at 20 MiB/s
    with pytest.warns(UserWarning, match="sql01 45.0 MiB/s"):
        hosts, vms = hv.read_cluster(CLUSTER / "hosts.csv", CLUSTER / "vms_logs.csv",
                                     perflogs=[DATA / "sql01_live_1gbe_ws2012.csv",
                                               DATA / "app02_shared_nothing_1gbps.csv",
                                               DATA / "inventory.csv"])
    rate = {v.name: v.dirty_rate_mib_s for v in vms}
    assert rate["sql01"] == pytest.approx(45, rel=0.01)
    assert rate["app02"] == pytest.approx(20, rel=0.01)
    _, full = hv.read_cluster(CLUSTER / "hosts.csv", CLUSTER / "vms.csv")
    others = {v.name: v.dirty_rate_mib_s for v in full if v.name not in ("sql01", "app02")}
    assert all(rate[n] == r for n, r in others.items())


def test_unreadable_logs_are_counted():
    with pytest.warns(UserWarning, match=r"1 of 3 file\(s\) could not be read"):
        hv.read_cluster(CLUSTER / "hosts.csv", CLUSTER / "vms_logs.csv",
                        perflogs=[DATA / "sql01_live_1gbe_ws2012.csv",
                                  DATA / "app02_shared_nothing_1gbps.csv",
                                  DATA / "inventory.csv"])


def test_empty_dirty_rate_without_logs_names_line_and_column(tmp_path):
    with pytest.raises(ClusterError, match=r"vms.csv line 2, column dirty_rate_mib_s.*perflogs"):
        read(tmp_path, VMS + "a,hv01,4,,0,shared\n")


def test_empty_dirty_rate_and_no_migration_in_the_logs(tmp_path):
    with pytest.raises(ClusterError, match=r"line 2, column dirty_rate_mib_s.*'zz'"):
        read(tmp_path, VMS + "zz,hv01,4,,0,shared\n",
             perflogs=[DATA / "sql01_live_1gbe_ws2012.csv"])


@pytest.mark.parametrize("vms, message", [
    (VMS + "a,hv09,4,1,0,shared\n", r"vms.csv line 2, column host: unknown host 'hv09'"),
    (VMS + "a,hv01,4,1,0,shared\na,hv02,4,1,0,shared\n",
     r"vms.csv line 3, column name: duplicate VM name 'a' \(first on line 2\)"),
    (VMS + "a,hv01,400,1,0,shared\n", r"vms.csv line 2: VM 'a' needs 400 GiB .* no host"),
    (VMS + "a,hv01,4,x,0,shared\n", r"line 2, column dirty_rate_mib_s: 'x' is not a number"),
    (VMS + "a,hv01,4,1,0,tape\n", r"line 2, column storage: unknown storage kind"),
    (VMS.replace(",host", "") + "a,4,1,0,shared\n", r"missing column\(s\) host"),
])
def test_bad_vm_rows(tmp_path, vms, message):
    with pytest.raises(ClusterError, match=message):
        read(tmp_path, vms)


@pytest.mark.parametrize("hosts, message", [
    (HOSTS + "hv01,64,8,10\n", r"hosts.csv line 4, column name: duplicate host name 'hv01'"),
    (HOSTS + "hv03,64,8,fast\n", r"hosts.csv line 4, column link_gbps: 'fast' is not a number"),
    (HOSTS + "hv03,64,8,0\n", r"hosts.csv line 4, column link_gbps: Link.gbps must be > 0"),
    (HOSTS + "hv03,6,8,10\n", r"hosts.csv line 4, column reserve_gib"),
    (HOSTS.replace(",cores", ",cpus"), r"column cpus: unknown column"),
])
def test_bad_host_rows(tmp_path, hosts, message):
    with pytest.raises(ClusterError, match=message):
        read(tmp_path, VMS + "a,hv01,4,1,0,shared\n", hosts_text=hosts)


def test_overfull_host_and_vm_too_big_for_the_others(tmp_path):
    with pytest.raises(ClusterError, match="'hv01' holds 130 GiB .* only 120 GiB"):
        read(tmp_path, VMS + "a,hv01,65,1,0,shared\nb,hv01,65,1,0,shared\n")
    hosts = HOSTS.replace("hv02,128", "hv02,64")
    with pytest.raises(ClusterError, match="VM 'a' needs 100 GiB but no host other than 'hv01'"):
        read(tmp_path, VMS + "a,hv01,100,1,0,shared\n", hosts_text=hosts)


def test_check_cluster_on_lists():
    hosts = [hv.Host(name="a"), hv.Host(name="b")]
    with pytest.raises(ClusterError, match="both named 'a'"):
        check_cluster([hv.Host(name="a"), hv.Host(name="a")], [])
    with pytest.raises(ClusterError, match="VM 'v' has no host"):
        check_cluster(hosts, [hv.VM(name="v")])
    with pytest.raises(ClusterError, match="unknown host 'c'"):
        check_cluster(hosts, [hv.VM(name="v", host="c")])
    with pytest.raises(ClusterError, match="both named 'v'"):
        check_cluster(hosts, [hv.VM(name="v", host="a"), hv.VM(name="v", host="b")])
    with pytest.raises(ClusterError, match="at least two hosts"):
        check_cluster(hosts[:1], [])


def test_host_and_vm_fields_validate():
    with pytest.raises(ValueError, match=r"VM.blackout_limit_s must be > 0 s, got -1"):
        hv.VM(blackout_limit_s=-1)
    with pytest.raises(ValueError, match="reserve_gib must be < memory_gib"):
        hv.Host(memory_gib=8, reserve_gib=8)
    assert hv.Host(memory_gib=100, reserve_gib=10).vm_memory_gib == 90
