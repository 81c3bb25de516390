"""The search tree as a struct of arrays, batch first: one tree per root, node 0 is the root.

Every simulation adds exactly one node per root, so node ``n`` of every root is created by simulation
``n - 1`` and a tree of ``S`` simulations holds ``S + 1`` nodes. Edges are ``children[b, node, action]``
(-1 while unexpanded). Node fields describe the transition *into* the node: ``reward`` and ``discount``
(the root gets reward 0 and the model's discount, as the reference implementation's root).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mzlab.jit import njit
from mzlab.search.selection import IMPLEMENTATION

__all__ = ["Tree", "new_tree", "expand_and_backup", "children_q", "node_paths", "StateStore"]


@dataclass
class Tree:
    visits: np.ndarray
    """``[B, N]`` int64 visit counts."""
    value_sum: np.ndarray
    """``[B, N]`` float64 sums of backed-up values; ``V(node) = value_sum / visits``."""
    reward: np.ndarray
    """``[B, N]`` float64 reward of the transition into the node."""
    discount: np.ndarray
    """``[B, N]`` float64 discount of the transition into the node (0 after termination)."""
    prior: np.ndarray
    """``[B, N, A]`` float64 prior probabilities of the node's edges."""
    children: np.ndarray
    """``[B, N, A]`` int64 child node index, -1 when unexpanded."""
    parent: np.ndarray
    """``[B, N]`` int64 parent node index (-1 for the root)."""
    action: np.ndarray
    """``[B, N]`` int64 action of the edge into the node (-1 for the root)."""
    min_max: np.ndarray
    """``[B, 2]`` float64 tree-global (per root) minimum and maximum fed by the backups."""


def new_tree(batch: int, num_nodes: int, root_prior: np.ndarray, root_discount: float) -> Tree:
    """Empty trees with the root expanded with ``root_prior[B, A]`` (probabilities, after noise)."""
    num_actions = root_prior.shape[1]
    prior = np.zeros((batch, num_nodes, num_actions))
    prior[:, 0] = root_prior
    discount = np.zeros((batch, num_nodes))
    discount[:, 0] = root_discount
    min_max = np.empty((batch, 2))
    min_max[:, 0] = np.inf
    min_max[:, 1] = -np.inf
    return Tree(
        visits=np.zeros((batch, num_nodes), dtype=np.int64),
        value_sum=np.zeros((batch, num_nodes)),
        reward=np.zeros((batch, num_nodes)),
        discount=discount,
        prior=prior,
        children=np.full((batch, num_nodes, num_actions), -1, dtype=np.int64),
        parent=np.full((batch, num_nodes), -1, dtype=np.int64),
        action=np.full((batch, num_nodes), -1, dtype=np.int64),
        min_max=min_max,
    )


@njit
def expand_and_backup(visits, value_sum, reward, discount, prior, children, parent, action, min_max, new_node, parents,
                      actions, step_reward, step_discount, prior_logits, uniform_prior, leaf_value, convention,
                      out_root_value, out_reward_sum):
    """Create node ``new_node`` under edge ``(parents[b], actions[b])`` of every root and back up ``leaf_value[B]``.

    Backup as the pseudocode's ``backpropagate`` with per-step discounts: along the path from the new node to
    the root, ``value_sum += G``, ``visits += 1``, the min-max statistics see ``r + d V(node)``
    (implementation convention) or ``V(node)`` (pseudocode convention), then ``G = r + d G``. Writes the value
    backed into the root ``out_root_value[B]`` and its reward part alone ``out_reward_sum[B]`` (``Σ_i (Π_{j<i}
    d_j) r_i`` along the path, without the leaf value).
    """
    batch, _, num_actions = prior.shape
    for b in range(batch):
        node = new_node
        children[b, parents[b], actions[b]] = node
        parent[b, node] = parents[b]
        action[b, node] = actions[b]
        reward[b, node] = step_reward[b]
        discount[b, node] = step_discount[b]
        if uniform_prior:
            for a in range(num_actions):
                prior[b, node, a] = 1.0 / num_actions
        else:
            largest = prior_logits[b, 0]
            for a in range(1, num_actions):
                largest = max(largest, prior_logits[b, a])
            total = 0.0
            for a in range(num_actions):
                p = np.exp(prior_logits[b, a] - largest)
                prior[b, node, a] = p
                total += p
            for a in range(num_actions):
                prior[b, node, a] /= total
        value = leaf_value[b]
        reward_sum = 0.0
        while node >= 0:
            if node == 0:
                out_root_value[b] = value
                out_reward_sum[b] = reward_sum
            value_sum[b, node] += value
            visits[b, node] += 1
            node_value = value_sum[b, node] / visits[b, node]
            if convention == IMPLEMENTATION:
                statistic = reward[b, node] + discount[b, node] * node_value
            else:
                statistic = node_value
            if statistic < min_max[b, 0]:
                min_max[b, 0] = statistic
            if statistic > min_max[b, 1]:
                min_max[b, 1] = statistic
            value = reward[b, node] + discount[b, node] * value
            reward_sum = reward[b, node] + discount[b, node] * reward_sum
            node = parent[b, node]


