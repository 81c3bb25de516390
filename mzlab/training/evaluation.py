"""Episodes in the real environment with a trained network, batched across episodes (paper Figures 2 and 8).

``policy``: ``mcts`` (the search with the learned model, no exploration noise) or ``prior`` (the network's
policy prior alone). ``actions``: ``greedy`` (argmax of the visits / prior) or ``sample`` (from the visit
distribution at the visit temperature of the checkpoint's training step, i.e. the behaviour policy without
noise; from the softmax of the prior logits for ``prior``). All episodes run at once; each gets its own seed.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from mzlab.config import ExperimentConfig
from mzlab.envs.registry import make_simulator
from mzlab.envs.simulator import Simulator
from mzlab.errors import MzlabError
from mzlab.search.acting import select_action, softmax
from mzlab.search.learned_model import LearnedModel
from mzlab.search.mcts import run_search
from mzlab.training.self_play import visit_temperature

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
) -> np.ndarray:
    """Undiscounted returns ``[episodes]`` of ``network`` acting in ``config.env``; episode ``i`` starts from
    the ``i``-th seed drawn from ``seed``."""
    if policy not in POLICIES:
        raise MzlabError(f"--policy must be one of {', '.join(POLICIES)}, got {policy!r}")
    if actions not in ACTIONS:
        raise MzlabError(f"--actions must be one of {', '.join(ACTIONS)}, got {actions!r}")
    if episodes < 1:
        raise MzlabError(f"--episodes must be >= 1, got {episodes}")
    simulator = simulator or make_simulator(config.env)
    rng = np.random.default_rng(seed)
    snapshots, observations = simulator.reset_snapshots(rng.integers(0, 2**31 - 1, size=episodes))
    model = LearnedModel(network, discount=config.env.discount)
    search_config = dataclasses.replace(config.search, add_noise=False)
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
                chosen = select_action(search.visit_counts, temperature, rng, greedy=greedy)
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
