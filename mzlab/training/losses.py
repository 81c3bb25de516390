"""MuZero's training loss over an unroll of ``K`` steps (``docs/paper.md``, MuZero appendix G and pseudocode).

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
    latents: tuple[torch.Tensor, ...] = ()
    """The ``K+1`` latents ``s_0 .. s_K`` of the unroll (not detached), for objectives that add a loss on them."""


def scale_gradient(tensor: torch.Tensor, scale: float) -> torch.Tensor:
    """Identity in the forward pass; multiplies the gradient by ``scale`` in the backward pass."""
    return tensor * scale + tensor.detach() * (1.0 - scale)


def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``[...]`` cross-entropy of ``logits[..., C]`` against target distributions ``target[..., C]``."""
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
    A]``; ``weights[B]`` importance weights. The network offers ``representation(observations) -> latent``,
    ``dynamics(latent, actions) -> (latent, reward_logits)`` and ``prediction(latent) -> (policy_logits,
    value_logits)`` (mzlab.networks). The prediction runs once on all ``K+1`` latents stacked along the batch
    (same result as one call per step; a network with batch norm then normalises over all unroll steps).
    """
    num_unroll_steps = actions.shape[1]
    batch = actions.shape[0]
    latent = network.representation(observations)
    latents = [latent]
    reward_logits = []
    for k in range(num_unroll_steps):
        latent, rewards = network.dynamics(scale_gradient(latent, DYNAMICS_GRADIENT_SCALE), actions[:, k])
        latents.append(latent)
        reward_logits.append(rewards)
    # f on all K+1 latents at once: [(K+1) B, ...] -> [K+1, B, ...]
    policy_logits, value_logits = network.prediction(torch.cat(latents, dim=0))
    policy_logits = policy_logits.view(num_unroll_steps + 1, batch, -1)
    value_logits = value_logits.view(num_unroll_steps + 1, batch, -1)
    step_scale = torch.full((num_unroll_steps + 1, 1), 1.0 / num_unroll_steps, dtype=value_logits.dtype,
                            device=value_logits.device)
    step_scale[0] = 1.0
    value_targets = scalar_to_support(target_values.T, support_size)  # [K+1, B, 2S+1]
    value_loss = (step_scale * cross_entropy(value_logits, value_targets)).sum(0)
    policy_loss = (step_scale * cross_entropy(policy_logits, target_policies.transpose(0, 1))).sum(0)
    reward_targets = scalar_to_support(target_rewards[:, 1:].T, support_size)  # [K, B, 2S+1]
    reward_loss = (step_scale[1:] * cross_entropy(torch.stack(reward_logits), reward_targets)).sum(0)
    per_sample = value_loss_weight * value_loss + reward_loss + policy_loss
    with torch.no_grad():
        predicted_values = support_to_scalar(value_logits.detach(), support_size).T
    return LossOutput(
        total=(weights * per_sample).mean(),
        value=value_loss.mean().detach(),
        reward=reward_loss.mean().detach(),
        policy=policy_loss.mean().detach(),
        predicted_values=predicted_values,
        latents=tuple(latents),
    )
