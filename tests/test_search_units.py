"""Hand-computed numbers for the pieces of the search, and the options that must not be silently ignored."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import BanditModel, RandomTreeModel

from mzlab.config import SearchConfig
from mzlab.errors import MzlabError
from mzlab.search import mix_dirichlet, rollout_values, run_search, select_action, visit_policy
from mzlab.search.selection import normalise, puct_score


def test_puct_score_hand_computed():
    # log((10 + 19652 + 1) / 19652) = 0.00055958, + 1.25 = 1.25055958; * sqrt(10) / (1 + 3) = 0.98865416;
    # * prior 0.25 = 0.24716354; + Q̄ 0.5 = 0.74716354
    assert puct_score(0.5, 0.25, 3, 10, 1.25, 19652.0) == pytest.approx(0.74716354, abs=1e-8)
    # an unvisited parent explores nothing: only Q̄ counts
    assert puct_score(0.3, 0.9, 0, 0, 1.25, 19652.0) == pytest.approx(0.3)


def test_min_max_normalisation_hand_computed():
    assert normalise(0.5, -1.0, 3.0) == pytest.approx(0.375)
    assert normalise(2.0, 1.0, 1.0) == 2.0  # max == min: passes through unchanged
    assert normalise(-7.0, np.inf, -np.inf) == -7.0  # nothing seen yet


def test_dirichlet_mix_hand_computed_and_used_at_root():
    mixed = mix_dirichlet(np.array([[0.5, 0.5]]), np.array([[1.0, 0.0]]), 0.25)
    np.testing.assert_allclose(mixed, [[0.625, 0.375]])
    model = BanditModel(arm_rewards=[0, 0, 0], prior_logits=[np.log(2.0), 0.0, 0.0])
    config = SearchConfig(num_simulations=3, dirichlet_alpha=0.3, dirichlet_fraction=0.4)
    out = run_search(model, np.zeros((2, 1)), config=config, rng=np.random.default_rng(7))
    noise = np.random.default_rng(7).dirichlet([0.3, 0.3, 0.3], size=2)  # the first draw of the search's rng
    np.testing.assert_allclose(out.prior, 0.6 * np.array([0.5, 0.25, 0.25]) + 0.4 * noise)


def test_temperature_acting_hand_computed():
    counts = np.array([[1, 3, 0], [2, 2, 4]])
    np.testing.assert_allclose(visit_policy(counts, 1.0), [[0.25, 0.75, 0.0], [0.25, 0.25, 0.5]])
    # T = 0.5 squares the counts: [1, 9, 0] / 10 and [4, 4, 16] / 24
    np.testing.assert_allclose(visit_policy(counts, 0.5), [[0.1, 0.9, 0.0], [1 / 6, 1 / 6, 2 / 3]])
    np.testing.assert_array_equal(visit_policy(counts, 0.0), [[0, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(select_action(counts, 1.0, np.random.default_rng(0), greedy=True), [1, 2])
    draws = np.stack([select_action(counts, 0.5, rng, greedy=False) for rng in [np.random.default_rng(1)]
                      for _ in range(20000)])
    np.testing.assert_allclose((draws[:, 0] == 1).mean(), 0.9, atol=0.01)
    np.testing.assert_allclose((draws[:, 1] == 2).mean(), 2 / 3, atol=0.015)
    assert not np.any(draws[:, 0] == 2)  # never an unvisited action
    with pytest.raises(MzlabError, match="temperature"):
        visit_policy(counts, -1.0)


def test_uniform_prior_really_is_uniform():
    model = RandomTreeModel(num_actions=4, seed=3, end_probability=0.0, constant_reward=0.0, value_scale=0.0)
    observations = np.arange(3)[:, None]
    policy = run_search(model, observations, config=SearchConfig(num_simulations=40, add_noise=False),
                        rng=np.random.default_rng(0))
    uniform = run_search(model, observations, config=SearchConfig(num_simulations=40, add_noise=False,
                                                                  prior="uniform"), rng=np.random.default_rng(0))
    np.testing.assert_array_equal(uniform.prior, np.full((3, 4), 0.25))
    assert not np.allclose(policy.prior, 0.25)
    # all rewards and values are 0, so only the prior steers: uniform spreads root visits evenly
    assert np.all(uniform.visit_counts.max(axis=1) - uniform.visit_counts.min(axis=1) <= 1)
    assert np.all(policy.visit_counts.max(axis=1) - policy.visit_counts.min(axis=1) > 5)


def test_rollout_leaves_ignore_the_value_network():
    # the value head says ±1000, rewards are always 1 and nothing ends: rollouts of H steps are worth exactly
    # (1 - γ^H) / (1 - γ), so every backed-up Q lies in [1, 1 / (1 - γ)) whatever the value head says.
    model = RandomTreeModel(num_actions=2, discount=0.9, end_probability=0.0, value_scale=1000.0,
                            constant_reward=1.0)
    state = model.root(np.arange(5)[:, None]).state
    values = rollout_values(model, state, horizon=4, rng=np.random.default_rng(0))
    np.testing.assert_allclose(values, 1 + 0.9 + 0.81 + 0.729)
    config = SearchConfig(num_simulations=30, leaf="rollout", rollout_horizon=4, add_noise=False)
    out = run_search(model, np.arange(5)[:, None], config=config, rng=np.random.default_rng(0))
    visited = out.visit_counts > 0
    assert np.all((out.q_values[visited] >= 1.0) & (out.q_values[visited] < 10.0))
    with_values = run_search(model, np.arange(5)[:, None], config=SearchConfig(num_simulations=30, add_noise=False),
                             rng=np.random.default_rng(0))
    assert np.max(np.abs(with_values.root_value)) > 50  # the value head would dominate if it were used


def test_rollout_stops_accumulating_after_termination():
    # every step ends the episode: only the first reward counts
    model = RandomTreeModel(num_actions=2, discount=0.9, end_probability=1.0, constant_reward=1.0)
    state = model.root(np.arange(3)[:, None]).state
    np.testing.assert_allclose(rollout_values(model, state, horizon=10, rng=np.random.default_rng(0)), 1.0)


@pytest.mark.parametrize("leaf", ["value", "rollout"])
def test_same_seed_same_search(leaf):
    model = RandomTreeModel(num_actions=3, seed=4)
    config = SearchConfig(num_simulations=50, leaf=leaf, rollout_horizon=5)
    runs = [run_search(model, np.arange(8)[:, None], config=config, rng=np.random.default_rng(seed),
                       record_paths=True) for seed in (11, 11, 12)]
    np.testing.assert_array_equal(runs[0].visit_counts, runs[1].visit_counts)
    np.testing.assert_array_equal(runs[0].root_value, runs[1].root_value)
    np.testing.assert_array_equal(runs[0].path_actions, runs[1].path_actions)
    assert not np.array_equal(runs[0].prior, runs[2].prior)  # a different seed draws different noise


def test_recorded_paths_agree_with_visits_and_values():
    model = RandomTreeModel(num_actions=3, seed=8, end_probability=0.2)
    config = SearchConfig(num_simulations=50, add_noise=False)
    out = run_search(model, np.arange(4)[:, None], config=config, rng=np.random.default_rng(0), record_paths=True)
    for b in range(4):
        paths = out.paths(b)
        assert len(paths) == 50 and len(set(paths)) == 50  # every simulation expands a new node
        first = np.bincount([p[0] for p in paths], minlength=3)
        np.testing.assert_array_equal(first, out.visit_counts[b])
        assert out.root_value[b] == pytest.approx(out.path_values[b].mean())
        for a in range(3):
            through = [v for p, v in zip(paths, out.path_values[b], strict=True) if p[0] == a]
            if through:
                assert out.q_values[b, a] == pytest.approx(np.mean(through))
        # each path extends one already expanded (its prefix was expanded by an earlier simulation)
        seen = {()}
        for p in paths:
            assert p[:-1] in seen
            seen.add(p)


@pytest.mark.parametrize(
    "change, field",
    [({"prior": "flat"}, "search.prior"), ({"leaf": "mc"}, "search.leaf"), ({"q_convention": "x"}, "q_convention"),
     ({"num_simulations": 0}, "num_simulations"), ({"leaf": "rollout", "rollout_horizon": 0}, "rollout_horizon")],
)
def test_bad_options_are_named(change, field):
    with pytest.raises(MzlabError, match=field):
        run_search(RandomTreeModel(), np.zeros((1, 1)), config=SearchConfig(**change), rng=np.random.default_rng(0))


def test_tie_break_random_spreads_equal_scores_and_first_takes_the_lowest_action():
    """Under a uniform prior every unvisited child ties: ``random`` picks uniformly, ``first`` picks action 0."""
    model = BanditModel(np.zeros(4), np.zeros(4))
    observations = np.zeros((800, 1))
    first_visits = {}
    for tie_break in ("random", "first"):
        config = SearchConfig(num_simulations=1, prior="uniform", add_noise=False, tie_break=tie_break)
        counts = run_search(model, observations, config=config, rng=np.random.default_rng(0)).visit_counts
        first_visits[tie_break] = counts.argmax(axis=1)
    np.testing.assert_array_equal(first_visits["first"], 0)
    frequencies = np.bincount(first_visits["random"], minlength=4) / 800
    np.testing.assert_allclose(frequencies, 0.25, atol=0.05)  # 5 standard deviations of a binomial(800, 1/4)
