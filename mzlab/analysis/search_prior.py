"""Policy prior versus uniform prior inside the learned model's search (Fig. 6).

At each sampled state the learned model's MCTS runs with the network's policy prior and with a uniform prior
("free search"), without root noise, for several simulation counts. Per state and setting:

- ``path_error``: mean over the search's simulated paths of Def. 1, ``|G_k - Ĝ_k|`` of the path's action
  sequence (``k`` = the path's depth) against the real environment;
- ``tv_distance``: ``0.5 sum_a |N(a)/N - p(a)|`` between the root visit distribution and the policy prior
  ``p = softmax(f(h(o)))`` (the network's prior, also for the uniform-prior search: how far each search moves
  away from what the prior favours);
- ``kl_divergence``: ``KL(visits || p) = sum_{a: N(a)>0} N(a)/N log((N(a)/N) / p(a))`` (finite because
  ``p > 0``; the reverse direction is infinite whenever an action is unvisited);
- ``mean_depth``: the mean depth of the simulated paths;
- ``prior_entropy``: ``-sum_a p(a) log p(a)`` of the network's prior at the state (nats; ``log A`` = uniform),
  so a study can follow how sharp the prior is over training;
- ``prior_top``: ``max_a p(a)``, and ``visits_on_prior_top``: ``N(a*)/N`` for the prior's favourite
  ``a* = argmax_a p(a)`` (first on ties): above ``prior_top`` the search concentrates beyond the prior, below
  it the search spreads (with two actions ``tv_distance = |visits_on_prior_top - prior_top|``).

Leaves are evaluated as in the planning experiment (``--planning-leaves``): ``rollout`` (uniformly random
actions for ``--planning-horizon`` steps in the learned model, no bootstrap; Section 4's modified MCTS, the
default) and/or ``value`` (the value network, MuZero's own search).

Error grows with the path's depth (Fig. 3) and the priors explore to different depths, so a second table
``search-prior-depth`` splits the path error by depth: per state, setting and depth ``d`` from 1 to the
deepest path of the checkpoint, ``path_error`` = mean Def. 1 over the paths of depth ``d`` (NaN when none)
and ``path_fraction`` = the share of the state's paths with depth ``d`` (the depth distribution).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from mzlab.analysis.returns import predicted_returns, true_returns
from mzlab.search.acting import softmax

__all__ = ["path_errors", "total_variation", "kl_divergence", "search_prior_frame", "search_prior_tables",
           "depth_frame", "run_search_prior"]

SETTING = ["prior", "leaf", "num_simulations", "state_index"]


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


def search_prior_frame(simulator, model, snapshots, observations, **options) -> pd.DataFrame:
    """Rows ``(prior, leaf, num_simulations, state_index, path_error, tv_distance, kl_divergence, mean_depth,
    prior_entropy, prior_top, visits_on_prior_top, num_paths)`` (the first table of
    :func:`search_prior_tables`, same arguments)."""
    return search_prior_tables(simulator, model, snapshots, observations, **options)[0]


def depth_frame(errors: np.ndarray, lengths: np.ndarray, max_depth: int, **constants) -> pd.DataFrame:
    """Rows ``(*constants, state_index, depth, path_error, path_fraction, num_paths)`` for depths
    ``1..max_depth`` from per-path ``errors[B, S]`` and depths ``lengths[B, S]``."""
    batch, count = lengths.shape
    depths = np.arange(1, max_depth + 1)
    at_depth = lengths[:, :, None] == depths[None, None, :]  # [B, S, D]
    paths = at_depth.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        error = np.where(paths > 0, (errors[:, :, None] * at_depth).sum(axis=1) / paths, np.nan)
    frame = pd.DataFrame({
        "state_index": np.repeat(np.arange(batch), max_depth),
        "depth": np.tile(depths, batch),
        "path_error": error.reshape(-1),
        "path_fraction": (paths / count).reshape(-1),
        "num_paths": paths.reshape(-1),
    })
    for name, value in reversed(constants.items()):
        frame.insert(0, name, value)
    return frame


def search_prior_tables(
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
    leaves=None,
    rollout_horizon: int | None = None,
    max_depth: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-state table and the per-depth table (module docstring) of the searches from ``snapshots[B]``.

    ``leaves`` (default: ``search_config.leaf``) are the leaf evaluations to run, ``rollout_horizon``
    (default ``search_config.rollout_horizon``) the rollout length; ``max_depth`` (default the deepest path)
    the last depth of the depth table.
    """
    from mzlab.search import run_search

    reference = softmax(np.asarray(model.root(observations, snapshots).prior_logits))
    entropy = -(reference * np.log(np.maximum(reference, np.finfo(np.float64).tiny))).sum(axis=1)
    favourite = reference.argmax(axis=1)
    rows = np.arange(len(reference))
    horizon = int(rollout_horizon or search_config.rollout_horizon)
    frames, searches = [], []
    for leaf in leaves or (search_config.leaf,):
        for prior in priors:
            for num_simulations in simulations:
                config = dataclasses.replace(search_config, prior=prior, leaf=leaf, rollout_horizon=horizon,
                                             num_simulations=int(num_simulations), add_noise=False)
                output = run_search(model, observations, config=config, rng=rng, snapshots=snapshots,
                                    record_paths=True)
                errors = path_errors(simulator, model, snapshots, observations, output.path_actions,
                                     output.path_lengths, discount=discount)
                visits = np.asarray(output.policy_target)  # the improved policy for Gumbel search
                setting = {"prior": prior, "leaf": leaf, "num_simulations": int(num_simulations)}
                searches.append((setting, errors, output.path_lengths))
                frames.append(pd.DataFrame({
                    **setting,
                    "state_index": np.arange(len(observations)),
                    "path_error": errors.mean(axis=1),
                    "tv_distance": total_variation(visits, reference),
                    "kl_divergence": kl_divergence(visits, reference),
                    "mean_depth": output.path_lengths.mean(axis=1),
                    "prior_entropy": entropy,
                    "prior_top": reference[rows, favourite],
                    "visits_on_prior_top": visits[rows, favourite],
                    "num_paths": errors.shape[1],
                }))
    deepest = max_depth or max(int(lengths.max()) for _, _, lengths in searches)
    depths = [depth_frame(errors, lengths, deepest, **setting) for setting, errors, lengths in searches]
    return pd.concat(frames, ignore_index=True), pd.concat(depths, ignore_index=True)


