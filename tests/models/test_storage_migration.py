"""Storage Live Migration: copy time against the closed form of a skipping copy (at the rate
mean value analysis gives the closed-loop copy, computed here independently), conservation of
bytes, the seed's warning (a loaded array gets much slower), throttling, ODX and host paths,
full-duplex links, physical bounds and bad input."""
import dataclasses
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings as hyp_settings, strategies as st

import hvlab as hv
from hvlab.physics.storage_io import chunk_copy_bytes, copy_time_closed_form
from hvlab.sim.storage_copy import DELETE_SOURCE_S

GIB, MIB = 2**30, 2**20
COPY_IO = 1 * MIB  # COPY_IO_BYTES, written out: one copy I/O


def read_cost(a):  # array seconds per copied byte read, by the utilisation law
    return 1 / (a.read_mib_s * MIB) + 1 / (COPY_IO * a.iops)


def write_cost(a):
    return 1 / (a.write_mib_s * MIB) + 1 / (COPY_IO * a.iops)


def guest(vm, a):
    return vm.disk_iops / a.iops + vm.disk_read_mib_s / a.read_mib_s \
        + vm.disk_write_mib_s / a.write_mib_s


def mirror(vm, a):  # target utilisation of the mirrored writes (write bytes + write ops)
    if vm.disk_write_mib_s == 0:
        return 0.0
    write_ops = vm.disk_iops * vm.disk_write_mib_s / (vm.disk_read_mib_s + vm.disk_write_mib_s)
    return vm.disk_write_mib_s / a.write_mib_s + write_ops / a.iops


def mva_throughput(demands, open_util, n):
    """Exact MVA of one closed class at processor-sharing stations with open load (Reiser &
    Lavenberg 1980; Lazowska et al. 1984, ch. 7), written out here as the test's own oracle
    [cycles/s]."""
    q = [0.0] * len(demands)
    x = 0.0
    for k in range(1, n + 1):
        r = [d * (1 + qi) / (1 - u) for d, qi, u in zip(demands, q, open_util)]
        x = k / sum(r)
        q = [x * ri for ri in r]
    return x


def expected_copy_rate(vm, src, tgt, cap=math.inf, ios=8, io_bytes=COPY_IO):
    """The closed-loop copy's rate: `ios` I/Os of `io_bytes` cycle through a read at the source
    and a write at the target, beside the open load there [bytes/s]."""
    if src == tgt:
        demands = [io_bytes * (read_cost(src) + write_cost(tgt))]
        util = [src.load_frac + guest(vm, src) + mirror(vm, tgt)]
    else:
        demands = [io_bytes * read_cost(src), io_bytes * write_cost(tgt)]
        util = [src.load_frac + guest(vm, src), tgt.load_frac + mirror(vm, tgt)]
    return min(mva_throughput(demands, util, ios) * io_bytes, cap)


VM0 = hv.VM(name="db", memory_gib=8, disk_gib=60, config_mib=0, disk_read_mib_s=30,
            disk_write_mib_s=20, disk_iops=1500)
SRC = hv.Storage(name="old", read_mib_s=300, write_mib_s=250, iops=15000, load_frac=0.2)
TGT = hv.Storage(name="new", read_mib_s=500, write_mib_s=400, iops=40000)


def test_copy_time_matches_the_closed_form():
    r = hv.storage_migration(VM0, SRC, TGT)
    rate = expected_copy_rate(VM0, SRC, TGT)
    D, w = VM0.disk_gib * GIB, VM0.disk_write_mib_s * MIB
    # a copy skipping blocks already written: dx/dt = r exp(w t / D) -> T = D/w ln(1 + w/r)
    T = D / w * math.log(1 + w / rate)
    assert r.details["copy_s"] == pytest.approx(T, rel=1e-9)
    assert r.details["copied_bytes"] == pytest.approx(rate * T, rel=1e-9)
    assert r.details["skipped_bytes"] == pytest.approx(D - rate * T, rel=1e-6)
    assert copy_time_closed_form(D, w, rate) == pytest.approx(T)
    s = hv.WS2012
    assert r.total_s == pytest.approx(s.setup_s + T + s.handle_move_s + DELETE_SOURCE_S)
    assert r.downtime_s == 0.0 and r.kind == "storage" and r.converged


