"""The compiled learner step: the training objective (``muzero``: ``unroll_loss``) through ``torch.compile``.

For MuZero's small networks the eager step is per-operation overhead (a Cart Pole step is ~900 tiny tensor
operations forward and backward, ~0.2 ms of arithmetic). ``torch.compile`` traces whatever the objective
computes (no second copy of the loss math) into one forward and one backward graph that inductor fuses into a
few dozen C++ kernels; the optimiser becomes the single fused Adam/SGD kernel. Measured in
``benchmarks/train_step.py`` (``docs/benchmarks.md``).

``training.compile``: ``off`` = today's eager step exactly; ``on`` = compiled; ``auto`` = compiled where it
measured faster (the fully connected network with the ``muzero`` objective, on CPU when a C++ compiler is
found, and on CUDA), eager otherwise (the residual network and the other objectives: not measured).

Compilation happens at the first step of a process (tens of seconds on a loaded 2-core machine); inductor
keeps the compiled kernels in its on-disk cache (``TORCHINDUCTOR_CACHE_DIR``, default
``/tmp/torchinductor_$USER``), so later processes with the same shapes mostly re-trace only.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable

import torch

__all__ = ["COMPILE_MODES", "use_compiled_step", "compiled_objective"]

COMPILE_MODES = ("auto", "on", "off")


def _cpp_compiler_available() -> bool:
    import os

    return any(shutil.which(name) for name in (os.environ.get("CXX", ""), "g++", "clang++") if name)


def use_compiled_step(mode: str, *, network_kind: str, device: torch.device, objective: str = "muzero") -> bool:
    """Whether ``training.compile=mode`` compiles the step for this network, objective and device."""
    if mode == "on":
        return True
    if mode == "off":
        return False
    if network_kind != "fully_connected" or objective != "muzero":
        return False
    return device.type == "cuda" or (device.type == "cpu" and _cpp_compiler_available())


def compiled_objective(objective: torch.nn.Module, network: torch.nn.Module,
                       config) -> Callable[..., tuple]:
    """``f(*fields of a TrainingBatch)`` -> ``(total, metrics, predicted_values)`` of ``objective(network, batch,
    config)`` (for ``muzero``: ``unroll_loss``), compiled once for fixed shapes (a new batch shape recompiles)."""
    from mzlab.training.objectives.base import TrainingBatch

    def loss_terms(*fields: torch.Tensor | None) -> tuple:
        output = objective(network, TrainingBatch(*fields), config)
        return output.total, output.metrics, output.predicted_values

    return torch.compile(loss_terms, dynamic=False)
