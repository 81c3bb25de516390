"""Reanalyse refreshes nu and pi of the chosen positions with a noise-free search by the given model, and the
value targets of the batch follow from the refreshed root values."""

import dataclasses

import numpy as np
import torch

from mzlab.config import NetworkConfig, ReplayConfig, SearchConfig
from mzlab.networks.fully_connected import FullyConnectedMuZero
from mzlab.search.learned_model import LearnedModel
from mzlab.search.mcts import run_search
from mzlab.training.reanalyse import reanalyse_batch
from mzlab.training.replay import ReplayBuffer
from mzlab.training.targets import n_step_value_targets

GAMMA = 0.9
TD = 3
LENGTH = 8


def model_and_one_game(policies):
    """A tiny learned model and a buffer holding one 8-move game with stale root values 100."""
    torch.manual_seed(0)
    network = FullyConnectedMuZero(4, 2, NetworkConfig(encoding_size=4, hidden_layers=(8,), support_size=5)).eval()
    model = LearnedModel(network, discount=GAMMA)
    buffer = ReplayBuffer(ReplayConfig(num_unroll_steps=2, td_steps=TD, prioritized=False), observation_shape=(4,),
                          observation_dtype=np.float32, num_actions=2, discount=GAMMA)
    rng = np.random.default_rng(0)
    observations = rng.normal(size=(LENGTH, 4)).astype(np.float32)
    rewards = np.arange(1.0, LENGTH + 1)
    buffer.add_game(observations, rng.integers(0, 2, LENGTH), rewards, np.full(LENGTH, 100.0), policies)
    return model, buffer, observations, rewards, rng


def test_reanalyse_all_positions_of_one_game():
    model, buffer, observations, rewards, rng = model_and_one_game(np.full((LENGTH, 2), 0.5))
    length = LENGTH
    batch = buffer.gather(np.array([1]), rng)
    search_config = SearchConfig(num_simulations=6)
    fresh = reanalyse_batch(batch, buffer, model, search_config=search_config, fraction=1.0, td_steps=TD, rng=rng)

    # positions 1, 2, 3 (unrolled: nu and pi) and 4, 5, 6 (their bootstrap positions: nu) were searched again
    reference = run_search(model, observations, config=dataclasses.replace(search_config, add_noise=False),
                           rng=np.random.default_rng(1))
    root_values = np.full(length, 100.0)
    root_values[1:7] = reference.root_value[1:7]
    expected = n_step_value_targets(rewards, root_values, discount=GAMMA, td_steps=TD)
    np.testing.assert_allclose(fresh.target_values[0], expected[1:4], rtol=1e-5)
    np.testing.assert_allclose(fresh.target_policies[0], reference.visit_distribution[1:4], rtol=1e-6)
    np.testing.assert_array_equal(fresh.actions, batch.actions)
    # stale root value 100 still bootstraps position 0's target: nu_3 was refreshed, so z_0 changed too
    assert not np.isclose(buffer.gather(np.array([0]), rng).target_values[0, 0],
                          n_step_value_targets(rewards, np.full(length, 100.0), discount=GAMMA, td_steps=TD)[0])


def test_fraction_zero_changes_nothing():
    buffer = ReplayBuffer(ReplayConfig(num_unroll_steps=2, td_steps=TD), observation_shape=(4,),
                          observation_dtype=np.float32, num_actions=2, discount=GAMMA)
    buffer.add_game(np.zeros((5, 4), np.float32), np.zeros(5, np.int64), np.ones(5), np.zeros(5), np.full((5, 2), 0.5))
    batch = buffer.sample(4, np.random.default_rng(0))
    assert reanalyse_batch(batch, buffer, None, search_config=SearchConfig(), fraction=0.0, td_steps=TD,
                           rng=np.random.default_rng(0)) is batch


def test_network_value_mode_bootstraps_from_the_latest_value_network():
    """muzero-general's use_last_model_value: nu_{t+k+n} <- f(h(o_{t+k+n})); nu and pi at t+k untouched."""
    policies = np.tile([0.3, 0.7], (LENGTH, 1))
    model, buffer, observations, rewards, rng = model_and_one_game(policies)
    length = LENGTH
    batch = buffer.gather(np.array([1]), rng)
    fresh = reanalyse_batch(batch, buffer, model, search_config=SearchConfig(), fraction=1.0, td_steps=TD, rng=rng,
                            mode="network_value")
    network_values = model.root(observations).value
    root_values = np.full(length, 100.0)
    root_values[4:7] = network_values[4:7]  # the bootstrap positions of t + k = 1, 2, 3
    expected = n_step_value_targets(rewards, root_values, discount=GAMMA, td_steps=TD)
    np.testing.assert_allclose(fresh.target_values[0], expected[1:4], rtol=1e-5)
    np.testing.assert_allclose(fresh.target_policies[0], policies[1:4])  # no search: pi unchanged
    # every target of the game equals a full recomputation (the O(N) update is exact)
    everything = buffer.gather(np.array([0]), rng)
    np.testing.assert_allclose(everything.target_values[0], expected[0:3], rtol=1e-5)
