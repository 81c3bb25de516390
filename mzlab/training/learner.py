"""The learner: one optimiser step of MuZero's unrolled loss per sampled batch.

Adam (or SGD with momentum) with L2 weight decay, learning rate ``lr0 * rate ** (step / decay_steps)``
(exponential decay, set before every step). Returns new priorities ``|v_pred - z|`` for every unrolled
position. The optimiser state round-trips through flat tensors (safetensors-friendly, no pickle).

``compiled=True`` computes the same ``unroll_loss`` through ``torch.compile`` (:mod:`.compiled_step`) and uses
the optimiser's fused kernel (same update rule, one kernel for all parameters); ``False`` is the eager step.
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from mzlab.config import ExperimentConfig
from mzlab.errors import MzlabError
from mzlab.networks.inputs import observations_to_tensor
from mzlab.training.compiled_step import compiled_loss
from mzlab.training.losses import unroll_loss
from mzlab.training.replay import Batch

__all__ = ["Learner", "learning_rate"]


def learning_rate(step: int, *, initial: float, decay_rate: float, decay_steps: int) -> float:
    """``initial * decay_rate ** (step / decay_steps)``."""
    return initial * decay_rate ** (step / decay_steps)


class Learner:
    """Owns the optimiser and the learner step counter of one network."""

    def __init__(self, network: torch.nn.Module, config: ExperimentConfig, *, compiled: bool = False,
                 fallback_to_eager: bool = False):
        self.network = network
        self.config = config
        self.device = next(network.parameters()).device
        self.compiled = compiled
        training = config.training
        fused = {"fused": True} if compiled else {}
        if training.optimizer == "adam":
            self.optimizer = torch.optim.Adam(
                network.parameters(), lr=training.learning_rate, weight_decay=training.weight_decay, **fused
            )
        elif training.optimizer == "sgd":
            self.optimizer = torch.optim.SGD(
                network.parameters(), lr=training.learning_rate, momentum=training.momentum,
                weight_decay=training.weight_decay, **fused
            )
        else:
            raise MzlabError(f"training.optimizer must be 'adam' or 'sgd', got {training.optimizer!r}")
        self.loss_options = {
            "value_loss_weight": training.value_loss_weight,
            "support_size": config.network.support_size,
        }
        """Keyword arguments of ``unroll_loss``, the same for the eager and the compiled step."""
        self._compiled_loss = compiled_loss(network, self.loss_options) if compiled else None
        self.fallback_to_eager = fallback_to_eager
        """``training.compile=auto``: if the first compiled step fails, continue with the eager step."""
        self._compiled_once = False
        self.step = 0

    def current_learning_rate(self) -> float:
        training = self.config.training
        return learning_rate(self.step, initial=training.learning_rate, decay_rate=training.lr_decay_rate,
                             decay_steps=training.lr_decay_steps)

    def _tensor(self, array: np.ndarray, dtype: torch.dtype | None = None) -> torch.Tensor:
        return torch.as_tensor(array, dtype=dtype, device=self.device)

    def _forward_backward(self, tensors: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
        """The loss terms ``(total, value, reward, policy, predicted_values)``; gradients left in ``.grad``."""
        if self._compiled_loss is None:
            loss = unroll_loss(self.network, *tensors, **self.loss_options)
            terms = (loss.total, loss.value, loss.reward, loss.policy, loss.predicted_values)
        else:
            terms = self._compiled_loss(*tensors)
        self.optimizer.zero_grad(set_to_none=True)
        terms[0].backward()
        return terms

    def train_step(self, batch: Batch) -> tuple[dict[str, float], np.ndarray]:
        """One optimiser step on ``batch``; returns ``(losses, new priorities [B, K+1])``."""
        self.network.train()
        for group in self.optimizer.param_groups:
            group["lr"] = self.current_learning_rate()
        # the same conversion as LearnedModel uses in the search (the same inputs in acting and learning)
        tensors = (
            observations_to_tensor(batch.observations, self.device),
            self._tensor(batch.actions, torch.long),
            self._tensor(batch.target_values),
            self._tensor(batch.target_rewards),
            self._tensor(batch.target_policies),
            self._tensor(batch.weights),
        )
        if self._compiled_loss is not None and self.fallback_to_eager and not self._compiled_once:
            try:  # the first call compiles (forward now, backward at .backward()); nothing is updated yet
                total, value, reward, policy, predicted_values = self._forward_backward(tensors)
            except Exception as error:  # e.g. no working C++ toolchain: `auto` falls back to the eager step
                print(f"mzlab: training.compile=auto: compiling the learner step failed ({type(error).__name__}: "
                      f"{str(error).splitlines()[0] if str(error) else ''}); using the eager step", file=sys.stderr)
                self._compiled_loss = None
                total, value, reward, policy, predicted_values = self._forward_backward(tensors)
            self._compiled_once = True
        else:
            total, value, reward, policy, predicted_values = self._forward_backward(tensors)
        self.optimizer.step()
        self.step += 1
        priorities = np.abs(predicted_values.cpu().numpy() - batch.target_values)
        metrics = {
            "losses/total": float(total.detach()),
            "losses/value": float(value),
            "losses/reward": float(reward),
            "losses/policy": float(policy),
            "charts/learning_rate": self.optimizer.param_groups[0]["lr"],
        }
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