def test_no_writes_copies_everything():
    vm = dataclasses.replace(VM0, disk_write_mib_s=0, config_mib=4, checkpoint_gib=3,
                             smart_paging_gib=1)
    r = hv.storage_migration(vm, SRC, TGT)
    rate = expected_copy_rate(vm, SRC, TGT)
    assert r.details["skipped_bytes"] == 0 and r.details["mirrored_bytes"] == 0
    assert r.storage_read_bytes == pytest.approx(vm.storage_bytes, abs=1)
    assert r.storage_write_bytes == pytest.approx(vm.storage_bytes, abs=1)
    assert r.details["copy_s"] == pytest.approx(vm.storage_bytes / rate, rel=1e-9)


def test_chunk_formula_composes():
    # crossing two half chunks equals crossing the whole, at constant rates
    D, w, r = 100.0, 3.0, 7.0
    whole = chunk_copy_bytes(D, D, 0.0, w, r)
    first = chunk_copy_bytes(D / 2, D, 0.0, w, r)
    second = chunk_copy_bytes(D / 2, D, w * first / r, w, r)
    assert first + second == pytest.approx(whole, rel=1e-12)
    assert whole == pytest.approx(r * D / w * math.log(1 + w / r))
    assert chunk_copy_bytes(10.0, D, 0.0, 0.0, r) == 10.0
    assert chunk_copy_bytes(10.0, D, D, 0.0, r) == pytest.approx(10.0 * math.exp(-1))


@pytest.mark.parametrize("link", [None, hv.Link(gbps=1), hv.Link(gbps=10)])
@pytest.mark.parametrize("odx", [False, True])
def test_conservation_of_bytes(link, odx):
    r = hv.storage_migration(VM0, SRC, TGT, link=link, odx=odx)
    d = r.details
    # everything is copied or skipped; nothing twice, nothing lost
    assert d["copied_bytes"] + d["skipped_bytes"] == pytest.approx(VM0.storage_bytes, abs=2)
    assert r.storage_read_bytes == d["copied_bytes"]
    assert r.storage_write_bytes == d["copied_bytes"] + d["mirrored_bytes"]
    # every skipped block was placed by a mirrored write
    assert d["skipped_bytes"] <= d["mirrored_bytes"]
    # the mirror ran from the start of the copy to the switch at the guest's write rate
    mirror_s = r.phases.set_index("phase").loc[["storage_copy", "switch"]]
    span = mirror_s["end_s"].max() - mirror_s["start_s"].min()
    assert d["mirrored_bytes"] == pytest.approx(VM0.disk_write_mib_s * MIB * span, rel=1e-9)
    # network: the copy (unless ODX) and the mirror cross the link
    if link is None:
        assert r.network_bytes == 0
    else:
        expect = (0 if odx else d["copied_bytes"]) + d["mirrored_bytes"]
        assert r.network_bytes == pytest.approx(expect, abs=2)
    # timeline integrates to the same bytes
    tl = r.timeline
    dt = np.diff(tl.index.to_numpy(), append=tl.index[-1])
    assert np.sum(tl["copy_mib_s"].to_numpy() * dt) * MIB == pytest.approx(d["copied_bytes"],
                                                                           rel=1e-9)


