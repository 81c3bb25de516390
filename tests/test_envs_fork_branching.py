"""Fork branching of Lunar Lander snapshots: the same futures as replaying from the seed, bit for bit, through
every path (held processes, ancestors after eviction, the seed), and no process outlives its use."""

import os
import pickle
import subprocess
import sys
import time

import numpy as np
import pytest
from lander_pilot import hovering_actions

from mzlab.envs.fork_branching import fork_available
from mzlab.envs.gym_replay import ReplaySnapshot
from mzlab.envs.lunar_lander import LunarLander

pytestmark = pytest.mark.skipif(not fork_available(), reason="fork branching needs os.fork")

FUTURES = 2
HORIZON = 200


def _start(step: int, seed: int = 4) -> ReplaySnapshot:
    """A plain snapshot ``step`` hovering actions into an episode."""
    simulator = LunarLander()
    simulator.reset(seed)
    actions = hovering_actions(simulator, simulator.snapshot(), step, np.random.default_rng(step), random_fraction=0)
    assert len(actions) == step  # still flying
    return ReplaySnapshot(seed, tuple(int(a) for a in actions))


def _replayed(start: ReplaySnapshot, actions: np.ndarray):
    """The reference: restore by seeded reset plus replay (no cache), then step ``actions``."""
    simulator = LunarLander(cache_size=0)
    simulator.restore(start)
    steps = [simulator.step(int(a)) for a in actions]
    return (
        np.stack([s.observation for s in steps]),
        np.array([s.reward for s in steps]),
        np.array([s.terminated for s in steps]),
        np.array([s.truncated for s in steps]),
    )


def _branched(simulator: LunarLander, start: ReplaySnapshot, actions: np.ndarray):
    """Step ``FUTURES`` copies of ``start`` along ``actions[FUTURES, T]`` with the batched method."""
    # One step in place (a plain snapshot gains its branch state), then FUTURES forks of the result.
    snapshots = simulator.step_snapshots(np.array([start], dtype=object), np.zeros(1, dtype=np.int64)).snapshots
    assert snapshots[0] == ReplaySnapshot(start.seed, (*start.actions, 0)) and snapshots[0].branch is not None
    observations, rewards, terminated, truncated = [], [], [], []
    current = np.repeat(snapshots, FUTURES)
    for t in range(actions.shape[1]):
        step = simulator.step_snapshots(current, actions[:, t])
        observations.append(step.observations)
        rewards.append(step.rewards)
        terminated.append(step.terminated)
        truncated.append(step.truncated)
        current = step.snapshots
    return [np.stack(x, axis=1) for x in (observations, rewards, terminated, truncated)]


def _futures(start: ReplaySnapshot, rng: np.random.Generator) -> np.ndarray:
    simulator = LunarLander()
    after = ReplaySnapshot(start.seed, (*start.actions, 0))
    rows = []
    for k in range(FUTURES):
        actions = hovering_actions(simulator, after, HORIZON, rng, random_fraction=0.3 * k)
        rows.append(np.concatenate([actions, rng.integers(0, 4, HORIZON - len(actions))]))
    return np.stack(rows)


def _assert_same_futures(simulator, start, futures):
    after = ReplaySnapshot(start.seed, (*start.actions, 0))
    observations, rewards, terminated, truncated = _branched(simulator, start, futures)
    for k in range(FUTURES):
        expected = _replayed(after, futures[k])
        np.testing.assert_array_equal(observations[k], expected[0])
        np.testing.assert_array_equal(rewards[k], expected[1])
        np.testing.assert_array_equal(terminated[k], expected[2])
        np.testing.assert_array_equal(truncated[k], expected[3])
    return observations, terminated | truncated


@pytest.mark.parametrize("step", [0, 300, 900])
def test_branched_futures_equal_replayed_futures(step):
    start = _start(step)
    futures = _futures(start, np.random.default_rng(step + 1))
    simulator = LunarLander(branching="fork")
    try:
        observations, done = _assert_same_futures(simulator, start, futures)
        # Every step of a running episode was forked (none stepped in place), plus one to re-hold the start.
        running = sum(int(np.argmax(row)) + 1 if row.any() else HORIZON for row in done)
        assert simulator.fork_server.branches == running + 1
    finally:
        simulator.close()
    # The futures differ from each other and the lander flew: not a run of absorbing steps.
    assert not np.array_equal(observations[0], observations[1])
    flying = int(np.argmax(done[0])) if done[0].any() else HORIZON
    assert flying >= 50 and len(np.unique(observations[0][:flying], axis=0)) == flying
    if step == 900:  # the 1000-step truncation is reached inside the horizon, identically
        assert done[0].any()


def test_eviction_falls_back_to_ancestors_and_the_seed_exactly():
    start = _start(60)
    futures = _futures(start, np.random.default_rng(7))
    simulator = LunarLander(branching="fork", max_processes=2)
    try:
        _assert_same_futures(simulator, start, futures[:, :40])
        server = simulator.fork_server
        assert server.evictions > 0 and server.replayed_steps > 0
        assert server.live_processes() <= 2
    finally:
        simulator.close()


def _group_members(group: int) -> int:
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == group and fields[0] != "Z":
                count += 1
    return count


