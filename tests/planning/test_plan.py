"""plan_maintenance: memory never over-committed, every VM back home on hosts that were up,
the steps re-simulate to the plan's times, never slower than the default policy, flags exactly
where blackouts exceed limits, clear errors (docs/planning.md)."""
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hvlab as hv
from hvlab.planning import ClusterError

CLUSTER = Path(__file__).resolve().parents[2] / "data" / "cluster"


@pytest.fixture(scope="module")
def example():
    hosts, vms = hv.read_cluster(CLUSTER / "hosts.csv", CLUSTER / "vms.csv")
    return hosts, vms, hv.plan_maintenance(hosts, vms, hv.WS2012R2, blackout_limit_s=10)


def small_cluster(seed=0, n_hosts=4, per_host=6):
    rng = np.random.default_rng(seed)
    hosts = [hv.Host(name=f"h{i}", memory_gib=96, cores=16,
                     link=hv.Link(gbps=float(rng.choice([1, 10]))),
                     storage=hv.Storage(name=f"h{i}-disk", read_mib_s=300, write_mib_s=250,
                                        iops=8000)) for i in range(n_hosts)]
    vms = []
    for h in hosts:
        for j in range(per_host):
            vms.append(hv.VM(name=f"{h.name}v{j}", host=h.name,
                             memory_gib=float(rng.choice([2, 4, 8])),
                             dirty_rate_mib_s=float(rng.uniform(1, 80)),
                             storage=str(rng.choice(["shared", "smb", "local"])),
                             disk_gib=float(rng.uniform(5, 20)), disk_iops=50,
                             blackout_limit_s=float(rng.choice([0.15, 2.0])) if j % 2 else None))
    return hosts, vms


@pytest.fixture(scope="module")
def small():
    hosts, vms = small_cluster()
    return hosts, vms, hv.plan_maintenance(hosts, vms, hv.WS2012R2, patch_s=300,
                                           window_s=7200)


def memory_peaks(steps, hosts, vms):
    """The highest memory in use on each host at any instant, computed from the moves alone:
    a VM counts on its destination from its move's start and on its source until its end."""
    home = {h.name: 0.0 for h in hosts}
    for vm in vms:
        home[vm.host] += vm.assigned_gib
    events = []
    for r in steps.itertuples(index=False):
        events.append((r.start_s, 1, r.to_host, r.memory_gib))
        events.append((r.end_s, 0, r.from_host, -r.memory_gib))
    peak, now = dict(home), dict(home)
    # at equal times, arrivals (1) before departures (0) sort last: count the worst case
    for t, _, host, gib in sorted(events, key=lambda e: (e[0], -e[1])):
        now[host] += gib
        peak[host] = max(peak[host], now[host])
    return peak


@pytest.mark.parametrize("which", ["example", "small"])
def test_memory_never_over_committed(which, request):
    hosts, vms, plan = request.getfixturevalue(which)
    for steps in (plan.steps, plan.baseline["steps"]):
        peak = memory_peaks(steps, hosts, vms)
        for h in hosts:
            assert peak[h.name] <= h.memory_gib - h.reserve_gib + 1e-9, h.name
    # the plan's own memory table agrees at its change points
    mem = plan.host_memory
    for h in hosts:
        assert mem[h.name].max() <= h.memory_gib - h.reserve_gib + 1e-9


@pytest.mark.parametrize("which", ["example", "small"])
def test_every_vm_moves_to_hosts_that_are_up_and_ends_home(which, request):
    hosts, vms, plan = request.getfixturevalue(which)
    steps = plan.steps
    down = {}
    for h in hosts:
        drain = steps[(steps.drained_host == h.name) & (steps.phase == "drain")]
        back = steps[(steps.drained_host == h.name) & (steps.phase == "return")]
        down[h.name] = (drain.end_s.max(), back.start_s.min())
    for r in steps.itertuples(index=False):
        a, b = down[r.to_host]
        assert r.end_s <= a + 1e-9 or r.start_s >= b - 1e-9, (r.vm, r.to_host)
        assert r.from_host != r.to_host
    # only one host is down at a time
    spans = sorted(down.values())
    assert all(b1 <= a2 + 1e-9 for (_, b1), (a2, _) in zip(spans, spans[1:]))
    for vm in vms:
        moves = steps[steps.vm == vm.name].sort_values("start_s")
        assert len(moves) == 2
        out, back = moves.iloc[0], moves.iloc[1]
        assert (out.from_host, back.to_host) == (vm.host, vm.host)
        assert out.to_host == back.from_host and out.end_s <= back.start_s


def test_steps_resimulate_to_the_plans_times(example):
    hosts, vms, plan = example
    by_host = {h.name: h for h in hosts}
    vm_of = {vm.name: vm for vm in vms}
    steps = plan.steps
    for ph in plan.phases.itertuples(index=False):
        moves = steps[(steps.drained_host == ph.host) & (steps.phase == ph.phase)]
        host = by_host[ph.host]
        settings = dataclasses.replace(hv.WS2012R2, transport=ph.transport,
                                       max_live_migrations=ph.max_live_migrations)
        queue = [vm_of[n] for n in moves.vm]  # the steps list each phase in queue order
        other = "to_host" if ph.phase == "drain" else "from_host"
        arrays = {r.vm: by_host[getattr(r, other)].storage
                  for r in moves.itertuples(index=False) if vm_of[r.vm].storage == "local"}
        ends = ({"source": host.storage, "targets": arrays} if ph.phase == "drain"
                else {"target": host.storage, "sources": arrays})
        again = hv.drain_host(queue, host.link, settings, order="given", **ends).migrations
        assert list(again.vm) == list(moves.vm)
        np.testing.assert_allclose(again.start_s + ph.start_s, moves.start_s, atol=1e-6)
        np.testing.assert_allclose(again.end_s + ph.start_s, moves.end_s, atol=1e-6)
        np.testing.assert_allclose(again.downtime_s, moves.downtime_s, atol=1e-9)
        assert ph.end_s == pytest.approx(moves.end_s.max())
    assert plan.total_s == pytest.approx(steps.end_s.max())


