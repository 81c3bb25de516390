"""MuZero networks: the fully connected one (vector observations) and the residual one (Atari frames).

:func:`build_network` is the one place that maps a :class:`~mzlab.config.NetworkConfig` to a module, through
the registry of :mod:`mzlab.networks.registry`. Every
network has ``initial_inference``, ``recurrent_inference``, ``representation``, ``dynamics``, ``prediction``
and the attributes ``num_actions``, ``support_size`` and ``observation_shape``.
"""

from __future__ import annotations

from torch import nn

from mzlab.config import ExperimentConfig, NetworkConfig
from mzlab.errors import MzlabError
from mzlab.networks.registry import network_builder, network_names

__all__ = ["build_network", "NETWORK_KINDS"]

NETWORK_KINDS = network_names()
"""The network kinds registered when mzlab loads (:func:`mzlab.networks.registry.network_names` is current)."""


def build_network(
    config: ExperimentConfig | NetworkConfig, observation_shape: tuple[int, ...], num_actions: int
) -> nn.Module:
    """The MuZero network named by ``config.network.kind`` (or ``config.kind``), freshly initialised on CPU.

    ``observation_shape`` is one observation's shape without the batch axis (``(4,)`` for Cart Pole,
    ``(C, 96, 96)`` or ``(stack, C, 96, 96)`` for Atari). The returned module records it as ``observation_shape``.
    The kind is looked up in :mod:`mzlab.networks.registry`.
    """
    network_config = config.network if isinstance(config, ExperimentConfig) else config
    observation_shape = tuple(int(size) for size in observation_shape)
    if num_actions < 1 or any(size < 1 for size in observation_shape):
        raise MzlabError(f"cannot build a network for observation shape {observation_shape} and {num_actions} actions")
    network = network_builder(network_config.kind)(observation_shape, num_actions, network_config)
    network.observation_shape = observation_shape
    return network
