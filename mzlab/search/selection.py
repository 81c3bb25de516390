"""pUCT child selection (paper Eq. 2, MuZero pseudocode ``ucb_score``) and tree-global min-max normalisation.

Scalar kernels, compiled with numba; :func:`select_leaves` walks every root of the batch from its root to the
first unexpanded edge.
"""

from __future__ import annotations

import math

import numpy as np

from mzlab.jit import njit

__all__ = ["IMPLEMENTATION", "PSEUDOCODE", "normalise", "puct_score", "select_leaves"]

IMPLEMENTATION = 0
"""Q convention: score ``normalise(r + d V(child))``, feed ``r + d V(node)`` to the min-max statistics."""
PSEUDOCODE = 1
"""Q convention: score ``r + d normalise(V(child))``, feed ``V(node)`` to the min-max statistics."""


@njit
def normalise(value, minimum, maximum):
    """Pseudocode ``MinMaxStats.normalize``: ``(value - min) / (max - min)``, unchanged while ``max <= min``."""
    if maximum > minimum:
        return (value - minimum) / (maximum - minimum)
    return value


@njit
def puct_score(q_normalised, prior, child_visits, parent_visits, c1, c2):
    """``Q̄ + P sqrt(N_parent) / (1 + N_child) (c1 + log((N_parent + c2 + 1) / c2))`` (N_parent: the parent's
    visit count, as in the pseudocode)."""
    exploration = math.log((parent_visits + c2 + 1.0) / c2) + c1
    exploration *= math.sqrt(parent_visits) / (child_visits + 1.0)
    return q_normalised + exploration * prior


@njit
def select_leaves(visits, value_sum, reward, discount, children, prior, min_max, c1, c2, convention, tie_keys,
                  out_parent, out_action):
    """Descend every root from node 0 by argmax pUCT to the first unexpanded edge.

    Equal scores go to the action with the larger ``tie_keys[b, node, action]`` (``[B, N, A]``: random keys
    give a random tie-break, all-zero keys the lowest action).

    Scores are :func:`puct_score` with ``Q̄`` per the convention (an unvisited child scores ``Q̄ = 0``),
    inlined. Writes the parent node ``out_parent[B]`` and the action ``out_action[B]`` of that edge.
    """
    batch, _, num_actions = children.shape
    for b in range(batch):
        node = 0
        minimum = min_max[b, 0]
        maximum = min_max[b, 1]
        spread = maximum - minimum
        while True:
            parent_visits = visits[b, node]
            exploration = math.log((parent_visits + c2 + 1.0) / c2) + c1
            root_visits = math.sqrt(parent_visits)
            best_action = 0
            best_score = -np.inf
            best_key = -1.0
            for action in range(num_actions):
                child = children[b, node, action]
                child_visits = 0
                q_normalised = 0.0
                if child >= 0:
                    child_visits = visits[b, child]
                    if child_visits > 0:
                        child_value = value_sum[b, child] / child_visits
                        if convention == IMPLEMENTATION:
                            q_normalised = reward[b, child] + discount[b, child] * child_value
                            if spread > 0:
                                q_normalised = (q_normalised - minimum) / spread
                        else:
                            if spread > 0:
                                child_value = (child_value - minimum) / spread
                            q_normalised = reward[b, child] + discount[b, child] * child_value
                score = exploration * (root_visits / (child_visits + 1.0)) * prior[b, node, action] + q_normalised
                key = tie_keys[b, node, action]
                if score > best_score or (score == best_score and key > best_key):
                    best_score = score
                    best_action = action
                    best_key = key
            child = children[b, node, best_action]
            if child < 0:
                out_parent[b] = node
                out_action[b] = best_action
                break
            node = child