@njit
def _children_q(visits, value_sum, reward, discount, children, out):
    batch, _, num_actions = children.shape
    for b in range(batch):
        for a in range(num_actions):
            child = children[b, 0, a]
            if child >= 0 and visits[b, child] > 0:
                out[b, a] = reward[b, child] + discount[b, child] * value_sum[b, child] / visits[b, child]


def children_q(tree: Tree) -> np.ndarray:
    """``[B, A]`` root ``Q(s, a) = r + d V(child)`` (raw, not normalised); 0 for unvisited children."""
    out = np.zeros(tree.children.shape[::2])
    _children_q(tree.visits, tree.value_sum, tree.reward, tree.discount, tree.children, out)
    return out


@njit
def _depths(parent):
    batch, num_nodes = parent.shape
    depth = np.zeros((batch, num_nodes), dtype=np.int64)
    for b in range(batch):
        for node in range(1, num_nodes):
            depth[b, node] = depth[b, parent[b, node]] + 1  # parents are created before their children
    return depth


@njit
def _fill_paths(parent, action, depth, out_actions):
    batch, num_nodes = parent.shape
    for b in range(batch):
        for node in range(1, num_nodes):
            walker = node
            for position in range(depth[b, node] - 1, -1, -1):
                out_actions[b, node - 1, position] = action[b, walker]
                walker = parent[b, walker]


def node_paths(tree: Tree) -> tuple[np.ndarray, np.ndarray]:
    """Action sequences from the root to every non-root node, in creation order (node ``n`` = simulation
    ``n - 1``): ``(actions[B, N - 1, L] int64 padded with -1, lengths[B, N - 1])``, ``L`` the deepest path."""
    depth = _depths(tree.parent)
    lengths = depth[:, 1:].copy()
    longest = int(lengths.max()) if lengths.size else 0
    actions = np.full((*lengths.shape, longest), -1, dtype=np.int64)
    _fill_paths(tree.parent, tree.action, depth, actions)
    return actions, lengths


class StateStore:
    """Model states of every node, ``[N, B, ...]``: numpy arrays (latents, snapshots) or torch tensors."""

    def __init__(self, num_nodes: int, root_state):
        self._is_torch = not isinstance(root_state, np.ndarray)
        if self._is_torch:
            import torch

            self._data = torch.empty((num_nodes, *root_state.shape), dtype=root_state.dtype, device=root_state.device)
            self._batch_index = torch.arange(root_state.shape[0], device=root_state.device)
        else:
            self._data = np.empty((num_nodes, *root_state.shape), dtype=root_state.dtype)
            self._batch_index = np.arange(root_state.shape[0])
        self._data[0] = root_state

    def put(self, node: int, state) -> None:
        """Store the states ``[B, ...]`` of node ``node`` of every root."""
        self._data[node] = state

    def gather(self, nodes: np.ndarray):
        """States ``[B, ...]`` of node ``nodes[b]`` of root ``b``."""
        if self._is_torch:
            import torch

            nodes = torch.as_tensor(nodes, device=self._batch_index.device)
        return self._data[nodes, self._batch_index]