def _wait_for_members(group: int, expected: int, deadline_s: float = 20.0) -> int:
    end = time.monotonic() + deadline_s
    while (count := _group_members(group)) != expected and time.monotonic() < end:
        time.sleep(0.05)
    return count


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="counts processes through /proc")
def test_dropped_snapshots_release_their_processes_and_close_ends_all():
    simulator = LunarLander(branching="fork")
    snapshots, _ = simulator.reset_snapshots(np.array([0, 1]))
    children = simulator.step_snapshots(np.repeat(snapshots, 4), np.tile(np.arange(4), 2)).snapshots
    group = simulator.fork_server.process_group
    # The zygote, one process re-holding both roots (rebuilt together), and four forks of it, each stepping
    # both roots by one action (children of one fork share its process).
    assert _wait_for_members(group, 6) == 6
    assert simulator.fork_server.live_processes() == 5
    del children
    assert _wait_for_members(group, 2) == 2
    del snapshots
    assert _wait_for_members(group, 1) == 1
    simulator.close()
    assert _wait_for_members(group, 0) == 0


_ORPHANING_SCRIPT = """
import numpy as np, os, sys
from mzlab.envs.lunar_lander import LunarLander
simulator = LunarLander(branching="fork")
snapshots, _ = simulator.reset_snapshots(np.array([0, 1, 2]))
kept = simulator.step_snapshots(np.repeat(snapshots, 4), np.tile(np.arange(4), 3)).snapshots
print(simulator.fork_server.process_group, flush=True)
os._exit(0)  # no cleanup at all: the processes must notice on their own
"""


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="counts processes through /proc")
def test_processes_end_when_the_driver_dies_without_cleanup():
    result = subprocess.run([sys.executable, "-c", _ORPHANING_SCRIPT], capture_output=True, text=True, check=True)
    group = int(result.stdout.split()[0])
    assert _wait_for_members(group, 0) == 0


def test_pickled_snapshot_is_the_plain_replay_snapshot_and_steps_the_same():
    simulator = LunarLander(branching="fork")
    try:
        snapshots, _ = simulator.reset_snapshots(np.array([5, 5]))
        held = simulator.step_snapshots(snapshots, np.array([2, 3])).snapshots
        copy = pickle.loads(pickle.dumps(held[0]))
        assert copy == held[0] and copy.branch is None and held[0].branch is not None
        both = simulator.step_snapshots(np.array([held[0], copy], dtype=object), np.array([1, 1]))
        np.testing.assert_array_equal(both.observations[0], both.observations[1])
        assert both.rewards[0] == both.rewards[1]
        np.testing.assert_array_equal(simulator.observe_snapshots(held), LunarLander().observe_snapshots(held))
    finally:
        simulator.close()


def test_without_fork_the_simulator_replays_with_a_note(monkeypatch):
    import mzlab.envs.fork_branching as fork_branching

    monkeypatch.setattr(fork_branching, "fork_available", lambda: False)
    with pytest.warns(UserWarning, match="cannot fork; branching falls back to replay"):
        simulator = LunarLander(branching="fork")
    assert simulator.branching == "replay" and simulator.fork_server is None


def test_gym_environments_branch_by_fork_exactly_too():
    from mzlab.envs.gym_replay import make_gym_simulator

    forking = make_gym_simulator("Acrobot-v1", discount=0.99, max_episode_steps=30, branching="fork")
    replaying = make_gym_simulator("Acrobot-v1", discount=0.99, max_episode_steps=30)
    try:
        rng = np.random.default_rng(3)
        roots, _ = forking.reset_snapshots(np.array([8, 9]))
        current = np.repeat(roots, 3)
        for _ in range(35):  # past the 30-step truncation
            actions = rng.integers(0, 3, len(current))
            mine = forking.step_snapshots(current, actions)
            plain = np.array([ReplaySnapshot(s.seed, s.actions) for s in current], dtype=object)
            theirs = replaying.step_snapshots(plain, actions)
            np.testing.assert_array_equal(mine.observations, theirs.observations)
            np.testing.assert_array_equal(mine.rewards, theirs.rewards)
            np.testing.assert_array_equal(mine.terminated, theirs.terminated)
            np.testing.assert_array_equal(mine.truncated, theirs.truncated)
            assert list(mine.snapshots) == list(theirs.snapshots)
            current = mine.snapshots
        assert forking.fork_server.forks > 0 and current[0].branch.truncated
    finally:
        forking.close()


def test_lockstep_episodes_step_in_place_without_any_process():
    """Self-play and evaluation only continue episodes: no process starts and results equal replay."""
    forking, replaying = LunarLander(branching="fork"), LunarLander()
    snapshots, observations = forking.reset_snapshots(np.arange(16))
    reference, reference_observations = replaying.reset_snapshots(np.arange(16))
    np.testing.assert_array_equal(observations, reference_observations)
    rng = np.random.default_rng(0)
    for _ in range(50):
        actions = rng.integers(0, 4, 16)
        mine, theirs = forking.step_snapshots(snapshots, actions), replaying.step_snapshots(reference, actions)
        np.testing.assert_array_equal(mine.observations, theirs.observations)
        np.testing.assert_array_equal(mine.rewards, theirs.rewards)
        snapshots, reference = mine.snapshots, theirs.snapshots
    assert forking.fork_server.process_group is None and forking.replayed_steps == 0
