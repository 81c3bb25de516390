"""Residual MuZero network for Atari frames, as EfficientZero's code builds MuZero, without its extra losses.

Follows EfficientZero's ``config/atari/model.py`` (Ye et al. 2021) with the parts that are not MuZero removed:
no projection / self-supervised consistency heads and no value-prefix LSTM (the dynamics predicts the reward of
one transition, as in MuZero). What is kept:

- Representation ``h``: with ``downsample``, a strided conv + residual blocks + average pooling that take 96x96
  frames to 6x6 (each of the four stages halves the size, rounding up); otherwise one 3x3 conv at full size.
  Then ``num_blocks`` residual blocks with ``num_channels`` channels.
- Dynamics ``g``: the action enters as one constant plane of value ``a / A``; a 3x3 conv back to
  ``num_channels`` with a skip connection from the latent, then residual blocks; the reward head (1x1 conv to
  ``reduced_channels``, batch norm, ReLU, a fully connected net) reads the latent before scaling.
- Prediction ``f``: residual blocks, then policy and value heads built like the reward head.
- Latents are min-max scaled to [0, 1] per sample (over channels and positions) after ``h`` and each ``g``
  (``network.state_norm``; EfficientZero's Atari agent runs with ``state_norm=False``: no scaling).
- The last layer of every head starts at zero (uniform policy, value and reward 0), as EfficientZero's
  ``init_zero``. uint8 observations are scaled to [0, 1] by 1/255; float observations are used as given.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional

from mzlab.config import NetworkConfig
from mzlab.errors import MzlabError
from mzlab.networks.fully_connected import scale_latent
from mzlab.networks.inference import MuZeroNetwork

__all__ = ["ResidualMuZero", "ResidualBlock", "DownSample", "downsampled_size", "build_resnet"]


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False)


def downsampled_size(size: int) -> int:
    """Height or width after :class:`DownSample`: four halvings rounding up (96 -> 48 -> 24 -> 12 -> 6)."""
    for _ in range(4):
        size = (size + 1) // 2
    return size


class ResidualBlock(nn.Module):
    """conv-BN-ReLU-conv-BN plus the (optionally strided, projected) input, then ReLU."""

    def __init__(self, in_channels: int, out_channels: int, *, stride: int = 1, momentum: float = 0.1):
        super().__init__()
        self.conv1 = conv3x3(in_channels, out_channels, stride)
        self.bn1 = nn.BatchNorm2d(out_channels, momentum=momentum)
        self.conv2 = conv3x3(out_channels, out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels, momentum=momentum)
        projected = stride != 1 or in_channels != out_channels
        self.shortcut = conv3x3(in_channels, out_channels, stride) if projected else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = functional.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.shortcut is None else self.shortcut(x)
        return functional.relu(out + identity)


class DownSample(nn.Module):
    """EfficientZero's downsampling stem: ``[B, C_in, H, W]`` -> ``[B, C_out, ceil(H/16), ceil(W/16)]``."""

    def __init__(self, in_channels: int, out_channels: int, *, momentum: float = 0.1):
        super().__init__()
        half = out_channels // 2
        self.conv1 = conv3x3(in_channels, half, stride=2)
        self.bn1 = nn.BatchNorm2d(half, momentum=momentum)
        self.block1 = ResidualBlock(half, half, momentum=momentum)
        self.downsample_block = ResidualBlock(half, out_channels, stride=2, momentum=momentum)
        self.block2 = ResidualBlock(out_channels, out_channels, momentum=momentum)
        self.pool1 = nn.AvgPool2d(kernel_size=3, stride=2, padding=1)
        self.block3 = ResidualBlock(out_channels, out_channels, momentum=momentum)
        self.pool2 = nn.AvgPool2d(kernel_size=3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = functional.relu(self.bn1(self.conv1(x)))
        x = self.downsample_block(self.block1(x))
        x = self.pool1(self.block2(x))
        return self.pool2(self.block3(x))


def head_mlp(input_size: int, hidden: tuple[int, ...], output_size: int, *, momentum: float) -> nn.Sequential:
    """Linear-BN-ReLU hidden layers, then a zero-initialised linear output (EfficientZero's ``mlp``)."""
    layers: list[nn.Module] = []
    size = input_size
    for width in hidden:
        layers += [nn.Linear(size, width), nn.BatchNorm1d(width, momentum=momentum), nn.ReLU()]
        size = width
    output = nn.Linear(size, output_size)
    nn.init.zeros_(output.weight)
    nn.init.zeros_(output.bias)
    layers.append(output)
    return nn.Sequential(*layers)


class ConvHead(nn.Module):
    """1x1 conv to ``reduced_channels``, BN, ReLU, flatten, :func:`head_mlp`: ``[B, C, H, W]`` -> ``[B, out]``."""

    def __init__(
        self, channels: int, spatial: int, reduced_channels: int, hidden: tuple[int, ...], out: int, momentum: float
    ):
        super().__init__()
        self.conv = nn.Conv2d(channels, reduced_channels, kernel_size=1)
        self.bn = nn.BatchNorm2d(reduced_channels, momentum=momentum)
        self.fc = head_mlp(reduced_channels * spatial, hidden, out, momentum=momentum)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(functional.relu(self.bn(self.conv(x))).flatten(1))


class ResidualMuZero(MuZeroNetwork):
    """MuZero's ``h``, ``g`` and ``f`` as residual conv nets; same interface as ``FullyConnectedMuZero``.

    Latents are ``[B, C, H', W']`` with ``(C, H', W') = self.latent_shape``.
    """

    def __init__(
        self,
        observation_shape: tuple[int, ...],
        num_actions: int,
        config: NetworkConfig,
        *,
        reduced_channels: int = 16,
        head_layers: tuple[int, ...] = (32,),
        momentum: float = 0.1,
    ):
        super().__init__()
        if len(observation_shape) < 3:
            raise ValueError(f"ResidualMuZero needs observations [..., H, W] with channels, got {observation_shape}")
        self.num_actions = num_actions
        self.support_size = config.support_size
        self.state_norm = config.state_norm
        self.observation_shape = tuple(observation_shape)
        in_channels = math.prod(observation_shape[:-2])
        height, width = observation_shape[-2:]
        channels = config.num_channels
        if config.downsample:
            height, width = downsampled_size(height), downsampled_size(width)
            self.stem: nn.Module = DownSample(in_channels, channels, momentum=momentum)
        else:
            self.stem = nn.Sequential(
                conv3x3(in_channels, channels), nn.BatchNorm2d(channels, momentum=momentum), nn.ReLU()
            )
        self.latent_shape = (channels, height, width)
        spatial = height * width
        full_support = 2 * config.support_size + 1

        def blocks() -> nn.Sequential:
            return nn.Sequential(
                *[ResidualBlock(channels, channels, momentum=momentum) for _ in range(config.num_blocks)]
            )

        self.representation_blocks = blocks()
        self.dynamics_conv = conv3x3(channels + 1, channels)
        self.dynamics_bn = nn.BatchNorm2d(channels, momentum=momentum)
        self.dynamics_blocks = blocks()
        self.reward_head = ConvHead(channels, spatial, reduced_channels, head_layers, full_support, momentum)
        self.prediction_blocks = blocks()
        self.value_head = ConvHead(channels, spatial, reduced_channels, head_layers, full_support, momentum)
        self.policy_head = ConvHead(channels, spatial, reduced_channels, head_layers, num_actions, momentum)

    def _scale(self, latent: torch.Tensor) -> torch.Tensor:
        """Min-max scale each sample of ``latent[B, C, H, W]`` to [0, 1] over all its entries (if ``state_norm``)."""
        return scale_latent(latent.flatten(1)).view_as(latent) if self.state_norm else latent

    def representation(self, observations: torch.Tensor) -> torch.Tensor:
        """``h``: ``observations[B, *observation_shape]`` (uint8 or float) -> scaled latents ``[B, C, H', W']``."""
        if observations.dtype == torch.uint8:
            observations = observations.float() / 255.0
        x = observations.reshape(observations.shape[0], -1, *observations.shape[-2:])
        return self._scale(self.representation_blocks(self.stem(x)))

    def dynamics(self, latent: torch.Tensor, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``g``: ``(latent[B, C, H, W], actions[B])`` -> (next scaled latent, reward logits ``[B, 2S+1]``)."""
        actions = actions.to(device=latent.device, dtype=latent.dtype)
        plane = (actions / self.num_actions).view(-1, 1, 1, 1).expand(-1, 1, *latent.shape[2:])
        x = self.dynamics_bn(self.dynamics_conv(torch.cat([latent, plane], dim=1)))
        raw = self.dynamics_blocks(functional.relu(x + latent))
        return self._scale(raw), self.reward_head(raw)  # reward from the unscaled latent, as EfficientZero

    def prediction(self, latent: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``f``: ``latent[B, C, H, W]`` -> (policy logits ``[B, A]``, value logits ``[B, 2S+1]``)."""
        x = self.prediction_blocks(latent)
        return self.policy_head(x), self.value_head(x)


def build_resnet(observation_shape: tuple[int, ...], num_actions: int, config: NetworkConfig) -> ResidualMuZero:
    """Registry builder of ``network.kind=resnet``; needs image observations ``[C, H, W]`` (or stacked)."""
    if len(observation_shape) < 3:
        raise MzlabError(
            f"config key 'network.kind': 'resnet' needs image observations [C, H, W], but the environment's "
            f"observations have shape {observation_shape}; use fully_connected"
        )
    return ResidualMuZero(observation_shape, num_actions, config)
