"""The sharing engine: max-min fair shares of links (flows with caps, background streams,
full-duplex directions), a storage copy's closed-loop rate at arrays, and salabim's
caller-frame lookup installed explicitly, not by importing hvlab."""
import math
import subprocess
import sys

import numpy as np
import pytest
import salabim as sim
import salabim.salabim as salabim_module
from hypothesis import given, settings as hyp_settings, strategies as st

from hvlab.physics.queueing import mva_closed
from hvlab.sim.environment import (caller_frame_fast, install_fast_caller_frame,
                                   new_environment, restore_caller_frame)
from hvlab.sim.sharing import Flow, SharedResources, allocate_fair, duplex


def run_flows(capacity, flows):
    """flows: list of (start_s, nbytes, cap). Returns each flow's finish time."""
    env = new_environment()
    pipe = SharedResources.single(env, capacity)
    finish = {}

    class Sender(sim.Component):
        def setup(self, key, start, nbytes, cap):
            self.key, self.start, self.nbytes, self.cap = key, start, nbytes, cap

        def process(self):
            yield self.hold(self.start)
            yield from pipe.transfer(self, self.nbytes, cap=self.cap, tag=str(self.key))
            finish[self.key] = env.now()

    for key, (start, nbytes, cap) in enumerate(flows):
        Sender(env=env, key=key, start=start, nbytes=nbytes, cap=cap)
    env.run()
    return finish, pipe


def test_alone_a_flow_gets_everything():
    finish, pipe = run_flows(100.0, [(0, 1000, float("inf"))])
    assert finish[0] == pytest.approx(10)
    assert pipe.moved_bytes == pytest.approx(1000)


def test_two_equal_flows_share_equally():
    finish, _ = run_flows(100.0, [(0, 1000, float("inf")), (0, 1000, float("inf"))])
    assert finish[0] == pytest.approx(20) and finish[1] == pytest.approx(20)


def test_late_flow_slows_the_first():
    # 0-5 s: A alone at 100 (500 B). Then both at 50: B (500 B) ends at 15, A's last 0 B...
    # A has 500 B left at t=5, B 500 B: both at 50/s -> both end at t=15.
    finish, _ = run_flows(100.0, [(0, 1000, float("inf")), (5, 500, float("inf"))])
    assert finish[0] == pytest.approx(15) and finish[1] == pytest.approx(15)
    # B smaller: ends first, then A speeds up again
    finish, _ = run_flows(100.0, [(0, 1000, float("inf")), (5, 100, float("inf"))])
    assert finish[1] == pytest.approx(7)  # 100 B at 50/s
    assert finish[0] == pytest.approx(7 + (1000 - 500 - 100) / 100)


def test_caps_leave_the_rest_to_others():
    # water filling: capped flow gets 20, the other two share 80 -> 40 each
    finish, pipe = run_flows(100.0, [(0, 200, 20.0), (0, 400, float("inf")),
                                     (0, 400, float("inf"))])
    assert finish[1] == pytest.approx(10) and finish[2] == pytest.approx(10)
    assert finish[0] == pytest.approx(10)
    total, = {round(h[1], 9) for h in pipe.history[:1]}
    assert total == pytest.approx(100)


def test_never_exceeds_capacity():
    flows = [(i * 0.7, 100 + 37 * i, (20.0 if i % 3 == 0 else float("inf"))) for i in range(12)]
    finish, pipe = run_flows(50.0, flows)
    assert all(h[1] <= 50.0 * (1 + 1e-12) for h in pipe.history)
    assert pipe.moved_bytes == pytest.approx(sum(f[1] for f in flows))
    # conservation: the pipe cannot finish sooner than all bytes at full capacity
    assert max(finish.values()) >= sum(f[1] for f in flows) / 50.0


def test_bad_capacity_is_refused():
    with pytest.raises(ValueError, match="capacity"):
        SharedResources.single(new_environment(), 0.0)


