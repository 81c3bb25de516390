"""The marginal behaviour policy over root noise against its exact value on a two-armed bandit.

Model: reward 0 and value 0 everywhere, prior (0.75, 0.25), ``tie_break = first``, 2 simulations, noise
``p' = (1 - eps) p + eps n`` with ``n ~ Dir(alpha, alpha)``, so ``n_1 ~ Beta(alpha, alpha)``. Simulation 1
scores every edge 0 and takes action 0; simulation 2 scores ``c p'_0 / 2`` for action 0 (one visit, Q = 0) and
``c p'_1`` for action 1, so visits are (1, 1) when ``p'_1 > 1/3`` and (2, 0) otherwise. With temperature 1 the
noisy policy is (1/2, 1/2) or (1, 0), and the marginal probability of action 0 is
``1 - P(p'_1 > 1/3) / 2`` with ``P(p'_1 > 1/3) = 1 - I_x(alpha, alpha)``, ``x = (1/3 - (1 - eps) p_1) / eps``.
"""

import numpy as np
from analysis_fakes import TableModel, start_states
from scipy.special import betainc

from mzlab.analysis.policies import SearchPolicy
from mzlab.config import SearchConfig

PRIOR = np.array([0.75, 0.25])
ALPHA, FRACTION = 0.25, 0.25


def policy(draws: int) -> SearchPolicy:
    model = TableModel(np.zeros((3, 2)), 0.9, np.log(np.tile(PRIOR, (3, 1))))
    config = SearchConfig(num_simulations=2, add_noise=True, dirichlet_alpha=ALPHA, dirichlet_fraction=FRACTION,
                          tie_break="first")
    return SearchPolicy(model, config, temperature=1.0, noise_draws=draws)


def test_one_noise_draw_is_one_noisy_search():
    snapshots, observations = start_states([0] * 200)
    probabilities = policy(1).probabilities(observations, snapshots, np.random.default_rng(0))
    assert set(np.round(probabilities[:, 0], 12)) == {0.5, 1.0}  # each row is one search's Eq. 1 policy


def test_marginal_policy_matches_the_exact_noise_average():
    x = (1 / 3 - (1 - FRACTION) * PRIOR[1]) / FRACTION
    exact = 1 - (1 - betainc(ALPHA, ALPHA, x)) / 2
    snapshots, observations = start_states([0, 1])
    probabilities = policy(4000).probabilities(observations, snapshots, np.random.default_rng(1))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    # Monte Carlo standard error of each estimate: 0.5 sqrt(q (1 - q) / 4000) < 0.004
    np.testing.assert_allclose(probabilities[:, 0], exact, atol=0.015)
    assert abs(exact - 0.5) > 0.1 and abs(exact - 1.0) > 0.1  # neither single-draw value
