"""Guest I/Os at one array as a salabim queue (M/M/1), to check the queueing formulas of
`hvlab.physics.queueing` by simulation."""
from __future__ import annotations

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


__all__ = ["simulate_io_queue"]
