"""Gumbel search by hand on tiny trees, and Gumbel agents through self-play, reanalyse and the config checks.

(Exact agreement with mctx over random networks: ``test_search_gumbel_mctx.py``.)
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
from fakes import RandomTreeModel

from mzlab.cli import main
from mzlab.config import SearchConfig, preset
from mzlab.config_io import apply_overrides, validate
from mzlab.envs.registry import make_simulator
from mzlab.errors import MzlabError
from mzlab.search import run_search, search_actions, search_probabilities, softmax
from mzlab.training.replay import ReplayBuffer
from mzlab.training.self_play import SelfPlay

GAMMA = 0.9


def _children(model, observation, actions):
    """Reward, discount, logits and value of each root child ``a`` by direct model calls."""
    root = model.root(observation[None])
    out = {}
    for a in actions:
        step, _ = model.step(root.state, np.array([a]))
        out[a] = (float(step.reward[0]), float(step.discount[0]), float(step.value[0]))
    return root, out


def test_two_simulations_two_actions_by_hand():
    # 2 actions, 2 simulations: sequential halving visits each root action once; sigma = (50 + 1) 0.1 q01 with
    # q01 the completed Q rescaled to [0, 1], so the improved policy is softmax(logits + 5.1 [Q = max]).
    model = RandomTreeModel(num_actions=2, discount=GAMMA, seed=4, end_probability=0.0)
    observations = np.arange(5)[:, None]
    out = run_search(model, observations, config=SearchConfig(algorithm="gumbel", num_simulations=2,
                                                              add_noise=False), rng=np.random.default_rng(0))
    np.testing.assert_array_equal(out.visit_counts, np.ones((5, 2)))
    for b in range(5):
        root, children = _children(model, observations[b], [0, 1])
        q = np.array([r + d * v for r, d, v in children.values()])
        sigma = 5.1 * (q - q.min()) / (q.max() - q.min())
        logits = np.asarray(root.prior_logits[0], dtype=np.float64)
        np.testing.assert_allclose(out.improved_policy[b], softmax(logits + sigma), rtol=1e-12)
        assert out.action[b] == np.argmax(logits + sigma)
        np.testing.assert_allclose(out.q_values[b], q, rtol=1e-12)


def test_unvisited_actions_get_the_mixed_value():
    # 3 actions, 2 simulations, noise off: the two largest logits are visited once each (Gumbel-top-2 without
    # Gumbel), the third is completed with (v + 2 * sum_visited p Q / sum_visited p) / 3.
    model = RandomTreeModel(num_actions=3, discount=GAMMA, seed=8, end_probability=0.0)
    observations = np.arange(6)[:, None]
    out = run_search(model, observations, config=SearchConfig(algorithm="gumbel", num_simulations=2,
                                                              add_noise=False), rng=np.random.default_rng(0))
    for b in range(6):
        root, children = _children(model, observations[b], [0, 1, 2])
        logits = np.asarray(root.prior_logits[0], dtype=np.float64)
        visited = np.argsort(-logits)[:2]
        assert set(np.flatnonzero(out.visit_counts[b])) == set(visited.tolist())
        p = softmax(logits[None])[0]
        q = np.array([r + d * v for r, d, v in children.values()])
        mixed = (float(root.value[0]) + 2 * (p[visited] @ q[visited]) / p[visited].sum()) / 3
        completed = q.copy()
        completed[[a for a in range(3) if a not in visited]] = mixed
        sigma = 5.1 * (completed - completed.min()) / (completed.max() - completed.min())
        np.testing.assert_allclose(out.improved_policy[b], softmax(logits + sigma), rtol=1e-12)
        scores = np.where(out.visit_counts[b] == 1, logits + sigma, -np.inf)
        assert out.action[b] == np.argmax(scores)


def test_one_considered_action_spends_every_simulation_on_the_top_logit():
    model = RandomTreeModel(num_actions=4, discount=GAMMA, seed=2)
    observations = np.arange(4)[:, None]
    out = run_search(model, observations, config=SearchConfig(algorithm="gumbel", num_simulations=7, add_noise=False,
                                                              max_num_considered_actions=1),
                     rng=np.random.default_rng(0))
    top = np.argmax(model.root(observations).prior_logits, axis=1)
    np.testing.assert_array_equal(out.visit_counts.argmax(axis=1), top)
    np.testing.assert_array_equal(out.visit_counts.max(axis=1), 7)
    np.testing.assert_array_equal(out.action, top)


def test_acting_and_behaviour_probabilities_follow_the_algorithm():
    model = RandomTreeModel(num_actions=3, discount=GAMMA, seed=3)
    observations = np.arange(8)[:, None]
    gumbel = run_search(model, observations, config=SearchConfig(algorithm="gumbel", num_simulations=8),
                        rng=np.random.default_rng(1))
    rng = np.random.default_rng(5)
    state = copy.deepcopy(rng.bit_generator.state)
    np.testing.assert_array_equal(search_actions(gumbel, 1.0, rng), gumbel.action)
    assert rng.bit_generator.state == state  # the Gumbel winner draws nothing
    np.testing.assert_array_equal(search_probabilities(gumbel, 0.5), gumbel.improved_policy)
    np.testing.assert_array_equal(search_probabilities(gumbel, 0.0).argmax(axis=1), gumbel.action)
    np.testing.assert_allclose(gumbel.improved_policy.sum(axis=1), 1.0)
    puct = run_search(model, observations, config=SearchConfig(num_simulations=8), rng=np.random.default_rng(1))
    assert puct.action is None and puct.improved_policy is None
    np.testing.assert_array_equal(puct.policy_target, puct.visit_distribution)


def test_gumbel_noise_replaces_dirichlet_and_is_seeded():
    model = RandomTreeModel(num_actions=4, discount=GAMMA, seed=6)
    observations = np.zeros((400, 1), dtype=np.int64)  # one state, 400 independent noise draws
    config = SearchConfig(algorithm="gumbel", num_simulations=4)
    first = run_search(model, observations, config=config, rng=np.random.default_rng(2))
    again = run_search(model, observations, config=config, rng=np.random.default_rng(2))
    np.testing.assert_array_equal(first.action, again.action)
    np.testing.assert_allclose(first.prior, softmax(model.root(observations).prior_logits))  # no Dirichlet mix
    assert len(set(first.action.tolist())) > 1
    quiet = run_search(model, observations, config=dataclasses.replace(config, add_noise=False),
                       rng=np.random.default_rng(2))
    assert len(set(quiet.action.tolist())) == 1
    zero_scale = run_search(model, observations, config=dataclasses.replace(config, gumbel_scale=0.0),
                            rng=np.random.default_rng(2))
    np.testing.assert_array_equal(zero_scale.action, quiet.action)


def test_self_play_stores_the_improved_policy_and_plays_the_winner():
    config = apply_overrides(preset("cartpole"), ["search.algorithm=gumbel", "search.num_simulations=4",
                                                  "network.encoding_size=4", "network.hidden_layers=[8]"])
    simulator = make_simulator(config.env)
    from mzlab.networks import build_network
    from mzlab.search import LearnedModel

    network = build_network(config, simulator.observation_shape, simulator.num_actions).eval()
    model = LearnedModel(network, discount=config.env.discount)
    buffer = ReplayBuffer(config.replay, observation_shape=simulator.observation_shape, observation_dtype=np.float32,
                          num_actions=simulator.num_actions, discount=config.env.discount)
    self_play = SelfPlay(simulator, config, np.random.default_rng(0), num_actors=6)
    observations = self_play.observations.copy()
    replay_rng = copy.deepcopy(self_play.rng)
    self_play.play_move(model, training_step=10**6, buffer=buffer)
    expected = run_search(model, observations, config=config.search, rng=replay_rng)
    for actor, trajectory in enumerate(self_play._trajectories):
        assert trajectory.actions[0] == expected.action[actor]
        np.testing.assert_allclose(trajectory.policies[0], expected.improved_policy[actor])


def test_reanalyse_search_mode_refreshes_with_the_improved_policy():
    from test_training_reanalyse import LENGTH, TD, model_and_one_game

    from mzlab.training.reanalyse import reanalyse_batch

    model, buffer, observations, _, rng = model_and_one_game(np.full((LENGTH, 2), 0.5))
    batch = buffer.gather(np.array([1]), rng)
    config = SearchConfig(algorithm="gumbel", num_simulations=4)
    fresh = reanalyse_batch(batch, buffer, model, search_config=config, fraction=1.0, td_steps=TD, rng=rng,
                            mode="search")
    reference = run_search(model, observations, config=dataclasses.replace(config, add_noise=False),
                           rng=np.random.default_rng(1))
    np.testing.assert_allclose(fresh.target_policies[0], reference.improved_policy[1:4], rtol=1e-6)


@pytest.mark.parametrize(("override", "key"), [
    ("search.algorithm=alphazero", "search.algorithm"),
    ("search.max_num_considered_actions=0", "search.max_num_considered_actions"),
    ("search.gumbel_scale=-1.0", "search.gumbel_scale"),
    ("search.gumbel_c_visit=-5", "search.gumbel_c_visit"),
    ("search.gumbel_c_scale=0", "search.gumbel_c_scale"),
])
def test_bad_gumbel_options_are_one_line_errors(override, key, tmp_path, capsys):
    with pytest.raises(MzlabError, match=key.replace(".", r"\.")) as error:
        validate(apply_overrides(preset("cartpole"), [override]))
    assert "\n" not in str(error.value)
    argv = ["train", "--env", "cartpole", "--run-dir", str(tmp_path / "run"), "--no-progress", "--set", override]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert key in err and len(err.splitlines()) == 1
    assert not (tmp_path / "run").exists()
    with pytest.raises(MzlabError):  # the search refuses it too, when called directly
        name, value = override.split("=")
        field = name.split(".")[1]
        bad = {"algorithm": "alphazero", "max_num_considered_actions": 0, "gumbel_scale": -1.0,
               "gumbel_c_visit": -5.0, "gumbel_c_scale": 0.0}[field]
        run_search(RandomTreeModel(), np.zeros((1, 1)), config=SearchConfig(**{field: bad}),
                   rng=np.random.default_rng(0))
