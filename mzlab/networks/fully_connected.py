"""Fully connected MuZero network for vector observations (the paper's Cart Pole and Lunar Lander agents).

Mirrors the fully connected network of the implementation the paper trained with: representation ``h``,
dynamics ``g`` (latent + one-hot action -> next latent, reward logits) and prediction ``f`` (policy logits,
value logits); latents are min-max scaled to [0, 1] per sample after ``h`` and after each ``g``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from mzlab.config import NetworkConfig
from mzlab.networks.inference import MuZeroNetwork, NetworkOutput

__all__ = ["NetworkOutput", "FullyConnectedMuZero", "scale_latent", "mlp", "run_mlp", "build_fully_connected"]


def mlp(input_size: int, hidden: tuple[int, ...], output_size: int) -> nn.Sequential:
    """Linear layers with ELU between them and none after the last."""
    sizes = (input_size, *hidden, output_size)
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ELU())
    return nn.Sequential(*layers)


def scale_latent(latent: torch.Tensor) -> torch.Tensor:
    """Min-max scale each row of ``latent[B, D]`` to [0, 1] (a constant row maps to 0).

    Under ``torch.compile`` the row extremes come from ``amin``/``amax``: the same values, and a gradient that
    is elementwise (it fuses into the compiled kernels) where ``min``/``max``'s is a scatter; the two gradients
    differ only where a row's extreme is tied (``amax`` shares it among the tied entries)."""
    if torch.compiler.is_compiling():
        low = latent.amin(dim=1, keepdim=True)
        high = latent.amax(dim=1, keepdim=True)
    else:
        low = latent.min(dim=1, keepdim=True).values
        high = latent.max(dim=1, keepdim=True).values
    scale = high - low
    scale = torch.where(scale < 1e-5, scale + 1e-5, scale)
    return (latent - low) / scale


def _compiled_linear(layer: nn.Linear, x: torch.Tensor) -> torch.Tensor:
    """``layer(x)``; a widening layer (``in < out``, e.g. a head reading the latent of 8-10 values) reads ``x``
    column-major and its weight transposed, so that the gradient's matrix products come out wide (``[in, N]``,
    ``[in, out]``) instead of narrow (``[N, in]``, ``[out, in]``): 2-3x faster on CPU for these shapes."""
    if layer.in_features < layer.out_features and layer.bias is not None:
        return torch.addmm(layer.bias, x.t().contiguous().t(), layer.weight.t().contiguous())
    return layer(x)


def run_mlp(net: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """``net(x)``; under ``torch.compile`` with the memory layouts of :func:`_compiled_linear` (same function)."""
    if not torch.compiler.is_compiling():
        return net(x)
    for module in net:
        x = _compiled_linear(module, x) if isinstance(module, nn.Linear) else module(x)
    return x


class FullyConnectedMuZero(MuZeroNetwork):
    """MuZero's ``h``, ``g`` and ``f`` as small multilayer perceptrons."""

    def __init__(self, observation_size: int, num_actions: int, config: NetworkConfig):
        super().__init__()
        self.num_actions = num_actions
        self.support_size = config.support_size
        self.state_norm = config.state_norm
        full_support = 2 * config.support_size + 1
        hidden = tuple(config.hidden_layers)
        self.representation_net = mlp(observation_size, tuple(config.representation_layers), config.encoding_size)
        self.dynamics_state_net = mlp(config.encoding_size + num_actions, hidden, config.encoding_size)
        self.dynamics_reward_net = mlp(config.encoding_size, hidden, full_support)
        self.prediction_policy_net = mlp(config.encoding_size, hidden, num_actions)
        self.prediction_value_net = mlp(config.encoding_size, hidden, full_support)

    def representation(self, observations: torch.Tensor) -> torch.Tensor:
        """``h``: ``observations[B, ...]`` -> scaled latents ``[B, D]``."""
        latent = run_mlp(self.representation_net, observations.flatten(1))
        return scale_latent(latent) if self.state_norm else latent

    def dynamics(self, latent: torch.Tensor, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``g``: ``(latent[B, D], actions[B])`` -> (next scaled latent ``[B, D]``, reward logits ``[B, 2S+1]``)."""
        latent, reward_input = self.dynamics_state(latent, actions)
        return latent, self.dynamics_reward(reward_input)

    def dynamics_state(self, latent: torch.Tensor, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``g``'s state half: (next scaled latent ``[B, D]``, what its reward head reads: the unscaled latent, as
        the reference)."""
        one_hot = torch.nn.functional.one_hot(actions.long(), self.num_actions).to(latent.dtype)
        raw = run_mlp(self.dynamics_state_net, torch.cat([latent, one_hot], dim=1))
        return (scale_latent(raw) if self.state_norm else raw), raw

    def dynamics_reward(self, reward_input: torch.Tensor) -> torch.Tensor:
        """``g``'s reward head: reward logits ``[N, 2S+1]`` from ``dynamics_state``'s second output ``[N, D]``. Row
        by row (no batch statistics), so the unroll may run it once on all its steps stacked."""
        return run_mlp(self.dynamics_reward_net, reward_input)

    def prediction(self, latent: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``f``: ``latent[B, D]`` -> (policy logits ``[B, A]``, value logits ``[B, 2S+1]``)."""
        return run_mlp(self.prediction_policy_net, latent), run_mlp(self.prediction_value_net, latent)


def build_fully_connected(observation_shape: tuple[int, ...], num_actions: int,
                          config: NetworkConfig) -> FullyConnectedMuZero:
    """Registry builder of ``network.kind=fully_connected`` (any observation shape, flattened)."""
    return FullyConnectedMuZero(math.prod(observation_shape), num_actions, config)
