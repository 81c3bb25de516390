"""The learner: one optimiser step of MuZero's unrolled loss per sampled batch.

Adam (or SGD with momentum) with L2 weight decay, learning rate ``lr0 * rate ** (step / decay_steps)``
(exponential decay, set before every step; optionally after a linear warm-up and in whole decay periods as
EfficientZero), optional clipping of the gradient norm. Returns new priorities ``|v_pred - z|`` for every
unrolled position. The optimiser state round-trips through flat tensors (safetensors-friendly, no pickle).
"""

from __future__ import annotations

import numpy as np
import torch

from mzlab.config import ExperimentConfig
from mzlab.errors import MzlabError
from mzlab.networks.inputs import observations_to_tensor
from mzlab.training.losses import unroll_loss, unroll_step_weights
from mzlab.training.replay import Batch

__all__ = ["Learner", "learning_rate", "moves_left"]


def learning_rate(step: int, *, initial: float, decay_rate: float, decay_steps: int, warmup_steps: int = 0,
                  staircase: bool = False) -> float:
    """``initial * step / warmup_steps`` during the warm-up, then ``initial * decay_rate ** (s / decay_steps)``
    with ``s = step - warmup_steps`` (``floor(s / decay_steps)`` with ``staircase``, EfficientZero's
    ``adjust_lr``). Without warm-up and staircase: ``initial * decay_rate ** (step / decay_steps)``."""
    if step < warmup_steps:
        return initial * step / warmup_steps
    periods = (step - warmup_steps) / decay_steps
    return initial * decay_rate ** (int(periods) if staircase else periods)


def moves_left(inside: np.ndarray) -> np.ndarray:
    """``min(T - t, K + 1)`` for each row of ``inside[B, K+1]`` (which unrolled positions lie in the game);
    enough for every use, which clips at ``K``."""
    return inside.sum(axis=1)


class Learner:
    """Owns the optimiser and the learner step counter of one network."""

    def __init__(self, network: torch.nn.Module, config: ExperimentConfig):
        self.network = network
        self.config = config
        self.device = next(network.parameters()).device
        training = config.training
        if training.optimizer == "adam":
            self.optimizer = torch.optim.Adam(
                network.parameters(), lr=training.learning_rate, weight_decay=training.weight_decay
            )
        elif training.optimizer == "sgd":
            self.optimizer = torch.optim.SGD(
                network.parameters(), lr=training.learning_rate, momentum=training.momentum,
                weight_decay=training.weight_decay,
            )
        else:
            raise MzlabError(f"training.optimizer must be 'adam' or 'sgd', got {training.optimizer!r}")
        self.step = 0

    def current_learning_rate(self) -> float:
        training = self.config.training
        return learning_rate(self.step, initial=training.learning_rate, decay_rate=training.lr_decay_rate,
                             decay_steps=training.lr_decay_steps, warmup_steps=training.lr_warmup_steps,
                             staircase=training.lr_decay_style == "staircase")

    def _tensor(self, array: np.ndarray, dtype: torch.dtype | None = None) -> torch.Tensor:
        return torch.as_tensor(array, dtype=dtype, device=self.device)

    def train_step(self, batch: Batch) -> tuple[dict[str, float], np.ndarray]:
        """One optimiser step on ``batch``; returns ``(losses, new priorities [B, K+1])``."""
        self.network.train()
        for group in self.optimizer.param_groups:
            group["lr"] = self.current_learning_rate()
        # the same conversion as LearnedModel uses in the search (the same inputs in acting and learning)
        observations = observations_to_tensor(batch.observations, self.device)
        training = self.config.training
        step_weights = unroll_step_weights(training.unroll_loss_scale, batch.actions.shape[1],
                                           self._tensor(moves_left(batch.inside)))
        loss = unroll_loss(
            self.network,
            observations,
            self._tensor(batch.actions, torch.long),
            self._tensor(batch.target_values),
            self._tensor(batch.target_rewards),
            self._tensor(batch.target_policies),
            self._tensor(batch.weights),
            value_loss_weight=training.value_loss_weight,
            support_size=self.config.network.support_size,
            gradient_scale_mode=training.gradient_scale_mode,
            step_weights=step_weights,
        )
        self.optimizer.zero_grad(set_to_none=True)
        loss.total.backward()
        if training.max_grad_norm > 0:
            torch.nn.utils.clip_grad_norm_(self.network.parameters(), training.max_grad_norm)
        self.optimizer.step()
        self.step += 1
        priorities = np.abs(loss.predicted_values.cpu().numpy() - batch.target_values)
        metrics = {
            "losses/total": float(loss.total.detach()),
            "losses/value": float(loss.value),
            "losses/reward": float(loss.reward),
            "losses/policy": float(loss.policy),
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
