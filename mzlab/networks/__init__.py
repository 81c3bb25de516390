"""MuZero networks: the fully connected one (vector observations) and the residual one (Atari frames).

:func:`build_network` is the one place that maps a :class:`~mzlab.config.NetworkConfig` to a module. Every
network has ``initial_inference``, ``recurrent_inference``, ``representation``, ``dynamics``, ``prediction``
and the attributes ``num_actions``, ``support_size`` and ``observation_shape``.
"""

from __future__ import annotations

import math

from torch import nn

from mzlab.config import ExperimentConfig, NetworkConfig
from mzlab.errors import MzlabError

__all__ = ["build_network", "NETWORK_KINDS"]

NETWORK_KINDS = ("fully_connected", "resnet")
"""Valid values of ``network.kind``."""


def build_network(
    config: ExperimentConfig | NetworkConfig, observation_shape: tuple[int, ...], num_actions: int
) -> nn.Module:
    """The MuZero network named by ``config.network.kind`` (or ``config.kind``), freshly initialised on CPU.

    ``observation_shape`` is one observation's shape without the batch axis (``(4,)`` for Cart Pole,
    ``(C, 96, 96)`` or ``(stack, C, 96, 96)`` for Atari). The returned module records it as ``observation_shape``.
    """
    network_config = config.network if isinstance(config, ExperimentConfig) else config
    observation_shape = tuple(int(size) for size in observation_shape)
    if num_actions < 1 or any(size < 1 for size in observation_shape):
        raise MzlabError(f"cannot build a network for observation shape {observation_shape} and {num_actions} actions")
    if network_config.kind == "fully_connected":
        from mzlab.networks.fully_connected import FullyConnectedMuZero

        network = FullyConnectedMuZero(math.prod(observation_shape), num_actions, network_config)
    elif network_config.kind == "resnet":
        from mzlab.networks.resnet import ResidualMuZero

        if len(observation_shape) < 3:
            raise MzlabError(
                f"config key 'network.kind': 'resnet' needs image observations [C, H, W], but the environment's "
                f"observations have shape {observation_shape}; use fully_connected"
            )

        network = ResidualMuZero(observation_shape, num_actions, network_config)
    else:
        raise MzlabError(f"config key 'network.kind': {network_config.kind!r} is not one of {', '.join(NETWORK_KINDS)}")
    network.observation_shape = observation_shape
    return network