def test_the_seeds_warning_loaded_array_gets_much_slower():
    """An array near 80 % busy: the copy makes the guest's latency several times worse, in
    absolute terms far worse than the same copy on an idle array, and the copy is slower."""
    vm = hv.VM(name="app", disk_gib=200, disk_read_mib_s=20, disk_write_mib_s=10,
               disk_iops=1000)
    busy = hv.Storage(name="struggling", load_frac=0.70)
    before_util = 0.70 + guest(vm, busy)
    assert 0.75 < before_util < 0.85
    r = hv.storage_migration(vm, busy, hv.Storage(name="new"))
    d = r.details
    base = busy.base_latency_ms
    assert d["guest_latency_before_ms"] == pytest.approx(base / (1 - before_util), rel=1e-9)
    assert d["guest_latency_during_ms"] >= 3 * d["guest_latency_before_ms"]
    assert "Guest I/O latency" in r.summary()["explanation"]
    idle = hv.storage_migration(vm, hv.Storage(name="idle"), hv.Storage(name="new"))
    di = idle.details
    assert di["guest_latency_before_ms"] < d["guest_latency_before_ms"]
    assert d["guest_latency_during_ms"] > 3 * di["guest_latency_during_ms"]
    assert d["copy_s"] > 2 * di["copy_s"]
    # no ceiling: the busier the array, the worse, all the way up
    busier = hv.storage_migration(vm, dataclasses.replace(busy, load_frac=0.8),
                                  hv.Storage(name="new"))
    assert busier.details["guest_latency_during_ms"] > d["guest_latency_during_ms"]
    # and afterwards the guest runs on the new, idle array
    assert d["guest_latency_after_ms"] == pytest.approx(base / (1 - guest(vm, hv.Storage())))


def test_throttle_lowers_latency_and_lengthens_the_copy():
    busy = hv.Storage(name="busy", load_frac=0.6)
    free = hv.storage_migration(VM0, busy, TGT)
    slow = hv.storage_migration(VM0, busy, TGT, copy_rate_cap_mib_s=20)
    assert slow.details["guest_latency_during_ms"] < free.details["guest_latency_during_ms"]
    assert slow.details["guest_latency_during_p95_ms"] < free.details[
        "guest_latency_during_p95_ms"]
    assert slow.details["copy_s"] > free.details["copy_s"]
    assert slow.timeline["copy_mib_s"].max() <= 20 * (1 + 1e-9)
    assert "throttled" in slow.summary()["explanation"]


def test_p95_is_a_mixture_of_reads_and_writes():
    r = hv.storage_migration(VM0, SRC, TGT)
    d = r.details
    assert d["guest_latency_before_p95_ms"] == pytest.approx(
        d["guest_latency_before_ms"] * math.log(20))
    assert d["guest_latency_during_ms"] < d["guest_latency_during_p95_ms"]


def test_an_overloaded_array_is_refused_with_its_name():
    vm = hv.VM(name="hog", disk_gib=20, disk_read_mib_s=100, disk_write_mib_s=50,
               disk_iops=5000)
    array = hv.Storage(name="full", load_frac=0.5)
    assert 0.5 + guest(vm, array) >= 1  # the guest and the load alone ask for all of it
    with pytest.raises(ValueError, match="'source'.*no steady state"):
        hv.storage_migration(vm, array, hv.Storage(name="new"))
    # just below: a long, finite latency and a slow copy
    calm = dataclasses.replace(vm, disk_read_mib_s=40, disk_write_mib_s=20, disk_iops=2000)
    near = dataclasses.replace(array, load_frac=0.65)
    assert 0.9 < 0.65 + guest(calm, near) < 1
    r = hv.storage_migration(calm, near, hv.Storage(name="new"))
    assert math.isfinite(r.details["guest_latency_during_ms"])
    assert r.details["guest_latency_during_ms"] > 10 * near.base_latency_ms
    assert r.details["copy_rate_mib_s"] == pytest.approx(
        expected_copy_rate(calm, near, hv.Storage(name="new")) / MIB, rel=1e-6)


def test_same_array_reads_and_writes_the_same_array():
    array = hv.Storage(name="san")
    vm = dataclasses.replace(VM0, disk_write_mib_s=0)
    r = hv.storage_migration(vm, array, array)
    assert r.details["copy_rate_mib_s"] == pytest.approx(
        expected_copy_rate(vm, array, array) / MIB, rel=1e-9)


