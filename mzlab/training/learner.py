"""The learner: one optimiser step of the training objective (MuZero's unrolled loss by default) per batch.

Adam (or SGD with momentum) with L2 weight decay, learning rate ``lr0 * rate ** (step / decay_steps)``
(exponential decay, set before every step; optionally after a linear warm-up and in whole decay periods as
EfficientZero), optional clipping of the gradient norm. Returns new priorities ``|v_pred - z|`` for every
unrolled position. The optimiser state round-trips through flat tensors (safetensors-friendly, no pickle).

``compiled=True`` computes the same objective through ``torch.compile`` (:mod:`.compiled_step`) and uses
the optimiser's fused kernel (same update rule, one kernel for all parameters); ``False`` is the eager step.
"""

from __future__ import annotations

import dataclasses
import sys

import numpy as np
import torch

from mzlab.config import ExperimentConfig
from mzlab.errors import MzlabError
from mzlab.training.compiled_step import compiled_objective
from mzlab.training.objectives.base import TrainingBatch
from mzlab.training.objectives.registry import build_objective
from mzlab.training.replay import Batch

__all__ = ["Learner", "learning_rate"]


def learning_rate(step: int, *, initial: float, decay_rate: float, decay_steps: int, warmup_steps: int = 0,
                  staircase: bool = False) -> float:
    """``initial * step / warmup_steps`` during the warm-up, then ``initial * decay_rate ** (s / decay_steps)``
    with ``s = step - warmup_steps`` (``floor(s / decay_steps)`` with ``staircase``, EfficientZero's
    ``adjust_lr``). Without warm-up and staircase: ``initial * decay_rate ** (step / decay_steps)``."""
    if step < warmup_steps:
        return initial * step / warmup_steps
    periods = (step - warmup_steps) / decay_steps
    return initial * decay_rate ** (int(periods) if staircase else periods)


