"""Cart Pole against gymnasium's own CartPole-v1, in lockstep over many seeded action sequences."""

import gymnasium as gym
import numpy as np

from mzlab.envs.cartpole import SNAPSHOT_SIZE, CartPole

NUM_RANDOM = 1000
NUM_BALANCING = 40


def _action_sequences_policy(observations: np.ndarray, rng: np.random.Generator, balancing: np.ndarray) -> np.ndarray:
    """Uniform random actions, except rows in ``balancing`` push towards upright with 10% random moves."""
    actions = rng.integers(0, 2, len(observations))
    upright = (observations[:, 2] + 0.5 * observations[:, 3] + 0.01 * observations[:, 1] > 0).astype(np.int64)
    keep = balancing & (rng.random(len(observations)) > 0.1)
    return np.where(keep, upright, actions)


def test_lockstep_with_gymnasium_cartpole_v1():
    simulator = CartPole()
    size = NUM_RANDOM + NUM_BALANCING
    seeds = np.arange(size) + 12345
    balancing = np.arange(size) >= NUM_RANDOM
    snapshots, observations = simulator.reset_snapshots(seeds)
    envs = [gym.make("CartPole-v1") for _ in range(size)]
    reference = np.stack([env.reset(seed=int(seed))[0] for env, seed in zip(envs, seeds, strict=True)])
    np.testing.assert_array_equal(observations, reference)

    rng = np.random.default_rng(7)
    running = np.ones(size, dtype=bool)
    end_step = np.zeros(size, dtype=np.int64)
    for step in range(1, 501):
        actions = _action_sequences_policy(simulator.observe_snapshots(snapshots), rng, balancing)
        result = simulator.step_snapshots(snapshots, actions)
        for i in np.flatnonzero(running):
            observation, reward, terminated, truncated, _ = envs[i].step(int(actions[i]))
            assert np.abs(observation - result.observations[i]).max() <= 1e-6, (i, step)
            assert (reward, terminated, truncated) == (
                result.rewards[i],
                result.terminated[i],
                result.truncated[i],
            ), (i, step)
            if terminated or truncated:
                running[i] = False
                end_step[i] = step
        # Rows that had already ended are absorbing: reward 0, flags kept, state unchanged.
        ended_before = ~running & (end_step < step)
        assert (result.rewards[ended_before] == 0).all()
        np.testing.assert_array_equal(result.snapshots[ended_before], snapshots[ended_before])
        snapshots = result.snapshots
    assert not running.any()
    # Both ways of ending were exercised: falls (random) and the 500-step truncation (balancing).
    assert (end_step[:NUM_RANDOM] < 500).all()
    assert (end_step[NUM_RANDOM:] == 500).sum() >= NUM_BALANCING // 4
    assert snapshots[end_step == 500, 6].all()


def test_batched_step_equals_sequential_and_is_pure():
    simulator = CartPole()
    snapshots, _ = simulator.reset_snapshots(np.arange(64))
    rng = np.random.default_rng(0)
    for _ in range(30):
        actions = rng.integers(0, 2, 64)
        before = snapshots.copy()
        batched = simulator.step_snapshots(snapshots, actions)
        np.testing.assert_array_equal(snapshots, before)
        for i in range(64):
            simulator.restore(snapshots[i])
            transition = simulator.step(int(actions[i]))
            np.testing.assert_array_equal(simulator.snapshot(), batched.snapshots[i])
            np.testing.assert_array_equal(transition.observation, batched.observations[i])
            assert transition.reward == batched.rewards[i]
            assert transition.terminated == batched.terminated[i]
            assert transition.truncated == batched.truncated[i]
        snapshots = batched.snapshots
    assert snapshots.shape == (64, SNAPSHOT_SIZE) and snapshots.dtype == np.float64


def test_fancy_indexed_snapshot_storage_round_trips():
    simulator = CartPole()
    snapshots, _ = simulator.reset_snapshots(np.arange(4))
    tree = np.zeros((4, 10, SNAPSHOT_SIZE))
    tree[np.arange(4), 0] = snapshots
    stepped = simulator.step_snapshots(tree[np.arange(4), 0], np.array([0, 1, 0, 1]))
    tree[np.arange(4), 1] = stepped.snapshots
    np.testing.assert_array_equal(simulator.observe_snapshots(tree[:, 1]), stepped.observations)


def test_truncation_limit_is_a_parameter():
    simulator = CartPole(max_episode_steps=3)
    simulator.reset(0)
    flags = [simulator.step(step % 2).truncated for step in range(4)]
    assert flags == [False, False, True, True]
    assert simulator.step(0).reward == 0.0
