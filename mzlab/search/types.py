"""The one model contract that the search talks to (the shape of mctx's ``RootFnOutput``/``recurrent_fn``).

Both the learned MuZero model and the ground-truth simulator implement :class:`Model`, so the search never
knows which one it plans with. All arrays are numpy, batch first; ``state`` is whatever the model keeps per
node (a latent array ``[B, D]``, or a batch of simulator snapshots) and must support numpy fancy indexing on
its first axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

__all__ = ["RootOutput", "StepOutput", "Model"]


@dataclass(frozen=True)
class RootOutput:
    prior_logits: np.ndarray
    """``[B, A]`` float, policy prior logits at the root."""
    value: np.ndarray
    """``[B]`` float, value estimate of the root."""
    state: object
    """Batch-first per-root model state (latents ``[B, D]`` or snapshots ``[B]``)."""


@dataclass(frozen=True)
class StepOutput:
    reward: np.ndarray
    """``[B]`` float, reward of the transition."""
    discount: np.ndarray
    """``[B]`` float, gamma, or 0 once the episode has terminated (absorbing)."""
    prior_logits: np.ndarray
    """``[B, A]`` float, prior logits at the new node."""
    value: np.ndarray
    """``[B]`` float, value estimate of the new node (0 after termination)."""


class Model(Protocol):
    """A batched model of the environment: what the search plans with."""

    num_actions: int
    discount: float

    def root(self, observations: np.ndarray, snapshots: np.ndarray | None = None) -> RootOutput:
        """Root states with prior and value for ``observations[B, ...]``.

        Callers pass the simulator ``snapshots[B]`` of the same states too: the learned model reads only the
        observations, the ground-truth model needs the snapshots.
        """
        ...

    def step(self, state: object, actions: np.ndarray) -> tuple[StepOutput, object]:
        """Advance ``state`` (batch ``B``) by ``actions[B]``; return the step output and the next state."""
        ...

    # Optional: ``rollout_step(state, actions) -> (reward[B], discount[B], next_state)``, the same transition
    # without prior and value; random-rollout leaves use it when a model has it (``TrueModel`` does).
    # Optional: ``fused_root(observations, snapshots) -> (RootOutput, mzlab.search.fused.FusedStep) | None``,
    # the root plus the arguments of a numba step the whole search can run in one call (``search.kernel=auto``,
    # pUCT, value leaves; ``LearnedModel`` offers it for its CPU fully connected fast path).
