"""EfficientZero's reanalysis: policies from a new search (with root noise), bootstrap values from the value
network, both by a target network that lags 1 to 2 refresh intervals behind (``core/train.py``)."""

import numpy as np
import torch
from test_training_reanalyse import GAMMA, LENGTH, TD, model_and_one_game

from mzlab.config import SearchConfig
from mzlab.search.mcts import run_search
from mzlab.training.reanalyse import TargetNetwork, reanalyse_batch
from mzlab.training.targets import n_step_value_targets


def test_policy_search_refreshes_policies_by_search_and_values_by_network():
    model, buffer, observations, rewards, rng = model_and_one_game(np.full((LENGTH, 2), 0.5))
    batch = buffer.gather(np.array([1]), rng)
    search_config = SearchConfig(num_simulations=6, add_noise=True)
    search_rng = np.random.default_rng(7)
    fresh = reanalyse_batch(batch, buffer, model, search_config=search_config, fraction=1.0, td_steps=TD,
                            rng=search_rng, mode="policy_search")
    # the same draws: the fraction's choice, then the search over the unrolled positions 1, 2, 3 (with noise)
    reference_rng = np.random.default_rng(7)
    reference_rng.choice(1, size=1, replace=False)
    reference = run_search(model, observations[1:4], config=search_config, rng=reference_rng)
    np.testing.assert_allclose(fresh.target_policies[0], reference.visit_distribution, rtol=1e-6)
    root_values = np.full(LENGTH, 100.0)  # only the bootstrap positions 4, 5, 6 get the network's value
    root_values[4:7] = model.root(observations[4:7]).value
    expected = n_step_value_targets(rewards, root_values, discount=GAMMA, td_steps=TD)
    np.testing.assert_allclose(fresh.target_values[0], expected[1:4], rtol=1e-5)


def test_target_network_lags_like_efficientzero():
    network = torch.nn.Linear(1, 1, bias=False)
    interval = 3
    history = {}
    # EfficientZero: at step % interval == 0, target <- recent_weights; recent_weights <- current weights
    with torch.no_grad():
        network.weight.fill_(0.0)
    target = TargetNetwork(network, interval)
    recent, expected_target = 0.0, None
    for step in range(12):
        with torch.no_grad():
            network.weight.fill_(float(step))  # the weights "after step - 1"
        target.update(step, network)
        if step % interval == 0:
            expected_target, recent = recent, float(step)
        history[step] = float(target.network.weight.detach())
        assert history[step] == expected_target, step
    assert [history[s] for s in (3, 5, 6, 8, 9)] == [0.0, 0.0, 3.0, 3.0, 6.0]
