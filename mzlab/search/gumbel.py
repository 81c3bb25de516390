"""Gumbel MuZero action selection (Danihelka et al., ICLR 2022), with the semantics of mctx's ``gumbel_muzero_policy``.

Root: Gumbel-top-k of ``max_num_considered_actions`` actions and sequential halving over the simulation budget
(:func:`considered_visit_sequence`), scoring ``g(a) + logits(a) + sigma(completed Q)(a)``. Interior nodes: the
deterministic ``argmax(pi'(a) - N(a) / (1 + sum_b N(b)))`` with ``pi' = softmax(logits + sigma(completed Q))``.
After the search: the improved policy ``pi'`` at the root (the policy target) and the sequential-halving
winner (the action to play). ``sigma(q) = (c_visit + max_b N(b)) c_scale q``, where the completed Q values are
min-max rescaled over the node's own actions first. The tree, expansion, backup and model are the pUCT
search's (``tree.py``, ``mcts.py``); only the two selection rules and the summary differ.
"""

from __future__ import annotations

import math

import numpy as np

from mzlab.jit import njit

__all__ = ["considered_visit_sequence", "GumbelSelector", "completed_sigma", "select_leaves_gumbel",
           "gumbel_summary"]

_TINY = float(np.finfo(np.float64).tiny)
_LOW_LOGIT = -1e9
_RESCALE_EPSILON = 1e-8


