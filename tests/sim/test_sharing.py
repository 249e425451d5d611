"""One shared resource (a link): max-min fair shares with caps, recomputed as flows come and
go; and salabim's caller-frame lookup installed explicitly, not by importing hvlab."""
import subprocess
import sys

import pytest
import salabim as sim
import salabim.salabim as salabim_module

from hvlab.sim.environment import (caller_frame_fast, install_fast_caller_frame,
                                   new_environment, restore_caller_frame)
from hvlab.sim.sharing import SharedResources


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