def run_search_prior(session, steps: list[int] | None = None) -> dict[str, pd.DataFrame]:
    """The search-prior tables (Fig. 6): ``{"search-prior": per state, "search-prior-depth": per depth}`` for
    every run and checkpoint of ``session``."""
    from mzlab.analysis.session import per_checkpoint

    def compute(checkpoint) -> pd.DataFrame:
        states = session.states(checkpoint)
        frame, depths = search_prior_tables(
            checkpoint.simulator,
            checkpoint.learned_model,
            states.snapshots,
            states.observations,
            search_config=checkpoint.config.search,
            simulations=checkpoint.options.simulations,
            discount=checkpoint.discount,
            rng=session.rng(checkpoint, "search-prior"),
            leaves=session.options.planning_leaves,
            rollout_horizon=checkpoint.options.planning_horizon,
        )
        # one cached unit holds both tables, told apart by ``table``
        unit = pd.concat([frame.assign(table="state"), depths.assign(table="depth")], ignore_index=True)
        for name, value in reversed({**checkpoint.constants(), "step": checkpoint.step}.items()):
            unit.insert(0, name, value)
        return unit

    units = pd.concat(per_checkpoint(session, "search-prior", steps, compute), ignore_index=True)
    keys = ["env", "seed", "step", *SETTING]
    state_columns = keys + ["path_error", "tv_distance", "kl_divergence", "mean_depth", "prior_entropy",
                            "prior_top", "visits_on_prior_top", "num_paths"]
    depth_columns = keys[:-1] + ["state_index", "depth", "path_error", "path_fraction", "num_paths"]
    state = units[units["table"] == "state"][state_columns].reset_index(drop=True)
    depth = units[units["table"] == "depth"][depth_columns].reset_index(drop=True)
    state["num_paths"] = state["num_paths"].astype(np.int64)
    depth = depth.astype({"depth": np.int64, "num_paths": np.int64})
    return {"search-prior": state, "search-prior-depth": depth}
