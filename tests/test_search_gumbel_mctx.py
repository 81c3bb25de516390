"""Gumbel search against DeepMind mctx's ``gumbel_muzero_policy`` on the same random fully connected networks.

Both searches plan with the jax twin of a :class:`FullyConnectedMuZero` (``benchmarks/_mctx_peer.py``) in
float64, so the two differ only in the search arithmetic: with the Gumbel noise off, root visit counts, the
played action and the improved policy must agree for every root; with the noise on, the distribution of the
played action over many independent draws must agree within sampling error.
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest
import torch

mctx = pytest.importorskip("mctx")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "benchmarks"))

import jax.numpy as jnp  # noqa: E402
from _mctx_peer import JaxTwin, MctxGumbelSearch  # noqa: E402
from mctx._src import seq_halving  # noqa: E402

from mzlab.config import NetworkConfig, SearchConfig  # noqa: E402
from mzlab.networks.fully_connected import FullyConnectedMuZero  # noqa: E402
from mzlab.search import RootOutput, StepOutput, run_search  # noqa: E402
from mzlab.search.gumbel import considered_visit_sequence  # noqa: E402

DISCOUNT = 0.997
OBSERVATION_SIZE = 4


class TwinModel:
    """Our model contract over the same jitted float64 jax functions mctx calls."""

    def __init__(self, twin: JaxTwin):
        self.twin = twin
        self.num_actions = twin.num_actions
        self.discount = DISCOUNT
        self._root = jax.jit(twin.root)
        self._step = jax.jit(lambda params, action, latent: twin.recurrent_fn(params, None, action, latent))

    def root(self, observations, snapshots=None) -> RootOutput:
        out = self._root(self.twin.params, jnp.asarray(observations, dtype=jnp.float64))
        return RootOutput(np.asarray(out.prior_logits), np.asarray(out.value), np.asarray(out.embedding))

    def step(self, state, actions):
        out, latent = self._step(self.twin.params, jnp.asarray(actions, dtype=jnp.int32), jnp.asarray(state))
        return StepOutput(np.asarray(out.reward), np.asarray(out.discount), np.asarray(out.prior_logits),
                          np.asarray(out.value)), np.asarray(latent)


def _network(num_actions: int, seed: int) -> FullyConnectedMuZero:
    torch.manual_seed(seed)
    network = FullyConnectedMuZero(OBSERVATION_SIZE, num_actions, NetworkConfig()).eval()
    with torch.no_grad():  # spread the freshly initialised heads so that Q values and priors differ visibly
        for parameter in network.parameters():
            parameter.mul_(3.0)
    return network


def _compare(num_actions: int, num_simulations: int, considered: int = 16, batch: int = 32, seed: int = 0):
    network = _network(num_actions, seed)
    peer = MctxGumbelSearch(network, discount=DISCOUNT, num_simulations=num_simulations, gumbel_scale=0.0,
                            max_num_considered_actions=considered, dtype=jnp.float64)
    observations = np.random.default_rng(seed).normal(size=(batch, OBSERVATION_SIZE))
    action, weights, visits = peer(observations, seed)
    config = SearchConfig(algorithm="gumbel", num_simulations=num_simulations, add_noise=False,
                          max_num_considered_actions=considered)
    ours = run_search(TwinModel(JaxTwin(network, discount=DISCOUNT, dtype=jnp.float64)), observations,
                      config=config, rng=np.random.default_rng(seed))
    np.testing.assert_array_equal(ours.visit_counts, visits.astype(np.int64))
    np.testing.assert_array_equal(ours.action, action)
    np.testing.assert_allclose(ours.improved_policy, weights, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(ours.policy_target, ours.improved_policy)
    return ours


def test_considered_visit_schedule_equals_mctx():
    for considered in range(1, 20):
        for simulations in range(1, 80):
            expected = seq_halving.get_sequence_of_considered_visits(considered, simulations)
            np.testing.assert_array_equal(considered_visit_sequence(considered, simulations), expected)


def test_gumbel_equals_mctx_without_noise():
    ours = _compare(num_actions=4, num_simulations=16)
    assert len({tuple(row) for row in ours.visit_counts}) > 1  # the roots really differ


@pytest.mark.slow
@pytest.mark.parametrize("num_actions", [2, 4, 6])
@pytest.mark.parametrize("num_simulations", [2, 4, 16, 50])
def test_gumbel_equals_mctx_without_noise_full_grid(num_actions, num_simulations):
    for seed in range(2):
        _compare(num_actions, num_simulations, batch=64, seed=seed)
    if num_actions == 6:  # fewer considered actions than actions: Gumbel-top-k really drops some
        _compare(num_actions, num_simulations, considered=4, batch=64, seed=5)


@pytest.mark.slow
def test_noisy_played_action_distribution_matches_mctx():
    # One observation repeated over the batch: every row is an independent Gumbel draw of the same search.
    num_actions, num_simulations, draws = 6, 8, 4000
    network = _network(num_actions, seed=3)
    observation = np.random.default_rng(3).normal(size=(1, OBSERVATION_SIZE))
    observations = np.repeat(observation, draws, axis=0)
    peer = MctxGumbelSearch(network, discount=DISCOUNT, num_simulations=num_simulations, gumbel_scale=1.0,
                            max_num_considered_actions=4, dtype=jnp.float64)
    theirs = np.bincount(peer(observations, 7)[0], minlength=num_actions)
    config = SearchConfig(algorithm="gumbel", num_simulations=num_simulations, add_noise=True,
                          max_num_considered_actions=4)
    ours_output = run_search(TwinModel(JaxTwin(network, discount=DISCOUNT, dtype=jnp.float64)), observations,
                             config=config, rng=np.random.default_rng(11))
    ours = np.bincount(ours_output.action, minlength=num_actions)
    assert (theirs > draws // 20).sum() >= 2  # a real distribution, not one action
    # per action: two independent binomial proportions, difference within 4.5 standard errors
    pooled = (ours + theirs) / (2 * draws)
    bound = 4.5 * np.sqrt(pooled * (1 - pooled) * 2 / draws) + 1e-12
    assert np.all(np.abs(ours - theirs) / draws <= bound), (ours, theirs)
    # and the noise-free search plays one fixed action, which the noisy one does not always play
    quiet = run_search(TwinModel(JaxTwin(network, discount=DISCOUNT, dtype=jnp.float64)), observation,
                       config=SearchConfig(algorithm="gumbel", num_simulations=num_simulations, add_noise=False,
                                           max_num_considered_actions=4), rng=np.random.default_rng(0))
    assert ours[quiet.action[0]] < draws
