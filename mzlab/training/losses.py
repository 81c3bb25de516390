"""MuZero's training loss over an unroll of ``K`` steps (NOTES.md, MuZero appendix G and pseudocode).

For ``k = 0..K``: policy cross-entropy against the stored root visit distribution, value cross-entropy against
the two-hot n-step target and, for ``k >= 1``, reward cross-entropy against the two-hot real reward. Each
unrolled step's loss (``k >= 1``) is scaled by ``1/K``; the gradient entering each dynamics step is scaled by
``1/2`` (the paper's "scale the gradient at the start of the dynamics function by 1/2"). Per-sample losses are
multiplied by the importance weights before averaging over the batch. Weight decay lives in the optimiser.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mzlab.networks.support import scalar_to_support, support_to_scalar

__all__ = ["LossOutput", "scale_gradient", "cross_entropy", "unroll_loss", "DYNAMICS_GRADIENT_SCALE"]

DYNAMICS_GRADIENT_SCALE = 0.5
"""Factor on the gradient entering every dynamics step."""


@dataclass(frozen=True)
class LossOutput:
    total: torch.Tensor
    """Scalar loss to minimise (importance-weighted batch mean)."""
    value: torch.Tensor
    """Scalar, unweighted batch mean of the (scaled) value loss summed over the unroll."""
    reward: torch.Tensor
    """Scalar, as ``value`` for the reward loss."""
    policy: torch.Tensor
    """Scalar, as ``value`` for the policy loss."""
    predicted_values: torch.Tensor
    """``[B, K+1]`` scalar value predictions along the unroll (detached), for new priorities."""


def scale_gradient(tensor: torch.Tensor, scale: float) -> torch.Tensor:
    """Identity in the forward pass; multiplies the gradient by ``scale`` in the backward pass."""
    return tensor * scale + tensor.detach() * (1.0 - scale)


def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``[B]`` cross-entropy of ``logits[B, C]`` against target distributions ``target[B, C]``."""
    return -(target * torch.log_softmax(logits, dim=-1)).sum(-1)


def unroll_loss(
    network: torch.nn.Module,
    observations: torch.Tensor,
    actions: torch.Tensor,
    target_values: torch.Tensor,
    target_rewards: torch.Tensor,
    target_policies: torch.Tensor,
    weights: torch.Tensor,
    *,
    value_loss_weight: float,
    support_size: int,
) -> LossOutput:
    """Loss of ``network`` unrolled from ``observations[B, ...]`` along ``actions[B, K]``.

    Targets: ``target_values[B, K+1]``, ``target_rewards[B, K+1]`` (index 0 ignored), ``target_policies[B, K+1,
    A]``; ``weights[B]`` importance weights. The network offers ``initial_inference(observations)`` and
    ``recurrent_inference(latent, actions)`` returning ``latent``, ``reward_logits``, ``policy_logits`` and
    ``value_logits``.
    """
    num_unroll_steps = actions.shape[1]
    value_targets = scalar_to_support(target_values, support_size)
    reward_targets = scalar_to_support(target_rewards, support_size)
    output = network.initial_inference(observations)
    value_loss = cross_entropy(output.value_logits, value_targets[:, 0])
    reward_loss = torch.zeros_like(value_loss)
    policy_loss = cross_entropy(output.policy_logits, target_policies[:, 0])
    predicted = [output.value_logits]
    latent = output.latent
    for k in range(1, num_unroll_steps + 1):
        output = network.recurrent_inference(scale_gradient(latent, DYNAMICS_GRADIENT_SCALE), actions[:, k - 1])
        latent = output.latent
        scale = 1.0 / num_unroll_steps
        value_loss = value_loss + scale * cross_entropy(output.value_logits, value_targets[:, k])
        reward_loss = reward_loss + scale * cross_entropy(output.reward_logits, reward_targets[:, k])
        policy_loss = policy_loss + scale * cross_entropy(output.policy_logits, target_policies[:, k])
        predicted.append(output.value_logits)
    per_sample = value_loss_weight * value_loss + reward_loss + policy_loss
    with torch.no_grad():
        predicted_values = support_to_scalar(torch.stack(predicted, dim=1), support_size)
    return LossOutput(
        total=(weights * per_sample).mean(),
        value=value_loss.mean().detach(),
        reward=reward_loss.mean().detach(),
        policy=policy_loss.mean().detach(),
        predicted_values=predicted_values,
    )
