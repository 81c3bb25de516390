"""The compiled learner step: :func:`~mzlab.training.losses.unroll_loss` through ``torch.compile``.

For MuZero's small networks the eager step is per-operation overhead (a Cart Pole step is ~900 tiny tensor
operations forward and backward, ~0.2 ms of arithmetic). ``torch.compile`` traces whatever ``unroll_loss``
computes (no second copy of the loss math) into one forward and one backward graph that inductor fuses into a
few dozen C++ kernels; the optimiser becomes the single fused Adam/SGD kernel. Measured in
``benchmarks/train_step.py`` (``docs/benchmarks.md``).

``training.compile``: ``off`` = today's eager step exactly; ``on`` = compiled; ``auto`` = compiled where it
measured faster (the fully connected network, on CPU when a C++ compiler is found, and on CUDA), eager
otherwise (the residual network: not measured, and its compile takes minutes).

Compilation happens at the first step of a process (tens of seconds on a loaded 2-core machine); inductor
keeps the compiled kernels in its on-disk cache (``TORCHINDUCTOR_CACHE_DIR``, default
``/tmp/torchinductor_$USER``), so later processes with the same shapes mostly re-trace only.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable

import torch

from mzlab.training.losses import unroll_loss

__all__ = ["COMPILE_MODES", "use_compiled_step", "compiled_loss"]

COMPILE_MODES = ("auto", "on", "off")


def _cpp_compiler_available() -> bool:
    import os

    return any(shutil.which(name) for name in (os.environ.get("CXX", ""), "g++", "clang++") if name)


def use_compiled_step(mode: str, *, network_kind: str, device: torch.device) -> bool:
    """Whether ``training.compile=mode`` compiles the step for this network and device."""
    if mode == "on":
        return True
    if mode == "off":
        return False
    if network_kind != "fully_connected":
        return False
    return device.type == "cuda" or (device.type == "cpu" and _cpp_compiler_available())


def compiled_loss(network: torch.nn.Module, loss_options: dict) -> Callable[..., tuple[torch.Tensor, ...]]:
    """``f(observations, actions, target_values, target_rewards, target_policies, weights)`` ->
    ``(total, value, reward, policy, predicted_values)`` of ``unroll_loss(network, ..., **loss_options)``,
    compiled once for fixed shapes (a new batch shape recompiles)."""

    def loss_terms(*tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
        loss = unroll_loss(network, *tensors, **loss_options)
        return loss.total, loss.value, loss.reward, loss.policy, loss.predicted_values

    return torch.compile(loss_terms, dynamic=False, fullgraph=True)
