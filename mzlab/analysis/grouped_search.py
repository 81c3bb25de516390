"""One batched MCTS over roots that differ in prior, leaf evaluation and simulation count (planning, Fig. 7).

The planning experiment searches with every setting ``(prior, leaf, num_simulations)`` of a model at every
move of every episode. Running one :func:`mzlab.search.run_search` per setting steps the model with a small
batch many times; here the roots of all settings form one batch, so each simulation calls ``model.step``
(and each rollout step ``model.rollout_step``) once for all of them. It reuses the search's numba kernels
(:mod:`mzlab.search.selection`, :mod:`mzlab.search.tree`) unchanged:

- a **group** is the roots of one setting, in a row block; groups are laid out by simulation count,
  largest first, so the roots still simulating at simulation ``s`` are a prefix of the batch and the kernels
  run on views of it;
- a uniform-prior root gets a uniform root prior and zero prior logits at its new nodes (the kernel's
  softmax of zeros is exactly its uniform ``1 / A``);
- each group draws its random numbers from its own generator in the order :func:`mzlab.search.run_search`
  draws them for that group alone (Dirichlet noise, tie-break keys, then per simulation the rollout actions),
  so a group's visits are exactly those of ``run_search`` over the group's roots with the same generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mzlab.search.acting import mix_dirichlet, softmax
from mzlab.search.mcts import check_search_config, rollout_values
from mzlab.search.selection import IMPLEMENTATION, PSEUDOCODE, select_leaves
from mzlab.search.tree import expand_and_backup, new_tree

__all__ = ["SearchGroup", "grouped_search"]


@dataclass(frozen=True)
class SearchGroup:
    """The roots of one search setting: ``count`` consecutive rows of the batch."""

    prior: str
    """``policy`` or ``uniform``."""
    leaf: str
    """``value`` or ``rollout``."""
    num_simulations: int
    count: int
    rng: np.random.Generator


def grouped_search(model, observations: np.ndarray, snapshots, groups: list[SearchGroup], *, config) -> np.ndarray:
    """Root visit counts ``[B, A]`` of one search over ``observations[B, ...]`` (and ``snapshots[B]``).

    ``groups`` cover the rows in order and must be sorted by ``num_simulations``, largest first. ``config``
    (a :class:`~mzlab.config.SearchConfig`) gives everything else (c1, c2, Q convention, tie-break, noise,
    ``rollout_horizon``); its own ``prior``, ``leaf`` and ``num_simulations`` are ignored.
    """
    counts = [g.num_simulations for g in groups]
    if counts != sorted(counts, reverse=True):
        raise ValueError("grouped_search: groups must be sorted by num_simulations, largest first")
    for group in groups:
        check_search_config(_replace(config, group))
    convention = {"implementation": IMPLEMENTATION, "pseudocode": PSEUDOCODE}[config.q_convention]
    starts = np.cumsum([0] + [g.count for g in groups])
    batch = int(starts[-1])
    most = max(counts)

    root = model.root(observations, snapshots)
    logits = np.asarray(root.prior_logits, dtype=np.float64)
    num_actions = logits.shape[1]
    uniform_rows = np.zeros(batch, dtype=bool)
    root_prior = softmax(logits)
    tie_keys = np.zeros((batch, most + 1, num_actions))
    for group, start, stop in zip(groups, starts[:-1], starts[1:], strict=True):
        if group.prior == "uniform":
            uniform_rows[start:stop] = True
            root_prior[start:stop] = 1.0 / num_actions
        if config.add_noise:
            noise = group.rng.dirichlet(np.full(num_actions, config.dirichlet_alpha), size=group.count)
            root_prior[start:stop] = mix_dirichlet(root_prior[start:stop], noise, config.dirichlet_fraction)
        if config.tie_break == "random":
            tie_keys[start:stop, : group.num_simulations + 1] = group.rng.random(
                (group.count, group.num_simulations + 1, num_actions))

    tree = new_tree(batch, most + 1, root_prior, float(model.discount))
    states = _StateStore(most + 1, root.state)
    parents = np.zeros(batch, dtype=np.int64)
    actions = np.zeros(batch, dtype=np.int64)
    scratch = np.zeros((2, batch))
    for simulation in range(most):
        live = int(starts[sum(n > simulation for n in counts)])  # rows of groups still simulating: a prefix
        view = slice(0, live)
        select_leaves(tree.visits[view], tree.value_sum[view], tree.reward[view], tree.discount[view],
                      tree.children[view], tree.prior[view], tree.min_max[view], config.c1, config.c2, convention,
                      tie_keys[view], parents[view], actions[view])
        output, next_state = model.step(states.gather(parents[view], live), actions[view])
        node = simulation + 1
        states.put(node, next_state, live)
        leaf_value = np.array(output.value, dtype=np.float64)
        rollout_rows = [np.arange(start, stop) for group, start, stop in zip(groups, starts[:-1], starts[1:],
                                                                              strict=True)
                        if group.leaf == "rollout" and group.num_simulations > simulation]
        if rollout_rows:
            rows = np.concatenate(rollout_rows)
            # one [H, count] draw per group: the same numbers as run_search's H draws of [count] each
            draws = [g.rng.integers(num_actions, size=(config.rollout_horizon, g.count))
                     for g in groups if g.leaf == "rollout" and g.num_simulations > simulation]
            leaf_value[rows] = rollout_values(model, next_state[rows], horizon=config.rollout_horizon, rng=None,
                                              actions=np.concatenate(draws, axis=1))
        prior_logits = np.array(output.prior_logits, dtype=np.float64)
        prior_logits[uniform_rows[view]] = 0.0
        expand_and_backup(tree.visits[view], tree.value_sum[view], tree.reward[view], tree.discount[view],
                          tree.prior[view], tree.children[view], tree.parent[view], tree.action[view],
                          tree.min_max[view], node, parents[view], actions[view],
                          np.asarray(output.reward, dtype=np.float64), np.asarray(output.discount, dtype=np.float64),
                          prior_logits, False, leaf_value, convention, scratch[0, view], scratch[1, view])
    return tree.visits[np.arange(batch)[:, None], tree.children[:, 0]] * (tree.children[:, 0] >= 0)


def _replace(config, group: SearchGroup):
    import dataclasses

    return dataclasses.replace(config, prior=group.prior, leaf=group.leaf, num_simulations=group.num_simulations)


class _StateStore:
    """Model states of every node ``[N, B, ...]`` (numpy arrays or torch tensors), filled on a row prefix."""

    def __init__(self, num_nodes: int, root_state):
        if isinstance(root_state, np.ndarray):
            self._data = np.empty((num_nodes, *root_state.shape), dtype=root_state.dtype)
            self._rows = np.arange(root_state.shape[0])
        else:
            import torch

            self._data = torch.empty((num_nodes, *root_state.shape), dtype=root_state.dtype,
                                     device=root_state.device)
            self._rows = torch.arange(root_state.shape[0], device=root_state.device)
        self._data[0] = root_state

    def put(self, node: int, state, live: int) -> None:
        self._data[node, :live] = state

    def gather(self, nodes: np.ndarray, live: int):
        if not isinstance(self._data, np.ndarray):
            import torch

            nodes = torch.as_tensor(nodes, device=self._rows.device)
        return self._data[nodes, self._rows[:live]]
