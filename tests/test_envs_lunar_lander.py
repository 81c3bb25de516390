"""Deterministic Lunar Lander: exact restore, gymnasium's checker, and equality with gymnasium when the
terrain and dispersion switches are back on."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from lander_pilot import hovering_actions

from mzlab.envs.gym_replay import ReplaySnapshot
from mzlab.envs.lunar_lander import DeterministicLunarLander, LunarLander


def _rollout(simulator, snapshot, actions):
    simulator.restore(snapshot)
    steps = [simulator.step(int(action)) for action in actions]
    return np.stack([step.observation for step in steps]), np.array([step.reward for step in steps])


def test_snapshot_restored_twice_gives_bit_identical_future():
    simulator = LunarLander()
    simulator.reset(3)
    rng = np.random.default_rng(0)
    for action in rng.integers(0, 4, 15):
        simulator.step(int(action))
    snapshot = simulator.snapshot()
    actions = hovering_actions(simulator, snapshot, 200, rng)
    first = _rollout(simulator, snapshot, actions)
    simulator.reset(99)  # disturb the live environment and the cache in between
    second = _rollout(simulator, snapshot, actions)
    uncached = _rollout(LunarLander(cache_size=0), snapshot, actions)
    for other in (second, uncached):
        np.testing.assert_array_equal(first[0], other[0])
        np.testing.assert_array_equal(first[1], other[1])
    # 200 distinct observations and nonzero rewards: the lander flew all 200 steps (no absorbing tail).
    assert len(np.unique(first[0], axis=0)) == 200 and np.all(first[1] != 0)


def test_simulator_equals_a_plain_run_of_the_gymnasium_api_env():
    simulator = LunarLander(reward_scale=0.5)
    env = DeterministicLunarLander()
    seed = 11
    np.testing.assert_array_equal(simulator.reset(seed), env.reset(seed=seed)[0])
    rng = np.random.default_rng(1)
    for _ in range(1000):
        action = int(rng.integers(0, 4))
        transition = simulator.step(action)
        observation, reward, terminated, truncated, _ = env.step(action)
        np.testing.assert_array_equal(transition.observation, observation)
        assert transition.reward == pytest.approx(0.5 * reward, rel=1e-15, abs=0)
        assert transition.terminated == terminated
        if terminated:
            break
    assert terminated
    assert simulator.snapshot() == ReplaySnapshot(seed, tuple(simulator.snapshot().actions))
    # Absorbing after the end.
    ended = simulator.snapshot()
    after = simulator.step(0)
    assert after.reward == 0.0 and after.terminated
    np.testing.assert_array_equal(after.observation, transition.observation)
    assert simulator.snapshot() == ended


def test_passes_gymnasium_check_env():
    check_env(DeterministicLunarLander(), skip_render_check=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_switches_on_matches_gymnasium_lunar_lander_step_for_step(seed):
    ours = DeterministicLunarLander(flat_terrain=False, engine_dispersion=True)
    reference = gym.make("LunarLander-v3").unwrapped
    np.testing.assert_array_equal(ours.reset(seed=seed)[0], reference.reset(seed=seed)[0])
    rng = np.random.default_rng(seed)
    for _ in range(1000):
        action = int(rng.integers(0, 4))
        mine, theirs = ours.step(action), reference.step(action)
        np.testing.assert_array_equal(mine[0], theirs[0])
        assert mine[1:4] == theirs[1:4]
        if theirs[2]:
            break
    assert theirs[2]


def test_switches_off_differ_only_through_terrain_and_dispersion():
    seed = 5
    ours = DeterministicLunarLander()
    reference = gym.make("LunarLander-v3").unwrapped
    # Same initial push from the seed: the first observation (after gymnasium's no-op reset step) is equal.
    np.testing.assert_array_equal(ours.reset(seed=seed)[0], reference.reset(seed=seed)[0])
    # Flat terrain: every ground edge at the height of gymnasium's helipad.
    heights = np.array([vertex[1] for fixture in ours.moon.fixtures for vertex in fixture.shape.vertices])
    heights = heights[heights != 0.0]  # the bottom edge of the world
    assert len(heights) == 20 and np.ptp(heights) == 0.0
    assert heights[0] == pytest.approx(0.99 * reference.helipad_y, rel=1e-6)
    # Firing the main engine differs once dispersion is gone ...
    assert not np.array_equal(ours.step(2)[0], reference.step(2)[0])
    # ... and switching dispersion alone back on (terrain still flat) restores gymnasium's flight.
    only_dispersion = DeterministicLunarLander(engine_dispersion=True)
    reference.reset(seed=seed)
    only_dispersion.reset(seed=seed)
    for action in [2, 1, 3, 2, 0] * 4:  # high in the air, terrain plays no part yet
        np.testing.assert_array_equal(only_dispersion.step(action)[0], reference.step(action)[0])


def test_batched_step_equals_sequential():
    simulator = LunarLander()
    snapshots, observations = simulator.reset_snapshots(np.array([0, 1, 2]))
    rng = np.random.default_rng(2)
    sequential = LunarLander()
    for _ in range(20):
        actions = rng.integers(0, 4, 3)
        batched = simulator.step_snapshots(snapshots, actions)
        for i in range(3):
            sequential.restore(snapshots[i])
            transition = sequential.step(int(actions[i]))
            np.testing.assert_array_equal(transition.observation, batched.observations[i])
            assert transition.reward == batched.rewards[i]
            assert sequential.snapshot() == batched.snapshots[i]
        snapshots = batched.snapshots
    assert snapshots.dtype == object and snapshots.shape == (3,)


def test_restore_uses_cached_prefix():
    simulator = LunarLander()
    simulator.reset(0)
    for _ in range(50):
        simulator.step(0)
    base = simulator.snapshot()
    simulator.reset(1)
    simulator.restore(base)
    simulator.step(1)
    assert simulator.replayed_steps == 0
    simulator.restore(base)  # its live environment moved on: replay from the seed
    assert simulator.replayed_steps == 50
