"""Policy prior versus uniform prior inside the learned model's search (Fig. 6).

At each sampled state the learned model's MCTS runs with the network's policy prior and with a uniform prior
("free search"), without root noise, for several simulation counts. Per state and setting:

- ``path_error``: mean over the search's simulated paths of Def. 1, ``|G_k - Ĝ_k|`` of the path's action
  sequence (``k`` = the path's depth) against the real environment;
- ``tv_distance``: ``0.5 sum_a |N(a)/N - p(a)|`` between the root visit distribution and the policy prior
  ``p = softmax(f(h(o)))`` (the network's prior, also for the uniform-prior search: how far each search moves
  away from what the prior favours);
- ``kl_divergence``: ``KL(visits || p) = sum_{a: N(a)>0} N(a)/N log((N(a)/N) / p(a))`` (finite because
  ``p > 0``; the reverse direction is infinite whenever an action is unvisited).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from mzlab.analysis.returns import predicted_returns, true_returns
from mzlab.search.acting import softmax

__all__ = ["path_errors", "total_variation", "kl_divergence", "search_prior_frame", "run_search_prior"]


def total_variation(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``[B]`` ``0.5 sum |p - q|`` of rows of ``p, q [B, A]``."""
    return 0.5 * np.abs(np.asarray(p) - np.asarray(q)).sum(axis=1)


def kl_divergence(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``[B]`` ``KL(p || q) = sum_{p>0} p log(p / q)`` of rows of ``p, q [B, A]``."""
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(p) - np.log(q)), 0.0)
    return terms.sum(axis=1)


def path_errors(
    simulator,
    model,
    snapshots: np.ndarray,
    observations: np.ndarray,
    path_actions: np.ndarray,
    path_lengths: np.ndarray,
    *,
    discount: float,
) -> np.ndarray:
    """``[B, S]`` Def. 1 error of each path ``path_actions[b, i, :path_lengths[b, i]]`` from root ``b``."""
    batch, count = path_lengths.shape
    longest = max(int(path_lengths.max()), 1)
    actions = np.maximum(path_actions[:, :, :longest], 0).reshape(batch * count, longest)
    root_index = np.repeat(np.arange(batch), count)
    true = true_returns(simulator, snapshots[root_index], actions, discount=discount)
    predicted = predicted_returns(
        model, observations, actions, discount=discount, snapshots=snapshots, root_index=root_index
    )
    column = np.maximum(path_lengths.reshape(-1) - 1, 0)
    rows = np.arange(batch * count)
    error = np.abs(true[rows, column] - predicted[rows, column])
    return np.where(path_lengths.reshape(-1) > 0, error, 0.0).reshape(batch, count)


def search_prior_frame(
    simulator,
    model,
    snapshots: np.ndarray,
    observations: np.ndarray,
    *,
    search_config,
    simulations,
    discount: float,
    rng: np.random.Generator,
    priors=("policy", "uniform"),
) -> pd.DataFrame:
    """Rows ``(prior, num_simulations, state_index, path_error, tv_distance, kl_divergence, num_paths)``."""
    from mzlab.search import run_search

    reference = softmax(np.asarray(model.root(observations, snapshots).prior_logits))
    frames = []
    for prior in priors:
        for num_simulations in simulations:
            config = dataclasses.replace(search_config, prior=prior, num_simulations=int(num_simulations),
                                         add_noise=False)
            output = run_search(model, observations, config=config, rng=rng, snapshots=snapshots, record_paths=True)
            errors = path_errors(
                simulator, model, snapshots, observations, output.path_actions, output.path_lengths, discount=discount
            )
            visits = np.asarray(output.policy_target)  # the improved policy for Gumbel search
            frames.append(
                pd.DataFrame(
                    {
                        "prior": prior,
                        "num_simulations": int(num_simulations),
                        "state_index": np.arange(len(observations)),
                        "path_error": errors.mean(axis=1),
                        "tv_distance": total_variation(visits, reference),
                        "kl_divergence": kl_divergence(visits, reference),
                        "num_paths": errors.shape[1],
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def run_search_prior(session, steps: list[int] | None = None) -> pd.DataFrame:
    """The search-prior table (Fig. 6) for every run and checkpoint of ``session``."""
    from mzlab.analysis.session import per_checkpoint

    def compute(checkpoint) -> pd.DataFrame:
        states = session.states(checkpoint)
        frame = search_prior_frame(
            checkpoint.simulator,
            checkpoint.learned_model,
            states.snapshots,
            states.observations,
            search_config=checkpoint.config.search,
            simulations=checkpoint.options.simulations,
            discount=checkpoint.discount,
            rng=session.rng(checkpoint, "search-prior"),
        )
        frame.insert(0, "step", checkpoint.step)
        frame.insert(0, "seed", checkpoint.seed)
        frame.insert(0, "env", checkpoint.env)
        return frame

    return pd.concat(per_checkpoint(session, "search-prior", steps, compute), ignore_index=True)