def test_never_slower_than_the_default_and_faster_on_the_example(example, small):
    for _, _, plan in (example, small):
        assert plan.total_s <= plan.baseline_total_s
        assert plan.baseline_total_s == pytest.approx(plan.baseline["steps"].end_s.max())
        assert plan.search.total_s.min() == pytest.approx(plan.total_s)
    assert example[2].total_s < example[2].baseline_total_s


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_never_slower_on_other_clusters(seed):
    hosts, vms = small_cluster(seed, n_hosts=3, per_host=4)
    plan = hv.plan_maintenance(hosts, vms, hv.WS2012, patch_s=0)
    assert plan.total_s <= plan.baseline_total_s
    assert set(plan.steps.transport) == {"tcpip"}  # WS2012 has no other transport


def test_default_policy_is_the_documented_one(small):
    hosts, vms, plan = small
    base = plan.baseline["phases"]
    assert list(base.host.drop_duplicates()) == [h.name for h in hosts]
    assert set(base.transport) == {hv.WS2012R2.transport}
    assert set(base.max_live_migrations) == {hv.WS2012R2.max_live_migrations}
    # sequential: each drain starts when the previous host's VMs are back
    starts = base[base.phase == "drain"].start_s.to_numpy()
    ends = base[base.phase == "return"].end_s.to_numpy()
    np.testing.assert_allclose(starts[1:], ends[:-1])
    # first fit: each VM goes to the first host in the given order with room
    steps = plan.baseline["steps"]
    first = steps[(steps.phase == "drain") & (steps.drained_host == hosts[0].name)]
    assert set(first.to_host) == {hosts[1].name}  # 4 x 6 small VMs fit on the next host


@pytest.mark.parametrize("which", ["example", "small"])
def test_flagged_exactly_when_blackout_exceeds_limit(which, request):
    hosts, vms, plan = request.getfixturevalue(which)
    steps = plan.steps
    worst = steps.groupby("vm").downtime_s.max()
    stuck = set(steps[~steps.converged].vm)
    limit = plan.steps.groupby("vm").blackout_limit_s.first()
    over = {n for n in worst.index if pd.notna(limit[n]) and worst[n] > limit[n]}
    assert over, "the test cluster should have VMs over their limits"
    assert set(plan.flags.vm) == over | stuck
    for r in plan.flags.itertuples(index=False):
        assert r.predicted_downtime_s == pytest.approx(worst[r.vm])
        assert ("blackout" in r.reason) == (r.vm in over)
        if r.fix.startswith(("move it", "a faster")):
            assert r.downtime_after_fix_s <= r.blackout_limit_s or np.isnan(r.blackout_limit_s)


def test_global_limit_applies_only_to_vms_without_their_own(small):
    hosts, vms, plan = small
    assert plan.steps.blackout_limit_s.isna().any()
    plan2 = hv.plan_maintenance(hosts, vms, hv.WS2012R2, patch_s=300, blackout_limit_s=1.0)
    own = {vm.name: vm.blackout_limit_s for vm in vms}
    lim = plan2.steps.groupby("vm").blackout_limit_s.first()
    assert all(lim[n] == (own[n] if own[n] is not None else 1.0) for n in own)


def test_parallel_gives_the_same_plan(small):
    hosts, vms, plan = small
    again = hv.plan_maintenance(hosts, vms, hv.WS2012R2, patch_s=300, window_s=7200,
                                n_jobs=2)
    pd.testing.assert_frame_equal(again.steps, plan.steps)
    pd.testing.assert_frame_equal(again.flags, plan.flags)


def test_report_and_figure(small, tmp_path):
    plan = small[2]
    fig = plan.plot()
    assert len(fig.axes) == 2
    out = plan.to_html(tmp_path / "plan.html")
    text = Path(out).read_text(encoding="utf-8")
    assert "data:image/png;base64," in text and "<script" not in text
    assert f"{len(plan.steps)}" in text
    s = plan.summary()
    assert s.gain_s == pytest.approx(plan.baseline_total_s - plan.total_s)
    assert s.fits_window == (plan.total_s <= 7200)


def test_bad_inputs():
    hosts, vms = small_cluster(n_hosts=2, per_host=2)
    with pytest.raises(ClusterError, match="unknown host 'x'"):
        hv.plan_maintenance(hosts, vms + [hv.VM(name="z", host="x")])
    with pytest.raises(ClusterError, match="both named"):
        hv.plan_maintenance(hosts, vms + [dataclasses.replace(vms[0])])
    with pytest.raises(ClusterError, match="no host can hold it"):
        hv.plan_maintenance(hosts, vms + [hv.VM(name="z", host="h0", memory_gib=500)])
    with pytest.raises(ValueError, match="blackout_limit_s must be a number > 0"):
        hv.plan_maintenance(hosts, vms, blackout_limit_s=-2)
    with pytest.raises(TypeError, match="settings must be a hvlab.MigrationSettings"):
        hv.plan_maintenance(hosts, vms, "WS2012R2")
    full = [hv.VM(name=f"f{i}", host=h.name, memory_gib=80) for i, h in enumerate(hosts)]
    with pytest.raises(ClusterError, match="not enough memory to drain host 'h0'"):
        hv.plan_maintenance(hosts, full)