def test_fast_caller_frame_is_installed_by_new_environment_only():
    # in a fresh interpreter: importing hvlab leaves salabim alone; a model run installs it
    code = ("import salabim.salabim as s, hvlab as hv\n"
            "from hvlab.sim.environment import caller_frame_fast as fast\n"
            "assert s._get_caller_frame is not fast, 'installed on import'\n"
            "hv.live_migration(hv.VM(memory_gib=1), hv.Link())\n"
            "assert s._get_caller_frame is fast, 'not installed by a run'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_fast_caller_frame_finds_the_same_frame_as_salabim():
    restore_caller_frame()
    original = salabim_module._get_caller_frame
    try:
        def probe():
            return original(), caller_frame_fast()

        slow, fast = probe()
        assert slow is fast
    finally:
        install_fast_caller_frame()



# ---------------------------------------------------------------------------------------------
# several links, streams, arrays
def _run(links, jobs, streams=(), arrays=()):
    """Run transfers (start_s, nbytes, {link: weight}, cap) through a pool; return each job's
    finish time and the pool."""
    env = new_environment()
    pool = SharedResources(env, links, arrays=arrays)
    for key, rate, weights in streams:
        pool.add_stream(key, rate, weights, tag=str(key))
    done = {}

    class Job(sim.Component):
        def setup(self, spec, index):
            self.spec, self.index = spec, index

        def process(self):
            start, nbytes, weights, cap = self.spec
            yield self.hold(start)
            yield from pool.transfer(self, nbytes, cap=cap, tag=f"j{self.index}",
                                     uses=pool.uses(weights))
            done[self.index] = env.now()

    for i, spec in enumerate(jobs):
        Job(env=env, spec=spec, index=i)
    env.run()
    return done, pool


def test_progressive_filling_textbook_case():
    # Bertsekas & Gallager: flow 0 crosses links a and b; flow 1 only a; flow 2 only b.
    # a = 1, b = 2 units/s: flows 0 and 1 split a (0.5 each); flow 2 takes b's rest (1.5).
    env = new_environment()
    pool = SharedResources(env, {"a": 1.0, "b": 2.0})
    flows = [Flow(None, 10, math.inf, "f0", 0, pool.uses({"a": 1, "b": 1})),
             Flow(None, 10, math.inf, "f1", 0, pool.uses({"a": 1})),
             Flow(None, 10, math.inf, "f2", 0, pool.uses({"b": 1}))]
    allocate_fair(flows, (), pool._links, ())
    assert [f.rate for f in flows] == pytest.approx([0.5, 0.5, 1.5])


def test_cap_and_weights():
    # a flow capped at 10 leaves 90 to the other; a weight-2 flow uses twice per byte
    done, _ = _run({"a": 100.0}, [(0, 100, {"a": 1}, 10.0), (0, 900, {"a": 1}, math.inf)])
    assert done[0] == pytest.approx(10.0) and done[1] == pytest.approx(10.0)
    done, _ = _run({"a": 100.0}, [(0, 100, {"a": 2}, math.inf)])
    assert done[0] == pytest.approx(2.0)


def test_streams_and_flows_share_a_link_max_min_fairly():
    # a 30 units/s stream is below the fair share: it gets all of it, the flow the rest (70)
    done, pool = _run({"a": 100.0}, [(0, 700, {"a": 1}, math.inf)],
                      streams=[("s", 30.0, {"a": 1})])
    assert done[0] == pytest.approx(10.0)
    assert pool.carried("s") == pytest.approx(300.0)
    # a 60 units/s stream asks for more than its fair share: both get 50
    done, pool = _run({"a": 100.0}, [(0, 400, {"a": 1}, math.inf)],
                      streams=[("s", 60.0, {"a": 1})])
    assert done[0] == pytest.approx(8.0)
    assert pool.carried("s") == pytest.approx(8.0 * 50 + 0.0)
    # alone, a stream above the capacity is served up to it
    assert pool.streams["s"].scale == pytest.approx(1.0)  # 60 < 100 once the flow has gone
    _, pool = _run({"a": 100.0}, [(0, 1, {"a": 1}, math.inf)], streams=[("s", 120.0, {"a": 1})])
    assert pool.streams["s"].scale == pytest.approx(100.0 / 120.0)
    times, used, background = pool.resources["a"].history()
    assert np.all(used + background <= 100.0 + 1e-9)


def test_links_are_full_duplex():
    # a stream coming in does not slow a flow going out; one going out does
    links = duplex("nic", 100.0)
    done, _ = _run(links, [(0, 1000, {"nic.out": 1}, math.inf)],
                   streams=[("reads", 90.0, {"nic.in": 1})])
    assert done[0] == pytest.approx(10.0)
    done, _ = _run(links, [(0, 1000, {"nic.out": 1}, math.inf)],
                   streams=[("writes", 90.0, {"nic.out": 1})])
    assert done[0] == pytest.approx(20.0)  # max-min: 50 each


@hyp_settings(max_examples=60, deadline=None)
@given(caps=st.lists(st.floats(1.0, 100.0), min_size=1, max_size=3),
       flows=st.lists(st.tuples(st.lists(st.floats(0.0, 3.0), min_size=3, max_size=3),
                                st.one_of(st.just(math.inf), st.floats(0.5, 80.0))),
                      min_size=1, max_size=6))
def test_allocation_is_feasible_and_max_min_fair(caps, flows):
    env = new_environment()
    pool = SharedResources(env, {f"r{i}": c for i, c in enumerate(caps)})
    objs = []
    for weights, cap in flows:
        w = {f"r{i}": x for i, x in enumerate(weights[: len(caps)]) if x > 0.05}
        if not w and math.isinf(cap):
            w = {"r0": 1.0}
        objs.append(Flow(None, 1.0, cap, "", 0, pool.uses(w)))
    allocate_fair(objs, (), pool._links, ())
    for r in pool._links:
        assert r.used <= r.capacity * (1 + 1e-9)
    for f in objs:
        assert f.rate > 0 and f.rate <= f.cap * (1 + 1e-9)
        if f.rate >= f.cap * (1 - 1e-9):
            continue
        # max-min: some resource it crosses is full and no flow there gets more than it
        bottleneck = [r for r, _ in f.uses if r.used >= r.capacity * (1 - 1e-9)
                      and all(g.rate <= f.rate * (1 + 1e-9) for g in objs
                              if any(q is r for q, _ in g.uses))]
        assert bottleneck, "flow below its cap without a bottleneck"


def test_transfers_finish_far_into_a_long_run():
    """Days of simulated time: a flow's last bytes may take less than one float step of the
    clock; completion must still be detected (no endless rescheduling at one instant)."""
    env = new_environment()
    pool = SharedResources.single(env, 1.23456789e9, name="a")
    done = []

    class Job(sim.Component):
        def setup(self, start, nbytes):
            self.start, self.nbytes = start, nbytes

        def process(self):
            yield self.hold(self.start)
            yield from pool.transfer(self, self.nbytes, tag="j")
            done.append(env.now())

    starts = [3.3e7 + i * 0.7 for i in range(20)]
    for i, t0 in enumerate(starts):
        Job(env=env, start=t0, nbytes=1e9 / 3 + 17 * i)
    env.run(till=4e7)
    assert len(done) == 20
    assert env.peek() == float("inf") or env.peek() > 3.4e7


def test_a_copy_alone_runs_at_its_closed_loop_throughput():
    # a copy crossing two arrays with 8 I/Os of 1 MiB in flight: MVA gives its rate; a guest
    # stream's open load on the source slows it; a throttle shortens the queue at the arrays
    mib = 2**20
    d_read, d_write = 1 / (400 * mib), 1 / (300 * mib)
    env = new_environment()
    pool = SharedResources(env, {"link": 1e9}, arrays=("src", "tgt"))
    pool.add_stream("guest", 1.0, {"src": 0.5})
    flow = Flow(None, 1e9, math.inf, "copy", 0, (), pool.stations({"src": d_read,
                                                                    "tgt": d_write}), 8, mib)
    pool.flows.append(flow)
    pool._reallocate()
    x, _, q = mva_closed([d_read * mib, d_write * mib], [0.5, 0.0], 8)
    assert flow.rate == pytest.approx(x * mib, rel=1e-9)
    stretch_free = pool.stretch_at("src", [0.0])[0]
    assert stretch_free == pytest.approx((1 + q[0]) / 0.5, rel=1e-9)
    flow.cap = flow.rate / 4
    pool._reallocate()
    assert flow.rate == pytest.approx(x * mib / 4, rel=1e-9)
    assert pool.stretch_at("src", [0.0])[0] < stretch_free
