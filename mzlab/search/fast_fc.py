"""A numba forward pass of :class:`~mzlab.networks.fully_connected.FullyConnectedMuZero` for CPU searches.

For the tiny Cart Pole network one torch ``recurrent_inference`` plus the support decoding costs ~0.4 ms of
per-operation overhead whatever the batch; this kernel does the same arithmetic (float64 accumulation over
the float32 weights, read in place from the parameters, so training updates are seen) in a few
microseconds. :class:`~mzlab.search.learned_model.LearnedModel` uses it on CPU when numba is available.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from mzlab.jit import njit_fast
from mzlab.networks.support import EPSILON

__all__ = ["FastRecurrent", "supports_fast_path"]


def supports_fast_path(network: torch.nn.Module) -> bool:
    """Whether ``network`` is a CPU :class:`FullyConnectedMuZero` with float32 weights and min-max scaled
    latents (the kernel scales them)."""
    from mzlab.networks.fully_connected import FullyConnectedMuZero

    if type(network) is not FullyConnectedMuZero or not network.state_norm:
        return False
    parameters = list(network.parameters())
    return all(p.device.type == "cpu" and p.dtype == torch.float32 for p in parameters)


def _stack(sequential: torch.nn.Sequential) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    linears = [layer for layer in sequential if isinstance(layer, torch.nn.Linear)]
    return (tuple(layer.weight.detach().numpy() for layer in linears),
            tuple(layer.bias.detach().numpy() for layer in linears))


@njit_fast
def _mlp(x, weights, biases):
    """Linear layers with ELU between them (none after the last), feature-major: ``x[I, B]`` -> ``[O, B]``.

    The innermost loops run over the batch, so they vectorise.
    """
    count = len(weights)
    batch = x.shape[1]
    for layer in range(1, count + 1):
        weight = weights[layer - 1]
        bias = biases[layer - 1]
        outputs, inputs = weight.shape
        out = np.empty((outputs, batch))
        for j in range(outputs):
            row = out[j]
            row[:] = bias[j]
            for i in range(inputs):
                w = np.float64(weight[j, i])
                source = x[i]
                for b in range(batch):
                    row[b] += w * source[b]
            if layer < count:
                for b in range(batch):
                    if row[b] <= 0.0:
                        row[b] = math.expm1(row[b])
        x = out
    return x


@njit_fast
def _support_scalars(logits, support_size, epsilon, out):
    """``out[b] = h^-1(E[support])`` of feature-major ``logits[2S+1, B]`` (softmax in float64)."""
    batch = logits.shape[1]
    for b in range(batch):
        largest = logits[0, b]
        for k in range(1, logits.shape[0]):
            largest = max(largest, logits[k, b])
        total = 0.0
        expectation = 0.0
        for k in range(logits.shape[0]):
            weight = math.exp(logits[k, b] - largest)
            total += weight
            expectation += weight * (k - support_size)
        expectation /= total
        root = (math.sqrt(1.0 + 4.0 * epsilon * (abs(expectation) + 1.0 + epsilon)) - 1.0) / (2.0 * epsilon)
        sign = 1.0 if expectation > 0 else (-1.0 if expectation < 0 else 0.0)
        out[b] = sign * (root * root - 1.0)


@njit_fast
def _recurrent(latent, actions, num_actions, support_size, epsilon, dyn_w, dyn_b, rew_w, rew_b, pol_w, pol_b, val_w,
               val_b, out_latent, out_reward, out_logits, out_value):
    batch, size = latent.shape
    x = np.zeros((size + num_actions, batch))
    for b in range(batch):
        for i in range(size):
            x[i, b] = latent[b, i]
        x[size + actions[b], b] = 1.0
    raw = _mlp(x, dyn_w, dyn_b)
    _support_scalars(_mlp(raw, rew_w, rew_b), support_size, epsilon, out_reward)
    scaled = np.empty((size, batch))
    for b in range(batch):
        low = raw[0, b]
        high = raw[0, b]
        for i in range(1, size):
            low = min(low, raw[i, b])
            high = max(high, raw[i, b])
        scale = high - low
        if scale < 1e-5:
            scale += 1e-5
        for i in range(size):
            value = np.float32((raw[i, b] - low) / scale)
            out_latent[b, i] = value
            scaled[i, b] = value
    logits = _mlp(scaled, pol_w, pol_b)
    for b in range(batch):
        for a in range(num_actions):
            out_logits[b, a] = logits[a, b]
    _support_scalars(_mlp(scaled, val_w, val_b), support_size, epsilon, out_value)


class FastRecurrent:
    """``g`` then ``f`` of a CPU :class:`FullyConnectedMuZero`, decoded to scalars, as one numba call."""

    def __init__(self, network: torch.nn.Module):
        self.network = network
        self.refresh()

    def refresh(self) -> None:
        """Re-read the parameter arrays (views of the live parameters; call after replacing parameters)."""
        net = self.network
        self._weights = (_stack(net.dynamics_state_net) + _stack(net.dynamics_reward_net)
                         + _stack(net.prediction_policy_net) + _stack(net.prediction_value_net))

    @property
    def weights(self) -> tuple:
        """The kernel's eight weight and bias tuples (dynamics state, dynamics reward, policy, value)."""
        return self._weights

    def __call__(self, latent: np.ndarray, actions: np.ndarray):
        """``(next_latent[B, D] float32, reward[B], prior_logits[B, A], value[B])`` for ``latent[B, D]``."""
        latent = np.ascontiguousarray(latent, dtype=np.float32)
        batch = latent.shape[0]
        out_latent = np.empty_like(latent)
        out_reward = np.empty(batch)
        out_logits = np.empty((batch, self.network.num_actions))
        out_value = np.empty(batch)
        _recurrent(latent, np.asarray(actions, dtype=np.int64), self.network.num_actions, self.network.support_size,
                   EPSILON, *self._weights, out_latent, out_reward, out_logits, out_value)
        return out_latent, out_reward, out_logits, out_value
