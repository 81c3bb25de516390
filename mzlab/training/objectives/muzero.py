"""``muzero``: the paper's loss, :func:`mzlab.training.losses.unroll_loss`, unchanged (the default)."""

from __future__ import annotations

from torch import nn

from mzlab.config import ExperimentConfig
from mzlab.training.losses import LossOutput, moves_left, unroll_loss, unroll_step_weights
from mzlab.training.objectives.base import Objective, ObjectiveOutput, TrainingBatch

__all__ = ["MuZeroObjective", "OBJECTIVE", "muzero_loss", "muzero_metrics"]


def muzero_loss(network: nn.Module, batch: TrainingBatch, config: ExperimentConfig) -> LossOutput:
    """MuZero's unrolled loss of ``network`` on ``batch`` with the config's weights and conventions
    (``training.unroll_loss_scale``, ``training.gradient_scale_mode``)."""
    training = config.training
    step_weights = unroll_step_weights(training.unroll_loss_scale, batch.actions.shape[1], moves_left(batch.inside))
    return unroll_loss(
        network, batch.observations, batch.actions, batch.target_values, batch.target_rewards,
        batch.target_policies, batch.weights, value_loss_weight=training.value_loss_weight,
        support_size=config.network.support_size, gradient_scale_mode=training.gradient_scale_mode,
        step_weights=step_weights,
    )


def muzero_metrics(loss: LossOutput) -> dict:
    """The loss terms logged under ``losses/`` (total, value, reward, policy)."""
    return {"losses/total": loss.total.detach(), "losses/value": loss.value, "losses/reward": loss.reward,
            "losses/policy": loss.policy}


class MuZeroObjective(Objective):
    """Value, reward and policy along the unroll; no extra heads, no extra batch fields."""

    name = "muzero"

    def forward(self, network: nn.Module, batch: TrainingBatch, config: ExperimentConfig) -> ObjectiveOutput:
        loss = muzero_loss(network, batch, config)
        return ObjectiveOutput(loss.total, muzero_metrics(loss), loss.predicted_values)


OBJECTIVE = MuZeroObjective
