"""The learned model: plans with a MuZero network (state = latent ``[B, D]``)."""

from __future__ import annotations

import numpy as np
import torch

from mzlab.jit import HAVE_NUMBA
from mzlab.networks.inputs import observations_to_tensor
from mzlab.networks.support import EPSILON, support_to_scalar
from mzlab.search.fast_fc import FastRecurrent, supports_fast_path
from mzlab.search.fused import FusedStep
from mzlab.search.types import RootOutput, StepOutput

__all__ = ["LearnedModel"]


class LearnedModel:
    """:class:`~mzlab.search.types.Model` over a MuZero network with ``initial_inference``/``recurrent_inference``.

    Rewards and values are decoded from the categorical heads with :func:`support_to_scalar`; the discount is
    ``γ`` everywhere (the learned model has no notion of termination). States are numpy ``[B, D]`` float32 on
    CPU and torch tensors on other devices (they stay there). Put the network in eval mode before searching.

    With ``fast`` (default) a CPU fully connected network's ``step`` runs as one numba kernel
    (:mod:`mzlab.search.fast_fc`: same arithmetic, float64 accumulation, weights re-read at every ``root``), and
    :meth:`fused_root` lets the search run all its simulations in one numba call (:mod:`mzlab.search.fused`).
    """

    def __init__(self, network: torch.nn.Module, *, discount: float, device: torch.device | str | None = None,
                 fast: bool = True):
        self.network = network
        self.num_actions = int(network.num_actions)
        self.discount = float(discount)
        self.device = torch.device(device) if device is not None else next(network.parameters()).device
        self._on_cpu = self.device.type == "cpu"
        self._fast = None
        if fast and self._on_cpu and HAVE_NUMBA and supports_fast_path(network):
            self._fast = FastRecurrent(network)

    def _decode(self, output, *, with_reward: bool):
        support = self.network.support_size
        value = support_to_scalar(output.value_logits, support).double().cpu().numpy()
        reward = support_to_scalar(output.reward_logits, support).double().cpu().numpy() if with_reward else None
        latent = output.latent.numpy() if self._on_cpu else output.latent
        return latent, output.policy_logits.double().cpu().numpy(), value, reward

    def root(self, observations: np.ndarray, snapshots: np.ndarray | None = None) -> RootOutput:
        """``h`` then ``f`` on ``observations[B, ...]`` (``snapshots`` are ignored)."""
        if self._fast is not None:
            self._fast.refresh()
        with torch.inference_mode():
            inputs = observations_to_tensor(observations, self.device)
            latent, prior_logits, value, _ = self._decode(self.network.initial_inference(inputs), with_reward=False)
        return RootOutput(prior_logits=prior_logits, value=value, state=latent)

    def fused_root(self, observations: np.ndarray, snapshots: np.ndarray | None = None
                   ) -> tuple[RootOutput, FusedStep] | None:
        """The root as :meth:`root` but from the numba forward (``h`` then ``f``, the fast step's arithmetic:
        equal to torch's up to float rounding) and the step kernel's arguments for :mod:`mzlab.search.fused`;
        ``None`` without the fast path (the search then calls :meth:`root` and :meth:`step`). The weights are
        re-read only when a parameter's storage was replaced (in-place updates are seen as they are)."""
        if self._fast is None:
            return None
        self._fast.refresh_if_replaced()
        latent, prior_logits, value = self._fast.initial(observations)
        step = FusedStep(num_actions=self.num_actions, support_size=int(self.network.support_size),
                         epsilon=EPSILON, weights=self._fast.weights, discount=self.discount)
        return RootOutput(prior_logits=prior_logits, value=value, state=latent), step

    def step(self, state, actions: np.ndarray) -> tuple[StepOutput, object]:
        """``g`` then ``f`` on latents ``state[B, D]`` and ``actions[B]``."""
        if self._fast is not None:
            next_latent, reward, prior_logits, value = self._fast(state, actions)
            step = StepOutput(reward=reward, discount=np.full(len(reward), self.discount),
                              prior_logits=prior_logits, value=value)
            return step, next_latent
        with torch.inference_mode():
            latent = torch.as_tensor(state, device=self.device)
            action_tensor = torch.as_tensor(np.asarray(actions), device=self.device)
            output = self.network.recurrent_inference(latent, action_tensor)
            next_latent, prior_logits, value, reward = self._decode(output, with_reward=True)
        step = StepOutput(reward=reward, discount=np.full(len(reward), self.discount), prior_logits=prior_logits,
                          value=value)
        return step, next_latent
