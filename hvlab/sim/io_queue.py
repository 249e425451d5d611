"""Guest I/Os at one array as a salabim queue (M/M/1), to check the queueing formulas of
`hvlab.physics.queueing` by simulation."""
from __future__ import annotations

import math

import numpy as np
import salabim as sim

from hvlab.sim.environment import new_environment


def simulate_io_queue(util_frac: float, service_ms: float, n_ios: int = 20_000, *,
                      seed: int = 0) -> np.ndarray:
    """Simulate guest I/Os at one array as a salabim queue: Poisson arrivals, exponential
    service with mean `service_ms`, one server, first come first served (M/M/1).

    Used to check `hvlab.physics.queueing.mm1_response_ms` and the p95 factor ln 20 by
    simulation.

    Parameters
    ----------
    util_frac : float
        Offered utilisation rho = arrival rate x mean service time [fraction], 0 < rho < 1.
    service_ms : float
        Mean service time [ms].
    n_ios : int
        I/Os to simulate.
    seed : int
        Seed of the run's own random stream.

    Returns
    -------
    numpy.ndarray
        Response time (wait plus service) of every I/O, in arrival order [ms].
    """
    if not 0 < util_frac < 1:
        raise ValueError(f"util_frac must be between 0 and 1 (exclusive), got {util_frac!r}")
    if not service_ms > 0:
        raise ValueError(f"service_ms must be > 0 ms, got {service_ms!r}")
    if int(n_ios) != n_ios or n_ios < 1:
        raise ValueError(f"n_ios must be a positive whole number, got {n_ios!r}")
    n_ios = int(n_ios)
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(service_ms / util_frac, n_ios)
    services = rng.exponential(service_ms, n_ios)
    response = np.empty(n_ios)
    env = new_environment()
    array = sim.Resource("array", capacity=1, env=env)

    idle: list = []  # finished I/O components, reused (creating one costs ~0.3 ms)

    class IO(sim.Component):
        def setup(self, index):
            self.index = index

        def process(self):
            while True:
                arrived = env.now()
                yield self.request(array)
                yield self.hold(services[self.index])
                self.release(array)
                response[self.index] = env.now() - arrived
                idle.append(self)
                yield self.passivate()

    class Arrivals(sim.Component):
        def process(self):
            for i in range(n_ios):
                if idle:
                    io = idle.pop()
                    io.index = i
                    io.activate()
                else:
                    IO(env=env, index=i, name="io")
                yield self.hold(gaps[i])

    Arrivals(env=env, name="arrivals")
    env.run()
    return response





def simulate_copy_network(copy_demands_s, guest_demands_s, guest_util, population: int, *,
                          n_guest_ios: int = 20_000, seed: int = 0) -> dict:
    """Simulate, I/O by I/O, a storage copy sharing processor-sharing arrays with guest I/O:
    the queueing network whose mean values `hvlab.sim.sharing` computes by MVA.

    `population` copy I/Os cycle through the stations (service demand exponential with mean
    ``copy_demands_s[k]`` at station k); guest I/Os arrive at each station as a Poisson stream
    of utilisation ``guest_util[k]`` with exponential demand of mean ``guest_demands_s[k]``.
    Each station shares its time equally among the I/Os present (processor sharing), built
    from the same `SharedResources` engine the models use.

    Parameters
    ----------
    copy_demands_s : sequence of float
        Mean service demand of a copy I/O at each station [s].
    guest_demands_s : sequence of float
        Mean service demand of a guest I/O at each station [s].
    guest_util : sequence of float
        Guest (open) utilisation of each station [fraction], each < 1.
    population : int
        Copy I/Os in flight.
    n_guest_ios : int
        Guest I/Os expected over the run (its length is this over the guests' arrival rate).
    seed : int
        Seed of the run's own random stream.

    Returns
    -------
    dict
        copy_throughput_per_s [cycles/s], copy_cycle_times_s (completion time of each
        counted cycle [s]), warmup_s [s], guest_response_s (mean per station [s]), guest_ios
        (completed per station), duration_s [s].
    """
    from hvlab.sim.sharing import SharedResources

    d_copy = np.asarray(copy_demands_s, dtype=float)
    d_guest = np.asarray(guest_demands_s, dtype=float)
    util = np.asarray(guest_util, dtype=float)
    if not (d_copy.shape == d_guest.shape == util.shape):
        raise ValueError("copy_demands_s, guest_demands_s and guest_util need one value per "
                         "station")
    if np.any(util < 0) or np.any(util >= 1):
        raise ValueError(f"guest_util must be in [0, 1) at every station, got {util.tolist()}")
    rng = np.random.default_rng(seed)
    env = new_environment()
    stations = [SharedResources.single(env, 1.0, name=f"array{k}", record=False)
                for k in range(len(d_copy))]
    responses = [[] for _ in stations]
    cycles: list[float] = []  # completion times of copy cycles after the warm-up
    warmup_s = [0.0]

    class CopyIO(sim.Component):
        def process(self):
            while True:
                for k, station in enumerate(stations):
                    yield from station.transfer(self, rng.exponential(d_copy[k]))
                if env.now() >= warmup_s[0]:
                    cycles.append(env.now())

    class GuestIO(sim.Component):
        def setup(self, k):
            self.k = k

        def process(self):
            arrived = env.now()
            yield from stations[self.k].transfer(self, rng.exponential(d_guest[self.k]))
            responses[self.k].append(env.now() - arrived)

    class Arrivals(sim.Component):
        def setup(self, k):
            self.k = k

        def process(self):
            rate = util[self.k] / d_guest[self.k]
            while True:
                yield self.hold(rng.exponential(1.0 / rate))
                GuestIO(env=env, k=self.k, name="guest")

    for _ in range(int(population)):
        CopyIO(env=env, name="copy")
    for k in range(len(stations)):
        if util[k] > 0:
            Arrivals(env=env, k=k, name="arrivals")
    # warm up over the first tenth of the expected run, then count
    total_rate = float(np.sum(np.where(util > 0, util / d_guest, 0.0)))
    expected_s = n_guest_ios / total_rate if total_rate > 0 else 1000 * float(d_copy.sum())
    warmup_s[0] = 0.1 * expected_s
    env.run(till=expected_s)  # guests keep arriving to the end: the load stays as specified
    end = env.now()
    skip = [int(0.1 * len(r)) for r in responses]
    return {
        "copy_throughput_per_s": len(cycles) / (end - warmup_s[0]),
        "copy_cycle_times_s": np.array(cycles),
        "warmup_s": warmup_s[0],
        "guest_response_s": np.array([np.mean(r[s:]) if len(r) > s else math.nan
                                      for r, s in zip(responses, skip)]),
        "guest_ios": np.array([len(r) for r in responses]),
        "duration_s": end,
    }

__all__ = ["simulate_io_queue", "simulate_copy_network"]
