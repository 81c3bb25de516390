"""``consistency``: MuZero's loss plus EfficientZero's self-predictive consistency loss (Ye et al. 2021).

For every unrolled step ``k = 1..K``, the dynamics latent ``s_k`` goes through a projection and a predictor
head; the real observation ``o_{t+k}`` goes through the representation and the same projection with no
gradient (stop-gradient target, as SimSiam). The loss is the negative cosine similarity of the two, zero
where ``t + k`` is past the stored game, scaled by ``1/K`` like the other unrolled terms (EfficientZero scales
its whole loss's gradient by ``1/K``), weighted by ``training.consistency_weight`` (EfficientZero's
``consistency_coeff`` = LightZero's ``ssl_loss_weight`` = 2) and by the importance weights.

Heads as EfficientZero's ``projection`` and ``projection_head`` (LightZero's ``prediction_head``): three linear
layers with batch norm (ReLU after the first two) to ``consistency_projection_size``, then linear-BN-ReLU to
``consistency_predictor_hidden_size`` and linear back. Each step is projected on its own (batch norm per step,
as EfficientZero calls ``project`` once per step).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional

from mzlab.config import ExperimentConfig
from mzlab.training.objectives.base import (
    UNROLL_OBSERVATIONS,
    Objective,
    ObjectiveOutput,
    TrainingBatch,
    latent_size,
    require_unroll_observations,
)
from mzlab.training.objectives.muzero import muzero_loss, muzero_metrics

__all__ = ["ConsistencyObjective", "OBJECTIVE", "negative_cosine_similarity", "COSINE_EPSILON"]

COSINE_EPSILON = 1e-5
"""Smallest norm in the normalisation (EfficientZero's ``F.normalize(..., eps=1e-5)``)."""


def negative_cosine_similarity(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """``[B]`` minus the cosine of the rows of ``first[B, D]`` and ``second[B, D]``."""
    first = functional.normalize(first, p=2.0, dim=-1, eps=COSINE_EPSILON)
    second = functional.normalize(second, p=2.0, dim=-1, eps=COSINE_EPSILON)
    return -(first * second).sum(dim=-1)


class ConsistencyObjective(Objective):
    name = "consistency"
    batch_fields = frozenset({UNROLL_OBSERVATIONS})

    def __init__(self, config: ExperimentConfig, network: nn.Module):
        super().__init__(config, network)
        size = latent_size(network)
        width = config.training.consistency_projection_size
        hidden = config.training.consistency_predictor_hidden_size
        self.projection = nn.Sequential(
            nn.Linear(size, width), nn.BatchNorm1d(width), nn.ReLU(),
            nn.Linear(width, width), nn.BatchNorm1d(width), nn.ReLU(),
            nn.Linear(width, width), nn.BatchNorm1d(width),
        )
        self.predictor = nn.Sequential(
            nn.Linear(width, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, width),
        )

    def forward(self, network: nn.Module, batch: TrainingBatch, config: ExperimentConfig) -> ObjectiveOutput:
        observations = require_unroll_observations(batch, self.name)
        loss = muzero_loss(network, batch, config)
        num_unroll_steps = batch.actions.shape[1]
        steps = []
        for k in range(1, num_unroll_steps + 1):
            online = self.predictor(self.projection(loss.latents[k].flatten(1)))
            with torch.no_grad():
                target = self.projection(network.representation(observations[:, k]).flatten(1))
            steps.append(negative_cosine_similarity(online, target))
        inside = batch.inside[:, 1:].to(loss.total.dtype)
        consistency = (torch.stack(steps, dim=1) * inside).sum(dim=1) / num_unroll_steps  # [B]
        total = loss.total + config.training.consistency_weight * (batch.weights * consistency).mean()
        metrics = dict(muzero_metrics(loss), **{"losses/total": total.detach(),
                                                "losses/consistency": consistency.mean().detach()})
        return ObjectiveOutput(total, metrics, loss.predicted_values)


OBJECTIVE = ConsistencyObjective
