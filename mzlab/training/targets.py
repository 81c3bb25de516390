"""Training targets of MuZero: n-step value targets and the absorbing state past the episode end.

A stored game of ``T`` moves holds, for ``t = 0..T-1``: the observation ``o_t``, the action ``a_t``, the reward
``u_{t+1}`` of that action (stored at index ``t``), the search root value ``nu_t`` and the root visit
distribution ``pi_t``. The n-step value target (``docs/paper.md``) is

    z_t = sum_{i<n} gamma^i u_{t+i+1} + gamma^n nu_{t+n},

where rewards past the end are 0 and ``nu_{t+n}`` is 0 when ``t + n >= T`` (the episode has ended: absorbing
state). Unrolled targets past the end (``t + k >= T``): value 0, reward 0, uniform policy, random action.
"""

from __future__ import annotations

import numpy as np

__all__ = ["n_step_value_targets", "unroll_indices"]


def n_step_value_targets(
    rewards: np.ndarray, root_values: np.ndarray, *, discount: float, td_steps: int
) -> np.ndarray:
    """Value targets ``z[T]`` of one game from ``rewards[T]`` (``u_{t+1}`` at ``t``) and ``root_values[T]``."""
    rewards = np.asarray(rewards, dtype=np.float64)
    root_values = np.asarray(root_values, dtype=np.float64)
    length = len(rewards)
    powers = discount ** np.arange(td_steps, dtype=np.float64)
    padded = np.concatenate([rewards, np.zeros(td_steps)])
    # targets[t] = sum_i powers[i] * padded[t + i] for t = 0..T-1
    windows = np.lib.stride_tricks.sliding_window_view(padded, td_steps)[:length]
    targets = windows @ powers
    bootstrap = np.arange(length) + td_steps
    inside = bootstrap < length
    targets[inside] += discount**td_steps * root_values[bootstrap[inside]]
    return targets


def unroll_indices(
    positions: np.ndarray, game_lengths: np.ndarray, *, num_unroll_steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Game positions ``t + k`` for ``k = 0..K`` and whether each lies inside its game.

    ``positions[B]`` and ``game_lengths[B]`` -> ``(indices[B, K+1], inside[B, K+1])``; indices past the end are
    clamped to the last move so they can be gathered safely (callers overwrite them by the absorbing targets).
    """
    offsets = np.arange(num_unroll_steps + 1)
    indices = positions[:, None] + offsets[None, :]
    inside = indices < game_lengths[:, None]
    return np.minimum(indices, game_lengths[:, None] - 1), inside
