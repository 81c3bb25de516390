"""True and predicted k-step returns of action sequences (paper Eqs. 3 and 4).

``G_k(s_t, a_{1:k}) = sum_{i=1..k} gamma^{i-1} r_{t+i}`` steps the real simulator's snapshots (rewards are 0
after termination: stepping an ended snapshot is absorbing). ``Ĝ_k(s_t, a_{1:k}) = sum_{i=1..k} gamma^{i-1}
r̂^i_t`` unrolls a model (the :class:`~mzlab.search.types.Model` contract) from its root at ``o_t``. Both return
every prefix length at once: column ``k-1`` holds the return of the first ``k`` actions.

Whole batches move together: one ``step_snapshots`` call and one ``model.step`` call per time step.
"""

from __future__ import annotations

import numpy as np

__all__ = ["true_rewards", "predicted_rewards", "discounted_cumsum", "true_returns", "predicted_returns"]


def true_rewards(simulator, snapshots: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """Real rewards ``[B, L]`` of applying ``actions[B, L]`` from ``snapshots[B]`` (0 once an episode ended)."""
    actions = np.asarray(actions)
    batch, length = actions.shape
    rewards = np.zeros((batch, length))
    ended = np.zeros(batch, dtype=bool)
    current = snapshots
    for i in range(length):
        transition = simulator.step_snapshots(current, actions[:, i])
        rewards[:, i] = np.where(ended, 0.0, transition.rewards)
        ended |= np.asarray(transition.terminated) | np.asarray(transition.truncated)
        current = transition.snapshots
    return rewards


def predicted_rewards(
    model, observations: np.ndarray, actions: np.ndarray, *, snapshots=None, root_index: np.ndarray | None = None
) -> np.ndarray:
    """Model rewards ``[B, L]`` of unrolling ``actions[B, L]`` from the model's root at the states ``[R]``.

    The root is computed once for ``observations[R, ...]`` (and ``snapshots[R]``, which the ground-truth
    model needs and a learned model ignores); ``root_index[B]`` picks the root of each row (default: row ``i``
    starts from root ``i``). The model's own discount output is not used: Eq. 4 discounts with the
    environment's gamma, and a ground-truth model already returns reward 0 after termination.
    """
    actions = np.asarray(actions)
    batch, length = actions.shape
    rewards = np.zeros((batch, length))
    state = model.root(observations, snapshots).state
    if root_index is not None:
        state = state[np.asarray(root_index)]
    for i in range(length):
        output, state = model.step(state, actions[:, i])
        rewards[:, i] = np.asarray(output.reward, dtype=np.float64)
    return rewards


def discounted_cumsum(rewards: np.ndarray, discount: float) -> np.ndarray:
    """``[..., L]`` -> ``[..., L]``: entry ``k-1`` is ``sum_{i<k} discount^i rewards[..., i]``."""
    powers = discount ** np.arange(rewards.shape[-1])
    return np.cumsum(rewards * powers, axis=-1)


def true_returns(simulator, snapshots: np.ndarray, actions: np.ndarray, *, discount: float) -> np.ndarray:
    """Eq. 3 for every prefix: ``[B, L]``, entry ``k-1`` = ``G_k``."""
    return discounted_cumsum(true_rewards(simulator, snapshots, actions), discount)


def predicted_returns(
    model,
    observations: np.ndarray,
    actions: np.ndarray,
    *,
    discount: float,
    snapshots=None,
    root_index: np.ndarray | None = None,
) -> np.ndarray:
    """Eq. 4 for every prefix: ``[B, L]``, entry ``k-1`` = ``Ĝ_k`` (arguments as :func:`predicted_rewards`)."""
    rewards = predicted_rewards(model, observations, actions, snapshots=snapshots, root_index=root_index)
    return discounted_cumsum(rewards, discount)