class Learner:
    """Owns the objective, the optimiser and the learner step counter of one network.

    The objective (``training.objective``, :mod:`mzlab.training.objectives`) returns the loss, the metrics to
    log and the predicted values; its extra heads, if any, are trained by the same optimiser.
    """

    def __init__(self, network: torch.nn.Module, config: ExperimentConfig, *, compiled: bool = False,
                 fallback_to_eager: bool = False):
        self.network = network
        self.config = config
        self.device = next(network.parameters()).device
        self.compiled = compiled
        self.objective = build_objective(config, network).to(self.device)
        self.batch_fields = self.objective.batch_fields
        """Optional replay fields the objective reads (pass to ``ReplayBuffer.sample(..., fields=)``)."""
        # network parameters first: a muzero run's optimiser state keeps its indices
        parameters = [*network.parameters(), *self.objective.parameters()]
        training = config.training
        fused = {"fused": True} if compiled else {}
        if training.optimizer == "adam":
            self.optimizer = torch.optim.Adam(
                parameters, lr=training.learning_rate, weight_decay=training.weight_decay, **fused
            )
        elif training.optimizer == "sgd":
            self.optimizer = torch.optim.SGD(
                parameters, lr=training.learning_rate, momentum=training.momentum,
                weight_decay=training.weight_decay, **fused
            )
        else:
            raise MzlabError(f"training.optimizer must be 'adam' or 'sgd', got {training.optimizer!r}")
        self._parameters = parameters
        self._all_modules = [*network.modules(), *self.objective.modules()]
        self._compiled_loss = compiled_objective(self.objective, network, config, parameters) if compiled else None
        self.fallback_to_eager = fallback_to_eager
        """``training.compile=auto``: if the first compiled step fails, continue with the eager step."""
        self._compiled_once = False
        self.step = 0

    def current_learning_rate(self) -> float:
        training = self.config.training
        return learning_rate(self.step, initial=training.learning_rate, decay_rate=training.lr_decay_rate,
                             decay_steps=training.lr_decay_steps, warmup_steps=training.lr_warmup_steps,
                             staircase=training.lr_decay_style == "staircase")

    def _forward_backward(self, batch: TrainingBatch) -> tuple:
        """``(total, metrics, predicted_values)`` of the objective on ``batch``; gradients left in ``.grad``."""
        if self._compiled_loss is None:
            output = self.objective(self.network, batch, self.config)
            self.optimizer.zero_grad(set_to_none=True)
            output.total.backward()
            return output.total, output.metrics, output.predicted_values
        *terms, gradients = self._compiled_loss(*(getattr(batch, field.name) for field in dataclasses.fields(batch)))
        self.optimizer.zero_grad(set_to_none=True)
        for parameter, gradient in zip(self._parameters, gradients, strict=True):
            parameter.grad = gradient
        return tuple(terms)

    def train_step(self, batch: Batch) -> tuple[dict[str, float], np.ndarray]:
        """One optimiser step on ``batch``; returns ``(metrics, new priorities [B, K+1])``."""
        if not all(module.training for module in self._all_modules):  # train() costs ~0.1 ms even when a no-op
            self.network.train()
            self.objective.train()
        for group in self.optimizer.param_groups:
            group["lr"] = self.current_learning_rate()
        # the same observation conversion as LearnedModel uses in the search (same inputs in acting and learning)
        tensors = TrainingBatch.from_replay(batch, self.device)
        if self._compiled_loss is not None and self.fallback_to_eager and not self._compiled_once:
            try:  # the first call compiles (loss and gradient); nothing is updated yet
                total, output_metrics, predicted_values = self._forward_backward(tensors)
            except Exception as error:  # e.g. no working C++ toolchain: `auto` falls back to the eager step
                print(f"mzlab: training.compile=auto: compiling the learner step failed ({type(error).__name__}: "
                      f"{str(error).splitlines()[0] if str(error) else ''}); using the eager step", file=sys.stderr)
                self._compiled_loss = None
                total, output_metrics, predicted_values = self._forward_backward(tensors)
            self._compiled_once = True
        else:
            total, output_metrics, predicted_values = self._forward_backward(tensors)
        if self.config.training.max_grad_norm > 0:
            parameters = [p for group in self.optimizer.param_groups for p in group["params"]]
            torch.nn.utils.clip_grad_norm_(parameters, self.config.training.max_grad_norm)
        self.optimizer.step()
        self.step += 1
        priorities = np.abs(predicted_values.cpu().numpy() - batch.target_values)
        metrics = {key: float(value) for key, value in output_metrics.items()}
        metrics["charts/learning_rate"] = self.optimizer.param_groups[0]["lr"]
        return metrics, priorities

    # Optimiser state as flat tensors ------------------------------------------------------------------------

    def optimizer_tensors(self) -> dict[str, torch.Tensor]:
        """The optimiser state as ``{"<param index>.<key>": tensor}`` plus ``"learner.step"``."""
        tensors: dict[str, torch.Tensor] = {"learner.step": torch.tensor([self.step], dtype=torch.int64)}
        state = self.optimizer.state_dict()["state"]
        for index, entry in state.items():
            for key, value in entry.items():
                value = value if isinstance(value, torch.Tensor) else torch.tensor(value)
                tensors[f"{index}.{key}"] = value.detach().cpu().contiguous()
        return tensors

    def load_optimizer_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        """Restore what :meth:`optimizer_tensors` returned."""
        state_dict = self.optimizer.state_dict()
        state: dict[int, dict[str, torch.Tensor]] = {}
        for name, value in tensors.items():
            if name == "learner.step":
                continue
            index, key = name.split(".", 1)
            state.setdefault(int(index), {})[key] = value.to(self.device) if key != "step" else value
        state_dict["state"] = state
        self.optimizer.load_state_dict(state_dict)
        self.step = int(tensors["learner.step"][0])
