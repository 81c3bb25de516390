"""What every training objective shares: the batch it reads, what it returns, and the base class.

An objective is the acme ``LossFn`` idea for MuZero: ``objective(network, batch, config) -> ObjectiveOutput``
(total loss, a metrics dict, the predicted values the learner needs for new priorities). It is an
``nn.Module`` so that the extra heads it owns (projection, predictor, decoder) are trained by the learner's
optimiser and saved with the checkpoint under the ``objective.`` prefix; the network's ``h``, ``g``, ``f``
stay exactly as the analysis reads them. ``batch_fields`` names the optional replay fields it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from mzlab.config import ExperimentConfig
from mzlab.networks.inputs import observations_to_tensor

__all__ = ["Objective", "ObjectiveOutput", "TrainingBatch", "UNROLL_OBSERVATIONS", "unroll_step_scale", "latent_size",
           "require_unroll_observations",
           "observation_targets"]

UNROLL_OBSERVATIONS = "unroll_observations"
"""Optional batch field: the real observations ``o_{t+k}`` at every unroll step, ``[B, K+1, ...]``."""


@dataclass(frozen=True)
class TrainingBatch:
    """A replay batch as tensors on the learner's device (see :class:`mzlab.training.replay.Batch`)."""

    observations: torch.Tensor
    """``[B, ...]`` first observations ``o_t`` (uint8 frames stay uint8)."""
    actions: torch.Tensor
    """``[B, K]`` int64."""
    target_values: torch.Tensor
    """``[B, K+1]``."""
    target_rewards: torch.Tensor
    """``[B, K+1]`` (index 0 unused)."""
    target_policies: torch.Tensor
    """``[B, K+1, A]``."""
    weights: torch.Tensor
    """``[B]`` importance weights."""
    inside: torch.Tensor
    """``[B, K+1]`` bool: position ``t + k`` lies inside its game (its observation is stored)."""
    unroll_observations: torch.Tensor | None = None
    """``[B, K+1, ...]`` observations ``o_{t+k}`` (zeros where not ``inside``), only when an objective asks."""

    @classmethod
    def from_replay(cls, batch, device: torch.device | str, dtype: torch.dtype = torch.float32) -> TrainingBatch:
        """Convert a replay ``Batch`` with the same observation conversion acting uses."""
        unroll = getattr(batch, UNROLL_OBSERVATIONS, None)
        return cls(
            observations=observations_to_tensor(batch.observations, device),
            actions=torch.as_tensor(batch.actions, dtype=torch.long, device=device),
            target_values=torch.as_tensor(batch.target_values, dtype=dtype, device=device),
            target_rewards=torch.as_tensor(batch.target_rewards, dtype=dtype, device=device),
            target_policies=torch.as_tensor(batch.target_policies, dtype=dtype, device=device),
            weights=torch.as_tensor(batch.weights, dtype=dtype, device=device),
            inside=torch.as_tensor(np.asarray(batch.inside), dtype=torch.bool, device=device),
            unroll_observations=None if unroll is None else observations_to_tensor(unroll, device),
        )


@dataclass(frozen=True)
class ObjectiveOutput:
    total: torch.Tensor
    """Scalar loss to minimise (importance-weighted batch mean)."""
    metrics: dict[str, torch.Tensor]
    """Scalars to log (``losses/<name>``); the learner logs every entry."""
    predicted_values: torch.Tensor
    """``[B, K+1]`` detached scalar value predictions along the unroll, for new priorities."""


class Objective(nn.Module):
    """Base of the training objectives; a subclass sets ``name`` (its file name), ``batch_fields`` and
    implements :meth:`forward`. Constructed as ``cls(config, network)`` after the network exists."""

    name: ClassVar[str] = ""
    batch_fields: ClassVar[frozenset[str]] = frozenset()
    """Optional replay fields this objective reads (e.g. ``{UNROLL_OBSERVATIONS}``)."""

    def __init__(self, config: ExperimentConfig, network: nn.Module):
        super().__init__()

    def forward(self, network: nn.Module, batch: TrainingBatch, config: ExperimentConfig) -> ObjectiveOutput:
        raise NotImplementedError


def unroll_step_scale(num_unroll_steps: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """``[K+1]`` factors of each unroll step's loss: 1 at ``k = 0``, ``1/K`` after (as MuZero's loss)."""
    scale = torch.full((num_unroll_steps + 1,), 1.0 / num_unroll_steps, dtype=dtype, device=device)
    scale[0] = 1.0
    return scale


def observation_targets(observations: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Observations as the network sees them: uint8 frames scaled by 1/255, anything else as given."""
    if observations.dtype == torch.uint8:
        return observations.to(dtype) / 255.0
    return observations.to(dtype)


def latent_size(network: nn.Module) -> int:
    """Number of values of one latent state of ``network`` (``h`` run once on a zero observation, eval mode)."""
    training = network.training
    network.eval()
    try:
        with torch.no_grad():
            parameter = next(network.parameters())
            zeros = torch.zeros((1, *network.observation_shape), dtype=parameter.dtype, device=parameter.device)
            size = int(network.representation(zeros).flatten(1).shape[1])
    finally:
        network.train(training)
    return size


def require_unroll_observations(batch: TrainingBatch, objective: str) -> torch.Tensor:
    """``batch.unroll_observations``, or MzlabError when the batch was sampled without them."""
    if batch.unroll_observations is None:
        from mzlab.errors import MzlabError

        raise MzlabError(f"objective {objective!r} needs the observations of every unroll step; sample the batch "
                         f"with fields={{{UNROLL_OBSERVATIONS!r}}}")
    return batch.unroll_observations
