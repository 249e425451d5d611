"""The storage-array model: M/M/1 latency against a simulated salabim queue, the utilisation
law, mixture percentiles, and max-min fair sharing of links and arrays (SharedResources)."""
import math

import numpy as np
import pytest
from hypothesis import given, settings as hyp_settings, strategies as st

import hvlab as hv
from hvlab.physics.queueing import (P95_FACTOR, array_latency_ms, exp_mixture_quantile,
                                    mm1_response_ms)
from hvlab.physics.storage_io import COPY_IO_BYTES, copy_read_demand_per_byte, guest_demand_frac
from hvlab.sim.environment import new_environment
from hvlab.sim.io_queue import simulate_io_queue
from hvlab.sim.sharing import Flow, SharedResources, progressive_filling

import salabim as sim

MIB = 2**20


# ---------------------------------------------------------------------------------------------
# latency formula against a simulated queue
@pytest.mark.parametrize("rho", [0.3, 0.5, 0.8])
def test_simulated_queue_matches_mm1(rho):
    service_ms = 5.0
    n = 40_000
    resp = simulate_io_queue(rho, service_ms, n, seed=11)
    assert resp.shape == (n,) and np.all(resp > 0)
    resp = resp[2_000:]  # drop the warm-up from an empty queue
    # batch means: 20 batches long against the queue's relaxation time give an honest
    # standard error despite the correlation between neighbouring responses
    batches = resp[: len(resp) // 20 * 20].reshape(20, -1).mean(axis=1)
    se = batches.std(ddof=1) / math.sqrt(len(batches))
    theory = service_ms / (1 - rho)  # Kleinrock 1975: M/M/1 mean response time
    assert abs(resp.mean() - theory) < 4 * se + 0.01 * theory
    assert mm1_response_ms(service_ms, rho) == pytest.approx(theory)
    # response time is exponential: p95 = mean * ln 20
    assert np.quantile(resp, 0.95) == pytest.approx(theory * math.log(20), rel=0.06)


def test_simulated_queue_rejects_bad_input():
    with pytest.raises(ValueError, match="util_frac"):
        simulate_io_queue(1.0, 5.0, 10)
    with pytest.raises(ValueError, match="service_ms"):
        simulate_io_queue(0.5, 0.0, 10)
    with pytest.raises(ValueError, match="n_ios"):
        simulate_io_queue(0.5, 1.0, 0)


def test_mm1_values_and_domain():
    assert mm1_response_ms(5.0, 0.0) == 5.0
    assert mm1_response_ms(5.0, 0.8) == pytest.approx(25.0)
    np.testing.assert_allclose(mm1_response_ms(2.0, np.array([0.5, 0.75])), [4.0, 8.0])
    with pytest.raises(ValueError, match="util_frac"):
        mm1_response_ms(5.0, 1.0)


def test_array_latency_is_capped_at_the_ceiling_not_infinite():
    array = hv.Storage(base_latency_ms=4.0, max_util_frac=0.9)
    assert array_latency_ms(array, 0.5) == pytest.approx(8.0)
    assert array_latency_ms(array, 0.9) == pytest.approx(40.0)
    assert array_latency_ms(array, 3.0) == pytest.approx(40.0)  # saturated: finite, at ceiling


def test_p95_factor():
    assert P95_FACTOR == pytest.approx(-math.log(0.05))


def test_mixture_quantile():
    # one component: the exponential quantile
    assert exp_mixture_quantile([10.0], [1.0]) == pytest.approx(10 * math.log(20), rel=1e-9)
    # two components: the survival function at the answer is 5 %
    x = exp_mixture_quantile([2.0, 50.0], [3.0, 1.0], q=0.95)
    surv = 0.75 * math.exp(-x / 2.0) + 0.25 * math.exp(-x / 50.0)
    assert surv == pytest.approx(0.05, rel=1e-6)
    # and a Monte Carlo check of the same mixture
    rng = np.random.default_rng(3)
    pick = rng.random(400_000) < 0.75
    draws = np.where(pick, rng.exponential(2.0, pick.size), rng.exponential(50.0, pick.size))
    assert np.quantile(draws, 0.95) == pytest.approx(x, rel=0.02)


def test_guest_demand_is_the_utilisation_law():
    array = hv.Storage(read_mib_s=400, write_mib_s=300, iops=20000)
    vm = hv.VM(disk_iops=2000, disk_read_mib_s=40, disk_write_mib_s=30)
    # each stream: throughput x cost per unit = 2000/20000 + 40/400 + 30/300
    assert guest_demand_frac(vm, array) == pytest.approx(0.3)
    assert copy_read_demand_per_byte(array) == pytest.approx(
        1 / (400 * MIB) + 1 / (COPY_IO_BYTES * 20000))


# ---------------------------------------------------------------------------------------------
# fair sharing across resources
def _run(pool_spec, jobs, default="a", streams=()):
    """Run transfers (start_s, nbytes, {resource: weight}, cap) through a pool; return each
    job's finish time and the pool."""
    env = new_environment()
    pool = SharedResources(env, pool_spec, default=default)
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


def test_two_flows_share_a_link_fairly():
    done, _ = _run({"a": (100.0, 5.0)}, [(0, 1000, {"a": 1}, math.inf),
                                         (0, 1000, {"a": 1}, math.inf)])
    assert done[0] == pytest.approx(20.0) and done[1] == pytest.approx(20.0)


def test_progressive_filling_textbook_case():
    # Bertsekas & Gallager: flow 0 crosses links a and b; flow 1 only a; flow 2 only b.
    # a = 1, b = 2 units/s: flows 0 and 1 split a (0.5 each); flow 2 takes b's rest (1.5).
    env = new_environment()
    pool = SharedResources(env, {"a": (1.0, 0.0), "b": (2.0, 0.0)}, default="a")
    flows = [Flow(None, 10, math.inf, "f0", 0, pool.uses({"a": 1, "b": 1})),
             Flow(None, 10, math.inf, "f1", 0, pool.uses({"a": 1})),
             Flow(None, 10, math.inf, "f2", 0, pool.uses({"b": 1}))]
    pool.flows.extend(flows)
    progressive_filling(pool.flows, tuple(pool.resources.values()))
    assert [f.rate for f in flows] == pytest.approx([0.5, 0.5, 1.5])


def test_cap_and_weights():
    # a flow capped at 10 leaves 90 to the other; a weight-2 flow uses twice per byte
    done, _ = _run({"a": (100.0, 0.0)}, [(0, 100, {"a": 1}, 10.0),
                                         (0, 900, {"a": 1}, math.inf)])
    assert done[0] == pytest.approx(10.0) and done[1] == pytest.approx(10.0)
    done, _ = _run({"a": (100.0, 0.0)}, [(0, 100, {"a": 2}, math.inf)])
    assert done[0] == pytest.approx(2.0)


def test_background_stream_first_then_floor():
    # a 60 units/s stream leaves 40 to a transfer
    done, pool = _run({"a": (100.0, 5.0)}, [(0, 400, {"a": 1}, math.inf)],
                      streams=[("s", 60.0, {"a": 1})])
    assert done[0] == pytest.approx(10.0)
    assert pool.carried("s") == pytest.approx(600.0)
    # a stream asking for more than the capacity: the transfer keeps its floor (5) and the
    # stream is served only the rest (scale 95/120)
    done, pool = _run({"a": (100.0, 5.0)}, [(0, 50, {"a": 1}, math.inf)],
                      streams=[("s", 120.0, {"a": 1})])
    assert done[0] == pytest.approx(10.0)
    assert pool.carried("s") == pytest.approx(950.0)
    # the flow has ended; the stream still runs, served up to the capacity
    assert pool.streams["s"].scale == pytest.approx(100.0 / 120.0)
    times, used, background = pool.resources["a"].history()
    assert np.all(used + background <= 100.0 + 1e-9)


def test_history_never_exceeds_capacity_and_tags_sum():
    done, pool = _run({"a": (50.0, 1.0), "b": (30.0, 1.0)},
                      [(0, 300, {"a": 1, "b": 0.5}, math.inf), (1, 200, {"a": 1}, math.inf),
                       (2, 100, {"b": 1}, 20.0)], streams=[("s", 10.0, {"b": 1})])
    for key, r in pool.resources.items():
        _, used, bg = r.history()
        assert np.all(used + bg <= r.capacity * (1 + 1e-12))
    # bytes conservation through the pipe: what moved equals what was asked
    assert pool.moved_bytes == pytest.approx(600.0)


@hyp_settings(max_examples=60, deadline=None)
@given(caps=st.lists(st.floats(1.0, 100.0), min_size=1, max_size=3),
       flows=st.lists(st.tuples(st.lists(st.floats(0.0, 3.0), min_size=3, max_size=3),
                                st.one_of(st.just(math.inf), st.floats(0.5, 80.0))),
                      min_size=1, max_size=6))
def test_allocation_is_feasible_and_max_min_fair(caps, flows):
    env = new_environment()
    spec = {f"r{i}": (c, 0.0) for i, c in enumerate(caps)}
    pool = SharedResources(env, spec, default="r0")
    objs = []
    for weights, cap in flows:
        w = {f"r{i}": x for i, x in enumerate(weights[: len(caps)]) if x > 0.05}
        if not w and math.isinf(cap):
            w = {"r0": 1.0}
        objs.append(Flow(None, 1.0, cap, "", 0, pool.uses(w)))
    pool.flows.extend(objs)
    progressive_filling(pool.flows, tuple(pool.resources.values()))
    for r in pool.resources.values():
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
    pool = SharedResources(env, {"a": (1.23456789e9, 0.0)}, default="a")
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
