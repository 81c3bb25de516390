"""Planning with the learned versus the ground-truth model, policy versus uniform prior (Fig. 7).

At every checkpoint MCTS acts in the real environment with model ``learned`` (the checkpoint's network) or
``true`` (the simulator's snapshots; prior from the network at the true observation), prior ``policy`` or
``uniform``, leaves evaluated by ``rollout`` (uniformly random actions for the planning horizon in the same
model, no bootstrap; the paper's setting) or optionally ``value`` (the value network), for each simulation
count. Searches add no root noise; actions are sampled from the visits with the checkpoint's temperature
(as in training). The baseline ``model = none, prior = policy, leaf = none, num_simulations = 0`` samples
from the policy prior alone. Every setting plays the same seeded episode starts.

Setting ``i`` of :func:`planning_settings` draws every random number (tie-break keys, rollout actions, action
sampling) from its own generator ``rng_for(i)``, shared by its episodes in the order
:func:`mzlab.analysis.episodes.run_episodes` uses it. :func:`planning_frame` plays every setting and episode
together, one :func:`~mzlab.analysis.grouped_search.grouped_search` per model and move, and gives exactly the
returns of :func:`planning_frame_unbatched` (one ``run_episodes`` per setting), the reference it is tested
against.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd

from mzlab.analysis.episodes import advance
from mzlab.analysis.grouped_search import SearchGroup, grouped_search
from mzlab.analysis.learning_curves import episodes_frame
from mzlab.analysis.on_policy import episode_seeds
from mzlab.analysis.policies import PriorPolicy, SearchPolicy, sample_actions
from mzlab.search.acting import visit_policy, visit_temperature

__all__ = ["planning_settings", "planning_frame", "planning_frame_unbatched", "run_planning"]

Setting = tuple[str, str, str, int]


def planning_settings(simulations, leaves) -> list[Setting]:
    """``(model, prior, leaf, num_simulations)`` of every setting, the prior-alone baseline first."""
    settings = [("none", "policy", "none", 0)]
    for model in ("learned", "true"):
        for prior in ("policy", "uniform"):
            for leaf in leaves:
                settings.extend((model, prior, leaf, int(n)) for n in simulations)
    return settings


def _rows(settings, seeds, returns, lengths, constants) -> pd.DataFrame:
    frames = []
    for index, (model, prior, leaf, num_simulations) in enumerate(settings):
        frame = pd.DataFrame({"episode": np.arange(len(seeds)), "return": returns[index],
                              "length": lengths[index]})
        values = {**constants, "model": model, "prior": prior, "leaf": leaf, "num_simulations": num_simulations}
        for name, value in reversed(values.items()):
            frame.insert(0, name, value)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def planning_frame_unbatched(simulator, models: dict, search_config, settings: list[Setting], seeds, *,
                             rng_for: Callable[[int], np.random.Generator], temperature: float,
                             max_steps: int | None = None, constants: dict | None = None) -> pd.DataFrame:
    """Rows ``(*constants, model, prior, leaf, num_simulations, episode, return, length)``, one
    ``run_episodes`` per setting (the reference for :func:`planning_frame`).

    ``models`` maps ``learned`` and ``true`` to search models; the baseline samples ``softmax`` of the
    ``learned`` model's root prior. ``search_config`` gives the search (its ``rollout_horizon`` is the
    planning horizon); noise is turned off.
    """
    frames = []
    for index, (model, prior, leaf, num_simulations) in enumerate(settings):
        if model == "none":
            policy = PriorPolicy(models["learned"], temperature=1.0)
        else:
            search = dataclasses.replace(search_config, prior=prior, leaf=leaf, num_simulations=num_simulations,
                                         add_noise=False)
            policy = SearchPolicy(models[model], search, temperature)
        values = {**(constants or {}), "model": model, "prior": prior, "leaf": leaf,
                  "num_simulations": num_simulations}
        frames.append(episodes_frame(simulator, policy, seeds, rng=rng_for(index), max_steps=max_steps,
                                     constants=values))
    return pd.concat(frames, ignore_index=True)


def planning_frame(simulator, models: dict, search_config, settings: list[Setting], seeds, *,
                   rng_for: Callable[[int], np.random.Generator], temperature: float,
                   max_steps: int | None = None, constants: dict | None = None) -> pd.DataFrame:
    """The same rows as :func:`planning_frame_unbatched`, every setting and episode stepping together.

    Per move: one grouped search per model over the running episodes of all its settings, one prior call
    for the baseline, one ``step_snapshots`` for everything. The grouped search is pUCT's; a search config
    with another ``algorithm`` plays each setting on its own.
    """
    if getattr(search_config, "algorithm", "puct") != "puct":
        return planning_frame_unbatched(simulator, models, search_config, settings, seeds, rng_for=rng_for,
                                        temperature=temperature, max_steps=max_steps, constants=constants)
    seeds = np.asarray(seeds)
    count, episodes = len(settings), len(seeds)
    rngs = [rng_for(index) for index in range(count)]
    start_snapshots, start_observations = simulator.reset_snapshots(seeds)
    rows = np.repeat(np.arange(episodes)[None], count, axis=0).reshape(-1)  # flat row = setting * E + episode
    snapshots = start_snapshots[rows]
    observations = np.asarray(start_observations)[rows]
    returns = np.zeros(count * episodes)
    lengths = np.zeros(count * episodes, dtype=np.int64)
    alive = np.ones(count * episodes, dtype=bool)
    search = dataclasses.replace(search_config, add_noise=False)
    prior_policy = PriorPolicy(models["learned"], temperature=1.0)
    t = 0
    while alive.any() and (max_steps is None or t < max_steps):
        index = np.flatnonzero(alive)
        actions = np.zeros(count * episodes, dtype=np.int64)
        for kind in ("none", "learned", "true"):
            chosen = [i for i in range(count) if settings[i][0] == kind]
            chosen.sort(key=lambda i: -settings[i][3])  # stable: by simulation count, largest first
            blocks = [(i, index[(index >= i * episodes) & (index < (i + 1) * episodes)]) for i in chosen]
            blocks = [(i, block) for i, block in blocks if len(block)]
            if not blocks:
                continue
            flat = np.concatenate([block for _, block in blocks])
            if kind == "none":
                probabilities = prior_policy.probabilities(observations[flat], snapshots[flat], None)
            else:
                groups = [SearchGroup(settings[i][1], settings[i][2], settings[i][3], len(block), rngs[i])
                          for i, block in blocks]
                visits = grouped_search(models[kind], observations[flat], snapshots[flat], groups, config=search)
                probabilities = visit_policy(visits, temperature)
            offset = 0
            for i, block in blocks:
                part = probabilities[offset: offset + len(block)]
                actions[block] = sample_actions(part, rngs[i])
                offset += len(block)
        advance(simulator, index, actions[index], snapshots, observations, returns, lengths, alive)
        t += 1
    return _rows(settings, seeds, returns.reshape(count, episodes), lengths.reshape(count, episodes),
                 constants or {})


def run_planning(session, steps: list[int] | None = None) -> pd.DataFrame:
    """The planning table for every run and checkpoint of ``session``."""
    from mzlab.analysis.session import per_checkpoint

    def compute(checkpoint) -> pd.DataFrame:
        seeds = episode_seeds(session.options.seed * 1_000_003 + checkpoint.seed, session.options.num_episodes,
                              stream=3)
        search = dataclasses.replace(checkpoint.config.search, rollout_horizon=checkpoint.options.planning_horizon)
        return planning_frame(
            checkpoint.scoring_simulator,
            {"learned": checkpoint.learned_model, "true": checkpoint.true_model},
            search,
            planning_settings(checkpoint.options.simulations, session.options.planning_leaves),
            seeds,
            rng_for=lambda index: session.rng(checkpoint, "planning", index),
            temperature=visit_temperature(checkpoint.step, checkpoint.config.training),
            max_steps=session.options.max_episode_steps,
            constants={**checkpoint.constants(), "step": checkpoint.step},
        )

    return pd.concat(per_checkpoint(session, "planning", steps, compute), ignore_index=True)
