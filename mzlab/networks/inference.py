"""What every MuZero network shares: its output record and the two inferences built from ``h``, ``g``, ``f``."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["NetworkOutput", "MuZeroNetwork"]


@dataclass(frozen=True)
class NetworkOutput:
    latent: torch.Tensor
    """``[B, ...]`` latent state after this inference."""
    reward_logits: torch.Tensor
    """``[B, 2S+1]`` logits of the reward of the transition into ``latent`` (a point mass on 0 at the root)."""
    policy_logits: torch.Tensor
    """``[B, A]`` policy prior logits at ``latent``."""
    value_logits: torch.Tensor
    """``[B, 2S+1]`` logits of the value of ``latent``."""


class MuZeroNetwork(nn.Module):
    """Base of the MuZero networks: subclasses define ``representation`` (h), ``dynamics`` (g) and
    ``prediction`` (f) and set ``support_size``; the initial and recurrent inferences follow from them."""

    support_size: int

    def initial_inference(self, observations: torch.Tensor) -> NetworkOutput:
        """``h`` then ``f`` on ``observations[B, ...]``; the root's reward is a point mass on 0."""
        latent = self.representation(observations)
        policy_logits, value_logits = self.prediction(latent)
        reward_logits = torch.zeros_like(value_logits)
        reward_logits[:, self.support_size] = 1e4
        return NetworkOutput(latent, reward_logits, policy_logits, value_logits)

    def recurrent_inference(self, latent: torch.Tensor, actions: torch.Tensor) -> NetworkOutput:
        """``g`` then ``f`` on ``latent[B, ...]`` and ``actions[B]``."""
        next_latent, reward_logits = self.dynamics(latent, actions)
        policy_logits, value_logits = self.prediction(next_latent)
        return NetworkOutput(next_latent, reward_logits, policy_logits, value_logits)
