"""Return of the behaviour policy (MCTS) and of the policy prior alone, sampled and greedy (Figs. 2 and 8).

At every checkpoint, ``num_episodes`` seeded episodes per setting in the real environment (the same episode
seeds for every setting and checkpoint of a run, so settings are compared on the same starts):

- ``mcts, sample``: MuZero's behaviour policy as in training at that step (visit temperature from the
  schedule, root Dirichlet noise as the run's ``search.add_noise`` unless ``--noise`` says otherwise);
- ``mcts, greedy``: the most visited action, no root noise (paper A.2);
- ``prior, sample``: actions drawn from ``softmax(f(h(o)))``; ``prior, greedy``: its argmax.

``return`` is the undiscounted sum of the simulator's rewards (after its reward scale).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mzlab.analysis.episodes import run_episodes
from mzlab.analysis.on_policy import episode_seeds
from mzlab.analysis.policies import PriorPolicy

__all__ = ["SETTINGS", "episodes_frame", "run_learning_curves"]

SETTINGS = (("mcts", "sample"), ("mcts", "greedy"), ("prior", "sample"), ("prior", "greedy"))
"""``(policy, actions)`` pairs of the learning curves."""


def episodes_frame(
    simulator, policy, seeds, *, rng: np.random.Generator, constants: dict, max_steps=None
) -> pd.DataFrame:
    """Rows ``(*constants, episode, return, length)`` of one episode per seed of ``seeds[E]``."""
    episodes = run_episodes(simulator, policy, seeds, rng=rng, max_steps=max_steps)
    frame = pd.DataFrame({"episode": np.arange(len(seeds)), "return": episodes.returns, "length": episodes.lengths})
    for name, value in reversed(constants.items()):
        frame.insert(0, name, value)
    return frame


def run_learning_curves(session, steps: list[int] | None = None) -> pd.DataFrame:
    """The learning-curves table for every run and checkpoint of ``session``."""
    from mzlab.analysis.session import per_checkpoint

    def compute(checkpoint) -> pd.DataFrame:
        seeds = episode_seeds(session.options.seed * 1_000_003 + checkpoint.seed, session.options.num_episodes,
                              stream=2)
        frames = []
        for policy_kind, actions in SETTINGS:
            greedy = actions == "greedy"
            if policy_kind == "mcts":
                policy = checkpoint.behaviour(greedy=greedy)
            else:
                policy = PriorPolicy(checkpoint.learned_model, temperature=0.0 if greedy else 1.0)
            frames.append(
                episodes_frame(
                    checkpoint.scoring_simulator,
                    policy,
                    seeds,
                    rng=session.rng(checkpoint, "learning-curves", len(frames)),
                    max_steps=session.options.max_episode_steps,
                    constants={**checkpoint.constants(), "step": checkpoint.step, "policy": policy_kind,
                               "actions": actions},
                )
            )
        return pd.concat(frames, ignore_index=True)

    return pd.concat(per_checkpoint(session, "learning-curves", steps, compute), ignore_index=True)