def considered_visit_sequence(num_considered: int, num_simulations: int) -> np.ndarray:
    """``[S]`` the visit count sequential halving allows at each simulation (mctx's schedule).

    Phases over ``k = num_considered, max(2, k // 2), ...`` actions: each phase gives each of its ``k`` actions
    ``max(1, S // (ceil(log2 m) k))`` more visits, in rounds; simulation ``i`` may only visit an action whose
    visit count equals entry ``i``. With one considered action, entry ``i`` is ``i`` (that action every time).
    """
    if num_considered <= 1:
        return np.arange(num_simulations, dtype=np.int64)
    phases = int(math.ceil(math.log2(num_considered)))
    sequence: list[int] = []
    visits, considered = 0, num_considered
    while len(sequence) < num_simulations:
        for _ in range(max(1, num_simulations // (phases * considered))):
            sequence.extend([visits] * considered)
            visits += 1
        considered = max(2, considered // 2)
    return np.asarray(sequence[:num_simulations], dtype=np.int64)


@njit
def completed_sigma(visits, value_sum, reward, discount, children, prior, raw_value, b, node, c_visit, c_scale,
                    out):
    """Write ``sigma(completed Q)`` of the actions of ``node`` of root ``b`` into ``out[A]``.

    Visited actions keep ``Q = r + d V(child)``; unvisited ones get the mixed value ``(v + sum N
    sum_{visited} p Q / sum_{visited} p) / (1 + sum N)`` (``v`` the node's own model value, ``p`` its prior,
    floored at the smallest normal float); then ``(q - min) / max(max - min, 1e-8)`` over the node's actions
    and the scale ``(c_visit + max N) c_scale``.
    """
    num_actions = children.shape[2]
    total_visits = 0
    most_visits = 0
    visited_prior = 0.0
    weighted = 0.0
    for a in range(num_actions):
        child = children[b, node, a]
        count = visits[b, child] if child >= 0 else 0
        if count > 0:
            q = reward[b, child] + discount[b, child] * value_sum[b, child] / count
            out[a] = q
            total_visits += count
            most_visits = max(most_visits, count)
            p = max(prior[b, node, a], _TINY)
            visited_prior += p
            weighted += p * q
    mixed = raw_value[b, node]
    if total_visits > 0:
        mixed = (raw_value[b, node] + total_visits * (weighted / visited_prior)) / (total_visits + 1.0)
    low = np.inf
    high = -np.inf
    for a in range(num_actions):
        child = children[b, node, a]
        if child < 0 or visits[b, child] == 0:
            out[a] = mixed
        low = min(low, out[a])
        high = max(high, out[a])
    scale = (c_visit + most_visits) * c_scale / max(high - low, _RESCALE_EPSILON)
    for a in range(num_actions):
        out[a] = (out[a] - low) * scale


@njit
def _root_action(visits, children, root_logits, gumbel, sigma, b, considered_visit):
    """Sequential halving: argmax of ``max(-1e9, g + logits - max logits + sigma)`` among the actions whose visit
    count equals ``considered_visit`` (first index on ties, as ``argmax``)."""
    num_actions = children.shape[2]
    largest = root_logits[b, 0]
    for a in range(1, num_actions):
        largest = max(largest, root_logits[b, a])
    best_action = 0
    best_score = -np.inf
    for a in range(num_actions):
        child = children[b, 0, a]
        count = visits[b, child] if child >= 0 else 0
        if count != considered_visit:
            continue
        score = max(_LOW_LOGIT, gumbel[b, a] + root_logits[b, a] - largest + sigma[a])
        if score > best_score:
            best_score = score
            best_action = a
    return best_action


@njit
def _interior_action(visits, children, prior, sigma, b, node):
    """``argmax(softmax(logits + sigma) - N / (1 + sum N))`` (first index on ties); ``softmax(logits + sigma) =
    p exp(sigma) / sum p exp(sigma)`` from the stored prior ``p`` (floored at the smallest normal float, so an
    underflowed prior cannot give 0 / 0). Overwrites ``sigma`` with ``p exp(sigma -
    max sigma)``."""
    num_actions = children.shape[2]
    shift = sigma[0]
    for a in range(1, num_actions):
        shift = max(shift, sigma[a])
    total = 0.0
    total_visits = 0
    for a in range(num_actions):
        sigma[a] = max(prior[b, node, a], _TINY) * math.exp(sigma[a] - shift)
        total += sigma[a]
        child = children[b, node, a]
        if child >= 0:
            total_visits += visits[b, child]
    best_action = 0
    best_score = -np.inf
    for a in range(num_actions):
        child = children[b, node, a]
        count = visits[b, child] if child >= 0 else 0
        score = sigma[a] / total - count / (1.0 + total_visits)
        if score > best_score:
            best_score = score
            best_action = a
    return best_action


@njit
def select_leaves_gumbel(visits, value_sum, reward, discount, children, prior, raw_value, root_logits, gumbel,
                         considered_visit, c_visit, c_scale, out_parent, out_action):
    """Descend every root: :func:`_root_action` at the root, :func:`_interior_action` below, to the first
    unexpanded edge; writes its parent ``out_parent[B]`` and action ``out_action[B]``."""
    batch, _, num_actions = children.shape
    sigma = np.empty(num_actions)
    for b in range(batch):
        completed_sigma(visits, value_sum, reward, discount, children, prior, raw_value, b, 0, c_visit, c_scale, sigma)
        node = 0
        action = _root_action(visits, children, root_logits, gumbel, sigma, b, considered_visit)
        child = children[b, 0, action]
        while child >= 0:
            node = child
            completed_sigma(visits, value_sum, reward, discount, children, prior, raw_value, b, node, c_visit,
                            c_scale, sigma)
            action = _interior_action(visits, children, prior, sigma, b, node)
            child = children[b, node, action]
        out_parent[b] = node
        out_action[b] = action


@njit
def gumbel_summary(visits, value_sum, reward, discount, children, prior, raw_value, root_logits, gumbel, c_visit,
                   c_scale, out_action, out_policy):
    """After the search: the sequential-halving winner ``out_action[B]`` (the best score among the most visited
    actions) and the improved policy ``out_policy[B, A] = softmax(logits + sigma(completed Q))`` at the root."""
    batch, _, num_actions = children.shape
    sigma = np.empty(num_actions)
    for b in range(batch):
        completed_sigma(visits, value_sum, reward, discount, children, prior, raw_value, b, 0, c_visit, c_scale, sigma)
        most_visits = 0
        for a in range(num_actions):
            child = children[b, 0, a]
            if child >= 0:
                most_visits = max(most_visits, visits[b, child])
        out_action[b] = _root_action(visits, children, root_logits, gumbel, sigma, b, most_visits)
        shift = -np.inf
        for a in range(num_actions):
            shift = max(shift, root_logits[b, a] + sigma[a])
        total = 0.0
        for a in range(num_actions):
            out_policy[b, a] = math.exp(root_logits[b, a] + sigma[a] - shift)
            total += out_policy[b, a]
        for a in range(num_actions):
            out_policy[b, a] /= total


class GumbelSelector:
    """The Gumbel rules for :func:`~mzlab.search.mcts.run_search`: one per search, ``B`` roots.

    ``root_logits[B, A]`` are the root's prior logits (zeros for the uniform prior), ``gumbel[B, A]`` the root
    Gumbel noise (already scaled; zeros without noise). ``raw_value[B, N]`` is filled by the loop with each
    node's model value (leaf value) as it is created.
    """

    def __init__(self, root_logits, gumbel, root_value, num_nodes: int, config):
        batch, num_actions = root_logits.shape
        self.root_logits = np.ascontiguousarray(root_logits, dtype=np.float64)
        self.gumbel = np.ascontiguousarray(gumbel, dtype=np.float64)
        self.raw_value = np.zeros((batch, num_nodes))
        self.raw_value[:, 0] = root_value
        self.c_visit = float(config.gumbel_c_visit)
        self.c_scale = float(config.gumbel_c_scale)
        considered = min(config.max_num_considered_actions, num_actions)
        self.schedule = considered_visit_sequence(considered, config.num_simulations)

    def select(self, tree, simulation: int, parents: np.ndarray, actions: np.ndarray) -> None:
        select_leaves_gumbel(tree.visits, tree.value_sum, tree.reward, tree.discount, tree.children, tree.prior,
                             self.raw_value, self.root_logits, self.gumbel, int(self.schedule[simulation]),
                             self.c_visit, self.c_scale, parents, actions)

    def record_leaf(self, node: int, leaf_value: np.ndarray) -> None:
        self.raw_value[:, node] = leaf_value

    def summary(self, tree) -> tuple[np.ndarray, np.ndarray]:
        """``(action [B], improved_policy [B, A])``."""
        batch, num_actions = self.root_logits.shape
        action = np.zeros(batch, dtype=np.int64)
        policy = np.zeros((batch, num_actions))
        gumbel_summary(tree.visits, tree.value_sum, tree.reward, tree.discount, tree.children, tree.prior,
                       self.raw_value, self.root_logits, self.gumbel, self.c_visit, self.c_scale, action, policy)
        return action, policy
