"""A numba forward pass of :class:`~mzlab.networks.fully_connected.FullyConnectedMuZero` for CPU searches.

For the tiny Cart Pole network one torch ``recurrent_inference`` plus the support decoding costs ~0.4 ms of
per-operation overhead whatever the batch; this kernel does the same arithmetic (float64 accumulation over
the float32 weights, read in place from the parameters, so training updates are seen) in a few
microseconds. :class:`~mzlab.search.learned_model.LearnedModel` uses it on CPU when numba is available (the
step always, the root for the fused search of :mod:`mzlab.search.fused`).
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
def _mlp(x, weights, biases, input_major):
    """Linear layers with ELU between them (none after the last), feature-major: ``x[I, B]`` -> ``[O, B]``.

    The innermost loops run over the batch, so they vectorise. Every output adds its terms in input order
    ``i = 0, 1, ...`` onto its bias; ``input_major`` only reorders the loops around that (inputs outside,
    outputs inside: 2-3x faster at batch 1), so both orders give the same numbers.
    """
    count = len(weights)
    batch = x.shape[1]
    for layer in range(1, count + 1):
        weight = weights[layer - 1]
        bias = biases[layer - 1]
        outputs, inputs = weight.shape
        out = np.empty((outputs, batch))
        if input_major:
            for j in range(outputs):
                for b in range(batch):
                    out[j, b] = bias[j]
            for i in range(inputs):
                for j in range(outputs):
                    w = np.float64(weight[j, i])
                    for b in range(batch):
                        out[j, b] += w * x[i, b]
            if layer < count:
                for j in range(outputs):
                    for b in range(batch):
                        if out[j, b] <= 0.0:
                            out[j, b] = math.expm1(out[j, b])
        else:
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
def _scale_latent(raw, out_latent):
    """Min-max scale every column of ``raw[D, B]`` to [0, 1] as :func:`~mzlab.networks.fully_connected.scale_latent`
    (rounded to float32): written to ``out_latent[B, D]`` and returned feature-major ``[D, B]``."""
    size, batch = raw.shape
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
    return scaled


@njit_fast
def _predict(scaled, support_size, epsilon, pol_w, pol_b, val_w, val_b, out_logits, out_value, input_major):
    """``f`` on the feature-major scaled latents ``[D, B]``: policy logits ``[B, A]`` and decoded values ``[B]``."""
    logits = _mlp(scaled, pol_w, pol_b, input_major)
    for b in range(logits.shape[1]):
        for a in range(logits.shape[0]):
            out_logits[b, a] = logits[a, b]
    _support_scalars(_mlp(scaled, val_w, val_b, input_major), support_size, epsilon, out_value)


@njit_fast
def _initial(observations, support_size, epsilon, rep_w, rep_b, pol_w, pol_b, val_w, val_b, out_latent, out_logits,
             out_value, input_major):
    """``h`` then ``f`` on ``observations[B, I]`` (float32): scaled latents, policy logits, decoded values."""
    batch, inputs = observations.shape
    x = np.empty((inputs, batch))
    for b in range(batch):
        for i in range(inputs):
            x[i, b] = observations[b, i]
    _predict(_scale_latent(_mlp(x, rep_w, rep_b, input_major), out_latent), support_size, epsilon, pol_w, pol_b,
             val_w, val_b, out_logits, out_value, input_major)


@njit_fast
def _recurrent(latent, actions, num_actions, support_size, epsilon, dyn_w, dyn_b, rew_w, rew_b, pol_w, pol_b, val_w,
               val_b, out_latent, out_reward, out_logits, out_value, input_major):
    batch, size = latent.shape
    x = np.zeros((size + num_actions, batch))
    for b in range(batch):
        for i in range(size):
            x[i, b] = latent[b, i]
        x[size + actions[b], b] = 1.0
    raw = _mlp(x, dyn_w, dyn_b, input_major)
    _support_scalars(_mlp(raw, rew_w, rew_b, input_major), support_size, epsilon, out_reward)
    scaled = _scale_latent(raw, out_latent)
    _predict(scaled, support_size, epsilon, pol_w, pol_b, val_w, val_b, out_logits, out_value, input_major)


class FastRecurrent:
    """``g`` then ``f`` (and ``h`` then ``f``) of a CPU :class:`FullyConnectedMuZero`, decoded to scalars, as one
    numba call."""

    def __init__(self, network: torch.nn.Module):
        self.network = network
        self.refresh()

    def refresh(self) -> None:
        """Re-read the parameter arrays (views of the live parameters; call after replacing parameters)."""
        net = self.network
        self._weights = (_stack(net.dynamics_state_net) + _stack(net.dynamics_reward_net)
                         + _stack(net.prediction_policy_net) + _stack(net.prediction_value_net))
        self._representation = _stack(net.representation_net)
        self._linears = [layer for sequential in (net.representation_net, net.dynamics_state_net,
                                                  net.dynamics_reward_net, net.prediction_policy_net,
                                                  net.prediction_value_net)
                         for layer in sequential if isinstance(layer, torch.nn.Linear)]
        self._storage = self._storage_now()

    def _storage_now(self) -> list[int]:
        return [pointer for layer in self._linears for pointer in (layer.weight.data_ptr(), layer.bias.data_ptr())]

    def refresh_if_replaced(self) -> None:
        """:meth:`refresh` when a layer's weight or bias now lives elsewhere than at the last one (a replaced
        parameter; in-place updates, optimiser steps and ``load_state_dict`` keep it, and the views see them)."""
        if self._storage_now() != self._storage:
            self.refresh()

    def initial(self, observations: np.ndarray):
        """``(latent[B, D] float32, prior_logits[B, A], value[B])`` of ``h`` then ``f`` on ``observations[B, ...]``
        (the arithmetic of :meth:`__call__`: float64 accumulation, float32 latents)."""
        inputs = np.ascontiguousarray(np.asarray(observations).reshape(len(observations), -1), dtype=np.float32)
        batch = inputs.shape[0]
        out_latent = np.empty((batch, self.network.dynamics_state_net[-1].out_features), dtype=np.float32)
        out_logits = np.empty((batch, self.network.num_actions))
        out_value = np.empty(batch)
        _initial(inputs, self.network.support_size, EPSILON, *self._representation, *self._weights[4:], out_latent,
                 out_logits, out_value, True)
        return out_latent, out_logits, out_value

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
                   EPSILON, *self._weights, out_latent, out_reward, out_logits, out_value, False)
        return out_latent, out_reward, out_logits, out_value
