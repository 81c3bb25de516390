"""The whole pUCT simulation loop as one numba call, for a model whose step is the fully connected kernel.

:func:`~mzlab.search.mcts.run_search` plans batch-1 self-play moves of the small Cart Pole / Lunar Lander
networks; there one simulation is a few microseconds of arithmetic behind ~100-250 µs of Python (the loop,
the state store, the kernel wrappers and their small arrays). :func:`fused_simulations` runs every simulation
of a search in one call: the same kernels in the same order (:func:`~mzlab.search.selection.select_leaves`,
the parent latents gathered, :func:`~mzlab.search.fast_fc._recurrent`,
:func:`~mzlab.search.tree.expand_and_backup`), so the tree comes out bit-identical to the Python loop's (the
step's MLPs run input-major, the same sums in the same order, faster at batch 1).

A model offers it with the optional ``fused_root(observations, snapshots) -> (RootOutput, FusedStep) | None``
(its root, and the step kernel's arguments; ``None`` when its step is not that kernel, e.g. a torch forward);
the search asks for it instead of ``root`` for ``search.kernel = auto`` with ``algorithm = puct`` and
``leaf = value`` when numba is installed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mzlab.jit import HAVE_NUMBA, njit
from mzlab.search.fast_fc import _recurrent
from mzlab.search.selection import select_leaves
from mzlab.search.tree import Tree, expand_and_backup

__all__ = ["FusedStep", "fused_simulations", "FUSED_AVAILABLE"]

FUSED_AVAILABLE = HAVE_NUMBA
"""Whether the fused loop is compiled (without numba the search keeps its Python loop)."""


@dataclass(frozen=True)
class FusedStep:
    """What the fused loop needs of the model: the arguments of the fully connected ``g`` + ``f`` kernel."""

    num_actions: int
    support_size: int
    epsilon: float
    weights: tuple
    """The eight weight/bias tuples of dynamics state, dynamics reward, prediction policy and value, as
    :class:`~mzlab.search.fast_fc.FastRecurrent` holds them (views of the live float32 parameters)."""
    discount: float
    """The discount of every step (the learned model's ``γ``)."""


@njit
def _simulate(visits, value_sum, reward, discount, prior, children, parent, action, min_max, c1, c2, convention,
              tie_keys, uniform_prior, states, step_discount, num_actions, support_size, epsilon, dyn_w, dyn_b,
              rew_w, rew_b, pol_w, pol_b, val_w, val_b, path_values, path_rewards):
    num_nodes, batch, size = states.shape
    parents = np.zeros(batch, dtype=np.int64)
    actions = np.zeros(batch, dtype=np.int64)
    latent = np.empty((batch, size), dtype=np.float32)
    out_reward = np.empty(batch)
    out_logits = np.empty((batch, num_actions))
    out_value = np.empty(batch)
    for simulation in range(num_nodes - 1):
        select_leaves(visits, value_sum, reward, discount, children, prior, min_max, c1, c2, convention, tie_keys,
                      parents, actions)
        for b in range(batch):
            latent[b] = states[parents[b], b]
        node = simulation + 1
        _recurrent(latent, actions, num_actions, support_size, epsilon, dyn_w, dyn_b, rew_w, rew_b, pol_w, pol_b,
                   val_w, val_b, states[node], out_reward, out_logits, out_value, True)
        expand_and_backup(visits, value_sum, reward, discount, prior, children, parent, action, min_max, node, parents,
                          actions, out_reward, step_discount, out_logits, uniform_prior, out_value, convention,
                          path_values[simulation], path_rewards[simulation])


def fused_simulations(tree: Tree, root_latent: np.ndarray, step: FusedStep, *, c1: float, c2: float, convention: int,
                      tie_keys: np.ndarray, uniform_prior: bool, path_values: np.ndarray,
                      path_rewards: np.ndarray) -> None:
    """Run all ``path_values.shape[0]`` simulations on ``tree`` (root expanded, nothing visited) in place.

    ``root_latent[B, D]`` float32 are the root states; ``path_values`` / ``path_rewards`` ``[S, B]`` receive
    what :func:`~mzlab.search.tree.expand_and_backup` writes per simulation.
    """
    num_simulations, batch = path_values.shape
    states = np.empty((num_simulations + 1, *root_latent.shape), dtype=np.float32)
    states[0] = root_latent
    _simulate(tree.visits, tree.value_sum, tree.reward, tree.discount, tree.prior, tree.children, tree.parent,
              tree.action, tree.min_max, float(c1), float(c2), convention, tie_keys, bool(uniform_prior), states,
              np.full(batch, float(step.discount)), int(step.num_actions), int(step.support_size),
              float(step.epsilon), *step.weights, path_values, path_rewards)
