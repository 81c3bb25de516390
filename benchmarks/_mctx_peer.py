"""DeepMind mctx running the same fully connected MuZero network (weights copied from torch), jit-compiled on CPU.

Only the search benchmark imports this file; jax and mctx belong to the ``bench`` extra.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import mctx
import numpy as np
import torch

__all__ = ["MctxSearch"]


def _linear_stack(sequential: torch.nn.Sequential) -> list[tuple[np.ndarray, np.ndarray]]:
    return [
        (layer.weight.detach().cpu().numpy().T.copy(), layer.bias.detach().cpu().numpy().copy())
        for layer in sequential
        if isinstance(layer, torch.nn.Linear)
    ]


def _mlp(params, x):
    for i, (weight, bias) in enumerate(params):
        x = x @ weight + bias
        if i < len(params) - 1:
            x = jax.nn.elu(x)
    return x


def _scale(latent):
    low = latent.min(axis=1, keepdims=True)
    high = latent.max(axis=1, keepdims=True)
    scale = high - low
    scale = jnp.where(scale < 1e-5, scale + 1e-5, scale)
    return (latent - low) / scale


def _to_scalar(logits, support_size):
    probabilities = jax.nn.softmax(logits, axis=-1)
    support = jnp.arange(-support_size, support_size + 1, dtype=probabilities.dtype)
    y = (probabilities * support).sum(-1)
    eps = 0.001
    root = (jnp.sqrt(1.0 + 4.0 * eps * (jnp.abs(y) + 1.0 + eps)) - 1.0) / (2.0 * eps)
    return jnp.sign(y) * (root * root - 1.0)


class MctxSearch:
    """``mctx.muzero_policy`` over the jax twin of a :class:`FullyConnectedMuZero` (same weights, same work)."""

    def __init__(self, network, *, discount: float, num_simulations: int):
        self.params = {
            "representation": _linear_stack(network.representation_net),
            "dynamics_state": _linear_stack(network.dynamics_state_net),
            "dynamics_reward": _linear_stack(network.dynamics_reward_net),
            "policy": _linear_stack(network.prediction_policy_net),
            "value": _linear_stack(network.prediction_value_net),
        }
        self.params = jax.tree_util.tree_map(jnp.asarray, self.params)
        support_size = network.support_size
        num_actions = network.num_actions

        def recurrent_fn(params, rng_key, action, latent):
            del rng_key
            one_hot = jax.nn.one_hot(action, num_actions, dtype=latent.dtype)
            raw = _mlp(params["dynamics_state"], jnp.concatenate([latent, one_hot], axis=1))
            next_latent = _scale(raw)
            reward = _to_scalar(_mlp(params["dynamics_reward"], raw), support_size)
            output = mctx.RecurrentFnOutput(
                reward=reward,
                discount=jnp.full_like(reward, discount),
                prior_logits=_mlp(params["policy"], next_latent),
                value=_to_scalar(_mlp(params["value"], next_latent), support_size),
            )
            return output, next_latent

        def search(params, rng_key, observations):
            latent = _scale(_mlp(params["representation"], observations))
            root = mctx.RootFnOutput(
                prior_logits=_mlp(params["policy"], latent),
                value=_to_scalar(_mlp(params["value"], latent), support_size),
                embedding=latent,
            )
            return mctx.muzero_policy(
                params,
                rng_key,
                root,
                recurrent_fn,
                num_simulations=num_simulations,
                dirichlet_fraction=0.25,
                dirichlet_alpha=0.25,
                pb_c_init=1.25,
                pb_c_base=19652,
                qtransform=functools.partial(mctx.qtransform_by_min_max, min_value=-1.0, max_value=1.0),
            )

        self._search = jax.jit(search)

    def __call__(self, observations: np.ndarray, seed: int) -> np.ndarray:
        """Visit counts ``[B, A]`` of one search from ``observations[B, D]`` (blocks until done)."""
        output = self._search(self.params, jax.random.PRNGKey(seed), jnp.asarray(observations, dtype=jnp.float32))
        return np.asarray(output.search_tree.summary().visit_counts)
