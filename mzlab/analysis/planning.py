"""Planning with the learned versus the ground-truth model, policy versus uniform prior (Fig. 7).

At every checkpoint MCTS acts in the real environment with model ``learned`` (the checkpoint's network) or
``true`` (the simulator's snapshots; prior from the network at the true observation), prior ``policy`` or
``uniform``, leaves evaluated by ``rollout`` (uniformly random actions for the planning horizon in the same
model, no bootstrap; the paper's setting) or optionally ``value`` (the value network), for each simulation
count. Searches add no root noise; actions are sampled from the visits with the checkpoint's temperature
(as in training). The baseline ``model = none, prior = policy, leaf = none, num_simulations = 0`` samples
from the policy prior alone. Every setting plays the same seeded episode starts.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from mzlab.analysis.learning_curves import episodes_frame
from mzlab.analysis.on_policy import episode_seeds
from mzlab.analysis.policies import PriorPolicy, SearchPolicy
from mzlab.search.acting import visit_temperature

__all__ = ["planning_settings", "run_planning"]


def planning_settings(simulations, leaves) -> list[tuple[str, str, str, int]]:
    """``(model, prior, leaf, num_simulations)`` of every setting, the prior-alone baseline first."""
    settings = [("none", "policy", "none", 0)]
    for model in ("learned", "true"):
        for prior in ("policy", "uniform"):
            for leaf in leaves:
                settings.extend((model, prior, leaf, int(n)) for n in simulations)
    return settings


def run_planning(session, steps: list[int] | None = None) -> pd.DataFrame:
    """The planning table for every run and checkpoint of ``session``."""
    from mzlab.analysis.session import per_checkpoint, progress

    def compute(checkpoint) -> pd.DataFrame:
        seeds = episode_seeds(session.options.seed * 1_000_003 + checkpoint.seed, session.options.num_episodes,
                              stream=3)
        temperature = visit_temperature(checkpoint.step, checkpoint.config.training)
        models = {"learned": checkpoint.learned_model, "true": checkpoint.true_model}
        frames = []
        settings = planning_settings(checkpoint.options.simulations, session.options.planning_leaves)
        for model, prior, leaf, num_simulations in progress(settings, f"planning step {checkpoint.step} settings"):
            if model == "none":
                policy = PriorPolicy(checkpoint.learned_model, temperature=1.0)
            else:
                search = dataclasses.replace(
                    checkpoint.config.search,
                    prior=prior,
                    leaf=leaf,
                    rollout_horizon=checkpoint.options.planning_horizon,
                    num_simulations=num_simulations,
                    add_noise=False,
                )
                policy = SearchPolicy(models[model], search, temperature)
            frames.append(
                episodes_frame(
                    checkpoint.scoring_simulator,
                    policy,
                    seeds,
                    rng=session.rng(checkpoint, "planning", len(frames)),
                    max_steps=session.options.max_episode_steps,
                    constants={**checkpoint.constants(), "step": checkpoint.step, "model": model, "prior": prior,
                               "leaf": leaf, "num_simulations": num_simulations},
                )
            )
        return pd.concat(frames, ignore_index=True)

    return pd.concat(per_checkpoint(session, "planning", steps, compute), ignore_index=True)