def test_odx_beats_a_host_copy_over_a_slow_path():
    # a SAN reached over 1 GbE iSCSI: a host copy reads in and writes out over the path
    # (full duplex: each direction carries it once); ODX copies inside the array
    san = hv.Storage(name="san", read_mib_s=1500, write_mib_s=1200, iops=80000,
                     host_link=hv.Link(gbps=1))
    vm = hv.VM(name="v", disk_gib=50)
    host = hv.storage_migration(vm, san, san)
    odx = hv.storage_migration(vm, san, san, odx=True)
    path = san.host_link.rate_bytes_s
    assert host.details["copy_rate_mib_s"] == pytest.approx(path / MIB, rel=1e-6)
    assert host.details["fabric_bytes"] == pytest.approx(2 * vm.storage_bytes, abs=4)
    assert host.network_bytes == 0  # the storage fabric is not the network
    assert odx.details["copy_s"] * 3 <= host.details["copy_s"]
    assert odx.details["fabric_bytes"] == 0


def test_a_copy_within_one_share_is_not_halved():
    # over SMB the host reads from the share and writes back to it: two directions of one
    # full-duplex link, each carrying the copy once (it used to take twice the line rate)
    link = hv.Link(gbps=1)
    fast = hv.Storage(name="sofs", read_mib_s=2000, write_mib_s=2000, iops=200000)
    share = hv.SmbShare(name="fs01", storage=fast, link=link)
    vm = hv.VM(name="v", disk_gib=20)
    r = hv.storage_migration(vm, share, share)
    assert r.details["copy_rate_mib_s"] == pytest.approx(link.rate_bytes_s / MIB, rel=1e-6)
    assert r.network_bytes == pytest.approx(2 * vm.storage_bytes, abs=4)


def test_link_limits_the_copy():
    slow_link = hv.Link(gbps=0.1)
    vm = dataclasses.replace(VM0, disk_write_mib_s=0)
    r = hv.storage_migration(vm, SRC, TGT, link=slow_link)
    assert r.details["copy_rate_mib_s"] == pytest.approx(slow_link.rate_bytes_s / MIB)
    assert r.timeline["network_mib_s"].max() <= slow_link.rate_bytes_s / MIB * (1 + 1e-9)
    # ODX keeps the copy off the link: it runs at the arrays' pace again
    odx = hv.storage_migration(vm, SRC, TGT, link=slow_link, odx=True)
    assert odx.details["copy_s"] < r.details["copy_s"]
    assert odx.network_bytes == 0 and odx.transport == "odx"


def test_smb_share_target_crosses_its_link():
    share = hv.SmbShare(name="fs01", storage=TGT, link=hv.Link(gbps=1))
    vm = dataclasses.replace(VM0, disk_gib=5)
    r = hv.storage_migration(vm, SRC, share)
    d = r.details
    assert r.network_bytes == pytest.approx(d["copied_bytes"] + d["mirrored_bytes"], abs=2)
    assert r.timeline["network_mib_s"].max() <= share.link.rate_bytes_s / MIB * (1 + 1e-9)


ARRAYS = st.builds(hv.Storage, name=st.sampled_from(["a", "b"]),
                   read_mib_s=st.floats(50, 2000), write_mib_s=st.floats(50, 2000),
                   iops=st.floats(2000, 200000), base_latency_ms=st.floats(0.2, 20),
                   load_frac=st.floats(0, 0.9))
# no subnormal rates: a write rate of 5e-324 MiB/s makes the mirror's array time per byte
# overflow to inf (1 / 5e-318 bytes/s), although rate x time per byte is finite
VMS = st.builds(hv.VM, disk_gib=st.floats(0, 200), disk_read_mib_s=st.floats(0, 80),
                disk_write_mib_s=st.floats(0, 80, allow_subnormal=False),
                disk_iops=st.floats(0, 5000), checkpoint_gib=st.floats(0, 10))


@hyp_settings(max_examples=40, deadline=None)
@given(vm=VMS, src=ARRAYS, tgt=ARRAYS,
       link=st.one_of(st.none(), st.builds(hv.Link, gbps=st.floats(0.1, 40))),
       cap=st.one_of(st.none(), st.floats(1, 500)))
