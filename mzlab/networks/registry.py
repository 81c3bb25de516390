"""The network registry: ``network.kind`` -> a builder ``(observation_shape, num_actions, NetworkConfig) -> module``.

Names only live here (nothing heavy is imported, so config validation can list them); each builder is a
``"module:function"`` entry point loaded when a network is built. A new network is one module with a builder
function plus one line in :data:`NETWORKS` (or :func:`register_network` at run time, e.g. from a plugin).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from mzlab.errors import MzlabError

__all__ = ["NETWORKS", "network_names", "network_builder", "register_network"]

NETWORKS: dict[str, str | Callable] = {
    "fully_connected": "mzlab.networks.fully_connected:build_fully_connected",
    "resnet": "mzlab.networks.resnet:build_resnet",
}
"""``network.kind`` -> builder (a ``"module:function"`` entry point or the function itself)."""


def network_names() -> tuple[str, ...]:
    """The valid values of ``network.kind``, in registration order."""
    return tuple(NETWORKS)


def register_network(name: str, builder: str | Callable) -> None:
    """Add (or replace) the network ``name``; ``builder(observation_shape, num_actions, network_config)``."""
    NETWORKS[name] = builder


def network_builder(name: str) -> Callable:
    """The builder registered as ``name``; MzlabError naming the valid kinds otherwise."""
    if name not in NETWORKS:
        raise MzlabError(f"config key 'network.kind': {name!r} is not one of {', '.join(network_names())}")
    entry = NETWORKS[name]
    if isinstance(entry, str):
        module, _, attribute = entry.partition(":")
        entry = getattr(importlib.import_module(module), attribute)
    return entry
