"""Episodes in the real environment with a trained network, batched across episodes (paper Figures 2 and 8).

``policy``: ``mcts`` (the search with the learned model) or ``prior`` (the network's policy prior alone).
``actions``: ``greedy`` (argmax of the visits / prior; never root noise, paper Appendix A.2) or ``sample``
(from the visit distribution at the visit temperature of the checkpoint's training step with root noise as
configured, i.e. the behaviour policy, the same rule as ``mzlab analyze learning-curves``; from the softmax
of the prior logits for ``prior``). Returns are the game's own score (:func:`scoring_env_config`: unclipped,
full episodes). All episodes run at once; each gets its own seed.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from mzlab.config import ExperimentConfig
from mzlab.envs.registry import make_simulator, scoring_env_config
from mzlab.envs.simulator import Simulator
from mzlab.errors import MzlabError
from mzlab.search.acting import search_actions, softmax, visit_temperature
from mzlab.search.learned_model import LearnedModel
from mzlab.search.mcts import run_search

__all__ = ["evaluate_network", "POLICIES", "ACTIONS"]

POLICIES = ("mcts", "prior")
ACTIONS = ("greedy", "sample")


def evaluate_network(
    network: torch.nn.Module,
    config: ExperimentConfig,
    *,
    episodes: int,
    policy: str = "mcts",
    actions: str = "greedy",
    seed: int = 0,
    training_step: int = 0,
    simulator: Simulator | None = None,
    noise: bool | None = None,
) -> np.ndarray:
    """Undiscounted returns ``[episodes]`` of ``network`` acting in ``config.env``; episode ``i`` starts from
    the ``i``-th seed drawn from ``seed``."""
    if policy not in POLICIES:
        raise MzlabError(f"--policy must be one of {', '.join(POLICIES)}, got {policy!r}")
    if actions not in ACTIONS:
        raise MzlabError(f"--actions must be one of {', '.join(ACTIONS)}, got {actions!r}")
    if episodes < 1:
        raise MzlabError(f"--episodes must be >= 1, got {episodes}")
    simulator = simulator or make_simulator(scoring_env_config(config.env))
    rng = np.random.default_rng(seed)
    snapshots, observations = simulator.reset_snapshots(rng.integers(0, 2**31 - 1, size=episodes))
    model = LearnedModel(network, discount=config.env.discount)
    if noise and actions == "greedy":
        raise MzlabError("--noise on needs --actions sample: greedy acting never adds root noise (paper A.2)")
    add_noise = (config.search.add_noise if noise is None else noise) and actions == "sample"
    search_config = dataclasses.replace(config.search, add_noise=add_noise)
    temperature = visit_temperature(training_step, config.training)
    greedy = actions == "greedy"
    returns = np.zeros(episodes)
    active = np.ones(episodes, dtype=bool)
    lengths = np.zeros(episodes, dtype=np.int64)
    was_training = network.training
    network.eval()
    try:
        while active.any():
            index = np.flatnonzero(active)
            if policy == "mcts":
                search = run_search(model, observations[index], config=search_config, rng=rng,
                                    snapshots=snapshots[index])
                chosen = search_actions(search, temperature, rng, greedy=greedy)
            else:
                logits = model.root(observations[index]).prior_logits
                if greedy:
                    chosen = np.asarray(logits).argmax(axis=1)
                else:
                    cumulative = softmax(logits).cumsum(axis=1)
                    chosen = (rng.random(len(index))[:, None] > cumulative).sum(axis=1)
                    chosen = np.minimum(chosen, simulator.num_actions - 1)
            step = simulator.step_snapshots(snapshots[index], chosen)
            returns[index] += step.rewards
            lengths[index] += 1
            snapshots = snapshots.copy()
            observations = observations.copy()
            snapshots[index] = step.snapshots
            observations[index] = step.observations
            ended = step.terminated | step.truncated | (lengths[index] >= config.env.max_episode_steps)
            active[index[ended]] = False
    finally:
        network.train(was_training)
    return returns