def test_physical_bounds(vm, src, tgt, link, cap):
    one = src == tgt
    assume(src.load_frac + guest(vm, src) + (mirror(vm, tgt) if one else 0) < 0.999)
    assume(tgt.load_frac + mirror(vm, tgt) + (guest(vm, src) if one else 0) < 0.999)
    assume(tgt.load_frac + guest(vm, tgt) < 0.999)
    r = hv.storage_migration(vm, src, tgt, link=link, copy_rate_cap_mib_s=cap)
    tl = r.timeline
    assert tl.index.name == "time_s" and tl.index.is_monotonic_increasing
    assert tl.index[0] == 0.0 and tl.index[-1] == pytest.approx(r.total_s)
    assert (tl["source_util_frac"] <= 1 + 1e-9).all()
    assert (tl["target_util_frac"] <= 1 + 1e-9).all()
    # the copy never reads or writes faster than the arrays do
    assert (tl["copy_mib_s"] <= min(src.read_mib_s, tgt.write_mib_s) * (1 + 1e-9)).all()
    if link is not None:
        assert (tl["network_mib_s"] <= link.rate_bytes_s / MIB * (1 + 1e-9)).all()
    if cap is not None:
        assert (tl["copy_mib_s"] <= cap * (1 + 1e-9)).all()
    assert r.total_s >= r.storage_read_bytes / (src.read_mib_s * MIB)
    d = r.details
    assert d["copied_bytes"] + d["skipped_bytes"] == pytest.approx(vm.storage_bytes, abs=2)
    assert r.storage_write_bytes == d["copied_bytes"] + d["mirrored_bytes"]
    assert np.isfinite(tl["guest_latency_ms"]).all()
    # (a mixture's p95 can fall below its mean when a rare component is very slow)
    assert 0 <= d["guest_latency_during_p95_ms"] < np.inf
    phases = r.phases
    assert list(phases["phase"]) == ["setup", "storage_copy", "switch", "delete_source"]
    assert np.allclose(phases["start_s"].iloc[1:].to_numpy(), phases["end_s"].iloc[:-1])


def test_same_inputs_same_result():
    a = hv.storage_migration(VM0, SRC, TGT, link=hv.Link(), seed=1)
    b = hv.storage_migration(VM0, SRC, TGT, link=hv.Link(), seed=1)
    assert a.summary().equals(b.summary())
    assert a.timeline.equals(b.timeline)


def test_bad_input():
    small = hv.Storage(name="tiny", capacity_gib=10)
    with pytest.raises(ValueError, match=r"'db'.*'tiny'.*capacity_gib=10"):
        hv.storage_migration(VM0, SRC, small)
    with pytest.raises(ValueError, match="copy_rate_cap_mib_s"):
        hv.storage_migration(VM0, SRC, TGT, copy_rate_cap_mib_s=0)
    with pytest.raises(TypeError, match="copy_rate_cap_mib_s"):
        hv.storage_migration(VM0, SRC, TGT, copy_rate_cap_mib_s="fast")
    with pytest.raises(TypeError, match="odx"):
        hv.storage_migration(VM0, SRC, TGT, odx="yes")
    with pytest.raises(TypeError, match="source"):
        hv.storage_migration(VM0, "san", TGT)
    with pytest.raises(TypeError, match="link"):
        hv.storage_migration(VM0, SRC, TGT, link=10)
    with pytest.raises(TypeError, match="seed"):
        hv.storage_migration(VM0, SRC, TGT, seed=-1)
    with pytest.raises(ValueError, match="load_frac"):
        hv.Storage(load_frac=1.0)


def test_cli_storage(capsys, tmp_path):
    from hvlab.cli import main

    figure = tmp_path / "storage.png"
    assert main(["storage", "--disk-gib", "50", "--disk-read-mib-s", "20",
                 "--disk-write-mib-s", "10", "--disk-iops", "1000", "--source-load-frac",
                 "0.7", "--cap-mib-s", "40", "--plot", str(figure)]) == 0
    out = capsys.readouterr().out
    assert "guest_latency_during_ms" in out and "throttled to 40" in out
    assert figure.stat().st_size > 1000
    import matplotlib.pyplot as plt
    plt.close("all")
    with pytest.raises(SystemExit):
        main(["storage", "--disk-gib", "50", "--target-capacity-gib", "10"])
    assert "capacity_gib=10" in capsys.readouterr().err
