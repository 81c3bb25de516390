"""The batched search against a literal, one-root-at-a-time transcription of the MuZero pseudocode.

The reference below follows the published pseudocode's ``Node``, ``MinMaxStats``, ``ucb_score``,
``select_child``, ``expand_node`` and ``backpropagate`` (with the model's per-step discount in place of the
constant ``γ``), switching the two lines that differ in the implementation the paper trained with
(muzero-general). Ties go to the lowest action in both. The two must agree exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from fakes import RandomTreeModel

from mzlab.config import SearchConfig
from mzlab.search import run_search, softmax


class Node:
    def __init__(self, prior: float):
        self.visit_count = 0
        self.prior = prior
        self.value_sum = 0.0
        self.children: dict[int, Node] = {}
        self.state = None
        self.reward = 0.0
        self.discount = 0.0

    def expanded(self) -> bool:
        return len(self.children) > 0

    def value(self) -> float:
        return 0.0 if self.visit_count == 0 else self.value_sum / self.visit_count


class MinMaxStats:
    def __init__(self):
        self.maximum = -float("inf")
        self.minimum = float("inf")

    def update(self, value: float) -> None:
        self.maximum = max(self.maximum, value)
        self.minimum = min(self.minimum, value)

    def normalize(self, value: float) -> float:
        if self.maximum > self.minimum:
            return (value - self.minimum) / (self.maximum - self.minimum)
        return value


def ucb_score(config, parent, child, stats, convention):
    pb_c = math.log((parent.visit_count + config.c2 + 1) / config.c2) + config.c1
    pb_c *= math.sqrt(parent.visit_count) / (child.visit_count + 1)
    prior_score = pb_c * child.prior
    if child.visit_count > 0:
        if convention == "implementation":
            value_score = stats.normalize(child.reward + child.discount * child.value())
        else:
            value_score = child.reward + child.discount * stats.normalize(child.value())
    else:
        value_score = 0.0
    return prior_score + value_score


def reference_search(model, observation, config, root_prior, leaf_value=None):
    """One root: returns (root node, list of action paths)."""
    root_output = model.root(observation[None])
    root = Node(0.0)
    root.state = root_output.state
    root.discount = model.discount
    for action in range(model.num_actions):
        root.children[action] = Node(float(root_prior[action]))
    stats = MinMaxStats()
    paths = []
    for _ in range(config.num_simulations):
        node = root
        search_path = [node]
        actions = []
        while node.expanded():
            scores = [ucb_score(config, node, node.children[a], stats, config.q_convention)
                      for a in range(model.num_actions)]
            action = int(np.argmax(scores))
            node = node.children[action]
            actions.append(action)
            search_path.append(node)
        parent = search_path[-2]
        output, state = model.step(parent.state, np.array([actions[-1]]))
        node.state = state
        node.reward = float(output.reward[0])
        node.discount = float(output.discount[0])
        prior = np.full(model.num_actions, 1 / model.num_actions) if config.prior == "uniform" else softmax(
            output.prior_logits)[0]
        for action in range(model.num_actions):
            node.children[action] = Node(float(prior[action]))
        value = float(output.value[0]) if leaf_value is None else leaf_value
        for visited in reversed(search_path):
            visited.value_sum += value
            visited.visit_count += 1
            if config.q_convention == "implementation":
                stats.update(visited.reward + visited.discount * visited.value())
            else:
                stats.update(visited.value())
            value = visited.reward + visited.discount * value
        paths.append(tuple(actions))
    return root, paths


@pytest.mark.parametrize("convention", ["implementation", "pseudocode"])
@pytest.mark.parametrize("prior", ["policy", "uniform"])
@pytest.mark.parametrize("add_noise", [False, True])
def test_batched_search_equals_reference_transcription(convention, prior, add_noise):
    model = RandomTreeModel(num_actions=3, discount=0.9, seed=5, end_probability=0.15)
    config = SearchConfig(num_simulations=60, q_convention=convention, prior=prior, add_noise=add_noise,
                          tie_break="first")
    observations = np.arange(6)[:, None]
    out = run_search(model, observations, config=config, rng=np.random.default_rng(3), record_paths=True)
    for b in range(len(observations)):
        root, paths = reference_search(model, observations[b], config, out.prior[b])
        visits = [root.children[a].visit_count for a in range(3)]
        np.testing.assert_array_equal(out.visit_counts[b], visits)
        assert out.root_value[b] == pytest.approx(root.value(), abs=1e-12)
        for a in range(3):
            child = root.children[a]
            expected_q = child.reward + child.discount * child.value() if child.visit_count else 0.0
            assert out.q_values[b, a] == pytest.approx(expected_q, abs=1e-12)
        assert out.paths(b) == paths


def test_conventions_really_differ():
    model = RandomTreeModel(num_actions=3, discount=0.9, seed=2, end_probability=0.1, value_scale=3.0)
    observations = np.arange(16)[:, None]
    results = [
        run_search(model, observations,
                   config=SearchConfig(num_simulations=60, q_convention=c, add_noise=False, tie_break="first"),
                   rng=np.random.default_rng(0)).visit_counts
        for c in ("implementation", "pseudocode")
    ]
    assert not np.array_equal(results[0], results[1])


def test_rollout_leaves_equal_reference_with_exact_rollout_value():
    # Constant reward 1 and no termination: every rollout of H steps returns (1 - γ^H) / (1 - γ) whatever the
    # random actions, while the value head is huge (±1000); the reference is fed that exact leaf value.
    model = RandomTreeModel(num_actions=2, discount=0.9, seed=1, end_probability=0.0, value_scale=1000.0,
                            constant_reward=1.0)
    horizon = 7
    config = SearchConfig(num_simulations=40, leaf="rollout", rollout_horizon=horizon, add_noise=False,
                          tie_break="first")
    observations = np.arange(4)[:, None]
    out = run_search(model, observations, config=config, rng=np.random.default_rng(0))
    leaf_value = (1 - 0.9**horizon) / (1 - 0.9)
    for b in range(4):
        root, _ = reference_search(model, observations[b], config, out.prior[b], leaf_value=leaf_value)
        np.testing.assert_array_equal(out.visit_counts[b], [root.children[a].visit_count for a in range(2)])
        assert out.root_value[b] == pytest.approx(root.value(), abs=1e-12)
    assert np.all(np.abs(out.root_value) < 1 / (1 - 0.9))
