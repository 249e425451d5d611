"""Queueing formulas against simulated queues: M/M/1 latency, the utilisation law, mixture
percentiles, and the mixed network (open guest I/O, a closed storage copy) at
processor-sharing arrays, whose MVA the simulation core uses, against an I/O-level simulation.
Link sharing is in test_sharing.py."""
import math

import numpy as np
import pytest
from hypothesis import given, settings as hyp_settings, strategies as st

import hvlab as hv
from hvlab.physics.queueing import (P95_FACTOR, exp_mixture_quantile, mm1_response_ms,
                                    mva_closed, mva_closed_at_rate, mva_schweitzer)
from hvlab.physics.storage_io import COPY_IO_BYTES, copy_read_demand_per_byte, guest_demand_frac
from hvlab.sim.environment import new_environment
from hvlab.sim.io_queue import simulate_copy_network, simulate_io_queue
from hvlab.sim.sharing import ArrayOverloadError, SharedResources

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
# the mixed network: open guest load and a closed copy at processor-sharing arrays
@pytest.mark.parametrize("guest_util", [(0.4, 0.2), (0.7, 0.0)])
def test_mva_matches_an_io_level_simulation(guest_util):
    copy_demand, guest_demand, population = (0.004, 0.005), (0.0005, 0.0005), 8
    sim_out = simulate_copy_network(copy_demand, guest_demand, guest_util, population,
                                    n_guest_ios=20_000, seed=5)
    x, _, q = mva_closed(copy_demand, guest_util, population)
    # batch means over 20 equal stretches of time: the open queue moves slowly, so the
    # standard error comes from the batches, not from the count of cycles
    edges = np.linspace(sim_out["warmup_s"], sim_out["duration_s"], 21)
    counts = np.histogram(sim_out["copy_cycle_times_s"], bins=edges)[0] / np.diff(edges)
    se = counts.std(ddof=1) / math.sqrt(len(counts))
    assert abs(sim_out["copy_throughput_per_s"] - x) < 4 * se + 0.01 * x
    # an open I/O at a processor-sharing station is stretched by (1 + closed queue)/(1 - U)
    expected = np.array(guest_demand) * (1 + q) / (1 - np.array(guest_util))
    for k, u in enumerate(guest_util):
        if u > 0:
            assert sim_out["guest_response_s"][k] == pytest.approx(expected[k], rel=0.10)


def test_mva_closed_single_station_is_the_machine_repairman_bound():
    # one station, no open load: X(N) = N / (N D) = 1 / D once N >= 1 (the station is busy
    # whenever a copy I/O is present; processor sharing serves them all at rate 1 / D together)
    x, r, q = mva_closed([0.01], [0.0], 8)
    assert x == pytest.approx(100.0) and q[0] == pytest.approx(8.0)
    # open load U leaves (1 - U) of the station
    x, _, _ = mva_closed([0.01], [0.6], 8)
    assert x == pytest.approx(40.0)
    with pytest.raises(ValueError, match="open_util"):
        mva_closed([0.01], [1.0], 8)


def test_mva_at_rate_and_schweitzer_agree_with_exact():
    d, u = (0.004, 0.005), (0.3, 0.2)
    x, _, q = mva_closed(d, u, 8)
    xs, qs = mva_schweitzer([d], u, [8])
    assert xs[0] == pytest.approx(x, rel=0.03)  # Schweitzer's approximation, a few percent
    # held to half its rate, the copy keeps fewer I/Os at the arrays
    xr, _, qr, z = mva_closed_at_rate(d, u, 8, x / 2)
    assert xr == pytest.approx(x / 2, rel=1e-9) and z > 0
    assert np.all(qr < q)


def test_array_overload_is_an_error_naming_the_array():
    env = new_environment()
    pool = SharedResources(env, {"link": 100.0}, arrays=("tier2",))
    with pytest.raises(ArrayOverloadError, match="tier2"):
        pool.add_stream("load", 1.0, {"tier2": 1.05})
