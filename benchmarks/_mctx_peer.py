"""DeepMind mctx running the same fully connected MuZero network (weights copied from torch), jit-compiled on CPU.

The search benchmark and the mctx exactness tests (``tests/test_search_gumbel_mctx.py``) import this file;
jax and mctx belong to the ``bench`` extra.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import mctx
import numpy as np
import torch

__all__ = ["JaxTwin", "MctxSearch", "MctxGumbelSearch"]


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


class JaxTwin:
    """The jax twin of a :class:`FullyConnectedMuZero` (same weights): ``root(params, observations)`` ->
    ``mctx.RootFnOutput`` and mctx's ``recurrent_fn``. ``dtype`` float64 needs ``jax_enable_x64``."""

    def __init__(self, network, *, discount: float, dtype=jnp.float32):
        self.params = {
            "representation": _linear_stack(network.representation_net),
            "dynamics_state": _linear_stack(network.dynamics_state_net),
            "dynamics_reward": _linear_stack(network.dynamics_reward_net),
            "policy": _linear_stack(network.prediction_policy_net),
            "value": _linear_stack(network.prediction_value_net),
        }
        self.params = jax.tree_util.tree_map(lambda x: jnp.asarray(x, dtype=dtype), self.params)
        self.dtype = dtype
        self.num_actions = network.num_actions
        support_size = network.support_size
        num_actions = network.num_actions

        def root(params, observations):
            latent = _scale(_mlp(params["representation"], observations))
            return mctx.RootFnOutput(
                prior_logits=_mlp(params["policy"], latent),
                value=_to_scalar(_mlp(params["value"], latent), support_size),
                embedding=latent,
            )

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

        self.root = root
        self.recurrent_fn = recurrent_fn


def _jitted_policy(twin: JaxTwin, policy, outputs, **options):
    """One jitted function ``(params, seed, observations) -> outputs(policy output)``: key creation, the root
    inference, the search and the summary all run inside ``jax.jit``."""

    def search(params, seed, observations):
        output = policy(params, jax.random.PRNGKey(seed), twin.root(params, observations), twin.recurrent_fn,
                        **options)
        return outputs(output)

    return jax.jit(search)


class MctxSearch:
    """``mctx.muzero_policy`` over the jax twin of a :class:`FullyConnectedMuZero` (same weights, same work).

    The whole call (key creation, search, the root visit counts of ``search_tree.summary()``) is one jitted
    function; the caller's ``np.asarray`` blocks on its result."""

    def __init__(self, network, *, discount: float, num_simulations: int):
        twin = JaxTwin(network, discount=discount)
        self.params = twin.params
        self._search = _jitted_policy(
            twin, mctx.muzero_policy, lambda output: output.search_tree.summary().visit_counts,
            num_simulations=num_simulations, dirichlet_fraction=0.25, dirichlet_alpha=0.25, pb_c_init=1.25,
            pb_c_base=19652,
            qtransform=functools.partial(mctx.qtransform_by_min_max, min_value=-1.0, max_value=1.0),
        )

    def __call__(self, observations: np.ndarray, seed: int) -> np.ndarray:
        """Visit counts ``[B, A]`` of one search from ``observations[B, D]`` (blocks until done)."""
        return np.asarray(self._search(self.params, seed, jnp.asarray(observations, dtype=jnp.float32)))


class MctxGumbelSearch:
    """``mctx.gumbel_muzero_policy`` (mctx defaults: 16 considered actions, c_visit 50, c_scale 0.1) over the
    jax twin, jitted whole: returns ``(action [B], improved policy [B, A], root visit counts [B, A])``."""

    def __init__(self, network, *, discount: float, num_simulations: int, gumbel_scale: float = 1.0,
                 max_num_considered_actions: int = 16, dtype=jnp.float32):
        twin = JaxTwin(network, discount=discount, dtype=dtype)
        self.params = twin.params
        self.dtype = dtype
        self._search = _jitted_policy(
            twin, mctx.gumbel_muzero_policy,
            lambda output: (output.action, output.action_weights, output.search_tree.summary().visit_counts),
            num_simulations=num_simulations, max_num_considered_actions=max_num_considered_actions,
            gumbel_scale=gumbel_scale,
        )

    def __call__(self, observations: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        action, weights, visits = self._search(self.params, seed, jnp.asarray(observations, dtype=self.dtype))
        return np.asarray(action), np.asarray(weights), np.asarray(visits)
