"""The compiled learner step: the training objective (``muzero``: ``unroll_loss``) through ``torch.compile``.

For MuZero's small networks the eager step is per-operation overhead (a Cart Pole step is ~900 tiny tensor
operations forward and backward, ~0.2 ms of arithmetic). ``torch.compile`` traces whatever the objective
computes (no second copy of the loss math), together with its gradient (``torch.autograd.grad`` traced), into
one graph of a few dozen C++ kernels and matrix products called from a C++ wrapper on CPU; the optimiser becomes
the single fused Adam/SGD kernel. While compiling, the loss takes a few cheaper but equal formulations (reward
head once on the stacked unroll, ``amin``/``amax`` latent scaling, layouts of the widening linear layers:
``losses.unroll_loss``, ``networks.fully_connected``; tested equal to the per-step unroll in
``tests/test_training_compiled_formulation.py``). Measured in ``benchmarks/train_step.py``
(``docs/benchmarks.md``).

``training.compile``: ``off`` = today's eager step exactly; ``on`` = compiled; ``auto`` = compiled where it
measured faster (the fully connected network with the ``muzero`` objective, on CPU when a C++ compiler is
found, and on CUDA), eager otherwise (the residual network and the other objectives: not measured).

Compilation happens at the first step of a process (tens of seconds on a loaded 2-core machine); inductor
keeps the compiled kernels in its on-disk cache (``TORCHINDUCTOR_CACHE_DIR``, default
``/tmp/torchinductor_$USER``), so later processes with the same shapes mostly re-trace only.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence

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


def _inductor_options(device: torch.device) -> dict:
    """On CPU the compiled graph's wrapper is C++ (``cpp_wrapper``): each of its ~100 kernel and matrix-product
    calls then costs no Python call (measured in ``benchmarks/train_step.py``)."""
    return {"cpp_wrapper": True} if device.type == "cpu" else {}


def compiled_objective(objective: torch.nn.Module, network: torch.nn.Module, config,
                       parameters: Sequence[torch.Tensor]) -> Callable[..., tuple]:
    """``f(*fields of a TrainingBatch)`` -> ``(total, metrics, predicted_values, gradients)``: ``objective(network,
    batch, config)`` (for ``muzero``: ``unroll_loss``) and the gradient of its total with respect to each of
    ``parameters`` (``None`` where the total does not depend on it, as ``backward`` leaves ``.grad``).

    Loss and gradient are one graph (``torch.autograd.grad`` traced by dynamo: ``trace_autograd_ops``), compiled
    once for fixed shapes (a new batch shape recompiles); no autograd bookkeeping runs between a forward and a
    backward graph. ``total`` is detached: the gradient is already computed."""
    from mzlab.training.objectives.base import TrainingBatch

    parameters = tuple(parameters)

    def loss_and_gradients(*fields: torch.Tensor | None) -> tuple:
        with torch.enable_grad():
            output = objective(network, TrainingBatch(*fields), config)
            gradients = torch.autograd.grad(output.total, parameters, allow_unused=True)
        # in the parameters' (contiguous) layout: the fused optimisers read a gradient as flat memory
        gradients = tuple(None if gradient is None else gradient.contiguous() for gradient in gradients)
        return output.total.detach(), output.metrics, output.predicted_values, gradients

    device = parameters[0].device if parameters else torch.device("cpu")
    compiled = torch.compile(loss_and_gradients, dynamic=False, options=_inductor_options(device))

    def call(*fields: torch.Tensor | None) -> tuple:
        with torch._dynamo.config.patch(trace_autograd_ops=True):  # only read while tracing
            return compiled(*fields)

    return call
