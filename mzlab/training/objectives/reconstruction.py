"""``reconstruction``: MuZero's loss plus a decoder from every unrolled latent back to the real observation.

As the decoder study of Guei et al. (2024, "Demystifying MuZero Planning"), which adds a decoder network that
maps the latent states ``s_{t+k}`` of the unroll to the observations ``o_{t+k}``: for ``k = 0..K`` a fully
connected decoder (``training.reconstruction_decoder_layers``, ELU between layers) reads the flattened
latent and outputs the flattened observation; the loss is the mean squared error over the observation's
values (uint8 frames scaled by 1/255, as the network sees them), zero past the stored game, with the step
factors of MuZero's loss (1 at ``k = 0``, ``1/K`` after), weighted by ``training.reconstruction_weight``
and by the importance weights.

``training.reconstruction_mode``: ``joint`` lets the decoder's gradient into ``h`` and ``g`` (the model is
shaped by reconstruction); ``probe`` detaches the latents, so the agent trains exactly as ``muzero`` and the
decoder only reads out what its latents hold.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from mzlab.config import ExperimentConfig
from mzlab.networks.fully_connected import mlp
from mzlab.training.objectives.base import (
    UNROLL_OBSERVATIONS,
    Objective,
    ObjectiveOutput,
    TrainingBatch,
    latent_size,
    observation_targets,
    require_unroll_observations,
    unroll_step_scale,
)
from mzlab.training.objectives.muzero import muzero_loss, muzero_metrics

__all__ = ["ReconstructionObjective", "OBJECTIVE"]


class ReconstructionObjective(Objective):
    name = "reconstruction"
    batch_fields = frozenset({UNROLL_OBSERVATIONS})

    def __init__(self, config: ExperimentConfig, network: nn.Module):
        super().__init__(config, network)
        self.decoder = mlp(latent_size(network), tuple(config.training.reconstruction_decoder_layers),
                           math.prod(network.observation_shape))

    def forward(self, network: nn.Module, batch: TrainingBatch, config: ExperimentConfig) -> ObjectiveOutput:
        observations = require_unroll_observations(batch, self.name)
        loss = muzero_loss(network, batch, config)
        latents = torch.stack(loss.latents)  # [K+1, B, ...]
        if config.training.reconstruction_mode == "probe":
            latents = latents.detach()
        dtype = loss.total.dtype
        decoded = self.decoder(latents.flatten(2))  # [K+1, B, O]
        targets = observation_targets(observations, dtype).flatten(2).transpose(0, 1)  # [K+1, B, O]
        errors = ((decoded - targets) ** 2).mean(dim=-1)  # [K+1, B]
        scale = unroll_step_scale(len(latents) - 1, dtype, errors.device)
        reconstruction = (scale[:, None] * errors * batch.inside.T.to(dtype)).sum(dim=0)  # [B]
        total = loss.total + config.training.reconstruction_weight * (batch.weights * reconstruction).mean()
        metrics = dict(muzero_metrics(loss), **{"losses/total": total.detach(),
                                                "losses/reconstruction": reconstruction.mean().detach()})
        return ObjectiveOutput(total, metrics, loss.predicted_values)


OBJECTIVE = ReconstructionObjective
