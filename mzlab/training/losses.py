"""MuZero's training loss over an unroll of ``K`` steps (``docs/paper.md``, MuZero appendix G and pseudocode).

For ``k = 0..K``: policy cross-entropy against the stored root visit distribution, value cross-entropy against
the two-hot n-step target and, for ``k >= 1``, reward cross-entropy against the two-hot real reward. Each
unrolled step's loss (``k >= 1``) is scaled by ``1/K`` (``unroll_step_weights`` gives the other conventions);
the gradient entering each dynamics step is scaled by ``1/2`` (the paper's "scale the gradient at the start of
the dynamics function by 1/2"; ``gradient_scale_mode`` places it as the pseudocode or muzero-general do).
Per-sample losses are multiplied by the importance weights before averaging over the batch. Weight decay lives
in the optimiser.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mzlab.networks.support import scalar_to_support, support_to_scalar

__all__ = ["LossOutput", "scale_gradient", "cross_entropy", "unroll_loss", "unroll_step_weights", "moves_left",
           "DYNAMICS_GRADIENT_SCALE", "GRADIENT_SCALE_MODES", "UNROLL_LOSS_SCALES"]

DYNAMICS_GRADIENT_SCALE = 0.5
"""Factor on the gradient entering every dynamics step."""

GRADIENT_SCALE_MODES = ("dynamics_input", "pseudocode", "latent_hook")
"""Where ``DYNAMICS_GRADIENT_SCALE`` applies (``training.gradient_scale_mode``): on the latent entering every
dynamics step (``dynamics_input``), every one but the first (``pseudocode``), or on every dynamics output, which
also halves the value and policy gradients reaching ``g`` (``latent_hook``, muzero-general's hook)."""

UNROLL_LOSS_SCALES = ("fixed", "steps_left", "whole")
"""Per-step loss weights (``training.unroll_loss_scale``), see :func:`unroll_step_weights`."""


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


def moves_left(inside):
    """``min(T - t, K + 1)`` for each row of ``inside[B, K+1]`` (array or tensor: which unrolled positions lie
    in the game); enough for :func:`unroll_step_weights`, which clips at ``K``."""
    return inside.sum(1)


def unroll_step_weights(mode: str, num_unroll_steps: int, moves_left: torch.Tensor) -> torch.Tensor:
    """``[K+1, B]`` factor on each unrolled step's loss; ``moves_left[B]`` = ``T - t`` (moves from the sampled
    position to the end of its game).

    ``fixed``: 1 at ``k = 0``, ``1/K`` after (the pseudocode); ``steps_left``: 1 at ``k = 0``,
    ``1/min(K, T - t + 1)`` after (muzero-general's ``gradient_scale_batch``, whose action history counts one
    more entry than the moves); ``whole``: ``1/K`` everywhere (EfficientZero scales the total loss).
    """
    K = num_unroll_steps
    # float64 here: cast to the loss's dtype, the factors are the correctly rounded 1/K of either precision
    weights = torch.full((K + 1, len(moves_left)), 1.0 / K, dtype=torch.float64, device=moves_left.device)
    if mode == "whole":
        return weights
    if mode == "steps_left":
        weights[1:] = 1.0 / torch.clamp(moves_left.to(torch.float64) + 1.0, max=float(K))
    elif mode != "fixed":
        raise ValueError(f"unknown unroll loss scale {mode!r}; expected one of {', '.join(UNROLL_LOSS_SCALES)}")
    weights[0] = 1.0
    return weights


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
    gradient_scale_mode: str = "dynamics_input",
    step_weights: torch.Tensor | None = None,
    stacked_rewards: bool | None = None,
) -> LossOutput:
    """Loss of ``network`` unrolled from ``observations[B, ...]`` along ``actions[B, K]``.

    Targets: ``target_values[B, K+1]``, ``target_rewards[B, K+1]`` (index 0 ignored), ``target_policies[B, K+1,
    A]``; ``weights[B]`` importance weights. The network offers ``representation(observations) -> latent``,
    ``dynamics(latent, actions) -> (latent, reward_logits)`` and ``prediction(latent) -> (policy_logits,
    value_logits)`` (mzlab.networks). The prediction runs once on all ``K+1`` latents stacked along the batch
    (same result as one call per step; a network with batch norm then normalises over all unroll steps).
    ``gradient_scale_mode``: one of ``GRADIENT_SCALE_MODES``; ``step_weights``: ``[K+1, B]`` or ``[K+1, 1]``
    loss factors per step (default: the pseudocode's, ``unroll_step_weights("fixed", ...)``).

    ``stacked_rewards``: where the network splits ``g`` into ``dynamics_state`` and a row-wise ``dynamics_reward``
    (the fully connected one), run the reward head once on the ``K`` steps' inputs stacked along the batch
    instead of once per step: the same function (equal up to float rounding), fewer and larger matrix products.
    Default (``None``): stacked under ``torch.compile`` (the compiled step), per step in the eager step.
    """
    if gradient_scale_mode not in GRADIENT_SCALE_MODES:
        raise ValueError(f"unknown gradient scale mode {gradient_scale_mode!r}; expected one of "
                         f"{', '.join(GRADIENT_SCALE_MODES)}")
    num_unroll_steps = actions.shape[1]
    batch = actions.shape[0]
    if stacked_rewards is None:
        stacked_rewards = torch.compiler.is_compiling()
    stacked_rewards = stacked_rewards and hasattr(network, "dynamics_reward")
    latent = network.representation(observations)
    latents = [latent]
    rewards = []  # per step: reward logits, or with stacked_rewards the reward head's inputs
    for k in range(num_unroll_steps):
        if gradient_scale_mode == "dynamics_input" or (gradient_scale_mode == "pseudocode" and k > 0):
            latent = scale_gradient(latent, DYNAMICS_GRADIENT_SCALE)
        dynamics = network.dynamics_state if stacked_rewards else network.dynamics
        latent, step_rewards = dynamics(latent, actions[:, k])
        if gradient_scale_mode == "latent_hook":  # = a hook halving every gradient that reaches this latent
            latent = scale_gradient(latent, DYNAMICS_GRADIENT_SCALE)
        latents.append(latent)
        rewards.append(step_rewards)
    if stacked_rewards:  # [K B, ...] -> [K, B, 2S+1]
        reward_logits = network.dynamics_reward(torch.cat(rewards, dim=0)).view(num_unroll_steps, batch, -1)
    else:
        reward_logits = torch.stack(rewards)
    # f on all K+1 latents at once: [(K+1) B, ...] -> [K+1, B, ...]
    policy_logits, value_logits = network.prediction(torch.cat(latents, dim=0))
    policy_logits = policy_logits.view(num_unroll_steps + 1, batch, -1)
    value_logits = value_logits.view(num_unroll_steps + 1, batch, -1)
    if step_weights is None:
        step_scale = torch.full((num_unroll_steps + 1, 1), 1.0 / num_unroll_steps, dtype=value_logits.dtype,
                                device=value_logits.device)
        step_scale[0] = 1.0
    else:
        step_scale = step_weights.to(dtype=value_logits.dtype, device=value_logits.device)
    value_targets = scalar_to_support(target_values.T, support_size)  # [K+1, B, 2S+1]
    value_loss = (step_scale * cross_entropy(value_logits, value_targets)).sum(0)
    policy_loss = (step_scale * cross_entropy(policy_logits, target_policies.transpose(0, 1))).sum(0)
    reward_targets = scalar_to_support(target_rewards[:, 1:].T, support_size)  # [K, B, 2S+1]
    reward_loss = (step_scale[1:] * cross_entropy(reward_logits, reward_targets)).sum(0)
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
