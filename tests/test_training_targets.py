"""n-step value targets and absorbing unroll targets, against numbers computed by hand on a 4-move game."""

import numpy as np
import pytest

from mzlab.config import ReplayConfig
from mzlab.training.replay import ReplayBuffer
from mzlab.training.targets import n_step_value_targets

GAMMA = 0.5
REWARDS = np.array([1.0, 2.0, 3.0, 4.0])  # u_1..u_4, stored at t = 0..3
ROOT_VALUES = np.array([10.0, 20.0, 30.0, 40.0])  # nu_0..nu_3


def test_two_step_targets_by_hand():
    z = n_step_value_targets(REWARDS, ROOT_VALUES, discount=GAMMA, td_steps=2)
    # z_t = u_{t+1} + g u_{t+2} + g^2 nu_{t+2}; nu past the end is 0, rewards past the end are 0
    expected = [1 + 0.5 * 2 + 0.25 * 30, 2 + 0.5 * 3 + 0.25 * 40, 3 + 0.5 * 4, 4.0]
    np.testing.assert_allclose(z, expected)


def test_long_horizon_is_discounted_return():
    z = n_step_value_targets(REWARDS, ROOT_VALUES, discount=GAMMA, td_steps=50)
    expected = [1 + 0.5 * 2 + 0.25 * 3 + 0.125 * 4, 2 + 0.5 * 3 + 0.25 * 4, 3 + 0.5 * 4, 4.0]
    np.testing.assert_allclose(z, expected)


def test_one_step_target_bootstraps_next_root_value():
    z = n_step_value_targets(REWARDS, ROOT_VALUES, discount=GAMMA, td_steps=1)
    np.testing.assert_allclose(z, [1 + 0.5 * 20, 2 + 0.5 * 30, 3 + 0.5 * 40, 4.0])


@pytest.fixture
def buffer():
    config = ReplayConfig(num_unroll_steps=3, td_steps=2, prioritized=False)
    buffer = ReplayBuffer(config, observation_shape=(1,), observation_dtype=np.float32, num_actions=2,
                          discount=GAMMA)
    policies = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.6, 0.4]])
    buffer.add_game(np.arange(4, dtype=np.float32)[:, None], np.array([1, 0, 1, 1]), REWARDS, ROOT_VALUES,
                    policies)
    return buffer


def test_unroll_inside_the_game(buffer):
    batch = buffer.gather(np.array([0]), np.random.default_rng(0))
    z = n_step_value_targets(REWARDS, ROOT_VALUES, discount=GAMMA, td_steps=2)
    np.testing.assert_allclose(batch.observations, [[0.0]])
    np.testing.assert_array_equal(batch.actions, [[1, 0, 1]])
    np.testing.assert_allclose(batch.target_values, [z[:4]], rtol=1e-6)
    np.testing.assert_allclose(batch.target_rewards, [[0.0, 1.0, 2.0, 3.0]])
    np.testing.assert_allclose(batch.target_policies[0], [[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.6, 0.4]])


def test_unroll_past_the_end_is_absorbing(buffer):
    # from t = 2: positions 2, 3 inside; 4 = terminal state, 5 beyond
    batch = buffer.gather(np.array([2]), np.random.default_rng(0))
    np.testing.assert_allclose(batch.target_values, [[3 + 0.5 * 4, 4.0, 0.0, 0.0]])
    np.testing.assert_allclose(batch.target_rewards, [[0.0, 3.0, 4.0, 0.0]])  # u_3, u_4, then 0
    np.testing.assert_allclose(batch.target_policies[0], [[0.7, 0.3], [0.6, 0.4], [0.5, 0.5], [0.5, 0.5]])
    assert list(batch.actions[0, :2]) == [1, 1]  # a_2, a_3; a_4 is random
    np.testing.assert_array_equal(batch.inside, [[True, True, False, False]])
    actions = np.stack([buffer.gather(np.array([2]), np.random.default_rng(s)).actions[0, 2] for s in range(40)])
    assert set(actions.tolist()) == {0, 1}  # past the end: random actions
